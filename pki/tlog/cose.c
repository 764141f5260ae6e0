/* cose.c - COSE_Sign1 building blocks (RFC 9052, RFC 9053): the
 * Sig_structure hash and ES256 verification of r || s (through pki/sig, the
 * one ECDSA verifier). No allocation of our own, no I/O: the firmware
 * compiles this file. Signing is in cose_sign.c. */
#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

#include <string.h>

#include <mbedtls/sha256.h>

/* Largest payload or protected header hashed: a receipt is at most 1 KiB,
 * a trust list or revocation snapshot at most 64 KiB. */
#define COSE_PART_MAX ((size_t)64 * 1024)

/* Hashes a byte string: its shortest CBOR head (RFC 8949 4.2.1), then its
 * contents as they are. */
static int hash_bstr(mbedtls_sha256_context *c, const uint8_t *p, size_t len)
{
    uint8_t head[5];
    size_t n;
    if (len < 24) {
        head[0] = (uint8_t)(0x40 | len);
        n = 1;
    } else if (len <= 0xff) {
        head[0] = 0x58;
        head[1] = (uint8_t)len;
        n = 2;
    } else if (len <= 0xffff) {
        head[0] = 0x59;
        head[1] = (uint8_t)(len >> 8);
        head[2] = (uint8_t)len;
        n = 3;
    } else {
        head[0] = 0x5a;
        head[1] = (uint8_t)(len >> 24);
        head[2] = (uint8_t)(len >> 16);
        head[3] = (uint8_t)(len >> 8);
        head[4] = (uint8_t)len;
        n = 5;
    }
    if (mbedtls_sha256_update_ret(c, head, n) || (len && mbedtls_sha256_update_ret(c, p, len)))
        return MH_ERR_INTERNAL;
    return 0;
}

int mh_cose_sign1_hash(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                       size_t payload_len, uint8_t hash[32])
{
    /* ["Signature1", bstr protected, h'' external_aad, bstr payload],
     * hashed piece by piece: no buffer as large as the payload */
    static const uint8_t start[] = {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1'};
    static const uint8_t empty_bstr[] = {0x40};
    mbedtls_sha256_context c;
    int ret = MH_ERR_INTERNAL;

    if ((!prot && prot_len) || (!payload && payload_len) || !hash)
        return MH_ERR_INVALID_ARG;
    if (prot_len > COSE_PART_MAX || payload_len > COSE_PART_MAX)
        return MH_ERR_TOO_LARGE;
    mbedtls_sha256_init(&c);
    if (mbedtls_sha256_starts_ret(&c, 0) || mbedtls_sha256_update_ret(&c, start, sizeof start) ||
        hash_bstr(&c, prot, prot_len) ||
        mbedtls_sha256_update_ret(&c, empty_bstr, sizeof empty_bstr) ||
        hash_bstr(&c, payload, payload_len) || mbedtls_sha256_finish_ret(&c, hash))
        goto out;
    ret = 0;
out:
    mbedtls_sha256_free(&c);
    return ret;
}

int mh_cose_es256_verify(const uint8_t point[MH_RECEIPT_P256_POINT], const uint8_t hash[32],
                         const uint8_t sig[MH_RECEIPT_SIG_LEN])
{
    if (!point || !hash || !sig)
        return MH_ERR_INVALID_ARG;
    /* pki/sig: exact-width r || s, 1 <= r, s <= n - 1, point on the curve */
    return mh_pki_ecdsa_verify(MBEDTLS_ECP_DP_SECP256R1, point, MH_RECEIPT_P256_POINT, hash, 32,
                               MH_SIG_RAW, sig, MH_RECEIPT_SIG_LEN);
}

/* ---- a COSE_Sign1 of the receipt's shape with another payload ---------- */

static int decode_prot(const uint8_t *p, size_t len, uint8_t kid[MH_RECEIPT_KID_LEN])
{
    /* exactly {1: -7, 4: h'<8 bytes>'}, deterministic: A2 01 26 04 48 ... */
    static const uint8_t head[] = {0xa2, 0x01, 0x26, 0x04, 0x48};
    if (len != sizeof head + MH_RECEIPT_KID_LEN || memcmp(p, head, sizeof head) != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "the signed object's protected header is not exactly {alg: ES256, kid: 8 "
                   "bytes}");
        return MH_ERR_PARSE;
    }
    memcpy(kid, p + sizeof head, MH_RECEIPT_KID_LEN);
    return 0;
}

int mh_cose_sign1_decode(const uint8_t *buf, size_t len, size_t max, unsigned max_depth,
                         mh_cose_sign1 *out)
{
    mh_cbor_r r;
    uint64_t tag, n;
    const uint8_t *sig;
    size_t sig_len;
    int ret;

    if (!out || (!buf && len))
        return MH_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (len > max || len > COSE_PART_MAX + 64) {
        mh_err_set(MH_ERR_TOO_LARGE, "the signed object is %zu bytes, more than the %zu allowed",
                   len, max);
        return MH_ERR_TOO_LARGE;
    }
    if (len == 0 || mh_cbor_check(buf, len, max_depth, MH_CBOR_DETERMINISTIC)) {
        mh_err_set(MH_ERR_PARSE,
                   "the signed object is not one well-formed deterministic CBOR item");
        return MH_ERR_PARSE;
    }
    mh_cbor_r_init(&r, buf, len);
    if (mh_cbor_get_tag(&r, &tag) || tag != 18 || mh_cbor_get_array(&r, &n) || n != 4 ||
        mh_cbor_get_bytes(&r, &out->prot, &out->prot_len)) {
        mh_err_set(MH_ERR_PARSE,
                   "the signed object is not a tagged COSE_Sign1 (tag 18, four elements)");
        memset(out, 0, sizeof *out);
        return MH_ERR_PARSE;
    }
    if ((ret = decode_prot(out->prot, out->prot_len, out->kid)) != 0) {
        memset(out, 0, sizeof *out);
        return ret;
    }
    if (mh_cbor_get_map(&r, &n) || n != 0 ||
        mh_cbor_get_bytes(&r, &out->payload, &out->payload_len) ||
        mh_cbor_get_bytes(&r, &sig, &sig_len) || sig_len != MH_RECEIPT_SIG_LEN ||
        !mh_cbor_r_done(&r)) {
        mh_err_set(MH_ERR_PARSE,
                   "the signed object's COSE_Sign1 is malformed: it needs an empty unprotected "
                   "header, an attached payload and a 64-byte ES256 signature");
        memset(out, 0, sizeof *out);
        return MH_ERR_PARSE;
    }
    memcpy(out->sig, sig, MH_RECEIPT_SIG_LEN);
    return 0;
}

int mh_cose_sign1_verify(const mh_cose_sign1 *m, const mh_receipt_key *key)
{
    uint8_t hash[32];
    int ret;
    if (!m || !key || !m->prot)
        return MH_ERR_INVALID_ARG;
    if (mh_ct_memcmp(m->kid, key->kid, MH_RECEIPT_KID_LEN) != 0)
        return MH_ERR_NOT_FOUND;
    if ((ret = mh_cose_sign1_hash(m->prot, m->prot_len, m->payload, m->payload_len, hash)) != 0)
        return ret;
    ret = mh_cose_es256_verify(key->point, hash, m->sig);
    if (ret == 0 || ret == MH_ERR_NOMEM)
        return ret; /* a device out of memory is not a forgery */
    return MH_ERR_VERIFY_FAILED;
}
