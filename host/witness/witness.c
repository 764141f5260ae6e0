/* witness.c - the checks of a C2SP tlog-witness and its state on disk: one
 * file per log (the latest cosigned checkpoint, as the log signed it),
 * written atomically and synced before a cosignature leaves, and one file
 * per refused request that a valid log signature makes evidence. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mh_witness.h"

#define NOTE_MAX 8192

struct mh_witness {
    char name[MH_NOTE_MAX_NAME + 1];
    uint8_t pub[32];
    uint8_t keyid[4];
    const mh_signer *signer;
    char dir[2048];
    mh_note_vkey *logs;
    size_t nlogs;
    pthread_mutex_t mu; /* check and record, atomically */
    int lock_fd;        /* one witness process per state directory */
    unsigned evidence_seq;
};

int mh_witness_vkey(const char *name, const uint8_t pubkey[32], char *out, size_t cap)
{
    size_t n;
    return mh_note_vkey_format(name, MH_NOTE_COSIG, pubkey, 32, out, cap, &n);
}

static int mkdir_p(const char *d)
{
    if (mkdir(d, 0700) != 0 && errno != EEXIST) {
        mh_err_set(MH_ERR_IO, "creating the witness directory %s: %s", d, strerror(errno));
        return MH_ERR_IO;
    }
    return MH_OK;
}

int mh_witness_open(const mh_witness_opts *o, mh_witness **out)
{
    mh_witness *w = NULL;
    char ev[2200];
    int ret = MH_ERR_INVALID_ARG;
    *out = NULL;
    if (!o || !o->name || !o->pubkey || !o->signer || o->signer->alg != MH_SIG_ED25519 ||
        !o->state_dir || !o->nlogs || strlen(o->name) > MH_NOTE_MAX_NAME ||
        strlen(o->state_dir) > 2000 || strchr(o->name, ' ') || strchr(o->name, '+')) {
        mh_err_set(ret,
                   "a witness needs a name (no spaces or '+'), its key, a state directory and at "
                   "least one log key");
        return ret;
    }
    for (size_t i = 0; i < o->nlogs; i++)
        if (o->logs[i].type != MH_NOTE_ED25519 && o->logs[i].type != MH_NOTE_ECDSA) {
            mh_err_set(ret, "the log key '%s' is not a checkpoint signing key (Ed25519 or ECDSA)",
                       o->logs[i].name);
            return ret;
        }
    if (!(w = calloc(1, sizeof *w)) || !(w->logs = calloc(o->nlogs, sizeof *w->logs))) {
        free(w);
        return MH_ERR_NOMEM;
    }
    w->lock_fd = -1;
    snprintf(w->name, sizeof w->name, "%s", o->name);
    memcpy(w->pub, o->pubkey, 32);
    if ((ret = mh_note_keyid(w->name, strlen(w->name), MH_NOTE_COSIG, w->pub, 32, w->keyid)))
        goto fail;
    w->signer = o->signer;
    snprintf(w->dir, sizeof w->dir, "%s", o->state_dir);
    memcpy(w->logs, o->logs, o->nlogs * sizeof *w->logs);
    w->nlogs = o->nlogs;
    snprintf(ev, sizeof ev, "%s/evidence", w->dir);
    if ((ret = mkdir_p(w->dir)) || (ret = mkdir_p(ev)))
        goto fail;
    {
        /* two witness processes on one state could each accept a size the
         * other moved past */
        char lp[2200];
        snprintf(lp, sizeof lp, "%s/witness.lock", w->dir);
        w->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (w->lock_fd < 0 || flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            mh_err_set(MH_ERR_LEDGER_LOCKED,
                       "the witness state %s is in use by another witness process (or cannot be "
                       "locked); one process per state directory",
                       w->dir);
            ret = MH_ERR_LEDGER_LOCKED;
            goto fail;
        }
    }
    pthread_mutex_init(&w->mu, NULL);
    *out = w;
    return MH_OK;
fail:
    if (w->lock_fd >= 0)
        close(w->lock_fd);
    free(w->logs);
    free(w);
    return ret;
}

void mh_witness_close(mh_witness *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->mu);
    if (w->lock_fd >= 0)
        close(w->lock_fd);
    free(w->logs);
    free(w);
}

/* The file of an origin: named by a hash of it (origins hold any text). */
static void origin_path(const mh_witness *w, const char *origin, char *out, size_t cap)
{
    uint8_t h[MH_HASH_LEN];
    char hex[33];
    mh_merkle_leaf_hash((const uint8_t *)origin, strlen(origin), h);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    snprintf(out, cap, "%s/log-%s.checkpoint", w->dir, hex);
}

static int write_atomic(const char *path, const char *a, size_t al, const char *b, size_t bl)
{
    char tmp[2300];
    int fd, e = 0;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        e = errno;
        goto fail;
    }
    if ((al && write(fd, a, al) != (ssize_t)al) || (bl && write(fd, b, bl) != (ssize_t)bl) ||
        fsync(fd) != 0)
        e = errno ? errno : EIO;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (!e) {
        /* the rename itself must survive a power cut: a witness that
         * forgets what it cosigned could be led to cosign a fork */
        char d[2300];
        char *slash;
        int dfd;
        snprintf(d, sizeof d, "%s", path);
        if ((slash = strrchr(d, '/')))
            *slash = 0;
        if ((dfd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
            if (fsync(dfd) != 0)
                e = errno;
            close(dfd);
        }
        if (!e)
            return MH_OK;
        goto fail;
    }
    unlink(tmp);
fail:
    mh_err_set(MH_ERR_IO, "the witness could not record %s: %s", path, strerror(e));
    return MH_ERR_IO;
}

/* Reads the latest cosigned checkpoint of an origin. */
static int load_latest(const mh_witness *w, const char *origin, char *note, size_t cap, size_t *len)
{
    char path[2300];
    ssize_t n;
    int fd;
    origin_path(w, origin, path, sizeof path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return MH_ERR_NOT_FOUND;
        mh_err_set(MH_ERR_IO, "reading %s: %s", path, strerror(errno));
        return MH_ERR_IO;
    }
    n = read(fd, note, cap - 1);
    close(fd);
    if (n <= 0 || (size_t)n >= cap - 1) {
        mh_err_set(MH_ERR_IO, "the witness's record %s is damaged", path);
        return MH_ERR_IO;
    }
    note[n] = 0;
    *len = (size_t)n;
    return MH_OK;
}

int mh_witness_latest(mh_witness *w, const char *origin, char *note, size_t cap, size_t *len,
                      uint64_t *size)
{
    size_t tl;
    mh_checkpoint cp;
    int rc;
    pthread_mutex_lock(&w->mu);
    rc = load_latest(w, origin, note, cap, len);
    pthread_mutex_unlock(&w->mu);
    if (rc)
        return rc;
    if (mh_note_parse(note, *len, &tl) != 0 || mh_checkpoint_parse(note, tl, &cp) != 0) {
        mh_err_set(MH_ERR_IO, "the witness's record for '%s' is damaged", origin);
        return MH_ERR_IO;
    }
    if (size)
        *size = cp.size;
    return MH_OK;
}

/* Keeps a refused request whose log signature verified: with the
 * checkpoint cosigned before, it shows what the log signed. */
static void keep_evidence(mh_witness *w, const char *reason, const char *body, size_t len,
                          const char *prev, size_t prev_len)
{
    char path[2300], head[1400];
    int k;
    snprintf(path, sizeof path, "%s/evidence/%lld-%u.txt", w->dir, (long long)time(NULL),
             w->evidence_seq++);
    k = snprintf(head, sizeof head,
                 "mohur-witness-evidence@v1\nreason: %s\n\nthe log's request:\n%.*s\n"
                 "the checkpoint cosigned before:\n",
                 reason, (int)len, body);
    if (k < 0 || (size_t)k >= sizeof head) {
        /* a long request: keep it whole, after a short head */
        char *buf = malloc(len + prev_len + 512);
        if (!buf)
            return;
        k = snprintf(buf, len + 512,
                     "mohur-witness-evidence@v1\nreason: %s\n\nthe log's request:\n%.*s\n"
                     "the checkpoint cosigned before:\n",
                     reason, (int)len, body);
        if (k > 0)
            (void)write_atomic(path, buf, (size_t)k, prev, prev_len);
        free(buf);
        return;
    }
    (void)write_atomic(path, head, (size_t)k, prev, prev_len);
}

/* The answer: a status and one line of text. */
/* An Ed25519 signature of msg: exactly 64 bytes. */
static int sign64(const mh_signer *signer, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    size_t sl = 0;
    int rc = mh_signer_sign_message(signer, MBEDTLS_MD_NONE, msg, len, MH_SIG_DER, sig, 64, &sl);
    if (!rc && sl != 64)
        rc = mh_err_set(MH_ERR_INTERNAL, "the witness key made a %zu-byte signature", sl);
    return rc;
}

static void answer(unsigned *status, unsigned code, char *resp, size_t cap, size_t *rl,
                   const char *msg)
{
    int k;
    *status = code;
    k = snprintf(resp, cap, "%s\n", msg);
    *rl = k > 0 && (size_t)k < cap ? (size_t)k : 0;
}

int mh_witness_add_checkpoint(mh_witness *w, const char *body, size_t len, unsigned *status,
                              char *resp, size_t cap, size_t *resp_len)
{
    uint8_t proof[64][MH_HASH_LEN];
    size_t np, off, tl, prev_len = 0, ptl;
    uint64_t old;
    mh_checkpoint cp, prev;
    char *prev_note = NULL;
    const char *note;
    size_t note_len;
    bool known = false;
    int rc, ret = MH_OK;

    *resp_len = 0;
    if (!w || !body || !status || !resp || cap < 64)
        return MH_ERR_INVALID_ARG;
    resp[0] = 0;
    int prc = mh_witness_request_parse(body, len, &old, proof, 64, &np, &off);
    if (prc != 0) {
        answer(status, 400, resp, cap, resp_len, mh_err_message(prc));
        return MH_OK;
    }
    note = body + off;
    note_len = len - off;
    if (mh_note_parse(note, note_len, &tl) != 0 || mh_checkpoint_parse(note, tl, &cp) != 0) {
        answer(status, 400, resp, cap, resp_len, "the request does not end in a signed checkpoint");
        return MH_OK;
    }
    for (size_t i = 0; i < w->nlogs; i++)
        known = known || strcmp(w->logs[i].name, cp.origin) == 0;
    if (!known) {
        char msg[400];
        snprintf(msg, sizeof msg, "this witness does not follow the log '%s'", cp.origin);
        answer(status, 404, resp, cap, resp_len, msg);
        return MH_OK;
    }
    {
        /* only the keys of this origin */
        bool ok = false;
        for (size_t i = 0; i < w->nlogs && !ok; i++)
            ok = strcmp(w->logs[i].name, cp.origin) == 0 &&
                 mh_note_verify(note, note_len, &w->logs[i], 1, NULL, NULL) == 0;
        if (!ok) {
            answer(status, 403, resp, cap, resp_len,
                   "the checkpoint carries no valid signature of the log's key");
            return MH_OK;
        }
    }
    if (old > cp.size) {
        answer(status, 400, resp, cap, resp_len, "the old size is larger than the checkpoint's");
        return MH_OK;
    }
    if (!(prev_note = malloc(NOTE_MAX)))
        return MH_ERR_NOMEM;
    pthread_mutex_lock(&w->mu);
    rc = load_latest(w, cp.origin, prev_note, NOTE_MAX, &prev_len);
    if (rc == MH_ERR_NOT_FOUND) {
        prev.size = 0;
        prev_len = 0;
        prev_note[0] = 0;
    } else if (rc) {
        ret = rc;
        goto out;
    } else if (mh_note_parse(prev_note, prev_len, &ptl) != 0 ||
               mh_checkpoint_parse(prev_note, ptl, &prev) != 0) {
        mh_err_set(MH_ERR_IO, "the witness's record for '%s' is damaged", cp.origin);
        ret = MH_ERR_IO;
        goto out;
    }
    if (cp.size < prev.size) {
        /* a rollback: never cosign a smaller tree after a larger one */
        keep_evidence(w, "rollback: a checkpoint smaller than the one cosigned before", body, len,
                      prev_note, prev_len);
        *status = 409;
        *resp_len = (size_t)snprintf(resp, cap, "%llu\n", (unsigned long long)prev.size);
        goto out;
    }
    if (old != prev.size) {
        *status = 409;
        *resp_len = (size_t)snprintf(resp, cap, "%llu\n", (unsigned long long)prev.size);
        goto out;
    }
    if (old == cp.size && old > 0) {
        if (np != 0 || mh_ct_memcmp(cp.root, prev.root, MH_HASH_LEN) != 0) {
            keep_evidence(w, "fork: the same tree size as cosigned before, another root", body, len,
                          prev_note, prev_len);
            answer(status, 409, resp, cap, resp_len,
                   "fork: this size was cosigned with another root");
            goto out;
        }
    } else if (old == 0) {
        if (np != 0) {
            answer(status, 422, resp, cap, resp_len, "a proof from size 0 must be empty");
            goto out;
        }
    } else if (mh_merkle_verify_consistency(old, cp.size, (const uint8_t(*)[MH_HASH_LEN])proof, np,
                                            prev.root, cp.root) != 0) {
        keep_evidence(w,
                      "fork: the consistency proof from the checkpoint cosigned before does not "
                      "verify",
                      body, len, prev_note, prev_len);
        answer(status, 422, resp, cap, resp_len,
               "fork: the consistency proof does not verify; the checkpoint does not extend the "
               "one cosigned before");
        goto out;
    }
    {
        /* cosign, record, answer */
        uint8_t msg[NOTE_MAX + 64], sig[64];
        size_t ml, ll;
        uint64_t now = (uint64_t)time(NULL);
        char line[MH_NOTE_MAX_LINE + 8];
        if ((ret = mh_cosig_message(note, tl, now, msg, sizeof msg, &ml)) ||
            (ret = sign64(w->signer, msg, ml, sig)) ||
            (ret = mh_cosig_line(w->name, w->keyid, now, sig, line, sizeof line, &ll)))
            goto out;
        {
            char path[2300];
            origin_path(w, cp.origin, path, sizeof path);
            if ((ret = write_atomic(path, note, note_len, NULL, 0)))
                goto out;
        }
        if (ll + 1 > cap) {
            ret = MH_ERR_BUFFER_TOO_SMALL;
            goto out;
        }
        memcpy(resp, line, ll + 1);
        *resp_len = ll;
        *status = 200;
    }
out:
    pthread_mutex_unlock(&w->mu);
    free(prev_note);
    if (ret) {
        *status = 500;
        *resp_len = 0;
        resp[0] = 0;
    }
    return ret;
}
