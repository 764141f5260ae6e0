/* sign.c - signing and verifying with token keys: the mh_signer of a
 * token key (ECDSA over a digest, given as the token returns it, r || s,
 * or in canonical DER; RSA PKCS#1 v1.5 and PSS; Ed25519 over the message),
 * and verification with the token's public key. */
#include <stdio.h>
#include <string.h>

#include <mbedtls/oid.h>
#include <mbedtls/pk.h>

#include "hsm_internal.h"

static bool is_rsa(enum mh_key_type t)
{
    return t == MH_KEY_RSA_2048 || t == MH_KEY_RSA_3072 || t == MH_KEY_RSA_4096 ||
           t == MH_KEY_RSA_OTHER;
}

static bool is_ec(enum mh_key_type t)
{
    return t == MH_KEY_EC_P256 || t == MH_KEY_EC_P384 || t == MH_KEY_EC_OTHER;
}

/* The algorithm to use, checked against the key. */
static int pick_alg(mh_hsm_key *key, enum mh_sig_alg alg, enum mh_sig_alg *out)
{
    if (alg == MH_SIG_AUTO)
        alg = is_rsa(key->type)             ? MH_SIG_RSA_PKCS1
              : is_ec(key->type)            ? MH_SIG_ECDSA
              : key->type == MH_KEY_ED25519 ? MH_SIG_ED25519
                                            : MH_SIG_AUTO;
    bool ok = (alg == MH_SIG_ECDSA && is_ec(key->type)) ||
              ((alg == MH_SIG_RSA_PKCS1 || alg == MH_SIG_RSA_PSS) && is_rsa(key->type)) ||
              (alg == MH_SIG_ED25519 && key->type == MH_KEY_ED25519);
    if (!ok) {
        mh_err_set(MH_ERR_KEY_TYPE, "key '%s' is a %s key and cannot make %s signatures",
                   key->label, mh_key_type_name(key->type), mh_sig_alg_name(alg));
        return MH_ERR_KEY_TYPE;
    }
    *out = alg;
    return 0;
}

static CK_MECHANISM_TYPE ck_hash(mbedtls_md_type_t md, CK_RSA_PKCS_MGF_TYPE *mgf)
{
    switch (md) {
    case MBEDTLS_MD_SHA256:
        *mgf = CKG_MGF1_SHA256;
        return CKM_SHA256;
    case MBEDTLS_MD_SHA384:
        *mgf = CKG_MGF1_SHA384;
        return CKM_SHA384;
    case MBEDTLS_MD_SHA512:
        *mgf = CKG_MGF1_SHA512;
        return CKM_SHA512;
    case MBEDTLS_MD_SHA224:
        *mgf = CKG_MGF1_SHA224;
        return CKM_SHA224;
    case MBEDTLS_MD_SHA1:
        *mgf = CKG_MGF1_SHA1;
        return CKM_SHA_1;
    default:
        return CKM_VENDOR_DEFINED;
    }
}

/* DigestInfo ::= SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING digest }.
 * With a hash of at most 64 bytes every length fits in one byte. */
static int digest_info(mbedtls_md_type_t md, const uint8_t *d, size_t dlen, uint8_t *out,
                       size_t cap, size_t *len)
{
    const char *oid;
    size_t oid_len;
    if (mbedtls_oid_get_oid_by_md(md, &oid, &oid_len) || oid_len > 16 || dlen > 64)
        return MH_ERR_UNSUPPORTED;
    size_t alg = 2 + oid_len + 2;
    size_t body = 2 + alg + 2 + dlen;
    if (2 + body > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    uint8_t *p = out;
    *p++ = 0x30;
    *p++ = (uint8_t)body;
    *p++ = 0x30;
    *p++ = (uint8_t)alg;
    *p++ = 0x06;
    *p++ = (uint8_t)oid_len;
    memcpy(p, oid, oid_len);
    p += oid_len;
    *p++ = 0x05;
    *p++ = 0x00;
    *p++ = 0x04;
    *p++ = (uint8_t)dlen;
    memcpy(p, d, dlen);
    *len = 2 + body;
    return 0;
}

/* Runs one C_Sign or C_Verify with the mechanism set up. */
static int run(mh_hsm_key *key, bool verify, CK_MECHANISM *mech, const uint8_t *data, size_t dlen,
               uint8_t *sig, size_t cap, size_t *sig_len)
{
    mh_hsm_token *tok = key->tok;
    mh_hsm_module *mod = tok->mod;
    CK_SESSION_HANDLE s;
    unsigned long gen;
    int rc = mh_tok_borrow(tok, &s, &gen);
    if (rc)
        return rc;
    CK_RV rv = CKR_OK;
    rc = mh_key_handles(key, s, gen, !verify);
    if (rc)
        goto out;
    if (verify) {
        if (!key->has_pub_obj) {
            rc = MH_ERR_UNSUPPORTED;
            goto out;
        }
        rv = mod->f->C_VerifyInit(s, mech, key->pub);
        if (rv == CKR_OK)
            rv = mod->f->C_Verify(s, (CK_BYTE_PTR)(uintptr_t)data, (CK_ULONG)dlen, sig,
                                  (CK_ULONG)*sig_len);
        if (rv == CKR_SIGNATURE_INVALID || rv == CKR_SIGNATURE_LEN_RANGE) {
            mh_err_set(MH_ERR_VERIFY_FAILED, "the signature is not valid for key '%s'", key->label);
            rc = MH_ERR_VERIFY_FAILED;
            rv = CKR_OK;
        } else if (rv != CKR_OK) {
            rc = mh_p11_err(rv, "verifying with the token");
        }
        goto out;
    }
    rv = mod->f->C_SignInit(s, mech, key->priv);
    if (rv == CKR_OK && key->always_auth) {
        rc = mh_tok_login_context(tok, s, key->label);
        if (rc) {
            /* end the operation we started */
            CK_BYTE dummy[MH_SIG_MAX];
            CK_ULONG dl = sizeof dummy;
            mod->f->C_Sign(s, (CK_BYTE_PTR)(uintptr_t)data, (CK_ULONG)dlen, dummy, &dl);
            goto out;
        }
    }
    CK_ULONG outl = (CK_ULONG)cap;
    if (rv == CKR_OK)
        rv = mod->f->C_Sign(s, (CK_BYTE_PTR)(uintptr_t)data, (CK_ULONG)dlen, sig, &outl);
    if (rv != CKR_OK) {
        char doing[192];
        snprintf(doing, sizeof doing, "signing with key '%s' on token '%s'", key->label,
                 tok->label);
        if (rv == CKR_USER_NOT_LOGGED_IN) {
            mh_err_set(MH_ERR_PIN_REQUIRED,
                       "%s: the token needs its PIN (it may have been re-inserted); "
                       "log in and try again",
                       doing);
            rc = MH_ERR_PIN_REQUIRED;
        } else {
            rc = mh_p11_err(rv, doing);
        }
        goto out;
    }
    *sig_len = outl;
out:
    mh_tok_return(tok, s, gen, rv);
    return rc;
}

/* The mh_signer's sign function: self->ctx is the key, self->alg the
 * algorithm mh_hsm_key_signer() checked against it. */
static int sign_op(const mh_signer *self, mbedtls_md_type_t md, const uint8_t *in, size_t in_len,
                   bool message, enum mh_sig_enc enc, uint8_t *sig, size_t cap, size_t *sig_len)
{
    mh_hsm_key *key = self->ctx;
    enum mh_sig_alg alg = self->alg;
    int rc;
    if (alg == MH_SIG_ED25519) {
        if (!message)
            return mh_err_set(MH_ERR_KEY_TYPE, "Ed25519 signs the whole message, not a digest");
        CK_MECHANISM mech = {CKM_EDDSA, NULL, 0};
        size_t l = cap;
        rc = run(key, false, &mech, in, in_len, sig, cap, &l);
        if (!rc)
            *sig_len = l;
        return rc;
    }
    if (message || in_len == 0 || in_len > 64)
        return mh_err_set(MH_ERR_INVALID_ARG, "signing with key '%s': a digest is expected",
                          key->label);
    uint8_t buf[MH_SIG_MAX];
    uint8_t di[128];
    size_t blen = sizeof buf;
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    CK_RSA_PKCS_PSS_PARAMS pss;
    const uint8_t *data = in;
    size_t dlen = in_len;
    switch (alg) {
    case MH_SIG_ECDSA:
        break;
    case MH_SIG_RSA_PKCS1:
        mech.mechanism = CKM_RSA_PKCS;
        rc = digest_info(md, in, in_len, di, sizeof di, &dlen);
        if (rc)
            return rc;
        data = di;
        break;
    case MH_SIG_RSA_PSS:
        mech.mechanism = CKM_RSA_PKCS_PSS;
        pss.hashAlg = ck_hash(md, &pss.mgf);
        if (pss.hashAlg == CKM_VENDOR_DEFINED)
            return mh_err_set(MH_ERR_INVALID_ARG, "RSA-PSS needs a SHA-2 hash");
        pss.sLen = in_len;
        mech.pParameter = &pss;
        mech.ulParameterLen = sizeof pss;
        break;
    default:
        return mh_err_set(MH_ERR_KEY_TYPE, "key '%s' cannot make %s signatures", key->label,
                          mh_sig_alg_name(alg));
    }
    rc = run(key, false, &mech, data, dlen, buf, sizeof buf, &blen);
    if (rc)
        goto out;
    if (alg == MH_SIG_ECDSA && blen != 2 * key->nbytes) {
        rc = mh_err_set(MH_ERR_TOKEN_FAILED,
                        "the token returned an ECDSA signature of unexpected length");
    } else if (alg == MH_SIG_ECDSA && enc == MH_SIG_DER) {
        /* the token gives r || s: DER is written once, here */
        rc = mh_ecdsa_raw_to_der(buf, blen, sig, cap, sig_len);
    } else if (blen > cap) {
        rc = MH_ERR_BUFFER_TOO_SMALL;
    } else {
        memcpy(sig, buf, blen);
        *sig_len = blen;
    }
out:
    mh_wipe(di, sizeof di);
    return rc;
}

int mh_hsm_key_signer(mh_hsm_key *key, enum mh_sig_alg alg, mh_signer *out)
{
    if (!key || !out)
        return MH_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    int rc = pick_alg(key, alg, &alg);
    if (rc)
        return rc;
    if (key->spki_len == 0)
        return mh_err_set(MH_ERR_KEY_NOT_FOUND, "the public half of key '%s' is not known",
                          key->label);
    out->sign = sign_op;
    out->ctx = key;
    out->alg = alg;
    out->spki = key->spki;
    out->spki_len = key->spki_len;
    out->name = key->label;
    return MH_OK;
}

/* Verification in software from the public key, for keys without a
 * public key object on the token (e.g. only a certificate). */
static int soft_verify(mh_hsm_key *key, enum mh_sig_alg alg, mbedtls_md_type_t md,
                       const uint8_t *digest, size_t dlen, const uint8_t *sig, size_t slen)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = MH_ERR_VERIFY_FAILED;
    if (mbedtls_pk_parse_public_key(&pk, key->spki, key->spki_len)) {
        rc = MH_ERR_UNSUPPORTED;
        goto out;
    }
    if (alg == MH_SIG_RSA_PSS) {
        mbedtls_pk_rsassa_pss_options o = {md, (int)dlen};
        if (mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &o, &pk, md, digest, dlen, sig, slen) == 0)
            rc = 0;
    } else if (mbedtls_pk_verify(&pk, md, digest, dlen, sig, slen) == 0) {
        rc = 0;
    }
out:
    mbedtls_pk_free(&pk);
    if (rc == MH_ERR_VERIFY_FAILED)
        mh_err_set(rc, "the signature is not valid for key '%s'", key->label);
    return rc;
}

int mh_hsm_verify_digest(mh_hsm_key *key, enum mh_sig_alg alg, mbedtls_md_type_t md,
                         const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                         size_t sig_len)
{
    int rc = pick_alg(key, alg, &alg);
    if (rc)
        return rc;
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    if (!mi || mbedtls_md_get_size(mi) != digest_len)
        return MH_ERR_INVALID_ARG;
    uint8_t raw[MH_SIG_MAX], di[128];
    size_t rlen = sig_len;
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    CK_RSA_PKCS_PSS_PARAMS pss;
    const uint8_t *data = digest;
    size_t dlen = digest_len;
    if (sig_len == 0 || sig_len > sizeof raw) {
        mh_err_set(MH_ERR_VERIFY_FAILED, "the signature has an impossible length");
        return MH_ERR_VERIFY_FAILED;
    }
    switch (alg) {
    case MH_SIG_ECDSA:
        if (mh_ecdsa_der_to_raw(sig, sig_len, key->nbytes, raw)) {
            mh_err_set(MH_ERR_VERIFY_FAILED,
                       "the signature is not a well-formed (canonical DER) ECDSA signature");
            return MH_ERR_VERIFY_FAILED;
        }
        rlen = 2 * key->nbytes;
        break;
    case MH_SIG_RSA_PKCS1:
        mech.mechanism = CKM_RSA_PKCS;
        rc = digest_info(md, digest, digest_len, di, sizeof di, &dlen);
        if (rc)
            return rc;
        data = di;
        memcpy(raw, sig, sig_len);
        break;
    case MH_SIG_RSA_PSS:
        mech.mechanism = CKM_RSA_PKCS_PSS;
        pss.hashAlg = ck_hash(md, &pss.mgf);
        pss.sLen = digest_len;
        mech.pParameter = &pss;
        mech.ulParameterLen = sizeof pss;
        memcpy(raw, sig, sig_len);
        break;
    default:
        return MH_ERR_KEY_TYPE;
    }
    rc = run(key, true, &mech, data, dlen, raw, sizeof raw, &rlen);
    if (rc == MH_ERR_UNSUPPORTED)
        rc = soft_verify(key, alg, md, digest, digest_len, sig, sig_len);
    return rc;
}

int mh_hsm_verify_message(mh_hsm_key *key, enum mh_sig_alg alg, mbedtls_md_type_t md,
                          const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
    int rc = pick_alg(key, alg, &alg);
    if (rc)
        return rc;
    if (alg == MH_SIG_ED25519) {
        if (sig_len != 64) {
            mh_err_set(MH_ERR_VERIFY_FAILED, "an Ed25519 signature is 64 bytes long");
            return MH_ERR_VERIFY_FAILED;
        }
        CK_MECHANISM mech = {CKM_EDDSA, NULL, 0};
        uint8_t s[64];
        memcpy(s, sig, 64);
        size_t l = 64;
        rc = run(key, true, &mech, msg, msg_len, s, sizeof s, &l);
        if (rc == MH_ERR_UNSUPPORTED)
            mh_err_set(rc, "Ed25519 verification needs the public key on the token");
        return rc;
    }
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    if (!mi)
        return MH_ERR_INVALID_ARG;
    uint8_t d[64];
    if (mbedtls_md(mi, msg, msg_len, d))
        return MH_ERR_INTERNAL;
    return mh_hsm_verify_digest(key, alg, md, d, mbedtls_md_get_size(mi), sig, sig_len);
}
