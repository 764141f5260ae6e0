/* witness.c - the body of a C2SP tlog-witness add-checkpoint request:
 *     "old <size>\n", up to 63 lines of one base64 hash each (an RFC 6962
 *     consistency proof from <size> to the checkpoint's size), an empty
 *     line, then the signed checkpoint.
 * Pure and allocation-free, bounded by the caller's buffers. */
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

/* The line starting at p (ending in '\n' before end): its length. */
static int line_at(const char *p, const char *end, size_t *len)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return MH_ERR_PARSE;
    *len = (size_t)(nl - p);
    return 0;
}

int mh_witness_request_parse(const char *body, size_t len, uint64_t *old_size,
                             uint8_t proof[][MH_HASH_LEN], size_t cap, size_t *n, size_t *note_off)
{
    const char *p = body, *end = body + len;
    size_t ll, k = 0;
    uint64_t v = 0;
    if (!body || !old_size || !n || !note_off || len > MH_WITNESS_MAX_REQUEST)
        goto bad;
    if (line_at(p, end, &ll) || ll < 5 || ll > 24 || memcmp(p, "old ", 4) != 0)
        goto bad;
    if (p[4] == '0' && ll != 5)
        goto bad; /* no leading zeros */
    for (size_t i = 4; i < ll; i++) {
        if (p[i] < '0' || p[i] > '9' || v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
            goto bad;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    p += ll + 1;
    for (;;) {
        size_t got;
        if (line_at(p, end, &ll))
            goto bad;
        if (ll == 0) {
            p++;
            break;
        }
        if (k >= 63 || k >= cap || ll != 44 ||
            mh_base64_decode(p, ll, proof[k], MH_HASH_LEN, &got) != 0 || got != MH_HASH_LEN)
            goto bad;
        k++;
        p += ll + 1;
    }
    if (p >= end)
        goto bad;
    *old_size = v;
    *n = k;
    *note_off = (size_t)(p - body);
    return 0;
bad:
    mh_err_set(MH_ERR_PARSE,
               "the add-checkpoint request is malformed: it must be 'old <size>', up to 63 "
               "base64 proof hashes, an empty line and a signed checkpoint (C2SP tlog-witness)");
    return MH_ERR_PARSE;
}

int mh_witness_request_format(uint64_t old_size, const uint8_t (*proof)[MH_HASH_LEN], size_t n,
                              const char *note, size_t note_len, char *out, size_t cap,
                              size_t *out_len)
{
    char digits[21];
    size_t nd = 0, o = 0;
    if (!out || !out_len || (n && !proof) || n > 63 || !note)
        return MH_ERR_INVALID_ARG;
    do {
        digits[nd++] = (char)('0' + old_size % 10);
        old_size /= 10;
    } while (old_size);
    if (cap < 4 + nd + 1 + n * 45 + 1 + note_len + 1)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(out, "old ", 4);
    o = 4;
    while (nd)
        out[o++] = digits[--nd];
    out[o++] = '\n';
    for (size_t i = 0; i < n; i++) {
        size_t bl;
        if (mh_base64_encode(proof[i], MH_HASH_LEN, out + o, cap - o, &bl) != 0)
            return MH_ERR_BUFFER_TOO_SMALL;
        o += bl;
        out[o++] = '\n';
    }
    out[o++] = '\n';
    memcpy(out + o, note, note_len);
    o += note_len;
    out[o] = 0;
    *out_len = o;
    return 0;
}
