/*
 * mh_pdf.h - PAdES signatures on PDF documents, written as incremental
 * updates, and their verification. The one public header of host/pdf.
 *
 * Reading: qpdf (its C API) reads the structure of the document. Encrypted
 * documents are refused, and so is any document qpdf warns about while we
 * read it (a reconstructed cross-reference table, broken objects): a
 * signature on a damaged file would cover bytes no two readers agree on.
 *
 * Signing: the original bytes are never rewritten. One incremental update is
 * appended: a signature dictionary (/SubFilter /ETSI.CAdES.detached, PAdES
 * baseline B-B), a signature field merged with its widget annotation on the
 * chosen page, the widget's appearance (the stamp: a QR code drawn by a
 * caller-given function and a short caption), the page with the widget
 * added to /Annots, the AcroForm (/SigFlags 3), and a cross-reference
 * section of the same kind as the document's last one (a classic table or a
 * cross-reference stream) with /Prev. Earlier signatures stay valid, so
 * several parties can sign in turn.
 *
 * Signing happens in two steps, so a process that holds the key only ever
 * sees a digest: mh_pdf_prepare() builds the update with a zero-filled
 * /Contents placeholder and returns the SHA-256 of the /ByteRange bytes;
 * mh_pdf_embed() writes the CMS SignedData (DER) into the placeholder without
 * changing the length of the file. mh_pdf_sign() does both around a callback.
 *
 * Certification and party slots: the first signature may certify the
 * document (a DocMDP signature, ISO 32000-1 12.8.2.2, P=2 by default: only
 * form filling and signing may follow) and, in the same update, create
 * empty signature fields ("slots") where the later parties will sign. A
 * later signature then fills one of those fields (mh_pdf_sign_opts
 * fill_field) instead of adding an annotation, which is the only change a
 * party's signature makes. mh_pdf_verify checks exactly that (see below and
 * docs/pdf.md).
 *
 * One parse: mh_pdf_open() reads a document once; info, page geometry,
 * prepare/sign and verify all work on that handle. The one-shot functions
 * (mh_pdf_info_get, mh_pdf_page_geometry, mh_pdf_prepare, mh_pdf_sign,
 * mh_pdf_verify) open, call and close, as before.
 *
 * Hostile input: while a document is open, what qpdf allocates for it (in
 * the calling thread) is limited to MH_PDF_MEMORY_BUDGET; past it, and past
 * the object, array and nesting limits, the call fails with
 * MH_ERR_TOO_LARGE and the sentence "the PDF is too complex to verify: it
 * needs more than 256 MiB of memory ...".
 *
 * Original bytes: the document before mohur's first update. The first mohur
 * signature records that length in its (signed) dictionary as
 * /MH_OrigLen; later mohur signatures carry the same value. The receipt's
 * digest is of those bytes.
 */
#ifndef MH_PDF_H
#define MH_PDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mh_common.h"
#include "mh_pki.h"

#define MH_PDF_API __attribute__((visibility("default")))

/* Largest document read or signed. */
#define MH_PDF_MAX_SIZE ((size_t)200 << 20)
/* Room reserved for the CMS SignedData by default (bytes; twice that in hex). */
#define MH_PDF_CONTENTS_DEFAULT 16384
#define MH_PDF_CONTENTS_MAX 65536
/* Most signatures reported by mh_pdf_verify. */
#define MH_PDF_MAX_SIGS 64
/* What qpdf may allocate for one open document (bytes): see pdf_budget.cc. */
#define MH_PDF_MEMORY_BUDGET ((size_t)256 << 20)
/* Most empty signature fields one signature may prepare. */
#define MH_PDF_MAX_SLOTS 16
/* Longest /ContactInfo reported (bytes, with the NUL). */
#define MH_PDF_CONTACT_MAX 2048

/* ---- reading ------------------------------------------------------------ */

typedef struct mh_pdf_info {
    char version[16];       /* header version, e.g. "1.7" */
    unsigned pages;         /* number of pages */
    bool xref_stream;       /* the last cross-reference section is a stream */
    unsigned revisions;     /* number of %%EOF markers that end a revision */
    unsigned signatures;    /* signature fields with a value */
    unsigned fields;        /* top-level AcroForm fields */
    size_t size;            /* bytes */
    size_t original_len;    /* bytes before mohur's first update (== size when none) */
    bool has_mohur_sig;     /* a signature made by mohur is present */
    long long trailer_size; /* /Size of the last trailer */
    unsigned long root_id;  /* object number of the catalog */
} mh_pdf_info;

/* A document read once (qpdf), for info, geometry, signing and verifying
 * in turn. Opaque. */
typedef struct mh_pdf_document mh_pdf_document;

/* Reads a PDF held in memory (at most MH_PDF_MAX_SIZE). The bytes are not
 * copied: they must stay unchanged until mh_pdf_close. Refuses encrypted and
 * damaged documents with a sentence (mh_err_set); a trailer /Size that is
 * not the highest object number + 1 is not damage (qpdf reads such files
 * exactly). Opens the memory budget of the calling thread, which the
 * document uses until it is closed: use a document in the thread that
 * opened it. */
MH_PDF_API int mh_pdf_open(const uint8_t *pdf, size_t len, mh_pdf_document **doc) MH_WARN_UNUSED;
/* Frees the document (NULL is fine). */
MH_PDF_API void mh_pdf_close(mh_pdf_document *doc);
/* As mh_pdf_info_get, on an open document. */
MH_PDF_API int mh_pdf_document_info(mh_pdf_document *doc, mh_pdf_info *info) MH_WARN_UNUSED;
/* As mh_pdf_page_geometry, on an open document. */
MH_PDF_API int mh_pdf_document_page_geometry(mh_pdf_document *doc, unsigned page, double box[4],
                                             int *rotate) MH_WARN_UNUSED;

/* Reads the structure of a PDF held in memory (at most MH_PDF_MAX_SIZE).
 * Refuses encrypted and damaged documents with a sentence (mh_err_set). */
MH_PDF_API int mh_pdf_info_get(const uint8_t *pdf, size_t len, mh_pdf_info *info) MH_WARN_UNUSED;

/* The page's box (CropBox within MediaBox, inherited from the page tree when
 * the page does not say), as [llx lly urx ury], and /Rotate (0, 90, 180,
 * 270). page is 1-based. */
MH_PDF_API int mh_pdf_page_geometry(const uint8_t *pdf, size_t len, unsigned page, double box[4],
                                    int *rotate) MH_WARN_UNUSED;

/* ---- signing ------------------------------------------------------------ */

/* Makes the CMS SignedData (DER) for a SHA-256 digest of the /ByteRange
 * bytes: PAdES (no signing-time attribute), detached. Returns 0 and *len, or
 * an MH_ERR_* code. */
typedef int (*mh_pdf_cms_fn)(void *ctx, const uint8_t digest[32], uint8_t *out, size_t cap,
                             size_t *len);

/* Writes PDF drawing operators (filled rectangles "x y w h re f") for the
 * QR code into buf, with the code's lower-left corner at (x, y) and side
 * `size`, in the stamp's coordinates. Returns 0 and *len. */
typedef int (*mh_pdf_qr_fn)(void *ctx, double x, double y, double size, char *buf, size_t cap,
                            size_t *len);

#define MH_PDF_CAPTION_LINES 4

/* A font for the stamp's caption beyond Latin-1: the objects of an embedded
 * Type0/CIDFontType2 font whose character codes are Unicode code points in
 * two bytes (as host/doc's mh_font_kit makes them). obj[0] is the Type0
 * font; "@n@" in a dictionary stands for a reference to object n. */
#define MH_PDF_FONT_MAX_OBJ 16
typedef struct mh_pdf_font {
    /* > 0: the font is already in the document, as this object; then no
     * objects are written (nobj, dict, stream ignored) */
    long existing_obj;
    size_t nobj;
    const char *const *dict;
    const uint8_t *const *stream; /* stream data as stored, or NULL */
    const size_t *stream_len;
    const uint16_t *width; /* 1/1000 em by code point, nwidth entries; 0: missing */
    size_t nwidth;
} mh_pdf_font;

/* An empty signature field to create for a later party (a "slot"). */
typedef struct mh_pdf_slot {
    unsigned page;    /* 1-based; 0: the page of this signature's stamp */
    double rect[4];   /* x, y, w, h as the page is displayed, like
                         mh_pdf_sign_opts.rect (at least 20 x 10 points) */
    const char *name; /* the field's name (/T, ASCII letters, digits, '-',
                         '_', at most 60); NULL: "mohur-party-N", N = 1.. in
                         the order given */
} mh_pdf_slot;

typedef struct mh_pdf_prepared mh_pdf_prepared;

typedef struct mh_pdf_sign_opts {
    unsigned page;        /* 1-based; 0: the last page */
    bool has_rect;        /* else a default place at the lower right */
    double rect[4];       /* x, y, w, h as the page is displayed (after /Rotate),
                             from the lower-left corner of the page box */
    const char *name;     /* optional /Name (signer), UTF-8 */
    const char *reason;   /* optional /Reason, UTF-8 */
    const char *location; /* optional /Location, UTF-8 */
    const char *contact;  /* optional /ContactInfo, UTF-8 */
    /* The caption of the stamp, up to four lines (UTF-8; drawn in Helvetica
     * with WinAnsiEncoding: Latin-1 letters only, others become '?'). */
    const char *caption[MH_PDF_CAPTION_LINES];
    mh_pdf_qr_fn qr; /* optional */
    void *qr_ctx;
    bool invisible;      /* no stamp: a zero-size widget */
    time_t when;         /* /M; 0: now */
    size_t contents_cap; /* bytes reserved for the CMS; 0: MH_PDF_CONTENTS_DEFAULT */
    /* The document was made by mohur itself (a template filled in by
     * host/doc, whose output the tests check with qpdf): skip the full
     * object-by-object check, about half the cost of signing a diploma.
     * Never set it for a PDF that came from outside. */
    bool made_by_mohur;
    /* NULL: the caption in Helvetica, Latin-1 only ('?' for the rest) */
    const mh_pdf_font *font;

    /* Certification. true: this signature certifies the document: its
     * dictionary gets /Reference [<< /Type /SigRef /TransformMethod /DocMDP
     * /TransformParams << /Type /TransformParams /P p /V /1.2 >> >>] and the
     * catalog /Perms << /DocMDP it >>. Only the first signature of a
     * document may certify (MH_ERR_PERMISSION otherwise). */
    bool certify;
    /* The DocMDP P: 1 no changes, 2 (0 means 2) form filling and signing
     * (the prepared slots), 3 also annotations. */
    unsigned docmdp_p;
    /* Party slots: nslots (at most MH_PDF_MAX_SLOTS) empty signature fields
     * (/FT /Sig, no /V) with widgets at the given places, created in this
     * same update. Only while the document has no signature yet (a later
     * update that adds fields is a disallowed change to the signatures
     * before it). */
    const mh_pdf_slot *slots;
    size_t nslots;
    /* Approval into a slot: the full name of an existing EMPTY signature
     * field. The signature becomes its /V; its widget keeps /Rect, /F, /P
     * and the rest, and gets /AP /N = the stamp drawn into the widget's
     * rectangle (page, has_rect, rect and invisible are then ignored; the
     * QR is drawn only when qr is set). No annotation, no field and no page
     * change is written. MH_ERR_NOT_FOUND when there is no such empty
     * field. */
    const char *fill_field;
    /* A verification page: this (first) signature's update appends a page
     * at the end, as large as the last page, with a short heading in
     * Azerbaijani, Russian and English, and puts the stamp (rect, as
     * displayed on that page) and the party slots on it, so the stamp never
     * covers the document's own content (page and the slots' pages are
     * ignored). The original pages are untouched; the receipt still names
     * the bytes before this update. Not with fill_field. */
    bool add_page;
    /* Optional, for mh_pdf_document_sign / mh_pdf_sign: called once the
     * update exists with its empty /Contents and its /ByteRange, before
     * the CMS function is called (the document is valid during the call
     * only). A key outside the appliance is shown with it what it signs.
     * Non-zero stops the signing with that code. */
    int (*on_prepared)(void *ctx, const mh_pdf_prepared *prep);
    void *on_prepared_ctx;
} mh_pdf_sign_opts;

/* A document with a signature placeholder, between prepare and embed. */
struct mh_pdf_prepared {
    uint8_t *pdf; /* the whole new file (malloc'd) */
    size_t len;
    size_t byte_range[4];
    uint8_t digest[32];  /* SHA-256 of the /ByteRange bytes */
    size_t original_len; /* bytes before mohur's first update */
    size_t update_start; /* where this update begins (== input length) */
};

/* As mh_pdf_prepare / mh_pdf_sign, on an open document (which stays open
 * and unchanged; the signed document is a new buffer). */
MH_PDF_API int mh_pdf_document_prepare(mh_pdf_document *doc, const mh_pdf_sign_opts *opts,
                                       mh_pdf_prepared *prep) MH_WARN_UNUSED;
MH_PDF_API int mh_pdf_document_sign(mh_pdf_document *doc, const mh_pdf_sign_opts *opts,
                                    mh_pdf_cms_fn cms, void *cms_ctx, uint8_t **out,
                                    size_t *out_len, size_t *original_len) MH_WARN_UNUSED;

/* Appends the signature update to the document and fills *prep. */
MH_PDF_API int mh_pdf_prepare(const uint8_t *pdf, size_t len, const mh_pdf_sign_opts *opts,
                              mh_pdf_prepared *prep) MH_WARN_UNUSED;
/* Writes the CMS (DER) into the placeholder. MH_ERR_BUFFER_TOO_SMALL when it
 * does not fit (prepare again with a larger contents_cap). */
MH_PDF_API int mh_pdf_embed(mh_pdf_prepared *prep, const uint8_t *cms,
                            size_t cms_len) MH_WARN_UNUSED;
MH_PDF_API void mh_pdf_prepared_free(mh_pdf_prepared *prep);
/* Finds the empty placeholder of a prepared document (a file written
 * between prepare and embed by another process): the last /ByteRange whose
 * gap is a zero-filled /Contents and whose range ends at the end of the
 * file. Fills prep->byte_range and digest; prep->pdf points at pdf (not
 * owned: do not free it with mh_pdf_prepared_free). */
MH_PDF_API int mh_pdf_find_placeholder(uint8_t *pdf, size_t len,
                                       mh_pdf_prepared *prep) MH_WARN_UNUSED;

/* prepare, cms(), embed. On success *out (malloc'd) is the signed document. */
MH_PDF_API int mh_pdf_sign(const uint8_t *pdf, size_t len, const mh_pdf_sign_opts *opts,
                           mh_pdf_cms_fn cms, void *cms_ctx, uint8_t **out, size_t *out_len,
                           size_t *original_len) MH_WARN_UNUSED;

/* ---- verification ------------------------------------------------------- */

/* What a CMS verifier gets: the two signed byte ranges and their SHA-256. */
typedef struct mh_pdf_signed_data {
    const uint8_t *part[2];
    size_t part_len[2];
    uint8_t sha256[32];
} mh_pdf_signed_data;

/* Verifies the CMS SignedData `cms` (DER, exactly its length) over the
 * signed data. Returns 0 when the signature is valid, MH_ERR_VERIFY_FAILED
 * (or another code) when not; may write the signer's name into signer. */
typedef int (*mh_pdf_cms_verify_fn)(void *ctx, const mh_pdf_signed_data *data, const uint8_t *cms,
                                    size_t cms_len, char *signer, size_t signer_cap);

enum mh_pdf_sig_status {
    MH_PDF_SIG_VALID = 0,  /* byte range sound, digest matches, CMS valid */
    MH_PDF_SIG_UNCHECKED,  /* byte range and digest sound; no CMS verifier given */
    MH_PDF_SIG_BAD_RANGE,  /* /ByteRange does not cover the file as it must */
    MH_PDF_SIG_BAD_DIGEST, /* the CMS messageDigest is not the bytes' digest */
    MH_PDF_SIG_BAD_CMS,    /* the CMS is malformed or its signature is invalid */
    MH_PDF_SIG_MODIFIED    /* valid, but a later update changed the document
                              in a way its rules do not allow (see change) */
};

typedef struct mh_pdf_sig_report {
    char field[128];    /* the field's name, as far as it is printable */
    char subfilter[40]; /* e.g. "ETSI.CAdES.detached" */
    char signer[128];   /* from the CMS verifier, if it said */
    char when[40];      /* /M as written */
    enum mh_pdf_sig_status status;
    int cms_rc;                 /* the verifier's result (0 when valid) */
    size_t byte_range[4];       /* as written (when sane) */
    size_t revision_len;        /* bytes of the revision it signs */
    bool covers_whole;          /* revision_len == file length */
    bool later_changes_allowed; /* what later updates changed is allowed */
    char change[256];           /* the first disallowed change (or the
                                   problem with the signature), a sentence
                                   naming it, e.g. "an annotation was added
                                   on page 1 (object 12, /FreeText)" */
    bool by_mohur;              /* made by mohur (has /MH_OrigLen) */
    size_t original_len;        /* its /MH_OrigLen */
    bool original_hashed;       /* original_sha256 holds the SHA-256 of the first
                                   original_len bytes (hashed with the byte range) */
    uint8_t original_sha256[32];
    bool digest_checked; /* the CMS messageDigest attribute was found */
    bool cms_ber;        /* /Contents held BER (read as its DER form) */

    /* --- what kind of signature (from its signed dictionary) --- */
    bool certification;               /* a certification (DocMDP) signature, else approval */
    unsigned docmdp_p;                /* certification: its P (1, 2, 3); else 0 */
    bool doc_timestamp;               /* a document timestamp (/Type /DocTimeStamp,
                                         /SubFilter /ETSI.RFC3161): its /Contents is an RFC
                                         3161 token over the byte range, checked here with
                                         pki's TSP code (the verify callback is not called
                                         for it); signer is the TSA */
    bool filled_slot;                 /* it filled an empty signature field that existed
                                         before it (found when an earlier signature is
                                         compared with the document) */
    char contact[MH_PDF_CONTACT_MAX]; /* /ContactInfo as UTF-8 (mohur: the
                                         receipt URL), "" when absent */

    /* --- later updates (when !covers_whole) --- */
    unsigned mdp_in_force;     /* the DocMDP P that judged them (0: none) */
    unsigned later_revisions;  /* updates after its revision */
    unsigned slots_filled;     /* prepared slots filled by later signatures */
    unsigned new_sig_fields;   /* signature fields added later that were no
                                  slot (allowed only while the document is not
                                  certified: a legacy approval signature) */
    bool dss_added;            /* a DSS dictionary was added or extended */
    unsigned timestamps_added; /* document timestamps added */
    unsigned nchanges;         /* disallowed changes found (change: the first) */
} mh_pdf_sig_report;

typedef struct mh_pdf_verify_result {
    size_t nsigs;
    mh_pdf_sig_report sigs[MH_PDF_MAX_SIGS];
    size_t original_len;  /* before mohur's first update (== file length when none) */
    bool original_hashed; /* original_sha256: SHA-256 of the first original_len bytes */
    uint8_t original_sha256[32];
    bool all_valid;       /* every signature VALID (or UNCHECKED without a verifier) */
    unsigned docmdp_p;    /* the document's certification P (0: not certified) */
    unsigned empty_slots; /* signature fields still empty (slots not signed) */
} mh_pdf_verify_result;

/* Finds every signature field and checks each signature: /ByteRange starts
 * at 0 and covers the revision except exactly that signature's /Contents
 * hex string; the CMS messageDigest signed attribute equals the digest of
 * those bytes; the CMS verifier (when given) accepts it; and what later
 * updates changed.
 *
 * Later changes (docs/pdf.md has the whole rule): the signed revision is
 * compared object by object with the document as it is now, through the
 * cross-reference sections of the later updates. Allowed: filling an empty
 * signature field that existed in the signed revision (its /V set, its
 * widget's /AP set, nothing else of the widget), new objects reachable only
 * from those, /SigFlags and additions to the AcroForm's /DR; a DSS
 * dictionary and document timestamps (ISO 32000-2 12.8, ETSI EN 319 142-1);
 * with DocMDP P=3 also annotations other than widgets; while the document
 * is not certified, also new signature fields that hold a signature
 * (counted in new_sig_fields); with P=1 only DSS and document timestamps.
 * Everything else is MH_PDF_SIG_MODIFIED with a sentence naming it: new or
 * changed annotations, fields, pages, content, resources, catalog entries,
 * objects redefined (also to bytes inside the signed revision) or freed,
 * updates that do not build on the signed revision, and bytes after the
 * last %%EOF.
 *
 * Returns 0 when the document could be read (even if signatures are bad:
 * see res), else an error (MH_ERR_TOO_LARGE past the memory budget). A
 * document without signatures gives nsigs 0. */
MH_PDF_API int mh_pdf_document_verify(mh_pdf_document *doc, mh_pdf_cms_verify_fn verify,
                                      void *verify_ctx, mh_pdf_verify_result *res) MH_WARN_UNUSED;
MH_PDF_API int mh_pdf_verify(const uint8_t *pdf, size_t len, mh_pdf_cms_verify_fn verify,
                             void *verify_ctx, mh_pdf_verify_result *res) MH_WARN_UNUSED;

MH_PDF_API const char *mh_pdf_sig_status_name(enum mh_pdf_sig_status s);

/* ---- the DSS (ISO 32000-2 12.8.4.3, PAdES B-LT) ------------------------- */

/* Most entries read from each DSS array. */
#define MH_PDF_DSS_MAX 512

/* The document security store of the document as it is now: its
 * certificates, CRLs and OCSP responses, each a decoded stream (malloc'd;
 * free with mh_pdf_dss_free). Entries that are not streams, cannot be
 * decoded or are too large are skipped and counted in nbad (the first
 * such problem in `problem`). */
typedef struct mh_pdf_dss {
    bool present; /* the catalog has a /DSS dictionary */
    bool has_vri; /* ... with a /VRI dictionary (not read: it repeats entries) */
    size_t ncerts, ncrls, nocsps;
    uint8_t **certs, **crls, **ocsps;
    size_t *cert_len, *crl_len, *ocsp_len;
    unsigned nbad;
    char problem[120];
} mh_pdf_dss;

MH_PDF_API int mh_pdf_document_dss(mh_pdf_document *doc, mh_pdf_dss *dss) MH_WARN_UNUSED;
MH_PDF_API void mh_pdf_dss_free(mh_pdf_dss *dss);

/* ---- CMS through pki/ (pki_cms.h) --------------------------------------- */

/* The context of mh_pdf_cms_pki_sign: the CMS signer (its md and flags
 * are overridden: SHA-256, detached, PAdES), whose key is an mh_signer. */
typedef struct mh_pdf_pki_signer {
    const mh_cms_signer *signer;
} mh_pdf_pki_signer;

/* An mh_pdf_cms_fn that makes the CMS with mh_cms_sign_digest. */
MH_PDF_API int mh_pdf_cms_pki_sign(void *ctx, const uint8_t digest[32], uint8_t *out, size_t cap,
                                   size_t *len);
/* An mh_pdf_cms_verify_fn that checks the CMS with mh_cms_verify_digest
 * (ctx: an mh_cms_verify_opts, or NULL), and a signature timestamp in it
 * (MH_ERR_TIMESTAMP when one does not verify). Writes the signer's
 * subject. It does not validate the certificate path: that is the
 * caller's policy. */
MH_PDF_API int mh_pdf_cms_pki_verify(void *ctx, const mh_pdf_signed_data *data, const uint8_t *cms,
                                     size_t cms_len, char *signer, size_t signer_cap);

#endif
