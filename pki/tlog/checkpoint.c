/* checkpoint.c - C2SP tlog-checkpoint bodies: parse strictly, format. */
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

/* Valid UTF-8 without control characters (newline included). */
static bool line_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp = mh_utf8_next((const uint8_t *)s, len, &i);
        if (cp == MH_UTF8_BAD || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return false;
    }
    return true;
}

/* The next line of [*p, end) without its newline; -1 when there is no
 * newline before the end. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl)
        return -1;
    *line = *p;
    *len = (size_t)(nl - *p);
    *p = nl + 1;
    return 0;
}

int mh_checkpoint_parse(const char *text, size_t len, mh_checkpoint *cp)
{
    const char *p, *end, *l;
    size_t ll, n;
    int ret = MH_ERR_PARSE;
    if (!text || !cp)
        return MH_ERR_INVALID_ARG;
    memset(cp, 0, sizeof *cp);
    if (len > MH_NOTE_MAX_TEXT + (size_t)MH_NOTE_MAX_SIGS * (MH_NOTE_MAX_LINE + 1)) {
        mh_err_set(MH_ERR_TOO_LARGE, "the checkpoint is larger than 1 MiB: it is not a checkpoint");
        return MH_ERR_TOO_LARGE;
    }
    p = text;
    end = text + len;
    /* origin */
    if (next_line(&p, end, &l, &ll) != 0 || ll == 0 || ll > MH_CHECKPOINT_MAX_ORIGIN ||
        !line_ok(l, ll)) {
        mh_err_set(ret,
                   "the checkpoint's first line is not a log origin (non-empty text of at most "
                   "%d bytes)",
                   MH_CHECKPOINT_MAX_ORIGIN);
        goto out;
    }
    memcpy(cp->origin, l, ll);
    cp->origin[ll] = 0;
    cp->origin_len = ll;
    /* tree size: decimal, no sign, no leading zeros, 64 bits */
    if (next_line(&p, end, &l, &ll) != 0 || ll == 0 || ll > 20 || (ll > 1 && l[0] == '0')) {
        mh_err_set(ret, "the checkpoint's second line is not a tree size in decimal");
        goto out;
    }
    for (size_t i = 0; i < ll; i++) {
        if (l[i] < '0' || l[i] > '9' || cp->size > (UINT64_MAX - (uint64_t)(l[i] - '0')) / 10) {
            mh_err_set(ret,
                       "the checkpoint's second line is not a tree size in decimal (digits only, "
                       "at most 2^64 - 1)");
            goto out;
        }
        cp->size = cp->size * 10 + (uint64_t)(l[i] - '0');
    }
    /* root hash */
    if (next_line(&p, end, &l, &ll) != 0 ||
        mh_base64_decode(l, ll, cp->root, sizeof cp->root, &n) != 0 || n != sizeof cp->root) {
        mh_err_set(ret, "the checkpoint's third line is not the base64 of a 32-byte root hash");
        goto out;
    }
    /* extension lines, up to the end or a blank line (the signatures) */
    const char *ext = p;
    while (p < end) {
        if (*p == '\n')
            break;
        if (next_line(&p, end, &l, &ll) != 0 || !line_ok(l, ll)) {
            mh_err_set(ret, "an extension line of the checkpoint is not a line of text");
            goto out;
        }
    }
    if (p > ext) {
        cp->ext = ext;
        cp->ext_len = (size_t)(p - ext);
    }
    ret = 0;
out:
    if (ret != 0) {
        memset(cp, 0, sizeof *cp);
    }
    return ret;
}

int mh_checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32], const char *ext,
                         size_t ext_len, char *out, size_t cap, size_t *out_len)
{
    char digits[21];
    size_t ol, nd = 0, o, bl;
    int ret;
    if (!origin || !root || !out || !out_len || (!ext && ext_len))
        return MH_ERR_INVALID_ARG;
    *out_len = 0;
    ol = strlen(origin);
    if (ol == 0 || ol > MH_CHECKPOINT_MAX_ORIGIN || !line_ok(origin, ol))
        return MH_ERR_INVALID_ARG;
    /* extension lines: whole, non-empty lines of text */
    for (const char *p = ext, *end = ext + ext_len; p && p < end;) {
        const char *l;
        size_t ll;
        if (next_line(&p, end, &l, &ll) != 0 || ll == 0 || !line_ok(l, ll))
            return MH_ERR_INVALID_ARG;
    }
    do {
        digits[nd++] = (char)('0' + size % 10);
        size /= 10;
    } while (size);
    if (ol + 1 + nd + 1 + 45 + ext_len + 1 > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(out, origin, ol);
    o = ol;
    out[o++] = '\n';
    while (nd)
        out[o++] = digits[--nd];
    out[o++] = '\n';
    ret = mh_base64_encode(root, 32, out + o, cap - o, &bl);
    if (ret != 0)
        return ret;
    o += bl;
    out[o++] = '\n';
    if (ext_len)
        memcpy(out + o, ext, ext_len);
    o += ext_len;
    out[o] = 0;
    *out_len = o;
    return 0;
}
