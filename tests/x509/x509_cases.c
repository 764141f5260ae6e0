/* x509_cases.c - runs the path-validation cases gencases.py makes (see its
 * header for cases.txt) through mh_x509_cert_parse and mh_path_validate.
 *
 *   x509_cases gencases.py [-v] [CLASS|NAME...]
 *
 * A certificate or CRL that does not parse makes the case refused with the
 * parser's code (a trust anchor too). Every case is validated at 2030-06-01
 * with purpose "any". Prints each wrong case with mohur's reason, then one
 * line per class and "N passed, M failed". Exit 0 only when every case is
 * right; 77 when python3 or openssl is missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mh_pki.h"

#define MAX_LIST 16

static char dir[256];

static const struct {
    const char *name;
    int code;
} codes[] = {
    {"PARSE", MH_ERR_PARSE},
    {"TOO_LARGE", MH_ERR_TOO_LARGE},
    {"UNSUPPORTED", MH_ERR_UNSUPPORTED},
    {"VERIFY_FAILED", MH_ERR_VERIFY_FAILED},
    {"UNSUPPORTED_ALG", MH_ERR_UNSUPPORTED_ALG},
    {"ALG_REFUSED", MH_ERR_ALG_REFUSED},
    {"CERT_EXPIRED", MH_ERR_CERT_EXPIRED},
    {"CERT_REVOKED", MH_ERR_CERT_REVOKED},
    {"CERT_UNTRUSTED", MH_ERR_CERT_UNTRUSTED},
    {"CERT_INVALID", MH_ERR_CERT_INVALID},
    {"CRL_MISSING", MH_ERR_CRL_MISSING},
    {"CRL_INVALID", MH_ERR_CRL_INVALID},
    {"POLICY", MH_ERR_POLICY},
    {"NAME_CONSTRAINTS", MH_ERR_NAME_CONSTRAINTS},
    {"KEY_USAGE", MH_ERR_KEY_USAGE},
    {"CRITICAL_EXT", MH_ERR_CRITICAL_EXT},
    {"PATH_LEN", MH_ERR_PATH_LEN},
};

static const char *code_name(int rc)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == rc)
            return codes[i].name;
    return rc ? "other" : "ok";
}

/* Reads DIR/NAME; NULL on failure. */
static uint8_t *slurp(const char *fn, size_t *len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, fn);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = malloc(MH_X509_MAX_CRL);
    size_t n = b ? fread(b, 1, MH_X509_MAX_CRL, f) : 0;
    fclose(f);
    *len = n;
    return b;
}

typedef struct item {
    uint8_t *buf;
    mh_x509_cert *cert;
    mh_x509_crl *crl;
} item;

/* Parses a comma-separated list of files into items; 0 or the first
 * parse error (with its sentence in why). */
static int load_list(char *s, item *it, size_t *n, bool crls, char *why, size_t cap)
{
    *n = 0;
    if (strcmp(s, "-") == 0)
        return 0;
    for (char *tok = s; tok && *tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = 0;
        if (*n >= MAX_LIST)
            return MH_ERR_TOO_LARGE;
        size_t len;
        item *x = &it[(*n)++];
        memset(x, 0, sizeof *x);
        x->buf = slurp(tok, &len);
        if (!x->buf)
            return MH_ERR_IO;
        int rc;
        if (crls) {
            x->crl = malloc(sizeof *x->crl);
            rc = mh_x509_crl_parse(x->crl, x->buf, len);
        } else {
            x->cert = malloc(sizeof *x->cert);
            rc = mh_x509_cert_parse(x->cert, x->buf, len);
        }
        if (rc) {
            snprintf(why, cap, "%s does not parse: %s", tok, mh_err_message(rc));
            return rc;
        }
        tok = comma ? comma + 1 : NULL;
    }
    return 0;
}

static void free_list(item *it, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(it[i].buf);
        free(it[i].cert);
        free(it[i].crl);
    }
}

struct tally {
    char cls[32];
    unsigned right, wrong;
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: x509_cases gencases.py [-v] [CLASS|NAME...]\n");
        return 2;
    }
    if (system("python3 -c 'import hashlib' >/dev/null 2>&1 && openssl version >/dev/null 2>&1")) {
        printf("NOTE: python3 or openssl is missing: test SKIPPED\n");
        return 77;
    }
    bool verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
    int first_filter = verbose ? 3 : 2;
    snprintf(dir, sizeof dir, "/tmp/mohur-x509-cases.%ld", (long)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s && python3 %s %s", dir, argv[1], dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "x509_cases: gencases.py failed\n");
        return 1;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "x509_cases: no %s\n", path);
        return 1;
    }
    const char *sc = getenv("MH_TEST_SIGCACHE");
    long scn = sc ? strtol(sc, NULL, 10) : 0;
    bool sigcache = scn > 0;
    if (sigcache && mh_x509_sigcache_set((size_t)scn) != 0)
        return 1;
    mh_path_work *w = malloc(mh_path_work_size());
    struct tally tally[16];
    size_t n_tally = 0;
    unsigned right = 0, wrong = 0;
    char line[8192];
    while (w && fgets(line, sizeof line, f)) {
        char cls[32], nm[96], expect[32], anchors[2048], pool[2048], target[128], crls[2048],
            rev[16];
        if (sscanf(line, "%31s %95s %31s %2047s %2047s %127s %2047s %15s", cls, nm, expect, anchors,
                   pool, target, crls, rev) != 8)
            continue;
        bool selected = argc <= first_filter;
        for (int i = first_filter; i < argc; i++)
            selected = selected || strcmp(argv[i], cls) == 0 || strcmp(argv[i], nm) == 0;
        if (!selected)
            continue;
        item ai[MAX_LIST], pi[MAX_LIST], ti[1], ci[MAX_LIST];
        size_t na = 0, np = 0, nt = 0, nc = 0;
        char why[512] = "";
        int rc = load_list(anchors, ai, &na, false, why, sizeof why);
        if (!rc)
            rc = load_list(pool, pi, &np, false, why, sizeof why);
        if (!rc)
            rc = load_list(target, ti, &nt, false, why, sizeof why);
        if (!rc)
            rc = load_list(crls, ci, &nc, true, why, sizeof why);
        if (!rc) {
            const mh_x509_cert *a[MAX_LIST], *p[MAX_LIST];
            const mh_x509_crl *c[MAX_LIST];
            for (size_t i = 0; i < na; i++)
                a[i] = ai[i].cert;
            for (size_t i = 0; i < np; i++)
                p[i] = pi[i].cert;
            for (size_t i = 0; i < nc; i++)
                c[i] = ci[i].crl;
            mh_path_input in = {ti[0].cert, a, na, p, np, c, nc};
            mh_path_params prm;
            memset(&prm, 0, sizeof prm);
            prm.time = mh_der_days_from_civil(2030, 6, 1) * 86400;
            prm.revocation = strcmp(rev, "require") == 0 ? MH_REV_REQUIRE : MH_REV_NONE;
            mh_path_result res;
            rc = mh_path_validate(w, &in, &prm, &res);
            snprintf(why, sizeof why, "%s", res.reason);
            /* with the signature cache on (MH_TEST_SIGCACHE), each case
             * twice, the second time warm: the verdict must not change */
            if (sigcache && mh_path_validate(w, &in, &prm, &res) != rc) {
                snprintf(why, sizeof why, "the verdict changed with a warm signature cache");
                rc = strcmp(expect, "ok") == 0 ? MH_ERR_VERIFY_FAILED : 0;
            }
        }
        free_list(ai, na);
        free_list(pi, np);
        free_list(ti, nt);
        free_list(ci, nc);
        bool ok;
        if (strcmp(expect, "ok") == 0)
            ok = rc == 0;
        else if (strcmp(expect, "fail") == 0)
            ok = rc != 0;
        else
            ok = strcmp(code_name(rc), expect) == 0;
        if (ok)
            right++;
        else
            wrong++;
        size_t t = 0;
        while (t < n_tally && strcmp(tally[t].cls, cls) != 0)
            t++;
        if (t == n_tally && n_tally < 16) {
            snprintf(tally[n_tally].cls, sizeof tally[0].cls, "%s", cls);
            tally[n_tally].right = tally[n_tally].wrong = 0;
            n_tally++;
        }
        if (t < n_tally) {
            if (ok)
                tally[t].right++;
            else
                tally[t].wrong++;
        }
        if (!ok || verbose)
            printf("%s %s/%s: expected %s, mohur says %s: %s\n", ok ? "right" : "WRONG", cls, nm,
                   expect, code_name(rc), rc ? why : "valid");
    }
    fclose(f);
    free(w);
    for (size_t t = 0; t < n_tally; t++)
        printf("class %-10s %3u right, %u wrong\n", tally[t].cls, tally[t].right, tally[t].wrong);
    printf("%u passed, %u failed\n", right, wrong);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return wrong ? 1 : 0;
}
