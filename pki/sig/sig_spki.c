/* sig_spki.c - SubjectPublicKeyInfo into a fixed-size mh_pki_pubkey
 * (pki_sig.h). Every byte is read through the mh_der cursor; nothing here
 * allocates except inside the ECDSA backend's point check. */
#include <string.h>

#include <mbedtls/ecp.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "sig_internal.h"

#define SPKI_MAX_LEN 4096u
#define PSS_MAX_SALT 1024u

static const uint8_t oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t oid_rsa_pss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
static const uint8_t oid_mgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
static const uint8_t oid_ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_ed25519[] = {0x2b, 0x65, 0x70};
static const uint8_t oid_x25519[] = {0x2b, 0x65, 0x6e};
static const uint8_t oid_ed448[] = {0x2b, 0x65, 0x71};
static const uint8_t oid_dsa[] = {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01};

struct hash_oid {
    mbedtls_md_type_t md;
    uint8_t len;
    uint8_t oid[9];
};

static const struct hash_oid hash_oids[] = {
    {MBEDTLS_MD_SHA1, 5, {0x2b, 0x0e, 0x03, 0x02, 0x1a}},
    {MBEDTLS_MD_SHA224, 9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04}},
    {MBEDTLS_MD_SHA256, 9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}},
    {MBEDTLS_MD_SHA384, 9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}},
    {MBEDTLS_MD_SHA512, 9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}},
};

int mh_sig_hash_oid(mbedtls_md_type_t md, const uint8_t **oid, size_t *len)
{
    for (size_t i = 0; i < sizeof hash_oids / sizeof hash_oids[0]; i++) {
        if (hash_oids[i].md == md) {
            *oid = hash_oids[i].oid;
            *len = hash_oids[i].len;
            return 0;
        }
    }
    return MH_ERR_UNSUPPORTED_ALG;
}

static int parse_err(const char *what)
{
    mh_err_set(MH_ERR_PARSE,
               "the public key (SubjectPublicKeyInfo) is malformed: %s; export the key again "
               "as DER SubjectPublicKeyInfo",
               what);
    return MH_ERR_PARSE;
}

static int unsupported(const char *what)
{
    mh_err_set(MH_ERR_UNSUPPORTED_ALG, "the public key is not supported: %s", what);
    return MH_ERR_UNSUPPORTED_ALG;
}

/* A positive INTEGER in minimal form, without its sign octet. */
static int read_uint(const mh_der_elem *e, const uint8_t **p, size_t *n)
{
    bool neg;
    if (e->tag != MH_DER_INTEGER || mh_der_integer_check(e, &neg) || neg)
        return MH_ERR_PARSE;
    *p = e->val;
    *n = e->len;
    if (*n > 1 && (*p)[0] == 0) {
        (*p)++;
        (*n)--;
    }
    if (*n == 1 && (*p)[0] == 0)
        return MH_ERR_PARSE; /* zero */
    return 0;
}

static size_t bit_len(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    size_t bits = n * 8;
    for (uint8_t top = p[0]; !(top & 0x80); top = (uint8_t)(top << 1))
        bits--;
    return bits;
}

/* HashAlgorithm ::= AlgorithmIdentifier with absent or NULL parameters
 * (RFC 4055 2.1 asks verifiers to take both). */
static int read_hash_alg(const mh_der_elem *seq, mbedtls_md_type_t *md)
{
    mh_der d;
    mh_der_elem oid, par;
    bool present;
    mh_der_enter(&d, seq);
    if (mh_der_expect(&d, MH_DER_OID, &oid) || mh_der_oid_check(&oid) ||
        mh_der_optional(&d, MH_DER_NULL, &par, &present) || (present && par.len != 0) ||
        !mh_der_done(&d))
        return parse_err("a hash AlgorithmIdentifier in the RSASSA-PSS parameters is not DER");
    for (size_t i = 0; i < sizeof hash_oids / sizeof hash_oids[0]; i++) {
        if (mh_der_oid_is(&oid, hash_oids[i].oid, hash_oids[i].len)) {
            *md = hash_oids[i].md;
            return 0;
        }
    }
    return unsupported("its RSASSA-PSS parameters name a hash other than SHA-1, SHA-224, "
                       "SHA-256, SHA-384 or SHA-512");
}

/* RSASSA-PSS-params (RFC 4055 3.1, RFC 8017 A.2.3). DER omits DEFAULT
 * values, so an explicit default is refused. */
static int read_pss_params(const mh_der_elem *seq, mh_pki_pubkey *out)
{
    mh_der d, in;
    mh_der_elem f, g, alg;
    bool present;
    int rc;
    mbedtls_md_type_t md = MBEDTLS_MD_SHA1, mgf_md = MBEDTLS_MD_SHA1;
    uint64_t salt = 20, trailer = 1;

    mh_der_enter(&d, seq);
    if (mh_der_optional(&d, MH_DER_CTX_C(0), &f, &present))
        return parse_err("bad hashAlgorithm in the RSASSA-PSS parameters");
    if (present) {
        mh_der_enter(&in, &f);
        if (mh_der_expect(&in, MH_DER_SEQUENCE, &alg) || !mh_der_done(&in))
            return parse_err("bad hashAlgorithm in the RSASSA-PSS parameters");
        if ((rc = read_hash_alg(&alg, &md)) != 0)
            return rc;
        if (md == MBEDTLS_MD_SHA1)
            return parse_err("the RSASSA-PSS parameters spell out the default hash SHA-1, "
                             "which DER leaves out");
    }
    if (mh_der_optional(&d, MH_DER_CTX_C(1), &f, &present))
        return parse_err("bad maskGenAlgorithm in the RSASSA-PSS parameters");
    if (present) {
        mh_der_enter(&in, &f);
        if (mh_der_expect(&in, MH_DER_SEQUENCE, &alg) || !mh_der_done(&in))
            return parse_err("bad maskGenAlgorithm in the RSASSA-PSS parameters");
        mh_der_enter(&in, &alg);
        if (mh_der_expect(&in, MH_DER_OID, &g) || mh_der_oid_check(&g))
            return parse_err("bad maskGenAlgorithm in the RSASSA-PSS parameters");
        if (!mh_der_oid_is(&g, oid_mgf1, sizeof oid_mgf1))
            return unsupported("its RSASSA-PSS parameters name a mask generation function "
                               "other than MGF1");
        if (mh_der_expect(&in, MH_DER_SEQUENCE, &g) || !mh_der_done(&in))
            return parse_err("bad MGF1 hash in the RSASSA-PSS parameters");
        if ((rc = read_hash_alg(&g, &mgf_md)) != 0)
            return rc;
        if (mgf_md == MBEDTLS_MD_SHA1)
            return parse_err("the RSASSA-PSS parameters spell out the default MGF1 with SHA-1, "
                             "which DER leaves out");
    }
    if (mh_der_optional(&d, MH_DER_CTX_C(2), &f, &present))
        return parse_err("bad saltLength in the RSASSA-PSS parameters");
    if (present) {
        mh_der_enter(&in, &f);
        if (mh_der_expect(&in, MH_DER_INTEGER, &g) || !mh_der_done(&in) || mh_der_uint(&g, &salt))
            return parse_err("bad saltLength in the RSASSA-PSS parameters");
        if (salt == 20)
            return parse_err("the RSASSA-PSS parameters spell out the default salt length 20, "
                             "which DER leaves out");
        if (salt > PSS_MAX_SALT)
            return parse_err("the RSASSA-PSS salt length is larger than any key allows");
    }
    if (mh_der_optional(&d, MH_DER_CTX_C(3), &f, &present))
        return parse_err("bad trailerField in the RSASSA-PSS parameters");
    if (present) {
        mh_der_enter(&in, &f);
        if (mh_der_expect(&in, MH_DER_INTEGER, &g) || !mh_der_done(&in) ||
            mh_der_uint(&g, &trailer))
            return parse_err("bad trailerField in the RSASSA-PSS parameters");
        if (trailer == 1)
            return parse_err("the RSASSA-PSS parameters spell out the default trailerField 1, "
                             "which DER leaves out");
        return unsupported("its RSASSA-PSS trailerField is not 1 (0xBC), the only one "
                           "RFC 8017 defines");
    }
    if (!mh_der_done(&d))
        return parse_err("unexpected fields in the RSASSA-PSS parameters");
    out->pss_restricted = true;
    out->pss_md = md;
    out->pss.mgf1_md = mgf_md;
    out->pss.salt_len = (size_t)salt;
    out->pss.salt_any = false;
    return 0;
}

static int read_rsa_key(const uint8_t *bits, size_t len, unsigned flags, mh_pki_pubkey *out)
{
    mh_der d, in;
    mh_der_elem seq, n, e;
    const uint8_t *np, *ep;
    size_t nl, el;
    mh_der_init(&d, bits, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &seq) || !mh_der_done(&d))
        return parse_err("the RSA key is not one DER RSAPublicKey");
    mh_der_enter(&in, &seq);
    if (mh_der_expect(&in, MH_DER_INTEGER, &n) || mh_der_expect(&in, MH_DER_INTEGER, &e) ||
        !mh_der_done(&in))
        return parse_err("the RSA key is not a SEQUENCE of modulus and exponent");
    if (read_uint(&n, &np, &nl) || read_uint(&e, &ep, &el))
        return parse_err("the RSA modulus or exponent is negative, zero or not minimal DER");
    bool legacy = (flags & MH_PKI_SPKI_LEGACY) != 0;
    size_t nbits = bit_len(np, nl);
    size_t ebits = bit_len(ep, el);
    if (nl > MH_PKI_RSA_MAX_BYTES)
        return unsupported("its RSA modulus is longer than 8192 bits");
    if (nbits < (legacy ? 1024u : 2048u)) {
        mh_err_set(MH_ERR_ALG_REFUSED,
                   "the public key is refused by policy: its RSA modulus has %zu bits; mohur "
                   "takes 2048 bits or more (1024 for legacy documents)",
                   nbits);
        return MH_ERR_ALG_REFUSED;
    }
    if (!(np[nl - 1] & 1))
        return parse_err("the RSA modulus is even");
    if (!(ep[el - 1] & 1) || ebits < 2)
        return parse_err("the RSA public exponent is even or 1");
    if (ebits > 256)
        return unsupported("its RSA public exponent is larger than 2^256 (FIPS 186-4)");
    if (!legacy && ebits < 17) {
        mh_err_set(MH_ERR_ALG_REFUSED,
                   "the public key is refused by policy: its RSA public exponent is below "
                   "65537 (FIPS 186-4 asks for 65537 <= e < 2^256)");
        return MH_ERR_ALG_REFUSED;
    }
    memcpy(out->n, np, nl);
    out->n_len = nl;
    memcpy(out->e, ep, el);
    out->e_len = el;
    out->bits = nbits;
    return 0;
}

struct curve {
    const uint8_t *oid;
    size_t oid_len;
    mbedtls_ecp_group_id id;
    size_t bits, plen;
};

static const struct curve curves[] = {
    {oid_p256, sizeof oid_p256, MBEDTLS_ECP_DP_SECP256R1, 256, 32},
    {oid_p384, sizeof oid_p384, MBEDTLS_ECP_DP_SECP384R1, 384, 48},
    {oid_p521, sizeof oid_p521, MBEDTLS_ECP_DP_SECP521R1, 521, 66},
};

static int read_ec_key(const mh_der_elem *params, const uint8_t *bits, size_t len,
                       mh_pki_pubkey *out)
{
    int ret = MH_ERR_PARSE;

    if (params->tag == MH_DER_SEQUENCE) {
        ret = unsupported("it gives explicit EC curve parameters; mohur takes only the named "
                          "curves P-256, P-384 and P-521");
        goto out;
    }
    if (params->tag != MH_DER_OID || mh_der_oid_check(params)) {
        ret = parse_err("the EC parameters are not a named curve OID");
        goto out;
    }
    const struct curve *c = NULL;
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
        if (mh_der_oid_is(params, curves[i].oid, curves[i].oid_len))
            c = &curves[i];
    if (!c) {
        ret = unsupported("it is on an EC curve other than P-256, P-384 and P-521");
        goto out;
    }
    if (len > 0 && (bits[0] == 0x02 || bits[0] == 0x03) && len == 1 + c->plen) {
        ret = unsupported("its EC point is compressed; export it uncompressed");
        goto out;
    }
    if (len != 1 + 2 * c->plen || bits[0] != 0x04) {
        ret = parse_err("the EC point is not an uncompressed point of the curve's size");
        goto out;
    }
    /* on the curve, through the ECDSA backend that will use the key */
    ret = mh_pki_ec_point_check(c->id, bits, len);
    if (ret == MH_ERR_UNSUPPORTED_ALG) {
        ret = unsupported("this build lacks the key's curve");
        goto out;
    }
    if (ret != 0) {
        ret = ret == MH_ERR_NOMEM ? ret : parse_err("the EC point is not on the curve");
        goto out;
    }
    memcpy(out->point, bits, len);
    out->point_len = len;
    out->curve = c->id;
    out->bits = c->bits;
    ret = 0;
out:
    return ret;
}

int mh_pki_spki_parse_flags(const uint8_t *spki, size_t len, unsigned flags, mh_pki_pubkey *out)
{
    int ret = MH_ERR_PARSE;
    mh_der d, in, ai;
    mh_der_elem top = {0}, alg = {0}, oid = {0}, params = {0}, bs = {0};
    bool has_params = false;
    const uint8_t *bits;
    size_t blen;
    unsigned unused;

    if (!out)
        return MH_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!spki && len) {
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    if (len > SPKI_MAX_LEN) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the public key is %zu bytes; a SubjectPublicKeyInfo here is at most %u", len,
                   SPKI_MAX_LEN);
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    mh_der_init(&d, spki, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &top) || !mh_der_done(&d)) {
        ret = parse_err("not one DER SEQUENCE (or bytes after it)");
        goto out;
    }
    mh_der_enter(&in, &top);
    if (mh_der_expect(&in, MH_DER_SEQUENCE, &alg) || mh_der_expect(&in, MH_DER_BIT_STRING, &bs) ||
        !mh_der_done(&in)) {
        ret = parse_err("not an AlgorithmIdentifier followed by a BIT STRING");
        goto out;
    }
    mh_der_enter(&ai, &alg);
    if (mh_der_expect(&ai, MH_DER_OID, &oid) || mh_der_oid_check(&oid)) {
        ret = parse_err("the algorithm OID is malformed");
        goto out;
    }
    if (!mh_der_empty(&ai)) {
        if (mh_der_next(&ai, &params)) {
            ret = parse_err("the algorithm parameters are malformed");
            goto out;
        }
        has_params = true;
    }
    if (!mh_der_done(&ai)) {
        ret = parse_err("bytes after the algorithm parameters");
        goto out;
    }
    if (mh_der_bitstring(&bs, &bits, &blen, &unused) || unused != 0) {
        ret = parse_err("the key BIT STRING is malformed or not whole bytes");
        goto out;
    }

    if (mh_der_oid_is(&oid, oid_rsa, sizeof oid_rsa)) {
        if (!has_params || params.tag != MH_DER_NULL || params.len != 0) {
            ret = parse_err("rsaEncryption needs NULL parameters (RFC 3279)");
            goto out;
        }
        out->type = MH_PKI_KEY_RSA;
        ret = read_rsa_key(bits, blen, flags, out);
    } else if (mh_der_oid_is(&oid, oid_rsa_pss, sizeof oid_rsa_pss)) {
        if (has_params) {
            if (params.tag != MH_DER_SEQUENCE) {
                ret = parse_err("id-RSASSA-PSS parameters are not a SEQUENCE");
                goto out;
            }
            if ((ret = read_pss_params(&params, out)) != 0)
                goto out;
        }
        out->type = MH_PKI_KEY_RSA_PSS;
        ret = read_rsa_key(bits, blen, flags, out);
    } else if (mh_der_oid_is(&oid, oid_ec, sizeof oid_ec)) {
        if (!has_params) {
            ret = parse_err("id-ecPublicKey without curve parameters");
            goto out;
        }
        out->type = MH_PKI_KEY_EC;
        ret = read_ec_key(&params, bits, blen, out);
    } else if (mh_der_oid_is(&oid, oid_ed25519, sizeof oid_ed25519)) {
        if (has_params) {
            ret = parse_err("id-Ed25519 must have no parameters (RFC 8410)");
            goto out;
        }
        if (blen != 32) {
            ret = parse_err("an Ed25519 key is 32 bytes");
            goto out;
        }
        out->type = MH_PKI_KEY_ED25519;
        memcpy(out->ed25519, bits, 32);
        out->bits = 256;
        ret = 0;
    } else if (mh_der_oid_is(&oid, oid_dsa, sizeof oid_dsa)) {
        ret = unsupported("it is a DSA key; mohur takes RSA, ECDSA (P-256, P-384, P-521) and "
                          "Ed25519 keys");
    } else if (mh_der_oid_is(&oid, oid_ed448, sizeof oid_ed448) ||
               mh_der_oid_is(&oid, oid_x25519, sizeof oid_x25519)) {
        ret = unsupported("it is an Ed448 or X25519 key; mohur takes RSA, ECDSA (P-256, P-384, "
                          "P-521) and Ed25519 keys");
    } else {
        ret = unsupported("its algorithm OID is unknown; mohur takes RSA, ECDSA (P-256, P-384, "
                          "P-521) and Ed25519 keys");
    }
    if (ret == 0)
        out->flags = flags;
out:
    if (ret != 0)
        memset(out, 0, sizeof *out);
    return ret;
}

int mh_pki_spki_parse(const uint8_t *spki, size_t len, mh_pki_pubkey *out)
{
    return mh_pki_spki_parse_flags(spki, len, 0, out);
}
