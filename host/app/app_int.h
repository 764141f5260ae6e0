/* app_int.h - internal header of host/app. */
#ifndef MH_APP_INT_H
#define MH_APP_INT_H

#include <pthread.h>
#include <sys/stat.h>

#include "mh_app.h"
#include "mh_cadb.h"
#include "mh_doc.h"
#include "mh_hsm.h"
#include "mh_pdf.h"
#include "mh_pki.h"
#include "mh_qr.h"

#define APP_PATH_MAX 1024
#define APP_TOKEN_LABEL "mohur"
#define APP_CONFIG_MAX ((size_t)1 << 20)
#define APP_TRUST_MAX 4

#define APP_ISSUER_CERTS_MAX 8

/* An issuer of config.json: its kinds, and the certificates registered for
 * it (the appliance key's, and e.g. a notary's USB token's): the only
 * certificates whose signatures may open one of its documents. */
typedef struct app_issuer {
    mh_app_issuer_info info;
    size_t ncerts;
    uint8_t *cert[APP_ISSUER_CERTS_MAX]; /* DER, from the state dir */
    size_t cert_len[APP_ISSUER_CERTS_MAX];
    uint8_t fp[APP_ISSUER_CERTS_MAX][32]; /* SHA-256 of each */
} app_issuer;

/* What the appliance's CRL says about itself (trust.crl in config.json). */
enum app_crl_state {
    APP_CRL_OK = 0,
    APP_CRL_MISSING,    /* none configured, or the file is gone */
    APP_CRL_UNREADABLE, /* neither a PEM nor a DER CRL we can parse */
};

struct mh_app {
    char dir[APP_PATH_MAX];
    unsigned flags;
    /* MH_APP_PENDING_DIR, opened at mh_app_open (O_PATH; -1 when there is
     * none): mh_app_entry_pending looks in it after privileges are gone */
    int pending_fd;
    char registry[MH_APP_ID_MAX + 1];
    char host[MH_RECEIPT_HOST_MAX + 1];
    char token_uri[512];
    char module[APP_PATH_MAX]; /* "" : the embedded SoftHSM2 */
    char registry_label[64];
    char ca_label[64];
    size_t nissuers;
    app_issuer issuers[MH_APP_ISSUERS_MAX];
    /* trust: the root CA and the registry keys */
    uint8_t *root_der;
    size_t root_len;
    mh_x509_cert root;
    uint8_t *crl_der;
    size_t crl_len;
    mh_x509_crl crl;
    enum app_crl_state crl_state;
    char crl_problem[200]; /* why, when not OK */
    mh_receipt_key regkeys[APP_TRUST_MAX];
    size_t nregkeys;
    /* held for signing */
    mh_ledger *ledger;
    mh_cadb *cadb;
    mh_hsm_module *mod;
    mh_hsm_token *tok;
    mh_hsm_key *regkey;
    mh_signer regsigner;
    bool regpk_ok;
    /* mohurd's ledger process (MH_APP_NO_TOKEN): the keys sign elsewhere
     * (keys_remote.c); the registry key's certificate holds its SPKI */
    bool reg_remote, tsa_remote;
    uint8_t *reg_cert;
    size_t reg_cert_len;
    /* the appliance's own RFC 3161 timestamp authority (config.json "tsa",
     * optional): with it, signatures are CAdES/PAdES B-T */
    char tsa_label[64];
    char tsa_cert_rel[APP_PATH_MAX];
    mh_hsm_key *tsakey;
    mh_signer tsasigner;
    bool tsa_ok;
    uint8_t *tsa_cert;
    size_t tsa_cert_len;
    /* the stamp caption's font (Azerbaijani, Cyrillic), made on first use */
    pthread_mutex_t font_lock;
    mh_font_kit *font_kit;
    bool font_failed;
    mh_pdf_font stamp_font;
};

struct mh_app_signer {
    mh_app *app;
    const app_issuer *issuer; /* NULL: a party (co-signing), not an issuer */
    mh_hsm_module *own_mod;   /* a module loaded for this signer only */
    mh_hsm_token *own_tok;
    mh_hsm_key *key;
    mh_signer signer;
    bool remote; /* signer signs elsewhere (mh_app_signer_open_remote) */
    /* mh_app_signer_open_external: the far side's signer (a party's own
     * token, on the party's machine); each of its signatures is checked
     * against the certificate's key before a flow uses it */
    mh_signer ext;
    uint8_t *cert;
    size_t cert_len;
    uint8_t fp[32];
    char subject[256];
};

/* Path helpers. */
int mh_app_path(char *out, size_t cap, const char *dir, const char *rel) MH_WARN_UNUSED;
/* Reads a whole file (regular, at most cap bytes); *buf malloc'd with a NUL
 * after the data. */
int mh_app_read_file(const char *path, size_t cap, uint8_t **buf, size_t *len) MH_WARN_UNUSED;
/* A regular file mapped read-only (verifying: the page cache is read in
 * place, so memory does not grow with the file). */
typedef struct app_map {
    uint8_t *p; /* the bytes (NUL-terminated only when empty) */
    size_t len;
    int fd;
    bool mapped;
    struct stat st; /* as it was when mapped */
} app_map;
/* Maps path (a regular file of at most cap bytes). Errors as
 * mh_app_read_file's. */
int mh_app_map_file(const char *path, size_t cap, app_map *m) MH_WARN_UNUSED;
/* 0 when the file is still as it was mapped (same size, modification and
 * change times); else MH_ERR_IO with a sentence: its bytes may have
 * changed while they were read, so no verdict on them stands. */
int mh_app_map_check(const app_map *m) MH_WARN_UNUSED;
void mh_app_unmap_file(app_map *m);
/* Writes a file atomically: PATH.tmp.<pid>.<n>, fsync, rename. */
int mh_app_write_file(const char *path, const void *buf, size_t len, unsigned mode) MH_WARN_UNUSED;
/* Writes to a temp name next to path; the caller renames it with
 * mh_app_commit or removes it. tmp gets the name. */
int mh_app_write_temp(const char *path, const void *buf, size_t len, unsigned mode, char *tmp,
                      size_t cap) MH_WARN_UNUSED;
/* PEM or DER certificate file to DER (malloc'd). */
int mh_app_read_cert(const char *path, uint8_t **der, size_t *len) MH_WARN_UNUSED;
/* A CRL file, PEM or DER, to DER (malloc'd). MH_ERR_NOT_FOUND when absent. */
int mh_app_read_crl(const char *path, uint8_t **der, size_t *len) MH_WARN_UNUSED;
/* PEM of der with this label (64-character lines), malloc'd and
 * NUL-terminated; *olen without the NUL. */
int mh_app_pem(const char *label, const uint8_t *der, size_t len, char **out,
               size_t *olen) MH_WARN_UNUSED;
int mh_app_write_pem(const char *path, const char *label, const uint8_t *der,
                     size_t len) MH_WARN_UNUSED;

/* Sets SOFTHSM2_CONF to the state dir's file (the embedded token store). */
int mh_app_softhsm_env(const char *dir) MH_WARN_UNUSED;

/* The subject of a certificate as text, best effort. */
void mh_app_cert_subject(const uint8_t *der, size_t len, char *out, size_t cap);
/* The subject's common name (else the whole subject), for captions. */
void mh_app_cert_cn(const uint8_t *der, size_t len, char *out, size_t cap);
/* Validates a certificate's path to the root at `when` (0: now), its
 * revocation against the appliance's CRL, which must be current now:
 * MH_ERR_CRL_MISSING when the CRL is missing, unreadable or out of date
 * (revocation status unknown: never a pass). poe: a time the signature is
 * proven to have existed at (a timestamp), 0 if none: a revocation dated
 * after it does not count. */
int mh_app_check_path(mh_app *a, const uint8_t *der, size_t len, int64_t when, int64_t poe,
                      enum mh_path_purpose purpose, char *reason, size_t cap) MH_WARN_UNUSED;
const app_issuer *mh_app_find_issuer(const mh_app *a, const char *id);
/* The registered certificate with SHA-256 fp (the issuer's first, then
 * any issuer's), or NULL; *len its length. */
const uint8_t *mh_app_registered_cert(const mh_app *a, const char *issuer, const uint8_t fp[32],
                                      size_t *len);
/* The issuer a certificate is registered for (NULL: none). */
const app_issuer *mh_app_issuer_by_cert(const mh_app *a, const uint8_t *der, size_t len);

/* Verifies a signed PDF held in memory (mh_app_verify_file's PDF path),
 * on the caller's open document when pdoc is not NULL (one parse). */
int mh_app_verify_pdf_bytes(mh_app *a, const uint8_t *doc, size_t len, mh_pdf_document *pdoc,
                            mh_app_verdict *v) MH_WARN_UNUSED;

/* ---- signatures the appliance makes (sign.c) ---------------------------------- */

typedef struct app_pdf_job {
    const uint8_t *doc;
    size_t len;
    mh_pdf_document *pdoc; /* the document already open (one parse), or NULL */
    const mh_kind *kind;
    const mh_app_signer *signer;
    const char *who; /* the caption's first line: the issuer, or the party */
    const char *url; /* the receipt URL (/ContactInfo of the signature) */
    const mh_qr *qr; /* the first signature: its QR stamp; NULL for a party */
    unsigned slot;   /* a party: the prepared signature field it fills (1..) */
    bool rendered;   /* made by mohur from a template (mh_pdf's made_by_mohur) */
    const mh_pdf_font *font;
    int64_t when;
    const mh_app_stamp *stamp;     /* the signer's place for the stamp; NULL: the kind's */
    const mh_app_request *request; /* the flow's, for remote keys (NULL: none) */
    /* co-signing with a key elsewhere (mh_app_cosign_prepare): signer is
     * NULL, name is the party's subject, and the update is only prepared
     * (an empty /Contents) into *prepare instead of signed */
    const char *name;
    mh_pdf_prepared *prepare;
} app_pdf_job;

/* The PDF with its new signature (malloc'd), and the original length. */
int mh_app_sign_pdf(mh_app *a, const app_pdf_job *j, uint8_t **out, size_t *out_len,
                    size_t *orig_len) MH_WARN_UNUSED;
/* A detached CAdES signature of a document (its SHA-256 digest, doc_len
 * bytes long) (malloc'd). */
int mh_app_sign_cades(mh_app *a, const mh_app_signer *s, const mh_app_request *rq,
                      const uint8_t digest[32], size_t doc_len, int64_t when, uint8_t **cms,
                      size_t *len) MH_WARN_UNUSED;

/* The signer a flow signs with: k itself, or for a remote key (remote) a
 * copy whose ctx is an mh_app_remote_call with the flow's request rq
 * (keys_remote.c). *tmp holds the copy: it must stay where it is while the
 * result signs. */
typedef struct app_bound {
    mh_signer s;
    mh_app_remote_call call;
} app_bound;
const mh_signer *mh_app_bind(const mh_signer *k, bool remote, const mh_app_request *rq,
                             app_bound *tmp);

/* The receipt URL of a scanned QR text (trailing newline and spaces
 * dropped; MH_ERR_TOO_LARGE when it cannot be one). */
int mh_app_qr_url(const char *qr_text, char url[MH_RECEIPT_URL_MAX]) MH_WARN_UNUSED;
/* A verdict's receipt part from decoded claims (verify.c). */
void mh_app_verdict_claims(mh_app_verdict *v, const mh_receipt_claims *c);

/* ---- the trust policy (policy.c; docs/trust.md) ----------------------------- */

/* A certificate may sign documents: not a CA (no cA, no keyCertSign or
 * cRLSign), keyUsage present with nonRepudiation (first, an issuer's
 * signature) or digitalSignature/nonRepudiation (a party's), an EKU, if
 * any, that allows document signing. MH_ERR_PERMISSION with `why`. */
int mh_app_policy_signer_cert(const uint8_t *der, size_t len, bool issuer, char *why,
                              size_t cap) MH_WARN_UNUSED;
/* The first signature of a document of kind k: the issuer may issue k,
 * and cert is one of the certificates registered for it. */
int mh_app_policy_issuer(const app_issuer *is, const mh_kind *k, const uint8_t *cert, size_t len,
                         char *why, size_t cap) MH_WARN_UNUSED;
/* cert is one of the issuer's registered certificates, fit to sign. */
int mh_app_policy_issuer_cert(const app_issuer *is, const uint8_t *cert, size_t len, char *why,
                              size_t cap) MH_WARN_UNUSED;
/* Signature number `position` (0 = the issuer's) of a document of kind k
 * by a party: the kind has that many parties. */
int mh_app_policy_party(const mh_kind *k, size_t position, const uint8_t *cert, size_t len,
                        char *why, size_t cap) MH_WARN_UNUSED;
/* A printed number (the last part of a document id): 1-64 bytes of UTF-8
 * text, no control characters, no '\', no leading or trailing space, not
 * "." or ".."; '/' only when slash_ok (a notary act "17/2026"; never on a
 * roster, where each number becomes a file name). */
int mh_app_policy_number(const char *number, const char *what, bool slash_ok) MH_WARN_UNUSED;
/* A document id "<issuer>/<kind>/<number>" for this issuer and kind. */
int mh_app_policy_doc_id(const char *issuer, const mh_kind *k, const char *id) MH_WARN_UNUSED;
/* The kind's QR level as mh_qr's enum. */
int mh_app_policy_qr_level(const mh_kind *k);

/* Latin-1 transliteration of Azerbaijani letters for the stamp caption. */
/* The appliance's stamp font (built on first use; NULL if it cannot be). */
const mh_pdf_font *mh_app_stamp_font(mh_app *a);
void mh_app_caption_text(const char *in, char *out, size_t cap);

#endif
