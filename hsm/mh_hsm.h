/*
 * mh_hsm.h - keys on smart cards and HSMs, through PKCS#11.
 *
 * The only public header of hsm/, and hsm/ is the only part of mohur that
 * includes the PKCS#11 header. Everything is named by RFC 7512 PKCS#11 URIs.
 *
 * Objects:
 *   mh_p11_uri      a parsed RFC 7512 URI (plain struct, owned strings)
 *   mh_hsm_module   a loaded PKCS#11 module (C_Initialize done, OS locking)
 *   mh_hsm_token    one token of a module: a session pool and login state
 *   mh_hsm_key      a key pair (private key plus its public half) on a token
 *
 * Thread safety: a module, its tokens and keys may be used from several
 * threads at once; each signing call borrows a session from the token's pool.
 *
 * PINs: read from pin-source (file:PATH), from the prompt callback (a
 * no-echo terminal prompt by default), or entered on the reader's PIN pad.
 * A PIN is wiped right after C_Login. A wrong PIN is never retried by mohur:
 * the token stays logged out until the caller calls mh_hsm_login() again.
 */
#ifndef MH_HSM_H
#define MH_HSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

#include "mh_common.h"

#define MH_API __attribute__((visibility("default")))

/* ---- RFC 7512 URIs ---------------------------------------------------- */

enum mh_p11_objtype {
    MH_P11_TYPE_ANY = 0,
    MH_P11_TYPE_PRIVATE,
    MH_P11_TYPE_PUBLIC,
    MH_P11_TYPE_CERT,
    MH_P11_TYPE_SECRET,
    MH_P11_TYPE_DATA
};

#define MH_P11_ID_MAX 64

typedef struct mh_p11_uri {
    /* token attributes */
    char *token, *manufacturer, *serial, *model;
    /* slot attributes */
    char *slot_description, *slot_manufacturer;
    bool has_slot_id;
    unsigned long slot_id;
    /* library attributes */
    char *library_manufacturer, *library_description, *library_version;
    /* object attributes */
    char *object;
    bool has_id;
    uint8_t id[MH_P11_ID_MAX];
    size_t id_len;
    enum mh_p11_objtype type;
    /* query attributes */
    char *module_name, *module_path, *pin_source;
} mh_p11_uri;

/* Parses "pkcs11:..." into *uri (which is zeroed first). A pin-value
 * attribute is refused with MH_ERR_PIN_IN_URI. Unknown path attributes are
 * refused; unknown query attributes are ignored, as RFC 7512 says. */
MH_API int mh_p11_uri_parse(const char *text, mh_p11_uri *uri) MH_WARN_UNUSED;
/* Writes the URI in RFC 7512 form with percent-encoding where needed.
 * Returns MH_ERR_BUFFER_TOO_SMALL when it does not fit. */
MH_API int mh_p11_uri_format(const mh_p11_uri *uri, char *buf, size_t len) MH_WARN_UNUSED;
MH_API void mh_p11_uri_free(mh_p11_uri *uri);

/* ---- modules ---------------------------------------------------------- */

typedef struct mh_hsm_module mh_hsm_module;
typedef struct mh_hsm_token mh_hsm_token;
typedef struct mh_hsm_key mh_hsm_key;

/* Asks for a PIN. Writes a NUL-terminated PIN of at most cap-1 bytes into
 * buf and returns 0, or returns MH_ERR_CANCELLED. `what` names the token. */
typedef int (*mh_pin_prompt_fn)(void *arg, const char *what, char *buf, size_t cap);

typedef struct mh_hsm_config {
    /* Colon-separated list of directories a module may be loaded from.
     * NULL: the environment variable MOHUR_MODULE_DIRS, else the system's
     * library directories (/usr/lib, /usr/lib64, /usr/local/lib and their
     * subdirectories). */
    const char *module_dirs;
    /* Most sessions a token keeps open at once (0: 8). */
    unsigned pool_max;
    /* Used when no pin-source is given and the token has no PIN pad.
     * NULL: mh_hsm_prompt_tty (no-echo prompt on /dev/tty). */
    mh_pin_prompt_fn prompt;
    void *prompt_arg;
} mh_hsm_config;

/* The built-in prompt: reads from /dev/tty with echo off. */
MH_API int mh_hsm_prompt_tty(void *arg, const char *what, char *buf, size_t cap);

/* Loads the module named by uri's module-path or module-name (a p11-kit
 * registry name such as "softhsm2" or "opensc-pkcs11"); with neither, the
 * embedded default SoftHSM2. Calls C_Initialize with OS locking. */
MH_API int mh_hsm_module_load(const mh_p11_uri *uri, const mh_hsm_config *cfg,
                              mh_hsm_module **out) MH_WARN_UNUSED;
/* Closes all tokens of the module, then C_Finalize and dlclose. */
MH_API void mh_hsm_module_unload(mh_hsm_module *mod);

/* The file the module was loaded from (resolved path). */
MH_API const char *mh_hsm_module_path(const mh_hsm_module *mod);

/* ---- tokens ----------------------------------------------------------- */

typedef struct mh_hsm_token_info {
    unsigned long slot_id;
    char slot_description[65];
    bool token_present;
    char label[33], manufacturer[33], model[17], serial[17];
    unsigned long flags; /* CKF_* token flags, as the token reports them */
    bool initialized, login_required, protected_auth_path, write_protected;
    /* PIN state from the flags: -1 unknown, else tries left as far as the
     * token tells (3 = no failure seen, 2 = "count low", 1 = "final try",
     * 0 = locked). */
    int user_pin_tries;
    const char *pin_state; /* "ok", "2 tries left" ..., never NULL */
    unsigned long min_pin, max_pin;
} mh_hsm_token_info;

/* Lists the slots of the module (with and without a token). *out is
 * malloc'd; free it with free(). */
MH_API int mh_hsm_slots(mh_hsm_module *mod, mh_hsm_token_info **out, size_t *n) MH_WARN_UNUSED;

/* Finds the one token matching the URI's token attributes and opens it.
 * The URI is kept (its pin-source is used to log in again after the token
 * was removed and put back). */
MH_API int mh_hsm_token_open(mh_hsm_module *mod, const mh_p11_uri *uri,
                             mh_hsm_token **out) MH_WARN_UNUSED;
MH_API void mh_hsm_token_close(mh_hsm_token *tok);

/* Initialises a new token in the first slot whose token is not initialised
 * yet (SoftHSM2 always keeps one free), sets its label, SO PIN and user PIN.
 * The caller keeps and wipes the PINs. Writes the new token's slot id. */
MH_API int mh_hsm_token_init(mh_hsm_module *mod, const char *label, const char *so_pin,
                             const char *user_pin, unsigned long *slot_id) MH_WARN_UNUSED;
MH_API int mh_hsm_token_info_get(mh_hsm_token *tok, mh_hsm_token_info *info) MH_WARN_UNUSED;

/* Logs the user in: PIN from the URI's pin-source, else from the PIN pad
 * when the reader has one, else from the prompt. Never retries by itself.
 * On a wrong PIN the error detail says how many tries are left. */
MH_API int mh_hsm_login(mh_hsm_token *tok) MH_WARN_UNUSED;
/* Logs in with a PIN the caller already has (e.g. from the daemon's
 * configuration). The caller keeps and wipes pin. */
MH_API int mh_hsm_login_pin(mh_hsm_token *tok, const char *pin, size_t pin_len) MH_WARN_UNUSED;
MH_API bool mh_hsm_logged_in(mh_hsm_token *tok);
MH_API void mh_hsm_logout(mh_hsm_token *tok);

/* ---- keys ------------------------------------------------------------- */

enum mh_key_type {
    MH_KEY_NONE = 0,
    MH_KEY_EC_P256,
    MH_KEY_EC_P384,
    MH_KEY_RSA_2048,
    MH_KEY_RSA_3072,
    MH_KEY_RSA_4096,
    MH_KEY_ED25519,
    MH_KEY_RSA_OTHER,
    MH_KEY_EC_OTHER
};

/* "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519". */
MH_API enum mh_key_type mh_key_type_from_name(const char *name);
MH_API const char *mh_key_type_name(enum mh_key_type t);

typedef struct mh_hsm_key_info {
    enum mh_key_type type;
    unsigned bits;
    char label[128];
    uint8_t id[MH_P11_ID_MAX];
    size_t id_len;
    bool has_private, has_public, has_cert;
    bool always_authenticate, sensitive, extractable;
} mh_hsm_key_info;

/* Generates a key pair on the token (private: sensitive, non-extractable,
 * token object). With id_len 0 a random 16-byte CKA_ID is chosen. Refuses a
 * label or id that is already used (MH_ERR_ALREADY_EXISTS). */
MH_API int mh_hsm_key_generate(mh_hsm_token *tok, enum mh_key_type type, const char *label,
                               const uint8_t *id, size_t id_len, mh_hsm_key **out) MH_WARN_UNUSED;
/* Finds the one key pair matching the URI's object/id attributes. */
MH_API int mh_hsm_key_find(mh_hsm_token *tok, const mh_p11_uri *uri,
                           mh_hsm_key **out) MH_WARN_UNUSED;
/* Lists key pairs (grouped by CKA_ID) and their certificates. */
MH_API int mh_hsm_key_list(mh_hsm_token *tok, mh_hsm_key_info **out, size_t *n) MH_WARN_UNUSED;
MH_API void mh_hsm_key_free(mh_hsm_key *key);
MH_API int mh_hsm_key_info_get(mh_hsm_key *key, mh_hsm_key_info *info) MH_WARN_UNUSED;
/* The key's URI (token, object, id, type=private). */
MH_API int mh_hsm_key_uri(mh_hsm_key *key, char *buf, size_t len) MH_WARN_UNUSED;

/* The public key as DER SubjectPublicKeyInfo (also for Ed25519). */
MH_API int mh_hsm_key_public_der(mh_hsm_key *key, uint8_t *buf, size_t cap,
                                 size_t *len) MH_WARN_UNUSED;
/* Stores a DER X.509 certificate on the token with the key's CKA_ID and
 * label. The certificate's public key must be the key's. */
MH_API int mh_hsm_key_import_cert(mh_hsm_key *key, const uint8_t *der, size_t len) MH_WARN_UNUSED;
/* Reads the certificate stored next to the key (MH_ERR_NOT_FOUND if none).
 * *der is malloc'd. */
MH_API int mh_hsm_key_cert(mh_hsm_key *key, uint8_t **der, size_t *len) MH_WARN_UNUSED;

/* ---- signing ---------------------------------------------------------- */

/* Fills *out with the mh_signer of a token key (common_signer.h): the
 * algorithm alg (MH_SIG_AUTO: what the key implies, ECDSA, RSA PKCS#1 v1.5
 * or Ed25519; MH_SIG_RSA_PSS for an RSA key to sign with PSS, MGF1 with
 * the message hash and a salt as long) is checked against the key here
 * (MH_ERR_KEY_TYPE). The signer refers to the key, which must outlive it.
 * ECDSA signatures come as the token makes them (r || s, MH_SIG_RAW) or in
 * canonical DER (MH_SIG_DER); a key that needs a context-specific login
 * (CKA_ALWAYS_AUTHENTICATE) asks for its PIN at each signature, and a wrong
 * PIN there is MH_ERR_PIN_INCORRECT as at any login. */
MH_API int mh_hsm_key_signer(mh_hsm_key *key, enum mh_sig_alg alg, mh_signer *out) MH_WARN_UNUSED;

/* Verifies with the token's public key. ECDSA signatures must be canonical
 * DER. Returns 0 or MH_ERR_VERIFY_FAILED. (hsm/ checks what its own tokens
 * make; every other signature is pki/sig's to judge.) */
MH_API int mh_hsm_verify_digest(mh_hsm_key *key, enum mh_sig_alg alg, mbedtls_md_type_t md,
                                const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                                size_t sig_len) MH_WARN_UNUSED;
MH_API int mh_hsm_verify_message(mh_hsm_key *key, enum mh_sig_alg alg, mbedtls_md_type_t md,
                                 const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                                 size_t sig_len) MH_WARN_UNUSED;

#endif
