/*
 * witness.c - a witness's cosignature of one of the appliance's checkpoints
 * (C2SP tlog-cosignature, cosignature/v1): verified with the key of a
 * trusted witness and stored beside the checkpoint (mh_ledger_cosign_add),
 * so the checkpoint mirrors fetch carries it.
 */
#include "app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wctx {
    mh_note_vkey keys[MH_APP_WITNESSES_MAX];
    size_t n;
    size_t used; /* the witness whose key verified it */
    uint64_t time;
} wctx;

static int verify_cb(void *ctx, const char *note, size_t note_len, const char *line,
                     size_t line_len)
{
    wctx *w = ctx;
    char *buf = malloc(note_len + line_len + 1);
    int rc = MH_ERR_VERIFY_FAILED;
    if (!buf)
        return MH_ERR_NOMEM;
    memcpy(buf, note, note_len);
    memcpy(buf + note_len, line, line_len);
    buf[note_len + line_len] = 0;
    for (size_t i = 0; i < w->n; i++) {
        int r = mh_cosig_verify(buf, note_len + line_len, &w->keys[i], &w->time);
        if (r == 0) {
            w->used = i;
            rc = MH_OK;
            break;
        }
    }
    free(buf);
    return rc;
}

int mh_app_witness_cosign(mh_app *a, uint64_t seq, const char *line, size_t len,
                          const char *const *vkeys, size_t nvkeys, char *witness, size_t cap)
{
    wctx *w = calloc(1, sizeof *w);
    int rc;
    if (!w)
        return MH_ERR_NOMEM;
    for (size_t i = 0; i < nvkeys && w->n < MH_APP_WITNESSES_MAX; i++) {
        if (mh_note_vkey_parse(vkeys[i], strlen(vkeys[i]), &w->keys[w->n]) == 0 &&
            w->keys[w->n].type == MH_NOTE_COSIG)
            w->n++;
    }
    if (!w->n) {
        free(w);
        mh_err_set(MH_ERR_PERMISSION,
                   "no witness is trusted here (mohurd.conf: witness VKEY, a cosignature/v1 "
                   "key)");
        return MH_ERR_PERMISSION;
    }
    rc = mh_ledger_cosign_add(a->ledger, seq, line, len, verify_cb, w);
    if (rc == MH_ERR_VERIFY_FAILED)
        mh_err_set(rc, "the cosignature is not a valid signature of that checkpoint by a trusted "
                       "witness");
    if (rc == 0 && witness)
        snprintf(witness, cap, "%s", w->keys[w->used].name);
    free(w);
    return rc;
}
