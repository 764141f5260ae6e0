/* entry.c - the canonical encoding of ledger entries: a deterministic CBOR
 * map with small unsigned keys in ascending order (docs/ledger.md). */
#include <string.h>

#include "mh_ledger.h"
#include "mh_pki.h"

/* Map keys. */
enum {
    K_TYPE = 0,
    K_ID = 1,
    K_KIND = 2,
    K_ISSUER = 3,
    K_DIGEST = 4,
    K_LENGTH = 5,
    K_SIGNER = 6,
    K_TIME = 7,
    K_REASON = 8,
    K_REVOKED = 9,
    K_CLAIMS = 10,
    K_REQUESTER = 11, /* optional: who asked (mohurd) */
};

const char *mh_ledger_type_name(enum mh_ledger_type t)
{
    switch (t) {
    case MH_LEDGER_ISSUE:
        return "issue";
    case MH_LEDGER_REVOKE:
        return "revoke";
    case MH_LEDGER_VOID:
        return "void";
    }
    return "?";
}

static int check_text(const char *s, size_t cap, const char *what, bool required)
{
    size_t n = strnlen(s, cap + 1);
    if (n > cap) {
        mh_err_set(MH_ERR_TOO_LARGE, "the entry's %s is longer than %zu bytes", what, cap);
        return MH_ERR_TOO_LARGE;
    }
    if (required && n == 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "the entry has no %s", what);
        return MH_ERR_INVALID_ARG;
    }
    if (!mh_utf8_valid((const uint8_t *)s, n)) {
        mh_err_set(MH_ERR_INVALID_ARG, "the entry's %s is not valid UTF-8", what);
        return MH_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            mh_err_set(MH_ERR_INVALID_ARG, "the entry's %s contains a control character", what);
            return MH_ERR_INVALID_ARG;
        }
    }
    return MH_OK;
}

static int check_entry(const mh_ledger_entry *e)
{
    int rc;
    if (e->type != MH_LEDGER_ISSUE && e->type != MH_LEDGER_REVOKE && e->type != MH_LEDGER_VOID) {
        mh_err_set(MH_ERR_INVALID_ARG, "the entry's type is neither issue, revoke nor void");
        return MH_ERR_INVALID_ARG;
    }
    if ((rc = check_text(e->doc_id, MH_LEDGER_ID_MAX, "document id", true)) ||
        (rc = check_text(e->issuer, MH_LEDGER_ISSUER_MAX, "issuer", true)) ||
        (rc = check_text(e->kind, MH_LEDGER_KIND_MAX, "kind", e->type == MH_LEDGER_ISSUE)) ||
        (rc = check_text(e->requester, MH_LEDGER_REQUESTER_MAX, "requester", false)))
        return rc;
    if (e->type != MH_LEDGER_ISSUE && e->has_claims) {
        mh_err_set(MH_ERR_INVALID_ARG, "only an issue entry carries a claims digest");
        return MH_ERR_INVALID_ARG;
    }
    if (e->type == MH_LEDGER_VOID && (e->kind[0] || e->reason)) {
        mh_err_set(MH_ERR_INVALID_ARG, "a void entry carries no kind and no reason");
        return MH_ERR_INVALID_ARG;
    }
    if (e->type == MH_LEDGER_REVOKE) {
        if (e->kind[0]) {
            mh_err_set(MH_ERR_INVALID_ARG, "a revoke entry carries no kind");
            return MH_ERR_INVALID_ARG;
        }
        if (e->reason > 10 || e->reason == 7) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "revocation reason %u is not an RFC 5280 CRLReason (0-6, 8-10)", e->reason);
            return MH_ERR_INVALID_ARG;
        }
    }
    return MH_OK;
}

int mh_ledger_entry_encode(const mh_ledger_entry *e, uint8_t *buf, size_t cap, size_t *len)
{
    mh_cbor_w w;
    int rc = check_entry(e);
    if (rc)
        return rc;
    mh_cbor_w_init(&w, buf, cap);
    if (e->type == MH_LEDGER_ISSUE) {
        mh_cbor_put_map(&w, (e->has_claims ? 9u : 8u) + (e->requester[0] ? 1u : 0u));
        mh_cbor_put_uint(&w, K_TYPE);
        mh_cbor_put_uint(&w, MH_LEDGER_ISSUE);
        mh_cbor_put_uint(&w, K_ID);
        mh_cbor_put_text(&w, e->doc_id, strlen(e->doc_id));
        mh_cbor_put_uint(&w, K_KIND);
        mh_cbor_put_text(&w, e->kind, strlen(e->kind));
        mh_cbor_put_uint(&w, K_ISSUER);
        mh_cbor_put_text(&w, e->issuer, strlen(e->issuer));
        mh_cbor_put_uint(&w, K_DIGEST);
        mh_cbor_put_bytes(&w, e->digest, MH_LEDGER_HASH_LEN);
        mh_cbor_put_uint(&w, K_LENGTH);
        mh_cbor_put_uint(&w, e->doc_len);
        mh_cbor_put_uint(&w, K_SIGNER);
        mh_cbor_put_bytes(&w, e->signer_fp, MH_LEDGER_HASH_LEN);
        mh_cbor_put_uint(&w, K_TIME);
        mh_cbor_put_uint(&w, e->time);
        if (e->has_claims) {
            mh_cbor_put_uint(&w, K_CLAIMS);
            mh_cbor_put_bytes(&w, e->claims, MH_LEDGER_HASH_LEN);
        }
    } else if (e->type == MH_LEDGER_VOID) {
        mh_cbor_put_map(&w, 6u + (e->requester[0] ? 1u : 0u));
        mh_cbor_put_uint(&w, K_TYPE);
        mh_cbor_put_uint(&w, MH_LEDGER_VOID);
        mh_cbor_put_uint(&w, K_ID);
        mh_cbor_put_text(&w, e->doc_id, strlen(e->doc_id));
        mh_cbor_put_uint(&w, K_ISSUER);
        mh_cbor_put_text(&w, e->issuer, strlen(e->issuer));
        mh_cbor_put_uint(&w, K_SIGNER);
        mh_cbor_put_bytes(&w, e->signer_fp, MH_LEDGER_HASH_LEN);
        mh_cbor_put_uint(&w, K_TIME);
        mh_cbor_put_uint(&w, e->time);
        mh_cbor_put_uint(&w, K_REVOKED);
        mh_cbor_put_uint(&w, e->revoked_index);
    } else {
        mh_cbor_put_map(&w, 7u + (e->requester[0] ? 1u : 0u));
        mh_cbor_put_uint(&w, K_TYPE);
        mh_cbor_put_uint(&w, MH_LEDGER_REVOKE);
        mh_cbor_put_uint(&w, K_ID);
        mh_cbor_put_text(&w, e->doc_id, strlen(e->doc_id));
        mh_cbor_put_uint(&w, K_ISSUER);
        mh_cbor_put_text(&w, e->issuer, strlen(e->issuer));
        mh_cbor_put_uint(&w, K_SIGNER);
        mh_cbor_put_bytes(&w, e->signer_fp, MH_LEDGER_HASH_LEN);
        mh_cbor_put_uint(&w, K_TIME);
        mh_cbor_put_uint(&w, e->time);
        mh_cbor_put_uint(&w, K_REASON);
        mh_cbor_put_uint(&w, e->reason);
        mh_cbor_put_uint(&w, K_REVOKED);
        mh_cbor_put_uint(&w, e->revoked_index);
    }
    if (e->requester[0]) { /* the highest key: last in every type */
        mh_cbor_put_uint(&w, K_REQUESTER);
        mh_cbor_put_text(&w, e->requester, strlen(e->requester));
    }
    if (mh_cbor_w_finish(&w, len)) {
        mh_err_set(MH_ERR_BUFFER_TOO_SMALL, "the encoded entry does not fit in %zu bytes", cap);
        return MH_ERR_BUFFER_TOO_SMALL;
    }
    return MH_OK;
}

static int get_text(mh_cbor_r *r, char *out, size_t cap)
{
    const char *s;
    size_t n;
    if (mh_cbor_get_text(r, &s, &n) || n >= cap || memchr(s, 0, n))
        return MH_ERR_PARSE;
    memcpy(out, s, n);
    out[n] = 0;
    return MH_OK;
}

static int get_hash(mh_cbor_r *r, uint8_t out[MH_LEDGER_HASH_LEN])
{
    const uint8_t *p;
    size_t n;
    if (mh_cbor_get_bytes(r, &p, &n) || n != MH_LEDGER_HASH_LEN)
        return MH_ERR_PARSE;
    memcpy(out, p, n);
    return MH_OK;
}

int mh_ledger_entry_decode(const uint8_t *buf, size_t len, mh_ledger_entry *e)
{
    mh_cbor_r r;
    uint64_t n, key, v;
    int ret = MH_ERR_PARSE;
    uint8_t again[MH_LEDGER_ENTRY_MAX];
    size_t alen;

    memset(e, 0, sizeof *e);
    if (len > MH_LEDGER_ENTRY_MAX)
        goto out;
    mh_cbor_r_init(&r, buf, len);
    if (mh_cbor_get_map(&r, &n) || n < 6 || n > 10)
        goto out;
    for (uint64_t i = 0; i < n; i++) {
        if (mh_cbor_get_uint(&r, &key))
            goto out;
        switch (key) {
        case K_TYPE:
            if (mh_cbor_get_uint(&r, &v) ||
                (v != MH_LEDGER_ISSUE && v != MH_LEDGER_REVOKE && v != MH_LEDGER_VOID))
                goto out;
            e->type = (enum mh_ledger_type)v;
            break;
        case K_ID:
            if (get_text(&r, e->doc_id, sizeof e->doc_id))
                goto out;
            break;
        case K_KIND:
            if (get_text(&r, e->kind, sizeof e->kind))
                goto out;
            break;
        case K_ISSUER:
            if (get_text(&r, e->issuer, sizeof e->issuer))
                goto out;
            break;
        case K_DIGEST:
            if (get_hash(&r, e->digest))
                goto out;
            break;
        case K_SIGNER:
            if (get_hash(&r, e->signer_fp))
                goto out;
            break;
        case K_LENGTH:
            if (mh_cbor_get_uint(&r, &e->doc_len))
                goto out;
            break;
        case K_TIME:
            if (mh_cbor_get_uint(&r, &e->time))
                goto out;
            break;
        case K_REASON:
            if (mh_cbor_get_uint(&r, &v) || v > 10)
                goto out;
            e->reason = (unsigned)v;
            break;
        case K_REVOKED:
            if (mh_cbor_get_uint(&r, &e->revoked_index))
                goto out;
            break;
        case K_CLAIMS:
            if (get_hash(&r, e->claims))
                goto out;
            e->has_claims = true;
            break;
        case K_REQUESTER:
            if (get_text(&r, e->requester, sizeof e->requester) || !e->requester[0])
                goto out;
            break;
        default:
            goto out;
        }
    }
    if (!mh_cbor_r_done(&r))
        goto out;
    /* Canonical means: encoding what we read gives the same bytes (key
     * order, no missing or duplicate keys, shortest forms). */
    if (mh_ledger_entry_encode(e, again, sizeof again, &alen) || alen != len ||
        memcmp(again, buf, len) != 0)
        goto out;
    ret = MH_OK;
out:
    if (ret) {
        mh_err_set(ret, "the ledger entry is malformed or not in its canonical encoding");
        memset(e, 0, sizeof *e);
    }
    return ret;
}
