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

typedef struct mh_pdf_doc {
    qpdf_data q;
    const uint8_t *buf; /* the caller's bytes; must outlive the doc */
    size_t len;
    size_t startxref; /* offset of the last cross-reference section */
    bool xref_stream; /* ... and whether it is a stream */
} mh_pdf_doc;

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

/* Reads an integer entry of the signature dictionary /MH_OrigLen. */
bool mh_pdf_orig_len(qpdf_data q, qpdf_oh sig, size_t *len);

#endif
