/* offline.c - the trust list and the revocation snapshot for the offline
 * verifier (mh_offline.h). Reads the appliance through its public APIs:
 * config.json for the token, mh_app (read-only) for the registry id, host
 * and ledger, hsm/ for the keys on the token; pki for CBOR and COSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "mh_app.h"
#include "mh_hsm.h"
#include "mh_ledger.h"
#include "mh_offline.h"
#include "mh_pki.h"

#define TL_MAX 4096
#define SNAP_MAX ((size_t)48 * 1024)
#define REVOKED_MAX 4000
#define TL_TYPE "mohur-trust-list/1"
#define SNAP_TYPE "mohur-status-snapshot/1"
#define DEFAULT_MAX_AGE ((uint64_t)7 * 86400)
#define TEN_YEARS ((uint64_t)3653 * 86400)

/* ---- the token ---------------------------------------------------------- */

typedef struct tok {
    mh_hsm_module *mod;
    mh_hsm_token *tok;
    mh_hsm_key *key;
    mh_signer signer;
} tok;

static void tok_close(tok *t)
{
    mh_hsm_key_free(t->key);
    mh_hsm_token_close(t->tok);
    mh_hsm_module_unload(t->mod);
    memset(t, 0, sizeof *t);
}

static int path_in(char *buf, size_t cap, const char *dir, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= cap) {
        mh_err_set(MH_ERR_INVALID_ARG, "the state directory's path is too long");
        return MH_ERR_INVALID_ARG;
    }
    return 0;
}

/* Opens the appliance token as config.json names it, logs in from
 * pins/user.pin, and finds (or, with create, makes) the key `label` (NULL:
 * the registry key named in config.json). */
static int tok_open(const char *dir, const char *label, bool create, tok *t)
{
    char path[4096], src[4200];
    json_error_t jerr;
    json_t *root = NULL;
    mh_p11_uri uri;
    int ret;

    memset(t, 0, sizeof *t);
    memset(&uri, 0, sizeof uri);
    if ((ret = path_in(path, sizeof path, dir, "softhsm2.conf")) != 0)
        return ret;
    if (access(path, R_OK) == 0 && setenv("SOFTHSM2_CONF", path, 1) != 0)
        return MH_ERR_NOMEM;
    if ((ret = path_in(path, sizeof path, dir, "config.json")) != 0)
        return ret;
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    json_t *tk = root ? json_object_get(root, "token") : NULL;
    const char *turi = json_string_value(json_object_get(tk, "uri"));
    const char *module = json_string_value(json_object_get(tk, "module"));
    const char *reg = json_string_value(json_object_get(tk, "registry_key"));
    if (!turi || !reg) {
        mh_err_set(MH_ERR_PARSE, "%s has no token uri or registry key; run 'mohur init' first",
                   path);
        ret = MH_ERR_PARSE;
        goto out;
    }
    if ((ret = mh_p11_uri_parse(turi, &uri)) != 0)
        goto out;
    if (module && module[0]) {
        free(uri.module_path);
        if (!(uri.module_path = strdup(module))) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
    }
    if ((ret = path_in(path, sizeof path, dir, "pins/user.pin")) != 0)
        goto out;
    snprintf(src, sizeof src, "file:%s", path);
    free(uri.pin_source);
    if (!(uri.pin_source = strdup(src))) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if ((ret = mh_hsm_module_load(&uri, NULL, &t->mod)) != 0 ||
        (ret = mh_hsm_token_open(t->mod, &uri, &t->tok)) != 0 || (ret = mh_hsm_login(t->tok)) != 0)
        goto out;
    mh_p11_uri_free(&uri);
    memset(&uri, 0, sizeof uri);
    if ((ret = mh_p11_uri_parse("pkcs11:type=private", &uri)) != 0)
        goto out;
    if (!(uri.object = strdup(label ? label : reg))) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    ret = mh_hsm_key_find(t->tok, &uri, &t->key);
    if (ret == MH_ERR_KEY_NOT_FOUND && create)
        ret = mh_hsm_key_generate(t->tok, MH_KEY_EC_P256, uri.object, NULL, 0, &t->key);
    if (ret != 0)
        goto out;
    ret = mh_hsm_key_signer(t->key, MH_SIG_AUTO, &t->signer);
out:
    mh_p11_uri_free(&uri);
    json_decref(root);
    if (ret != 0)
        tok_close(t);
    return ret;
}

/* The key's point and receipt-style key id. */
static int tok_point(tok *t, mh_receipt_key *k)
{
    int ret = mh_receipt_key_from_spki(t->signer.spki, t->signer.spki_len, k);
    if (ret == MH_ERR_UNSUPPORTED_ALG || ret == MH_ERR_PARSE)
        ret = mh_err_set(MH_ERR_KEY_TYPE, "the key on the token is not EC P-256");
    return ret;
}

/* Signs payload as a COSE_Sign1 slot image (4-byte length first). */
static int sign_slot(tok *t, const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
                     size_t *len)
{
    mh_receipt_key k;
    size_t n = 0;
    int ret;
    if (cap < 4)
        return MH_ERR_BUFFER_TOO_SMALL;
    if ((ret = tok_point(t, &k)) != 0 ||
        (ret = mh_cose_sign1_make(&t->signer, k.kid, payload, plen, out + 4, cap - 4, &n)) != 0)
        return ret;
    mh_be32_put(out, (uint32_t)n);
    *len = n + 4;
    return 0;
}

/* ---- the trust list ------------------------------------------------------ */

int mh_offline_tl_key(const char *state_dir, bool create, uint8_t point[65])
{
    tok t;
    mh_receipt_key k;
    int ret;
    if (!state_dir || !point)
        return MH_ERR_INVALID_ARG;
    if ((ret = tok_open(state_dir, MH_OFFLINE_TL_KEY_LABEL, create, &t)) != 0)
        return ret;
    if ((ret = tok_point(&t, &k)) == 0)
        memcpy(point, k.point, 65);
    tok_close(&t);
    return ret;
}

static void put_key(mh_cbor_w *w, const char *registry, const char *host, const uint8_t *point,
                    uint64_t nb, uint64_t na)
{
    mh_cbor_put_map(w, 5);
    mh_cbor_put_uint(w, 1);
    mh_cbor_put_text(w, registry, strlen(registry));
    mh_cbor_put_uint(w, 2);
    mh_cbor_put_text(w, host, strlen(host));
    mh_cbor_put_uint(w, 3);
    mh_cbor_put_bytes(w, point, 65);
    mh_cbor_put_uint(w, 4);
    mh_cbor_put_uint(w, nb);
    mh_cbor_put_uint(w, 5);
    mh_cbor_put_uint(w, na);
}

int mh_offline_trustlist(const char *state_dir, const mh_offline_tl_opts *o, uint8_t *out,
                         size_t cap, size_t *len)
{
    uint8_t payload[TL_MAX - 128]; /* the COSE_Sign1 around it fits the slot */
    mh_app *a = NULL;
    tok t;
    mh_receipt_key reg;
    mh_cbor_w w;
    size_t plen;
    int ret;
    uint64_t now = (uint64_t)time(NULL);

    memset(&t, 0, sizeof t);
    if (!state_dir || !o || !out || !len || o->nextra > MH_OFFLINE_EXTRA_MAX)
        return MH_ERR_INVALID_ARG;
    *len = 0;
    size_t nkeys = (o->without_own_key ? 0 : 1) + o->nextra;
    if (nkeys == 0 || nkeys > 16) {
        mh_err_set(MH_ERR_INVALID_ARG, "a trust list lists 1 to 16 registry keys");
        return MH_ERR_INVALID_ARG;
    }
    uint64_t nb = o->not_before, na = o->not_after;
    if (nb == 0 && na == 0)
        na = now + TEN_YEARS; /* every receipt the key made so far, and ten years */
    if (nb > na) {
        mh_err_set(MH_ERR_INVALID_ARG, "the registry key's validity ends before it begins");
        return MH_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < o->nextra; i++) {
        mh_receipt_key k;
        if (o->extra[i].not_before > o->extra[i].not_after ||
            mh_receipt_key_from_point(o->extra[i].point, 65, &k) != 0) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "another registry's key needs a P-256 point and a validity that does "
                       "not end before it begins");
            return MH_ERR_INVALID_ARG;
        }
    }
    if ((ret = mh_app_open_ex(state_dir, MH_APP_READ_ONLY, &a)) != 0)
        return ret;
    if (!o->without_own_key) {
        if ((ret = tok_open(state_dir, NULL, false, &t)) != 0 || (ret = tok_point(&t, &reg)) != 0)
            goto out;
        tok_close(&t);
    }
    mh_cbor_w_init(&w, payload, sizeof payload);
    mh_cbor_put_map(&w, 5);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_text(&w, TL_TYPE, strlen(TL_TYPE));
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_uint(&w, o->seq);
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_uint(&w, now);
    mh_cbor_put_uint(&w, 4);
    mh_cbor_put_uint(&w, o->snapshot_max_age ? o->snapshot_max_age : DEFAULT_MAX_AGE);
    mh_cbor_put_uint(&w, 5);
    mh_cbor_put_array(&w, nkeys);
    if (!o->without_own_key)
        put_key(&w, mh_app_registry_id(a), mh_app_verify_host(a), reg.point, nb, na);
    for (size_t i = 0; i < o->nextra; i++)
        put_key(&w, o->extra[i].registry ? o->extra[i].registry : mh_app_registry_id(a),
                o->extra[i].host ? o->extra[i].host : mh_app_verify_host(a), o->extra[i].point,
                o->extra[i].not_before, o->extra[i].not_after);
    if (mh_cbor_w_finish(&w, &plen) != 0) {
        mh_err_set(MH_ERR_TOO_LARGE, "the trust list is larger than the device's 4 KiB slot");
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    if ((ret = tok_open(state_dir, MH_OFFLINE_TL_KEY_LABEL, false, &t)) != 0) {
        if (ret == MH_ERR_KEY_NOT_FOUND)
            mh_err_set(ret, "there is no trust-list signing key yet; make it with 'mohur offline "
                            "trustlist-key' and burn its point into the firmware image");
        goto out;
    }
    ret = sign_slot(&t, payload, plen, out, cap, len);
out:
    tok_close(&t);
    mh_app_close(a);
    return ret;
}

/* ---- the revocation snapshot --------------------------------------------- */

typedef struct revoked {
    uint64_t index, date;
    unsigned reason;
} revoked;

static int cmp_revoked(const void *x, const void *y)
{
    const revoked *a = x, *b = y;
    return a->index < b->index ? -1 : a->index > b->index;
}

int mh_offline_snapshot(const char *state_dir, uint64_t now, uint8_t *out, size_t cap, size_t *len,
                        mh_offline_snap_info *info)
{
    mh_app *a = NULL;
    tok t;
    revoked *rv = NULL;
    uint8_t *payload = NULL, root[MH_LEDGER_HASH_LEN];
    size_t nrv = 0, plen;
    uint64_t size;
    mh_cbor_w w;
    int ret;

    memset(&t, 0, sizeof t);
    if (!state_dir || !out || !len)
        return MH_ERR_INVALID_ARG;
    *len = 0;
    if (now == 0)
        now = (uint64_t)time(NULL);
    if ((ret = mh_app_open_ex(state_dir, MH_APP_READ_ONLY, &a)) != 0)
        return ret;
    mh_ledger *l = mh_app_ledger(a);
    if ((ret = mh_ledger_size(l, &size, root)) != 0)
        goto out;
    rv = calloc(REVOKED_MAX, sizeof *rv);
    payload = malloc(SNAP_MAX - 128);
    if (!rv || !payload) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    /* every revoke entry of the log, in log order */
    for (uint64_t i = 0; i < size; i++) {
        mh_ledger_entry e;
        if ((ret = mh_ledger_get(l, i, &e)) != 0)
            goto out;
        if (e.type != MH_LEDGER_REVOKE)
            continue;
        if (nrv == REVOKED_MAX) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the ledger has more than %d revocations, more than the device's snapshot "
                       "holds",
                       REVOKED_MAX);
            ret = MH_ERR_TOO_LARGE;
            goto out;
        }
        rv[nrv].index = e.revoked_index;
        rv[nrv].date = e.time;
        rv[nrv].reason = e.reason;
        nrv++;
    }
    qsort(rv, nrv, sizeof *rv, cmp_revoked);
    const char *reg = mh_app_registry_id(a);
    mh_cbor_w_init(&w, payload, SNAP_MAX - 128);
    mh_cbor_put_map(&w, 6);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_text(&w, SNAP_TYPE, strlen(SNAP_TYPE));
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_text(&w, reg, strlen(reg));
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_uint(&w, size);
    mh_cbor_put_uint(&w, 4);
    mh_cbor_put_bytes(&w, root, sizeof root);
    mh_cbor_put_uint(&w, 5);
    mh_cbor_put_uint(&w, now);
    mh_cbor_put_uint(&w, 6);
    mh_cbor_put_array(&w, nrv);
    for (size_t i = 0; i < nrv; i++) {
        mh_cbor_put_array(&w, 3);
        mh_cbor_put_uint(&w, rv[i].index);
        mh_cbor_put_uint(&w, rv[i].date);
        mh_cbor_put_uint(&w, rv[i].reason);
    }
    if (mh_cbor_w_finish(&w, &plen) != 0) {
        mh_err_set(MH_ERR_TOO_LARGE, "the snapshot is larger than the device's 48 KiB slot");
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    if ((ret = tok_open(state_dir, NULL, false, &t)) != 0 ||
        (ret = sign_slot(&t, payload, plen, out, cap, len)) != 0)
        goto out;
    if (info) {
        info->tree_size = size;
        info->made_at = now;
        info->nrevoked = nrv;
    }
out:
    tok_close(&t);
    free(rv);
    free(payload);
    mh_app_close(a);
    return ret;
}
