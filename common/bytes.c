/* bytes.c - hex (common_bytes.h). */
#include "mh_common.h"

int mh_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mh_hex_decode(const char *hex, size_t len, uint8_t *out, size_t cap, size_t *olen)
{
    if (olen)
        *olen = 0;
    if ((!hex && len) || len % 2)
        return MH_ERR_PARSE;
    if (len / 2 > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < len; i += 2) {
        int hi = mh_hexval((unsigned char)hex[i]), lo = mh_hexval((unsigned char)hex[i + 1]);
        if (hi < 0 || lo < 0)
            return MH_ERR_PARSE;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    if (olen)
        *olen = len / 2;
    return MH_OK;
}

void mh_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < len && o + 2 < cap; i++) {
        out[o++] = digits[in[i] >> 4];
        out[o++] = digits[in[i] & 15];
    }
    if (cap > 0)
        out[o] = '\0';
}
