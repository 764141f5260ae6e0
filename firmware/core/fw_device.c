/* fw_device.c - boot and one scan (mh_fw.h): what the board's main loop and
 * the host runner both do, so the emulator and the host print the same. */
#include <stdio.h>
#include <string.h>

#include "fw_int.h"

void mh_fw_linebuf_reset(mh_fw_linebuf *lb)
{
    lb->len = 0;
    lb->seen = 0;
    lb->buf[0] = '\0';
}

bool mh_fw_linebuf_put(mh_fw_linebuf *lb, char ch)
{
    if (ch == '\n') {
        if (lb->len > 0 && lb->buf[lb->len - 1] == '\r') {
            lb->len--;
            lb->seen--;
        }
        lb->buf[lb->len] = '\0';
        return true;
    }
    if (lb->seen < SIZE_MAX)
        lb->seen++;
    if (lb->len < MH_FW_LINE_MAX)
        lb->buf[lb->len++] = ch;
    return false;
}

void mh_fw_device_boot(mh_fw_device *d, const uint8_t *tl_key, size_t tl_key_len,
                       const uint8_t *tl_slot, size_t tl_len, uint64_t min_seq,
                       const uint8_t *snap_slot, size_t snap_len, mh_fw_print_fn out, void *ctx)
{
    char l[240], t[32];
    int ret;

    memset(d, 0, sizeof *d);
    out(ctx, "mohur offline verifier");
    ret = mh_fw_tl_signer(tl_key, tl_key_len, &d->signer);
    if (ret == 0)
        ret = mh_fw_trust_load(&d->signer, tl_slot, tl_len, min_seq, &d->trust);
    if (ret != 0) {
        snprintf(d->trust_why, sizeof d->trust_why, "%s", mh_err_message(ret));
        snprintf(l, sizeof l, "trust list: REFUSED: %s", d->trust_why);
        out(ctx, l);
    } else {
        d->st.trust = &d->trust;
        mh_fw_format_time(d->trust.issued_at, t, sizeof t);
        snprintf(l, sizeof l, "trust list #%llu of %s: %zu registry key(s)",
                 (unsigned long long)d->trust.seq, t, d->trust.nkeys);
        out(ctx, l);
    }
    d->st.trust_why = d->trust_why;
    if (!d->st.trust) {
        snprintf(d->snap_why, sizeof d->snap_why, "no trust list to check it with");
    } else if ((ret = mh_fw_snapshot_load(&d->trust, snap_slot, snap_len, &d->snap)) != 0) {
        snprintf(d->snap_why, sizeof d->snap_why, "%s", mh_err_message(ret));
        snprintf(l, sizeof l, "revocation snapshot: REFUSED: %s", d->snap_why);
        out(ctx, l);
    } else {
        d->st.snap = &d->snap;
        mh_fw_format_time(d->snap.made_at, t, sizeof t);
        snprintf(l, sizeof l, "revocation snapshot of %.*s: %s, %llu entries, %zu revoked",
                 (int)d->snap.registry.len, d->snap.registry.ptr, t,
                 (unsigned long long)d->snap.tree_size, d->snap.nrevoked);
        out(ctx, l);
    }
    d->st.snap_why = d->snap_why;
}

enum mh_fw_verdict mh_fw_device_scan(mh_fw_device *d, const char *line, size_t len, size_t seen,
                                     uint64_t now, mh_fw_print_fn out, void *ctx)
{
    d->st.now = now;
    if (seen > len) {
        /* cut by the line buffer: judged on its true length */
        memset(&d->res, 0, sizeof d->res);
        d->res.verdict = MH_FW_MALFORMED;
        snprintf(d->res.why, sizeof d->res.why,
                 "the scanned line is %zu characters, more than any receipt URL (%d)", seen,
                 MH_FW_LINE_MAX);
    } else {
        mh_fw_verify_line(&d->st, line, len, d->receipt, sizeof d->receipt, &d->res);
    }
    mh_fw_render(&d->st, &d->res, out, ctx);
    return d->res.verdict;
}
