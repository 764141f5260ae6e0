/*
 * verdict_json.c - a verdict as JSON, the one encoding `mohur verify --json`
 * prints and mohurd answers (docs/flows.md lists the fields).
 */
#include "app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static void hex32(const uint8_t *b, char out[65])
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = h[b[i] >> 4];
        out[2 * i + 1] = h[b[i] & 15];
    }
    out[64] = 0;
}

static void date_str(uint64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t && gmtime_r(&tt, &tm))
        strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
    else
        snprintf(out, cap, "-");
}

/* json_set_new on a NULL object is harmless; a NULL value is an error
 * noticed at the end (json_dumps of an incomplete object is refused). */
static bool put(json_t *o, const char *k, json_t *v)
{
    return v && json_object_set_new(o, k, v) == 0;
}

static json_t *str(const char *s)
{
    /* fields come from documents: anything not UTF-8 is shown replaced */
    json_t *v = json_string(s);
    return v ? v : json_string("\xef\xbf\xbd");
}

static json_t *sig_json(const mh_app_sig_detail *s)
{
    char hex[65];
    json_t *o = json_object();
    bool ok = o != NULL;
    hex32(s->cert_fp, hex);
    ok = ok && put(o, "signer", str(s->signer)) && put(o, "role", str(s->role)) &&
         put(o, "cert_sha256", json_string(hex)) && put(o, "intact", json_boolean(s->integrity)) &&
         put(o, "covers_whole", json_boolean(s->covers_whole)) &&
         put(o, "later_changes_ok", json_boolean(s->later_ok)) &&
         put(o, "trusted", json_boolean(s->path_ok)) &&
         put(o, "policy_ok", json_boolean(s->policy_ok));
    if (ok && !s->path_ok)
        ok = put(o, "path_problem", str(s->path_reason));
    if (ok && s->detail[0])
        ok = put(o, "problem", str(s->detail));
    ok = ok && put(o, "signed_at", json_integer(s->signed_at)) &&
         put(o, "timestamp", s->has_timestamp ? json_integer(s->timestamp) : json_null());
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *receipt_json(const mh_app_verdict *v)
{
    json_t *o = json_object(), *f = json_object();
    bool ok = o && f;
    for (size_t i = 0; ok && i < v->nfields; i++)
        ok = put(f, v->field_key[i], str(v->field_val[i]));
    ok =
        ok && put(o, "url", str(v->url)) && put(o, "qr_host", str(v->qr_host)) &&
        put(o, "signed_host", str(v->signed_host)) &&
        put(o, "host_mismatch", json_boolean(v->host_mismatch)) &&
        put(o, "signature_ok", json_boolean(v->receipt_sig_ok)) &&
        put(o, "digest_ok", v->digest_checked ? json_boolean(v->receipt_digest_ok) : json_null()) &&
        put(o, "registry", str(v->registry)) && put(o, "issuer", str(v->issuer)) &&
        put(o, "kind", str(v->kind)) &&
        put(o, "log_index", json_integer((json_int_t)v->log_index)) &&
        put(o, "issued_at", json_integer((json_int_t)v->issued_at));
    if (ok) {
        ok = json_object_set(o, "fields", f) == 0;
    }
    json_decref(f);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int mh_app_verdict_json(const mh_app_verdict *v, char **out, size_t *len)
{
    char d[40];
    json_t *o = json_object(), *sigs = json_array();
    bool ok = o && sigs;
    *out = NULL;
    *len = 0;
    ok = ok && put(o, "verdict", json_string(mh_app_verdict_name(v->code))) &&
         put(o, "summary", str(v->sentence));
    for (size_t i = 0; ok && i < v->nsigs && i < MH_APP_SIGS_MAX; i++) {
        json_t *s = sig_json(&v->sigs[i]);
        ok = s && json_array_append_new(sigs, s) == 0;
    }
    ok = ok && json_object_set(o, "signatures", sigs) == 0;
    ok = ok && put(o, "receipt", v->has_receipt ? receipt_json(v) : json_null());
    if (ok && v->ledger_known) {
        json_t *l = json_object();
        bool lok = l && put(l, "doc_id", str(v->doc_id)) &&
                   put(l, "status",
                       json_string(v->voided           ? "voided"
                                   : v->pending        ? "pending"
                                   : v->status.revoked ? "revoked"
                                                       : "valid"));
        if (lok && v->status.revoked)
            lok = put(l, "reason", json_string(mh_app_reason_name(v->status.reason))) &&
                  put(l, "revoked_at", json_integer((json_int_t)v->status.revoke_time));
        if (lok) {
            ok = put(o, "ledger", l); /* l is o's now, or freed */
        } else {
            json_decref(l);
            ok = false;
        }
    } else if (ok) {
        ok = put(o, "ledger", json_null());
    }
    if (ok && v->followed) {
        date_str(v->follow_checked_at, d, sizeof d);
        json_t *fo =
            json_pack("{s:s,s:I,s:s,s:I,s:I,s:b,s:I}", "origin", v->follow_origin, "size",
                      (json_int_t)v->follow_size, "checked_at", d, "witnesses",
                      (json_int_t)v->follow_witnesses, "quorum", (json_int_t)v->follow_quorum,
                      "stale", v->follow_stale, "max_age", (json_int_t)v->follow_max_age);
        if (fo && v->follow_update[0])
            ok = put(fo, "update_failed", str(v->follow_update));
        ok = ok && fo && put(o, "log", fo);
    }
    json_t *crl = ok ? json_object() : NULL;
    ok = ok && crl && put(crl, "current", json_boolean(v->crl_current));
    if (ok && v->crl_this_update) {
        date_str((uint64_t)v->crl_this_update, d, sizeof d);
        ok = put(crl, "this_update", json_string(d));
    }
    if (ok && v->crl_next_update) {
        date_str((uint64_t)v->crl_next_update, d, sizeof d);
        ok = put(crl, "next_update", json_string(d));
    }
    if (ok && v->crl_problem[0])
        ok = put(crl, "problem", str(v->crl_problem));
    if (ok)
        ok = put(o, "crl", crl);
    else
        json_decref(crl);
    char *s = ok ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(sigs);
    json_decref(o);
    if (!s)
        return MH_ERR_NOMEM;
    *out = s;
    *len = strlen(s);
    return MH_OK;
}
