/* val_int.h - internal header of host/validate: the context, the working
 * set of one validation (every certificate and CRL found, parsed once),
 * and the signature core the CAdES and PAdES front parts share. */
#ifndef MH_VAL_INT_H
#define MH_VAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_pki.h"
#include "mh_validate.h"

/* A certificate or CRL with its bytes (owned by whoever says) and its
 * parsed form, which points into them. */
typedef struct val_cert {
    const uint8_t *der;
    size_t len;
    mh_x509_cert x;
} val_cert;

typedef struct val_crl {
    const uint8_t *der;
    size_t len;
    mh_x509_crl x;
} val_crl;

struct mh_val_ctx {
    val_cert **anchors; /* each malloc'd, with its der malloc'd */
    size_t nanchors;
    val_cert **certs;
    size_t ncerts;
    val_crl **crls;
    size_t ncrls;
    bool appliance;
    int64_t now;        /* 0: the clock */
    size_t skipped;     /* certificates in bundles that could not be read */
    char skip_why[200]; /* the first one's reason */
};

/* Where a CRL came from (for the report). */
enum val_src { VAL_SRC_GIVEN = 0, VAL_SRC_CMS, VAL_SRC_DSS };

/* The working set of one validation: the context's certificates and CRLs
 * and everything the document carries, each parsed once; bytes it must
 * free (converted tokens) are kept until set_free. */
typedef struct val_set {
    const mh_val_ctx *ctx;
    int64_t now;
    val_cert **certs; /* the document's (the context's are used directly) */
    size_t ncerts, ccap;
    val_crl **crls;
    size_t ncrls, rcap;
    void **keep;
    size_t nkeep, kcap;
    size_t crls_by_src[3];
    /* for mh_cms_verify_opts: every untrusted certificate's DER */
    const uint8_t **der;
    size_t *der_len;
    size_t nder;
    mh_path_work *work;
} val_set;

int val_set_init(val_set *s, const mh_val_ctx *c);
void val_set_free(val_set *s);
/* Adds a certificate (skipped when it does not parse or is there already). */
void val_set_cert(val_set *s, const uint8_t *der, size_t len);
/* Adds a CRL (skipped likewise). */
void val_set_crl(val_set *s, const uint8_t *der, size_t len, enum val_src src);
/* Frees p with the set. MH_ERR_NOMEM (p freed now) when it cannot. */
int val_set_keep(val_set *s, void *p);
/* The certificates and CRLs of a CMS SignedData result: its certificates
 * field, its crls field. */
void val_set_cms(val_set *s, const mh_cms_result *r);
/* mh_cms_verify_opts with every untrusted certificate of the set. */
void val_set_opts(val_set *s, mh_cms_verify_opts *o);

/* A finding: the signature's indication becomes the worse of the two;
 * among equals the first reason stays. */
void val_worse(mh_val_sig *g, enum mh_val_indication ind, enum mh_val_sub sub, const char *fmt, ...)
    MH_PRINTF(4, 5);
void val_note(mh_val_sig *g, bool unchecked, const char *fmt, ...) MH_PRINTF(3, 4);

/* The time a PDF's or CMS's data came from, for hashing: up to two parts. */
typedef struct val_data {
    const uint8_t *part[2];
    size_t len[2];
} val_data;

/* Validates one timestamp token (DER) over data: its signature and
 * imprint, then its TSA's path at genTime against the trust store (poe:
 * a proven time the token existed by, from a later timestamp; 0 none).
 * Fills ts; returns true when it is TOTAL-PASSED. */
bool val_timestamp(val_set *s, const uint8_t *tok, size_t len, const val_data *data, int64_t poe,
                   mh_val_ts *ts);

/* The core of one CMS signer: res (from mh_cms_verify*) and its signer
 * index; cms the DER the result points into; poe the earliest time a
 * later document timestamp proves it existed by (0: none). Fills g. */
void val_signer(val_set *s, const mh_cms_result *res, size_t index, int64_t poe, mh_val_sig *g);

/* Certificates and CRLs a signer carries in its attributes (CAdES
 * certificate-values and revocation-values, Adobe's revocationInfoArchival):
 * added to the set before any path is validated. */
void val_signer_data(val_set *s, const mh_cms_signer_result *r);

/* The signer's subject text for the report. */
void val_subject(const uint8_t *der, size_t len, char *out, size_t cap);

/* Fills the document's indication from its signatures. */
void val_report_finish(mh_val_report *rep);

#endif
