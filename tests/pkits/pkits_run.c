/* pkits_run.c - runs NIST PKITS (pkits.json, see SOURCE.txt beside it)
 * through mh_path_validate and counts right, unsupported and wrong cases.
 *
 *   pkits_run DIR [-v] [ID...]
 *
 * Every case: trust anchor TrustAnchorRootCertificate.crt and its CRL, the
 * case's other certificates as the untrusted pool, its CRLs, time
 * 2022-05-01, CRLs required unless "revocation": false, the policy inputs
 * of "params", RFC 3280's profile (legacy_profile: PKITS is written to it). A case with "error"
 * must be rejected, any other accepted. A case we reject as unsupported (DSA, delta CRLs) is
 * counted apart. Exit 0 only when no supported case is wrong; 77 when the suite is absent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mh_pki.h"

#define MAX_FILES 32

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *b = malloc(MH_X509_MAX_CERT + 1);
    size_t n = b ? fread(b, 1, MH_X509_MAX_CERT + 1, f) : 0;
    fclose(f);
    if (!b || n > MH_X509_MAX_CERT) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* Dotted OID text to OID contents. */
static int oid_encode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    unsigned long arcs[32];
    size_t n = 0;
    const char *p = s;
    while (*p && n < 32) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (errno || end == p || (*end && *end != '.'))
            return -1;
        arcs[n++] = v;
        p = *end ? end + 1 : end;
    }
    if (n < 2)
        return -1;
    size_t o = 0;
    for (size_t i = 1; i < n; i++) {
        unsigned long v = i == 1 ? arcs[0] * 40 + arcs[1] : arcs[i];
        uint8_t tmp[10];
        size_t t = 0;
        do {
            tmp[t++] = (uint8_t)(v & 0x7f);
            v >>= 7;
        } while (v);
        if (o + t > cap)
            return -1;
        while (t) {
            t--;
            out[o++] = (uint8_t)(tmp[t] | (t ? 0x80 : 0));
        }
    }
    *len = o;
    return 0;
}

typedef struct loaded {
    uint8_t *buf[MAX_FILES];
    size_t n;
} loaded;

static void loaded_free(loaded *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->buf[i]);
    l->n = 0;
}

static int load(loaded *l, const char *dir, const char *sub, const char *name, uint8_t **b,
                size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    if (l->n >= MAX_FILES || read_file(path, b, len)) {
        fprintf(stderr, "pkits: cannot read %s\n", path);
        return -1;
    }
    l->buf[l->n++] = *b;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pkits_run DIR [-v] [ID...]\n");
        return 2;
    }
    const char *dir = argv[1];
    bool verbose = false;
    int first_id = 2;
    if (argc > 2 && strcmp(argv[2], "-v") == 0) {
        verbose = true;
        first_id = 3;
    }
    char jpath[1024];
    snprintf(jpath, sizeof jpath, "%s/pkits.json", dir);
    FILE *jf = fopen(jpath, "r");
    if (!jf) {
        printf("NOTE: *** NIST PKITS not found at %s: test SKIPPED ***\n", dir);
        return 77;
    }
    json_error_t jerr;
    json_t *root = json_loadf(jf, 0, &jerr);
    fclose(jf);
    if (!json_is_array(root)) {
        fprintf(stderr, "pkits: %s: %s\n", jpath, jerr.text);
        return 1;
    }
    const char *sc = getenv("MH_TEST_SIGCACHE");
    long scn = sc ? strtol(sc, NULL, 10) : 0;
    bool sigcache = scn > 0;
    if (sigcache && mh_x509_sigcache_set((size_t)scn) != 0)
        return 1;
    mh_path_work *work = malloc(mh_path_work_size());
    static mh_x509_cert certs[MAX_FILES];
    static mh_x509_crl crls[MAX_FILES];
    if (!work)
        return 1;
    size_t total = 0, right = 0, unsupported = 0, wrong = 0;
    size_t idx;
    json_t *tc;
    json_array_foreach(root, idx, tc)
    {
        const char *id = json_string_value(json_object_get(tc, "id"));
        const char *name = json_string_value(json_object_get(tc, "name"));
        if (!id || !name)
            continue;
        if (argc > first_id) {
            bool want = false;
            for (int a = first_id; a < argc; a++)
                want = want || strcmp(argv[a], id) == 0;
            if (!want)
                continue;
        }
        total++;
        loaded l = {0};
        size_t nc = 0, ncrl = 0;
        const mh_x509_cert *pool[MAX_FILES];
        const mh_x509_crl *crlp[MAX_FILES];
        size_t npool = 0;
        uint8_t *b;
        size_t len;
        int rc = 0;
        char why[512] = "";
        bool expect_error = json_object_get(tc, "error") != NULL;
        bool ok_load = true;

        /* the trust anchor and its CRL */
        mh_x509_cert *anchor = &certs[nc++];
        if (load(&l, dir, "certs", "TrustAnchorRootCertificate.crt", &b, &len) ||
            mh_x509_cert_parse(anchor, b, len))
            ok_load = false;
        if (ok_load && load(&l, dir, "crls", "TrustAnchorRootCRL.crl", &b, &len) == 0 &&
            mh_x509_crl_parse(&crls[ncrl], b, len) == 0)
            crlp[ncrl] = &crls[ncrl], ncrl++;
        /* the target */
        mh_x509_cert *target = &certs[nc++];
        const char *tname = json_string_value(json_object_get(tc, "cert"));
        int prc = MH_ERR_PARSE;
        if (ok_load && tname && load(&l, dir, "certs", tname, &b, &len) == 0)
            prc = mh_x509_cert_parse(target, b, len);
        else
            ok_load = false;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(tc, "other_certs"), i, v)
        {
            if (nc >= MAX_FILES || load(&l, dir, "certs", json_string_value(v), &b, &len)) {
                ok_load = false;
                break;
            }
            if (mh_x509_cert_parse(&certs[nc], b, len)) {
                if (verbose)
                    printf("  note: %s does not parse: %s\n", json_string_value(v),
                           mh_err_message(MH_ERR_PARSE));
                continue;
            }
            pool[npool++] = &certs[nc++];
        }
        json_array_foreach(json_object_get(tc, "crls"), i, v)
        {
            if (ncrl >= MAX_FILES || load(&l, dir, "crls", json_string_value(v), &b, &len)) {
                ok_load = false;
                break;
            }
            if (mh_x509_crl_parse(&crls[ncrl], b, len)) {
                if (verbose)
                    printf("  note: %s does not parse: %s\n", json_string_value(v),
                           mh_err_message(MH_ERR_PARSE));
                continue;
            }
            crlp[ncrl] = &crls[ncrl];
            ncrl++;
        }
        if (!ok_load) {
            printf("FAIL %s %s: the case's files could not be read\n", id, name);
            wrong++;
            loaded_free(&l);
            continue;
        }

        mh_path_params p;
        memset(&p, 0, sizeof p);
        p.time = mh_der_days_from_civil(2022, 5, 1) * 86400;
        /* PKITS follows RFC 3280's profile (non-critical basicConstraints
         * and policyConstraints in CA certificates are valid there) */
        p.legacy_profile = true;
        p.purpose = MH_PURPOSE_ANY;
        json_t *rev = json_object_get(tc, "revocation");
        p.revocation = (rev && json_is_false(rev)) ? MH_REV_NONE : MH_REV_REQUIRE;
        uint8_t oidbuf[8][32];
        mh_x509_span pols[8];
        json_t *prm = json_object_get(tc, "params");
        if (prm) {
            p.explicit_policy = json_is_true(json_object_get(prm, "initial_explicit_policy"));
            p.inhibit_mapping =
                json_is_true(json_object_get(prm, "initial_policy_mapping_inhibit"));
            p.inhibit_any = json_is_true(json_object_get(prm, "initial_any_policy_inhibit"));
            json_array_foreach(json_object_get(prm, "user_initial_policy_set"), i, v)
            {
                size_t ol;
                if (p.n_policies < 8 && oid_encode(json_string_value(v), oidbuf[p.n_policies],
                                                   sizeof oidbuf[0], &ol) == 0) {
                    pols[p.n_policies].p = oidbuf[p.n_policies];
                    pols[p.n_policies].len = ol;
                    p.n_policies++;
                }
            }
            p.policies = pols;
        }
        mh_path_result res;
        if (prc) {
            rc = prc;
            snprintf(why, sizeof why, "the target does not parse: %s", mh_err_message(prc));
        } else {
            const mh_x509_cert *anchors[1] = {anchor};
            mh_path_input in = {target, anchors, 1, pool, npool, crlp, ncrl};
            rc = mh_path_validate(work, &in, &p, &res);
            snprintf(why, sizeof why, "%s", res.reason);
            /* with the signature cache on (MH_TEST_SIGCACHE), each case
             * twice, the second time warm: the verdict must not change */
            if (sigcache && mh_path_validate(work, &in, &p, &res) != rc) {
                snprintf(why, sizeof why, "the verdict changed with a warm signature cache");
                rc = expect_error ? 0 : MH_ERR_VERIFY_FAILED;
            }
        }
        const char *verdict;
        if (rc == MH_ERR_UNSUPPORTED || rc == MH_ERR_UNSUPPORTED_ALG) {
            unsupported++;
            verdict = "UNSUPPORTED";
        } else if ((rc != 0) == expect_error) {
            right++;
            verdict = "ok";
        } else {
            wrong++;
            verdict = "WRONG";
        }
        if (strcmp(verdict, "ok") != 0 || verbose)
            printf("%s %s %s (expected %s): %s\n", verdict, id, name,
                   expect_error ? "rejection" : "success", rc ? why : "valid");
        loaded_free(&l);
    }
    printf("pkits: %zu cases, %zu right, %zu unsupported, %zu wrong\n", total, right, unsupported,
           wrong);
    if (sigcache) {
        mh_x509_sigcache_stats cs;
        mh_x509_sigcache_stats_get(&cs);
        printf("pkits: signature cache of %zu: %llu hits, %llu misses, %llu stored\n", cs.capacity,
               (unsigned long long)cs.hits, (unsigned long long)cs.misses,
               (unsigned long long)cs.stored);
    }
    json_decref(root);
    free(work);
    return wrong ? 1 : 0;
}
