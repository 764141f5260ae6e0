/* soft_signer.c - a software key (an mbedtls_pk_context) as an mh_signer,
 * for tests, benchmarks and key files (pki_sig.h). Signatures are made in
 * the form asked for (ECDSA: DER from mbedTLS's own writer, or r || s from
 * the bare values), never converted from one to the other. Host side: the
 * firmware does not compile it. */
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"

static int ecdsa_sign(mbedtls_ecp_keypair *ec, mbedtls_md_type_t md, const uint8_t *hash,
                      size_t hlen, enum mh_sig_enc enc, uint8_t *sig, size_t cap, size_t *sig_len)
{
    if (enc == MH_SIG_DER) {
        uint8_t buf[MBEDTLS_ECDSA_MAX_LEN];
        size_t n = 0;
        if (mbedtls_ecdsa_write_signature(ec, md, hash, hlen, buf, &n, mh_rng_mbedtls, NULL) != 0)
            return mh_err_set(MH_ERR_INTERNAL, "the software key could not sign (ECDSA)");
        if (n > cap)
            return MH_ERR_BUFFER_TOO_SMALL;
        memcpy(sig, buf, n);
        *sig_len = n;
        return MH_OK;
    }
    size_t nlen = (ec->grp.nbits + 7) / 8;
    if (2 * nlen > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int rc = MH_OK;
    if (mbedtls_ecdsa_sign(&ec->grp, &r, &s, &ec->d, hash, hlen, mh_rng_mbedtls, NULL) != 0 ||
        mbedtls_mpi_write_binary(&r, sig, nlen) != 0 ||
        mbedtls_mpi_write_binary(&s, sig + nlen, nlen) != 0)
        rc = mh_err_set(MH_ERR_INTERNAL, "the software key could not sign (ECDSA)");
    else
        *sig_len = 2 * nlen;
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    return rc;
}

static int soft_sign(const mh_signer *self, mbedtls_md_type_t md, const uint8_t *in, size_t in_len,
                     bool message, enum mh_sig_enc enc, uint8_t *sig, size_t cap, size_t *sig_len)
{
    const mh_pki_soft_signer *k = self->ctx;
    mbedtls_pk_context *pk = k->pk;
    if (message)
        return mh_err_set(MH_ERR_KEY_TYPE, "mbedTLS 2.28 has no Ed25519 to sign messages with");
    if (self->alg == MH_SIG_ECDSA)
        return ecdsa_sign(mbedtls_pk_ec(*pk), md, in, in_len, enc, sig, cap, sig_len);
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*pk);
    size_t n = mbedtls_rsa_get_len(rsa);
    if (n > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    /* mbedTLS 2.28 signs with the padding set on the key: set it for each
     * signature (PSS: MGF1 with the message hash, salt as long) */
    int r;
    if (self->alg == MH_SIG_RSA_PSS) {
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, (int)md);
        r = mbedtls_rsa_rsassa_pss_sign_ext(rsa, mh_rng_mbedtls, NULL, md, (unsigned)in_len, in,
                                            (int)in_len, sig);
    } else {
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
        r = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, mh_rng_mbedtls, NULL, MBEDTLS_RSA_PRIVATE, md,
                                              (unsigned)in_len, in, sig);
    }
    if (r != 0)
        return mh_err_set(MH_ERR_INTERNAL,
                          "the software key could not sign (RSA, mbedTLS error "
                          "-0x%04x)",
                          (unsigned)-r);
    *sig_len = n;
    return MH_OK;
}

int mh_pki_soft_signer_init(mh_pki_soft_signer *s, mbedtls_pk_context *pk, enum mh_sig_alg alg)
{
    if (!s || !pk)
        return MH_ERR_INVALID_ARG;
    memset(s, 0, sizeof *s);
    mbedtls_pk_type_t t = mbedtls_pk_get_type(pk);
    bool ec = t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECDSA, rsa = t == MBEDTLS_PK_RSA;
    if (alg == MH_SIG_AUTO)
        alg = ec ? MH_SIG_ECDSA : MH_SIG_RSA_PKCS1;
    if (!((ec && alg == MH_SIG_ECDSA) ||
          (rsa && (alg == MH_SIG_RSA_PKCS1 || alg == MH_SIG_RSA_PSS))))
        return mh_err_set(MH_ERR_KEY_TYPE, "the key (%s) cannot make %s signatures",
                          mbedtls_pk_get_name(pk), mh_sig_alg_name(alg));
    int n = mbedtls_pk_write_pubkey_der(pk, s->spki, sizeof s->spki);
    if (n <= 0)
        return mh_err_set(MH_ERR_KEY_TYPE, "the key's public half cannot be written");
    memmove(s->spki, s->spki + sizeof s->spki - (size_t)n, (size_t)n);
    s->pk = pk;
    s->signer.sign = soft_sign;
    s->signer.ctx = s;
    s->signer.alg = alg;
    s->signer.spki = s->spki;
    s->signer.spki_len = (size_t)n;
    s->signer.name = "the software key";
    return MH_OK;
}
