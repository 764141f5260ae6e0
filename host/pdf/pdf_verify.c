/* pdf_verify.c - checking every signature of a PDF: its byte range, the
 * digest its CMS signed, the CMS itself (through a callback), and what later
 * incremental updates changed.
 *
 * The rule for later changes (a simplified DocMDP level 2 "form filling and
 * signing", stricter than Acrobat): an update after a signature may
 *   - add new objects of any kind (they matter only if something existing
 *     points at them, and the changes below are the only such pointers);
 *   - change the catalog only in /AcroForm;
 *   - change the AcroForm only in /Fields, /SigFlags, /DR and /DA, keeping
 *     the earlier fields in order and adding only signature fields;
 *   - change a page only in /Annots, keeping the earlier annotations in
 *     order and adding only signature widgets;
 *   - grow an array object the same way (an indirect /Annots or /Fields).
 * Anything else (page content, resources, other objects, the document
 * information dictionary) is reported as "modified after signing". Objects
 * with a generation number above 0 that a later update rewrites are not
 * compared (qpdf's C API cannot list them); mohur never writes such. */
#include "mh_hash.h"
#include "pdf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "mh_pki.h"

static bool is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static uint8_t hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return (uint8_t)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (uint8_t)(c - 'a' + 10);
    return (uint8_t)(c - 'A' + 10);
}

static bool pdf_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

/* ---- the CMS messageDigest attribute ---------------------------------- */

static const uint8_t oid_message_digest[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};

/* Finds the first signer's digest algorithm and messageDigest attribute.
 * Walks the DER with pki's bounds-checked reader. */
static int cms_message_digest(const uint8_t *cms, size_t len, mbedtls_md_type_t *md,
                              mh_der_elem *digest)
{
    mh_der d, ci, sd, sis, si, attrs;
    mh_der_elem e, tmp, alg;
    mh_der_init(&d, cms, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &e) != 0)
        return MH_ERR_PARSE;
    mh_der_enter(&ci, &e);
    if (mh_der_expect(&ci, MH_DER_OID, &tmp) != 0 || mh_der_expect(&ci, MH_DER_CTX_C(0), &e) != 0)
        return MH_ERR_PARSE;
    mh_der_enter(&sd, &e);
    if (mh_der_expect(&sd, MH_DER_SEQUENCE, &e) != 0)
        return MH_ERR_PARSE;
    mh_der_enter(&sd, &e);
    if (mh_der_expect(&sd, MH_DER_INTEGER, &tmp) != 0 ||
        mh_der_expect(&sd, MH_DER_SET, &tmp) != 0 || mh_der_expect(&sd, MH_DER_SEQUENCE, &tmp) != 0)
        return MH_ERR_PARSE;
    bool present;
    if (mh_der_optional(&sd, MH_DER_CTX_C(0), &tmp, &present) != 0 ||
        mh_der_optional(&sd, MH_DER_CTX_C(1), &tmp, &present) != 0 ||
        mh_der_expect(&sd, MH_DER_SET, &e) != 0)
        return MH_ERR_PARSE;
    mh_der_enter(&sis, &e);
    if (mh_der_expect(&sis, MH_DER_SEQUENCE, &e) != 0)
        return MH_ERR_PARSE;
    mh_der_enter(&si, &e);
    /* version, sid (issuerAndSerialNumber or [0] subjectKeyIdentifier) */
    if (mh_der_expect(&si, MH_DER_INTEGER, &tmp) != 0 || mh_der_next(&si, &tmp) != 0 ||
        mh_der_expect(&si, MH_DER_SEQUENCE, &alg) != 0)
        return MH_ERR_PARSE;
    if (mh_cms_md_alg_parse(&alg, md) != 0)
        return MH_ERR_UNSUPPORTED_ALG;
    if (mh_der_optional(&si, MH_DER_CTX_C(0), &e, &present) != 0 || !present)
        return MH_ERR_NOT_FOUND; /* no signed attributes */
    mh_der_enter(&attrs, &e);
    while (!mh_der_empty(&attrs)) {
        mh_der a, vals;
        mh_der_elem oid, set;
        if (mh_der_expect(&attrs, MH_DER_SEQUENCE, &e) != 0)
            return MH_ERR_PARSE;
        mh_der_enter(&a, &e);
        if (mh_der_expect(&a, MH_DER_OID, &oid) != 0 || mh_der_expect(&a, MH_DER_SET, &set) != 0)
            return MH_ERR_PARSE;
        if (!mh_der_oid_is(&oid, oid_message_digest, sizeof oid_message_digest))
            continue;
        mh_der_enter(&vals, &set);
        if (mh_der_expect(&vals, MH_DER_OCTET_STRING, digest) != 0 || !mh_der_done(&vals))
            return MH_ERR_PARSE;
        return MH_OK;
    }
    return MH_ERR_NOT_FOUND;
}

static int hash_parts(mbedtls_md_type_t md, const mh_pdf_signed_data *sd, uint8_t *out,
                      size_t *olen)
{
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    mbedtls_md_context_t c;
    if (!mi)
        return MH_ERR_UNSUPPORTED_ALG;
    if (md == MBEDTLS_MD_SHA256) {
        /* the common case, on the fast hash (whole documents) */
        const uint8_t *parts[2] = {sd->part[0], sd->part[1]};
        const size_t lens[2] = {sd->part_len[0], sd->part_len[1]};
        *olen = 32;
        return mh_hash_sha256_parts(parts, lens, 2, out) == 0 ? MH_OK : MH_ERR_INTERNAL;
    }
    mbedtls_md_init(&c);
    int r = mbedtls_md_setup(&c, mi, 0);
    if (r == 0)
        r = mbedtls_md_starts(&c);
    if (r == 0)
        r = mbedtls_md_update(&c, sd->part[0], sd->part_len[0]);
    if (r == 0)
        r = mbedtls_md_update(&c, sd->part[1], sd->part_len[1]);
    if (r == 0)
        r = mbedtls_md_finish(&c, out);
    mbedtls_md_free(&c);
    *olen = mbedtls_md_get_size(mi);
    return r == 0 ? MH_OK : MH_ERR_INTERNAL;
}

/* ---- later changes -------------------------------------------------------- */

typedef struct cmpctx {
    qpdf_data qo, qn;
    char *why;
    size_t cap;
} cmpctx;

static char *dup_unparse(qpdf_data q, qpdf_oh o, bool resolved)
{
    const char *s = resolved ? qpdf_oh_unparse_resolved(q, o) : qpdf_oh_unparse(q, o);
    return strdup(s ? s : "");
}

static bool values_equal(cmpctx *c, qpdf_oh a, qpdf_oh b)
{
    char *sa = dup_unparse(c->qo, a, false);
    char *sb = dup_unparse(c->qn, b, false);
    bool eq = sa && sb && strcmp(sa, sb) == 0;
    free(sa);
    free(sb);
    return eq;
}

/* A signature widget (or field): /Subtype /Widget or /FT /Sig, and a
 * signature field itself or through /Parent. */
static bool is_sig_widget(qpdf_data q, qpdf_oh o)
{
    if (!qpdf_oh_is_dictionary(q, o))
        return false;
    qpdf_oh n = o;
    for (int depth = 0; depth < 8 && qpdf_oh_is_dictionary(q, n); depth++) {
        if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, n, "/FT"), "/Sig"))
            return true;
        n = qpdf_oh_get_key(q, n, "/Parent");
    }
    return false;
}

/* old's items are a prefix of new's, and what was added is signatures. */
static bool array_grew_by_sigs(cmpctx *c, qpdf_oh ao, qpdf_oh an, const char *what)
{
    int no = qpdf_oh_is_array(c->qo, ao) ? qpdf_oh_get_array_n_items(c->qo, ao) : 0;
    if (!qpdf_oh_is_array(c->qn, an)) {
        if (no == 0)
            return true;
        snprintf(c->why, c->cap, "%s was removed", what);
        return false;
    }
    int nn = qpdf_oh_get_array_n_items(c->qn, an);
    if (nn < no) {
        snprintf(c->why, c->cap, "%s lost entries", what);
        return false;
    }
    for (int i = 0; i < no; i++)
        if (!values_equal(c, qpdf_oh_get_array_item(c->qo, ao, i),
                          qpdf_oh_get_array_item(c->qn, an, i))) {
            snprintf(c->why, c->cap, "an entry of %s was replaced", what);
            return false;
        }
    for (int i = no; i < nn; i++)
        if (!is_sig_widget(c->qn, qpdf_oh_get_array_item(c->qn, an, i))) {
            snprintf(c->why, c->cap, "something other than a signature was added to %s", what);
            return false;
        }
    return true;
}

/* The two dictionaries are equal except in the keys named in `except`
 * (NULL-ended); the keys named in `grow` may only grow by signatures. */
static bool dict_equal_except(cmpctx *c, qpdf_oh o, qpdf_oh n, const char *const *except,
                              const char *const *grow, const char *what)
{
    char **ko = NULL, **kn = NULL;
    size_t nko = 0, nkn = 0;
    bool ok = false;
    if (mh_pdf_dict_keys(c->qo, o, &ko, &nko) != MH_OK ||
        mh_pdf_dict_keys(c->qn, n, &kn, &nkn) != MH_OK) {
        snprintf(c->why, c->cap, "%s could not be read", what);
        goto out;
    }
    for (int pass = 0; pass < 2; pass++) {
        char **keys = pass ? kn : ko;
        size_t nk = pass ? nkn : nko;
        for (size_t i = 0; i < nk; i++) {
            bool skip = false;
            for (const char *const *e = except; *e && !skip; e++)
                skip = strcmp(keys[i], *e) == 0;
            for (const char *const *g = grow; g && *g && !skip; g++)
                skip = strcmp(keys[i], *g) == 0;
            if (skip)
                continue;
            if (!values_equal(c, qpdf_oh_get_key(c->qo, o, keys[i]),
                              qpdf_oh_get_key(c->qn, n, keys[i]))) {
                snprintf(c->why, c->cap, "%.40s of %s changed", keys[i], what);
                goto out;
            }
        }
    }
    for (const char *const *g = grow; g && *g; g++) {
        char w[96];
        snprintf(w, sizeof w, "%.40s of %s", *g, what);
        if (!array_grew_by_sigs(c, qpdf_oh_get_key(c->qo, o, *g), qpdf_oh_get_key(c->qn, n, *g), w))
            goto out;
    }
    ok = true;
out:
    mh_pdf_keys_free(ko, nko);
    mh_pdf_keys_free(kn, nkn);
    return ok;
}

static bool streams_equal(cmpctx *c, qpdf_oh o, qpdf_oh n)
{
    unsigned char *bo = NULL, *bn = NULL;
    size_t lo = 0, ln = 0;
    bool eq = false;
    if (!values_equal(c, qpdf_oh_get_dict(c->qo, o), qpdf_oh_get_dict(c->qn, n)))
        return false;
    if (qpdf_oh_get_stream_data(c->qo, o, qpdf_dl_none, NULL, &bo, &lo) != QPDF_SUCCESS ||
        qpdf_oh_get_stream_data(c->qn, n, qpdf_dl_none, NULL, &bn, &ln) != QPDF_SUCCESS)
        goto out;
    eq = lo == ln && (lo == 0 || memcmp(bo, bn, lo) == 0);
out:
    free(bo);
    free(bn);
    return eq;
}

static bool objects_equal(cmpctx *c, qpdf_oh o, qpdf_oh n)
{
    bool so = qpdf_oh_is_stream(c->qo, o), sn = qpdf_oh_is_stream(c->qn, n);
    if (so != sn)
        return false;
    if (so)
        return streams_equal(c, o, n);
    char *a = dup_unparse(c->qo, o, true);
    char *b = dup_unparse(c->qn, n, true);
    bool eq = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return eq;
}

/* Compares the revision [0, rev_len) with the whole document. */
static int later_changes(mh_pdf_doc *full, size_t rev_len, bool *allowed, char *why, size_t cap)
{
    mh_pdf_doc old;
    int ret = mh_pdf_doc_open(&old, full->buf, rev_len);
    *allowed = false;
    if (ret != MH_OK) {
        snprintf(why, cap, "the signed revision cannot be read on its own");
        return MH_OK;
    }
    cmpctx c = {old.q, full->q, why, cap};
    qpdf_oh ro = qpdf_get_root(old.q), rn = qpdf_get_root(full->q);
    int root_id = qpdf_oh_get_object_id(old.q, ro);
    qpdf_oh afo = qpdf_oh_get_key(old.q, ro, "/AcroForm");
    int af_id = qpdf_oh_get_object_id(old.q, afo);
    long long size = 0;
    (void)qpdf_oh_get_value_as_longlong(
        old.q, qpdf_oh_get_key(old.q, qpdf_get_trailer(old.q), "/Size"), &size);
    if (size > MH_PDF_MAX_OBJECTS)
        size = MH_PDF_MAX_OBJECTS;
    if (root_id != qpdf_oh_get_object_id(full->q, rn)) {
        snprintf(why, cap, "the document catalog was replaced");
        goto out;
    }
    static const char *const cat_except[] = {"/AcroForm", NULL};
    if (!dict_equal_except(&c, ro, rn, cat_except, NULL, "the catalog"))
        goto out;
    qpdf_oh afn = qpdf_oh_get_key(full->q, rn, "/AcroForm");
    static const char *const af_except[] = {"/SigFlags", "/DR", "/DA", NULL};
    static const char *const af_grow[] = {"/Fields", NULL};
    if (qpdf_oh_is_dictionary(old.q, afo) &&
        !dict_equal_except(&c, afo, afn, af_except, af_grow, "the form (AcroForm)"))
        goto out;
    static const char *const page_except[] = {NULL};
    static const char *const page_grow[] = {"/Annots", NULL};
    for (long long id = 1; id < size; id++) {
        qpdf_oh o = qpdf_get_object_by_id(old.q, (int)id, 0);
        if (qpdf_oh_is_null(old.q, o)) {
            qpdf_oh_release(old.q, o);
            continue;
        }
        qpdf_oh n = qpdf_get_object_by_id(full->q, (int)id, 0);
        bool ok = true;
        if (id == root_id || id == af_id) {
            ok = true; /* checked above */
        } else if (!objects_equal(&c, o, n)) {
            char what[64];
            if (qpdf_oh_is_dictionary_of_type(old.q, o, "/Page", "")) {
                snprintf(what, sizeof what, "page object %lld", id);
                ok = qpdf_oh_is_dictionary(full->q, n) &&
                     dict_equal_except(&c, o, n, page_except, page_grow, what);
            } else if (qpdf_oh_is_array(old.q, o)) {
                snprintf(what, sizeof what, "array object %lld", id);
                ok = array_grew_by_sigs(&c, o, n, what);
            } else {
                qpdf_oh od = qpdf_oh_is_stream(old.q, o) ? qpdf_oh_get_dict(old.q, o) : o;
                qpdf_oh ty = qpdf_oh_get_key_if_dict(old.q, od, "/Type");
                if (qpdf_oh_is_name(old.q, ty))
                    snprintf(why, cap, "object %lld (%.40s) was changed", id,
                             qpdf_oh_get_name(old.q, ty));
                else
                    snprintf(why, cap, "object %lld was changed", id);
                ok = false;
            }
        }
        qpdf_oh_release(old.q, o);
        qpdf_oh_release(full->q, n);
        if (!ok)
            goto out;
    }
    if (qpdf_has_error(old.q) || qpdf_has_error(full->q)) {
        snprintf(why, cap, "the revisions could not be compared (damaged objects)");
        goto out;
    }
    *allowed = true;
    why[0] = '\0';
out:
    mh_pdf_doc_close(&old);
    return MH_OK;
}

/* ---- one signature -------------------------------------------------------- */

static void check_sig(mh_pdf_doc *d, const mh_pdf_field *f, mh_pdf_cms_verify_fn verify, void *vctx,
                      mh_pdf_sig_report *r)
{
    qpdf_data q = d->q;
    const uint8_t *buf = d->buf;
    size_t len = d->len;
    uint8_t *cms = NULL;
    long long br[4];

    snprintf(r->field, sizeof r->field, "%s", f->name);
    r->status = MH_PDF_SIG_BAD_RANGE;
    r->cms_rc = MH_ERR_VERIFY_FAILED;
    qpdf_oh v = f->value;
    qpdf_oh sf = qpdf_oh_get_key(q, v, "/SubFilter");
    if (qpdf_oh_is_name(q, sf))
        snprintf(r->subfilter, sizeof r->subfilter, "%s", qpdf_oh_get_name(q, sf) + 1);
    qpdf_oh m = qpdf_oh_get_key(q, v, "/M");
    if (qpdf_oh_is_string(q, m)) {
        size_t ml = 0;
        const char *s = qpdf_oh_get_binary_string_value(q, m, &ml);
        size_t o = 0;
        for (size_t i = 0; s && i < ml && o + 1 < sizeof r->when; i++)
            r->when[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        r->when[o] = '\0';
    }
    r->by_mohur = mh_pdf_orig_len(q, v, &r->original_len);

    qpdf_oh bro = qpdf_oh_get_key(q, v, "/ByteRange");
    if (!qpdf_oh_is_array(q, bro) || qpdf_oh_get_array_n_items(q, bro) != 4) {
        snprintf(r->change, sizeof r->change, "/ByteRange is not an array of four numbers");
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        qpdf_oh e = qpdf_oh_get_array_item(q, bro, i);
        if (!qpdf_oh_is_integer(q, e) || !qpdf_oh_get_value_as_longlong(q, e, &br[i]) ||
            br[i] < 0 || (unsigned long long)br[i] > len) {
            snprintf(r->change, sizeof r->change, "/ByteRange holds a number outside the file");
            goto out;
        }
        r->byte_range[i] = (size_t)br[i];
    }
    size_t a = r->byte_range[1], b = r->byte_range[2], l2 = r->byte_range[3];
    if (br[0] != 0 || a == 0 || b < a + 2 || l2 > len - b) {
        snprintf(r->change, sizeof r->change,
                 "/ByteRange does not start at 0 or its ranges overlap or leave the file");
        goto out;
    }
    if (buf[a] != '<' || buf[b - 1] != '>' || (b - a - 2) % 2 != 0) {
        snprintf(r->change, sizeof r->change,
                 "the gap in /ByteRange is not exactly the /Contents hex string");
        goto out;
    }
    for (size_t i = a + 1; i < b - 1; i++)
        if (!is_hex(buf[i])) {
            snprintf(r->change, sizeof r->change,
                     "the gap in /ByteRange holds more than the /Contents hex string");
            goto out;
        }
    size_t k = a;
    while (k > 0 && pdf_ws(buf[k - 1]))
        k--;
    if (k < 9 || memcmp(buf + k - 9, "/Contents", 9) != 0) {
        snprintf(r->change, sizeof r->change, "the gap in /ByteRange is not the /Contents value");
        goto out;
    }
    size_t clen = (b - a - 2) / 2;
    cms = malloc(clen ? clen : 1);
    if (!cms) {
        snprintf(r->change, sizeof r->change, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < clen; i++)
        cms[i] = (uint8_t)(hexval(buf[a + 1 + 2 * i]) << 4 | hexval(buf[a + 2 + 2 * i]));
    size_t ql = 0;
    const char *qc = qpdf_oh_get_binary_string_value(q, qpdf_oh_get_key(q, v, "/Contents"), &ql);
    if (!qc || ql != clen || mh_ct_memcmp(qc, cms, clen) != 0) {
        snprintf(r->change, sizeof r->change,
                 "the gap in /ByteRange is another string than this signature's /Contents");
        goto out;
    }
    /* the revision must end at a %%EOF marker */
    size_t end = b + l2, e = end;
    while (e > 0 && (buf[e - 1] == '\n' || buf[e - 1] == '\r' || buf[e - 1] == ' '))
        e--;
    if (e < 5 || memcmp(buf + e - 5, "%%EOF", 5) != 0) {
        snprintf(r->change, sizeof r->change,
                 "the signed range does not end at the end of a "
                 "revision (%%%%EOF)");
        goto out;
    }
    r->revision_len = end;
    r->covers_whole = end == len;

    /* the CMS: one DER element, zero padding after it */
    mh_der dd;
    mh_der_elem top;
    mh_der_init(&dd, cms, clen);
    if (mh_der_next(&dd, &top) != 0 || top.tag != MH_DER_SEQUENCE) {
        r->status = MH_PDF_SIG_BAD_CMS;
        r->cms_rc = MH_ERR_PARSE;
        snprintf(r->change, sizeof r->change, "/Contents is not a DER CMS SignedData");
        goto out;
    }
    for (size_t i = top.raw_len; i < clen; i++)
        if (cms[i] != 0) {
            r->status = MH_PDF_SIG_BAD_CMS;
            r->cms_rc = MH_ERR_PARSE;
            snprintf(r->change, sizeof r->change, "/Contents has bytes after the CMS");
            goto out;
        }
    mh_pdf_signed_data sd = {{buf, buf + b}, {a, l2}, {0}};
    size_t hl = 0;
    (void)hash_parts(MBEDTLS_MD_SHA256, &sd, sd.sha256, &hl);

    mbedtls_md_type_t md = MBEDTLS_MD_NONE;
    mh_der_elem mdig;
    int mr = cms_message_digest(cms, top.raw_len, &md, &mdig);
    if (mr == MH_OK) {
        uint8_t h[MBEDTLS_MD_MAX_SIZE];
        if (hash_parts(md, &sd, h, &hl) != MH_OK || hl != mdig.len ||
            mh_ct_memcmp(h, mdig.val, hl) != 0) {
            r->status = MH_PDF_SIG_BAD_DIGEST;
            snprintf(r->change, sizeof r->change,
                     "the signed bytes were changed: their digest is not the one signed");
            goto out;
        }
        r->digest_checked = true;
    } else if (mr != MH_ERR_NOT_FOUND) {
        r->status = MH_PDF_SIG_BAD_CMS;
        r->cms_rc = mr;
        snprintf(r->change, sizeof r->change, "the CMS SignedData cannot be read");
        goto out;
    }
    if (verify) {
        r->cms_rc = verify(vctx, &sd, cms, top.raw_len, r->signer, sizeof r->signer);
        r->signer[sizeof r->signer - 1] = '\0';
        if (r->cms_rc != MH_OK) {
            r->status = MH_PDF_SIG_BAD_CMS;
            snprintf(r->change, sizeof r->change, "the CMS signature does not verify");
            goto out;
        }
        r->status = MH_PDF_SIG_VALID;
    } else {
        r->status = r->digest_checked ? MH_PDF_SIG_UNCHECKED : MH_PDF_SIG_BAD_CMS;
        if (!r->digest_checked)
            snprintf(r->change, sizeof r->change,
                     "no signed attributes and no CMS verifier: nothing checked");
    }
    r->change[0] = '\0';
    r->later_changes_allowed = true;
    if (!r->covers_whole) {
        (void)later_changes(d, end, &r->later_changes_allowed, r->change, sizeof r->change);
        if (!r->later_changes_allowed && r->status <= MH_PDF_SIG_UNCHECKED)
            r->status = MH_PDF_SIG_MODIFIED;
    }
out:
    free(cms);
}

int mh_pdf_verify(const uint8_t *pdf, size_t len, mh_pdf_cms_verify_fn verify, void *verify_ctx,
                  mh_pdf_verify_result *res)
{
    int ret;
    mh_pdf_doc d;
    mh_pdf_field *f = NULL;
    size_t nf = 0;
    unsigned top = 0;

    if (!res)
        return MH_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    res->original_len = len;
    ret = mh_pdf_doc_open(&d, pdf, len);
    if (ret != MH_OK)
        return ret;
    ret = mh_pdf_sig_fields(&d, &f, &nf, &top);
    if (ret != MH_OK)
        goto out;
    ret = mh_pdf_doc_ok(&d, "reading the form fields");
    if (ret != MH_OK)
        goto out;
    bool all = true;
    for (size_t i = 0; i < nf && res->nsigs < MH_PDF_MAX_SIGS; i++) {
        if (!f[i].value)
            continue;
        mh_pdf_sig_report *r = &res->sigs[res->nsigs++];
        check_sig(&d, &f[i], verify, verify_ctx, r);
        bool good = r->status == MH_PDF_SIG_VALID || (!verify && r->status == MH_PDF_SIG_UNCHECKED);
        if (!good)
            all = false;
        if (good && r->by_mohur && r->original_len <= r->byte_range[1] &&
            r->original_len < res->original_len)
            res->original_len = r->original_len;
    }
    res->all_valid = all && res->nsigs > 0;
    ret = MH_OK;
out:
    free(f);
    mh_pdf_doc_close(&d);
    return ret;
}

const char *mh_pdf_sig_status_name(enum mh_pdf_sig_status s)
{
    switch (s) {
    case MH_PDF_SIG_VALID:
        return "valid";
    case MH_PDF_SIG_UNCHECKED:
        return "digest-ok-cms-unchecked";
    case MH_PDF_SIG_BAD_RANGE:
        return "bad-byte-range";
    case MH_PDF_SIG_BAD_DIGEST:
        return "document-changed";
    case MH_PDF_SIG_BAD_CMS:
        return "bad-signature";
    case MH_PDF_SIG_MODIFIED:
        return "modified-after-signing";
    }
    return "unknown";
}
