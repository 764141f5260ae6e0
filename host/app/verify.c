/*
 * verify.c - one verify for everything: a signed PDF, a file with its .p7s,
 * or a scanned receipt URL. Signatures (integrity, coverage, later changes,
 * the signer's path at signing time, timestamps), the receipt (registry
 * signature, digest of the original bytes) and the ledger status come
 * together in one verdict (docs/flows.md gives the order of the rules).
 */
#include "app_int.h"
#include "mh_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

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

/* ---- the receipt and the ledger ---------------------------------------- */

/* Checks a receipt URL; digest/len of the original document when known.
 * Sets v's receipt and ledger parts; returns the verdict these give. */
static enum mh_app_verdict_code judge_receipt(mh_app *a, const char *url, const uint8_t *digest,
                                              uint64_t doc_len, mh_app_verdict *v)
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
                 "This receipt cannot be read (%s); it is not a valid mohur receipt.",
                 mh_err_message(rc));
        return MH_APP_FORGED;
    }
    v->receipt_sig_ok = true;
    span_copy(v->registry, sizeof v->registry, &r.claims.registry);
    span_copy(v->issuer, sizeof v->issuer, &r.claims.issuer);
    span_copy(v->kind, sizeof v->kind, &r.claims.kind);
    v->log_index = r.claims.log_index;
    v->issued_at = r.claims.issued_at;
    v->doc_len = r.claims.doc_len;
    v->nfields = r.claims.nfields;
    for (size_t i = 0; i < r.claims.nfields; i++) {
        span_copy(v->field_key[i], sizeof v->field_key[i], &r.claims.fields[i].key);
        span_copy(v->field_val[i], sizeof v->field_val[i], &r.claims.fields[i].value);
    }
    const app_issuer *is = mh_app_find_issuer(a, v->issuer);
    snprintf(v->issuer_name, sizeof v->issuer_name, "%s", is ? is->info.name : v->issuer);
    if (digest) {
        v->digest_checked = true;
        v->receipt_digest_ok = mh_receipt_check_document(&r.claims, digest, doc_len) == 0;
        if (!v->receipt_digest_ok) {
            snprintf(v->sentence, sizeof v->sentence,
                     "ALTERED: this document is not the one the receipt was issued for (its "
                     "contents differ).");
            return MH_APP_ALTERED;
        }
    }
    /* the ledger: the entry the receipt names must be this document's */
    mh_ledger_entry e;
    v->ledger_checked = true;
    rc = mh_ledger_get(a->ledger, r.claims.log_index, &e);
    if (rc == 0 && (e.type != MH_LEDGER_ISSUE || r.claims.digest_len > 32 ||
                    mh_ct_memcmp(e.digest, r.claims.digest, r.claims.digest_len) != 0 ||
                    e.doc_len != r.claims.doc_len))
        rc = MH_ERR_NOT_FOUND;
    if (rc == MH_ERR_NOT_FOUND ||
        (rc == 0 && mh_ledger_lookup_id(a->ledger, e.doc_id, &v->status) != 0)) {
        snprintf(v->sentence, sizeof v->sentence,
                 "UNKNOWN: the receipt is signed by this registry, but its ledger has no such "
                 "document (log index %llu). Ask the issuer.",
                 (unsigned long long)r.claims.log_index);
        return MH_APP_UNKNOWN;
    }
    if (rc) {
        snprintf(v->sentence, sizeof v->sentence, "The ledger could not be read: %s",
                 mh_err_message(rc));
        return MH_APP_ERROR;
    }
    v->ledger_known = true;
    snprintf(v->doc_id, sizeof v->doc_id, "%s", e.doc_id);
    char d1[16], d2[16];
    date_of(v->issued_at, d1, sizeof d1);
    if (v->status.revoked) {
        mh_ledger_entry re;
        date_of(v->status.revoke_time, d2, sizeof d2);
        if (v->status.reason == MH_APP_REASON_VOIDED &&
            mh_ledger_get(a->ledger, v->status.revoke_index, &re) == 0 &&
            strcmp(re.issuer, MH_APP_VOID_ISSUER) == 0) {
            v->voided = true;
            snprintf(v->sentence, sizeof v->sentence,
                     "VOIDED: document %s was recorded on %s but its signing failed; it was "
                     "never issued.",
                     v->doc_id, d1);
            return MH_APP_VOIDED;
        }
        snprintf(v->sentence, sizeof v->sentence,
                 "REVOKED: %s issued by %s on %s was revoked on %s (reason: %s).", v->doc_id,
                 v->issuer_name, d1, d2, mh_app_reason_name(v->status.reason));
        return MH_APP_REVOKED;
    }
    snprintf(v->sentence, sizeof v->sentence, "VALID: %s issued by %s on %s%s.", v->doc_id,
             v->issuer_name, d1,
             digest ? "" : " (the receipt only: check that the paper shows the same fields)");
    return MH_APP_VALID;
}

/* ---- signatures ---------------------------------------------------------- */

struct pdf_cb {
    mh_app *a;
    size_t n;
    struct {
        uint8_t *cert;
        size_t cert_len;
        bool has_tst;
        int64_t tst_time;
        int64_t validate_at;
    } s[MH_PDF_MAX_SIGS];
};

static int pdf_verify_cb(void *ctx, const mh_pdf_signed_data *data, const uint8_t *cms,
                         size_t cms_len, char *signer, size_t signer_cap)
{
    struct pdf_cb *cb = ctx;
    int rc = mh_pdf_cms_pki_verify(NULL, data, cms, cms_len, signer, signer_cap);
    if (cb->n >= MH_PDF_MAX_SIGS)
        return rc;
    size_t i = cb->n++;
    mh_cms_result *res = calloc(1, sizeof *res);
    if (!res)
        return rc ? rc : MH_ERR_NOMEM;
    /* the result is rc above; this call is for the signer's certificate */
    if (mh_cms_verify_digest(cms, cms_len, MBEDTLS_MD_SHA256, data->sha256, 32, NULL, res) != 0 &&
        res->n_signers == 0) {
        free(res);
        return rc;
    }
    if (res->n_signers > 0 && res->signers[0].cert && res->signers[0].cert_len < 65536) {
        cb->s[i].cert = malloc(res->signers[0].cert_len);
        if (cb->s[i].cert) {
            memcpy(cb->s[i].cert, res->signers[0].cert, res->signers[0].cert_len);
            cb->s[i].cert_len = res->signers[0].cert_len;
        }
        cb->s[i].has_tst = res->signers[0].has_tst && res->signers[0].tst_status == 0;
        cb->s[i].tst_time = res->signers[0].tst_time;
        cb->s[i].validate_at = res->signers[0].validate_at;
    }
    free(res);
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

/* Finds "/ContactInfo (HTTPS://...)" inside [0, limit) of the PDF, after
 * `from`. */
static bool find_receipt_url(const uint8_t *pdf, size_t from, size_t limit, char *url, size_t cap)
{
    static const char key[] = "/ContactInfo (HTTPS://";
    const size_t kl = sizeof key - 1;
    for (size_t i = from; i + kl < limit; i++) {
        if (pdf[i] != '/' || memcmp(pdf + i, key, kl) != 0)
            continue;
        size_t start = i + 14, end = start;
        while (end < limit && pdf[end] != ')' && end - start < cap - 1)
            end++;
        if (end >= limit || pdf[end] != ')')
            return false;
        memcpy(url, pdf + start, end - start);
        url[end - start] = 0;
        return true;
    }
    return false;
}

static void sig_line(mh_app_sig_detail *d, const char *what, const char *arg)
{
    if (d->detail[0])
        return;
    /* arg may be another field of *d: copy it aside first */
    char tmp[sizeof d->detail];
    snprintf(tmp, sizeof tmp, "%s", arg);
    snprintf(d->detail, sizeof d->detail, "%s%s", what, tmp);
}

static int verify_pdf(mh_app *a, const uint8_t *doc, size_t len, mh_app_verdict *v)
{
    int rc;
    struct pdf_cb *cb = calloc(1, sizeof *cb);
    mh_pdf_verify_result *res = calloc(1, sizeof *res);
    enum mh_app_verdict_code code = MH_APP_VALID;
    char why[300] = "";

    if (!cb || !res) {
        free(cb);
        free(res);
        return MH_ERR_NOMEM;
    }
    cb->a = a;
    rc = mh_pdf_verify(doc, len, pdf_verify_cb, cb, res);
    if (rc) {
        char url[MH_RECEIPT_URL_MAX];
        bool ours = find_receipt_url(doc, 0, len, url, sizeof url);
        v->code = ours ? MH_APP_ALTERED : MH_APP_ERROR;
        snprintf(v->sentence, sizeof v->sentence, "%s: the PDF cannot be read (%s)%s",
                 ours ? "ALTERED" : "ERROR", mh_err_message(rc),
                 ours ? "; it carries a mohur signature, so it was damaged or changed after "
                        "signing."
                      : ".");
        rc = MH_OK;
        goto out;
    }
    if (res->nsigs == 0) {
        v->code = MH_APP_NOT_MOHUR;
        snprintf(v->sentence, sizeof v->sentence,
                 "NOT SIGNED: this PDF has no signature, so it is not a mohur document.");
        goto out;
    }
    size_t mohur_first = SIZE_MAX;
    for (size_t i = 0; i < res->nsigs && i < MH_APP_SIGS_MAX; i++) {
        const mh_pdf_sig_report *s = &res->sigs[i];
        mh_app_sig_detail *d = &v->sigs[v->nsigs++];
        snprintf(d->signer, sizeof d->signer, "%s", s->signer[0] ? s->signer : s->field);
        d->integrity = s->status == MH_PDF_SIG_VALID || s->status == MH_PDF_SIG_MODIFIED;
        d->covers_whole = s->covers_whole;
        d->later_ok = s->covers_whole || s->later_changes_allowed;
        d->signed_at = pdf_date(s->when);
        if (s->by_mohur && mohur_first == SIZE_MAX)
            mohur_first = i;
        if (!d->integrity) {
            sig_line(d, "", mh_pdf_sig_status_name(s->status));
            if (code == MH_APP_VALID)
                snprintf(why, sizeof why, "signature %zu (%s) does not match the bytes it signs",
                         i + 1, d->signer);
            code = MH_APP_ALTERED;
        } else if (!d->later_ok) {
            sig_line(d, "changed after signing: ", s->change);
            if (code == MH_APP_VALID)
                snprintf(why, sizeof why, "the document was changed after signature %zu: %s", i + 1,
                         s->change);
            code = MH_APP_ALTERED;
        }
        if (i < cb->n && cb->s[i].cert) {
            mh_app_cert_subject(cb->s[i].cert, cb->s[i].cert_len, d->signer, sizeof d->signer);
            int64_t when = cb->s[i].has_tst ? cb->s[i].tst_time : d->signed_at;
            d->has_timestamp = cb->s[i].has_tst;
            d->timestamp = cb->s[i].tst_time;
            d->path_ok =
                mh_app_check_path(a, cb->s[i].cert, cb->s[i].cert_len, when, MH_PURPOSE_DOCUMENT,
                                  d->path_reason, sizeof d->path_reason) == 0;
        } else {
            snprintf(d->path_reason, sizeof d->path_reason, "no signer certificate found");
        }
        if (d->integrity && !d->path_ok) {
            sig_line(d, "signer not trusted: ", d->path_reason);
            if (code == MH_APP_VALID) {
                code = MH_APP_FORGED;
                snprintf(why, sizeof why,
                         "signature %zu is by '%s', whom this registry does not trust", i + 1,
                         d->signer);
            }
        }
    }
    /* the receipt: in the first mohur signature's dictionary, signed by it */
    char url[MH_RECEIPT_URL_MAX];
    bool have_url = false;
    if (mohur_first != SIZE_MAX) {
        const mh_pdf_sig_report *s = &res->sigs[mohur_first];
        have_url = find_receipt_url(doc, s->original_len, s->revision_len, url, sizeof url);
    }
    if (code != MH_APP_VALID) {
        v->code = code;
        snprintf(v->sentence, sizeof v->sentence, "%s: %s.",
                 code == MH_APP_ALTERED ? "ALTERED" : "FORGED", why);
        if (have_url && code == MH_APP_FORGED) {
            mh_app_verdict rv;
            memset(&rv, 0, sizeof rv);
            (void)judge_receipt(a, url, NULL, 0, &rv);
            v->has_receipt = true;
            v->receipt_sig_ok = rv.receipt_sig_ok;
            snprintf(v->url, sizeof v->url, "%s", url);
            if (!rv.receipt_sig_ok)
                snprintf(v->sentence, sizeof v->sentence,
                         "FORGED: not from this registry: %s, and its receipt is not signed by "
                         "this registry.",
                         why);
        }
        goto out;
    }
    if (!have_url) {
        v->code = MH_APP_NOT_MOHUR;
        snprintf(v->sentence, sizeof v->sentence,
                 "NOT A MOHUR DOCUMENT: the PDF's signatures are intact, but it carries no "
                 "mohur receipt.");
        goto out;
    }
    uint8_t digest[32];
    (void)mh_hash_sha256(doc, res->original_len, digest);
    v->code = judge_receipt(a, url, digest, res->original_len, v);
out:
    for (size_t i = 0; i < cb->n; i++)
        free(cb->s[i].cert);
    free(cb);
    free(res);
    return rc;
}

static int verify_detached(mh_app *a, const char *path, const uint8_t *doc, size_t len,
                           const char *p7s, mh_app_verdict *v)
{
    uint8_t *cms = NULL, *url = NULL;
    size_t cms_len = 0, url_len = 0;
    mh_cms_result *res = NULL;
    char rpath[APP_PATH_MAX + 16];
    enum mh_app_verdict_code code = MH_APP_VALID;
    char why[300] = "";
    int rc = mh_app_read_file(p7s, (size_t)(1u << 20), &cms, &cms_len);

    if (rc) {
        v->code = MH_APP_ERROR;
        snprintf(v->sentence, sizeof v->sentence, "ERROR: the signature file cannot be read: %s",
                 mh_err_message(rc));
        return MH_OK;
    }
    res = calloc(1, sizeof *res);
    if (!res) {
        free(cms);
        return MH_ERR_NOMEM;
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
        if (s->cert)
            mh_app_cert_subject(s->cert, s->cert_len, d->signer, sizeof d->signer);
        d->integrity = s->status == 0;
        d->covers_whole = true;
        d->later_ok = true;
        d->signed_at = s->has_signing_time ? s->signing_time : 0;
        d->has_timestamp = s->has_tst && s->tst_status == 0;
        d->timestamp = s->tst_time;
        if (!d->integrity) {
            sig_line(d, "", s->reason);
            if (code == MH_APP_VALID)
                snprintf(why, sizeof why,
                         "the file does not match signature %zu (it was changed after signing)",
                         i + 1);
            code = MH_APP_ALTERED;
        }
        if (s->cert)
            d->path_ok =
                mh_app_check_path(a, s->cert, s->cert_len, s->validate_at, MH_PURPOSE_DOCUMENT,
                                  d->path_reason, sizeof d->path_reason) == 0;
        if (d->integrity && !d->path_ok) {
            sig_line(d, "signer not trusted: ", d->path_reason);
            if (code == MH_APP_VALID) {
                code = MH_APP_FORGED;
                snprintf(why, sizeof why,
                         "signature %zu is by '%s', whom this registry does not trust", i + 1,
                         d->signer);
            }
        }
    }
    if (code != MH_APP_VALID) {
        v->code = code;
        snprintf(v->sentence, sizeof v->sentence, "%s: %s.",
                 code == MH_APP_ALTERED ? "ALTERED" : "FORGED", why);
        goto out;
    }
    /* the receipt beside the file */
    snprintf(rpath, sizeof rpath, "%s.receipt", path);
    if (mh_app_read_file(rpath, MH_RECEIPT_URL_MAX, &url, &url_len) != 0) {
        v->code = MH_APP_NOT_MOHUR;
        snprintf(v->sentence, sizeof v->sentence,
                 "SIGNED, NO RECEIPT: the signature is intact and trusted, but %s.receipt (the "
                 "QR's text) is missing; verify with --qr TEXT from the QR code.",
                 path);
        goto out;
    }
    while (url_len && (url[url_len - 1] == '\n' || url[url_len - 1] == '\r'))
        url[--url_len] = 0;
    uint8_t digest[32];
    (void)mh_hash_sha256(doc, len, digest);
    v->code = judge_receipt(a, (const char *)url, digest, len, v);
out:
    free(res);
    free(cms);
    free(url);
    return MH_OK;
}

int mh_app_verify_file(mh_app *a, const char *path, const char *p7s_path, mh_app_verdict *v)
{
    uint8_t *doc = NULL;
    size_t len = 0;
    char p7s[APP_PATH_MAX + 8];
    int rc;

    memset(v, 0, sizeof *v);
    rc = mh_app_read_file(path, MH_APP_DOC_MAX, &doc, &len);
    if (rc)
        return rc;
    if (len >= 5 && memcmp(doc, "%PDF-", 5) == 0 && !p7s_path) {
        rc = verify_pdf(a, doc, len, v);
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
                free(doc);
                return MH_OK;
            }
        }
        rc = verify_detached(a, path, doc, len, p7s_path, v);
    }
    free(doc);
    return rc;
}

int mh_app_verify_qr(mh_app *a, const char *qr_text, const char *doc_path, mh_app_verdict *v)
{
    uint8_t *doc = NULL, digest[32];
    size_t len = 0, orig = 0;
    char url[MH_RECEIPT_URL_MAX];
    int rc;

    memset(v, 0, sizeof *v);
    size_t n = strnlen(qr_text, sizeof url);
    if (n >= sizeof url) {
        mh_err_set("the QR text is longer than %d characters: not a receipt", MH_RECEIPT_URL_MAX);
        return MH_ERR_TOO_LARGE;
    }
    memcpy(url, qr_text, n);
    url[n] = 0;
    while (n && (url[n - 1] == '\n' || url[n - 1] == '\r' || url[n - 1] == ' '))
        url[--n] = 0;
    if (doc_path) {
        rc = mh_app_read_file(doc_path, MH_APP_DOC_MAX, &doc, &len);
        if (rc)
            return rc;
        orig = len;
        if (len >= 5 && memcmp(doc, "%PDF-", 5) == 0) {
            mh_pdf_info info;
            if (mh_pdf_info_get(doc, len, &info) == 0)
                orig = info.original_len;
        }
        (void)mh_hash_sha256(doc, orig, digest);
    }
    v->code = judge_receipt(a, url, doc ? digest : NULL, orig, v);
    free(doc);
    return MH_OK;
}
