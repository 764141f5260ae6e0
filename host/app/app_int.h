/* app_int.h - internal header of host/app. */
#ifndef MH_APP_INT_H
#define MH_APP_INT_H

#include <pthread.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

#include "mh_app.h"
#include "mh_cadb.h"
#include "mh_hsm.h"
#include "mh_pdf.h"
#include "mh_pki.h"

#define APP_PATH_MAX 1024
#define APP_TOKEN_LABEL "mohur"
#define APP_CONFIG_MAX ((size_t)1 << 20)
#define APP_TRUST_MAX 4

typedef struct app_issuer {
    mh_app_issuer_info info;
    uint8_t *cert; /* DER, from the state dir */
    size_t cert_len;
} app_issuer;

struct mh_app {
    char dir[APP_PATH_MAX];
    unsigned flags;
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
    bool has_crl;
    mh_receipt_key regkeys[APP_TRUST_MAX];
    size_t nregkeys;
    /* held for signing */
    mh_ledger *ledger;
    mh_cadb *cadb;
    mh_hsm_module *mod;
    mh_hsm_token *tok;
    mh_hsm_key *regkey;
    mbedtls_pk_context regpk;
    bool regpk_ok;
    /* the appliance's own RFC 3161 timestamp authority (config.json "tsa",
     * optional): with it, signatures are CAdES/PAdES B-T */
    char tsa_label[64];
    char tsa_cert_rel[APP_PATH_MAX];
    mh_hsm_key *tsakey;
    mbedtls_pk_context tsapk;
    bool tsa_ok;
    uint8_t *tsa_cert;
    size_t tsa_cert_len;
    /* the stamp caption's font (Azerbaijani, Cyrillic), made on first use */
    pthread_mutex_t font_lock;
    mh_font_kit *font_kit;
    bool font_failed;
    mh_pdf_font stamp_font;
    pthread_mutex_t rng_lock;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    bool rng_ok;
};

struct mh_app_signer {
    mh_app *app;
    const app_issuer *issuer;
    mh_hsm_module *own_mod; /* a module loaded for this signer only */
    mh_hsm_token *own_tok;
    mh_hsm_key *key;
    mbedtls_pk_context pk;
    uint8_t *cert;
    size_t cert_len;
    uint8_t fp[32];
    char subject[256];
};

/* A thread-safe random generator (f_rng for mbedTLS). */
int mh_app_rng(void *ctx, unsigned char *buf, size_t len);
int mh_app_rng_init(mh_app *a) MH_WARN_UNUSED;

/* Path helpers. */
int mh_app_path(char *out, size_t cap, const char *dir, const char *rel) MH_WARN_UNUSED;
/* Reads a whole file (regular, at most cap bytes); *buf malloc'd with a NUL
 * after the data. */
int mh_app_read_file(const char *path, size_t cap, uint8_t **buf, size_t *len) MH_WARN_UNUSED;
/* Writes a file atomically: PATH.tmp.<pid>.<n>, fsync, rename. */
int mh_app_write_file(const char *path, const void *buf, size_t len, unsigned mode) MH_WARN_UNUSED;
/* Writes to a temp name next to path; the caller renames it with
 * mh_app_commit or removes it. tmp gets the name. */
int mh_app_write_temp(const char *path, const void *buf, size_t len, unsigned mode, char *tmp,
                      size_t cap) MH_WARN_UNUSED;
/* PEM or DER certificate file to DER (malloc'd). */
int mh_app_read_cert(const char *path, uint8_t **der, size_t *len) MH_WARN_UNUSED;
int mh_app_write_pem(const char *path, const char *label, const uint8_t *der,
                     size_t len) MH_WARN_UNUSED;

/* Sets SOFTHSM2_CONF to the state dir's file (the embedded token store). */
int mh_app_softhsm_env(const char *dir) MH_WARN_UNUSED;

/* The subject of a certificate as text, best effort. */
void mh_app_cert_subject(const uint8_t *der, size_t len, char *out, size_t cap);
/* Validates a certificate's path to the root now (or at `when`). */
int mh_app_check_path(mh_app *a, const uint8_t *der, size_t len, int64_t when,
                      enum mh_path_purpose purpose, char *reason, size_t cap) MH_WARN_UNUSED;
const app_issuer *mh_app_find_issuer(const mh_app *a, const char *id);
const app_issuer *mh_app_issuer_by_cert(const mh_app *a, const uint8_t *der, size_t len);

/* Latin-1 transliteration of Azerbaijani letters for the stamp caption. */
/* The appliance's stamp font (built on first use; NULL if it cannot be). */
const mh_pdf_font *mh_app_stamp_font(mh_app *a);
void mh_app_caption_text(const char *in, char *out, size_t cap);

#endif
