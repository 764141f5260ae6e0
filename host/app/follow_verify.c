/*
 * follow_verify.c - a verifier with no appliance of its own checks a
 * receipt from any registry it follows, in that registry's log
 * (mh_app_verify_followed; mohur verify --qr --follow).
 *
 * What vouches for the receipt is the registry's log: a checkpoint signed
 * by the log key and cosigned by the quorum of witnesses, an inclusion
 * proof of the receipt's entry in it, and the entry's record of the
 * document digest, kind and claims digest (which covers every printed
 * field). The receipt's ES256 signature is checked too when the
 * configuration gives the registry's receipt keys.
 *
 * mohurd's front asks the same offline (mh_app_follow_open with local):
 * its follower process keeps the logs up to date and a local copy of their
 * tiles; the front proves entries from that copy, reads the state only,
 * and shows why the follower's last update failed, if it did.
 */
#include "app_int.h"
#include "mh_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <mbedtls/base64.h>

#define FOLLOW_KEYS_MAX 8
#define FOLLOW_REGS_MAX 64

/* A registry's receipt keys from the configuration ("receipt_keys"). */
typedef struct follow_keys {
    char id[MH_FOLLOW_ID_MAX + 1];
    mh_receipt_key keys[FOLLOW_KEYS_MAX];
    size_t n;
} follow_keys;

struct mh_app_follow {
    mh_follow *f;
    char config[1024]; /* for sentences */
    bool local;        /* offline: the local copy, the state read-only */
    follow_keys *keys; /* read once, at open: the configuration may be out of reach later */
    size_t nkeys;
};

/* The registries' "receipt_keys" in the configuration (base64 SPKI). */
static int receipt_keys_load(const char *config, mh_app_follow *h)
{
    json_error_t je;
    json_t *root = json_load_file(config, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        mh_err_set(MH_ERR_PARSE, "reading %s: %s (line %d)", config, je.text, je.line);
        return MH_ERR_PARSE;
    }
    int ret = MH_OK;
    json_t *regs = json_object_get(root, "registries"), *r;
    size_t i;
    if (!(h->keys = calloc(FOLLOW_REGS_MAX, sizeof *h->keys))) {
        json_decref(root);
        return MH_ERR_NOMEM;
    }
    json_array_foreach(regs, i, r)
    {
        const char *id = json_string_value(json_object_get(r, "id"));
        json_t *ks = json_object_get(r, "receipt_keys"), *k;
        size_t j, *n;
        mh_receipt_key *keys;
        if (!id || strlen(id) > MH_FOLLOW_ID_MAX || !ks || h->nkeys == FOLLOW_REGS_MAX)
            continue;
        snprintf(h->keys[h->nkeys].id, sizeof h->keys[0].id, "%s", id);
        keys = h->keys[h->nkeys].keys;
        n = &h->keys[h->nkeys].n;
        h->nkeys++;
        if (!json_is_array(ks)) {
            mh_err_set(MH_ERR_PARSE, "%s: receipt_keys of %s is not a list", config, id);
            ret = MH_ERR_PARSE;
            break;
        }
        json_array_foreach(ks, j, k)
        {
            const char *b = json_string_value(k);
            uint8_t der[256];
            size_t dl = 0;
            if (*n >= FOLLOW_KEYS_MAX || !b ||
                mbedtls_base64_decode(der, sizeof der, &dl, (const unsigned char *)b, strlen(b)) !=
                    0 ||
                mh_receipt_key_from_spki(der, dl, &keys[*n]) != 0) {
                mh_err_set(MH_ERR_PARSE,
                           "%s: receipt key %zu of %s is not a base64 P-256 public key (SPKI)",
                           config, j + 1, id);
                ret = MH_ERR_PARSE;
                break;
            }
            (*n)++;
        }
        if (ret)
            break;
    }
    json_decref(root);
    return ret;
}

static const follow_keys *receipt_keys(const mh_app_follow *h, const char *registry)
{
    for (size_t i = 0; i < h->nkeys; i++)
        if (strcmp(h->keys[i].id, registry) == 0)
            return &h->keys[i];
    return NULL;
}

/* The SHA-256 and length of what the receipt names: a PDF's first doc_len
 * bytes (its original, before mohur's updates), else the whole file. */
static int doc_digest(const char *path, const mh_receipt_claims *c, uint8_t d[32], uint64_t *len,
                      bool *later)
{
    uint8_t *doc = NULL;
    size_t n = 0;
    int rc = mh_app_read_file(path, MH_APP_DOC_MAX, &doc, &n);
    if (rc)
        return rc;
    bool pdf = n >= 5 && memcmp(doc, "%PDF-", 5) == 0;
    *later = pdf && c->doc_len < n;
    if (*later)
        n = (size_t)c->doc_len;
    (void)mh_hash_sha256(doc, n, d);
    *len = n;
    free(doc);
    return MH_OK;
}

static void show_status(mh_app_verdict *v, const mh_follow_status *st)
{
    v->followed = true;
    v->follow_size = st->size;
    v->follow_checked_at = st->checked_at;
    v->follow_cosigned_at = st->cosigned_at;
    v->follow_max_age = st->max_age;
    v->follow_witnesses = st->witnesses;
    v->follow_quorum = st->quorum;
    v->follow_stale = st->stale;
    snprintf(v->follow_origin, sizeof v->follow_origin, "%s", st->origin);
}

/* The receipt's own signature: by the registry's configured receipt keys,
 * or else by its log key (a mohur registry signs its receipts and its
 * checkpoints with the same registry key). The log's claims digest alone
 * is not enough for VALID: whoever asked for a document knows every claim,
 * so for an entry whose signing never finished they could write the
 * receipt themselves. 0, or FORGED with its sentence; v->receipt_sig_ok
 * says whether a key was there to check it with. */
static int receipt_signature(mh_app_follow *h, const char *id, const uint8_t *rec, size_t rec_len,
                             mh_app_verdict *v)
{
    const follow_keys *fk = receipt_keys(h, id);
    mh_receipt_key logkey;
    mh_note_vkey vk;
    const mh_receipt_key *keys = NULL;
    size_t nkeys = 0;
    bool from_log = false;
    if (fk && fk->n) {
        keys = fk->keys;
        nkeys = fk->n;
    } else if (mh_follow_log_key(h->f, id, &vk) == 0 && vk.type == MH_NOTE_ECDSA &&
               mh_receipt_key_from_spki(vk.key, vk.key_len, &logkey) == 0) {
        keys = &logkey;
        nkeys = 1;
        from_log = true;
    }
    mh_err_clear();
    if (!nkeys)
        return MH_OK;
    mh_receipt vr;
    if (mh_receipt_verify(rec, rec_len, keys, nkeys, &vr) != 0) {
        mh_err_clear();
        snprintf(v->sentence, sizeof v->sentence,
                 from_log ? "FORGED: the receipt was not signed by registry %s's key (the key of "
                            "its log; if it signs receipts with another key, give it as "
                            "receipt_keys)."
                          : "FORGED: the receipt was not signed by a key of registry %s.",
                 v->registry);
        return MH_APP_FORGED;
    }
    v->receipt_sig_ok = true;
    return MH_OK;
}

/* The verdict once the receipt's entry is proven in the trusted log: from
 * the log's void and revoke entries, the file's later bytes, the copy's
 * freshness. */
static enum mh_app_verdict_code entry_verdict(mh_app_verdict *v, const mh_follow_entry *fe,
                                              bool later)
{
    v->ledger_known = true;
    snprintf(v->doc_id, sizeof v->doc_id, "%s", fe->entry.doc_id);
    snprintf(v->issuer_name, sizeof v->issuer_name, "%s", fe->entry.issuer);
    v->status.issue_index = v->log_index;
    v->status.issue_time = fe->entry.time;
    v->status.revoked = fe->revoked;
    v->status.revoke_index = fe->revoke_index;
    v->status.revoke_time = fe->revoke_time;
    v->status.reason = fe->reason;
    v->voided = fe->voided;
    char when[40] = "";
    time_t t = (time_t)v->issued_at;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d", &tm);
    if (fe->voided) {
        snprintf(v->sentence, sizeof v->sentence,
                 "VOIDED: %s was recorded by registry %s but never issued (its signing failed).",
                 v->doc_id, v->registry);
        return MH_APP_VOIDED;
    }
    if (fe->revoked) {
        char rw[40] = "";
        t = (time_t)fe->revoke_time;
        if (gmtime_r(&t, &tm))
            strftime(rw, sizeof rw, "%Y-%m-%d", &tm);
        snprintf(v->sentence, sizeof v->sentence, "REVOKED: %s was revoked on %s (reason: %s).",
                 v->doc_id, rw, mh_app_reason_name(fe->reason));
        return MH_APP_REVOKED;
    }
    /* the signatures and whatever a later update shows are not checked
     * here (the registry's CA is not this verifier's): an update added after
     * them could change what the page displays, so no VALID for the file */
    if (later) {
        snprintf(v->sentence, sizeof v->sentence,
                 "UNKNOWN: %s is in registry %s's log and this file begins with the very bytes "
                 "it was issued for, but the signatures and updates after them cannot be "
                 "checked here; check the file with the registry's own verifier (its page, or "
                 "mohur verify with its root as --trust).",
                 v->doc_id, v->registry);
        return MH_APP_UNKNOWN;
    }
    if (v->follow_stale) {
        snprintf(v->sentence, sizeof v->sentence,
                 "REVOCATION STATUS UNKNOWN: %s issued by %s on %s is in registry %s's log, but "
                 "this verifier's copy of it is older than %llu seconds%s%s; a revocation since "
                 "then would not be seen.",
                 v->doc_id, v->issuer_name, when, v->registry,
                 (unsigned long long)v->follow_max_age,
                 v->follow_update[0] ? " (updating failed: " : "",
                 v->follow_update[0] ? v->follow_update : "");
        if (v->follow_update[0])
            strncat(v->sentence, ")", sizeof v->sentence - strlen(v->sentence) - 1);
        return MH_APP_REV_UNKNOWN;
    }
    if (!v->receipt_sig_ok) {
        snprintf(v->sentence, sizeof v->sentence,
                 "UNKNOWN: %s is in registry %s's log, but no key of the registry to check the "
                 "receipt's signature with is known (its log key is not an ECDSA P-256 key): "
                 "give its receipt_keys in the configuration.",
                 v->doc_id, v->registry);
        return MH_APP_UNKNOWN;
    }
    snprintf(v->sentence, sizeof v->sentence,
             "VALID: %s issued by %s on %s (registry %s, log entry %llu, proven in its "
             "checkpoint of %llu entries).",
             v->doc_id, v->issuer_name, when, v->registry, (unsigned long long)v->log_index,
             (unsigned long long)v->follow_size);
    return MH_APP_VALID;
}

static enum mh_app_verdict_code judge(mh_app_follow *h, const char *url, const char *doc_path,
                                      mh_app_verdict *v, mh_follow_entry *fe)
{
    mh_follow *f = h->f;
    const char *config = h->config;
    uint8_t rec[MH_RECEIPT_MAX];
    size_t rec_len = 0;
    mh_receipt_str host;
    mh_receipt r;
    char id[MH_FOLLOW_ID_MAX + 1];
    int rc;
    bool later = false; /* a PDF with updates after the bytes the receipt names */

    v->has_receipt = true;
    snprintf(v->url, sizeof v->url, "%s", url);
    if ((rc = mh_receipt_url_parse(url, strlen(url), &host, rec, sizeof rec, &rec_len)) != 0) {
        snprintf(v->sentence, sizeof v->sentence,
                 "This is not a mohur receipt: the QR text is not a receipt URL (%s).",
                 mh_err_message(rc));
        return MH_APP_NOT_MOHUR;
    }
    size_t hl = host.len < sizeof v->qr_host - 1 ? host.len : sizeof v->qr_host - 1;
    memcpy(v->qr_host, host.ptr, hl);
    v->qr_host[hl] = 0;
    if ((rc = mh_receipt_decode(rec, rec_len, &r)) != 0) {
        snprintf(v->sentence, sizeof v->sentence,
                 "FORGED: this receipt cannot be read (%s); it is not a valid mohur receipt.",
                 mh_err_message(rc));
        return MH_APP_FORGED;
    }
    mh_app_verdict_claims(v, &r.claims);
    snprintf(v->issuer_name, sizeof v->issuer_name, "%s", v->issuer);
    snprintf(id, sizeof id, "%s", v->registry);
    mh_follow_status st;
    if (mh_follow_status_get(f, id, &st) != 0) {
        mh_err_clear();
        /* (offline, in mohurd's front: no file name for the public) */
        snprintf(v->sentence, sizeof v->sentence,
                 "UNKNOWN: the receipt names registry '%s', which this verifier does not follow"
                 "%s%s%s. Ask whoever set it up, or the issuer.",
                 v->registry, h->local ? "" : " (", h->local ? "" : config, h->local ? "" : ")");
        return MH_APP_UNKNOWN;
    }
    if (!mh_receipt_host_matches(&r.claims, &host)) {
        v->host_mismatch = true;
        snprintf(v->sentence, sizeof v->sentence,
                 "WRONG SITE: this QR opens %s, but the receipt was issued for %s; a phone "
                 "scanning it would have shown another site's page. Do not trust that page.",
                 v->qr_host, v->signed_host);
        return MH_APP_FORGED;
    }
    if (receipt_signature(h, id, rec, rec_len, v) != 0)
        return MH_APP_FORGED;
    if (doc_path) {
        uint8_t d[32];
        uint64_t dl = 0;
        if ((rc = doc_digest(doc_path, &r.claims, d, &dl, &later)) != 0) {
            snprintf(v->sentence, sizeof v->sentence, "ERROR: reading %s: %s", doc_path,
                     mh_err_message(rc));
            return MH_APP_ERROR;
        }
        v->digest_checked = true;
        v->receipt_digest_ok = mh_receipt_check_document(&r.claims, d, dl) == 0;
        if (!v->receipt_digest_ok) {
            snprintf(v->sentence, sizeof v->sentence,
                     "ALTERED: this document is not the one the receipt was issued for (its "
                     "contents differ).");
            return MH_APP_ALTERED;
        }
    }
    /* up to date first (offline: as the follower process last left it);
     * on failure the trusted state, and why */
    mh_err_clear();
    if (h->local) {
        rc = st.last_error[0] ? (st.fork ? MH_ERR_LEDGER_FORK : MH_ERR_IO) : MH_OK;
        if (rc)
            mh_err_set(rc, "%s", st.last_error);
    } else {
        rc = mh_follow_update(f, id, &st, NULL, 0, NULL);
    }
    if (rc) {
        snprintf(v->follow_update, sizeof v->follow_update, "%s", mh_err_message(rc));
        if (rc == MH_ERR_LEDGER_FORK) {
            (void)mh_follow_status_get(f, id, &st);
            show_status(v, &st);
            snprintf(v->sentence, sizeof v->sentence,
                     "ERROR: registry %s's mirror shows a log that contradicts the one this "
                     "verifier trusts (a fork or a rollback): %s. Nothing from it can be "
                     "believed until that is explained; the evidence is kept.",
                     v->registry, v->follow_update);
            return MH_APP_ERROR;
        }
        mh_err_clear();
        (void)mh_follow_status_get(f, id, &st);
    }
    v->ledger_checked = true;
    rc = mh_follow_check_receipt(f, &r.claims, fe);
    show_status(v, rc == 0 ? &fe->status : &st);
    if (rc == MH_ERR_NOT_FOUND) {
        mh_err_clear();
        snprintf(v->sentence, sizeof v->sentence,
                 "UNKNOWN: registry %s's log, as far as this verifier trusts it (%llu entries), "
                 "has no entry %llu%s%s. Ask the issuer.",
                 v->registry, (unsigned long long)st.size, (unsigned long long)v->log_index,
                 v->follow_update[0] ? "; updating failed: " : "", v->follow_update);
        return MH_APP_UNKNOWN;
    }
    if (rc == MH_ERR_VERIFY_FAILED) {
        snprintf(v->sentence, sizeof v->sentence,
                 "FORGED: the receipt does not say what registry %s's log recorded at entry "
                 "%llu: %s.",
                 v->registry, (unsigned long long)v->log_index, mh_err_message(rc));
        return MH_APP_FORGED;
    }
    if (rc) {
        snprintf(v->sentence, sizeof v->sentence, "ERROR: registry %s's log: %s", v->registry,
                 mh_err_message(rc));
        return MH_APP_ERROR;
    }
    /* the entry must vouch for the printed fields: without the receipt's
     * keys only its claims digest does */
    if (!fe->entry.has_claims && !v->receipt_sig_ok) {
        snprintf(v->sentence, sizeof v->sentence,
                 "UNKNOWN: registry %s's log entry %llu records the document but not the "
                 "receipt's printed fields, and no receipt key of the registry is configured: "
                 "the fields cannot be checked.",
                 v->registry, (unsigned long long)v->log_index);
        return MH_APP_UNKNOWN;
    }
    return entry_verdict(v, fe, later);
}

int mh_app_follow_open(const char *config, const char *state_dir, bool local, mh_app_follow **out)
{
    mh_app_follow *h = calloc(1, sizeof *h);
    int rc;
    *out = NULL;
    if (!h)
        return MH_ERR_NOMEM;
    snprintf(h->config, sizeof h->config, "%s", config ? config : "");
    h->local = local;
    if ((rc = mh_follow_open_ex(config, state_dir, local ? MH_FOLLOW_LOCAL : 0, &h->f)) != 0 ||
        (rc = receipt_keys_load(config, h)) != 0) {
        mh_app_follow_close(h);
        return rc;
    }
    *out = h;
    return MH_OK;
}

void mh_app_follow_close(mh_app_follow *h)
{
    if (!h)
        return;
    mh_follow_close(h->f);
    free(h->keys);
    free(h);
}

mh_follow *mh_app_follow_log(mh_app_follow *h)
{
    return h ? h->f : NULL;
}

bool mh_app_follow_takes(const mh_app *a, const mh_app_follow *h, const char *qr_text)
{
    char url[MH_RECEIPT_URL_MAX];
    uint8_t rec[MH_RECEIPT_MAX];
    size_t rec_len = 0;
    mh_receipt_str host;
    mh_receipt r;
    const char *own = a ? mh_app_registry_id(a) : NULL;
    bool takes;
    if (!h || !qr_text || mh_app_qr_url(qr_text, url) != 0 ||
        mh_receipt_url_parse(url, strlen(url), &host, rec, sizeof rec, &rec_len) != 0 ||
        mh_receipt_decode(rec, rec_len, &r) != 0 || !r.claims.registry.ptr) {
        mh_err_clear();
        return false; /* not a receipt: the appliance's own verdict says so */
    }
    takes = !own || strlen(own) != r.claims.registry.len ||
            memcmp(own, r.claims.registry.ptr, r.claims.registry.len) != 0;
    return takes;
}

int mh_app_verify_follow(mh_app_follow *h, const char *qr_text, const char *doc_path,
                         mh_app_verdict *v)
{
    char url[MH_RECEIPT_URL_MAX];
    int rc;

    memset(v, 0, sizeof *v);
    if ((rc = mh_app_qr_url(qr_text, url)) != 0)
        return rc;
    mh_follow_entry *fe = calloc(1, sizeof *fe);
    if (!fe)
        return MH_ERR_NOMEM;
    v->code = judge(h, url, doc_path, v, fe);
    free(fe);
    return MH_OK;
}

int mh_app_verify_followed(const char *config, const char *state_dir, const char *qr_text,
                           const char *doc_path, mh_app_verdict *v)
{
    char url[MH_RECEIPT_URL_MAX];
    mh_app_follow *h = NULL;
    int rc;

    memset(v, 0, sizeof *v);
    if ((rc = mh_app_qr_url(qr_text, url)) != 0 ||
        (rc = mh_app_follow_open(config, state_dir, false, &h)) != 0)
        return rc;
    rc = mh_app_verify_follow(h, qr_text, doc_path, v);
    mh_app_follow_close(h);
    return rc;
}
