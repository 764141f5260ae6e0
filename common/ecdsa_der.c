/* ecdsa_der.c - ECDSA signatures between r||s (PKCS#11, COSE) and DER
 * (X.509, CMS, signed notes), common_signer.h. The parser accepts only the
 * one canonical DER form; pki/sig's verifier reads DER on its own, with the
 * curve order's range checks. */
#include <string.h>

#include "mh_common.h"

static size_t put_len(uint8_t *p, size_t len)
{
    if (len < 0x80) {
        p[0] = (uint8_t)len;
        return 1;
    }
    p[0] = 0x81;
    p[1] = (uint8_t)len;
    return 2;
}

/* One INTEGER from a big-endian unsigned value, minimal. */
static size_t put_int(uint8_t *p, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    bool pad = (v[0] & 0x80) != 0;
    size_t len = n + (pad ? 1 : 0);
    size_t o = 0;
    p[o++] = 0x02;
    o += put_len(p + o, len);
    if (pad)
        p[o++] = 0;
    memcpy(p + o, v, n);
    return o + n;
}

int mh_ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t *der, size_t cap,
                        size_t *der_len)
{
    if (raw_len == 0 || raw_len % 2 || raw_len > 132)
        return MH_ERR_INVALID_ARG;
    size_t n = raw_len / 2;
    uint8_t body[2 * (66 + 4)];
    size_t b = put_int(body, raw, n);
    b += put_int(body + b, raw + n, n);
    uint8_t hdr[3];
    size_t h = 1 + put_len(hdr + 1, b);
    hdr[0] = 0x30;
    if (h + b > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(der, hdr, h);
    memcpy(der + h, body, b);
    *der_len = h + b;
    return 0;
}

/* Reads a DER length at p[*o], minimal form only. */
static int get_len(const uint8_t *p, size_t end, size_t *o, size_t *len)
{
    if (*o >= end)
        return -1;
    uint8_t c = p[(*o)++];
    if (c < 0x80) {
        *len = c;
        return 0;
    }
    if (c != 0x81 || *o >= end)
        return -1; /* our signatures are never longer than 255 bytes */
    c = p[(*o)++];
    if (c < 0x80)
        return -1; /* should have used the short form */
    *len = c;
    return 0;
}

static int get_int(const uint8_t *p, size_t end, size_t *o, size_t n, uint8_t *out)
{
    size_t len;
    if (*o >= end || p[(*o)++] != 0x02 || get_len(p, end, o, &len) || len == 0 || len > end - *o)
        return -1;
    const uint8_t *v = p + *o;
    *o += len;
    if (v[0] & 0x80)
        return -1; /* negative */
    if (v[0] == 0) {
        if (len == 1 || !(v[1] & 0x80))
            return -1; /* zero, or a needless leading zero */
        v++;
        len--;
    }
    if (len > n)
        return -1;
    memset(out, 0, n - len);
    memcpy(out + n - len, v, len);
    return 0;
}

int mh_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t n, uint8_t *raw)
{
    size_t o = 0, len;
    if (n == 0 || n > 66 || der_len < 2 || der[o++] != 0x30 || get_len(der, der_len, &o, &len) ||
        len != der_len - o)
        return MH_ERR_VERIFY_FAILED;
    if (get_int(der, der_len, &o, n, raw) || get_int(der, der_len, &o, n, raw + n) || o != der_len)
        return MH_ERR_VERIFY_FAILED;
    return 0;
}
