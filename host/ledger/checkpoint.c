/* checkpoint.c - C2SP tlog-checkpoint bodies, signed checkpoints kept in
 * the ledger, and witness cosignatures (C2SP tlog-cosignature) beside them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_internal.h"
#include "mh_pki.h"

int mh_ledger_checkpoint_body(mh_ledger *l, const char *origin, uint64_t size, char *buf,
                              size_t cap, size_t *len)
{
    uint8_t root[MH_LEDGER_HASH_LEN];
    size_t ol;
    uint64_t cur;
    int ret;

    ol = origin ? strnlen(origin, MH_LEDGER_ORIGIN_MAX + 1) : 0;
    if (ol == 0 || ol > MH_LEDGER_ORIGIN_MAX || strchr(origin, '\n') ||
        !mh_utf8_valid((const uint8_t *)origin, ol)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the checkpoint origin must be one line of 1 to %d bytes of UTF-8, e.g. "
                   "'registry.example.az/log'",
                   MH_LEDGER_ORIGIN_MAX);
        return MH_ERR_INVALID_ARG;
    }
    if ((ret = mh_ledger_size(l, &cur, root)))
        return ret;
    if (size == 0)
        size = cur;
    else if ((ret = mh_ledger_root_at(l, size, root)))
        return ret;
    if (mh_checkpoint_format(origin, size, root, NULL, 0, buf, cap, len) != 0)
        return MH_ERR_BUFFER_TOO_SMALL;
    return MH_OK;
}

int mh_ledger_checkpoint_parse(const char *note, size_t len, char *origin, size_t origin_cap,
                               uint64_t *size, uint8_t root[MH_LEDGER_HASH_LEN])
{
    mh_checkpoint cp;
    if (!note || len > MH_LEDGER_NOTE_MAX || mh_checkpoint_parse(note, len, &cp) != 0 ||
        cp.origin_len >= origin_cap) {
        mh_err_set(MH_ERR_PARSE,
                   "the checkpoint is malformed: it must start with the origin line, the tree "
                   "size in decimal and the root hash in base64 (C2SP tlog-checkpoint)");
        return MH_ERR_PARSE;
    }
    memcpy(origin, cp.origin, cp.origin_len + 1);
    *size = cp.size;
    memcpy(root, cp.root, MH_LEDGER_HASH_LEN);
    return MH_OK;
}

/* The body of a signed note: up to and including the line before the blank
 * line; the signatures follow the blank line. */
static int note_split(const char *note, size_t len, size_t *body_len)
{
    if (mh_note_parse(note, len, body_len) != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "the signed checkpoint is not a signed note: its text, a blank line, then "
                   "'\u2014 name signature' lines (C2SP signed-note)");
        return MH_ERR_PARSE;
    }
    return MH_OK;
}

static int ckpt_put(mh_ledger *l, const char *note, size_t len, uint64_t *seq)
{
    MDB_txn *t = NULL;
    MDB_val k = {5, (void *)"ckseq"}, v;
    uint8_t sb[8], kb[8];
    uint64_t next = 0, size, cur, last_size = 0;
    uint8_t root[MH_LEDGER_HASH_LEN], want[MH_LEDGER_HASH_LEN];
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    size_t body_len;
    int rc, ret;

    if (l->ro) {
        mh_err_set(MH_ERR_PERMISSION, "the ledger was opened read-only");
        return MH_ERR_PERMISSION;
    }
    if (len > MH_LEDGER_NOTE_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "the signed checkpoint is larger than %d bytes",
                   MH_LEDGER_NOTE_MAX);
        return MH_ERR_TOO_LARGE;
    }
    if ((ret = note_split(note, len, &body_len)) ||
        (ret = mh_ledger_checkpoint_parse(note, body_len, origin, sizeof origin, &size, root)))
        return ret;
    pthread_mutex_lock(&l->wmu);
    if ((rc = mdb_txn_begin(l->env, NULL, 0, &t))) {
        ret = mh_ledger_mdb_err(rc, "storing a checkpoint");
        goto out;
    }
    if ((ret = mh_ledger_meta_size(l, t, &cur, NULL)))
        goto out;
    if (size > cur) {
        mh_err_set(MH_ERR_LEDGER_FORK, "the checkpoint is for %llu entries but the ledger has %llu",
                   (unsigned long long)size, (unsigned long long)cur);
        ret = MH_ERR_LEDGER_FORK;
        goto out;
    }
    rc = mdb_get(t, l->db_meta, &k, &v);
    if (rc == 0 && v.mv_size == 8)
        next = mh_be64_get(v.mv_data);
    if (next > 0) {
        MDB_val pk = {8, kb}, pv;
        mh_be64_put(kb, next - 1);
        if (mdb_get(t, l->db_ckpt, &pk, &pv) == 0) {
            char o2[MH_LEDGER_ORIGIN_MAX + 1];
            uint8_t r2[MH_LEDGER_HASH_LEN];
            size_t bl2;
            if (note_split(pv.mv_data, pv.mv_size, &bl2) == 0 &&
                mh_ledger_checkpoint_parse(pv.mv_data, bl2, o2, sizeof o2, &last_size, r2) == 0 &&
                size < last_size) {
                mh_err_set(MH_ERR_INVALID_ARG,
                           "the checkpoint is for %llu entries, older than the latest published "
                           "one (%llu)",
                           (unsigned long long)size, (unsigned long long)last_size);
                ret = MH_ERR_INVALID_ARG;
                goto out;
            }
        }
    }
    mdb_txn_abort(t);
    t = NULL;
    if ((ret = mh_ledger_root_at(l, size, want)))
        goto out;
    if (mh_ct_memcmp(want, root, MH_LEDGER_HASH_LEN) != 0) {
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "the checkpoint's root is not this ledger's root at size %llu",
                   (unsigned long long)size);
        ret = MH_ERR_LEDGER_FORK;
        goto out;
    }
    if ((rc = mdb_txn_begin(l->env, NULL, 0, &t))) {
        ret = mh_ledger_mdb_err(rc, "storing a checkpoint");
        goto out;
    }
    mh_be64_put(kb, next);
    k.mv_size = 8;
    k.mv_data = kb;
    v.mv_size = len;
    v.mv_data = (void *)note;
    if ((rc = mdb_put(t, l->db_ckpt, &k, &v, MDB_NOOVERWRITE))) {
        ret = mh_ledger_mdb_err(rc, "storing a checkpoint");
        goto out;
    }
    mh_be64_put(sb, next + 1);
    k.mv_size = 5;
    k.mv_data = (void *)"ckseq";
    v.mv_size = 8;
    v.mv_data = sb;
    if ((rc = mdb_put(t, l->db_meta, &k, &v, 0))) {
        ret = mh_ledger_mdb_err(rc, "storing a checkpoint");
        goto out;
    }
    rc = mdb_txn_commit(t);
    t = NULL;
    if (rc) {
        ret = mh_ledger_mdb_err(rc, "storing a checkpoint");
        goto out;
    }
    if (seq)
        *seq = next;
    ret = MH_OK;
out:
    if (t)
        mdb_txn_abort(t);
    pthread_mutex_unlock(&l->wmu);
    return ret;
}

int mh_ledger_checkpoint_store(mh_ledger *l, const char *note, size_t len, uint64_t *seq)
{
    return ckpt_put(l, note, len, seq);
}

int mh_ledger_checkpoint_sign(mh_ledger *l, const char *origin, mh_ledger_sign_fn sign, void *ctx,
                              uint64_t *seq)
{
    char body[MH_LEDGER_ORIGIN_MAX + 128];
    char *note = NULL;
    size_t bl, nl = 0;
    int ret;

    if ((ret = mh_ledger_checkpoint_body(l, origin, 0, body, sizeof body, &bl)))
        goto out;
    ret = MH_ERR_NOMEM;
    if (!(note = malloc(MH_LEDGER_NOTE_MAX)))
        goto out;
    if ((ret = sign(ctx, body, bl, note, MH_LEDGER_NOTE_MAX, &nl)))
        goto out;
    if (nl <= bl || nl > MH_LEDGER_NOTE_MAX || memcmp(note, body, bl) != 0 || note[bl] != '\n') {
        mh_err_set(MH_ERR_INTERNAL,
                   "the signer returned a note that is not the checkpoint it was given");
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    ret = ckpt_put(l, note, nl, seq);
out:
    free(note);
    return ret;
}

static int ckpt_read(mh_ledger *l, MDB_txn *t, uint64_t *seq, MDB_val *v)
{
    uint8_t kb[8];
    MDB_val k = {8, kb};
    int rc;
    if (*seq == UINT64_MAX) {
        MDB_val sk = {5, (void *)"ckseq"}, sv;
        rc = mdb_get(t, l->db_meta, &sk, &sv);
        if (rc || sv.mv_size != 8 || mh_be64_get(sv.mv_data) == 0) {
            mh_err_set(MH_ERR_NOT_FOUND,
                       "no checkpoint was signed yet; sign one with 'mohur log checkpoint'");
            return MH_ERR_NOT_FOUND;
        }
        *seq = mh_be64_get(sv.mv_data) - 1;
    }
    mh_be64_put(kb, *seq);
    rc = mdb_get(t, l->db_ckpt, &k, v);
    if (rc == MDB_NOTFOUND) {
        mh_err_set(MH_ERR_NOT_FOUND, "there is no checkpoint number %llu",
                   (unsigned long long)*seq);
        return MH_ERR_NOT_FOUND;
    }
    return rc ? mh_ledger_mdb_err(rc, "reading a checkpoint") : MH_OK;
}

int mh_ledger_checkpoint_get(mh_ledger *l, uint64_t seq, char *note, size_t cap, size_t *len,
                             uint64_t *seq_out)
{
    MDB_txn *t;
    MDB_cursor *c = NULL;
    MDB_val v, k;
    uint8_t kb[8];
    size_t n;
    int rc, ret = mh_ledger_rtxn(l, &t);
    if (ret)
        return ret;
    if ((ret = ckpt_read(l, t, &seq, &v)))
        goto out;
    ret = MH_ERR_BUFFER_TOO_SMALL;
    if (v.mv_size >= cap)
        goto out;
    memcpy(note, v.mv_data, v.mv_size);
    n = v.mv_size;
    /* cosignatures follow the checkpoint's own signature lines */
    if ((rc = mdb_cursor_open(t, l->db_cosig, &c))) {
        ret = mh_ledger_mdb_err(rc, "reading cosignatures");
        goto out;
    }
    mh_be64_put(kb, seq);
    k.mv_size = 8;
    k.mv_data = kb;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size > 8 && memcmp(k.mv_data, kb, 8) == 0) {
        if (v.mv_size >= cap - n)
            goto out;
        memcpy(note + n, v.mv_data, v.mv_size);
        n += v.mv_size;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    note[n] = 0;
    *len = n;
    if (seq_out)
        *seq_out = seq;
    ret = MH_OK;
out:
    if (c)
        mdb_cursor_close(c);
    mdb_txn_abort(t);
    return ret;
}

int mh_ledger_cosign_add(mh_ledger *l, uint64_t seq, const char *line, size_t len,
                         mh_ledger_cosig_verify_fn verify, void *ctx)
{
    static const char dash[] = "\xe2\x80\x94 ";
    char *note = NULL;
    size_t nl, name_len;
    const char *name, *sp, *sig;
    uint8_t dec[512], kb[8 + 256 + 1 + 4];
    size_t dl;
    MDB_txn *t = NULL;
    MDB_val k, v;
    int rc, ret = MH_ERR_PARSE;

    /* "— <name> <base64(key id || signature)>\n" */
    if (!line || len < sizeof dash + 3 || len > 1024 || line[len - 1] != '\n' ||
        memcmp(line, dash, sizeof dash - 1) != 0 || memchr(line, 0, len) ||
        memchr(line, '\n', len - 1))
        goto bad;
    name = line + sizeof dash - 1;
    if (!(sp = memchr(name, ' ', (size_t)(line + len - name))) || sp == name)
        goto bad;
    name_len = (size_t)(sp - name);
    if (name_len > 255 || memchr(name, '+', name_len))
        goto bad;
    sig = sp + 1;
    if (mh_base64_decode(sig, (size_t)(line + len - 1 - sig), dec, sizeof dec, &dl) || dl < 5)
        goto bad;
    if (!verify) {
        mh_err_set(MH_ERR_INVALID_ARG, "a cosignature needs a verifier with the witness keys");
        return MH_ERR_INVALID_ARG;
    }
    if (!(note = malloc(MH_LEDGER_NOTE_MAX + 1))) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    {
        /* verify against the checkpoint as published (without cosignatures) */
        MDB_txn *rt;
        MDB_val cv;
        if ((ret = mh_ledger_rtxn(l, &rt)))
            goto out;
        ret = ckpt_read(l, rt, &seq, &cv);
        if (!ret && cv.mv_size > MH_LEDGER_NOTE_MAX)
            ret = MH_ERR_LEDGER_CORRUPT;
        if (!ret) {
            memcpy(note, cv.mv_data, cv.mv_size);
            nl = cv.mv_size;
        }
        mdb_txn_abort(rt);
        if (ret)
            goto out;
    }
    if ((ret = verify(ctx, note, nl, line, len))) {
        if (ret != MH_ERR_VERIFY_FAILED && ret != MH_ERR_PROOF_INVALID)
            goto out;
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the cosignature of '%.*s' does not verify against checkpoint %llu with the "
                   "witness keys given",
                   (int)name_len, name, (unsigned long long)seq);
        ret = MH_ERR_VERIFY_FAILED;
        goto out;
    }
    if (l->ro) {
        mh_err_set(MH_ERR_PERMISSION, "the ledger was opened read-only");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    mh_be64_put(kb, seq);
    memcpy(kb + 8, name, name_len);
    kb[8 + name_len] = 0;
    memcpy(kb + 9 + name_len, dec, 4);
    k.mv_size = 13 + name_len;
    k.mv_data = kb;
    v.mv_size = len;
    v.mv_data = (void *)line;
    pthread_mutex_lock(&l->wmu);
    rc = mdb_txn_begin(l->env, NULL, 0, &t);
    if (!rc)
        rc = mdb_put(t, l->db_cosig, &k, &v, MDB_NOOVERWRITE);
    if (!rc) {
        rc = mdb_txn_commit(t);
        t = NULL;
    }
    if (t)
        mdb_txn_abort(t);
    pthread_mutex_unlock(&l->wmu);
    if (rc == MDB_KEYEXIST) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "witness '%.*s' already cosigned checkpoint %llu with this key", (int)name_len,
                   name, (unsigned long long)seq);
        ret = MH_ERR_ALREADY_EXISTS;
    } else {
        ret = rc ? mh_ledger_mdb_err(rc, "storing a cosignature") : MH_OK;
    }
    goto out;
bad:
    mh_err_set(ret, "the cosignature is not one signature line '— <name> <base64>' (C2SP "
                    "tlog-cosignature)");
out:
    free(note);
    return ret;
}
