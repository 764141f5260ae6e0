/*
 * docs.c - what was issued (mh_docs.h): the issue flow's hook that fills
 * the index and the archive, queries that walk the ledger and join the
 * index, re-printing, re-indexing from signed documents, and the archive's
 * retention. docs/documents.md.
 */
#include "index_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/sha256.h>

#include "mh_qr.h"

#define ARCHIVE_DEFAULT_DAYS 3650u
#define ARCHIVE_MAX_DAYS 36500u

const char *mh_docs_status_name(const mh_ledger_status *st)
{
    if (st->voided)
        return "voided";
    return st->revoked ? "revoked" : "valid";
}

/* ---- case-blind text matching --------------------------------------------- */

/* One code point to its folded form: Latin-1, Latin Extended-A, Ə and
 * Cyrillic upper case to lower case; every I and i (dotted, dotless) to
 * 'i', so "ILHAM", "İlham" and "ılham" match. */
static uint32_t fold_cp(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        c += 32;
    else if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        c += 32;
    else if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
             c != 0x17F)
        c = ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) ? (c & 1u ? c + 1 : c)
                                                                       : (c | 1u);
    else if (c == 0x18F)
        c = 0x259;
    else if (c >= 0x410 && c <= 0x42F)
        c += 32;
    else if (c >= 0x400 && c <= 0x40F)
        c += 80;
    else if (c >= 0x460 && c <= 0x4FF && !(c & 1u))
        c += 1;
    if (c == 0x130 || c == 0x131)
        c = 'i';
    return c;
}

/* Folds s into out as code points; returns their number (at most cap). */
static size_t fold(const char *s, uint32_t *out, size_t cap)
{
    size_t n = 0, i = 0, len = strlen(s);
    const uint8_t *p = (const uint8_t *)s;
    while (i < len && n < cap) {
        size_t at = i;
        uint32_t c = mh_utf8_next(p, len, &i);
        if (c == MH_UTF8_BAD)
            c = 0xDC00u + p[at]; /* a lone byte: never equal to a real letter */
        out[n++] = fold_cp(c);
    }
    return n;
}

static bool contains_folded(const char *hay, const uint32_t *needle, size_t nn)
{
    uint32_t h[2048];
    size_t hn = fold(hay, h, sizeof h / sizeof h[0]);
    if (nn == 0)
        return true;
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t j = 0;
        while (j < nn && h[i + j] == needle[j])
            j++;
        if (j == nn)
            return true;
    }
    return false;
}

bool mh_docs_match(const mh_docs_record *r, const mh_docs_filter *f)
{
    if (!f)
        return strcmp(r->status, "voided") != 0;
    if (f->kind && strcmp(f->kind, r->kind) != 0)
        return false;
    if (f->issuer && strcmp(f->issuer, r->issuer) != 0)
        return false;
    if (f->status) {
        if (strcmp(f->status, "any") != 0 && strcmp(f->status, r->status) != 0)
            return false;
    } else if (strcmp(r->status, "voided") == 0) {
        return false;
    }
    if (f->from && (int64_t)r->issued_at < f->from)
        return false;
    if (f->to && (int64_t)r->issued_at > f->to)
        return false;
    if (f->text && f->text[0]) {
        uint32_t nd[256];
        size_t nn = fold(f->text, nd, sizeof nd / sizeof nd[0]);
        if (contains_folded(r->doc_id, nd, nn))
            return true;
        for (size_t i = 0; i < r->nfields; i++)
            if (contains_folded(r->field_val[i], nd, nn))
                return true;
        return false;
    }
    return true;
}

/* ---- records ---------------------------------------------------------------- */

/* Fills r's index part from a stored JSON record. */
static void record_from_json(mh_docs_record *r, const char *json, size_t len)
{
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return;
    }
    r->indexed = true;
    r->rendered = json_is_true(json_object_get(o, "rendered"));
    const char *s;
    if ((s = json_string_value(json_object_get(o, "file"))) != NULL)
        snprintf(r->file, sizeof r->file, "%s", s);
    if ((s = json_string_value(json_object_get(o, "url"))) != NULL)
        snprintf(r->url, sizeof r->url, "%s", s);
    if ((s = json_string_value(json_object_get(o, "archive"))) != NULL)
        snprintf(r->archive, sizeof r->archive, "%s", s);
    json_t *fields = json_object_get(o, "fields");
    const char *key;
    json_t *v;
    size_t used = 0;
    r->nfields = 0;
    if (json_is_object(fields)) {
        json_object_foreach(fields, key, v)
        {
            const char *val = json_string_value(v);
            size_t kl = strlen(key) + 1, vl = val ? strlen(val) + 1 : 0;
            if (!val || r->nfields == MH_DOCS_FIELDS_MAX || used + kl + vl > sizeof r->text)
                continue;
            memcpy(r->text + used, key, kl);
            r->field_key[r->nfields] = r->text + used;
            used += kl;
            memcpy(r->text + used, val, vl);
            r->field_val[r->nfields] = r->text + used;
            used += vl;
            r->nfields++;
        }
    }
    json_decref(o);
}

/* The ledger's part of a record: the issue entry at idx and the status. */
static int record_from_ledger(mh_app *a, uint64_t idx, const mh_ledger_entry *e, mh_docs_record *r)
{
    mh_ledger_status st;
    memset(r, 0, sizeof *r);
    snprintf(r->doc_id, sizeof r->doc_id, "%s", e->doc_id);
    snprintf(r->kind, sizeof r->kind, "%s", e->kind);
    snprintf(r->issuer, sizeof r->issuer, "%s", e->issuer);
    r->log_index = idx;
    r->issued_at = e->time;
    int rc = mh_ledger_lookup_id(a->ledger, e->doc_id, &st);
    if (rc)
        return rc;
    if (st.issue_index != idx) {
        /* an earlier issue of this number that was voided */
        r->status = "voided";
        return MH_OK;
    }
    r->status = mh_docs_status_name(&st);
    if (st.voided) {
        r->revoked_at = st.revoke_time;
    } else if (st.revoked) {
        r->reason = st.reason;
        r->revoked_at = st.revoke_time;
    }
    return MH_OK;
}

static void record_join_index(mh_app *a, mh_docs_record *r, uint64_t idx)
{
    char *json = NULL;
    size_t len = 0;
    if (app_index_get(a->dir, r->doc_id, &json, &len) != 0)
        return;
    /* the record is about this issue of the number (not an earlier one
     * that was voided) */
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    json_int_t li = o ? json_integer_value(json_object_get(o, "log_index")) : -1;
    json_decref(o);
    if (li >= 0 && (uint64_t)li == idx)
        record_from_json(r, json, len);
    free(json);
}

int mh_docs_get(mh_app *a, const char *doc_id, mh_docs_record *r)
{
    mh_ledger_status st;
    mh_ledger_entry e;
    memset(r, 0, sizeof *r);
    int rc = app_index_check(a->dir);
    if (rc)
        return rc;
    rc = mh_ledger_lookup_id(a->ledger, doc_id, &st);
    if (rc == MH_ERR_NOT_FOUND) {
        mh_err_set(rc,
                   "no document '%s' in the ledger ('mohur docs search' finds documents by "
                   "name or number)",
                   doc_id);
        return rc;
    }
    if (rc || (rc = mh_ledger_get(a->ledger, st.issue_index, &e)) != 0)
        return rc;
    if ((rc = record_from_ledger(a, st.issue_index, &e, r)) != 0)
        return rc;
    record_join_index(a, r, st.issue_index);
    return MH_OK;
}

int mh_docs_query(mh_app *a, const mh_docs_filter *f, int (*cb)(void *ctx, const mh_docs_record *r),
                  void *ctx)
{
    uint64_t size = 0;
    uint8_t root[MH_LEDGER_HASH_LEN];
    int rc = app_index_check(a->dir);
    if (rc)
        return rc;
    if ((rc = mh_ledger_size(a->ledger, &size, root)) != 0)
        return rc;
    mh_docs_record *r = malloc(sizeof *r);
    mh_ledger_entry *e = malloc(sizeof *e);
    if (!r || !e) {
        free(r);
        free(e);
        return MH_ERR_NOMEM;
    }
    for (uint64_t i = 0; i < size; i++) {
        if ((rc = mh_ledger_get(a->ledger, i, e)) != 0)
            break;
        if (e->type != MH_LEDGER_ISSUE)
            continue;
        /* the cheap filters before any lookup */
        if (f && ((f->kind && strcmp(f->kind, e->kind) != 0) ||
                  (f->issuer && strcmp(f->issuer, e->issuer) != 0) ||
                  (f->from && (int64_t)e->time < f->from) || (f->to && (int64_t)e->time > f->to)))
            continue;
        if ((rc = record_from_ledger(a, i, e, r)) != 0)
            break;
        record_join_index(a, r, i);
        if (!mh_docs_match(r, f))
            continue;
        if ((rc = cb(ctx, r)) != 0)
            break;
    }
    free(r);
    free(e);
    return rc;
}

/* ---- the archive -------------------------------------------------------------- */

bool mh_docs_archive_enabled(mh_app *a, unsigned *keep_days)
{
    char path[APP_PATH_MAX];
    bool on = false;
    if (keep_days)
        *keep_days = ARCHIVE_DEFAULT_DAYS;
    if (mh_app_path(path, sizeof path, a->dir, "config.json") != 0)
        return false;
    json_error_t je;
    json_t *cfg = json_load_file(path, 0, &je);
    json_t *ar = cfg ? json_object_get(cfg, "archive") : NULL;
    if (json_is_object(ar)) {
        json_t *en = json_object_get(ar, "enabled");
        on = !en || json_is_true(en);
        json_t *kd = json_object_get(ar, "keep_days");
        if (keep_days && json_is_integer(kd) && json_integer_value(kd) > 0 &&
            json_integer_value(kd) <= ARCHIVE_MAX_DAYS)
            *keep_days = (unsigned)json_integer_value(kd);
    } else if (json_is_true(ar)) {
        on = true;
    }
    json_decref(cfg);
    return on;
}

/* "archive/ab/<sha256 of the id>" (no extension), and its directory made. */
static int archive_base(mh_app *a, const char *doc_id, char *rel, size_t cap, bool make)
{
    uint8_t h[32];
    char hex[65], path[APP_PATH_MAX];
    mbedtls_sha256_ret((const unsigned char *)doc_id, strlen(doc_id), h, 0);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    snprintf(rel, cap, "archive/%.2s/%s", hex, hex);
    if (!make)
        return MH_OK;
    char sub[16];
    snprintf(sub, sizeof sub, "archive/%.2s", hex);
    const char *dirs[2] = {"archive", sub};
    for (size_t i = 0; i < 2; i++) {
        if (mh_app_path(path, sizeof path, a->dir, dirs[i]) != 0)
            return MH_ERR_TOO_LARGE;
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            mh_err_set(MH_ERR_IO, "the archive directory %s cannot be made: %s", path,
                       strerror(errno));
            return MH_ERR_IO;
        }
    }
    return MH_OK;
}

/* Output i of an issue (its file next to out_path with ext, or the bytes
 * the issue left in memory) into the archive as rel. */
static int copy_into(mh_app *a, const mh_app_issue_req *r, size_t i, const char *ext,
                     const char *rel)
{
    char dst[APP_PATH_MAX], src[APP_PATH_MAX + 16];
    uint8_t *buf = NULL;
    const uint8_t *p;
    size_t len = 0;
    int rc;
    if (r->out_mem) {
        if (i >= r->out_mem->n)
            return MH_ERR_INTERNAL;
        p = r->out_mem->data[i];
        len = r->out_mem->len[i];
    } else {
        snprintf(src, sizeof src, "%s%s", r->out_path, ext);
        if ((rc = mh_app_read_file(src, MH_APP_DOC_MAX + ((size_t)16 << 20), &buf, &len)) != 0)
            return rc;
        p = buf;
    }
    if ((rc = mh_app_path(dst, sizeof dst, a->dir, rel)) == 0)
        rc = mh_app_write_file(dst, p, len, 0600);
    free(buf);
    return rc;
}

/* Archives what was delivered: the signed PDF, or the file with its .p7s. */
static int archive_outputs(mh_app *a, const mh_app_issue_req *r, const mh_app_issue_res *res,
                           char *rel, size_t cap)
{
    char base[200], name[APP_PATH_MAX + 16], dst[APP_PATH_MAX];
    int rc = archive_base(a, res->doc_id, base, sizeof base, true);
    if (rc)
        return rc;
    if (res->pdf) {
        snprintf(rel, cap, "%s.pdf", base);
        return copy_into(a, r, 0, "", rel);
    }
    snprintf(name, sizeof name, "%s.doc", base);
    if ((rc = mh_app_path(dst, sizeof dst, a->dir, name)) != 0 ||
        (rc = mh_app_write_file(dst, r->doc, r->doc_len, 0600)) != 0)
        return rc;
    char rp[sizeof base + 8];
    snprintf(rp, sizeof rp, "%s.p7s", base);
    if ((rc = copy_into(a, r, 0, ".p7s", rp)) != 0)
        return rc;
    snprintf(rel, cap, "%s.doc", base);
    return MH_OK;
}

/* ---- the hook ------------------------------------------------------------------ */

static const char *req_field(const mh_app_issue_req *r, const char *id)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].id && strcmp(r->fields[i].id, id) == 0)
            return r->fields[i].value;
    return NULL;
}

static int put_record(mh_app *a, const char *doc_id, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_SORT_KEYS);
    if (!text)
        return MH_ERR_NOMEM;
    int rc = app_index_put(a->dir, doc_id, text, strlen(text));
    free(text);
    return rc;
}

/* Where the issue wrote its output (none for outputs handed over in
 * memory: mohurd's client has them). */
static void set_file(json_t *o, const mh_app_issue_req *r)
{
    char path[PATH_MAX];
    if (r->out_path)
        json_object_set_new(o, "file",
                            json_string(realpath(r->out_path, path) ? path : r->out_path));
}

void mh_docs_note_issued(mh_app *a, const mh_app_issue_req *r, const mh_app_issue_res *res)
{
    char rel[256] = "";
    json_t *o = NULL;
    if (!a || !r || !res || !res->doc_id[0])
        return;
    char *old = NULL;
    size_t olen = 0;
    if (res->cosigned) {
        /* a party signed: the record stays; the archive keeps the latest */
        if (app_index_get(a->dir, res->doc_id, &old, &olen) != 0)
            return;
        json_error_t je;
        o = json_loadb(old, olen, 0, &je);
        free(old);
        if (!o || !json_string_value(json_object_get(o, "archive")))
            goto out;
        if (mh_docs_archive_enabled(a, NULL) && archive_outputs(a, r, res, rel, sizeof rel) == 0)
            json_object_set_new(o, "archive", json_string(rel));
        set_file(o, r);
        (void)put_record(a, res->doc_id, o);
        goto out;
    }
    mh_ledger_entry e;
    if (mh_ledger_get(a->ledger, res->log_index, &e) != 0)
        return;
    o = json_object();
    json_t *fields = json_object();
    if (!o || !fields) {
        json_decref(fields);
        goto out;
    }
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "log_index", json_integer((json_int_t)res->log_index));
    json_object_set_new(o, "time", json_integer((json_int_t)e.time));
    json_object_set_new(o, "rendered", json_boolean(r->rendered));
    set_file(o, r);
    json_object_set_new(o, "url", json_string(res->url));
    /* the printed fields only: what is on the paper anyway (a national id
     * that is not printed never enters the index) */
    if (r->kind) {
        for (size_t i = 0; i < r->kind->nfields; i++) {
            const mh_kind_field *f = &r->kind->fields[i];
            const char *v = req_field(r, f->id);
            if (f->printed && v && v[0])
                json_object_set_new(fields, f->id, json_string(v));
        }
    }
    json_object_set_new(o, "fields", fields);
    if (!r->rendered && mh_docs_archive_enabled(a, NULL) &&
        archive_outputs(a, r, res, rel, sizeof rel) == 0)
        json_object_set_new(o, "archive", json_string(rel));
    (void)put_record(a, res->doc_id, o);
out:
    json_decref(o);
}

/* ---- re-indexing from signed documents --------------------------------------- */

int mh_docs_reindex_file(mh_app *a, const char *path, mh_docs_record *r)
{
    mh_app_verdict *v = calloc(1, sizeof *v);
    char abs[4096];
    int rc;
    if (!v)
        return MH_ERR_NOMEM;
    if ((rc = mh_app_verify_file(a, path, NULL, v)) != 0)
        goto out;
    if (!v->ledger_known || !v->has_receipt || !v->receipt_sig_ok ||
        (v->code != MH_APP_VALID && v->code != MH_APP_REVOKED && v->code != MH_APP_REV_UNKNOWN)) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "%s does not verify against this appliance (%s): it is not indexed", path,
                   v->sentence[0] ? v->sentence : mh_app_verdict_name(v->code));
        rc = MH_ERR_VERIFY_FAILED;
        goto out;
    }
    mh_docs_record cur;
    if ((rc = mh_docs_get(a, v->doc_id, &cur)) != 0)
        goto out;
    if (cur.log_index != v->log_index) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "%s is an earlier, voided issue of '%s': it is not indexed", path, v->doc_id);
        rc = MH_ERR_VERIFY_FAILED;
        goto out;
    }
    json_t *o = json_object(), *fields = json_object();
    if (!o || !fields) {
        json_decref(o);
        json_decref(fields);
        rc = MH_ERR_NOMEM;
        goto out;
    }
    mh_kind k;
    bool rendered = mh_kind_load(mh_kinds_dir(), v->kind, &k) == 0 && k.rendered;
    /* a richer record (every printed field, from the issue) is kept; the
     * receipt's fields fill in what is missing */
    for (size_t i = 0; i < cur.nfields; i++)
        json_object_set_new(fields, cur.field_key[i], json_string(cur.field_val[i]));
    for (size_t i = 0; i < v->nfields && i < 8; i++)
        if (!json_object_get(fields, v->field_key[i]))
            json_object_set_new(fields, v->field_key[i], json_string(v->field_val[i]));
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "log_index", json_integer((json_int_t)v->log_index));
    json_object_set_new(o, "time", json_integer((json_int_t)cur.issued_at));
    json_object_set_new(o, "rendered", json_boolean(cur.indexed ? cur.rendered : rendered));
    json_object_set_new(o, "file", json_string(realpath(path, abs) ? abs : path));
    json_object_set_new(o, "url", json_string(v->url));
    if (cur.archive[0])
        json_object_set_new(o, "archive", json_string(cur.archive));
    json_object_set_new(o, "fields", fields);
    rc = put_record(a, v->doc_id, o);
    json_decref(o);
    if (!rc && r)
        rc = mh_docs_get(a, v->doc_id, r);
out:
    free(v);
    return rc;
}

/* ---- re-printing --------------------------------------------------------------- */

static int reprint_rendered(mh_app *a, const mh_docs_record *d, const char *key_uri,
                            const char *out_path, mh_docs_reprint_res *res)
{
    mh_kind *k = calloc(1, sizeof *k);
    mh_template *tpl = NULL;
    mh_app_signer *s = NULL;
    uint8_t *pdf = NULL;
    size_t len = 0;
    int rc = MH_ERR_NOMEM;
    if (!k)
        goto out;
    const app_issuer *is = mh_app_find_issuer(a, d->issuer);
    if (!is) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "the issuer '%s' of '%s' is no longer in config.json: it cannot be re-made",
                   d->issuer, d->doc_id);
        rc = MH_ERR_NOT_FOUND;
        goto out;
    }
    if ((rc = mh_kind_load(mh_kinds_dir(), d->kind, k)) != 0)
        goto out;
    mh_field_value fv[MH_DOCS_FIELDS_MAX];
    for (size_t i = 0; i < d->nfields; i++) {
        fv[i].id = d->field_key[i];
        fv[i].value = d->field_val[i];
    }
    if ((rc = mh_template_build(k, is->info.name, NULL, &tpl)) != 0 ||
        (rc = mh_template_render(tpl, fv, d->nfields, &pdf, &len)) != 0)
        goto out;
    if ((rc = mh_app_signer_open(a, d->issuer, key_uri, &s)) != 0)
        goto out;
    mh_pdf_font font;
    long fobj = 0;
    const uint16_t *fw = NULL;
    size_t nfw = 0;
    bool have_font = mh_template_font(tpl, &fobj, &fw, &nfw) == 0;
    memset(&font, 0, sizeof font);
    font.existing_obj = fobj;
    font.width = fw;
    font.nwidth = nfw;
    mh_app_issue_req req = {
        .kind = k,
        .doc_id = d->doc_id,
        .fields = fv,
        .nfields = d->nfields,
        .doc = pdf,
        .doc_len = len,
        .signer = s,
        .out_path = out_path,
        .rendered = true,
        .stamp_font = have_font ? &font : NULL,
    };
    mh_app_issue_res ir;
    rc = mh_app_issue(a, &req, &ir);
    if (rc == MH_ERR_ALREADY_EXISTS) {
        char why[400];
        snprintf(why, sizeof why, "%s", mh_err_message(rc));
        mh_err_set(rc,
                   "'%s' cannot be re-made byte for byte (%s); the kind's template, its font or "
                   "the issuer's name changed since it was issued",
                   d->doc_id, why);
        goto out;
    }
    if (rc)
        goto out;
    if (!ir.resumed || ir.log_index != d->log_index) {
        /* cannot happen: the id is in the ledger and not voided */
        mh_err_set(MH_ERR_INTERNAL, "re-making '%s' did not re-use its ledger entry", d->doc_id);
        rc = MH_ERR_INTERNAL;
        goto out;
    }
    res->resigned = true;
    snprintf(res->url, sizeof res->url, "%s", ir.url);
out:
    mh_app_signer_close(s);
    mh_template_free(tpl);
    free(pdf);
    free(k);
    return rc;
}

static int copy_out(mh_app *a, const char *rel, const char *dst)
{
    char src[APP_PATH_MAX];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = mh_app_path(src, sizeof src, a->dir, rel);
    if (!rc)
        rc = mh_app_read_file(src, MH_APP_DOC_MAX + ((size_t)16 << 20), &buf, &len);
    if (rc == MH_ERR_IO || rc == MH_ERR_NOT_FOUND)
        mh_err_set(rc, "the archived copy %s is missing (removed by 'mohur docs prune'?)", rel);
    if (!rc)
        rc = mh_app_write_file(dst, buf, len, 0644);
    free(buf);
    return rc;
}

static int reprint_archived(mh_app *a, const mh_docs_record *d, const char *out_path,
                            mh_docs_reprint_res *res)
{
    size_t l = strlen(d->archive);
    int rc;
    if (l > 4 && strcmp(d->archive + l - 4, ".pdf") == 0) {
        if ((rc = copy_out(a, d->archive, out_path)) != 0)
            return rc;
    } else {
        /* a file with its detached signature, receipt and QR */
        char rel[300], dst[4096];
        if ((rc = copy_out(a, d->archive, out_path)) != 0)
            return rc;
        snprintf(rel, sizeof rel, "%.*s.p7s", (int)(l - 4), d->archive);
        snprintf(dst, sizeof dst, "%s.p7s", out_path);
        if ((rc = copy_out(a, rel, dst)) != 0)
            return rc;
        char url_nl[1100];
        snprintf(url_nl, sizeof url_nl, "%s\n", d->url);
        snprintf(dst, sizeof dst, "%s.receipt", out_path);
        if ((rc = mh_app_write_file(dst, url_nl, strlen(url_nl), 0644)) != 0)
            return rc;
        mh_qr qr;
        if (d->url[0] && mh_qr_encode(d->url, MH_QR_LEVEL_M, 0, &qr) == 0) {
            uint8_t *png = NULL;
            size_t plen = 0;
            if (mh_qr_png(&qr, 4, &png, &plen) == 0) {
                snprintf(dst, sizeof dst, "%s.qr.png", out_path);
                rc = mh_app_write_file(dst, png, plen, 0644);
            }
            free(png);
            mh_qr_free(&qr);
            if (rc)
                return rc;
        }
    }
    res->copied = true;
    snprintf(res->url, sizeof res->url, "%s", d->url);
    return MH_OK;
}

int mh_docs_reprint(mh_app *a, const char *doc_id, const char *key_uri, const char *out_path,
                    mh_docs_reprint_res *res)
{
    mh_docs_record *d = malloc(sizeof *d);
    int rc;
    memset(res, 0, sizeof *res);
    if (!d)
        return MH_ERR_NOMEM;
    if ((rc = mh_docs_get(a, doc_id, d)) != 0)
        goto out;
    if (strcmp(d->status, "valid") != 0) {
        mh_err_set(MH_ERR_ALREADY_EXISTS, "'%s' is %s: it is not printed again", doc_id, d->status);
        rc = MH_ERR_ALREADY_EXISTS;
        goto out;
    }
    snprintf(res->out, sizeof res->out, "%s", out_path);
    if (d->archive[0]) {
        rc = reprint_archived(a, d, out_path, res);
    } else if (d->indexed && d->rendered) {
        rc = reprint_rendered(a, d, key_uri, out_path, res);
    } else if (!d->indexed) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "'%s' is in the ledger but not in the document index, so its printed fields "
                   "are not known here: run 'mohur docs reindex FILE' on a signed copy, or issue "
                   "it again from its roster row",
                   doc_id);
        rc = MH_ERR_NOT_FOUND;
    } else {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "'%s' was supplied by its signer and the appliance keeps no copy of it (the "
                   "archive is off; docs/documents.md says how to turn it on): ask the signer "
                   "for the file",
                   doc_id);
        rc = MH_ERR_NOT_FOUND;
    }
out:
    free(d);
    return rc;
}

/* ---- retention ------------------------------------------------------------------ */

struct prune_ctx {
    mh_app *a;
    int64_t cutoff;
    size_t removed;
    int rc;
};

static int prune_one(void *ctx, const mh_docs_record *r)
{
    struct prune_ctx *p = ctx;
    if (!r->archive[0])
        return 0;
    bool expired = (int64_t)r->issued_at < p->cutoff || strcmp(r->status, "voided") == 0;
    if (!expired)
        return 0;
    char path[APP_PATH_MAX];
    size_t l = strlen(r->archive);
    if (mh_app_path(path, sizeof path, p->a->dir, r->archive) == 0)
        unlink(path);
    if (l > 4 && strcmp(r->archive + l - 4, ".doc") == 0) {
        char rel[300];
        snprintf(rel, sizeof rel, "%.*s.p7s", (int)(l - 4), r->archive);
        if (mh_app_path(path, sizeof path, p->a->dir, rel) == 0)
            unlink(path);
    }
    char *old = NULL;
    size_t olen = 0;
    if (app_index_get(p->a->dir, r->doc_id, &old, &olen) == 0) {
        json_error_t je;
        json_t *o = json_loadb(old, olen, 0, &je);
        if (o) {
            json_object_del(o, "archive");
            int rc = put_record(p->a, r->doc_id, o);
            if (rc && !p->rc)
                p->rc = rc;
            json_decref(o);
        }
        free(old);
    }
    p->removed++;
    return 0;
}

int mh_docs_prune(mh_app *a, int64_t now, size_t *removed)
{
    unsigned days = ARCHIVE_DEFAULT_DAYS;
    (void)mh_docs_archive_enabled(a, &days);
    struct prune_ctx p = {a, (now ? now : (int64_t)time(NULL)) - (int64_t)days * 86400, 0, 0};
    mh_docs_filter f = {0};
    f.status = "any";
    int rc = mh_docs_query(a, &f, prune_one, &p);
    if (removed)
        *removed = p.removed;
    return rc ? rc : p.rc;
}
