/* cbor_read.c - strict CBOR reader: shortest-form heads only, definite
 * lengths, bounds-checked, depth-capped. See pki_cbor.h. */
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

void mh_cbor_r_init(mh_cbor_r *r, const uint8_t *buf, size_t len)
{
    r->p = buf;
    r->end = buf ? buf + len : buf;
    r->failed = (buf == NULL && len != 0);
}

bool mh_cbor_r_done(const mh_cbor_r *r)
{
    return !r->failed && r->p == r->end;
}

bool mh_cbor_r_empty(const mh_cbor_r *r)
{
    return r->failed || r->p == r->end;
}

static int fail(mh_cbor_r *r)
{
    r->failed = true;
    return MH_ERR_PARSE;
}

int mh_cbor_peek(const mh_cbor_r *r)
{
    if (r->failed || r->p == r->end)
        return -1;
    return r->p[0] >> 5;
}

int mh_cbor_next(mh_cbor_r *r, mh_cbor_item *it)
{
    uint8_t ib, ai;
    uint64_t v = 0;
    size_t n;

    memset(it, 0, sizeof *it);
    if (r->failed || r->p == r->end)
        return fail(r);
    it->raw = r->p;
    ib = *r->p++;
    it->major = (uint8_t)(ib >> 5);
    ai = ib & 0x1f;
    if (ai < 24) {
        v = ai;
    } else if (ai <= 27) {
        n = (size_t)1 << (ai - 24);
        if ((size_t)(r->end - r->p) < n)
            return fail(r);
        for (size_t i = 0; i < n; i++)
            v = (v << 8) | r->p[i];
        r->p += n;
        /* shortest form only (RFC 8949 4.2.1); major type 7 with ai 25-27
         * is a float, refused below */
        if (it->major != MH_CBOR_SIMPLE) {
            if ((ai == 24 && v < 24) || (ai == 25 && v <= 0xff) || (ai == 26 && v <= 0xffff) ||
                (ai == 27 && v <= 0xffffffffu))
                return fail(r);
        }
    } else {
        /* 28-30 reserved; 31 indefinite length or "break" */
        return fail(r);
    }
    it->val = v;
    switch (it->major) {
    case MH_CBOR_BYTES:
    case MH_CBOR_TEXT:
        if (v > (uint64_t)(r->end - r->p))
            return fail(r);
        it->ptr = r->p;
        r->p += (size_t)v;
        break;
    case MH_CBOR_SIMPLE:
        /* no floats, no one-byte simple values, only false/true/null/undefined */
        if (ai >= 24 || v < MH_CBOR_FALSE || v > MH_CBOR_UNDEFINED)
            return fail(r);
        break;
    default:
        break;
    }
    return MH_OK;
}

static int expect(mh_cbor_r *r, uint8_t major, mh_cbor_item *it)
{
    if (mh_cbor_next(r, it))
        return MH_ERR_PARSE;
    if (it->major != major)
        return fail(r);
    return MH_OK;
}

int mh_cbor_get_uint(mh_cbor_r *r, uint64_t *v)
{
    mh_cbor_item it;
    if (expect(r, MH_CBOR_UINT, &it))
        return MH_ERR_PARSE;
    *v = it.val;
    return MH_OK;
}

int mh_cbor_get_int(mh_cbor_r *r, int64_t *v)
{
    mh_cbor_item it;
    if (mh_cbor_next(r, &it))
        return MH_ERR_PARSE;
    if (it.val > (uint64_t)INT64_MAX)
        return fail(r);
    if (it.major == MH_CBOR_UINT)
        *v = (int64_t)it.val;
    else if (it.major == MH_CBOR_NEGINT)
        *v = -1 - (int64_t)it.val;
    else
        return fail(r);
    return MH_OK;
}

int mh_cbor_get_bytes(mh_cbor_r *r, const uint8_t **p, size_t *len)
{
    mh_cbor_item it;
    if (expect(r, MH_CBOR_BYTES, &it))
        return MH_ERR_PARSE;
    *p = it.ptr;
    *len = (size_t)it.val;
    return MH_OK;
}

int mh_cbor_get_text(mh_cbor_r *r, const char **s, size_t *len)
{
    mh_cbor_item it;
    if (expect(r, MH_CBOR_TEXT, &it))
        return MH_ERR_PARSE;
    if (!mh_utf8_valid(it.ptr, (size_t)it.val))
        return fail(r);
    *s = (const char *)it.ptr;
    *len = (size_t)it.val;
    return MH_OK;
}

int mh_cbor_get_array(mh_cbor_r *r, uint64_t *n)
{
    mh_cbor_item it;
    if (expect(r, MH_CBOR_ARRAY, &it))
        return MH_ERR_PARSE;
    *n = it.val;
    return MH_OK;
}

int mh_cbor_get_map(mh_cbor_r *r, uint64_t *n)
{
    mh_cbor_item it;
    if (expect(r, MH_CBOR_MAP, &it))
        return MH_ERR_PARSE;
    *n = it.val;
    return MH_OK;
}

int mh_cbor_get_tag(mh_cbor_r *r, uint64_t *tag)
{
    mh_cbor_item it;
    if (expect(r, MH_CBOR_TAG, &it))
        return MH_ERR_PARSE;
    *tag = it.val;
    return MH_OK;
}

int mh_cbor_get_bool(mh_cbor_r *r, bool *v)
{
    mh_cbor_item it;
    if (expect(r, MH_CBOR_SIMPLE, &it))
        return MH_ERR_PARSE;
    if (it.val != MH_CBOR_FALSE && it.val != MH_CBOR_TRUE)
        return fail(r);
    *v = it.val == MH_CBOR_TRUE;
    return MH_OK;
}

int mh_cbor_get_null(mh_cbor_r *r)
{
    mh_cbor_item it;
    if (expect(r, MH_CBOR_SIMPLE, &it))
        return MH_ERR_PARSE;
    if (it.val != MH_CBOR_NULL)
        return fail(r);
    return MH_OK;
}

/* Walks one item. Without recursion depth limits a hostile input of nested
 * arrays could exhaust the stack; the cap bounds it. `det` checks map key
 * order; `utf8` checks text. */
static int walk(mh_cbor_r *r, unsigned depth, unsigned max_depth, bool det, bool utf8)
{
    mh_cbor_item it;
    if (mh_cbor_next(r, &it))
        return MH_ERR_PARSE;
    switch (it.major) {
    case MH_CBOR_TEXT:
        if (utf8 && !mh_utf8_valid(it.ptr, (size_t)it.val))
            return fail(r);
        return MH_OK;
    case MH_CBOR_ARRAY:
    case MH_CBOR_MAP:
    case MH_CBOR_TAG: {
        uint64_t count = it.val;
        bool is_map = it.major == MH_CBOR_MAP;
        const uint8_t *prev = NULL;
        size_t prev_len = 0;
        if (depth + 1 > max_depth)
            return fail(r);
        if (it.major == MH_CBOR_TAG)
            count = 1;
        /* each item takes at least one byte: a count beyond what is left is
         * hostile, and refusing it early bounds the loop */
        if (count > (uint64_t)(r->end - r->p))
            return fail(r);
        for (uint64_t i = 0; i < count; i++) {
            const uint8_t *k = r->p;
            if (walk(r, depth + 1, max_depth, det, utf8))
                return MH_ERR_PARSE;
            if (is_map) {
                size_t klen = (size_t)(r->p - k);
                if (det && prev) {
                    /* bytewise lexicographic order of the encoded keys */
                    size_t m = prev_len < klen ? prev_len : klen;
                    int c = memcmp(prev, k, m);
                    if (c > 0 || (c == 0 && prev_len >= klen))
                        return fail(r);
                }
                prev = k;
                prev_len = klen;
                if (walk(r, depth + 1, max_depth, det, utf8))
                    return MH_ERR_PARSE;
            }
        }
        return MH_OK;
    }
    default:
        return MH_OK;
    }
}

int mh_cbor_skip(mh_cbor_r *r)
{
    return walk(r, 0, MH_CBOR_MAX_DEPTH, false, false);
}

int mh_cbor_check(const uint8_t *buf, size_t len, unsigned max_depth, unsigned flags)
{
    mh_cbor_r r;
    if (max_depth == 0 || max_depth > MH_CBOR_MAX_DEPTH)
        max_depth = MH_CBOR_MAX_DEPTH;
    mh_cbor_r_init(&r, buf, len);
    if (walk(&r, 0, max_depth, (flags & MH_CBOR_DETERMINISTIC) != 0, true)) {
        mh_err_set(MH_ERR_PARSE,
                   "the CBOR data is malformed or not in deterministic encoding (at byte %zu "
                   "of %zu)",
                   r.p && buf ? (size_t)(r.p - buf) : 0, len);
        return MH_ERR_PARSE;
    }
    if (!mh_cbor_r_done(&r)) {
        mh_err_set(MH_ERR_PARSE, "the CBOR data has %zu unexpected bytes after its end",
                   (size_t)(r.end - r.p));
        return MH_ERR_PARSE;
    }
    return MH_OK;
}
