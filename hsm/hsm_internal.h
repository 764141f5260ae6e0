/* hsm_internal.h - shared between the files of hsm/; not installed. */
#ifndef MH_HSM_INTERNAL_H
#define MH_HSM_INTERNAL_H

#include <pthread.h>

#include <p11-kit/pkcs11.h>

#include "mh_hsm.h"

/* CKR_* to our error code, with the sentence left by mh_err_set(). `doing`
 * says what was being done ("signing with key 'seal'"). */
int mh_p11_err(CK_RV rv, const char *doing);
/* Name of a CKR_* value ("CKR_PIN_INCORRECT"). */
const char *mh_ckr_name(CK_RV rv);
/* True for return values that mean the token or session went away. */
int mh_ckr_is_lost(CK_RV rv);

struct mh_hsm_module {
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    char *path;
    mh_hsm_config cfg;
    pthread_mutex_t lock; /* protects tokens list */
    struct mh_hsm_token *tokens;
};

/* A token and its pool of sessions. Sessions are all logged in together
 * (PKCS#11 login state is per application and token). When a call reports
 * the token removed or the session lost, the pool is dropped, `generation`
 * goes up, and the next borrow finds the token again and logs in again
 * with the same PIN source (a PIN typed at the prompt is asked again). */
struct mh_hsm_token {
    mh_hsm_module *mod;
    struct mh_hsm_token *next;
    mh_p11_uri uri; /* the selector given at open (owned copy) */
    CK_SLOT_ID slot;
    char label[33], serial[17];
    bool pinpad;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    CK_SESSION_HANDLE *free_sessions; /* stack of idle sessions */
    unsigned n_free, n_open, max;
    unsigned long generation; /* bumped whenever the pool is dropped */
    bool want_login;          /* the user asked to be logged in */
    int login_src;            /* how: enum login_src in login.c */
    bool logged_in;
    bool login_failed; /* a wrong PIN: never log in again by itself */
    bool lost;         /* token went away; rebuild on next borrow */
};

/* Borrows a session (opening one if the pool may grow). Rebuilds a lost
 * token and logs in again first when needed. */
int mh_tok_borrow(mh_hsm_token *tok, CK_SESSION_HANDLE *s, unsigned long *gen);
/* Gives it back; `rv` is the last PKCS#11 result seen on it: a "lost"
 * value drops the whole pool. */
void mh_tok_return(mh_hsm_token *tok, CK_SESSION_HANDLE s, unsigned long gen, CK_RV rv);
/* Logs the user in on session s from the token's PIN source (lock held). */
int mh_tok_login_locked(mh_hsm_token *tok, CK_SESSION_HANDLE s);
/* Context-specific login for a CKA_ALWAYS_AUTHENTICATE key, on s. */
int mh_tok_login_context(mh_hsm_token *tok, CK_SESSION_HANDLE s, const char *keylabel);

struct mh_hsm_key {
    mh_hsm_token *tok;
    enum mh_key_type type;
    CK_KEY_TYPE ck_type;
    unsigned bits;
    char label[128];
    uint8_t id[MH_P11_ID_MAX];
    size_t id_len;
    bool always_auth;
    /* object handles, valid for `generation` of the token */
    pthread_mutex_t lock;
    unsigned long generation, pub_generation;
    CK_OBJECT_HANDLE priv, pub;
    bool has_pub_obj;
    /* cached public key */
    uint8_t spki[1100];
    size_t spki_len;
    /* EC: the curve's field size in bytes; RSA: modulus bytes */
    size_t nbytes;
};

/* Ensures key->pub (if the token has a public key object) and, with
 * need_priv, key->priv are valid for session generation gen. */
int mh_key_handles(mh_hsm_key *key, CK_SESSION_HANDLE s, unsigned long gen, bool need_priv);

/* Reads one attribute into a malloc'd buffer (*val) with its length. */
CK_RV mh_p11_get_attr(mh_hsm_module *mod, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                      CK_ATTRIBUTE_TYPE t, uint8_t **val, size_t *len);

/* Copies a blank-padded PKCS#11 string into a NUL-terminated C string. */
void mh_p11_str(char *dst, size_t cap, const CK_UTF8CHAR *src, size_t srclen);

#endif
