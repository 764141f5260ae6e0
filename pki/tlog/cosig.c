/* cosig.c - C2SP tlog-cosignature: cosignature/v1 (key type 0x04). */
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

int mh_cosig_message(const char *text, size_t text_len, uint64_t time, uint8_t *out, size_t cap,
                     size_t *out_len)
{
    static const char head[] = "cosignature/v1\ntime ";
    char digits[21];
    size_t nd = 0, o = sizeof head - 1;
    mh_checkpoint cp;
    if (!text || !out || !out_len)
        return MH_ERR_INVALID_ARG;
    *out_len = 0;
    /* witnesses cosign checkpoints: the text must be one, with no blank
     * line (a checkpoint body ends at its last line) */
    bool blank = false;
    for (size_t i = 1; i < text_len; i++)
        blank = blank || (text[i] == '\n' && text[i - 1] == '\n');
    if (text_len == 0 || text[text_len - 1] != '\n' || blank ||
        mh_checkpoint_parse(text, text_len, &cp) != 0) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "a cosignature covers a checkpoint body: origin, size, root hash and "
                   "extension lines, each ending in a newline");
        return MH_ERR_INVALID_ARG;
    }
    do {
        digits[nd++] = (char)('0' + time % 10);
        time /= 10;
    } while (time);
    if (o + nd + 1 + text_len + 1 > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(out, head, o);
    while (nd)
        out[o++] = (uint8_t)digits[--nd];
    out[o++] = '\n';
    memcpy(out + o, text, text_len);
    o += text_len;
    out[o] = 0;
    *out_len = o;
    return 0;
}

int mh_cosig_line(const char *name, const uint8_t keyid[4], uint64_t time, const uint8_t sig[64],
                  char *out, size_t cap, size_t *out_len)
{
    uint8_t raw[8 + 64];
    if (!sig)
        return MH_ERR_INVALID_ARG;
    for (int i = 7; i >= 0; i--) {
        raw[i] = (uint8_t)time;
        time >>= 8;
    }
    memcpy(raw + 8, sig, 64);
    return mh_note_sig_line(name, keyid, raw, sizeof raw, out, cap, out_len);
}

int mh_cosig_verify(const char *note, size_t len, const mh_note_vkey *witness, uint64_t *time)
{
    mh_note_status st;
    mh_checkpoint cp;
    size_t tl;
    int ret;
    if (!note || !witness)
        return MH_ERR_INVALID_ARG;
    if (time)
        *time = 0;
    if (witness->type != MH_NOTE_COSIG) {
        mh_err_set(MH_ERR_INVALID_ARG, "'%s' is not a witness key (type 0x04, cosignature/v1)",
                   witness->name);
        return MH_ERR_INVALID_ARG;
    }
    ret = mh_note_parse(note, len, &tl);
    if (ret != 0)
        return ret;
    ret = mh_checkpoint_parse(note, tl, &cp);
    if (ret != 0)
        return ret;
    ret = mh_note_verify(note, len, witness, 1, &st, NULL);
    if (ret == MH_ERR_NOT_FOUND)
        mh_err_set(MH_ERR_NOT_FOUND, "the checkpoint has no cosignature by witness '%s'",
                   witness->name);
    if (ret != 0)
        return ret;
    if (time)
        *time = st.time;
    return 0;
}

int mh_cosig_quorum(const char *note, size_t len, const mh_note_vkey *witnesses, size_t n, size_t k,
                    size_t *count, uint64_t *oldest)
{
    size_t good = 0;
    uint64_t old = UINT64_MAX;
    if (!note || (n && !witnesses) || !count)
        return MH_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = 0;
        bool dup = false;
        /* a witness counts once, however many of its keys are listed */
        for (size_t j = 0; j < i; j++)
            dup = dup || (witnesses[j].name_len == witnesses[i].name_len &&
                          memcmp(witnesses[j].name, witnesses[i].name, witnesses[i].name_len) == 0);
        if (dup)
            continue;
        if (mh_cosig_verify(note, len, &witnesses[i], &t) == 0) {
            good++;
            if (t < old)
                old = t;
        }
    }
    *count = good;
    if (oldest)
        *oldest = good ? old : 0;
    if (good < k) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the checkpoint carries valid cosignatures of %zu of the %zu witnesses given; "
                   "%zu are required",
                   good, n, k);
        return MH_ERR_VERIFY_FAILED;
    }
    return 0;
}
