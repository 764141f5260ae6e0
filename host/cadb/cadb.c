/* cadb.c - the CA database on LMDB (mh_cadb.h).
 *
 * Record layouts (all integers big-endian):
 *   certs:   version (1 byte, 1), profile (1), reserved (2), subject length
 *            (4), DER length (4), notBefore (8), notAfter (8), issued at
 *            (8), then the subject text and the certificate DER
 *   revoked: time (8), reason (1)
 *   crls:    key = number (8), value = DER
 *   config:  key = text, value = bytes; "crl_next" = 8 bytes
 * Every read checks lengths before it looks at a byte.
 */
#include "mh_cadb.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CERT_HDR 36
#define DER_MAX (1u << 20)
#define MAP_SIZE ((size_t)1 << 30) /* 1 GiB of address space; grows on disk as used */

struct mh_cadb {
    MDB_env *env;
    MDB_dbi config, certs, revoked, crls;
    char dir[512];
};

static int lmdb_err(int rc, const char *what)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return MH_ERR_NOT_FOUND;
    case MDB_MAP_FULL:
        mh_err_set(MH_ERR_LEDGER_FULL, "%s: the CA database is full (1 GiB)", what);
        return MH_ERR_LEDGER_FULL;
    case MDB_CORRUPTED:
    case MDB_INVALID:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
        mh_err_set(MH_ERR_LEDGER_CORRUPT,
                   "%s: the CA database is damaged (%s); restore it from a backup", what,
                   mdb_strerror(rc));
        return MH_ERR_LEDGER_CORRUPT;
    case EACCES:
    case EPERM:
        mh_err_set(MH_ERR_PERMISSION,
                   "%s: permission denied on the CA database; run as the CA's owner", what);
        return MH_ERR_PERMISSION;
    case ENOSPC:
        mh_err_set(MH_ERR_DISK_FULL, "%s: the disk is full", what);
        return MH_ERR_DISK_FULL;
    case EAGAIN:
    case MDB_READERS_FULL:
        mh_err_set(MH_ERR_LEDGER_LOCKED, "%s: the CA database is busy; try again", what);
        return MH_ERR_LEDGER_LOCKED;
    default:
        mh_err_set(MH_ERR_IO, "%s: %s", what, mdb_strerror(rc));
        return MH_ERR_IO;
    }
}

int mh_cadb_open(const char *dir, bool create, mh_cadb **out)
{
    int ret = MH_ERR_INTERNAL, rc;
    mh_cadb *db = NULL;
    MDB_txn *txn = NULL;
    char path[600];
    struct stat st;

    *out = NULL;
    if (!dir || !*dir || strlen(dir) >= sizeof db->dir) {
        mh_err_set(MH_ERR_INVALID_ARG, "the CA directory name is empty or too long");
        return MH_ERR_INVALID_ARG;
    }
    db = calloc(1, sizeof *db);
    if (!db)
        return MH_ERR_NOMEM;
    snprintf(db->dir, sizeof db->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/db", dir);
    if (stat(path, &st) != 0) {
        if (!create) {
            mh_err_set(MH_ERR_NOT_FOUND,
                       "there is no CA in %s: create one with 'mohur ca init' (or give --ca DIR)",
                       dir);
            ret = MH_ERR_NOT_FOUND;
            goto out;
        }
        if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || mkdir(path, 0700) != 0) {
            mh_err_set(errno == EACCES ? MH_ERR_PERMISSION : MH_ERR_IO,
                       "cannot create the CA directory %s: %s", path, strerror(errno));
            ret = errno == EACCES ? MH_ERR_PERMISSION : MH_ERR_IO;
            goto out;
        }
    }
    if ((rc = mdb_env_create(&db->env)) != 0 || (rc = mdb_env_set_maxdbs(db->env, 8)) != 0 ||
        (rc = mdb_env_set_mapsize(db->env, MAP_SIZE)) != 0) {
        ret = lmdb_err(rc, "opening the CA database");
        goto out;
    }
    if ((rc = mdb_env_open(db->env, path, 0, 0600)) != 0) {
        ret = lmdb_err(rc, "opening the CA database");
        if (ret == MH_ERR_IO)
            mh_err_set(ret, "opening the CA database in %s: %s", path, mdb_strerror(rc));
        goto out;
    }
    if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0 ||
        (rc = mdb_dbi_open(txn, "config", MDB_CREATE, &db->config)) != 0 ||
        (rc = mdb_dbi_open(txn, "certs", MDB_CREATE, &db->certs)) != 0 ||
        (rc = mdb_dbi_open(txn, "revoked", MDB_CREATE, &db->revoked)) != 0 ||
        (rc = mdb_dbi_open(txn, "crls", MDB_CREATE, &db->crls)) != 0) {
        ret = lmdb_err(rc, "opening the CA database");
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) {
        ret = lmdb_err(rc, "opening the CA database");
        goto out;
    }
    *out = db;
    db = NULL; /* transferred */
    ret = 0;
out:
    if (txn)
        mdb_txn_abort(txn);
    if (db)
        mh_cadb_close(db);
    return ret;
}

void mh_cadb_close(mh_cadb *db)
{
    if (!db)
        return;
    if (db->env)
        mdb_env_close(db->env);
    free(db);
}

static MDB_val sval(const char *s)
{
    MDB_val v = {strlen(s), (void *)(uintptr_t)s};
    return v;
}

int mh_cadb_init(mh_cadb *db, const mh_cadb_kv *kv, size_t n)
{
    int ret = MH_ERR_INTERNAL, rc;
    MDB_txn *txn = NULL;
    MDB_val k = sval("ca_cert"), v;
    uint8_t next[8];

    if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0) {
        ret = lmdb_err(rc, "writing the CA configuration");
        goto out;
    }
    if (mdb_get(txn, db->config, &k, &v) == 0) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "%s already holds a CA; choose another directory with --ca", db->dir);
        ret = MH_ERR_ALREADY_EXISTS;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!kv[i].key || !kv[i].val)
            continue;
        k = sval(kv[i].key);
        v.mv_data = (void *)(uintptr_t)kv[i].val;
        v.mv_size = kv[i].len;
        if ((rc = mdb_put(txn, db->config, &k, &v, 0)) != 0) {
            ret = lmdb_err(rc, "writing the CA configuration");
            goto out;
        }
    }
    mh_be64_put(next, 1);
    k = sval("crl_next");
    v.mv_data = next;
    v.mv_size = sizeof next;
    if ((rc = mdb_put(txn, db->config, &k, &v, 0)) != 0) {
        ret = lmdb_err(rc, "writing the CA configuration");
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    ret = lmdb_err(rc, "writing the CA configuration");
out:
    if (txn)
        mdb_txn_abort(txn);
    return ret;
}

int mh_cadb_get(mh_cadb *db, const char *key, uint8_t **val, size_t *len)
{
    int ret, rc;
    MDB_txn *txn = NULL;
    MDB_val k = sval(key), v;

    *val = NULL;
    *len = 0;
    if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
        return lmdb_err(rc, "reading the CA configuration");
    rc = mdb_get(txn, db->config, &k, &v);
    if (rc) {
        ret = lmdb_err(rc, "reading the CA configuration");
        goto out;
    }
    *val = malloc(v.mv_size + 1);
    if (!*val) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    memcpy(*val, v.mv_data, v.mv_size);
    (*val)[v.mv_size] = 0;
    *len = v.mv_size;
    ret = 0;
out:
    mdb_txn_abort(txn);
    return ret;
}

int mh_cadb_cert_add(mh_cadb *db, const mh_cadb_cert *c)
{
    int ret = MH_ERR_INTERNAL, rc;
    MDB_txn *txn = NULL;
    MDB_val k, v;
    size_t slen = strnlen(c->subject, sizeof c->subject);
    uint8_t *rec = NULL;

    if (c->serial_len == 0 || c->serial_len > sizeof c->serial || !c->der || c->der_len == 0 ||
        c->der_len > DER_MAX || slen == sizeof c->subject)
        return MH_ERR_INVALID_ARG;
    rec = malloc(CERT_HDR + slen + c->der_len);
    if (!rec)
        return MH_ERR_NOMEM;
    rec[0] = 1;
    rec[1] = (uint8_t)c->profile;
    rec[2] = rec[3] = 0;
    mh_be32_put(rec + 4, (uint32_t)slen);
    mh_be32_put(rec + 8, (uint32_t)c->der_len);
    mh_be64_put(rec + 12, (uint64_t)c->not_before);
    mh_be64_put(rec + 20, (uint64_t)c->not_after);
    mh_be64_put(rec + 28, (uint64_t)c->issued_at);
    memcpy(rec + CERT_HDR, c->subject, slen);
    memcpy(rec + CERT_HDR + slen, c->der, c->der_len);
    k.mv_data = (void *)(uintptr_t)c->serial;
    k.mv_size = c->serial_len;
    v.mv_data = rec;
    v.mv_size = CERT_HDR + slen + c->der_len;
    if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0) {
        ret = lmdb_err(rc, "recording the certificate");
        goto out;
    }
    rc = mdb_put(txn, db->certs, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "a certificate with this serial was already issued; a serial is never "
                   "issued twice");
        ret = MH_ERR_ALREADY_EXISTS;
        goto out;
    }
    if (rc) {
        ret = lmdb_err(rc, "recording the certificate");
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    ret = lmdb_err(rc, "recording the certificate");
out:
    if (txn)
        mdb_txn_abort(txn);
    free(rec);
    return ret;
}

/* Decodes a certs record (bounds-checked) and its revocation, if any. */
static int decode_cert(mh_cadb *db, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                       mh_cadb_cert *c, bool with_der)
{
    const uint8_t *r = v->mv_data;
    MDB_val rv;

    memset(c, 0, sizeof *c);
    if (k->mv_size == 0 || k->mv_size > sizeof c->serial || v->mv_size < CERT_HDR || r[0] != 1)
        goto corrupt;
    size_t slen = mh_be32_get(r + 4), dlen = mh_be32_get(r + 8);
    if (slen >= sizeof c->subject || dlen > DER_MAX || v->mv_size != CERT_HDR + slen + dlen)
        goto corrupt;
    memcpy(c->serial, k->mv_data, k->mv_size);
    c->serial_len = k->mv_size;
    c->profile = r[1];
    c->not_before = (int64_t)mh_be64_get(r + 12);
    c->not_after = (int64_t)mh_be64_get(r + 20);
    c->issued_at = (int64_t)mh_be64_get(r + 28);
    memcpy(c->subject, r + CERT_HDR, slen);
    c->subject[slen] = 0;
    c->der_len = dlen;
    if (with_der) {
        c->der = malloc(dlen);
        if (!c->der)
            return MH_ERR_NOMEM;
        memcpy(c->der, r + CERT_HDR + slen, dlen);
    }
    if (mdb_get(txn, db->revoked, (MDB_val *)(uintptr_t)k, &rv) == 0) {
        if (rv.mv_size != 9)
            goto corrupt;
        c->revoked = true;
        c->revoked_at = (int64_t)mh_be64_get(rv.mv_data);
        c->reason = ((const uint8_t *)rv.mv_data)[8];
    }
    return 0;
corrupt:
    free(c->der);
    c->der = NULL;
    mh_err_set(MH_ERR_LEDGER_CORRUPT,
               "a certificate record in the CA database is damaged; restore it from a backup");
    return MH_ERR_LEDGER_CORRUPT;
}

int mh_cadb_cert_get(mh_cadb *db, const uint8_t *serial, size_t len, mh_cadb_cert *c)
{
    int ret, rc;
    MDB_txn *txn = NULL;
    MDB_val k = {len, (void *)(uintptr_t)serial}, v;

    memset(c, 0, sizeof *c);
    if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
        return lmdb_err(rc, "reading the CA database");
    rc = mdb_get(txn, db->certs, &k, &v);
    if (rc == MDB_NOTFOUND) {
        mh_err_set(MH_ERR_NOT_FOUND, "no certificate with this serial was issued by this CA");
        ret = MH_ERR_NOT_FOUND;
    } else if (rc) {
        ret = lmdb_err(rc, "reading the CA database");
    } else {
        ret = decode_cert(db, txn, &k, &v, c, true);
    }
    mdb_txn_abort(txn);
    return ret;
}

/* Doubles a list's room (16 entries at first), for listing loops. */
static int grow(void **list, size_t *cap, size_t elem)
{
    size_t nc = *cap ? 2 * *cap : 16;
    void *nl = realloc(*list, nc * elem);
    if (!nl)
        return MH_ERR_NOMEM;
    *list = nl;
    *cap = nc;
    return MH_OK;
}

int mh_cadb_cert_list(mh_cadb *db, mh_cadb_cert **out, size_t *n)
{
    int ret = MH_ERR_INTERNAL, rc;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    mh_cadb_cert *list = NULL;
    size_t cnt = 0, capn = 0;

    *out = NULL;
    *n = 0;
    if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
        return lmdb_err(rc, "reading the CA database");
    if ((rc = mdb_cursor_open(txn, db->certs, &cur)) != 0) {
        ret = lmdb_err(rc, "reading the CA database");
        goto out;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (cnt == capn && (ret = grow((void **)&list, &capn, sizeof *list)) != 0)
            goto out;
        if ((ret = decode_cert(db, txn, &k, &v, &list[cnt], false)) != 0)
            goto out;
        cnt++;
    }
    if (rc != MDB_NOTFOUND) {
        ret = lmdb_err(rc, "reading the CA database");
        goto out;
    }
    *out = list;
    *n = cnt;
    list = NULL; /* transferred */
    ret = 0;
out:
    if (cur)
        mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mh_cadb_cert_list_free(list, cnt);
    return ret;
}

void mh_cadb_cert_list_free(mh_cadb_cert *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i].der);
    free(list);
}

int mh_cadb_revoke(mh_cadb *db, const uint8_t *serial, size_t len, int64_t when, int reason)
{
    int ret = MH_ERR_INTERNAL, rc;
    MDB_txn *txn = NULL;
    MDB_val k = {len, (void *)(uintptr_t)serial}, v;
    uint8_t rec[9];

    if (len == 0 || len > 20 || reason < 0 || reason > 255 || !mh_crl_reason_name(reason)) {
        mh_err_set(MH_ERR_INVALID_ARG, "the serial or the revocation reason is not valid");
        return MH_ERR_INVALID_ARG;
    }
    if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0) {
        ret = lmdb_err(rc, "revoking");
        goto out;
    }
    rc = mdb_get(txn, db->certs, &k, &v);
    if (rc == MDB_NOTFOUND) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "this CA never issued a certificate with that serial (see 'mohur ca list')");
        ret = MH_ERR_NOT_FOUND;
        goto out;
    }
    if (rc) {
        ret = lmdb_err(rc, "revoking");
        goto out;
    }
    mh_be64_put(rec, (uint64_t)when);
    rec[8] = (uint8_t)reason;
    v.mv_data = rec;
    v.mv_size = sizeof rec;
    /* a hold may become a revocation (RFC 5280 5.3.1); a revocation is final */
    MDB_val old;
    rc = mdb_get(txn, db->revoked, &k, &old);
    if (rc == 0 && !(old.mv_size == 9 && ((const uint8_t *)old.mv_data)[8] == 6 && reason != 6)) {
        mh_err_set(
            MH_ERR_ALREADY_EXISTS, "the certificate is already %s; a revocation is never changed",
            old.mv_size == 9 && ((const uint8_t *)old.mv_data)[8] == 6 ? "on hold" : "revoked");
        ret = MH_ERR_ALREADY_EXISTS;
        goto out;
    }
    if (rc && rc != MDB_NOTFOUND) {
        ret = lmdb_err(rc, "revoking");
        goto out;
    }
    rc = mdb_put(txn, db->revoked, &k, &v, 0);
    if (rc) {
        ret = lmdb_err(rc, "revoking");
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    ret = lmdb_err(rc, "revoking");
out:
    if (txn)
        mdb_txn_abort(txn);
    return ret;
}

int mh_cadb_release(mh_cadb *db, const uint8_t *serial, size_t len)
{
    int ret = MH_ERR_INTERNAL, rc;
    MDB_txn *txn = NULL;
    MDB_val k = {len, (void *)(uintptr_t)serial}, v;

    if (len == 0 || len > 20) {
        mh_err_set(MH_ERR_INVALID_ARG, "the serial is not valid");
        return MH_ERR_INVALID_ARG;
    }
    if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0)
        return lmdb_err(rc, "releasing the hold");
    rc = mdb_get(txn, db->revoked, &k, &v);
    if (rc == MDB_NOTFOUND) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "the certificate is not on hold (nor revoked): there is nothing to release");
        ret = MH_ERR_NOT_FOUND;
        goto out;
    }
    if (rc) {
        ret = lmdb_err(rc, "releasing the hold");
        goto out;
    }
    if (v.mv_size != 9 || ((const uint8_t *)v.mv_data)[8] != 6) {
        mh_err_set(MH_ERR_PERMISSION,
                   "the certificate is revoked, not on hold; a revocation cannot be undone");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    if ((rc = mdb_del(txn, db->revoked, &k, NULL)) != 0) {
        ret = lmdb_err(rc, "releasing the hold");
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    ret = lmdb_err(rc, "releasing the hold");
out:
    if (txn)
        mdb_txn_abort(txn);
    return ret;
}

int mh_cadb_revoked(mh_cadb *db, mh_crl_entry **out, size_t *n)
{
    int ret = MH_ERR_INTERNAL, rc;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    mh_crl_entry *list = NULL;
    size_t cnt = 0, capn = 0;

    *out = NULL;
    *n = 0;
    if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
        return lmdb_err(rc, "reading the revocations");
    if ((rc = mdb_cursor_open(txn, db->revoked, &cur)) != 0) {
        ret = lmdb_err(rc, "reading the revocations");
        goto out;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (cnt == capn && (ret = grow((void **)&list, &capn, sizeof *list)) != 0)
            goto out;
        if (k.mv_size == 0 || k.mv_size > sizeof list->serial || v.mv_size != 9) {
            mh_err_set(MH_ERR_LEDGER_CORRUPT, "a revocation record in the CA database is damaged");
            ret = MH_ERR_LEDGER_CORRUPT;
            goto out;
        }
        memset(&list[cnt], 0, sizeof list[cnt]);
        memcpy(list[cnt].serial, k.mv_data, k.mv_size);
        list[cnt].serial_len = k.mv_size;
        list[cnt].date = (int64_t)mh_be64_get(v.mv_data);
        list[cnt].reason = ((const uint8_t *)v.mv_data)[8];
        cnt++;
    }
    if (rc != MDB_NOTFOUND) {
        ret = lmdb_err(rc, "reading the revocations");
        goto out;
    }
    *out = list;
    *n = cnt;
    list = NULL; /* transferred */
    ret = 0;
out:
    if (cur)
        mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    free(list);
    return ret;
}

static int crl_next_txn(mh_cadb *db, MDB_txn *txn, uint64_t *number)
{
    MDB_val k = sval("crl_next"), v;
    int rc = mdb_get(txn, db->config, &k, &v);
    if (rc == MDB_NOTFOUND) {
        mh_err_set(MH_ERR_LEDGER_CORRUPT,
                   "the CA database has no CRL counter: it was not made by 'mohur ca init'");
        return MH_ERR_LEDGER_CORRUPT;
    }
    if (rc)
        return lmdb_err(rc, "reading the CRL number");
    if (v.mv_size != 8) {
        mh_err_set(MH_ERR_LEDGER_CORRUPT, "the CRL counter in the CA database is damaged");
        return MH_ERR_LEDGER_CORRUPT;
    }
    *number = mh_be64_get(v.mv_data);
    return 0;
}

int mh_cadb_crl_next(mh_cadb *db, uint64_t *number)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return lmdb_err(rc, "reading the CRL number");
    int ret = crl_next_txn(db, txn, number);
    mdb_txn_abort(txn);
    return ret;
}

int mh_cadb_crl_store(mh_cadb *db, uint64_t number, const uint8_t *der, size_t len)
{
    int ret = MH_ERR_INTERNAL, rc;
    MDB_txn *txn = NULL;
    MDB_val k, v;
    uint64_t next = 0;
    uint8_t key[8], nb[8];

    if (!der || len == 0 || len > (size_t)1 << 28)
        return MH_ERR_INVALID_ARG;
    if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)) != 0) {
        ret = lmdb_err(rc, "storing the CRL");
        goto out;
    }
    if ((ret = crl_next_txn(db, txn, &next)) != 0)
        goto out;
    if (next != number) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "CRL number %llu was issued meanwhile by another process; issue the CRL "
                   "again",
                   (unsigned long long)number);
        ret = MH_ERR_ALREADY_EXISTS;
        goto out;
    }
    mh_be64_put(key, number);
    k.mv_data = key;
    k.mv_size = 8;
    v.mv_data = (void *)(uintptr_t)der;
    v.mv_size = len;
    if ((rc = mdb_put(txn, db->crls, &k, &v, MDB_NOOVERWRITE)) != 0) {
        ret = lmdb_err(rc, "storing the CRL");
        goto out;
    }
    mh_be64_put(nb, number + 1);
    k = sval("crl_next");
    v.mv_data = nb;
    v.mv_size = 8;
    if ((rc = mdb_put(txn, db->config, &k, &v, 0)) != 0) {
        ret = lmdb_err(rc, "storing the CRL");
        goto out;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    ret = lmdb_err(rc, "storing the CRL");
out:
    if (txn)
        mdb_txn_abort(txn);
    return ret;
}

int mh_cadb_crl_latest(mh_cadb *db, uint64_t *number, uint8_t **der, size_t *len)
{
    int ret, rc;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;

    *der = NULL;
    *len = 0;
    if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0)
        return lmdb_err(rc, "reading the CRLs");
    if ((rc = mdb_cursor_open(txn, db->crls, &cur)) != 0 ||
        (rc = mdb_cursor_get(cur, &k, &v, MDB_LAST)) != 0) {
        if (rc == MDB_NOTFOUND)
            mh_err_set(MH_ERR_NOT_FOUND, "this CA has issued no CRL yet: run 'mohur ca crl'");
        ret = lmdb_err(rc, "reading the CRLs");
        goto out;
    }
    if (k.mv_size != 8) {
        ret = MH_ERR_LEDGER_CORRUPT;
        goto out;
    }
    *number = mh_be64_get(k.mv_data);
    *der = malloc(v.mv_size);
    if (!*der) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    memcpy(*der, v.mv_data, v.mv_size);
    *len = v.mv_size;
    ret = 0;
out:
    if (cur)
        mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return ret;
}
