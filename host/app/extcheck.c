/*
 * extcheck.c - what a key outside the appliance checks before it signs a
 * digest mohurd asks for (mh_app_ext.h): the digest is the hash of the
 * signed attributes shown, and their message-digest is the hash of the
 * document the client sent (CAdES) or of the byte range of that document
 * with mohurd's update appended (PAdES). A mohurd that asks for anything
 * else gets no signature.
 */
#include "mh_app_ext.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_hash.h"

static int differs(const char *what)
{
    return mh_err_set(MH_ERR_VERIFY_FAILED,
                      "mohurd asked the key to sign something other than the document sent (%s): "
                      "nothing was signed",
                      what);
}

/* The prepared content is doc[0:prefix] || appended; byte at offset i. */
static int content_at(const mh_app_shown *t, uint64_t i)
{
    if (i < t->doc_prefix)
        return t->doc[i];
    return t->appended[i - t->doc_prefix];
}

/* The PDF's byte range: starts at 0, holds the whole document sent, skips
 * only the placeholder <...> and ends at the end of the content. */
static int range_check(const mh_app_shown *t, uint64_t total)
{
    const uint64_t *r = t->range;
    if (r[0] != 0 || r[1] < t->doc_prefix || r[1] >= r[2] || r[2] > total || r[3] > total ||
        r[2] + r[3] != total || r[2] - r[1] < 2)
        return differs("the byte range does not cover the document and the update");
    if (content_at(t, r[1]) != '<' || content_at(t, r[2] - 1) != '>')
        return differs("the byte range does not skip exactly the signature's placeholder");
    for (uint64_t i = r[1] + 1; i + 1 < r[2]; i++) {
        int c = content_at(t, i);
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return differs("the signature's placeholder holds more than hex digits");
    }
    return MH_OK;
}

/* SHA-256 of the byte range, read from the two parts. */
static int range_digest(const mh_app_shown *t, uint8_t out[32])
{
    const uint64_t *r = t->range;
    size_t tail = (size_t)(r[1] - t->doc_prefix);
    const uint8_t *part[3] = {t->doc, t->appended, t->appended + (r[2] - t->doc_prefix)};
    size_t len[3] = {t->doc_prefix, tail, (size_t)r[3]};
    return mh_hash_sha256_parts(part, len, 3, out);
}

int mh_app_shown_check(const mh_app_shown *t)
{
    uint8_t h[64], c[64];
    size_t hl = 0, cl = 0;
    mh_cms_sattrs_info si;
    size_t ds = mh_hash_md_size(t->md);
    if (!ds || t->digest_len != ds || !t->sattrs || !t->doc)
        return differs("no digest, signed attributes or document to compare");
    if (mh_cms_signed_attrs_read(t->sattrs, t->sattrs_len, &si) != 0) {
        mh_err_clear();
        return differs("its signed attributes cannot be read");
    }
    if (mh_hash_md(t->md, t->sattrs, t->sattrs_len, h, sizeof h, &hl) != 0 ||
        memcmp(h, t->digest, ds) != 0)
        return differs("the digest is not that of the signed attributes shown");
    if (!si.content_is_data || si.message_digest_len != ds)
        return differs("the signed attributes are not those of a document signature");
    if (si.has_signing_time) {
        int64_t now = t->now ? t->now : (int64_t)time(NULL);
        int64_t d = si.signing_time - now;
        if (d > MH_APP_SHOWN_CLOCK_SKEW || d < -MH_APP_SHOWN_CLOCK_SKEW)
            return differs("the signing time is not now");
    }
    if (t->doc_prefix != t->doc_len)
        return differs("the content does not start with the whole document");
    /* a PDF is signed inside (PAdES, a byte range), any other file detached */
    bool pdf = t->doc_len >= 5 && memcmp(t->doc, "%PDF-", 5) == 0;
    if (pdf != t->has_range)
        return differs(pdf ? "a PDF signed as a detached file"
                           : "a file that is no PDF signed as one");
    if (!t->has_range) {
        /* CAdES, detached: the document itself */
        if (t->appended && t->appended_len)
            return differs("bytes appended to a detached signature's document");
        if (mh_hash_md(t->md, t->doc, t->doc_len, c, sizeof c, &cl) != 0)
            return differs("the document cannot be hashed");
    } else {
        /* PAdES: the byte range of the document with mohurd's update */
        uint64_t total = (uint64_t)t->doc_prefix + (t->appended ? t->appended_len : 0);
        int rc;
        if (t->md != MBEDTLS_MD_SHA256 || !t->appended)
            return differs("a PDF signature without its update or with another hash");
        if ((rc = range_check(t, total)) != 0)
            return rc;
        if (range_digest(t, c) != 0)
            return differs("the document cannot be hashed");
    }
    if (memcmp(c, si.message_digest, ds) != 0)
        return differs("the signed attributes name other content");
    return MH_OK;
}

static int made_differs(const char *what)
{
    return mh_err_set(MH_ERR_VERIFY_FAILED,
                      "mohurd sent back a document that is not the one the key signed (%s)", what);
}

/* The CMS in a returned PDF: the placeholder's hex digits, decoded, as
 * far as its DER goes (the rest is the placeholder's padding). Everything
 * else must be the bytes shown. *buf is malloc'd. */
static int made_pdf_cms(const mh_app_shown *t, const uint8_t *made, size_t made_len, uint8_t **buf,
                        size_t *cms_len)
{
    const uint64_t *r = t->range;
    size_t total = t->doc_prefix + t->appended_len, n = 0;
    if (made_len != total)
        return made_differs("its length");
    size_t head = (size_t)r[1] + 1, tail = (size_t)r[2] - 1;
    if (memcmp(made, t->doc, t->doc_prefix) != 0 ||
        memcmp(made + t->doc_prefix, t->appended, head - t->doc_prefix) != 0 ||
        memcmp(made + tail, t->appended + (tail - t->doc_prefix), total - tail) != 0)
        return made_differs("bytes outside the signature differ from those shown");
    size_t hex = tail - head;
    if (hex % 2 || !(*buf = malloc(hex / 2 + 1)))
        return made_differs("the signature's placeholder");
    if (mh_hex_decode((const char *)made + head, hex, *buf, hex / 2 + 1, &n) != 0) {
        mh_err_clear();
        return made_differs("the signature's placeholder holds more than hex digits");
    }
    mh_der d;
    mh_der_elem e;
    mh_der_init(&d, *buf, n);
    if (mh_der_next(&d, &e) != 0 || e.tag != MH_DER_SEQUENCE) {
        mh_err_clear();
        return made_differs("no signature in it");
    }
    *cms_len = e.raw_len;
    return MH_OK;
}

int mh_app_made_check(const mh_app_shown *t, const uint8_t *made, size_t made_len,
                      const uint8_t *cert, size_t cert_len)
{
    mh_cms_sattrs_info si;
    mh_der d;
    mh_der_elem set;
    uint8_t *buf = NULL;
    const uint8_t *cms = made;
    size_t cms_len = made_len;
    int rc;
    mh_der_init(&d, t->sattrs, t->sattrs_len);
    if (mh_der_expect(&d, MH_DER_SET, &set) != 0 ||
        mh_cms_signed_attrs_read(t->sattrs, t->sattrs_len, &si) != 0) {
        mh_err_clear();
        return made_differs("the attributes shown cannot be read");
    }
    if (t->has_range && (rc = made_pdf_cms(t, made, made_len, &buf, &cms_len)) != 0) {
        free(buf);
        return rc;
    }
    if (buf)
        cms = buf;
    mh_cms_result *res = calloc(1, sizeof *res);
    if (!res) {
        free(buf);
        return MH_ERR_NOMEM;
    }
    rc = mh_cms_verify_digest(cms, cms_len, t->md, si.message_digest, si.message_digest_len, NULL,
                              res);
    mh_err_clear();
    const mh_cms_signer_result *s = &res->signers[0];
    if (rc != 0 || res->n_signers != 1 || s->status != 0 || (s->has_tst && s->tst_status != 0))
        rc = made_differs("its signature does not verify over the content shown");
    else if (!s->sattrs || s->sattrs_len != set.len || memcmp(s->sattrs, set.val, set.len) != 0)
        rc = made_differs("its signature carries other signed attributes than those shown");
    else if (!s->cert || s->cert_len != cert_len || memcmp(s->cert, cert, cert_len) != 0)
        rc = made_differs("its signature names another certificate");
    else
        rc = MH_OK;
    free(res);
    free(buf);
    return rc;
}
