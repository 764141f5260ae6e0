/*
 * index.c - the private index of issued documents (mh_docs.h): an LMDB
 * environment in STATE/index, one record per document id, its value a small
 * JSON object (printed fields, output file, receipt URL, archived copy).
 *
 * LMDB must not open the same environment twice in one process, and the
 * issue flow runs on many threads: so one environment per process, opened
 * on first use under a mutex and closed at exit. Every read and write runs
 * under that mutex. Writes are group-committed (app_index_put): batch
 * issuance records hundreds of documents a second from several workers,
 * and one durable commit each, behind the mutex, held every worker up.
 */
#include "index_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#define INDEX_MAP_SIZE ((size_t)1 << 30) /* 1 GiB: millions of documents */

static pthread_mutex_t idx_lock = PTHREAD_MUTEX_INITIALIZER;
static MDB_env *idx_env;
static MDB_dbi idx_dbi;
static char idx_dir[APP_PATH_MAX];
static bool idx_ro;
static bool idx_atexit;

static void index_close_locked(void)
{
    if (idx_env)
        mdb_env_close(idx_env);
    idx_env = NULL;
    idx_dir[0] = '\0';
}

static void index_at_exit(void)
{
    pthread_mutex_lock(&idx_lock);
    index_close_locked();
    pthread_mutex_unlock(&idx_lock);
}

static int mdb_fail(int rc, const char *what)
{
    if (rc == MDB_MAP_FULL) {
        mh_err_set(MH_ERR_LEDGER_FULL, "the document index is full (%s)", what);
        return MH_ERR_LEDGER_FULL;
    }
    if (rc == ENOSPC) {
        mh_err_set(MH_ERR_DISK_FULL, "the disk is full (%s)", what);
        return MH_ERR_DISK_FULL;
    }
    if (rc == EACCES || rc == EPERM) {
        mh_err_set(MH_ERR_PERMISSION,
                   "the document index cannot be opened (%s): permission denied; the index is "
                   "private to the appliance's owner (run as the user that ran 'mohur init')",
                   what);
        return MH_ERR_PERMISSION;
    }
    if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
        mh_err_set(MH_ERR_LEDGER_CORRUPT,
                   "the document index is damaged (%s): move STATE/index away and run 'mohur "
                   "docs reindex' over the signed documents",
                   what);
        return MH_ERR_LEDGER_CORRUPT;
    }
    mh_err_set(MH_ERR_IO, "the document index: %s: %s", what, mdb_strerror(rc));
    return MH_ERR_IO;
}

/* Opens (or re-uses) the environment of state dir `dir`; idx_lock held.
 * write: create it when missing. MH_ERR_NOT_FOUND: no index yet (reading). */
static int index_open_locked(const char *dir, bool write)
{
    char path[APP_PATH_MAX];
    int rc;
    if (idx_env && strcmp(idx_dir, dir) == 0 && (!write || !idx_ro))
        return MH_OK;
    index_close_locked();
    if (mh_app_path(path, sizeof path, dir, "index") != 0)
        return MH_ERR_TOO_LARGE;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (!write)
            return MH_ERR_NOT_FOUND;
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return mdb_fail(errno, "making STATE/index");
    }
    if ((rc = mdb_env_create(&idx_env)) != 0)
        return mdb_fail(rc, "creating the environment");
    mdb_env_set_mapsize(idx_env, INDEX_MAP_SIZE);
    mdb_env_set_maxdbs(idx_env, 2);
    unsigned flags = MDB_NOTLS | (write ? 0u : MDB_RDONLY);
    rc = mdb_env_open(idx_env, path, flags, 0600);
    if (rc == ENOENT && !write) {
        mdb_env_close(idx_env);
        idx_env = NULL;
        return MH_ERR_NOT_FOUND;
    }
    if (rc) {
        int r = mdb_fail(rc, "opening STATE/index");
        mdb_env_close(idx_env);
        idx_env = NULL;
        return r;
    }
    MDB_txn *t = NULL;
    if ((rc = mdb_txn_begin(idx_env, NULL, write ? 0 : MDB_RDONLY, &t)) != 0 ||
        (rc = mdb_dbi_open(t, "docs", write ? MDB_CREATE : 0, &idx_dbi)) != 0 ||
        (rc = mdb_txn_commit(t)) != 0) {
        if (t && rc)
            mdb_txn_abort(t);
        int r = rc == MDB_NOTFOUND ? MH_ERR_NOT_FOUND : mdb_fail(rc, "opening its table");
        mdb_env_close(idx_env);
        idx_env = NULL;
        return r;
    }
    snprintf(idx_dir, sizeof idx_dir, "%s", dir);
    idx_ro = !write;
    if (!idx_atexit) {
        atexit(index_at_exit);
        idx_atexit = true;
    }
    return MH_OK;
}

/* One durable put: a write transaction of every queued record of `dir`;
 * idx_lock held. */
struct put_item {
    const char *dir;
    MDB_val k, v;
    int rc;
    bool done;
    struct put_item *next;
};

static int commit_batch_locked(const char *dir, struct put_item *batch)
{
    MDB_txn *t = NULL;
    int rc, ret;
    if ((ret = index_open_locked(dir, true)) != 0)
        return ret;
    if ((rc = mdb_txn_begin(idx_env, NULL, 0, &t)) != 0)
        return mdb_fail(rc, "starting a write");
    for (struct put_item *it = batch; it; it = it->next) {
        if ((rc = mdb_put(t, idx_dbi, &it->k, &it->v, 0)) != 0) {
            mdb_txn_abort(t);
            return mdb_fail(rc, "recording a document");
        }
    }
    if ((rc = mdb_txn_commit(t)) != 0)
        return mdb_fail(rc, "committing");
    return MH_OK;
}

/* Group commit: records queue up while one thread (the leader) commits;
 * the next leader commits everything queued meanwhile in one transaction,
 * so a batch of workers shares one durable commit (two fsyncs) instead of
 * each waiting for its own behind the mutex. A put still returns only once
 * its record is durable (or failed). */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct put_item *q_head, **q_tail = &q_head;
static bool q_leader;

int app_index_put(const char *dir, const char *doc_id, const char *json, size_t len)
{
    size_t kl = strlen(doc_id);
    if (kl == 0 || kl > 511)
        return MH_ERR_INVALID_ARG;
    struct put_item me = {dir, {kl, (void *)doc_id}, {len, (void *)json}, 0, false, NULL};
    pthread_mutex_lock(&q_lock);
    *q_tail = &me;
    q_tail = &me.next;
    while (!me.done && q_leader)
        pthread_cond_wait(&q_cond, &q_lock);
    if (me.done) {
        pthread_mutex_unlock(&q_lock);
        return me.rc;
    }
    /* lead: take every queued record of this state directory */
    q_leader = true;
    struct put_item *batch = NULL, **bt = &batch, *rest = NULL, **rt = &rest;
    for (struct put_item *it = q_head, *nx; it; it = nx) {
        nx = it->next;
        it->next = NULL;
        if (strcmp(it->dir, dir) == 0) {
            *bt = it;
            bt = &it->next;
        } else {
            *rt = it;
            rt = &it->next;
        }
    }
    q_head = rest;
    q_tail = rest ? rt : &q_head;
    pthread_mutex_unlock(&q_lock);

    pthread_mutex_lock(&idx_lock);
    int ret = commit_batch_locked(dir, batch);
    pthread_mutex_unlock(&idx_lock);

    pthread_mutex_lock(&q_lock);
    for (struct put_item *it = batch, *nx; it; it = nx) {
        nx = it->next; /* read before the owner may return */
        it->rc = ret;
        it->done = true;
    }
    q_leader = false;
    pthread_cond_broadcast(&q_cond);
    pthread_mutex_unlock(&q_lock);
    return me.rc;
}

int app_index_get(const char *dir, const char *doc_id, char **json, size_t *len)
{
    MDB_txn *t = NULL;
    int rc, ret;
    *json = NULL;
    *len = 0;
    size_t kl = strlen(doc_id);
    if (kl == 0 || kl > 511)
        return MH_ERR_NOT_FOUND;
    pthread_mutex_lock(&idx_lock);
    if ((ret = index_open_locked(dir, false)) != 0)
        goto out;
    MDB_val k = {kl, (void *)doc_id}, v;
    if ((rc = mdb_txn_begin(idx_env, NULL, MDB_RDONLY, &t)) != 0) {
        ret = mdb_fail(rc, "starting a read");
        goto out;
    }
    rc = mdb_get(t, idx_dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        ret = MH_ERR_NOT_FOUND;
    } else if (rc) {
        ret = mdb_fail(rc, "reading a document");
    } else if (!(*json = malloc(v.mv_size + 1))) {
        ret = MH_ERR_NOMEM;
    } else {
        memcpy(*json, v.mv_data, v.mv_size);
        (*json)[v.mv_size] = '\0';
        *len = v.mv_size;
        ret = MH_OK;
    }
    mdb_txn_abort(t);
out:
    pthread_mutex_unlock(&idx_lock);
    return ret;
}

int app_index_check(const char *dir)
{
    pthread_mutex_lock(&idx_lock);
    int rc = index_open_locked(dir, false);
    pthread_mutex_unlock(&idx_lock);
    return rc == MH_ERR_NOT_FOUND ? MH_OK : rc;
}
