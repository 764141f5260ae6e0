/* base64.c - RFC 4648 base64, standard alphabet, padded, canonical only
 * (common_codec.h). */
#include "mh_common.h"

#include <pthread.h>
#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t mh_base64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

int mh_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *olen)
{
    size_t n = 0;
    if ((!in && len) || (len % 4) != 0)
        return MH_ERR_PARSE;
    if (olen)
        *olen = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        size_t pad = 0;
        for (size_t j = 0; j < 4; j++) {
            char c = in[i + j];
            if (c == '=' && i + 4 == len && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            if (pad)
                return MH_ERR_PARSE; /* data after '=' */
            v[j] = b64_val(c);
            if (v[j] < 0)
                return MH_ERR_PARSE;
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t bytes = 3 - pad;
        /* canonical: the bits below the last byte are zero */
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
            return MH_ERR_PARSE;
        if (n + bytes > cap)
            return MH_ERR_TOO_LARGE;
        for (size_t j = 0; j < bytes; j++)
            out[n + j] = (uint8_t)(w >> (16 - 8 * j));
        n += bytes;
    }
    if (olen)
        *olen = n;
    return MH_OK;
}

/* Two output characters for each 12 bits of input, so that the loop over
 * whole 3-byte groups does two loads and two stores: mohurd's front
 * encodes every signed PDF it hands back. */
static uint16_t pairs[4096];
static pthread_once_t pairs_once = PTHREAD_ONCE_INIT;

static void pairs_make(void)
{
    for (unsigned v = 0; v < 4096; v++) {
        char two[2] = {B64[v >> 6], B64[v & 63]};
        memcpy(&pairs[v], two, 2);
    }
}

int mh_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap, size_t *olen)
{
    size_t o = 0, i = 0;
    if (!out || (!in && len) || len > (SIZE_MAX - 4) / 4 * 3)
        return MH_ERR_INVALID_ARG;
    if (mh_base64_encoded_len(len) + 1 > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    pthread_once(&pairs_once, pairs_make);
    for (; len - i >= 3; i += 3, o += 4) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        memcpy(out + o, &pairs[w >> 12], 2);
        memcpy(out + o + 2, &pairs[w & 4095], 2);
    }
    if (i < len) {
        uint32_t w = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            w |= (uint32_t)in[i + 1] << 8;
        out[o++] = B64[(w >> 18) & 63];
        out[o++] = B64[(w >> 12) & 63];
        out[o++] = i + 1 < len ? B64[(w >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
    if (olen)
        *olen = o;
    return MH_OK;
}
