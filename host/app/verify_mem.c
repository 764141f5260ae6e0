/*
 * verify_mem.c - verifying what arrived in memory (mohurd's uploads) with
 * the same flows as files: a PDF through mh_app_verify_pdf_bytes; anything
 * else through mh_app_verify_file / mh_app_verify_qr on a memfd, named by
 * its /proc/self/fd path (a process whose sandbox forbids creating files
 * can still open its own descriptors read-only).
 */
#define _GNU_SOURCE
#include "app_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static bool is_pdf(const uint8_t *d, size_t n)
{
    return d && n >= 5 && memcmp(d, "%PDF-", 5) == 0;
}

/* A memfd with the bytes, and its /proc path. */
static int as_path(const uint8_t *buf, size_t len, int *fd, char *path, size_t cap)
{
    int f = memfd_create("mohur-verify", MFD_CLOEXEC);
    size_t done = 0;
    if (f < 0) {
        mh_err_set(MH_ERR_IO, "memfd_create: %s", strerror(errno));
        return MH_ERR_IO;
    }
    while (done < len) {
        ssize_t w = write(f, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(f);
            return MH_ERR_IO;
        }
        done += (size_t)w;
    }
    *fd = f;
    snprintf(path, cap, "/proc/self/fd/%d", f);
    return MH_OK;
}

int mh_app_verify_mem(mh_app *a, const mh_app_verify_input *in, mh_app_verdict *v)
{
    int rc, dfd = -1, pfd = -1;
    char dpath[64], ppath[64];
    mh_app_verdict *q = NULL;

    memset(v, 0, sizeof *v);
    if (!in->doc && !in->qr_text) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "give a document, a document with its signature, or a receipt");
        return MH_ERR_INVALID_ARG;
    }
    if (in->p7s && !in->doc) {
        mh_err_set(MH_ERR_INVALID_ARG, "a detached signature needs the document it signs");
        return MH_ERR_INVALID_ARG;
    }
    if (in->doc && in->doc_len > MH_APP_DOC_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "the document is too large (at most %zu MiB)",
                   MH_APP_DOC_MAX >> 20);
        return MH_ERR_TOO_LARGE;
    }
    if (in->follow && !in->p7s && mh_app_follow_takes(a, in->follow, in->qr_text)) {
        if (!in->doc)
            return mh_app_verify_follow(in->follow, in->qr_text, NULL, v);
        if ((rc = as_path(in->doc, in->doc_len, &dfd, dpath, sizeof dpath)) == 0)
            rc = mh_app_verify_follow(in->follow, in->qr_text, dpath, v);
        goto out;
    }
    if (!in->doc)
        return mh_app_verify_qr(a, in->qr_text, NULL, v);
    if (!in->p7s && !in->qr_text) {
        if (is_pdf(in->doc, in->doc_len))
            return mh_app_verify_pdf_bytes(a, in->doc, in->doc_len, NULL, v);
        v->code = MH_APP_NOT_MOHUR;
        snprintf(v->sentence, sizeof v->sentence,
                 "NOT SIGNED: this file is not a PDF; give its detached signature (.p7s) or the "
                 "receipt from its QR code with it.");
        return MH_OK;
    }
    if ((rc = as_path(in->doc, in->doc_len, &dfd, dpath, sizeof dpath)) != 0)
        goto out;
    if (!in->p7s) {
        /* a receipt with its document: the document is checked against it */
        rc = mh_app_verify_qr(a, in->qr_text, dpath, v);
        goto out;
    }
    if ((rc = as_path(in->p7s, in->p7s_len, &pfd, ppath, sizeof ppath)) != 0 ||
        (rc = mh_app_verify_file(a, dpath, ppath, v)) != 0 || !in->qr_text)
        goto out;
    /* The receipt came with the request instead of a FILE.receipt beside the
     * file: the signatures' verdict stands when it is worse than "no
     * receipt"; otherwise the receipt decides (its registry signature, the
     * document's digest, the ledger), and the ledger entry must name the
     * certificate that made the first signature. */
    if (v->code != MH_APP_NOT_MOHUR || v->nsigs == 0)
        goto out;
    if (!(q = calloc(1, sizeof *q))) {
        rc = MH_ERR_NOMEM;
        goto out;
    }
    if ((rc = mh_app_verify_qr(a, in->qr_text, dpath, q)) != 0)
        goto out;
    size_t nsigs = v->nsigs;
    mh_app_sig_detail first = v->sigs[0];
    memcpy(q->sigs, v->sigs, sizeof q->sigs);
    q->nsigs = nsigs;
    *v = *q;
    if (v->code == MH_APP_VALID || v->code == MH_APP_REVOKED || v->code == MH_APP_REV_UNKNOWN) {
        mh_ledger_entry e;
        if (mh_ledger_get(a->ledger, v->log_index, &e) != 0 ||
            mh_ct_memcmp(e.signer_fp, first.cert_fp, 32) != 0) {
            v->code = MH_APP_FORGED;
            snprintf(v->sentence, sizeof v->sentence,
                     "FORGED: the signature is by '%.200s', not by the certificate the ledger "
                     "recorded for this receipt.",
                     first.signer);
        }
    }
out:
    free(q);
    if (dfd >= 0)
        close(dfd);
    if (pfd >= 0)
        close(pfd);
    return rc;
}
