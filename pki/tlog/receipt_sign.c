/* receipt_sign.c - encoding and signing receipts (host side; no allocation
 * either). The layout is the one receipt.c reads; docs/receipt.md. */
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

static bool sign_text_ok(const mh_receipt_str *s, size_t cap)
{
    if (!s->ptr || s->len == 0 || s->len > cap || !mh_utf8_valid((const uint8_t *)s->ptr, s->len))
        return false;
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->ptr[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c == 0xc2 && i + 1 < s->len && (unsigned char)s->ptr[i + 1] <= 0x9f)
            return false;
    }
    return true;
}

/* Deterministic CBOR orders map keys by their encoded bytes: well-known
 * names (small unsigned codes) first, by code; then texts, the shorter
 * first (its head is smaller), then bytewise. */
static int key_order(const mh_receipt_str *a, const mh_receipt_str *b)
{
    unsigned ca = mh_receipt_field_code(a->ptr, a->len);
    unsigned cb = mh_receipt_field_code(b->ptr, b->len);
    if (ca || cb) {
        if (ca && cb)
            return ca == cb ? 0 : (ca < cb ? -1 : 1);
        return ca ? -1 : 1;
    }
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    for (size_t i = 0; i < a->len; i++) {
        unsigned char x = (unsigned char)a->ptr[i], y = (unsigned char)b->ptr[i];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static int check_claims(const mh_receipt_claims *c, size_t order[MH_RECEIPT_FIELDS_MAX])
{
    if (!sign_text_ok(&c->issuer, MH_RECEIPT_ID_MAX)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the issuer must be 1 to %d bytes of text without control characters",
                   MH_RECEIPT_ID_MAX);
        return MH_ERR_INVALID_ARG;
    }
    if (!sign_text_ok(&c->registry, MH_RECEIPT_ID_MAX)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the registry id must be 1 to %d bytes of text without control characters",
                   MH_RECEIPT_ID_MAX);
        return MH_ERR_INVALID_ARG;
    }
    if (!sign_text_ok(&c->kind, MH_RECEIPT_KIND_MAX)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the document kind must be 1 to %d bytes of text without control "
                   "characters",
                   MH_RECEIPT_KIND_MAX);
        return MH_ERR_INVALID_ARG;
    }
    if (!c->digest ||
        (c->digest_len != MH_RECEIPT_DIGEST_FULL && c->digest_len != MH_RECEIPT_DIGEST_SHORT)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the document digest must be SHA-256: 32 bytes, or its first 16");
        return MH_ERR_INVALID_ARG;
    }
    bool host_ok = c->host.ptr && c->host.len > 0 && c->host.len <= MH_RECEIPT_HOST_MAX;
    for (size_t i = 0; host_ok && i < c->host.len; i++) {
        char h = c->host.ptr[i];
        host_ok =
            (h >= 'a' && h <= 'z') || (h >= '0' && h <= '9') || h == '-' || h == '.' || h == ':';
    }
    if (!host_ok || c->host.ptr[0] == '.' || c->host.ptr[0] == '-' || c->host.ptr[0] == ':') {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the verification host must be a lower-case DNS name (letters, digits, "
                   "'-' and '.') with an optional :port");
        return MH_ERR_INVALID_ARG;
    }
    if (c->nfields > MH_RECEIPT_FIELDS_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "a receipt holds at most %d printed fields",
                   MH_RECEIPT_FIELDS_MAX);
        return MH_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < c->nfields; i++) {
        const mh_receipt_field *f = &c->fields[i];
        if (!sign_text_ok(&f->key, MH_RECEIPT_FKEY_MAX) ||
            !sign_text_ok(&f->value, MH_RECEIPT_FVAL_MAX)) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "printed field %zu: a name of 1 to %d bytes and a text of 1 to %d "
                       "bytes, without control characters",
                       i + 1, MH_RECEIPT_FKEY_MAX, MH_RECEIPT_FVAL_MAX);
            return MH_ERR_INVALID_ARG;
        }
        /* insertion sort of the indexes (at most 8) */
        size_t j = i;
        while (j > 0 && key_order(&c->fields[order[j - 1]].key, &f->key) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        if (j > 0 && key_order(&c->fields[order[j - 1]].key, &f->key) == 0) {
            mh_err_set(MH_ERR_INVALID_ARG, "the printed field '%.*s' is given twice",
                       (int)f->key.len, f->key.ptr);
            return MH_ERR_INVALID_ARG;
        }
        order[j] = i;
    }
    return 0;
}

static void put_name(mh_cbor_w *w, const mh_receipt_str *s, unsigned code)
{
    if (code)
        mh_cbor_put_uint(w, code);
    else
        mh_cbor_put_text(w, s->ptr, s->len);
}

/* with_index false: the claims digest's form (no log index claim) */
static int encode_claims(const mh_receipt_claims *c, const size_t *order, bool with_index,
                         uint8_t *buf, size_t cap, size_t *len)
{
    mh_cbor_w w;

    mh_cbor_w_init(&w, buf, cap);
    mh_cbor_put_map(&w, (c->nfields ? 9u : 8u) - (with_index ? 0u : 1u));
    mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_ISS);
    mh_cbor_put_text(&w, c->issuer.ptr, c->issuer.len);
    mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_IAT);
    mh_cbor_put_uint(&w, c->issued_at);
    mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_REGISTRY);
    mh_cbor_put_text(&w, c->registry.ptr, c->registry.len);
    if (with_index) {
        mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_INDEX);
        mh_cbor_put_uint(&w, c->log_index);
    }
    mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_KIND);
    put_name(&w, &c->kind, mh_receipt_kind_code(c->kind.ptr, c->kind.len));
    mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_DIGEST);
    mh_cbor_put_bytes(&w, c->digest, c->digest_len);
    mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_LENGTH);
    mh_cbor_put_uint(&w, c->doc_len);
    if (c->nfields) {
        mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_FIELDS);
        mh_cbor_put_map(&w, c->nfields);
        for (size_t i = 0; i < c->nfields; i++) {
            const mh_receipt_field *f = &c->fields[order[i]];
            put_name(&w, &f->key, mh_receipt_field_code(f->key.ptr, f->key.len));
            mh_cbor_put_text(&w, f->value.ptr, f->value.len);
        }
    }
    mh_cbor_put_int(&w, MH_RECEIPT_CLAIM_HOST);
    mh_cbor_put_text(&w, c->host.ptr, c->host.len);
    return mh_cbor_w_finish(&w, len);
}

int mh_receipt_claims_digest(const mh_receipt_claims *claims, uint8_t out[32])
{
    static const char domain[] = "mohur receipt claims v1";
    size_t order[MH_RECEIPT_FIELDS_MAX] = {0};
    uint8_t buf[sizeof domain + MH_RECEIPT_MAX];
    size_t n = 0;
    if (!claims || !out)
        return MH_ERR_INVALID_ARG;
    int ret = check_claims(claims, order);
    if (ret)
        return ret;
    memcpy(buf, domain, sizeof domain); /* the NUL separates the domain */
    if (encode_claims(claims, order, false, buf + sizeof domain, MH_RECEIPT_MAX, &n))
        return MH_ERR_TOO_LARGE;
    return mbedtls_sha256_ret(buf, sizeof domain + n, out, 0) ? MH_ERR_INTERNAL : 0;
}

int mh_receipt_size(const mh_receipt_claims *claims, size_t *len)
{
    size_t order[MH_RECEIPT_FIELDS_MAX] = {0};
    uint8_t payload[MH_RECEIPT_MAX], out[MH_RECEIPT_MAX];
    uint8_t prot[16], kid[MH_RECEIPT_KID_LEN] = {0}, sig[MH_RECEIPT_SIG_LEN] = {0};
    size_t payload_len = 0, prot_len = 0;
    mh_cbor_w w;
    if (!claims || !len)
        return MH_ERR_INVALID_ARG;
    *len = 0;
    int ret = check_claims(claims, order);
    if (ret)
        return ret;
    if (encode_claims(claims, order, true, payload, sizeof payload, &payload_len)) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the receipt's claims are larger than %d bytes; shorten the printed "
                   "fields",
                   MH_RECEIPT_MAX);
        return MH_ERR_TOO_LARGE;
    }
    /* the same layout as mh_receipt_sign, with a zero kid and signature */
    mh_cbor_w_init(&w, prot, sizeof prot);
    mh_cbor_put_map(&w, 2);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_int(&w, -7);
    mh_cbor_put_uint(&w, 4);
    mh_cbor_put_bytes(&w, kid, sizeof kid);
    if (mh_cbor_w_finish(&w, &prot_len))
        return MH_ERR_INTERNAL;
    mh_cbor_w_init(&w, out, sizeof out);
    mh_cbor_put_tag(&w, COSE_TAG_SIGN1);
    mh_cbor_put_array(&w, 4);
    mh_cbor_put_bytes(&w, prot, prot_len);
    mh_cbor_put_map(&w, 0);
    mh_cbor_put_bytes(&w, payload, payload_len);
    mh_cbor_put_bytes(&w, sig, sizeof sig);
    if (mh_cbor_w_finish(&w, len)) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the receipt would be larger than %d bytes; shorten the printed fields",
                   MH_RECEIPT_MAX);
        return MH_ERR_TOO_LARGE;
    }
    return 0;
}

int mh_receipt_sign(const mh_receipt_claims *claims, const mh_signer *key, uint8_t *out, size_t cap,
                    size_t *len)
{
    int ret = MH_ERR_INTERNAL;
    size_t order[MH_RECEIPT_FIELDS_MAX] = {0};
    uint8_t payload[MH_RECEIPT_MAX];
    uint8_t prot[16];
    uint8_t hash[32];
    uint8_t sig[MH_RECEIPT_SIG_LEN];
    mh_receipt_key k;
    size_t payload_len = 0, prot_len = 0, n = 0;
    mh_cbor_w w;

    if (!claims || !key || !out || !len)
        return MH_ERR_INVALID_ARG;
    *len = 0;
    ret = check_claims(claims, order);
    if (ret)
        return ret;
    if (key->alg != MH_SIG_ECDSA || mh_receipt_key_from_spki(key->spki, key->spki_len, &k) != 0)
        return mh_err_set(MH_ERR_KEY_TYPE,
                          "the registry key must be an EC P-256 key (receipts are signed with "
                          "ES256); generate one with 'mohur key generate --type ec-p256'");
    if (encode_claims(claims, order, true, payload, sizeof payload, &payload_len)) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the receipt's claims are larger than %d bytes; shorten the printed "
                   "fields",
                   MH_RECEIPT_MAX);
        return MH_ERR_TOO_LARGE;
    }
    /* protected header: {1: -7, 4: kid} */
    mh_cbor_w_init(&w, prot, sizeof prot);
    mh_cbor_put_map(&w, 2);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_int(&w, -7);
    mh_cbor_put_uint(&w, 4);
    mh_cbor_put_bytes(&w, k.kid, MH_RECEIPT_KID_LEN);
    if (mh_cbor_w_finish(&w, &prot_len))
        return MH_ERR_INTERNAL;
    ret = mh_cose_sign1_hash(prot, prot_len, payload, payload_len, hash);
    if (ret)
        return ret;
    ret = mh_cose_es256_sign(key, hash, sig);
    if (ret)
        return ret;
    mh_receipt_sig_normalize(sig); /* low s: the one encoding verifiers accept */
    /* 18([protected, {}, payload, signature]) */
    mh_cbor_w_init(&w, out, cap < MH_RECEIPT_MAX ? cap : MH_RECEIPT_MAX);
    mh_cbor_put_tag(&w, COSE_TAG_SIGN1);
    mh_cbor_put_array(&w, 4);
    mh_cbor_put_bytes(&w, prot, prot_len);
    mh_cbor_put_map(&w, 0);
    mh_cbor_put_bytes(&w, payload, payload_len);
    mh_cbor_put_bytes(&w, sig, sizeof sig);
    if (mh_cbor_w_finish(&w, &n)) {
        if (cap < MH_RECEIPT_MAX)
            return MH_ERR_BUFFER_TOO_SMALL;
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the receipt would be larger than %d bytes; shorten the printed fields",
                   MH_RECEIPT_MAX);
        return MH_ERR_TOO_LARGE;
    }
    *len = n;
    return 0;
}
