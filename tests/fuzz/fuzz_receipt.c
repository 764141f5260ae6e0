/* fuzz_receipt.c - receipt decoding and verification, the URL parser and
 * base32 on any input: no read outside it, no crash, and nothing accepted
 * that does not re-encode to the same bytes.
 *
 * The trusted key is the P-256 generator point (private key 1), so seeds
 * signed with that key reach the signature check and pass it. */
#include <stdint.h>
#include <string.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t p256_g[MH_RECEIPT_P256_POINT] = {
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
    0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4,
    0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a,
    0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33,
    0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

static void check_receipt(const uint8_t *buf, size_t len, const mh_receipt_key *key)
{
    mh_receipt r;
    uint8_t sha[32] = {0};

    if (mh_receipt_decode(buf, len, &r) == 0) {
        /* what decodes has sane claims */
        if (r.claims.nfields > MH_RECEIPT_FIELDS_MAX ||
            (r.claims.digest_len != 16 && r.claims.digest_len != 32))
            __builtin_trap();
        if (mh_receipt_check_document(&r.claims, sha, 0) == 0 && r.claims.doc_len != 0)
            __builtin_trap();
    }
    if (mh_receipt_verify(buf, len, key, 1, &r) == 0 && !r.verified)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_receipt_key key;
    static int have_key;
    uint8_t out[MH_RECEIPT_MAX + 8];
    char text[MH_RECEIPT_URL_MAX + 1];
    size_t len = 0;
    mh_receipt_str host;

    if (!have_key) {
        if (mh_receipt_key_from_point(p256_g, sizeof p256_g, &key))
            __builtin_trap();
        have_key = 1;
    }
    /* the bytes as a receipt */
    check_receipt(data, size, &key);
    /* the bytes as a QR text: URL, then base32 alone */
    if (mh_receipt_url_parse((const char *)data, size, &host, out, sizeof out, &len) == 0)
        check_receipt(out, len, &key);
    if (mh_base32_decode((const char *)data, size, out, sizeof out, &len) == 0) {
        /* base32 is canonical: decoding then encoding gives the input back */
        if (mh_base32_encode(out, len, text, sizeof text, &len) != 0 || len != size ||
            memcmp(text, data, size) != 0)
            __builtin_trap();
    }
    return 0;
}
