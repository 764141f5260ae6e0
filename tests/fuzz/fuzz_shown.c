/* fuzz_shown.c - what `mohur sign --key` checks of a 202 from mohurd and of
 * what comes back (host/app/extcheck.c: mh_app_shown_check,
 * mh_app_made_check), given by a mohurd that may lie: nothing is read
 * outside the document, the appended bytes or the attributes, whatever the
 * byte range and lengths say. The target makes the signed attributes
 * consistent with the content it was given (unless the input says not
 * to), so the range and placeholder checks are reached, not only the
 * digest comparison.
 *
 * Input: flags (1 byte: 1 a byte range, 2 a wrong digest, 4 a signing
 * time, 8 a wrong message-digest), the range (4 x 16-bit), the document's
 * length (16-bit) and document_length's difference from it (8-bit), the
 * document, then the appended bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_app_ext.h"
#include "mh_hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t oid_ct[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
static const uint8_t oid_md[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
static const uint8_t oid_st[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};

static void attr(mh_derw *w, const uint8_t *oid, size_t oid_len, const uint8_t *val, size_t len)
{
    uint8_t *end = w->p;
    uint8_t *v = w->p;
    mh_derw_raw(w, val, len);
    mh_derw_wrap(w, MH_DER_SET, v);
    mh_derw_tlv(w, MH_DER_OID, oid, oid_len);
    mh_derw_wrap(w, MH_DER_SEQUENCE, end);
}

/* The DER SET of content-type, message-digest and signing-time (written
 * backwards: the last in DER order first). */
static size_t sattrs(uint8_t *buf, size_t cap, const uint8_t md[32], bool with_time)
{
    mh_derw w;
    uint8_t v[64];
    mh_derw_init(&w, buf, cap);
    uint8_t *end = w.p;
    /* DER order of the SET OF: content-type, signing-time, message-digest
     * (their encodings sort so) */
    uint8_t ostr[34] = {MH_DER_OCTET_STRING, 32};
    memcpy(ostr + 2, md, 32);
    attr(&w, oid_md, sizeof oid_md, ostr, sizeof ostr);
    if (with_time) {
        mh_derw vw;
        mh_derw_init(&vw, v, sizeof v);
        uint8_t *ve = vw.p;
        mh_derw_time(&vw, (int64_t)time(NULL), false);
        attr(&w, oid_st, sizeof oid_st, vw.p, mh_derw_len(&vw, ve));
    }
    uint8_t ct[11] = {MH_DER_OID, 9};
    memcpy(ct + 2, mh_oid_id_data, 9);
    attr(&w, oid_ct, sizeof oid_ct, ct, sizeof ct);
    mh_derw_wrap(&w, MH_DER_SET, end);
    if (w.failed)
        return 0;
    size_t n = mh_derw_len(&w, end);
    memmove(buf, w.p, n);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12)
        return 0;
    uint8_t flags = data[0];
    mh_app_shown t;
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < 4; i++)
        t.range[i] = (uint64_t)data[1 + 2 * i] << 8 | data[2 + 2 * i];
    size_t doc_len = (size_t)data[9] << 8 | data[10];
    size_t less = data[11];
    data += 12;
    size -= 12;
    if (doc_len > size)
        doc_len = size;
    t.doc = data;
    t.doc_len = doc_len;
    t.doc_prefix = less > doc_len ? 0 : doc_len - less;
    t.appended = data + doc_len;
    t.appended_len = size - doc_len;
    t.has_range = flags & 1;
    t.md = MBEDTLS_MD_SHA256;
    /* the message-digest a consistent mohurd would put in */
    uint8_t md[32], dig[32], sa[256];
    if (t.has_range) {
        uint64_t total = t.doc_prefix + t.appended_len;
        const uint64_t *r = t.range;
        bool sane = r[1] >= t.doc_prefix && r[1] <= total && r[2] <= total && r[3] <= total - r[2];
        const uint8_t *part[3] = {t.doc, t.appended,
                                  sane ? t.appended + (r[2] - t.doc_prefix) : t.appended};
        size_t len[3] = {t.doc_prefix, sane ? (size_t)(r[1] - t.doc_prefix) : 0,
                         sane && r[2] >= t.doc_prefix ? (size_t)r[3] : 0};
        (void)mh_hash_sha256_parts(part, len, 3, md);
    } else {
        (void)mh_hash_sha256(t.doc, t.doc_len, md);
    }
    if (flags & 8)
        md[0] ^= 1;
    size_t sl = sattrs(sa, sizeof sa, md, flags & 4);
    (void)mh_hash_sha256(sa, sl, dig);
    if (flags & 2)
        dig[31] ^= 1;
    t.sattrs = sa;
    t.sattrs_len = sl;
    t.digest = dig;
    t.digest_len = 32;
    int rc = mh_app_shown_check(&t);
    mh_err_clear();
    if (rc == 0) {
        /* what came back: the content as shown (no signature in it) */
        size_t n = t.doc_prefix + t.appended_len;
        uint8_t *made = malloc(n ? n : 1);
        if (made) {
            memcpy(made, t.doc, t.doc_prefix);
            memcpy(made + t.doc_prefix, t.appended, t.appended_len);
            if (mh_app_made_check(&t, made, n, t.doc, t.doc_len) == 0)
                abort(); /* no signature: never accepted */
            mh_err_clear();
            free(made);
        }
    }
    return 0;
}
