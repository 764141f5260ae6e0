/* fuzz_x509.c - certificate parsing and everything read from a parsed
 * certificate (names, general names, CRL distribution points, key) stays
 * inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_gnames(const mh_x509_gnames *g)
{
    mh_der d;
    mh_x509_gn gn;
    mh_der_init(&d, g->raw.p, g->raw.len);
    while (mh_x509_gn_next(&d, &gn) == 0) {
        mh_x509_gn self = gn;
        (void)mh_x509_gn_within(&gn, &self);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_x509_cert c;
    char t[256];
    if (mh_x509_cert_parse(&c, data, size) != 0)
        return 0;
    mh_x509_name_str(&c.subject, t, sizeof t);
    mh_x509_name_short(&c.issuer, t, sizeof t);
    (void)mh_x509_name_eq(&c.subject, &c.issuer);
    mh_x509_key_desc(&c, t, sizeof t);
    (void)mh_x509_sig_alg_name(&c.sig_alg);
    walk_gnames(&c.san);
    walk_gnames(&c.ian);
    for (size_t i = 0; i < c.n_dps; i++) {
        walk_gnames(&c.dps[i].full_name);
        walk_gnames(&c.dps[i].crl_issuer);
    }
    {
        mh_der d;
        mh_x509_gn g;
        mh_x509_access acc;
        mh_der_init(&d, c.permitted.p, c.permitted.len);
        while (mh_x509_subtree_next(&d, &g) == 0) {
            (void)mh_x509_gn_within(&g, &g);
            (void)mh_x509_gn_overlaps(&g, &g);
            (void)mh_x509_subtree_check(&g);
        }
        mh_der_init(&d, c.aia.p, c.aia.len);
        while (mh_x509_access_next(&d, &acc) == 0)
            (void)acc;
    }
    for (size_t i = 0; i < c.n_policies; i++)
        mh_x509_oid_str(&c.policies[i].oid, true, t, sizeof t);
    /* a self-signed certificate validated against itself as anchor and
     * as target under itself: exercises the whole path code */
    mh_path_work *w = malloc(mh_path_work_size());
    if (w) {
        const mh_x509_cert *anchors[] = {&c};
        mh_path_input in = {&c, anchors, 1, NULL, 0, NULL, 0};
        mh_path_params p = {0};
        mh_path_result r;
        p.time = c.not_before;
        if (mh_path_validate(w, &in, &p, &r) == 0 && r.len == 0)
            __builtin_trap(); /* a valid path has a chain */
        free(w);
    }
    return 0;
}
