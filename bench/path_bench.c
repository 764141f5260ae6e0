/* path_bench.c - path validations per second: a 3-certificate EC P-256
 * chain (root, intermediate, end entity) with CRLs required, through
 * mh_path_validate in a loop, beside `openssl verify -crl_check_all` doing
 * the same work on N copies of the target in one call; and the same loop
 * again with the signature cache on (mh_x509_sigcache_set: the server
 * case).
 *
 *   path_bench DIR [N]    DIR made by tests/x509/mkcerts.sh */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mh_pki.h"

/* CPU seconds used by this process and its finished children: the machine
 * is shared, so wall-clock time would measure the neighbours too. */
static double now(void)
{
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    getrusage(RUSAGE_CHILDREN, &b);
    return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec + b.ru_stime.tv_sec) +
           (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec +
                    b.ru_stime.tv_usec) /
               1e6;
}

static uint8_t *der(const char *dir, const char *name, bool is_crl, size_t *len)
{
    char cmd[1024], path[512];
    snprintf(path, sizeof path, "%s/%s.bench.der", dir, name);
    snprintf(cmd, sizeof cmd, "openssl %s -in %s/%s -outform DER -out %s", is_crl ? "crl" : "x509",
             dir, name, path);
    if (system(cmd) != 0)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = malloc(1 << 16);
    *len = b ? fread(b, 1, 1 << 16, f) : 0;
    fclose(f);
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: path_bench DIR [N]\n");
        return 2;
    }
    const char *dir = argv[1];
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    if (n < 1 || n > 1000000)
        n = 2000;
    size_t l1, l2, l3, l4, l5;
    uint8_t *b1 = der(dir, "root.pem", false, &l1), *b2 = der(dir, "ca.pem", false, &l2);
    uint8_t *b3 = der(dir, "notary.pem", false, &l3), *b4 = der(dir, "ca.crl", true, &l4);
    uint8_t *b5 = der(dir, "root.crl", true, &l5);
    static mh_x509_cert root, ca, ee;
    static mh_x509_crl crl1, crl2;
    if (!b1 || !b2 || !b3 || !b4 || !b5 || mh_x509_cert_parse(&root, b1, l1) ||
        mh_x509_cert_parse(&ca, b2, l2) || mh_x509_cert_parse(&ee, b3, l3) ||
        mh_x509_crl_parse(&crl1, b4, l4) || mh_x509_crl_parse(&crl2, b5, l5)) {
        fprintf(stderr, "path_bench: cannot read the test PKI in %s\n", dir);
        return 1;
    }
    const mh_x509_cert *anchors[] = {&root}, *pool[] = {&ca};
    const mh_x509_crl *crls[] = {&crl1, &crl2};
    mh_path_input in = {&ee, anchors, 1, pool, 1, crls, 2};
    mh_path_params p;
    memset(&p, 0, sizeof p);
    p.time = (int64_t)time(NULL);
    p.purpose = MH_PURPOSE_DOCUMENT;
    p.revocation = MH_REV_REQUIRE;
    mh_path_work *w = malloc(mh_path_work_size());
    mh_path_result r;
    if (!w || mh_path_validate(w, &in, &p, &r) != 0) {
        fprintf(stderr, "path_bench: the chain does not validate: %s\n", r.reason);
        return 1;
    }
    /* without the signature cache, then with it (the server case: the
     * same authorities' certificates and CRLs again and again) */
    double t0 = now();
    for (long i = 0; i < n; i++) {
        /* parsing is part of the work openssl does too */
        if (mh_x509_cert_parse(&ee, b3, l3) || mh_path_validate(w, &in, &p, &r) != 0)
            return 1;
    }
    double t1 = now();
    double ours = (double)n / (t1 - t0);
    if (mh_x509_sigcache_set(4096) != 0)
        return 1;
    double tc0 = now();
    for (long i = 0; i < n; i++) {
        if (mh_x509_cert_parse(&ee, b3, l3) || mh_path_validate(w, &in, &p, &r) != 0)
            return 1;
    }
    double tc1 = now();
    double cached = (double)n / (tc1 - tc0);
    mh_x509_sigcache_stats cs;
    mh_x509_sigcache_stats_get(&cs);
    (void)mh_x509_sigcache_set(0);

    /* openssl verify: one process, n copies of the target */
    char list[512], cmd[2048];
    snprintf(list, sizeof list, "%s/bench-targets.txt", dir);
    snprintf(cmd, sizeof cmd,
             "cd %s && cat root.crl ca.crl > bench-crls.pem && : > bench-targets.txt && "
             "for i in $(seq %ld); do echo notary.pem; done > bench-targets.txt",
             dir, n);
    if (system(cmd) != 0)
        return 1;
    snprintf(cmd, sizeof cmd,
             "cd %s && xargs openssl verify -crl_check_all -CRLfile bench-crls.pem "
             "-CAfile root.pem -untrusted ca.pem < bench-targets.txt > /dev/null",
             dir);
    double t2 = now();
    int rc = system(cmd);
    double t3 = now();
    /* one empty call, to take away process start-up */
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl verify -crl_check_all -CRLfile bench-crls.pem -CAfile root.pem "
             "-untrusted ca.pem notary.pem > /dev/null",
             dir);
    double t4 = now();
    int rc2 = system(cmd);
    double t5 = now();
    double theirs = (double)(n - 1) / ((t3 - t2) - (t5 - t4));
    printf("path validation, 3-certificate EC P-256 chain, CRLs required, %ld runs:\n", n);
    printf("  mohur (parse + mh_path_validate): %.0f per second\n", ours);
    printf("  the same, signature cache on:     %.0f per second (%llu hits, %llu misses)\n", cached,
           (unsigned long long)cs.hits, (unsigned long long)cs.misses);
    printf("  openssl verify -crl_check_all:    %.0f per second%s\n", theirs,
           (rc || rc2) ? " (openssl reported an error!)" : "");
    free(w);
    free(b1);
    free(b2);
    free(b3);
    free(b4);
    free(b5);
    return 0;
}
