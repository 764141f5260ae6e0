/* test_sigcache.c - the signature cache of path validation
 * (mh_x509_sigcache_*, pki/x509/sigcache.c) can never accept what a fresh
 * check refuses: a cached pass with another key, other signed bytes,
 * another signature or another algorithm is a miss and fails; a revoked,
 * expired or not-yet-valid certificate is refused however warm the cache;
 * a failed check is never stored; the cache stays within its size; and
 * threads validating at once through a small, always-evicting cache get
 * the same verdicts as without it. On the PKI mkcerts.sh makes.
 *
 *   test_sigcache PATH/TO/mkcerts.sh */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mh_pki.h"

static char dir[256];

#define MAX_BUFS 64
static uint8_t *bufs[MAX_BUFS];
static size_t n_bufs;

static uint8_t *load(const char *name, size_t *len)
{
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/%s.der", dir, name);
    if (strstr(name, ".crl"))
        snprintf(cmd, sizeof cmd, "openssl crl -in %s/%s -outform DER -out %s", dir, name, path);
    else
        snprintf(cmd, sizeof cmd, "openssl x509 -in %s/%s.pem -outform DER -out %s", dir, name,
                 path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *b = malloc(1 << 16);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 16, f);
    fclose(f);
    assert_true(n_bufs < MAX_BUFS);
    bufs[n_bufs++] = b;
    return b;
}

static mh_x509_cert *cert(const char *name)
{
    size_t len;
    uint8_t *b = load(name, &len);
    mh_x509_cert *c = malloc(sizeof *c);
    assert_non_null(c);
    int rc = mh_x509_cert_parse(c, b, len);
    if (rc)
        fail_msg("%s: %s", name, mh_err_message(rc));
    return c;
}

static mh_x509_crl *crl(const char *name)
{
    size_t len;
    uint8_t *b = load(name, &len);
    mh_x509_crl *c = malloc(sizeof *c);
    assert_non_null(c);
    assert_int_equal(mh_x509_crl_parse(c, b, len), 0);
    return c;
}

static int64_t at(int y, unsigned m, unsigned d)
{
    return mh_der_days_from_civil(y, m, d) * 86400;
}

static mh_x509_cert *root, *ca, *notary, *ivan, *tsa;
static mh_x509_crl *rootcrl, *cacrl;

static int setup(void **state)
{
    (void)state;
    root = cert("root");
    ca = cert("ca");
    notary = cert("notary");
    ivan = cert("ivan");
    tsa = cert("tsa");
    rootcrl = crl("root.crl");
    cacrl = crl("ca.crl");
    return 0;
}

/* target under root and ca at time t, with both CRLs when rev says so */
static int validate(const mh_x509_cert *target, int64_t t, enum mh_path_revocation rev)
{
    const mh_x509_cert *anchors[] = {root};
    const mh_x509_cert *pool[] = {ca};
    const mh_x509_crl *crls[] = {rootcrl, cacrl};
    mh_path_input in = {target, anchors, 1, pool, 1, crls, rev == MH_REV_NONE ? 0 : 2};
    mh_path_params p;
    memset(&p, 0, sizeof p);
    p.time = t;
    p.purpose = MH_PURPOSE_ANY;
    p.revocation = rev;
    mh_path_work *w = malloc(mh_path_work_size());
    assert_non_null(w);
    mh_path_result r;
    int rc = mh_path_validate(w, &in, &p, &r);
    free(w);
    return rc;
}

static mh_x509_sigcache_stats stats(void)
{
    mh_x509_sigcache_stats s;
    mh_x509_sigcache_stats_get(&s);
    return s;
}

/* The cache takes the whole check: a pass is a hit next time, and changing
 * any one input (key, signed bytes, signature, algorithm) is a miss that
 * fails, and is not stored. */
static void test_keyed_by_every_input(void **state)
{
    (void)state;
    assert_int_equal(mh_x509_sigcache_set(64), 0);
    const mh_x509_span *tbs = &notary->tbs;
    assert_int_equal(
        mh_x509_check_signature(&ca->spki, &notary->sig_alg, tbs->p, tbs->len, &notary->sig), 0);
    mh_x509_sigcache_stats s = stats();
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.stored, 1);
    assert_int_equal(s.hits, 0);
    assert_int_equal(
        mh_x509_check_signature(&ca->spki, &notary->sig_alg, tbs->p, tbs->len, &notary->sig), 0);
    s = stats();
    assert_int_equal(s.hits, 1);
    assert_int_equal(s.stored, 1);

    /* another key (the root's, and the notary's own): a miss, and refused */
    assert_int_not_equal(
        mh_x509_check_signature(&root->spki, &notary->sig_alg, tbs->p, tbs->len, &notary->sig), 0);
    assert_int_not_equal(
        mh_x509_check_signature(&notary->spki, &notary->sig_alg, tbs->p, tbs->len, &notary->sig),
        0);
    /* other signed bytes: each single-bit change of the TBS */
    uint8_t *copy = malloc(tbs->len);
    assert_non_null(copy);
    for (size_t i = 0; i < tbs->len; i += 7) {
        memcpy(copy, tbs->p, tbs->len);
        copy[i] ^= 0x01;
        assert_int_not_equal(
            mh_x509_check_signature(&ca->spki, &notary->sig_alg, copy, tbs->len, &notary->sig), 0);
    }
    /* the signed bytes cut short by one */
    assert_int_not_equal(
        mh_x509_check_signature(&ca->spki, &notary->sig_alg, tbs->p, tbs->len - 1, &notary->sig),
        0);
    free(copy);
    /* another signature by the same key (ivan's, a genuine one from the CA),
     * and the notary's own signature with one bit changed */
    assert_int_not_equal(
        mh_x509_check_signature(&ca->spki, &notary->sig_alg, tbs->p, tbs->len, &ivan->sig), 0);
    uint8_t sigbuf[256];
    assert_true(notary->sig.len <= sizeof sigbuf);
    memcpy(sigbuf, notary->sig.p, notary->sig.len);
    sigbuf[notary->sig.len - 1] ^= 0x01;
    mh_x509_span badsig = {sigbuf, notary->sig.len};
    assert_int_not_equal(
        mh_x509_check_signature(&ca->spki, &notary->sig_alg, tbs->p, tbs->len, &badsig), 0);
    /* another algorithm: ecdsa-with-SHA384 over the same bytes */
    uint8_t algbuf[64];
    assert_true(notary->sig_alg.len <= sizeof algbuf);
    memcpy(algbuf, notary->sig_alg.p, notary->sig_alg.len);
    assert_int_equal(algbuf[notary->sig_alg.len - 1], 0x02); /* ...4.3.2: SHA-256 */
    algbuf[notary->sig_alg.len - 1] = 0x03;
    mh_x509_span alg384 = {algbuf, notary->sig_alg.len};
    assert_int_not_equal(
        mh_x509_check_signature(&ca->spki, &alg384, tbs->p, tbs->len, &notary->sig), 0);

    s = stats();
    assert_int_equal(s.hits, 1);   /* none of the changed checks hit */
    assert_int_equal(s.stored, 1); /* and none was stored */
    /* a failure stays a failure: asked again, still a miss */
    assert_int_not_equal(
        mh_x509_check_signature(&root->spki, &notary->sig_alg, tbs->p, tbs->len, &notary->sig), 0);
    assert_int_equal(stats().hits, 1);
    assert_int_equal(mh_x509_sigcache_set(0), 0);
}

/* A warm cache decides nothing but signatures: revocation, validity and
 * purpose are checked afresh. */
static void test_verdicts_unchanged(void **state)
{
    (void)state;
    int64_t t = at(2030, 6, 1);
    /* without the cache */
    int notary_ok = validate(notary, t, MH_REV_REQUIRE);
    int ivan_revoked = validate(ivan, t, MH_REV_REQUIRE);
    int ivan_norev = validate(ivan, t, MH_REV_NONE);
    int notary_late = validate(notary, at(2036, 1, 1), MH_REV_NONE);
    int notary_early = validate(notary, at(2023, 1, 1), MH_REV_NONE);
    assert_int_equal(notary_ok, 0);
    assert_int_equal(ivan_revoked, MH_ERR_CERT_REVOKED);
    assert_int_equal(ivan_norev, 0);
    assert_int_not_equal(notary_late, 0);
    assert_int_not_equal(notary_early, 0);

    assert_int_equal(mh_x509_sigcache_set(256), 0);
    for (int round = 0; round < 3; round++) {
        /* ivan's signature passes (no revocation asked), so it is cached... */
        assert_int_equal(validate(ivan, t, MH_REV_NONE), 0);
        /* ...and ivan is still refused as revoked with the CRLs */
        assert_int_equal(validate(ivan, t, MH_REV_REQUIRE), ivan_revoked);
        assert_int_equal(validate(notary, t, MH_REV_REQUIRE), 0);
        /* the notary, cached, is refused outside its validity */
        assert_int_equal(validate(notary, at(2036, 1, 1), MH_REV_NONE), notary_late);
        assert_int_equal(validate(notary, at(2023, 1, 1), MH_REV_NONE), notary_early);
    }
    mh_x509_sigcache_stats s = stats();
    assert_true(s.hits > 0);
    print_message("sigcache: %llu hits, %llu misses, %llu stored\n", (unsigned long long)s.hits,
                  (unsigned long long)s.misses, (unsigned long long)s.stored);
    assert_int_equal(mh_x509_sigcache_set(0), 0);
}

/* The cache never holds more than its size, however many passes it sees. */
static void test_bounded(void **state)
{
    (void)state;
    static const char *names[] = {"notary", "ivan",  "tsa",   "tsa-noncrit", "expired", "future",
                                  "ca",     "nc-ca", "nc-ok", "nc-bad",      "root"};
    mh_x509_cert *cs[sizeof names / sizeof names[0]];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cs[i] = cert(names[i]);
    mh_x509_cert *nc = cs[7];
    assert_int_equal(mh_x509_sigcache_set(4), 0);
    size_t passed = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            const mh_x509_cert *iss = i <= 5 ? ca : (i <= 7 || i == 10) ? root : nc;
            assert_int_equal(mh_x509_check_signature(&iss->spki, &cs[i]->sig_alg, cs[i]->tbs.p,
                                                     cs[i]->tbs.len, &cs[i]->sig),
                             0);
            passed++;
            mh_x509_sigcache_stats s = stats();
            assert_int_equal(s.capacity, 4);
            assert_true(s.entries <= 4);
        }
    }
    mh_x509_sigcache_stats s = stats();
    assert_true(s.stored > 4);
    assert_int_equal(s.hits + s.misses, passed);
    assert_int_equal(mh_x509_sigcache_set(MH_X509_SIGCACHE_MAX + 1), MH_ERR_INVALID_ARG);
    assert_int_equal(mh_x509_sigcache_set(0), 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        free(cs[i]);
}

/* Threads validating at once through a cache of 4 entries (evicting all
 * the time) get the verdicts of a fresh check, every time. */
struct job {
    int bad;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    int64_t t = at(2030, 6, 1);
    for (int i = 0; i < 60; i++) {
        if (validate(notary, t, MH_REV_REQUIRE) != 0)
            j->bad++;
        if (validate(ivan, t, MH_REV_REQUIRE) != MH_ERR_CERT_REVOKED)
            j->bad++;
        if (validate(tsa, t, MH_REV_REQUIRE) != 0)
            j->bad++;
        if (validate(notary, at(2036, 1, 1), MH_REV_NONE) == 0)
            j->bad++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    assert_int_equal(mh_x509_sigcache_set(4), 0);
    pthread_t th[4];
    struct job jobs[4];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].bad, 0);
    }
    mh_x509_sigcache_stats s = stats();
    assert_true(s.hits > 0);
    assert_true(s.entries <= 4);
    assert_int_equal(mh_x509_sigcache_set(0), 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_sigcache mkcerts.sh\n");
        return 2;
    }
    if (system("openssl version >/dev/null 2>&1") != 0) {
        printf("NOTE: openssl is not installed: test SKIPPED\n");
        return 77;
    }
    snprintf(dir, sizeof dir, "/tmp/mohur-sigcache-unit.%ld", (long)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s && bash %s %s >/dev/null 2>&1", dir, argv[1], dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "test_sigcache: mkcerts.sh failed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyed_by_every_input),
        cmocka_unit_test(test_verdicts_unchanged),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_threads),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    free(root);
    free(ca);
    free(notary);
    free(ivan);
    free(tsa);
    free(rootcrl);
    free(cacrl);
    for (size_t i = 0; i < n_bufs; i++)
        free(bufs[i]);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
