/* receipt.c - decoding and verifying receipts (COSE_Sign1 over CWT-style
 * claims), and the registry keys they name. The firmware compiles this file:
 * no allocation of our own, no I/O, strict deterministic CBOR, fixed layout.
 * docs/receipt.md describes the format. */
#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

#include <string.h>

#include <mbedtls/sha256.h>

#define COSE_TAG_SIGN1 18
#define COSE_HDR_ALG 1
#define COSE_HDR_CRIT 2
#define COSE_HDR_KID 4
#define COSE_ALG_ES256 (-7)

/* DER SubjectPublicKeyInfo of a P-256 key, up to the point. */
static const uint8_t p256_spki_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
static const uint8_t oid_ec_public_key[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_prime256v1[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/* ---- well-known names ------------------------------------------------- */

static const char *const field_names[] = {NULL,    "name",   "date",  "degree",    "program",
                                          "grade", "number", "title", "birth-date"};
/* The kinds' "code" values in the kinds directory (the source of truth). */
static const char *const kind_names[] = {NULL,      "official-certificate", "notary-act",
                                         "diploma", "court-decision",       "labor-contract"};

static unsigned lookup(const char *const *table, size_t n, const char *name, size_t len)
{
    if (!name)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (strlen(table[i]) == len && strncmp(table[i], name, len) == 0)
            return (unsigned)i;
    }
    return 0;
}

unsigned mh_receipt_field_code(const char *name, size_t len)
{
    return lookup(field_names, sizeof field_names / sizeof field_names[0], name, len);
}

const char *mh_receipt_field_name(uint64_t code)
{
    return (code > 0 && code < sizeof field_names / sizeof field_names[0]) ? field_names[code]
                                                                           : NULL;
}

unsigned mh_receipt_kind_code(const char *name, size_t len)
{
    return lookup(kind_names, sizeof kind_names / sizeof kind_names[0], name, len);
}

const char *mh_receipt_kind_name(uint64_t code)
{
    return (code > 0 && code < sizeof kind_names / sizeof kind_names[0]) ? kind_names[code] : NULL;
}

/* ---- keys -------------------------------------------------------------- */

int mh_receipt_key_from_point(const uint8_t *point, size_t len, mh_receipt_key *key)
{
    uint8_t spki[sizeof p256_spki_prefix + MH_RECEIPT_P256_POINT];
    uint8_t hash[32];

    if (!point || !key)
        return MH_ERR_INVALID_ARG;
    memset(key, 0, sizeof *key);
    if (len != MH_RECEIPT_P256_POINT || point[0] != 0x04) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "a registry key must be an uncompressed P-256 point (65 bytes)");
        return MH_ERR_UNSUPPORTED_ALG;
    }
    if (mh_pki_ec_point_check(MBEDTLS_ECP_DP_SECP256R1, point, len) != 0) {
        mh_err_set(MH_ERR_PARSE, "the registry key is not a point on the P-256 curve");
        return MH_ERR_PARSE;
    }
    /* the key id is computed over the one DER encoding of the SPKI */
    memcpy(spki, p256_spki_prefix, sizeof p256_spki_prefix);
    memcpy(spki + sizeof p256_spki_prefix, point, MH_RECEIPT_P256_POINT);
    if (mbedtls_sha256_ret(spki, sizeof spki, hash, 0))
        return MH_ERR_INTERNAL;
    memcpy(key->kid, hash, MH_RECEIPT_KID_LEN);
    memcpy(key->point, point, MH_RECEIPT_P256_POINT);
    return 0;
}

int mh_receipt_key_from_spki(const uint8_t *spki, size_t len, mh_receipt_key *key)
{
    mh_der d, alg_in, top_in;
    mh_der_elem top, alg, oid, curve, bits;
    const uint8_t *pt;
    size_t pt_len;
    unsigned unused;

    if (!spki || !key)
        return MH_ERR_INVALID_ARG;
    memset(key, 0, sizeof *key);
    if (len > 4096)
        return MH_ERR_TOO_LARGE;
    mh_der_init(&d, spki, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &top) || !mh_der_done(&d))
        goto bad;
    mh_der_enter(&top_in, &top);
    if (mh_der_expect(&top_in, MH_DER_SEQUENCE, &alg) ||
        mh_der_expect(&top_in, MH_DER_BIT_STRING, &bits) || !mh_der_done(&top_in))
        goto bad;
    mh_der_enter(&alg_in, &alg);
    if (mh_der_expect(&alg_in, MH_DER_OID, &oid))
        goto bad;
    if (!mh_der_oid_is(&oid, oid_ec_public_key, sizeof oid_ec_public_key)) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "the registry key is not an EC key: receipts are signed with ES256, "
                   "so the registry key must be EC P-256");
        return MH_ERR_UNSUPPORTED_ALG;
    }
    if (mh_der_expect(&alg_in, MH_DER_OID, &curve) || !mh_der_done(&alg_in))
        goto bad;
    if (!mh_der_oid_is(&curve, oid_prime256v1, sizeof oid_prime256v1)) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "the registry key is on another curve than P-256; receipts are signed "
                   "with ES256 (P-256)");
        return MH_ERR_UNSUPPORTED_ALG;
    }
    if (mh_der_bitstring(&bits, &pt, &pt_len, &unused) || unused != 0)
        goto bad;
    return mh_receipt_key_from_point(pt, pt_len, key);
bad:
    mh_err_set(MH_ERR_PARSE,
               "the registry public key is not a well-formed DER SubjectPublicKeyInfo");
    return MH_ERR_PARSE;
}

/* ---- the one encoding of a signature: low s ------------------------------ */

/* n, the order of P-256, and n / 2 (rounded down), big-endian. */
static const uint8_t p256_n[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                   0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
static const uint8_t p256_half_n[32] = {
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8};

bool mh_receipt_sig_low_s(const uint8_t sig[MH_RECEIPT_SIG_LEN])
{
    /* big-endian compare s <= n/2, without an early exit on the first
     * differing byte (the value is public, but the habit is cheap) */
    int cmp = 0;
    for (size_t i = 0; i < 32; i++) {
        int d = (int)sig[32 + i] - (int)p256_half_n[i];
        cmp = cmp ? cmp : d;
    }
    return cmp <= 0;
}

void mh_receipt_sig_normalize(uint8_t sig[MH_RECEIPT_SIG_LEN])
{
    if (mh_receipt_sig_low_s(sig))
        return;
    /* s = n - s: 32-byte subtraction with borrow (s < n, so no underflow) */
    unsigned borrow = 0;
    for (size_t i = 32; i-- > 0;) {
        unsigned d = (unsigned)p256_n[i] - (unsigned)sig[32 + i] - borrow;
        sig[32 + i] = (uint8_t)d;
        borrow = (d >> 8) & 1u;
    }
}

bool mh_receipt_host_matches(const mh_receipt_claims *c, const mh_receipt_str *host)
{
    if (!c || !host || !c->host.ptr || !host->ptr || c->host.len != host->len)
        return false;
    for (size_t i = 0; i < host->len; i++) {
        char a = c->host.ptr[i], b = host->ptr[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

/* A host claim: lower-case letters, digits, '-', '.', an optional :port. */
static bool host_claim_ok(const char *h, size_t len)
{
    if (len == 0 || len > MH_RECEIPT_HOST_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':'))
            return false;
    }
    return h[0] != '.' && h[0] != '-' && h[0] != ':';
}

/* ---- decoding ------------------------------------------------------------ */

/* Texts: UTF-8 (the CBOR reader checks), non-empty, capped, and free of
 * control characters (they would reach terminals and web pages). */
static bool text_ok(const char *s, size_t len, size_t cap)
{
    if (len == 0 || len > cap)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        /* C1 controls U+0080-U+009F are C2 80 - C2 9F in UTF-8 */
        if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] <= 0x9f)
            return false;
    }
    return true;
}

static int get_text(mh_cbor_r *r, mh_receipt_str *out, size_t cap)
{
    if (mh_cbor_get_text(r, &out->ptr, &out->len) || !text_ok(out->ptr, out->len, cap))
        return MH_ERR_PARSE;
    return 0;
}

/* A well-known name as its code, or any other name as text (a well-known
 * name written as text is a second encoding, refused). */
static int get_name(mh_cbor_r *r, mh_receipt_str *out, size_t cap, const char *(*name_of)(uint64_t),
                    unsigned (*code_of)(const char *, size_t))
{
    uint64_t code;
    if (mh_cbor_peek(r) == MH_CBOR_UINT) {
        if (mh_cbor_get_uint(r, &code) || !(out->ptr = name_of(code)))
            return MH_ERR_PARSE;
        out->len = strlen(out->ptr);
        return 0;
    }
    if (get_text(r, out, cap) || code_of(out->ptr, out->len) != 0)
        return MH_ERR_PARSE;
    return 0;
}

static int expect_key(mh_cbor_r *r, int64_t want)
{
    int64_t k;
    if (mh_cbor_get_int(r, &k) || k != want)
        return MH_ERR_PARSE;
    return 0;
}

static int decode_protected(const uint8_t *p, size_t len, uint8_t kid[MH_RECEIPT_KID_LEN])
{
    mh_cbor_r r;
    uint64_t n;
    int64_t label, alg;
    const uint8_t *k;
    size_t klen;

    if (mh_cbor_check(p, len, 2, MH_CBOR_DETERMINISTIC))
        goto bad;
    mh_cbor_r_init(&r, p, len);
    if (mh_cbor_get_map(&r, &n))
        goto bad;
    for (uint64_t i = 0; i < n; i++) {
        if (mh_cbor_peek(&r) != MH_CBOR_UINT && mh_cbor_peek(&r) != MH_CBOR_NEGINT) {
            mh_err_set(MH_ERR_UNSUPPORTED,
                       "the receipt's protected header has a text label this verifier does "
                       "not know; it was not made by mohur or by a newer version");
            return MH_ERR_UNSUPPORTED;
        }
        if (mh_cbor_get_int(&r, &label))
            goto bad;
        if (label == COSE_HDR_CRIT) {
            mh_err_set(MH_ERR_UNSUPPORTED,
                       "the receipt names critical header parameters this verifier does not "
                       "understand; it cannot be checked here (a newer version may)");
            return MH_ERR_UNSUPPORTED;
        }
        if (label != COSE_HDR_ALG && label != COSE_HDR_KID) {
            mh_err_set(MH_ERR_UNSUPPORTED,
                       "the receipt's protected header has a parameter (%lld) this verifier "
                       "does not know",
                       (long long)label);
            return MH_ERR_UNSUPPORTED;
        }
        if (label == COSE_HDR_ALG) {
            if (mh_cbor_get_int(&r, &alg))
                goto bad;
            if (alg != COSE_ALG_ES256) {
                mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                           "the receipt is signed with COSE algorithm %lld; only ES256 (-7) "
                           "is accepted",
                           (long long)alg);
                return MH_ERR_UNSUPPORTED_ALG;
            }
        } else {
            if (mh_cbor_get_bytes(&r, &k, &klen) || klen != MH_RECEIPT_KID_LEN)
                goto bad;
            memcpy(kid, k, MH_RECEIPT_KID_LEN);
        }
    }
    /* exactly the two parameters, in order (the check above sorted them) */
    if (n != 2 || !mh_cbor_r_done(&r))
        goto bad;
    return 0;
bad:
    mh_err_set(MH_ERR_PARSE, "the receipt's protected header is malformed: it must be exactly "
                             "{alg: ES256, kid: 8 bytes}");
    return MH_ERR_PARSE;
}

static int decode_fields(mh_cbor_r *r, mh_receipt_claims *c)
{
    uint64_t n;

    if (mh_cbor_get_map(r, &n))
        return MH_ERR_PARSE;
    if (n > MH_RECEIPT_FIELDS_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "the receipt has %llu printed fields; at most %d are allowed",
                   (unsigned long long)n, MH_RECEIPT_FIELDS_MAX);
        return MH_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < (size_t)n; i++) {
        if (get_name(r, &c->fields[i].key, MH_RECEIPT_FKEY_MAX, mh_receipt_field_name,
                     mh_receipt_field_code) ||
            get_text(r, &c->fields[i].value, MH_RECEIPT_FVAL_MAX))
            return MH_ERR_PARSE;
    }
    c->nfields = (size_t)n;
    return 0;
}

static int decode_claims(const uint8_t *p, size_t len, mh_receipt_claims *c)
{
    mh_cbor_r r;
    uint64_t n;
    int ret;

    if (mh_cbor_check(p, len, 3, MH_CBOR_DETERMINISTIC))
        goto bad;
    mh_cbor_r_init(&r, p, len);
    /* eight claims always, the printed fields when there are any; keys in
     * deterministic order: 1, 6, -1, -2, -3, -4, -5, -6, -7 */
    if (mh_cbor_get_map(&r, &n) || (n != 8 && n != 9))
        goto bad;
    if (expect_key(&r, MH_RECEIPT_CLAIM_ISS) || get_text(&r, &c->issuer, MH_RECEIPT_ID_MAX) ||
        expect_key(&r, MH_RECEIPT_CLAIM_IAT) || mh_cbor_get_uint(&r, &c->issued_at) ||
        expect_key(&r, MH_RECEIPT_CLAIM_REGISTRY) ||
        get_text(&r, &c->registry, MH_RECEIPT_ID_MAX) || expect_key(&r, MH_RECEIPT_CLAIM_INDEX) ||
        mh_cbor_get_uint(&r, &c->log_index) || expect_key(&r, MH_RECEIPT_CLAIM_KIND) ||
        get_name(&r, &c->kind, MH_RECEIPT_KIND_MAX, mh_receipt_kind_name, mh_receipt_kind_code) ||
        expect_key(&r, MH_RECEIPT_CLAIM_DIGEST) ||
        mh_cbor_get_bytes(&r, &c->digest, &c->digest_len) ||
        (c->digest_len != MH_RECEIPT_DIGEST_FULL && c->digest_len != MH_RECEIPT_DIGEST_SHORT) ||
        expect_key(&r, MH_RECEIPT_CLAIM_LENGTH) || mh_cbor_get_uint(&r, &c->doc_len))
        goto bad;
    if (n == 9) {
        if (expect_key(&r, MH_RECEIPT_CLAIM_FIELDS))
            goto bad;
        ret = decode_fields(&r, c);
        if (ret == MH_ERR_TOO_LARGE)
            return ret;
        if (ret || c->nfields == 0)
            goto bad;
    }
    if (expect_key(&r, MH_RECEIPT_CLAIM_HOST) || mh_cbor_get_text(&r, &c->host.ptr, &c->host.len) ||
        !host_claim_ok(c->host.ptr, c->host.len))
        goto bad;
    if (!mh_cbor_r_done(&r))
        goto bad;
    return 0;
bad:
    mh_err_set(MH_ERR_PARSE,
               "the receipt's claims are malformed or not in the layout this verifier knows "
               "(issuer, time, registry, index, kind, digest, length, fields, host)");
    return MH_ERR_PARSE;
}

int mh_receipt_decode(const uint8_t *buf, size_t len, mh_receipt *rc)
{
    int ret = MH_ERR_PARSE;
    mh_cbor_r r;
    uint64_t tag, n;
    const uint8_t *prot, *payload, *sig;
    size_t prot_len, payload_len, sig_len;

    if (!rc || (!buf && len))
        return MH_ERR_INVALID_ARG;
    memset(rc, 0, sizeof *rc);
    if (len > MH_RECEIPT_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the receipt is %zu bytes, more than the %d a receipt may have", len,
                   MH_RECEIPT_MAX);
        return MH_ERR_TOO_LARGE;
    }
    /* the whole item: well-formed, deterministic, nothing after it */
    if (len == 0 || mh_cbor_check(buf, len, 3, MH_CBOR_DETERMINISTIC)) {
        mh_err_set(MH_ERR_PARSE,
                   "the receipt is not one well-formed deterministic CBOR item (it is "
                   "damaged, cut short, or has bytes after its end)");
        return MH_ERR_PARSE;
    }
    mh_cbor_r_init(&r, buf, len);
    if (mh_cbor_get_tag(&r, &tag) || tag != COSE_TAG_SIGN1 || mh_cbor_get_array(&r, &n) || n != 4) {
        mh_err_set(MH_ERR_PARSE, "the receipt is not a tagged COSE_Sign1 (tag 18, four elements)");
        return MH_ERR_PARSE;
    }
    if (mh_cbor_get_bytes(&r, &prot, &prot_len))
        goto bad;
    if (mh_cbor_get_map(&r, &n) || n != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "the receipt has unprotected header parameters; a receipt keeps every "
                   "parameter in its signed (protected) header");
        return MH_ERR_PARSE;
    }
    if (mh_cbor_peek(&r) != MH_CBOR_BYTES) {
        mh_err_set(MH_ERR_PARSE, "the receipt has no payload (a detached payload is not allowed)");
        return MH_ERR_PARSE;
    }
    if (mh_cbor_get_bytes(&r, &payload, &payload_len) || mh_cbor_get_bytes(&r, &sig, &sig_len) ||
        !mh_cbor_r_done(&r))
        goto bad;
    if (sig_len != MH_RECEIPT_SIG_LEN) {
        mh_err_set(MH_ERR_PARSE, "the receipt's signature is %zu bytes; ES256 signatures are 64",
                   sig_len);
        return MH_ERR_PARSE;
    }
    ret = decode_protected(prot, prot_len, rc->kid);
    if (ret)
        goto out;
    ret = decode_claims(payload, payload_len, &rc->claims);
    if (ret)
        goto out;
    memcpy(rc->sig, sig, MH_RECEIPT_SIG_LEN);
    ret = 0;
out:
    if (ret)
        memset(rc, 0, sizeof *rc);
    return ret;
bad:
    mh_err_set(MH_ERR_PARSE, "the receipt is not a well-formed COSE_Sign1");
    memset(rc, 0, sizeof *rc);
    return MH_ERR_PARSE;
}

int mh_receipt_verify(const uint8_t *buf, size_t len, const mh_receipt_key *keys, size_t nkeys,
                      mh_receipt *rc)
{
    int ret;
    mh_cbor_r r;
    mh_cbor_item tag, arr;
    const uint8_t *prot, *payload;
    size_t prot_len, payload_len;
    uint8_t hash[32];
    bool kid_known = false;

    if (!rc || (!keys && nkeys))
        return MH_ERR_INVALID_ARG;
    ret = mh_receipt_decode(buf, len, rc);
    if (ret)
        return ret;
    /* decode accepted the layout; read the two signed parts again */
    mh_cbor_r_init(&r, buf, len);
    if (mh_cbor_next(&r, &tag) || mh_cbor_next(&r, &arr) ||
        mh_cbor_get_bytes(&r, &prot, &prot_len) || mh_cbor_skip(&r) ||
        mh_cbor_get_bytes(&r, &payload, &payload_len)) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    ret = mh_cose_sign1_hash(prot, prot_len, payload, payload_len, hash);
    if (ret)
        goto out;
    if (!mh_receipt_sig_low_s(rc->sig)) {
        /* n - s would verify too: only the low-s form is a receipt */
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the receipt's signature is not in its one accepted form (high s): it was "
                   "altered");
        ret = MH_ERR_VERIFY_FAILED;
        goto out;
    }
    ret = MH_ERR_NOT_FOUND;
    for (size_t i = 0; i < nkeys; i++) {
        if (mh_ct_memcmp(keys[i].kid, rc->kid, MH_RECEIPT_KID_LEN) != 0)
            continue;
        kid_known = true;
        if (mh_cose_es256_verify(keys[i].point, hash, rc->sig) == 0) {
            rc->verified = true;
            rc->key_index = i;
            ret = 0;
            goto out;
        }
    }
    if (kid_known) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the receipt's signature does not verify: the receipt was altered or "
                   "forged; do not trust this document");
        ret = MH_ERR_VERIFY_FAILED;
    } else {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "no trusted registry key has the receipt's key id "
                   "%02x%02x%02x%02x%02x%02x%02x%02x: it was signed by a registry you do not "
                   "trust, or your trust list is out of date",
                   rc->kid[0], rc->kid[1], rc->kid[2], rc->kid[3], rc->kid[4], rc->kid[5],
                   rc->kid[6], rc->kid[7]);
    }
out:
    if (ret) {
        rc->verified = false;
        if (ret != MH_ERR_NOT_FOUND && ret != MH_ERR_VERIFY_FAILED)
            memset(rc, 0, sizeof *rc);
    }
    return ret;
}

int mh_receipt_check_document(const mh_receipt_claims *c, const uint8_t sha256[32],
                              uint64_t doc_len)
{
    int digest_diff;

    if (!c || !sha256 || !c->digest ||
        (c->digest_len != MH_RECEIPT_DIGEST_FULL && c->digest_len != MH_RECEIPT_DIGEST_SHORT))
        return MH_ERR_INVALID_ARG;
    digest_diff = mh_ct_memcmp(c->digest, sha256, c->digest_len);
    if (digest_diff != 0 || c->doc_len != doc_len) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the document does not match the receipt (different %s): it is not the "
                   "document the receipt was issued for, or it was changed",
                   digest_diff ? "SHA-256 digest" : "length");
        return MH_ERR_VERIFY_FAILED;
    }
    return 0;
}
