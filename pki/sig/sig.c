/* sig.c - strict signature verification (pki_sig.h).
 *
 * mbedTLS does the RSA arithmetic (the raw public operation); ECDSA goes to
 * sig_ecdsa.c, the one ECDSA verifier, and its backend. The encodings are
 * checked here, because mbedTLS 2.28 accepts malformed DER ECDSA
 * signatures and its PSS check refuses an MGF1 hash other than the message
 * hash. No allocation in this file: the
 * buffers are on the stack and bounded by the largest key (8192 bits). */
#include <string.h>

#include <mbedtls/rsa.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "sig_internal.h"

#if defined(__has_include)
#if __has_include("pki_ed25519.h")
#include "pki_ed25519.h"
#define MH_SIG_HAVE_ED25519 1
#endif
#endif

#define MD_MAX 64 /* SHA-512 */

static int bad_sig(const char *what)
{
    mh_err_set(MH_ERR_VERIFY_FAILED, "the signature does not verify: %s", what);
    return MH_ERR_VERIFY_FAILED;
}

static int unsupported(const char *what)
{
    mh_err_set(MH_ERR_UNSUPPORTED_ALG, "the signature cannot be checked: %s", what);
    return MH_ERR_UNSUPPORTED_ALG;
}

/* A hash or key the policy refuses (not "forged": MH_ERR_ALG_REFUSED). */
static int refused(const char *what)
{
    mh_err_set(MH_ERR_ALG_REFUSED, "the signature is refused by policy: %s", what);
    return MH_ERR_ALG_REFUSED;
}

static const char *md_name(mbedtls_md_type_t md)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    return info ? mbedtls_md_get_name(info) : "an unknown hash";
}

/* The message hashes the policy takes (pki_sig.h). */
static int check_md(const mh_pki_pubkey *key, mbedtls_md_type_t md)
{
    switch (md) {
    case MBEDTLS_MD_SHA224:
    case MBEDTLS_MD_SHA256:
    case MBEDTLS_MD_SHA384:
    case MBEDTLS_MD_SHA512:
        break;
    case MBEDTLS_MD_SHA1:
        if (key->flags & MH_PKI_SPKI_LEGACY)
            break;
        return refused("it uses SHA-1, which is no longer safe for signatures (collisions are "
                       "practical); ask the signer for SHA-256 or stronger");
    default:
        return unsupported("it uses a hash other than SHA-224, SHA-256, SHA-384 or SHA-512");
    }
    if (!mbedtls_md_info_from_type(md))
        return unsupported("this mbedTLS build lacks the hash");
    return 0;
}

/* ---- RSA ---- */

/* sig^e mod n into em (key->n_len bytes). The signature must be exactly
 * as long as the modulus and smaller than it (RFC 8017 5.2.2). */
static int rsa_public(const mh_pki_pubkey *key, const uint8_t *sig, size_t sig_len, uint8_t *em)
{
    int ret = MH_ERR_VERIFY_FAILED;
    mbedtls_rsa_context rsa;
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V15, 0);
    if (sig_len != key->n_len) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the signature does not verify: an RSA signature with this %zu-bit key is "
                   "%zu bytes, not %zu",
                   key->bits, key->n_len, sig_len);
        ret = MH_ERR_VERIFY_FAILED;
        goto out;
    }
    if (mbedtls_rsa_import_raw(&rsa, key->n, key->n_len, NULL, 0, NULL, 0, NULL, 0, key->e,
                               key->e_len) != 0 ||
        mbedtls_rsa_complete(&rsa) != 0) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    int rc = mbedtls_rsa_public(&rsa, sig, em);
    if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if (rc != 0) {
        ret = bad_sig("the RSA signature is not smaller than the modulus");
        goto out;
    }
    ret = 0;
out:
    mbedtls_rsa_free(&rsa);
    return ret;
}

/* EMSA-PKCS1-v1_5 (RFC 8017 9.2), DigestInfo with NULL parameters, rebuilt
 * and compared whole: no parsing of what the signer sent. */
static int rsa_pkcs1_verify(const mh_pki_pubkey *key, mbedtls_md_type_t md, const uint8_t *hash,
                            size_t hlen, const uint8_t *sig, size_t sig_len)
{
    uint8_t em[MH_PKI_RSA_MAX_BYTES], want[MH_PKI_RSA_MAX_BYTES];
    const uint8_t *oid;
    size_t oid_len, k = key->n_len;
    int ret = rsa_public(key, sig, sig_len, em);
    if (ret != 0)
        return ret;
    if (mh_sig_hash_oid(md, &oid, &oid_len) != 0)
        return unsupported("no DigestInfo for the hash");
    size_t alg_len = 2 + oid_len + 2;             /* contents: OID, NULL */
    size_t di_len = 2 + (2 + alg_len) + 2 + hlen; /* SEQUENCE { alg, OCTET STRING } */
    if (di_len - 2 >= 0x80 || k < di_len + 11)
        return bad_sig("the RSA key is too short for this hash");
    size_t ps = k - di_len - 3, i = 0;
    want[i++] = 0x00;
    want[i++] = 0x01;
    memset(want + i, 0xff, ps);
    i += ps;
    want[i++] = 0x00;
    want[i++] = MH_DER_SEQUENCE;
    want[i++] = (uint8_t)(di_len - 2);
    want[i++] = MH_DER_SEQUENCE;
    want[i++] = (uint8_t)(alg_len);
    want[i++] = MH_DER_OID;
    want[i++] = (uint8_t)oid_len;
    memcpy(want + i, oid, oid_len);
    i += oid_len;
    want[i++] = MH_DER_NULL;
    want[i++] = 0x00;
    want[i++] = MH_DER_OCTET_STRING;
    want[i++] = (uint8_t)hlen;
    memcpy(want + i, hash, hlen);
    i += hlen;
    if (i != k || mh_ct_memcmp(em, want, k) != 0)
        return bad_sig("the RSA PKCS#1 v1.5 encoding does not match the hash (wrong key, data, "
                       "hash algorithm or padding)");
    return 0;
}

/* MGF1 (RFC 8017 B.2.1): XORs the mask of seed into buf. */
static int mgf1_xor(const mbedtls_md_info_t *info, const uint8_t *seed, size_t slen, uint8_t *buf,
                    size_t len)
{
    uint8_t in[MD_MAX + 4], out[MD_MAX];
    size_t hl = mbedtls_md_get_size(info);
    memcpy(in, seed, slen);
    for (uint32_t c = 0; len > 0; c++) {
        in[slen] = (uint8_t)(c >> 24);
        in[slen + 1] = (uint8_t)(c >> 16);
        in[slen + 2] = (uint8_t)(c >> 8);
        in[slen + 3] = (uint8_t)c;
        if (mbedtls_md(info, in, slen + 4, out) != 0)
            return MH_ERR_INTERNAL;
        size_t n = len < hl ? len : hl;
        for (size_t j = 0; j < n; j++)
            buf[j] ^= out[j];
        buf += n;
        len -= n;
    }
    return 0;
}

/* EMSA-PSS-VERIFY (RFC 8017 9.1.2) over the raw public operation. */
static int rsa_pss_verify(const mh_pki_pubkey *key, mbedtls_md_type_t md, const uint8_t *hash,
                          size_t hlen, const uint8_t *sig, size_t sig_len,
                          const struct mh_pki_pss_params *pss)
{
    uint8_t em_buf[MH_PKI_RSA_MAX_BYTES];
    uint8_t mprime[8 + MD_MAX + MH_PKI_RSA_MAX_BYTES], hprime[MD_MAX];
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    const mbedtls_md_info_t *mgf = mbedtls_md_info_from_type(pss->mgf1_md);
    int ret = rsa_public(key, sig, sig_len, em_buf);
    if (ret != 0)
        return ret;
    size_t em_bits = key->bits - 1;
    size_t em_len = (em_bits + 7) / 8;
    uint8_t *em = em_buf;
    if (em_len < key->n_len) {
        /* modBits - 1 is a multiple of 8: the top octet is all padding */
        if (em_buf[0] != 0)
            return bad_sig("the RSA-PSS encoding has bits set above emBits");
        em++;
    }
    if (em_len < hlen + 2 || (!pss->salt_any && em_len < hlen + pss->salt_len + 2))
        return bad_sig("the RSA key is too short for this hash and salt length");
    if (em[em_len - 1] != 0xbc)
        return bad_sig("the RSA-PSS encoding does not end in 0xBC");
    size_t db_len = em_len - hlen - 1;
    uint8_t *db = em; /* masked in place */
    const uint8_t *h = em + db_len;
    unsigned zbits = (unsigned)(8 * em_len - em_bits);
    uint8_t top = (uint8_t)(0xffu << (8 - zbits) & 0xffu);
    if (db[0] & top)
        return bad_sig("the RSA-PSS encoding has bits set above emBits");
    if (mgf1_xor(mgf, h, hlen, db, db_len) != 0)
        return MH_ERR_INTERNAL;
    db[0] &= (uint8_t)~top;
    size_t ps_len;
    if (pss->salt_any) {
        for (ps_len = 0; ps_len < db_len && db[ps_len] == 0; ps_len++)
            ;
    } else {
        ps_len = db_len - pss->salt_len - 1;
        for (size_t i = 0; i < ps_len; i++)
            if (db[i] != 0)
                return bad_sig("the RSA-PSS padding is not zero (wrong key, or another salt "
                               "length or MGF1 hash)");
    }
    if (ps_len >= db_len || db[ps_len] != 0x01)
        return bad_sig("the RSA-PSS separator 0x01 is missing (wrong key, or another salt length "
                       "or MGF1 hash)");
    size_t salt_len = db_len - ps_len - 1;
    if (key->pss_restricted && salt_len < key->pss.salt_len)
        return bad_sig("the RSA-PSS salt is shorter than the key's parameters allow");
    memset(mprime, 0, 8);
    memcpy(mprime + 8, hash, hlen);
    memcpy(mprime + 8 + hlen, db + ps_len + 1, salt_len);
    if (mbedtls_md(info, mprime, 8 + hlen + salt_len, hprime) != 0)
        return MH_ERR_INTERNAL;
    if (mh_ct_memcmp(h, hprime, hlen) != 0)
        return bad_sig("the RSA-PSS hash does not match (wrong key, data or hash algorithm)");
    return 0;
}

/* The PSS parameters that apply: the caller's, else the key's, else the
 * usual ones (MGF1 with the message hash, salt as long as the hash). */
static int pss_params(const mh_pki_pubkey *key, mbedtls_md_type_t md, size_t hlen,
                      const struct mh_pki_pss_params *given, struct mh_pki_pss_params *use)
{
    if (given)
        *use = *given;
    else if (key->pss_restricted)
        *use = key->pss;
    else {
        use->mgf1_md = md;
        use->salt_len = hlen;
        use->salt_any = false;
    }
    switch (use->mgf1_md) {
    case MBEDTLS_MD_SHA1:
    case MBEDTLS_MD_SHA224:
    case MBEDTLS_MD_SHA256:
    case MBEDTLS_MD_SHA384:
    case MBEDTLS_MD_SHA512:
        break;
    default:
        return unsupported("its MGF1 hash is not SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512");
    }
    if (!use->salt_any && use->salt_len > MH_PKI_RSA_MAX_BYTES)
        return bad_sig("the RSA-PSS salt length is larger than any key allows");
    if (key->pss_restricted) {
        /* RFC 4055 3.3: the key's parameters bind every signature made
         * with it */
        if (md != key->pss_md) {
            mh_err_set(MH_ERR_VERIFY_FAILED,
                       "the signature does not verify: the key allows RSA-PSS with %s only, "
                       "the signature uses %s",
                       md_name(key->pss_md), md_name(md));
            return MH_ERR_VERIFY_FAILED;
        }
        if (use->mgf1_md != key->pss.mgf1_md)
            return bad_sig("the key's RSA-PSS parameters name another MGF1 hash");
        if (!use->salt_any && use->salt_len < key->pss.salt_len)
            return bad_sig("the RSA-PSS salt is shorter than the key's parameters allow");
    }
    return 0;
}

static const char *key_name(const mh_pki_pubkey *key)
{
    switch (key->type) {
    case MH_PKI_KEY_RSA:
        return "an RSA key";
    case MH_PKI_KEY_RSA_PSS:
        return "an RSA-PSS (id-RSASSA-PSS) key";
    case MH_PKI_KEY_EC:
        return "an EC key";
    case MH_PKI_KEY_ED25519:
        return "an Ed25519 key";
    default:
        return "no key";
    }
}

static int key_mismatch(const mh_pki_pubkey *key, const char *alg)
{
    mh_err_set(MH_ERR_VERIFY_FAILED,
               "the signature does not verify: it is %s signature but the key is %s", alg,
               key_name(key));
    return MH_ERR_VERIFY_FAILED;
}

int mh_pki_verify_hash(const mh_pki_pubkey *key, enum mh_sig_alg alg, enum mh_sig_enc enc,
                       mbedtls_md_type_t md, const uint8_t *hash, size_t hash_len,
                       const uint8_t *sig, size_t sig_len, const struct mh_pki_pss_params *pss)
{
    int ret = MH_ERR_VERIFY_FAILED;
    if (!key || key->type == MH_PKI_KEY_NONE || (!hash && hash_len) || (!sig && sig_len)) {
        mh_err_set(MH_ERR_INVALID_ARG, "signature check called without a key, hash or signature");
        return MH_ERR_INVALID_ARG;
    }
    if (alg == MH_SIG_ED25519) {
        if (key->type != MH_PKI_KEY_ED25519)
            return key_mismatch(key, "an Ed25519");
        return unsupported("Ed25519 signs the message itself, not a hash; check it with "
                           "mh_pki_verify_msg");
    }
    if ((ret = check_md(key, md)) != 0)
        return ret;
    if (hash_len != mbedtls_md_get_size(mbedtls_md_info_from_type(md))) {
        mh_err_set(MH_ERR_INVALID_ARG, "signature check called with a %zu-byte hash for %s",
                   hash_len, md_name(md));
        return MH_ERR_INVALID_ARG;
    }
    switch (alg) {
    case MH_SIG_ECDSA:
        if (key->type != MH_PKI_KEY_EC)
            return key_mismatch(key, "an ECDSA");
        /* the one ECDSA verifier: strict checks, then the backend */
        return mh_pki_ecdsa_verify(key->curve, key->point, key->point_len, hash, hash_len, enc, sig,
                                   sig_len);
    case MH_SIG_RSA_PKCS1:
        if (key->type == MH_PKI_KEY_RSA_PSS)
            return bad_sig("the key is an RSA-PSS (id-RSASSA-PSS) key, which must not make "
                           "PKCS#1 v1.5 signatures");
        if (key->type != MH_PKI_KEY_RSA)
            return key_mismatch(key, "an RSA PKCS#1 v1.5");
        return rsa_pkcs1_verify(key, md, hash, hash_len, sig, sig_len);
    case MH_SIG_RSA_PSS: {
        struct mh_pki_pss_params use;
        if (key->type != MH_PKI_KEY_RSA && key->type != MH_PKI_KEY_RSA_PSS)
            return key_mismatch(key, "an RSA-PSS");
        if ((ret = pss_params(key, md, hash_len, pss, &use)) != 0)
            return ret;
        return rsa_pss_verify(key, md, hash, hash_len, sig, sig_len, &use);
    }
    default:
        return unsupported("unknown signature algorithm");
    }
}

int mh_pki_verify_msg(const mh_pki_pubkey *key, enum mh_sig_alg alg, enum mh_sig_enc enc,
                      mbedtls_md_type_t md, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                      size_t sig_len, const struct mh_pki_pss_params *pss)
{
    uint8_t hash[MD_MAX];
    int ret;
    if (!key || key->type == MH_PKI_KEY_NONE || (!msg && msg_len) || (!sig && sig_len)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "signature check called without a key, message or signature");
        return MH_ERR_INVALID_ARG;
    }
    if (alg == MH_SIG_ED25519) {
        if (key->type != MH_PKI_KEY_ED25519)
            return key_mismatch(key, "an Ed25519");
        if (md != MBEDTLS_MD_NONE && md != MBEDTLS_MD_SHA512)
            return unsupported("Ed25519 is defined with SHA-512 only");
        if (sig_len != 64)
            return bad_sig("an Ed25519 signature is 64 bytes");
#ifdef MH_SIG_HAVE_ED25519
        ret = mh_ed25519_verify(key->ed25519, msg, msg_len, sig);
        if (ret == 0)
            return 0;
        if (ret == MH_ERR_UNSUPPORTED_ALG || ret == MH_ERR_NOMEM)
            return ret;
        return bad_sig("the Ed25519 equation does not hold, or an encoding is not canonical");
#else
        return unsupported("this build has no Ed25519 verifier yet");
#endif
    }
    if ((ret = check_md(key, md)) != 0)
        return ret;
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    if (mbedtls_md(info, msg, msg_len, hash) != 0)
        return MH_ERR_INTERNAL;
    ret = mh_pki_verify_hash(key, alg, enc, md, hash, mbedtls_md_get_size(info), sig, sig_len, pss);
    mh_wipe(hash, sizeof hash);
    return ret;
}
