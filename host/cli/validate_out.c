/*
 * validate_out.c - the trust-store options and the ETSI validation report
 * of `mohur verify`, `cms verify` and `pdf verify` (cli_val.h). The
 * decisions are host/validate's; this only reads options and prints.
 */
#include "cli_val.h"

#include <stdlib.h>
#include <string.h>

const struct mh_cli_opt mh_cli_val_rows[] = {
    {MH_CLI_LIST(mh_cli_val_opts, trust, ntrust, "trust", "PATH"),
     .help = "validate against this trust store: a file of trusted CA certificates (PEM bundle "
             "or DER) or a directory of them (repeatable; on an appliance its own root is "
             "added)"},
    {MH_CLI_LIST(mh_cli_val_opts, crl, ncrl, "crl", "FILE"),
     .help = "CRLs to use besides those the signature carries (PEM or DER; repeatable)"},
    {0}};

int mh_cli_val_opt(mh_cli_val_opts *o, int which, const char *arg)
{
    const char **list = which == 't' ? o->trust : which == 'r' ? o->crl : o->certs;
    size_t *n = which == 't' ? &o->ntrust : which == 'r' ? &o->ncrl : &o->ncerts;
    if (*n >= MH_CLI_VAL_MAX)
        return mh_cli_usage("at most %d --%s options", MH_CLI_VAL_MAX,
                            which == 't'   ? "trust"
                            : which == 'r' ? "crl"
                                           : "certs");
    list[(*n)++] = arg;
    return MH_EXIT_OK;
}

int mh_cli_val_ctx(const mh_cli_val_opts *o, mh_val_ctx **ctx)
{
    mh_val_ctx *c = NULL;
    int rc;
    bool app = false;
    *ctx = NULL;
    if ((rc = mh_val_ctx_new(&c)) != 0)
        return mh_cli_fail(rc, "preparing the validation");
    for (size_t i = 0; i < o->ntrust; i++) {
        if ((rc = mh_val_add_trust(c, o->trust[i], NULL)) != 0) {
            mh_val_ctx_free(c);
            return mh_cli_fail(rc, "reading the trust store %s", o->trust[i]);
        }
    }
    for (size_t i = 0; i < o->ncerts; i++) {
        if ((rc = mh_val_add_certs(c, o->certs[i], NULL)) != 0) {
            mh_val_ctx_free(c);
            return mh_cli_fail(rc, "reading the certificates %s", o->certs[i]);
        }
    }
    for (size_t i = 0; i < o->ncrl; i++) {
        if ((rc = mh_val_add_crls(c, o->crl[i], NULL)) != 0) {
            mh_val_ctx_free(c);
            return mh_cli_fail(rc, "reading the CRLs %s", o->crl[i]);
        }
    }
    if ((rc = mh_val_add_appliance(c, mh_cli_state_dir(), &app)) != 0) {
        mh_val_ctx_free(c);
        return mh_cli_fail(rc, "reading the appliance's root CA");
    }
    *ctx = c;
    return MH_EXIT_OK;
}

int mh_cli_val_exit(const mh_val_report *r)
{
    switch (r->ind) {
    case MH_VAL_PASSED:
        return MH_EXIT_OK;
    case MH_VAL_FAILED:
        return MH_EXIT_INVALID;
    default:
        return MH_EXIT_INDETERMINATE;
    }
}

static void iso(int64_t t, char *buf, size_t cap)
{
    mh_cli_time_iso(t > 0 ? (uint64_t)t : 0, buf, cap);
}

static const char *poe_name(enum mh_val_poe p)
{
    return p == MH_VAL_POE_SIG_TIMESTAMP   ? "signature-timestamp"
           : p == MH_VAL_POE_DOC_TIMESTAMP ? "document-timestamp"
                                           : "none";
}

static void verdict(const char *label, enum mh_val_indication ind, enum mh_val_sub sub)
{
    printf("%s%s%s%s", label, mh_val_indication_name(ind), sub ? " / " : "", mh_val_sub_name(sub));
}

void mh_cli_val_print(const mh_val_report *r, const char *what)
{
    char t[40];
    iso(r->now, t, sizeof t);
    printf("ETSI EN 319 102-1 validation of %s: ", what);
    verdict("", r->ind, r->sub);
    printf("\n  %s\n", r->reason);
    printf("  trust store: %zu anchor%s%s; validated at %s\n", r->nanchors,
           r->nanchors == 1 ? "" : "s", r->appliance ? " (with the appliance's root)" : "", t);
    if (r->skipped)
        printf("  (%zu certificate%s of the trust store could not be read and %s skipped)\n",
               r->skipped, r->skipped == 1 ? "" : "s", r->skipped == 1 ? "was" : "were");
    if (r->dss || r->crls_cms || r->crls_given)
        printf("  revocation data: %zu CRL%s given, %zu in the signatures, %zu in the DSS%s\n",
               r->crls_given, r->crls_given == 1 ? "" : "s", r->crls_cms, r->crls_dss,
               r->ocsps_dss ? " (OCSP responses in the DSS are not used)" : "");
    if (r->dss_skipped)
        printf("  DSS: %u entr%s skipped (%s)\n", r->dss_skipped, r->dss_skipped == 1 ? "y" : "ies",
               r->dss_problem);
    for (size_t i = 0; i < r->nsigs; i++) {
        const mh_val_sig *g = &r->sigs[i];
        printf("\n%s %zu (%s, %s): ", g->doc_timestamp ? "timestamp" : "signature", i + 1, g->id,
               g->format);
        verdict("", g->ind, g->sub);
        printf("\n");
        if (g->ind != MH_VAL_PASSED)
            printf("  why:        %s\n", g->reason);
        if (g->signer[0])
            printf("  %s %s\n", g->doc_timestamp ? "authority: " : "signer:    ", g->signer);
        for (size_t k = 0; k < g->nchain; k++)
            printf("  %s %s%s\n", k == 0 ? "path:      " : "            <-", g->chain[k],
                   k + 1 == g->nchain ? " (trusted)" : "");
        if (g->has_claimed_time) {
            iso(g->claimed_time, t, sizeof t);
            printf("  %s %s\n", g->doc_timestamp ? "time:      " : "claimed:   ", t);
        }
        if (!g->doc_timestamp && g->validation_time) {
            iso(g->validation_time, t, sizeof t);
            printf("  validated:  at %s (%s)\n", t,
                   g->poe == MH_VAL_POE_SIG_TIMESTAMP   ? "proven by its signature timestamp"
                   : g->poe == MH_VAL_POE_DOC_TIMESTAMP ? "proven by a document timestamp"
                                                        : "now: no timestamp proves it earlier");
        }
        for (size_t k = 0; k < g->nts; k++) {
            const mh_val_ts *ts = &g->ts[k];
            iso(ts->time, t, sizeof t);
            printf("  timestamp: %s by %s: ", ts->time ? t : "(unread)",
                   ts->tsa[0] ? ts->tsa : "?");
            verdict("", ts->ind, ts->sub);
            if (ts->ind != MH_VAL_PASSED)
                printf(" (%s)", ts->reason);
            printf("\n");
        }
        if (g->revocation[0] && !g->doc_timestamp)
            printf("  revocation: %s\n", g->revocation);
        for (size_t k = 0; k < g->nunchecked; k++)
            printf("  unchecked: %s\n", g->unchecked[k]);
        for (size_t k = 0; k < g->nnotes; k++)
            printf("  note:      %s\n", g->notes[k]);
    }
}

void mh_cli_val_json(mh_json *j, const mh_val_report *r)
{
    char t[40];
    mh_json_obj_begin(j);
    mh_json_key(j, "indication");
    mh_json_str(j, mh_val_indication_name(r->ind));
    mh_json_key(j, "sub_indication");
    if (r->sub)
        mh_json_str(j, mh_val_sub_name(r->sub));
    else
        mh_json_null(j);
    mh_json_key(j, "reason");
    mh_json_str(j, r->reason);
    iso(r->now, t, sizeof t);
    mh_json_key(j, "validation_time");
    mh_json_str(j, t);
    mh_json_key(j, "trust_anchors");
    mh_json_uint(j, r->nanchors);
    mh_json_key(j, "trust_anchors_skipped");
    mh_json_uint(j, r->skipped);
    mh_json_key(j, "appliance_root");
    mh_json_bool(j, r->appliance);
    mh_json_key(j, "revocation_data");
    mh_json_obj_begin(j);
    mh_json_key(j, "crls_given");
    mh_json_uint(j, r->crls_given);
    mh_json_key(j, "crls_in_signatures");
    mh_json_uint(j, r->crls_cms);
    mh_json_key(j, "crls_in_dss");
    mh_json_uint(j, r->crls_dss);
    mh_json_key(j, "certs_in_dss");
    mh_json_uint(j, r->certs_dss);
    mh_json_key(j, "ocsps_in_dss");
    mh_json_uint(j, r->ocsps_dss);
    mh_json_key(j, "dss");
    mh_json_bool(j, r->dss);
    mh_json_key(j, "dss_skipped");
    mh_json_uint(j, r->dss_skipped);
    mh_json_obj_end(j);
    mh_json_key(j, "signatures");
    mh_json_arr_begin(j);
    for (size_t i = 0; i < r->nsigs; i++) {
        const mh_val_sig *g = &r->sigs[i];
        mh_json_obj_begin(j);
        mh_json_key(j, "id");
        mh_json_str(j, g->id);
        mh_json_key(j, "field");
        if (g->field[0])
            mh_json_str(j, g->field);
        else
            mh_json_null(j);
        mh_json_key(j, "kind");
        mh_json_str(j, g->doc_timestamp ? "document-timestamp" : "signature");
        mh_json_key(j, "format");
        mh_json_str(j, g->format);
        mh_json_key(j, "indication");
        mh_json_str(j, mh_val_indication_name(g->ind));
        mh_json_key(j, "sub_indication");
        if (g->sub)
            mh_json_str(j, mh_val_sub_name(g->sub));
        else
            mh_json_null(j);
        mh_json_key(j, "reason");
        mh_json_str(j, g->reason);
        mh_json_key(j, "signer");
        mh_json_str(j, g->signer);
        mh_json_key(j, "chain");
        mh_json_arr_begin(j);
        for (size_t k = 0; k < g->nchain; k++)
            mh_json_str(j, g->chain[k]);
        mh_json_arr_end(j);
        mh_json_key(j, "digest_algorithm");
        mh_json_str(j, g->digest_alg);
        mh_json_key(j, "claimed_time");
        if (g->has_claimed_time) {
            iso(g->claimed_time, t, sizeof t);
            mh_json_str(j, t);
        } else {
            mh_json_null(j);
        }
        mh_json_key(j, "validation_time");
        if (g->validation_time) {
            iso(g->validation_time, t, sizeof t);
            mh_json_str(j, t);
        } else {
            mh_json_null(j);
        }
        mh_json_key(j, "proof_of_existence");
        mh_json_str(j, poe_name(g->poe));
        mh_json_key(j, "timestamps");
        mh_json_arr_begin(j);
        for (size_t k = 0; k < g->nts; k++) {
            const mh_val_ts *ts = &g->ts[k];
            mh_json_obj_begin(j);
            mh_json_key(j, "time");
            if (ts->time) {
                iso(ts->time, t, sizeof t);
                mh_json_str(j, t);
            } else {
                mh_json_null(j);
            }
            mh_json_key(j, "tsa");
            mh_json_str(j, ts->tsa);
            mh_json_key(j, "indication");
            mh_json_str(j, mh_val_indication_name(ts->ind));
            mh_json_key(j, "sub_indication");
            if (ts->sub)
                mh_json_str(j, mh_val_sub_name(ts->sub));
            else
                mh_json_null(j);
            mh_json_key(j, "reason");
            mh_json_str(j, ts->reason);
            mh_json_obj_end(j);
        }
        mh_json_arr_end(j);
        mh_json_key(j, "revocation");
        mh_json_str(j, g->revocation);
        mh_json_key(j, "unchecked");
        mh_json_arr_begin(j);
        for (size_t k = 0; k < g->nunchecked; k++)
            mh_json_str(j, g->unchecked[k]);
        mh_json_arr_end(j);
        mh_json_key(j, "notes");
        mh_json_arr_begin(j);
        for (size_t k = 0; k < g->nnotes; k++)
            mh_json_str(j, g->notes[k]);
        mh_json_arr_end(j);
        mh_json_obj_end(j);
    }
    mh_json_arr_end(j);
    mh_json_obj_end(j);
}

/* A signature file: DER or BER, or PEM (any label). */
static int read_sig(const char *path, uint8_t **der, size_t *len)
{
    uint8_t *file = NULL;
    size_t n = 0;
    int ret = mh_cli_read_file(path, MH_CLI_SMALL_MAX * 16, &file, &n);
    if (ret)
        return ret;
    const char *b = n > 11 ? strstr((const char *)file, "-----BEGIN") : NULL;
    if (!b) {
        *der = file; /* transferred */
        *len = n;
        return MH_EXIT_OK;
    }
    const char *s = strchr(b, '\n');
    const char *e = s ? strstr(s, "-----END") : NULL;
    if (!s || !e || mh_cli_unbase64((const uint8_t *)s, (size_t)(e - s), der, len)) {
        free(file);
        return mh_cli_error(MH_EXIT_INPUT, "reading %s: malformed PEM", path);
    }
    free(file);
    return MH_EXIT_OK;
}

int mh_cli_val_file(const mh_val_ctx *c, const char *file, const char *p7s, mh_val_report *rep)
{
    uint8_t *doc = NULL, *sig = NULL;
    size_t len = 0, slen = 0;
    char def[4096];
    int ret = mh_cli_read_regular(file, MH_CLI_MSG_MAX, &doc, &len);
    if (ret)
        return ret;
    if (!p7s && len >= 5 && memcmp(doc, "%PDF-", 5) == 0) {
        int rc = mh_val_pdf(c, doc, len, rep);
        if (rc)
            ret = mh_cli_fail(rc, "validating %s", file);
        goto out;
    }
    if (!p7s) {
        snprintf(def, sizeof def, "%s.p7s", file);
        p7s = def;
    }
    if ((ret = read_sig(p7s, &sig, &slen)) != 0)
        goto out;
    int rc = mh_val_cms(c, sig, slen, doc, len, rep);
    if (rc)
        ret = mh_cli_fail(rc, "validating %s", p7s);
out:
    free(doc);
    free(sig);
    return ret;
}
