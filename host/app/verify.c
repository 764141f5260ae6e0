/*
 * verify.c - one verify for everything: a signed PDF, a file with its .p7s,
 * or a scanned receipt URL. What VALID means is docs/trust.md; in short,
 * every one of these must hold, and the verdict names the first that
 * does not:
 *   - every signature is intact, and nothing was changed after it but what
 *     the rules allow (later parties' signatures in their prepared fields);
 *   - every signer's certificate chains to the root at signing time and is
 *     not revoked, by a CRL that is current now (else "revocation status
 *     unknown", never VALID);
 *   - the first signature is the issuer's: the certificate the ledger entry
 *     names, registered for that issuer, which may issue the kind; later
 *     ones are the kind's parties, in order;
 *   - the receipt is the registry's, issued for the host the QR opens, and
 *     says what its ledger entry records (digest, length, issuer, kind,
 *     fields, time); the document is the one it names;
 *   - the ledger says the document is in circulation (not revoked, not
 *     voided).
 */
#include "app_int.h"
#include "mh_hash.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mh_pdf.h"

const char *mh_app_verdict_name(enum mh_app_verdict_code c)
{
    switch (c) {
    case MH_APP_VALID:
        return "valid";
    case MH_APP_REVOKED:
        return "revoked";
    case MH_APP_VOIDED:
        return "voided";
    case MH_APP_ALTERED:
        return "altered";
    case MH_APP_FORGED:
        return "forged";
    case MH_APP_UNKNOWN:
        return "unknown";
    case MH_APP_NOT_MOHUR:
        return "not-mohur";
    case MH_APP_REV_UNKNOWN:
        return "revocation-unknown";
    case MH_APP_ERROR:
        break;
    }
    return "error";
}

static void span_copy(char *out, size_t cap, const mh_receipt_str *s)
{
    size_t n = s->len < cap - 1 ? s->len : cap - 1;
    memcpy(out, s->ptr, n);
    out[n] = 0;
}

static void date_of(uint64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm))
        strftime(out, cap, "%Y-%m-%d", &tm);
    else
        snprintf(out, cap, "?");
}

/* The CRL's dates and whether it is current now, for the verdict. */
static void crl_info(mh_app *a, mh_app_verdict *v)
{
    int64_t now = (int64_t)time(NULL);
    if (a->crl_state != APP_CRL_OK) {
        snprintf(v->crl_problem, sizeof v->crl_problem, "%s", a->crl_problem);
        return;
    }
    v->crl_this_update = a->crl.this_update;
    v->crl_next_update = a->crl.has_next_update ? a->crl.next_update : 0;
    if (a->crl.this_update > now) {
        snprintf(v->crl_problem, sizeof v->crl_problem, "the CRL is dated in the future");
        return;
    }
    if (a->crl.has_next_update && a->crl.next_update < now) {
        char d[16];
        date_of((uint64_t)a->crl.next_update, d, sizeof d);
        snprintf(v->crl_problem, sizeof v->crl_problem,
                 "the CRL is out of date (its next update was due on %s); publish a new one "
                 "with 'mohur ca crl --publish'",
                 d);
        return;
    }
    v->crl_current = true;
}

/* ---- the receipt and the ledger ---------------------------------------- */

/* What judge_receipt is given about the document besides the receipt. */
typedef struct doc_facts {
    const uint8_t *digest; /* SHA-256 of the original bytes, or NULL */
    uint64_t len;
    /* the first signature's certificate (the issuer's), or NULL */
    const uint8_t *first_cert;
    size_t first_len;
    size_t nsigs; /* signatures the document carries (0: none checked) */
} doc_facts;

/* Checks a receipt URL and, against it, what is known of the document.
 * Sets v's receipt and ledger parts; returns the verdict these give. */
void mh_app_verdict_claims(mh_app_verdict *v, const mh_receipt_claims *c)
{
    span_copy(v->registry, sizeof v->registry, &c->registry);
    span_copy(v->issuer, sizeof v->issuer, &c->issuer);
    span_copy(v->kind, sizeof v->kind, &c->kind);
    span_copy(v->signed_host, sizeof v->signed_host, &c->host);
    v->log_index = c->log_index;
    v->issued_at = c->issued_at;
    v->doc_len = c->doc_len;
    v->nfields = c->nfields < 8 ? c->nfields : 8;
    for (size_t i = 0; i < v->nfields; i++) {
        span_copy(v->field_key[i], sizeof v->field_key[i], &c->fields[i].key);
        span_copy(v->field_val[i], sizeof v->field_val[i], &c->fields[i].value);
    }
}

static enum mh_app_verdict_code judge_receipt(mh_app *a, const char *url, const doc_facts *f,
                                              mh_app_verdict *v)
{
    uint8_t rec[MH_RECEIPT_MAX];
    size_t rec_len = 0;
    mh_receipt_str host;
    mh_receipt r;
    int rc;

    v->has_receipt = true;
    snprintf(v->url, sizeof v->url, "%s", url);
    rc = mh_receipt_url_parse(url, strlen(url), &host, rec, sizeof rec, &rec_len);
    if (rc) {
        snprintf(v->sentence, sizeof v->sentence,
                 "This is not a mohur receipt: the QR text is not a receipt URL (%s).",
                 mh_err_message(rc));
        return MH_APP_NOT_MOHUR;
    }
    span_copy(v->qr_host, sizeof v->qr_host, &host);
    rc = mh_receipt_verify(rec, rec_len, a->regkeys, a->nregkeys, &r);
    if (rc == MH_ERR_NOT_FOUND || rc == MH_ERR_VERIFY_FAILED) {
        span_copy(v->registry, sizeof v->registry, &r.claims.registry);
        span_copy(v->issuer, sizeof v->issuer, &r.claims.issuer);
        snprintf(v->sentence, sizeof v->sentence,
                 "FORGED: the receipt was not signed by this registry (%s)%s.",
                 rc == MH_ERR_NOT_FOUND ? "its key is not one this registry trusts"
                                        : "its signature is wrong",
                 rc == MH_ERR_NOT_FOUND ? "; it is not from this registry" : "");
        return MH_APP_FORGED;
    }
    if (rc) {
        snprintf(v->sentence, sizeof v->sentence,
                 "FORGED: this receipt cannot be read (%s); it is not a valid mohur receipt.",
                 mh_err_message(rc));
        return MH_APP_FORGED;
    }
    v->receipt_sig_ok = true;
    mh_app_verdict_claims(v, &r.claims);
    const app_issuer *is = mh_app_find_issuer(a, v->issuer);
    snprintf(v->issuer_name, sizeof v->issuer_name, "%s", is ? is->info.name : v->issuer);
    /* the host: a genuine receipt under another site's address is the
     * phishing case; say it, and never call it valid */
    if (!mh_receipt_host_matches(&r.claims, &host)) {
        v->host_mismatch = true;
        snprintf(v->sentence, sizeof v->sentence,
                 "WRONG SITE: this QR opens %s, but the receipt was issued for %s; a phone "
                 "scanning it would have shown another site's page. Do not trust that page.",
                 v->qr_host, v->signed_host);
        return MH_APP_FORGED;
    }
    if (f->digest) {
        v->digest_checked = true;
        v->receipt_digest_ok = mh_receipt_check_document(&r.claims, f->digest, f->len) == 0;
        if (!v->receipt_digest_ok) {
            snprintf(v->sentence, sizeof v->sentence,
                     "ALTERED: this document is not the one the receipt was issued for (its "
                     "contents differ).");
            return MH_APP_ALTERED;
        }
    }
    /* the ledger: the entry the receipt names must be this document's, and
     * the receipt must say what the entry recorded */
    mh_ledger_entry e;
    v->ledger_checked = true;
    rc = mh_ledger_get(a->ledger, r.claims.log_index, &e);
    if (rc == MH_ERR_NOT_FOUND ||
        (rc == 0 && (e.type != MH_LEDGER_ISSUE || r.claims.digest_len > 32 ||
                     mh_ct_memcmp(e.digest, r.claims.digest, r.claims.digest_len) != 0 ||
                     e.doc_len != r.claims.doc_len))) {
        snprintf(v->sentence, sizeof v->sentence,
                 "UNKNOWN: the receipt is signed by this registry, but its ledger has no such "
                 "document (log index %llu). Ask the issuer.",
                 (unsigned long long)r.claims.log_index);
        return MH_APP_UNKNOWN;
    }
    if (rc) {
        snprintf(v->sentence, sizeof v->sentence, "ERROR: the ledger could not be read: %s",
                 mh_err_message(rc));
        return MH_APP_ERROR;
    }
    uint8_t cd[32];
    if (strcmp(e.issuer, v->issuer) != 0 || strcmp(e.kind, v->kind) != 0 ||
        e.time != r.claims.issued_at || !e.has_claims ||
        mh_receipt_claims_digest(&r.claims, cd) != 0 || mh_ct_memcmp(cd, e.claims, 32) != 0) {
        snprintf(v->sentence, sizeof v->sentence,
                 "FORGED: the receipt does not say what its ledger entry (log index %llu) "
                 "recorded: its issuer, kind or printed fields differ.",
                 (unsigned long long)r.claims.log_index);
        return MH_APP_FORGED;
    }
    snprintf(v->doc_id, sizeof v->doc_id, "%s", e.doc_id);
    if (mh_ledger_lookup_id(a->ledger, e.doc_id, &v->status) != 0) {
        snprintf(v->sentence, sizeof v->sentence,
                 "ERROR: the ledger has entry %llu but no status for document %s: it is damaged.",
                 (unsigned long long)r.claims.log_index, e.doc_id);
        return MH_APP_ERROR;
    }
    v->ledger_known = true;
    /* the first signature is the one the ledger recorded, by a certificate
     * registered for the issuer, which may issue the kind */
    if (f->first_cert) {
        uint8_t fp[32];
        char why[512];
        mh_kind k;
        (void)mh_hash_sha256(f->first_cert, f->first_len, fp);
        if (mh_ct_memcmp(fp, e.signer_fp, 32) != 0) {
            snprintf(v->sentence, sizeof v->sentence,
                     "FORGED: the document was signed by another certificate than the one the "
                     "ledger recorded when %s was issued.",
                     e.doc_id);
            return MH_APP_FORGED;
        }
        if (!is) {
            snprintf(v->sentence, sizeof v->sentence,
                     "FORGED: the issuer '%s' named by the receipt is not one of this "
                     "registry's issuers.",
                     v->issuer);
            return MH_APP_FORGED;
        }
        if (mh_kind_load(mh_kinds_dir(), v->kind, &k) != 0) {
            snprintf(v->sentence, sizeof v->sentence,
                     "ERROR: the document kind '%s' is not configured here.", v->kind);
            return MH_APP_ERROR;
        }
        if (mh_app_policy_issuer(is, &k, f->first_cert, f->first_len, why, sizeof why) != 0) {
            snprintf(v->sentence, sizeof v->sentence,
                     "FORGED: the first signature is not allowed by this registry's policy: %s.",
                     why);
            return MH_APP_FORGED;
        }
        if (f->nsigs > k.nparties) {
            snprintf(v->sentence, sizeof v->sentence,
                     "ALTERED: a %s has %zu signing part%s, but this document carries %zu "
                     "signatures.",
                     k.names[MH_LANG_EN], k.nparties, k.nparties == 1 ? "y" : "ies", f->nsigs);
            return MH_APP_ALTERED;
        }
    }
    /* the receipt alone (a scanned QR): the signer is the certificate the
     * entry names, registered for the issuer; it must have been valid and
     * not revoked at the issue time (the registry's own ledger record is
     * the proof of that time), by a CRL current now */
    enum mh_app_verdict_code signer_code = MH_APP_VALID;
    if (!f->first_cert) {
        size_t cl = 0;
        const uint8_t *cd2 = mh_app_registered_cert(a, e.issuer, e.signer_fp, &cl);
        char why[400];
        if (!cd2) {
            signer_code = MH_APP_REV_UNKNOWN;
            snprintf(v->signer_problem, sizeof v->signer_problem,
                     "the certificate that signed it is not registered on this appliance any "
                     "more, so its revocation cannot be checked");
        } else {
            mh_app_cert_subject(cd2, cl, v->signer_subject, sizeof v->signer_subject);
            int pc = mh_app_check_path(a, cd2, cl, (int64_t)e.time, (int64_t)e.time,
                                       MH_PURPOSE_DOCUMENT, why, sizeof why);
            if (pc == MH_ERR_CRL_MISSING)
                signer_code = MH_APP_REV_UNKNOWN;
            else if (pc)
                signer_code = MH_APP_FORGED;
            if (pc)
                snprintf(v->signer_problem, sizeof v->signer_problem, "%s", why);
        }
    }
    char d1[16], d2[16];
    date_of(v->issued_at, d1, sizeof d1);
    if (v->status.voided || v->status.issue_index != r.claims.log_index) {
        v->voided = true;
        snprintf(v->sentence, sizeof v->sentence,
                 "VOIDED: document %s was recorded on %s but its signing failed; this copy was "
                 "never issued%s.",
                 v->doc_id, d1,
                 v->status.voided ? "" : " (the number was issued again later, as another entry)");
        return MH_APP_VOIDED;
    }
    if (mh_app_entry_pending(a, r.claims.log_index)) {
        /* the receipt exists before the issuer's signature (the stamp is
         * signed): until the signature is back, nothing is issued */
        v->pending = true;
        snprintf(v->sentence, sizeof v->sentence,
                 "NOT ISSUED YET: document %s is being issued and its issuer has not signed it "
                 "yet; check again in a few minutes.",
                 v->doc_id);
        return MH_APP_UNKNOWN;
    }
    if (v->status.revoked) {
        date_of(v->status.revoke_time, d2, sizeof d2);
        snprintf(v->sentence, sizeof v->sentence,
                 "REVOKED: %s issued by %s on %s was revoked on %s (reason: %s).", v->doc_id,
                 v->issuer_name, d1, d2, mh_app_reason_name(v->status.reason));
        return MH_APP_REVOKED;
    }
    if (signer_code == MH_APP_FORGED) {
        snprintf(v->sentence, sizeof v->sentence,
                 "FORGED: %s was signed by a certificate this registry does not trust: %s.",
                 v->doc_id, v->signer_problem);
        return MH_APP_FORGED;
    }
    if (signer_code == MH_APP_REV_UNKNOWN) {
        snprintf(v->sentence, sizeof v->sentence,
                 "REVOCATION STATUS UNKNOWN: %s is otherwise genuine, but %s; it cannot be "
                 "called valid until that is known.",
                 v->doc_id, v->signer_problem);
        return MH_APP_REV_UNKNOWN;
    }
    snprintf(v->sentence, sizeof v->sentence, "VALID: %s issued by %s on %s%s.", v->doc_id,
             v->issuer_name, d1,
             f->digest ? "" : " (the receipt only: check that the paper shows the same fields)");
    return MH_APP_VALID;
}

/* ---- one signature ------------------------------------------------------- */

static void sig_line(mh_app_sig_detail *d, const char *what, const char *arg)
{
    if (d->detail[0])
        return;
    /* arg may be another field of *d: copy it aside first */
    char tmp[sizeof d->detail];
    snprintf(tmp, sizeof tmp, "%s", arg);
    snprintf(d->detail, sizeof d->detail, "%s%s", what, tmp);
}

/* The trust a signature's certificate gets: its path at the proven (or
 * claimed) signing time, revocation against the current CRL, and the
 * policy for its position (0 = the issuer: checked with the receipt). A
 * timestamp counts as proof of the time only if its authority is trusted. */
static void judge_signer(mh_app *a, const mh_kind *k, size_t position,
                         const mh_cms_signer_result *s, mh_app_sig_detail *d, bool *rev_unknown)
{
    char why[512];
    if (!s->cert) {
        snprintf(d->path_reason, sizeof d->path_reason, "no signer certificate found");
        return;
    }
    mh_app_cert_subject(s->cert, s->cert_len, d->signer, sizeof d->signer);
    (void)mh_hash_sha256(s->cert, s->cert_len, d->cert_fp);
    int64_t poe = 0;
    if (s->has_tst && s->tst_status == 0 && s->tst_cert) {
        char tr[200];
        if (mh_app_check_path(a, s->tst_cert, s->tst_cert_len, s->tst_time, 0, MH_PURPOSE_TIMESTAMP,
                              tr, sizeof tr) == 0) {
            d->has_timestamp = true;
            d->timestamp = s->tst_time;
            poe = s->tst_time;
        } else {
            sig_line(d, "timestamp not trusted: ", tr);
        }
    }
    int64_t when = poe ? poe : (s->has_signing_time ? s->signing_time : d->signed_at);
    int rc = mh_app_check_path(a, s->cert, s->cert_len, when, poe, MH_PURPOSE_DOCUMENT,
                               d->path_reason, sizeof d->path_reason);
    d->path_ok = rc == 0;
    if (rc == MH_ERR_CRL_MISSING)
        *rev_unknown = true;
    if (position == 0) {
        snprintf(d->role, sizeof d->role, "%s", k && k->nparties ? k->parties[0].role : "issuer");
        d->policy_ok = true; /* the issuer's: checked against the ledger entry */
    } else if (k) {
        d->policy_ok = mh_app_policy_party(k, position, s->cert, s->cert_len, why, sizeof why) == 0;
        if (position < k->nparties)
            snprintf(d->role, sizeof d->role, "%s", k->parties[position].role);
        if (!d->policy_ok)
            sig_line(d, "not allowed: ", why);
    }
}

/* ---- PDF ----------------------------------------------------------------- */

struct pdf_cb {
    const uint8_t *base; /* the document, to tell which signature a call is for */
    size_t n;
    struct {
        mh_cms_result res;
        int rc;
        uint8_t *cms;    /* the CMS bytes res points into */
        size_t range[4]; /* its byte range, matched with the report's */
    } s[MH_APP_SIGS_MAX];
};

/* The callback's result for a report: the call whose byte range is the
 * report's (document timestamps make no call). */
static int cb_index(const struct pdf_cb *cb, const mh_pdf_sig_report *r)
{
    for (size_t i = 0; i < cb->n; i++)
        if (memcmp(cb->s[i].range, r->byte_range, sizeof r->byte_range) == 0)
            return (int)i;
    return -1;
}

/* The CMS of each signature, verified once; its certificate, timestamp and
 * signing time stay with the result. */
static int pdf_verify_cb(void *ctx, const mh_pdf_signed_data *data, const uint8_t *cms,
                         size_t cms_len, char *signer, size_t signer_cap)
{
    struct pdf_cb *cb = ctx;
    if (cb->n >= MH_APP_SIGS_MAX)
        return MH_ERR_TOO_LARGE;
    size_t i = cb->n++;
    cb->s[i].range[0] = (size_t)(data->part[0] - cb->base);
    cb->s[i].range[1] = data->part_len[0];
    cb->s[i].range[2] = (size_t)(data->part[1] - cb->base);
    cb->s[i].range[3] = data->part_len[1];
    cb->s[i].cms = malloc(cms_len ? cms_len : 1);
    if (!cb->s[i].cms)
        return cb->s[i].rc = MH_ERR_NOMEM;
    memcpy(cb->s[i].cms, cms, cms_len);
    int rc = mh_cms_verify_digest(cb->s[i].cms, cms_len, MBEDTLS_MD_SHA256, data->sha256, 32, NULL,
                                  &cb->s[i].res);
    const mh_cms_signer_result *r = cb->s[i].res.n_signers ? &cb->s[i].res.signers[0] : NULL;
    if (rc == 0 && (!r || r->status != 0))
        rc = MH_ERR_VERIFY_FAILED;
    /* a signature timestamp that does not verify fails the signature */
    if (rc == 0 && r->has_tst && r->tst_status != 0)
        rc = MH_ERR_TIMESTAMP;
    if (signer && signer_cap && r && r->cert)
        mh_app_cert_subject(r->cert, r->cert_len, signer, signer_cap);
    cb->s[i].rc = rc;
    return rc;
}

/* "D:YYYYMMDDHHmmSS..." to seconds (UTC; an offset is ignored: hours). */
static int64_t pdf_date(const char *s)
{
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, se = 0;
    memset(&tm, 0, sizeof tm);
    if (strncmp(s, "D:", 2) == 0)
        s += 2;
    if (sscanf(s, "%4d%2d%2d%2d%2d%2d", &y, &mo, &d, &h, &mi, &se) < 3)
        return 0;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return (int64_t)timegm(&tm);
}

/* The worst verdict wins; among equals, the first reason is kept. */
static void worse(enum mh_app_verdict_code *code, enum mh_app_verdict_code c, char *why, size_t cap,
                  const char *fmt, ...) MH_PRINTF(5, 6);
static int rank(enum mh_app_verdict_code c)
{
    switch (c) {
    case MH_APP_VALID:
        return 0;
    case MH_APP_REV_UNKNOWN:
        return 1;
    case MH_APP_FORGED:
        return 3;
    default:
        return 2;
    }
}
static void worse(enum mh_app_verdict_code *code, enum mh_app_verdict_code c, char *why, size_t cap,
                  const char *fmt, ...)
{
    if (rank(c) <= rank(*code))
        return;
    *code = c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

/* The receipt URL and kind the first signature names (unverified: for the
 * kind's parties; the receipt itself is judged later). */
static void receipt_kind(const char *url, mh_kind *k, bool *have_kind)
{
    mh_receipt r;
    uint8_t rec[MH_RECEIPT_MAX];
    size_t rl = 0;
    mh_receipt_str h;
    char kind[40] = "";
    if (mh_receipt_url_parse(url, strlen(url), &h, rec, sizeof rec, &rl) == 0 &&
        mh_receipt_decode(rec, rl, &r) == 0)
        span_copy(kind, sizeof kind, &r.claims.kind);
    *have_kind = kind[0] && mh_kind_load(mh_kinds_dir(), kind, k) == 0;
}

int mh_app_verify_pdf_bytes(mh_app *a, const uint8_t *doc, size_t len, mh_pdf_document *pdoc,
                            mh_app_verdict *v)
{
    int rc;
    struct pdf_cb *cb = calloc(1, sizeof *cb);
    mh_pdf_verify_result *res = calloc(1, sizeof *res);
    mh_kind *k = calloc(1, sizeof *k);
    mh_pdf_document *own = NULL;
    enum mh_app_verdict_code code = MH_APP_VALID;
    char why[400] = "";
    bool rev_unknown = false, have_kind = false;

    if (!cb || !res || !k) {
        rc = MH_ERR_NOMEM;
        goto out;
    }
    cb->base = doc;
    crl_info(a, v);
    rc = pdoc ? MH_OK : mh_pdf_open(doc, len, &own);
    if (rc == MH_OK)
        rc = mh_pdf_document_verify(pdoc ? pdoc : own, pdf_verify_cb, cb, res);
    if (rc) {
        bool budget = rc == MH_ERR_TOO_LARGE;
        v->code = MH_APP_ERROR;
        snprintf(v->sentence, sizeof v->sentence, "ERROR: the PDF cannot be %s (%s).",
                 budget ? "verified" : "read", mh_err_message(rc));
        rc = MH_OK;
        goto out;
    }
    if (res->nsigs == 0) {
        v->code = MH_APP_NOT_MOHUR;
        snprintf(v->sentence, sizeof v->sentence,
                 "NOT SIGNED: this PDF has no signature, so it is not a mohur document.");
        goto out;
    }
    /* the receipt: in the first signature's signed dictionary, which must be
     * mohur's (an earlier signature by anyone else is not a mohur document) */
    const char *url = res->sigs[0].by_mohur ? res->sigs[0].contact : "";
    bool have_url = strncmp(url, "HTTPS://", 8) == 0;
    if (have_url)
        receipt_kind(url, k, &have_kind);
    size_t parties = 0; /* signatures other than document timestamps */
    for (size_t i = 0; i < res->nsigs && i < MH_APP_SIGS_MAX; i++) {
        const mh_pdf_sig_report *s = &res->sigs[i];
        mh_app_sig_detail *d = &v->sigs[v->nsigs++];
        int ci = cb_index(cb, s);
        snprintf(d->signer, sizeof d->signer, "%s", s->signer[0] ? s->signer : s->field);
        d->integrity = s->status == MH_PDF_SIG_VALID || s->status == MH_PDF_SIG_MODIFIED;
        d->covers_whole = s->covers_whole;
        d->later_ok = s->covers_whole || s->later_changes_allowed;
        d->signed_at = pdf_date(s->when);
        if (!d->integrity) {
            sig_line(d, "",
                     s->change[0] ? s->change
                     : ci >= 0 && cb->s[ci].rc == MH_ERR_TIMESTAMP
                         ? "its signature timestamp does not verify"
                         : mh_pdf_sig_status_name(s->status));
            worse(&code, MH_APP_ALTERED, why, sizeof why,
                  "signature %zu (%s) does not match the bytes it signs", i + 1, d->signer);
        } else if (!d->later_ok) {
            sig_line(d, "changed after signing: ", s->change);
            worse(&code, MH_APP_ALTERED, why, sizeof why,
                  "the document was changed after signature %zu: %s", i + 1, s->change);
        }
        if (s->doc_timestamp) {
            /* a document timestamp (PAdES B-LTA): checked by host/pdf,
             * allowed after signing; no party */
            snprintf(d->role, sizeof d->role, "timestamp");
            d->path_ok = d->policy_ok = d->integrity;
            continue;
        }
        size_t position = parties++;
        if (ci >= 0 && cb->s[ci].res.n_signers > 0)
            judge_signer(a, have_kind ? k : NULL, position, &cb->s[ci].res.signers[0], d,
                         &rev_unknown);
        else
            snprintf(d->path_reason, sizeof d->path_reason, "no signer certificate found");
        if (d->integrity && !d->path_ok && !rev_unknown) {
            sig_line(d, "signer not trusted: ", d->path_reason);
            worse(&code, MH_APP_FORGED, why, sizeof why,
                  "signature %zu is by '%s', whom this registry does not trust: %s", i + 1,
                  d->signer, d->path_reason);
        } else if (d->integrity && !d->path_ok) {
            sig_line(d, "", d->path_reason);
            worse(&code, MH_APP_REV_UNKNOWN, why, sizeof why, "%s", d->path_reason);
        }
        if (position == 0 && have_url && !(s->certification && s->docmdp_p == 2)) {
            sig_line(d, "",
                     "it does not certify the document (DocMDP P=2), as mohur's first "
                     "signature does");
            worse(&code, MH_APP_FORGED, why, sizeof why,
                  "the first signature does not certify the document as mohur's do");
        }
        if (position > 0 && !d->policy_ok)
            worse(&code, MH_APP_FORGED, why, sizeof why, "signature %zu: %s", i + 1, d->detail);
        else if (position > 0 && !s->filled_slot) {
            sig_line(d, "", "it was not made in a field the first signature prepared");
            worse(&code, MH_APP_ALTERED, why, sizeof why,
                  "signature %zu was added outside the fields the issuer prepared for the "
                  "parties",
                  i + 1);
        }
    }
    if (!have_url) {
        if (code == MH_APP_VALID || code == MH_APP_REV_UNKNOWN) {
            v->code = MH_APP_NOT_MOHUR;
            snprintf(v->sentence, sizeof v->sentence, "NOT A MOHUR DOCUMENT: %s",
                     res->sigs[0].by_mohur
                         ? "its signature carries no mohur receipt."
                         : "its first signature is not mohur's, so it carries no mohur receipt.");
        } else {
            v->code = code;
            snprintf(v->sentence, sizeof v->sentence, "%s: %s.",
                     code == MH_APP_ALTERED ? "ALTERED" : "FORGED", why);
        }
        goto out;
    }
    uint8_t digest[32];
    if (res->original_hashed) /* hashed with the first signature's byte range */
        memcpy(digest, res->original_sha256, sizeof digest);
    else
        (void)mh_hash_sha256(doc, res->original_len, digest);
    doc_facts f = {digest, res->original_len, NULL, 0, parties};
    int c0 = cb_index(cb, &res->sigs[0]);
    if (c0 >= 0 && cb->s[c0].res.n_signers > 0 && cb->s[c0].res.signers[0].cert) {
        f.first_cert = cb->s[c0].res.signers[0].cert;
        f.first_len = cb->s[c0].res.signers[0].cert_len;
    }
    enum mh_app_verdict_code rcode = judge_receipt(a, url, &f, v);
    /* the worse of the signatures' verdict and the receipt's; on a tie the
     * signatures' reason, which names what changed */
    if (code != MH_APP_VALID && rank(code) >= rank(rcode)) {
        v->code = code;
        if (code == MH_APP_REV_UNKNOWN)
            snprintf(v->sentence, sizeof v->sentence,
                     "REVOCATION STATUS UNKNOWN: %s is otherwise genuine, but %s; it cannot be "
                     "called valid until that is known.",
                     v->doc_id[0] ? v->doc_id : "the document", why);
        else
            snprintf(v->sentence, sizeof v->sentence, "%s: %s.",
                     code == MH_APP_ALTERED ? "ALTERED" : "FORGED", why);
    } else {
        v->code = rcode;
    }
out:
    for (size_t i = 0; cb && i < cb->n; i++)
        free(cb->s[i].cms);
    mh_pdf_close(own);
    free(cb);
    free(res);
    free(k);
    return rc;
}

/* ---- a file with its detached signature -------------------------------------- */

static int verify_detached(mh_app *a, const char *path, const uint8_t *doc, size_t len,
                           const char *p7s, mh_app_verdict *v)
{
    uint8_t *cms = NULL, *url = NULL;
    size_t cms_len = 0, url_len = 0;
    mh_cms_result *res = NULL;
    mh_kind *k = NULL;
    char rpath[APP_PATH_MAX + 16];
    enum mh_app_verdict_code code = MH_APP_VALID;
    char why[400] = "";
    bool rev_unknown = false;
    int rc = mh_app_read_file(p7s, (size_t)(1u << 20), &cms, &cms_len);

    crl_info(a, v);
    if (rc) {
        v->code = MH_APP_ERROR;
        snprintf(v->sentence, sizeof v->sentence, "ERROR: the signature file cannot be read: %s",
                 mh_err_message(rc));
        return MH_OK;
    }
    res = calloc(1, sizeof *res);
    k = calloc(1, sizeof *k);
    if (!res || !k) {
        free(cms);
        free(res);
        free(k);
        return MH_ERR_NOMEM;
    }
    /* the receipt beside the file names the kind (its parties) */
    snprintf(rpath, sizeof rpath, "%s.receipt", path);
    bool have_url = mh_app_read_file(rpath, MH_RECEIPT_URL_MAX, &url, &url_len) == 0;
    bool have_kind = false;
    if (have_url) {
        while (url_len && (url[url_len - 1] == '\n' || url[url_len - 1] == '\r'))
            url[--url_len] = 0;
        uint8_t rec[MH_RECEIPT_MAX];
        size_t rl = 0;
        mh_receipt_str h;
        mh_receipt r;
        char kind[40] = "";
        if (mh_receipt_url_parse((const char *)url, url_len, &h, rec, sizeof rec, &rl) == 0 &&
            mh_receipt_decode(rec, rl, &r) == 0)
            span_copy(kind, sizeof kind, &r.claims.kind);
        have_kind = kind[0] && mh_kind_load(mh_kinds_dir(), kind, k) == 0;
    }
    rc = mh_cms_verify(cms, cms_len, doc, len, NULL, res);
    if (rc == MH_ERR_PARSE || rc == MH_ERR_TOO_LARGE || rc == MH_ERR_CMS || res->n_signers == 0) {
        v->code = MH_APP_ERROR;
        snprintf(v->sentence, sizeof v->sentence,
                 "ERROR: %s is not a CMS signature mohur can read (%s).", p7s, mh_err_message(rc));
        goto out;
    }
    for (size_t i = 0; i < res->n_signers && i < MH_APP_SIGS_MAX; i++) {
        const mh_cms_signer_result *s = &res->signers[i];
        mh_app_sig_detail *d = &v->sigs[v->nsigs++];
        d->integrity = s->status == 0 && !(s->has_tst && s->tst_status != 0);
        d->covers_whole = true;
        d->later_ok = true;
        d->signed_at = s->has_signing_time ? s->signing_time : 0;
        judge_signer(a, have_kind ? k : NULL, i, s, d, &rev_unknown);
        if (!d->integrity) {
            sig_line(d, "", s->status ? s->reason : "its signature timestamp does not verify");
            worse(&code, MH_APP_ALTERED, why, sizeof why,
                  "the file does not match signature %zu (it was changed after signing)", i + 1);
        }
        if (d->integrity && !d->path_ok && !rev_unknown) {
            sig_line(d, "signer not trusted: ", d->path_reason);
            worse(&code, MH_APP_FORGED, why, sizeof why,
                  "signature %zu is by '%s', whom this registry does not trust: %s", i + 1,
                  d->signer, d->path_reason);
        } else if (d->integrity && !d->path_ok) {
            worse(&code, MH_APP_REV_UNKNOWN, why, sizeof why, "%s", d->path_reason);
        }
        if (i > 0 && !d->policy_ok)
            worse(&code, MH_APP_FORGED, why, sizeof why, "signature %zu: %s", i + 1, d->detail);
    }
    if (rank(code) >= 2) {
        v->code = code;
        snprintf(v->sentence, sizeof v->sentence, "%s: %s.",
                 code == MH_APP_ALTERED ? "ALTERED" : "FORGED", why);
        goto out;
    }
    if (!have_url) {
        v->code = MH_APP_NOT_MOHUR;
        snprintf(v->sentence, sizeof v->sentence,
                 "SIGNED, NO RECEIPT: the signature is intact, but %s.receipt (the QR's text) is "
                 "missing; verify with --qr TEXT from the QR code.",
                 path);
        goto out;
    }
    uint8_t digest[32];
    (void)mh_hash_sha256(doc, len, digest);
    doc_facts f = {digest, len, res->signers[0].cert, res->signers[0].cert_len, res->n_signers};
    v->code = judge_receipt(a, (const char *)url, &f, v);
    if (v->code == MH_APP_VALID && code == MH_APP_REV_UNKNOWN) {
        v->code = code;
        snprintf(v->sentence, sizeof v->sentence,
                 "REVOCATION STATUS UNKNOWN: %s is otherwise genuine, but %s; it cannot be "
                 "called valid until that is known.",
                 v->doc_id, why);
    }
out:
    free(res);
    free(cms);
    free(url);
    free(k);
    return MH_OK;
}

int mh_app_verify_file(mh_app *a, const char *path, const char *p7s_path, mh_app_verdict *v)
{
    app_map map;
    char p7s[APP_PATH_MAX + 8];
    int rc;

    memset(v, 0, sizeof *v);
    /* mapped, not copied: memory does not grow with the file */
    rc = mh_app_map_file(path, MH_APP_DOC_MAX, &map);
    if (rc)
        return rc;
    const uint8_t *doc = map.p;
    size_t len = map.len;
    if (len >= 5 && memcmp(doc, "%PDF-", 5) == 0 && !p7s_path) {
        rc = mh_app_verify_pdf_bytes(a, doc, len, NULL, v);
    } else {
        if (!p7s_path) {
            snprintf(p7s, sizeof p7s, "%s.p7s", path);
            p7s_path = p7s;
            if (access(p7s, F_OK) != 0) {
                v->code = MH_APP_NOT_MOHUR;
                snprintf(v->sentence, sizeof v->sentence,
                         "NOT SIGNED: %s is not a PDF and has no signature file next to it "
                         "(%s.p7s); give it with --p7s FILE.",
                         path, path);
                mh_app_unmap_file(&map);
                return MH_OK;
            }
        }
        rc = verify_detached(a, path, doc, len, p7s_path, v);
    }
    /* a file written to while it was read has no verdict */
    if (rc == MH_OK && (rc = mh_app_map_check(&map)) != MH_OK)
        memset(v, 0, sizeof *v);
    mh_app_unmap_file(&map);
    return rc;
}

/* The receipt bytes of a URL (for comparing two URLs' receipts). */
static bool receipt_of(const char *url, uint8_t *out, size_t cap, size_t *len)
{
    mh_receipt_str h;
    return mh_receipt_url_parse(url, strlen(url), &h, out, cap, len) == 0;
}

int mh_app_qr_url(const char *qr_text, char url[MH_RECEIPT_URL_MAX])
{
    size_t n = strnlen(qr_text, MH_RECEIPT_URL_MAX);
    if (n >= MH_RECEIPT_URL_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "the QR text is longer than %d characters: not a receipt",
                   MH_RECEIPT_URL_MAX);
        return MH_ERR_TOO_LARGE;
    }
    memcpy(url, qr_text, n);
    url[n] = 0;
    while (n && (url[n - 1] == '\n' || url[n - 1] == '\r' || url[n - 1] == ' '))
        url[--n] = 0;
    return MH_OK;
}

int mh_app_verify_qr(mh_app *a, const char *qr_text, const char *doc_path, mh_app_verdict *v)
{
    char url[MH_RECEIPT_URL_MAX];
    int rc;

    memset(v, 0, sizeof *v);
    if ((rc = mh_app_qr_url(qr_text, url)) != 0)
        return rc;
    crl_info(a, v);
    if (!doc_path) {
        doc_facts f = {0};
        v->code = judge_receipt(a, url, &f, v);
        return MH_OK;
    }
    /* with the document: the document is verified in full (its signatures,
     * everything after them), and must carry this very receipt */
    char p7s[APP_PATH_MAX + 8];
    snprintf(p7s, sizeof p7s, "%s.p7s", doc_path);
    uint8_t head[5];
    FILE *fp = fopen(doc_path, "rb");
    bool pdf = fp && fread(head, 1, 5, fp) == 5 && memcmp(head, "%PDF-", 5) == 0;
    if (fp)
        fclose(fp);
    if (!pdf && access(p7s, F_OK) != 0) {
        /* a plain file with no signature beside it: the receipt and the
         * bytes only */
        uint8_t *doc = NULL, digest[32];
        size_t len = 0;
        if ((rc = mh_app_read_file(doc_path, MH_APP_DOC_MAX, &doc, &len)) != 0)
            return rc;
        (void)mh_hash_sha256(doc, len, digest);
        free(doc);
        doc_facts f = {digest, len, NULL, 0, 0};
        v->code = judge_receipt(a, url, &f, v);
        return MH_OK;
    }
    mh_app_verdict *dv = calloc(1, sizeof *dv);
    if (!dv)
        return MH_ERR_NOMEM;
    if ((rc = mh_app_verify_file(a, doc_path, NULL, dv)) != 0) {
        free(dv);
        return rc;
    }
    uint8_t r1[MH_RECEIPT_MAX], r2[MH_RECEIPT_MAX];
    size_t l1 = 0, l2 = 0;
    doc_facts none = {0};
    enum mh_app_verdict_code qc = judge_receipt(a, url, &none, v);
    bool same = dv->has_receipt && receipt_of(url, r1, sizeof r1, &l1) &&
                receipt_of(dv->url, r2, sizeof r2, &l2) && l1 == l2 && memcmp(r1, r2, l1) == 0;
    mh_app_verdict qv = *v;
    *v = *dv;
    /* the QR's own host and receipt checks stay visible */
    snprintf(v->qr_host, sizeof v->qr_host, "%s", qv.qr_host);
    v->host_mismatch = qv.host_mismatch;
    if (qc != MH_APP_VALID && qc != MH_APP_REVOKED && qc != MH_APP_VOIDED) {
        v->code = qc;
        snprintf(v->sentence, sizeof v->sentence, "%s", qv.sentence);
    } else if (!same && v->code != MH_APP_ERROR) {
        v->code = dv->has_receipt ? MH_APP_ALTERED : v->code;
        if (dv->has_receipt)
            snprintf(v->sentence, sizeof v->sentence,
                     "ALTERED: this document carries another receipt than the QR given; it is "
                     "not the document this QR was issued for.");
    }
    free(dv);
    return MH_OK;
}
