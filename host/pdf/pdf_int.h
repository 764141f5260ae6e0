/* pdf_int.h - internal header of host/pdf: the qpdf document wrapper, an
 * output buffer, and helpers shared by signing and verification. */
#ifndef MH_PDF_INT_H
#define MH_PDF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <qpdf/qpdf-c.h>

#include "mh_pdf.h"

/* Deepest field or page tree walked, and most fields looked at. */
#define MH_PDF_TREE_DEPTH 32
#define MH_PDF_MAX_FIELDS 4096
/* Most objects compared when checking later updates. */
#define MH_PDF_MAX_OBJECTS 500000
/* Cross-reference limits: entries over all sections, sections, and the
 * highest object number. */
#define MH_PDF_MAX_XREF_ENTRIES 1000000
#define MH_PDF_MAX_SECTIONS 4096
#define MH_PDF_MAX_OBJECT_ID 8388607

/* ---- the memory budget (pdf_budget.cc) ------------------------------------
 * While a budget is open in a thread, qpdf's allocations in that thread are
 * counted and refused past `limit` bytes. Budgets nest: the outermost
 * begin/end pair counts. */
void mh_pdf_budget_begin(size_t limit);
void mh_pdf_budget_end(void);
int mh_pdf_budget_tripped(void);
size_t mh_pdf_budget_peak(void);
size_t mh_pdf_budget_limit(void);
/* Sets the sentence for a refused document ("the PDF is too complex to
 * verify: it needs more than 256 MiB") and returns MH_ERR_TOO_LARGE. */
int mh_pdf_too_complex(void);

typedef struct mh_pdf_doc {
    qpdf_data q;
    const uint8_t *buf; /* the caller's bytes; must outlive the doc */
    size_t len;
    size_t startxref; /* offset of the last cross-reference section */
    bool xref_stream; /* ... and whether it is a stream */
    bool budget;      /* it opened a memory budget (closed with it) */
} mh_pdf_doc;

/* The public handle (mh_pdf.h). */
struct mh_pdf_document {
    mh_pdf_doc d;
    bool checked; /* every object read once (qpdf_check_pdf) and sound */
};

/* Opens the document (qpdf, no recovery). Refuses encrypted and damaged
 * documents with a sentence set by mh_err_set. */
int mh_pdf_doc_open(mh_pdf_doc *d, const uint8_t *buf, size_t len);
void mh_pdf_doc_close(mh_pdf_doc *d);
/* After reading objects: any qpdf error or warning means the document is
 * damaged. `what` says what was being read. */
int mh_pdf_doc_ok(mh_pdf_doc *d, const char *what);
/* The last startxref offset of buf (bounds-checked), and the kind of
 * section there. */
int mh_pdf_find_startxref(const uint8_t *buf, size_t len, size_t *off, bool *is_stream);

/* A growing output buffer; a failed append leaves it failed. */
typedef struct mh_buf {
    uint8_t *p;
    size_t len, cap, max;
    bool failed;
} mh_buf;

void mh_buf_init(mh_buf *b, size_t max);
void mh_buf_free(mh_buf *b);
void mh_buf_put(mh_buf *b, const void *data, size_t n);
void mh_buf_puts(mh_buf *b, const char *s);
void mh_buf_printf(mh_buf *b, const char *fmt, ...) MH_PRINTF(2, 3);
/* A PDF name ("/Name"), escaping with #xx what must be. `name` is qpdf's
 * canonical form (leading slash, escapes resolved). */
void mh_buf_name(mh_buf *b, const char *name);
/* A PDF literal string from UTF-8 text: PDFDocEncoding when the text is
 * ASCII, else UTF-16BE with a byte-order mark (hex). */
void mh_buf_text(mh_buf *b, const char *utf8);
/* A value read through qpdf (indirect objects stay references). */
void mh_buf_value(mh_buf *b, qpdf_data q, qpdf_oh v);

/* ---- cross-reference sections (pdf_xref.c) ------------------------------ */

/* One entry: type 0 free (b: next generation), 1 at byte offset a with
 * generation b, 2 the b-th object of object stream a. */
typedef struct mh_pdf_xent {
    uint32_t id;
    uint32_t section; /* index into mh_pdf_xref.s: 0 is the newest */
    uint32_t order;
    uint8_t type;
    uint64_t a;
    uint32_t b;
} mh_pdf_xent;

typedef struct mh_pdf_xsection {
    size_t off;        /* where it starts (a startxref or /Prev value) */
    bool is_stream;    /* a cross-reference stream, else a classic table */
    long long prev;    /* /Prev, or -1 */
    long long xrefstm; /* a hybrid table's /XRefStm, or -1 */
    long long size;    /* /Size, or -1 */
    size_t dict_end;   /* the end of its trailer dictionary or stream data */
    size_t hybrid_end; /* the end of its /XRefStm's data, when hybrid */
    size_t first, n;   /* its entries, before sorting */
} mh_pdf_xsection;

/* The chain of sections from the last startxref along /Prev. Entries are
 * sorted by object number, newest section first. */
typedef struct mh_pdf_xref {
    mh_pdf_xsection *s;
    size_t ns;
    mh_pdf_xent *e;
    size_t ne, cap;
} mh_pdf_xref;

int mh_pdf_xref_read(const uint8_t *buf, size_t len, mh_pdf_xref *x);
void mh_pdf_xref_free(mh_pdf_xref *x);
/* The index of the section starting at off, or SIZE_MAX. */
size_t mh_pdf_xref_section_at(const mh_pdf_xref *x, size_t off);
/* The entry for id in force when only sections from_section and older
 * count (0: the whole document), or NULL. */
const mh_pdf_xent *mh_pdf_xref_find(const mh_pdf_xref *x, uint32_t id, size_t from_section);

/* The keys of a dictionary (qpdf iterates one dictionary at a time). The
 * strings are malloc'd; free with mh_pdf_keys_free. */
int mh_pdf_dict_keys(qpdf_data q, qpdf_oh dict, char ***keys, size_t *n);
void mh_pdf_keys_free(char **keys, size_t n);

/* One signature field found in the AcroForm. */
typedef struct mh_pdf_field {
    qpdf_oh field; /* the field (terminal) */
    qpdf_oh value; /* its /V (a signature dictionary), or 0 */
    char name[128];
} mh_pdf_field;

/* Walks the AcroForm field tree (depth and count capped, cycles cut) and
 * collects signature fields (/FT /Sig, inherited). *fields is malloc'd.
 * *top is the number of top-level fields. */
int mh_pdf_sig_fields(mh_pdf_doc *d, mh_pdf_field **fields, size_t *n, unsigned *top);

/* The page's visible box (CropBox within MediaBox, inherited) and /Rotate. */
int mh_pdf_page_box_of(qpdf_data q, qpdf_oh page, double box[4], int *rotate);

/* The DocMDP P of a signature dictionary that certifies (its /Reference
 * names /DocMDP; P 2 when absent), else 0. */
unsigned mh_pdf_sig_docmdp_p(qpdf_data q, qpdf_oh sig);
/* The P of the catalog's /Perms /DocMDP signature, or 0 when the document
 * is not certified. */
unsigned mh_pdf_docmdp_p(qpdf_data q, qpdf_oh root);

/* Reads an integer entry of the signature dictionary /MH_OrigLen. */
bool mh_pdf_orig_len(qpdf_data q, qpdf_oh sig, size_t *len);

#endif
