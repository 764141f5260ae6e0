/* base32.c - RFC 4648 base32 (upper-case alphabet, no padding), common_codec.h.
 *
 * The alphabet is a subset of QR alphanumeric mode, which is why receipts
 * travel in base32. Decoding is strict: only upper-case letters and 2-7,
 * only the lengths an encoder can produce, and the unused low bits of the
 * last character must be zero, so every byte string has exactly one
 * encoding. No allocation, no I/O. */
#include "mh_common.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t mh_base32_encoded_len(size_t len)
{
    return (len / 5) * 8 + (len % 5 * 8 + 4) / 5;
}

int mh_base32_encode(const uint8_t *in, size_t len, char *out, size_t cap, size_t *olen)
{
    size_t need;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    if ((!in && len) || !out || len > (SIZE_MAX - 8) / 2)
        return MH_ERR_INVALID_ARG;
    need = mh_base32_encoded_len(len);
    if (cap <= need)
        return MH_ERR_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32_alphabet[(acc >> bits) & 31u];
        }
        acc &= (1u << bits) - 1u;
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31u];
    out[o] = '\0';
    if (olen)
        *olen = o;
    return 0;
}

static int b32_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int mh_base32_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *olen)
{
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t rem = len % 8;

    if ((!in && len) || (!out && cap) || !olen)
        return MH_ERR_INVALID_ARG;
    *olen = 0;
    /* 1, 3 and 6 trailing characters never come out of an encoder */
    if (rem == 1 || rem == 3 || rem == 6) {
        mh_err_set(MH_ERR_PARSE,
                   "the base32 text has an impossible length (%zu characters): it was cut "
                   "short or mistyped; scan or copy it again",
                   len);
        return MH_ERR_PARSE;
    }
    if ((len / 8) * 5 + (rem * 5) / 8 > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < len; i++) {
        int v = b32_value(in[i]);
        if (v < 0) {
            mh_err_set(MH_ERR_PARSE,
                       "the base32 text has a character outside A-Z and 2-7 at position %zu: "
                       "it was mistyped or damaged; scan or copy it again",
                       i + 1);
            return MH_ERR_PARSE;
        }
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    /* the bits left over must be the zero padding an encoder writes */
    if (acc != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "the base32 text does not end the way an encoder ends it (non-zero "
                   "padding bits): it was altered; scan or copy it again");
        return MH_ERR_PARSE;
    }
    *olen = o;
    return 0;
}
