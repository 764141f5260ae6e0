/* fw_verify.c - one scan's verdict and its screen (mh_fw.h). The order of
 * the checks is the trust model's: the receipt's signature by a key of the
 * trust list (pki's mh_receipt_verify, ES256 through pki/sig), the key's
 * registry and validity, then revocation in the snapshot; a revocation in
 * any snapshot is final, while a missing, stale or too old snapshot gives
 * STALE, never VALID. */
#include <stdio.h>
#include <string.h>

#include "fw_int.h"

static void set_why(mh_fw_result *res, enum mh_fw_verdict v, const char *a, const char *b)
{
    res->verdict = v;
    snprintf(res->why, sizeof res->why, "%s%s", a, b ? b : "");
}

static bool span_eq(mh_receipt_str a, mh_receipt_str b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Host names compare without regard to ASCII case (the QR is upper case). */
static bool host_eq(mh_receipt_str a, mh_receipt_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++) {
        char x = a.ptr[i], y = b.ptr[i];
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 32);
        if (y >= 'a' && y <= 'z')
            y = (char)(y - 32);
        if (x != y)
            return false;
    }
    return true;
}

void mh_fw_verify_line(const mh_fw_state *st, const char *line, size_t len, uint8_t *buf,
                       size_t cap, mh_fw_result *res)
{
    size_t rl = 0;
    int ret;

    memset(res, 0, sizeof *res);
    res->verdict = MH_FW_MALFORMED;
    ret = mh_fw_line_parse(line, len, &res->host, buf, cap, &rl);
    if (ret != 0) {
        set_why(res, MH_FW_MALFORMED, mh_err_message(ret), NULL);
        return;
    }
    if (!st->trust) {
        /* decode for the screen, but nothing can be trusted */
        if ((ret = mh_receipt_decode(buf, rl, &res->r)) != 0) {
            set_why(res, MH_FW_MALFORMED, mh_err_message(ret), NULL);
            return;
        }
        res->decoded = true;
        set_why(res, MH_FW_UNKNOWN_KEY, "no trust list: ", st->trust_why);
        return;
    }
    ret = mh_receipt_verify(buf, rl, st->trust->keys, st->trust->nkeys, &res->r);
    if (ret == MH_ERR_NOT_FOUND) {
        res->decoded = true;
        set_why(res, MH_FW_UNKNOWN_KEY,
                "signed by a key that is not in the trust list (another registry, or a "
                "newer key: update the trust list)",
                "");
        return;
    }
    if (ret == MH_ERR_VERIFY_FAILED) {
        res->decoded = true;
        set_why(res, MH_FW_FORGED,
                "the registry's signature does not match the receipt: it was altered or "
                "forged",
                NULL);
        return;
    }
    if (ret == MH_ERR_NOMEM) {
        set_why(res, MH_FW_FAULT, "the device ran out of memory verifying", NULL);
        return;
    }
    if (ret != 0) {
        set_why(res, MH_FW_MALFORMED, mh_err_message(ret), NULL);
        return;
    }
    res->decoded = true;
    const mh_fw_tl_key *k = &st->trust->meta[res->r.key_index];
    const mh_receipt_claims *c = &res->r.claims;
    res->key = k;
    res->host_mismatch = !host_eq(res->host, k->host);
    /* the receipt signs the host its QR opens: a genuine receipt reprinted
     * under another address is the phishing case, never valid */
    if (!mh_receipt_host_matches(c, &res->host)) {
        res->host_mismatch = true;
        set_why(res, MH_FW_FORGED,
                "WRONG SITE: the QR names another site than the receipt was issued for", NULL);
        return;
    }
    if (!span_eq(c->registry, k->registry)) {
        set_why(res, MH_FW_UNKNOWN_KEY,
                "the receipt names another registry than the trust list gives its key", NULL);
        return;
    }
    if (c->issued_at < k->not_before || c->issued_at > k->not_after) {
        set_why(res, MH_FW_KEY_VALIDITY,
                "the receipt was signed outside the registry key's validity period", NULL);
        return;
    }
    /* revocation: a revocation in any snapshot of this registry is final */
    const mh_fw_snapshot *s = st->snap;
    if (!s) {
        set_why(res, MH_FW_STALE, "revocation not checked: ", st->snap_why);
        return;
    }
    if (!span_eq(s->registry, c->registry)) {
        set_why(res, MH_FW_STALE, "revocation not checked: the snapshot is for another registry",
                NULL);
        return;
    }
    bool revoked = false;
    if (c->log_index < s->tree_size &&
        mh_fw_snapshot_find(s, c->log_index, &revoked, &res->revoked_at, &res->reason) != 0) {
        set_why(res, MH_FW_FAULT, "the snapshot could not be read", NULL);
        return;
    }
    if (revoked) {
        set_why(res, MH_FW_REVOKED, mh_fw_reason_name(res->reason), NULL);
        return;
    }
    if (c->log_index >= s->tree_size) {
        set_why(res, MH_FW_STALE, "revocation not checked: the document is newer than the snapshot",
                NULL);
        return;
    }
    if (st->now < s->made_at) {
        set_why(res, MH_FW_STALE,
                "revocation not checked: the device's clock is before the snapshot was made "
                "(set the clock)",
                NULL);
        return;
    }
    if (st->now - s->made_at > st->trust->snapshot_max_age) {
        set_why(res, MH_FW_STALE,
                "revocation not checked: the snapshot is older than the trust list allows", NULL);
        return;
    }
    set_why(res, MH_FW_VALID, "signed by the registry, not revoked as of the snapshot", NULL);
}

const char *mh_fw_verdict_name(enum mh_fw_verdict v)
{
    switch (v) {
    case MH_FW_VALID:
        return "VALID";
    case MH_FW_FORGED:
        return "FORGED";
    case MH_FW_REVOKED:
        return "REVOKED";
    case MH_FW_UNKNOWN_KEY:
        return "UNKNOWN REGISTRY KEY";
    case MH_FW_KEY_VALIDITY:
        return "KEY OUTSIDE ITS VALIDITY";
    case MH_FW_MALFORMED:
        return "MALFORMED";
    case MH_FW_STALE:
        return "SNAPSHOT STALE";
    default:
        return "DEVICE FAULT";
    }
}

const char *mh_fw_reason_name(unsigned reason)
{
    static const char *const names[] = {
        "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
        "superseded",    "cessationOfOperation", "certificateHold", "(unused)",
        "removeFromCRL", "privilegeWithdrawn",   "aACompromise"};
    return reason < sizeof names / sizeof names[0] ? names[reason] : "unknown reason";
}

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian), by
 * 400-year eras of 146097 days, March-based years so the leap day ends a
 * year. */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468; /* 0000-03-01 to 1970-01-01 */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void mh_fw_format_time(uint64_t t, char *buf, size_t cap)
{
    int64_t y;
    unsigned mo, d;
    if (t > (uint64_t)253402300799) { /* after 9999-12-31 */
        snprintf(buf, cap, "(far future)");
        return;
    }
    civil((int64_t)(t / 86400), &y, &mo, &d);
    unsigned sec = (unsigned)(t % 86400);
    snprintf(buf, cap, "%04d-%02u-%02u %02u:%02u UTC", (int)y, mo, d, sec / 3600, sec / 60 % 60);
}

static void line_of(mh_fw_print_fn out, void *ctx, const char *a, mh_receipt_str v)
{
    char l[280];
    snprintf(l, sizeof l, "%s%.*s", a, (int)(v.len > 200 ? 200 : v.len), v.ptr);
    out(ctx, l);
}

void mh_fw_render(const mh_fw_state *st, const mh_fw_result *res, mh_fw_print_fn out, void *ctx)
{
    char l[300], t[32];
    const mh_receipt_claims *c = &res->r.claims;

    if (res->verdict == MH_FW_REVOKED) {
        mh_fw_format_time(res->revoked_at, t, sizeof t);
        snprintf(l, sizeof l, "VERDICT: REVOKED (%s, %s)", mh_fw_reason_name(res->reason), t);
    } else {
        snprintf(l, sizeof l, "VERDICT: %s", mh_fw_verdict_name(res->verdict));
    }
    out(ctx, l);
    snprintf(l, sizeof l, "why: %s", res->why);
    out(ctx, l);
    if (res->decoded) {
        /* what the receipt claims; said to be unverified unless it verified */
        if (!res->r.verified)
            out(ctx, "the receipt claims (NOT verified):");
        line_of(out, ctx, "registry: ", c->registry);
        snprintf(l, sizeof l, "log index: %llu", (unsigned long long)c->log_index);
        out(ctx, l);
        line_of(out, ctx, "issuer: ", c->issuer);
        line_of(out, ctx, "kind: ", c->kind);
        mh_fw_format_time(c->issued_at, t, sizeof t);
        snprintf(l, sizeof l, "issued: %s", t);
        out(ctx, l);
        for (size_t i = 0; i < c->nfields; i++) {
            snprintf(l, sizeof l, "%.*s: %.*s", (int)c->fields[i].key.len, c->fields[i].key.ptr,
                     (int)c->fields[i].value.len, c->fields[i].value.ptr);
            out(ctx, l);
        }
    }
    if (res->host.len)
        line_of(out, ctx, "QR host: ", res->host);
    if (res->key && res->host_mismatch)
        line_of(out, ctx,
                "WARNING: the QR names another host than the registry's: ", res->key->host);
    if (st->snap) {
        mh_fw_format_time(st->snap->made_at, t, sizeof t);
        snprintf(l, sizeof l, "revocation snapshot: %s, %llu entries%s", t,
                 (unsigned long long)st->snap->tree_size,
                 st->trust && st->now >= st->snap->made_at &&
                         st->now - st->snap->made_at <= st->trust->snapshot_max_age
                     ? ""
                     : " (STALE)");
        out(ctx, l);
    }
}
