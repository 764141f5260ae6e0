/* push.c - a log pushes its checkpoint to a witness (C2SP tlog-witness,
 * add-checkpoint) and keeps the cosignature beside the checkpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_lazy.h"

#include "ledger_internal.h"
#include "mh_pki.h"

#define RESP_MAX 8192

struct buf {
    char p[RESP_MAX + 1];
    size_t len;
    bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t add = size * n;
    if (add > RESP_MAX - b->len) {
        b->too_big = true;
        return 0;
    }
    memcpy(b->p + b->len, data, add);
    b->len += add;
    b->p[b->len] = 0;
    return add;
}

static int post(CURL *c, const char *url, const char *body, size_t len, long *status, struct buf *b)
{
    CURLcode rc;
    b->len = 0;
    b->p[0] = 0;
    b->too_big = false;
    mh_curl.easy_setopt(c, CURLOPT_URL, url);
    mh_curl.easy_setopt(c, CURLOPT_POSTFIELDS, body);
    mh_curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    mh_curl.easy_setopt(c, CURLOPT_WRITEDATA, b);
    rc = mh_curl.easy_perform(c);
    if (rc != CURLE_OK || b->too_big) {
        mh_err_set(MH_ERR_IO, "sending the checkpoint to the witness at %s failed: %s", url,
                   b->too_big ? "the answer is too large" : mh_curl.easy_strerror(rc));
        return MH_ERR_IO;
    }
    mh_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    return MH_OK;
}

struct vctx {
    const mh_note_vkey *w;
    uint64_t time;
};

static int verify_cb(void *ctx, const char *note, size_t note_len, const char *line,
                     size_t line_len)
{
    struct vctx *v = ctx;
    char *buf = malloc(note_len + line_len + 1);
    int rc;
    if (!buf)
        return MH_ERR_NOMEM;
    memcpy(buf, note, note_len);
    memcpy(buf + note_len, line, line_len);
    buf[note_len + line_len] = 0;
    rc = mh_cosig_verify(buf, note_len + line_len, v->w, &v->time);
    free(buf);
    return rc == MH_ERR_NOT_FOUND ? MH_ERR_VERIFY_FAILED : rc;
}

int mh_ledger_push(mh_ledger *l, uint64_t seq, const char *url, const mh_note_vkey *witness,
                   mh_ledger_push_result *r)
{
    char *note = NULL, *req = NULL, full[2200], origin[MH_LEDGER_ORIGIN_MAX + 1];
    struct buf *b = NULL;
    uint8_t root[MH_LEDGER_HASH_LEN], proof[64][MH_LEDGER_HASH_LEN];
    size_t nl, body, np = 0, rl;
    uint64_t size, old = 0;
    long status = 0;
    CURL *c = NULL;
    int ret = MH_ERR_NOMEM;

    memset(r, 0, sizeof *r);
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) > 2000) {
        mh_err_set(MH_ERR_INVALID_ARG, "a witness URL starts with http:// or https://");
        return MH_ERR_INVALID_ARG;
    }
    if (!witness || witness->type != MH_NOTE_COSIG) {
        mh_err_set(MH_ERR_INVALID_ARG, "the witness key must be a cosignature/v1 key (type 0x04)");
        return MH_ERR_INVALID_ARG;
    }
    if ((ret = mh_curl_load()) != 0)
        return ret;
    ret = MH_ERR_NOMEM;
    snprintf(full, sizeof full, "%s%sadd-checkpoint", url, url[strlen(url) - 1] == '/' ? "" : "/");
    if (!(note = malloc(MH_LEDGER_NOTE_MAX + 1)) ||
        !(req = malloc(2 * MH_LEDGER_NOTE_MAX + 4096)) || !(b = malloc(sizeof *b)) ||
        !(c = mh_curl.easy_init()))
        goto out;
    if ((ret = mh_ledger_checkpoint_get(l, seq, note, MH_LEDGER_NOTE_MAX + 1, &nl, &seq)))
        goto out;
    if ((ret = mh_note_parse(note, nl, &body)) ||
        (ret = mh_ledger_checkpoint_parse(note, body, origin, sizeof origin, &size, root)))
        goto out;
    r->size = size;
    mh_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    mh_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    mh_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    mh_curl.easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    mh_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    mh_curl.easy_setopt(c, CURLOPT_USERAGENT, "mohur-log");
    /* the witness says what it cosigned last (409), or cosigns */
    for (int attempt = 0; attempt < 3; attempt++) {
        if ((ret = mh_witness_request_format(old, (const uint8_t(*)[32])proof, np, note, nl, req,
                                             2 * MH_LEDGER_NOTE_MAX + 4096, &rl)) ||
            (ret = post(c, full, req, rl, &status, b)))
            goto out;
        r->status = (unsigned)status;
        if (status != 409)
            break;
        {
            char *end;
            unsigned long long s = strtoull(b->p, &end, 10);
            if (end == b->p || *end != '\n') {
                mh_err_set(MH_ERR_LEDGER_FORK,
                           "the witness refused checkpoint %llu as a fork of the one it cosigned "
                           "(%s): %.200s",
                           (unsigned long long)size, full, b->p);
                ret = MH_ERR_LEDGER_FORK;
                goto out;
            }
            r->witness_size = s;
            if (s > size) {
                mh_err_set(MH_ERR_VERIFY_FAILED,
                           "the witness already cosigned a larger tree (%llu entries) than "
                           "checkpoint %llu (%llu); push the latest checkpoint",
                           s, (unsigned long long)seq, (unsigned long long)size);
                ret = MH_ERR_VERIFY_FAILED;
                goto out;
            }
            if (s == old) {
                mh_err_set(MH_ERR_IO,
                           "the witness at %s keeps answering that it holds %llu entries", full, s);
                ret = MH_ERR_IO;
                goto out;
            }
            old = s;
            np = 0;
            if (old > 0 && old < size &&
                (ret = mh_ledger_prove_consistency(l, old, size, proof, 64, &np)))
                goto out;
        }
    }
    if (status != 200) {
        mh_err_set(status == 422 ? MH_ERR_LEDGER_FORK : MH_ERR_VERIFY_FAILED,
                   "the witness at %s refused checkpoint %llu (HTTP %ld): %.300s", full,
                   (unsigned long long)seq, status, b->p);
        ret = status == 422 ? MH_ERR_LEDGER_FORK : MH_ERR_VERIFY_FAILED;
        goto out;
    }
    {
        /* each returned line: keep the valid cosignatures of this witness */
        const char *p = b->p, *end = b->p + b->len;
        struct vctx v = {witness, 0};
        size_t kept = 0;
        while (p < end) {
            const char *e = memchr(p, '\n', (size_t)(end - p));
            if (!e)
                break;
            int rc = mh_ledger_cosign_add(l, seq, p, (size_t)(e - p + 1), verify_cb, &v);
            if (rc == MH_OK || rc == MH_ERR_ALREADY_EXISTS) {
                kept++;
                r->cosig_time = v.time;
                snprintf(r->line, sizeof r->line, "%.*s", (int)(e - p + 1), p);
            }
            p = e + 1;
        }
        if (!kept) {
            mh_err_set(MH_ERR_VERIFY_FAILED,
                       "the witness at %s answered, but with no valid cosignature by %s", full,
                       witness->name);
            ret = MH_ERR_VERIFY_FAILED;
            goto out;
        }
    }
    r->witness_size = size;
    ret = MH_OK;
out:
    if (c)
        mh_curl.easy_cleanup(c);
    free(note);
    free(req);
    free(b);
    return ret;
}
