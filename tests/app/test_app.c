/*
 * test_app.c - host/app through its API on a real state directory (real
 * SoftHSM2 token, LMDB ledger, CA database), made by mh_app_init in a
 * temporary directory: many threads issuing at once, resume, a different
 * digest under the same id, the policy, verify and revoke.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app_int.h"
#include "mh_app.h"

#define THREADS 4
#define PER_THREAD 25

static char dir[256];
static mh_app *app;
static mh_app_signer *agency;
static mh_kind kind;

static void rm_rf(const char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d);
}

static int setup(void **state)
{
    (void)state;
    bool created = false;
    snprintf(dir, sizeof dir, "/tmp/mohur-app.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    strncat(dir, "/state", sizeof dir - strlen(dir) - 1);
    int rc = mh_app_init(dir, NULL, &created);
    if (rc || !created) {
        fprintf(stderr, "init: %s\n", mh_err_message(rc));
        return -1;
    }
    rc = mh_app_open(dir, &app);
    if (rc) {
        fprintf(stderr, "open: %s\n", mh_err_message(rc));
        return -1;
    }
    rc = mh_app_signer_open(app, "agency", NULL, &agency);
    if (rc) {
        fprintf(stderr, "signer: %s\n", mh_err_message(rc));
        return -1;
    }
    return mh_kind_load(mh_app_kinds_dir(app), "court-decision", &kind) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mh_app_signer_close(agency);
    mh_app_close(app);
    char *slash = strrchr(dir, '/');
    *slash = 0;
    rm_rf(dir);
    return 0;
}

static int issue_one(unsigned n, const char *body, mh_app_issue_res *res)
{
    char number[32], out[400], doc[200];
    snprintf(number, sizeof number, "AR-%u", n);
    snprintf(out, sizeof out, "%s/../doc-%u", dir, n);
    int len = snprintf(doc, sizeof doc, "certificate %u: %s\n", n, body);
    mh_field_value f[] = {
        {"case", number}, {"court", "Bakı Apellyasiya Məhkəməsi"}, {"date", "2024-05-03"}};
    mh_app_issue_req r;
    memset(&r, 0, sizeof r);
    r.kind = &kind;
    r.fields = f;
    r.nfields = sizeof f / sizeof f[0];
    r.doc = (const uint8_t *)doc;
    r.doc_len = (size_t)len;
    r.signer = agency;
    r.out_path = out;
    return mh_app_issue(app, &r, res);
}

struct worker {
    unsigned first;
    int rc;
    uint64_t idx[PER_THREAD];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (unsigned i = 0; i < PER_THREAD; i++) {
        mh_app_issue_res res;
        w->rc = issue_one(w->first + i, "original", &res);
        if (w->rc)
            return NULL;
        w->idx[i] = res.log_index;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    struct worker w[THREADS];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (unsigned i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].first = i * PER_THREAD;
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        if (w[i].rc)
            fprintf(stderr, "thread %u: %s\n", i, mh_err_message(w[i].rc));
        assert_int_equal(w[i].rc, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    /* every entry has its own index: 0 .. N-1, each once */
    bool seen[THREADS * PER_THREAD] = {false};
    for (unsigned i = 0; i < THREADS; i++)
        for (unsigned j = 0; j < PER_THREAD; j++) {
            assert_true(w[i].idx[j] < THREADS * PER_THREAD);
            assert_false(seen[w[i].idx[j]]);
            seen[w[i].idx[j]] = true;
        }
    uint64_t size = 0;
    uint8_t root[32];
    assert_int_equal(mh_ledger_size(mh_app_ledger(app), &size, root), 0);
    assert_int_equal(size, THREADS * PER_THREAD);
    printf("app: %d documents (.p7s + QR files) from %d threads in %.2f s: %.0f/s\n",
           THREADS * PER_THREAD, THREADS, s, THREADS * PER_THREAD / s);
}

static void test_resume_and_conflict(void **state)
{
    (void)state;
    mh_app_issue_res res;
    assert_int_equal(issue_one(7, "original", &res), 0);
    assert_true(res.resumed);
    assert_string_equal(res.doc_id, "agency/court-decision/AR-7");
    assert_int_equal(issue_one(7, "changed", &res), MH_ERR_ALREADY_EXISTS);
    uint64_t size = 0;
    uint8_t root[32];
    assert_int_equal(mh_ledger_size(mh_app_ledger(app), &size, root), 0);
    assert_int_equal(size, THREADS * PER_THREAD);
}

static void test_policy(void **state)
{
    (void)state;
    mh_kind dip;
    mh_app_signer *bdu = NULL;
    assert_int_equal(mh_kind_load(mh_app_kinds_dir(app), "diploma", &dip), 0);
    assert_false(mh_app_signer_may_issue(agency, &dip));
    assert_true(mh_app_signer_may_issue(agency, &kind));
    assert_int_equal(mh_app_signer_open(app, "bdu", NULL, &bdu), 0);
    assert_true(mh_app_signer_may_issue(bdu, &dip));
    assert_false(mh_app_signer_may_issue(bdu, &kind));
    mh_app_signer_close(bdu);
    assert_int_equal(mh_app_signer_open(app, "nobody", NULL, &bdu), MH_ERR_NOT_FOUND);
}

static void test_verify_revoke(void **state)
{
    (void)state;
    char path[400];
    mh_app_verdict *v = calloc(1, sizeof *v);
    mh_ledger_status st;
    assert_non_null(v);
    snprintf(path, sizeof path, "%s/../doc-3", dir);
    /* the original the .p7s was made for */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("certificate 3: original\n", f);
    fclose(f);
    assert_int_equal(mh_app_verify_file(app, path, NULL, v), 0);
    assert_int_equal(v->code, MH_APP_VALID);
    assert_true(v->receipt_sig_ok && v->receipt_digest_ok && v->ledger_known);
    assert_int_equal(v->nsigs, 1);
    assert_true(v->sigs[0].path_ok);
    assert_int_equal(mh_app_revoke(app, "agency/court-decision/AR-3", 4, NULL, &st), 0);
    assert_true(st.revoked);
    assert_int_equal(st.reason, 4);
    assert_int_equal(mh_app_revoke(app, "agency/court-decision/AR-3", 4, NULL, &st),
                     MH_ERR_ALREADY_EXISTS);
    assert_int_equal(mh_app_verify_file(app, path, NULL, v), 0);
    assert_int_equal(v->code, MH_APP_REVOKED);
    assert_string_equal(mh_app_reason_name(v->status.reason), "superseded");
    /* one byte changed */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("certificate 3: originaL\n", f);
    fclose(f);
    assert_int_equal(mh_app_verify_file(app, path, NULL, v), 0);
    assert_int_equal(v->code, MH_APP_ALTERED);
    free(v);
}

/* A mapped document (mh_app_verify_file) is the file as it was: written
 * to meanwhile, its check fails, so no verdict stands on torn bytes. */
static void test_map_check(void **state)
{
    (void)state;
    char path[] = "/tmp/mohur-map-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "%PDF-1.7 something\n", 19), 19);
    close(fd);
    app_map m;
    assert_int_equal(mh_app_map_file(path, 1 << 20, &m), 0);
    assert_int_equal(m.len, 19);
    assert_memory_equal(m.p, "%PDF-1.7 something\n", 19);
    assert_int_equal(mh_app_map_check(&m), 0);
    /* kernels before multigrain timestamps (6.13) stamp changes by the
     * tick: let one pass, as a writer racing a verifier would not control */
    usleep(20000);
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    fputs("%PDF-1.7 SOMETHING\n", f); /* same size, other bytes */
    fclose(f);
    assert_int_equal(mh_app_map_check(&m), MH_ERR_IO);
    mh_app_unmap_file(&m);
    /* too large, and not a regular file */
    assert_int_equal(mh_app_map_file(path, 10, &m), MH_ERR_TOO_LARGE);
    assert_int_not_equal(mh_app_map_file("/tmp", 1 << 20, &m), 0);
    /* empty */
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(mh_app_map_file(path, 1 << 20, &m), 0);
    assert_int_equal(m.len, 0);
    assert_int_equal(mh_app_map_check(&m), 0);
    mh_app_unmap_file(&m);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_check),           cmocka_unit_test(test_threads),
        cmocka_unit_test(test_resume_and_conflict), cmocka_unit_test(test_policy),
        cmocka_unit_test(test_verify_revoke),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
