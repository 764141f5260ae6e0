/* signer.c - the signing interface's two entry points and its names
 * (common_signer.h). */
#include "mh_common.h"

#include <string.h>

static const char *const alg_names[] = {
    [MH_SIG_AUTO] = "auto",       [MH_SIG_ECDSA] = "ecdsa",     [MH_SIG_RSA_PKCS1] = "rsa-pkcs1",
    [MH_SIG_RSA_PSS] = "rsa-pss", [MH_SIG_ED25519] = "ed25519", [MH_SIG_DSA] = "dsa",
};

const char *mh_sig_alg_name(enum mh_sig_alg a)
{
    if ((unsigned)a >= sizeof alg_names / sizeof alg_names[0])
        return "unknown";
    return alg_names[a];
}

enum mh_sig_alg mh_sig_alg_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof alg_names / sizeof alg_names[0]; i++) {
        if (strcmp(name, alg_names[i]) == 0)
            return (enum mh_sig_alg)i;
    }
    return (enum mh_sig_alg) - 1;
}

static int check(const mh_signer *s, uint8_t *sig, size_t *sig_len)
{
    if (!s || !s->sign || !sig || !sig_len)
        return mh_err_set(MH_ERR_INVALID_ARG, "signing: no signer or no room for the signature");
    *sig_len = 0;
    return MH_OK;
}

int mh_signer_sign(const mh_signer *s, mbedtls_md_type_t md, const uint8_t *digest, size_t len,
                   enum mh_sig_enc enc, uint8_t *sig, size_t cap, size_t *sig_len)
{
    int rc = check(s, sig, sig_len);
    if (rc)
        return rc;
    if (s->alg == MH_SIG_ED25519)
        return mh_err_set(MH_ERR_KEY_TYPE, "%s%san Ed25519 key signs whole messages, not digests",
                          s->name ? s->name : "", s->name ? ": " : "");
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    if (!mi || !digest || mbedtls_md_get_size(mi) != len)
        return mh_err_set(MH_ERR_INVALID_ARG,
                          "signing: the digest is %zu bytes long, which does not fit its hash",
                          len);
    return s->sign(s, md, digest, len, false, enc, sig, cap, sig_len);
}

int mh_signer_sign_message(const mh_signer *s, mbedtls_md_type_t md, const uint8_t *msg, size_t len,
                           enum mh_sig_enc enc, uint8_t *sig, size_t cap, size_t *sig_len)
{
    int rc = check(s, sig, sig_len);
    if (rc)
        return rc;
    if (!msg && len)
        return mh_err_set(MH_ERR_INVALID_ARG, "signing: no message");
    if (s->alg == MH_SIG_ED25519)
        return s->sign(s, MBEDTLS_MD_NONE, msg ? msg : (const uint8_t *)"", len, true, enc, sig,
                       cap, sig_len);
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    uint8_t d[MBEDTLS_MD_MAX_SIZE];
    if (!mi)
        return mh_err_set(MH_ERR_INVALID_ARG, "signing: no hash was chosen for the message");
    if (mbedtls_md(mi, msg ? msg : (const uint8_t *)"", len, d) != 0)
        return mh_err_set(MH_ERR_INTERNAL, "signing: hashing the message failed");
    rc = s->sign(s, md, d, mbedtls_md_get_size(mi), false, enc, sig, cap, sig_len);
    mh_wipe(d, sizeof d);
    return rc;
}
