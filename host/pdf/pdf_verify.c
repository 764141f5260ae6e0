/* pdf_verify.c - checking every signature of a PDF: its byte range, the
 * digest its CMS signed, the CMS itself (through a callback), and what later
 * incremental updates changed.
 *
 * The rule for later changes is docs/pdf.md's (and mh_pdf.h's): a
 * difference analysis in the manner of pyHanko's, whitelisting what ISO
 * 32000 DocMDP and ETSI EN 319 142 allow after a signature and reporting
 * every other change with a sentence that names it. */
#include "mh_hash.h"
#include "pdf_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "mh_pki.h"

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

/* ---- later changes: the difference analysis --------------------------------
 *
 * The signed revision (the file's first R bytes, read by qpdf on its own) is
 * compared with the document as it is now. Which objects later updates
 * touched comes from their cross-reference sections (pdf_xref.c); every
 * touched object whose content differs must be explained by one of the
 * rules below, else it is a disallowed change, reported with a sentence
 * naming it. New objects matter only through the changed objects that
 * refer to them, and the rules say which new references are allowed. */

#define MAX_CHANGES 8   /* disallowed changes counted per signature */
#define MAX_NEWSIGS 256 /* new signature fields looked at */

typedef struct newsig {
    int field, widget[4];
    size_t nwidget;
    bool allowed;
} newsig;

typedef struct slot {
    int field, widget;
} slot;

typedef struct diff {
    mh_pdf_doc *full;
    mh_pdf_doc old;
    const mh_pdf_xref *x;
    size_t ksec; /* the signed revision's newest section */
    size_t rlen; /* its length */
    unsigned mdp;
    mh_pdf_sig_report *r;
    int root_id, old_af_id, new_af_id;
    slot *slots;
    size_t nslots;
    newsig *ns;
    size_t nns;
    int *dss_ids; /* objects of the signed revision's DSS */
    size_t ndss;
    int ext_id, meta_id;
    int *filled_sigs; /* signature dictionaries that filled slots */
    size_t nfilled, capfilled;
} diff;

static char *dup_unparse(qpdf_data q, qpdf_oh o, bool resolved)
{
    const char *s = resolved ? qpdf_oh_unparse_resolved(q, o) : qpdf_oh_unparse(q, o);
    return strdup(s ? s : "");
}

static bool equal_in(qpdf_data qa, qpdf_oh a, qpdf_data qb, qpdf_oh b, bool resolved)
{
    char *sa = dup_unparse(qa, a, resolved);
    char *sb = dup_unparse(qb, b, resolved);
    bool eq = sa && sb && strcmp(sa, sb) == 0;
    free(sa);
    free(sb);
    return eq;
}

/* Records a disallowed change: the first sentence is kept. */
static void MH_PRINTF(2, 3) change(diff *df, const char *fmt, ...)
{
    mh_pdf_sig_report *r = df->r;
    if (r->nchanges++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->change, sizeof r->change, fmt, ap);
        va_end(ap);
    }
}

static bool done(const diff *df)
{
    return df->r->nchanges >= MAX_CHANGES || mh_pdf_budget_tripped();
}

static const char *name_of(qpdf_data q, qpdf_oh d, const char *key, char *buf, size_t cap)
{
    qpdf_oh n = qpdf_oh_get_key_if_dict(q, d, key);
    if (qpdf_oh_is_name(q, n))
        snprintf(buf, cap, "%.40s", qpdf_oh_get_name(q, n));
    else
        snprintf(buf, cap, "no %s", key);
    return buf;
}

/* Whether the object number exists in the signed revision. */
static bool old_exists(diff *df, int id)
{
    const mh_pdf_xent *e = id > 0 ? mh_pdf_xref_find(df->x, (uint32_t)id, df->ksec) : NULL;
    return e && e->type != 0;
}

/* The 1-based number of the page (of the document now) with that object
 * id, or 0. */
static int page_number(qpdf_data q, int id)
{
    int np = qpdf_get_num_pages(q);
    for (int i = 0; i < np && i < 100000; i++)
        if (qpdf_oh_get_object_id(q, qpdf_get_page_n(q, (size_t)i)) == id)
            return i + 1;
    return 0;
}

static bool is_widget(qpdf_data q, qpdf_oh a)
{
    return qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, a, "/Subtype"), "/Widget");
}

/* An invisible widget: a zero-area /Rect, or Hidden / NoView flags. */
static bool invisible_widget(qpdf_data q, qpdf_oh w)
{
    long long fl = 0;
    (void)qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, w, "/F"), &fl);
    if (fl & (2 | 32))
        return true;
    qpdf_oh r = qpdf_oh_get_key(q, w, "/Rect");
    double v[4];
    if (!qpdf_oh_is_array(q, r) || qpdf_oh_get_array_n_items(q, r) != 4)
        return true;
    for (int i = 0; i < 4; i++)
        if (!qpdf_oh_get_value_as_number(q, qpdf_oh_get_array_item(q, r, i), &v[i]))
            return false;
    return fabs(v[2] - v[0]) < 0.01 || fabs(v[3] - v[1]) < 0.01;
}

static bool is_doc_timestamp(qpdf_data q, qpdf_oh v)
{
    return qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, v, "/Type"), "/DocTimeStamp") ||
           qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, v, "/SubFilter"),
                                      "/ETSI.RFC3161");
}

/* ---- what the two versions' forms hold -------------------------------------- */

static int collect(diff *df)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    mh_pdf_field *f = NULL;
    size_t nf = 0;
    unsigned top = 0;
    int ret = mh_pdf_sig_fields(&df->old, &f, &nf, &top);
    if (ret != MH_OK)
        return ret;
    /* the empty signature fields of the signed revision: the slots */
    df->slots = calloc(nf ? nf : 1, sizeof *df->slots);
    if (!df->slots) {
        free(f);
        return MH_ERR_NOMEM;
    }
    for (size_t i = 0; i < nf; i++) {
        if (f[i].value)
            continue;
        int fid = qpdf_oh_get_object_id(qo, f[i].field);
        if (fid <= 0)
            continue;
        slot *s = &df->slots[df->nslots++];
        s->field = fid;
        s->widget = fid;
        if (!is_widget(qo, f[i].field)) {
            qpdf_oh kids = qpdf_oh_get_key(qo, f[i].field, "/Kids");
            if (qpdf_oh_is_array(qo, kids) && qpdf_oh_get_array_n_items(qo, kids) == 1)
                s->widget = qpdf_oh_get_object_id(qo, qpdf_oh_get_array_item(qo, kids, 0));
        }
    }
    free(f);
    f = NULL;
    /* the signature fields that are new objects now */
    ret = mh_pdf_sig_fields(df->full, &f, &nf, &top);
    if (ret != MH_OK)
        return ret;
    df->ns = calloc(nf ? (nf < MAX_NEWSIGS ? nf : MAX_NEWSIGS) : 1, sizeof *df->ns);
    if (!df->ns) {
        free(f);
        return MH_ERR_NOMEM;
    }
    for (size_t i = 0; i < nf && df->nns < MAX_NEWSIGS; i++) {
        int fid = qpdf_oh_get_object_id(qn, f[i].field);
        if (fid <= 0 || old_exists(df, fid))
            continue;
        newsig *n = &df->ns[df->nns++];
        n->field = fid;
        bool visible = false;
        if (is_widget(qn, f[i].field)) {
            n->widget[n->nwidget++] = fid;
            visible = !invisible_widget(qn, f[i].field);
        } else {
            qpdf_oh kids = qpdf_oh_get_key(qn, f[i].field, "/Kids");
            int nk = qpdf_oh_is_array(qn, kids) ? qpdf_oh_get_array_n_items(qn, kids) : 0;
            for (int k = 0; k < nk && n->nwidget < 4; k++) {
                qpdf_oh w = qpdf_oh_get_array_item(qn, kids, k);
                n->widget[n->nwidget++] = qpdf_oh_get_object_id(qn, w);
                visible |= !invisible_widget(qn, w);
            }
        }
        int vid = f[i].value ? qpdf_oh_get_object_id(qn, f[i].value) : 0;
        if (!f[i].value)
            n->allowed = false; /* an empty field added after signing */
        else if (vid <= 0 || old_exists(df, vid))
            n->allowed = false; /* a value that is no new signature: a copy */
        else if (is_doc_timestamp(qn, f[i].value))
            n->allowed = !visible;
        else
            n->allowed = df->mdp == 0;
    }
    free(f);
    /* the signed revision's DSS and /Extensions, which may change */
    qpdf_oh ro = qpdf_get_root(qo);
    qpdf_oh dss = qpdf_oh_get_key(qo, ro, "/DSS");
    df->dss_ids = calloc(8, sizeof *df->dss_ids);
    if (!df->dss_ids)
        return MH_ERR_NOMEM;
    if (qpdf_oh_is_dictionary(qo, dss)) {
        static const char *const k[] = {"/Certs", "/CRLs", "/OCSPs", "/VRI"};
        df->dss_ids[df->ndss++] = qpdf_oh_get_object_id(qo, dss);
        for (size_t i = 0; i < 4; i++)
            df->dss_ids[df->ndss++] = qpdf_oh_get_object_id(qo, qpdf_oh_get_key(qo, dss, k[i]));
    }
    df->ext_id = qpdf_oh_get_object_id(qo, qpdf_oh_get_key(qo, ro, "/Extensions"));
    df->meta_id = qpdf_oh_get_object_id(qo, qpdf_oh_get_key(qo, ro, "/Metadata"));
    return mh_pdf_doc_ok(&df->old, "reading the signed revision's form");
}

static const newsig *new_sig_field(const diff *df, int id)
{
    for (size_t i = 0; i < df->nns; i++)
        if (df->ns[i].field == id)
            return &df->ns[i];
    return NULL;
}

static const newsig *new_sig_widget(const diff *df, int id)
{
    for (size_t i = 0; i < df->nns; i++)
        for (size_t k = 0; k < df->ns[i].nwidget; k++)
            if (df->ns[i].widget[k] == id)
                return &df->ns[i];
    return NULL;
}

static const slot *slot_of(const diff *df, int id)
{
    for (size_t i = 0; i < df->nslots; i++)
        if (df->slots[i].field == id || df->slots[i].widget == id)
            return &df->slots[i];
    return NULL;
}

static bool in_ids(const int *ids, size_t n, int id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] > 0 && ids[i] == id)
            return true;
    return false;
}

/* ---- the rules ------------------------------------------------------------------ */

/* A new signature field's verdict, once: allowed ones are counted. */
static void judge_new_field(diff *df, qpdf_oh item, const char *where)
{
    qpdf_data qn = df->full->q;
    int id = qpdf_oh_get_object_id(qn, item);
    char ty[48];
    if (id > 0 && old_exists(df, id)) {
        change(df, "an existing object (object %d) was added to %s", id, where);
        return;
    }
    const newsig *n = new_sig_field(df, id);
    if (!n) {
        qpdf_oh ft = qpdf_oh_get_key_if_dict(qn, item, "/FT");
        if (qpdf_oh_is_name_and_equals(qn, ft, "/Sig"))
            change(df, "a signature field that holds no signature (object %d) was added to %s", id,
                   where);
        else
            change(df, "a form field (object %d, /FT %s) was added to %s", id,
                   name_of(qn, item, "/FT", ty, sizeof ty), where);
        return;
    }
    qpdf_oh v = qpdf_oh_get_key(qn, item, "/V");
    if (n->allowed) {
        if (is_doc_timestamp(qn, v))
            df->r->timestamps_added++;
        else
            df->r->new_sig_fields++;
        return;
    }
    int vid = qpdf_oh_get_object_id(qn, v);
    if (!qpdf_oh_is_dictionary(qn, v))
        change(df,
               "an empty signature field (object %d) was added after signing; only the fields "
               "prepared before it may be signed",
               id);
    else if (vid <= 0 || old_exists(df, vid))
        change(df,
               "a signature field (object %d) was added whose value is not a new signature "
               "(it reuses object %d): an old signature shown with a new appearance",
               id, vid);
    else if (is_doc_timestamp(qn, v))
        change(df, "a document timestamp was added with a visible widget (object %d)", id);
    else if (df->mdp == 1)
        change(df,
               "a signature (field object %d) was added, but the certification allows no "
               "change (DocMDP P=1)",
               id);
    else
        change(df,
               "a new signature field (object %d) was added; the certification (DocMDP P=%u) "
               "allows only its prepared signature fields to be signed",
               id, df->mdp);
}

/* An annotation added to a page: allowed only as the widget of an allowed
 * new signature field, or (P=3) as an annotation that is no widget. */
static void judge_new_annot(diff *df, qpdf_oh a, int page)
{
    qpdf_data qn = df->full->q;
    int id = qpdf_oh_get_object_id(qn, a);
    char st[48];
    name_of(qn, a, "/Subtype", st, sizeof st);
    if (id > 0 && old_exists(df, id)) {
        change(df,
               "an annotation was added on page %d (object %d, %s) that was already in the "
               "signed revision but not shown",
               page, id, st);
        return;
    }
    const newsig *n = id > 0 ? new_sig_widget(df, id) : NULL;
    if (n && n->allowed)
        return;
    if (df->mdp == 3 && !is_widget(qn, a) && qpdf_oh_is_dictionary(qn, a) &&
        !qpdf_oh_has_key(qn, a, "/FT"))
        return;
    if (id > 0)
        change(df, "an annotation was added on page %d (object %d, %s)", page, id, st);
    else
        change(df, "an annotation was added on page %d (a direct %s)", page, st);
}

/* The old array's items are kept, in order, and the new ones are judged
 * by `added`. */
static void judge_array(diff *df, qpdf_oh ao, qpdf_oh an, const char *what, int page, bool annots)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    int no = qpdf_oh_is_array(qo, ao) ? qpdf_oh_get_array_n_items(qo, ao) : 0;
    int nn = qpdf_oh_is_array(qn, an) ? qpdf_oh_get_array_n_items(qn, an) : 0;
    if (no > 100000 || nn > 100000) {
        change(df, "%s holds more than 100000 entries", what);
        return;
    }
    if (nn < no || (no > 0 && !qpdf_oh_is_array(qn, an))) {
        if (annots)
            change(df, "an annotation was removed from page %d", page);
        else
            change(df, "%s lost entries", what);
        return;
    }
    bool prefix = true;
    for (int i = 0; i < no && prefix; i++)
        prefix = equal_in(qo, qpdf_oh_get_array_item(qo, ao, i), qn,
                          qpdf_oh_get_array_item(qn, an, i), false);
    if (prefix) {
        for (int i = no; i < nn && !done(df); i++) {
            qpdf_oh it = qpdf_oh_get_array_item(qn, an, i);
            if (annots)
                judge_new_annot(df, it, page);
            else
                judge_new_field(df, it, what);
        }
        return;
    }
    /* not a prefix: every old entry must still be there (in any order),
     * and what is not old is judged as added */
    if ((long long)no * nn > 1000000) {
        change(df, "%s was rewritten (too many entries to compare)", what);
        return;
    }
    bool *seen = calloc((size_t)nn + 1, sizeof *seen);
    if (!seen) {
        change(df, "%s could not be compared (out of memory)", what);
        return;
    }
    for (int i = 0; i < no; i++) {
        bool found = false;
        for (int k = 0; k < nn && !found; k++)
            if (!seen[k] && equal_in(qo, qpdf_oh_get_array_item(qo, ao, i), qn,
                                     qpdf_oh_get_array_item(qn, an, k), false))
                found = seen[k] = true;
        if (!found) {
            if (annots)
                change(df, "an annotation was removed from or replaced on page %d", page);
            else
                change(df, "an entry of %s was removed or replaced", what);
            free(seen);
            return;
        }
    }
    for (int k = 0; k < nn && !done(df); k++) {
        if (seen[k])
            continue;
        qpdf_oh it = qpdf_oh_get_array_item(qn, an, k);
        if (annots)
            judge_new_annot(df, it, page);
        else
            judge_new_field(df, it, what);
    }
    free(seen);
}

/* The AcroForm's resources: what was there stays, more may be added. */
static bool dr_grew(diff *df, qpdf_oh o, qpdf_oh n, int depth)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    if (equal_in(qo, o, qn, n, false))
        return true;
    if (depth > 2 || !qpdf_oh_is_dictionary(qo, o) || !qpdf_oh_is_dictionary(qn, n))
        return false;
    char **k = NULL;
    size_t nk = 0;
    if (mh_pdf_dict_keys(qo, o, &k, &nk) != MH_OK)
        return false;
    bool ok = true;
    for (size_t i = 0; i < nk && ok; i++)
        ok = qpdf_oh_has_key(qn, n, k[i]) &&
             dr_grew(df, qpdf_oh_get_key(qo, o, k[i]), qpdf_oh_get_key(qn, n, k[i]), depth + 1);
    mh_pdf_keys_free(k, nk);
    return ok;
}

/* Compares two dictionaries key by key; keys in `skip` are left to the
 * caller. Reports the first key that differs. */
static void judge_keys(diff *df, qpdf_oh o, qpdf_oh n, const char *const *skip, const char *what)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    char **ko = NULL, **kn = NULL;
    size_t nko = 0, nkn = 0;
    if (mh_pdf_dict_keys(qo, o, &ko, &nko) != MH_OK ||
        mh_pdf_dict_keys(qn, n, &kn, &nkn) != MH_OK) {
        change(df, "%s could not be read", what);
        goto out;
    }
    for (int pass = 0; pass < 2 && !done(df); pass++) {
        char **keys = pass ? kn : ko;
        size_t nk = pass ? nkn : nko;
        for (size_t i = 0; i < nk; i++) {
            bool skipped = false;
            for (const char *const *s = skip; s && *s && !skipped; s++)
                skipped = strcmp(keys[i], *s) == 0;
            if (skipped)
                continue;
            bool ho = qpdf_oh_has_key(qo, o, keys[i]), hn = qpdf_oh_has_key(qn, n, keys[i]);
            if (pass == 1 && ho)
                continue; /* compared in the first pass */
            if (!ho || !hn) {
                change(df, "%s of %s was %s", keys[i], what, ho ? "removed" : "added");
                goto out;
            }
            if (!equal_in(qo, qpdf_oh_get_key(qo, o, keys[i]), qn, qpdf_oh_get_key(qn, n, keys[i]),
                          false)) {
                change(df, "%s of %s was changed", keys[i], what);
                goto out;
            }
        }
    }
out:
    mh_pdf_keys_free(ko, nko);
    mh_pdf_keys_free(kn, nkn);
}

static void judge_acroform(diff *df, qpdf_oh o, qpdf_oh n)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    static const char *const skip[] = {"/SigFlags", "/DR", "/Fields", NULL};
    if (!qpdf_oh_is_dictionary(qn, n)) {
        change(df, "the form (AcroForm) was removed");
        return;
    }
    if (qpdf_oh_is_dictionary(qo, o))
        judge_keys(df, o, n, skip, "the form (AcroForm)");
    else if (qpdf_oh_has_key(qn, n, "/XFA") || qpdf_oh_has_key(qn, n, "/NeedAppearances"))
        change(df, "a form (AcroForm) with more than signature fields was added");
    qpdf_oh dro = qpdf_oh_get_key_if_dict(qo, o, "/DR"), drn = qpdf_oh_get_key(qn, n, "/DR");
    if (!qpdf_oh_is_null(qo, dro) && !dr_grew(df, dro, drn, 0))
        change(df, "the form's default resources (/DR) lost or changed entries");
    judge_array(df, qpdf_oh_get_key_if_dict(qo, o, "/Fields"), qpdf_oh_get_key(qn, n, "/Fields"),
                "the form's fields", 0, false);
}

static void judge_dss(diff *df, qpdf_oh dss)
{
    qpdf_data qn = df->full->q;
    if (!qpdf_oh_is_dictionary(qn, dss)) {
        change(df, "the catalog's /DSS is not a dictionary");
        return;
    }
    char **k = NULL;
    size_t nk = 0;
    if (mh_pdf_dict_keys(qn, dss, &k, &nk) != MH_OK)
        return;
    for (size_t i = 0; i < nk; i++)
        if (strcmp(k[i], "/Type") != 0 && strcmp(k[i], "/Certs") != 0 &&
            strcmp(k[i], "/CRLs") != 0 && strcmp(k[i], "/OCSPs") != 0 &&
            strcmp(k[i], "/VRI") != 0) {
            change(df, "the DSS dictionary holds %.40s, which a DSS may not", k[i]);
            break;
        }
    mh_pdf_keys_free(k, nk);
    df->r->dss_added = true;
}

/* XMP metadata (a stream /Type /Metadata /Subtype /XML): signers update its
 * dates; it is never drawn on a page (pyHanko allows the same). */
static bool is_xmp(qpdf_data q, qpdf_oh s)
{
    if (!qpdf_oh_is_stream(q, s))
        return false;
    qpdf_oh d = qpdf_oh_get_dict(q, s);
    return qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, d, "/Subtype"), "/XML");
}

static void judge_catalog(diff *df, qpdf_oh o, qpdf_oh n)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    static const char *const skip[] = {"/AcroForm", "/DSS",     "/Extensions",
                                       "/Metadata", "/Version", NULL};
    judge_keys(df, o, n, skip, "the catalog");
    qpdf_oh vn = qpdf_oh_get_key(qn, n, "/Version");
    if (!qpdf_oh_is_null(qn, vn) && !qpdf_oh_is_name(qn, vn))
        change(df, "/Version of the catalog is not a name");
    qpdf_oh mo = qpdf_oh_get_key(qo, o, "/Metadata"), mn = qpdf_oh_get_key(qn, n, "/Metadata");
    if (!equal_in(qo, mo, qn, mn, false) && !is_xmp(qn, mn))
        change(df, "/Metadata of the catalog was %s",
               qpdf_oh_is_null(qn, mn) ? "removed" : "replaced by something that is no XMP stream");
    qpdf_oh dso = qpdf_oh_get_key(qo, o, "/DSS"), dsn = qpdf_oh_get_key(qn, n, "/DSS");
    if (!equal_in(qo, dso, qn, dsn, false)) {
        if (qpdf_oh_is_null(qn, dsn))
            change(df, "the DSS dictionary was removed from the catalog");
        else
            judge_dss(df, dsn);
    }
    qpdf_oh afo = qpdf_oh_get_key(qo, o, "/AcroForm"), afn = qpdf_oh_get_key(qn, n, "/AcroForm");
    bool ind_o = qpdf_oh_is_indirect(qo, afo), ind_n = qpdf_oh_is_indirect(qn, afn);
    if (ind_o && ind_n && qpdf_oh_get_object_id(qo, afo) == qpdf_oh_get_object_id(qn, afn))
        return; /* the AcroForm object itself is judged if it changed */
    if (ind_o && qpdf_oh_get_object_id(qo, afo) != qpdf_oh_get_object_id(qn, afn) &&
        qpdf_oh_is_dictionary(qo, afo)) {
        change(df, "the catalog's /AcroForm now names another object");
        return;
    }
    /* direct, or added where there was none */
    if (!equal_in(qo, afo, qn, afn, true))
        judge_acroform(df, afo, afn);
}

static void judge_page(diff *df, qpdf_oh o, qpdf_oh n, int id)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    int p = page_number(qn, id);
    char what[48];
    snprintf(what, sizeof what, "page %d", p);
    if (!qpdf_oh_is_dictionary(qn, n)) {
        change(df, "page %d (object %d) was replaced by something that is no page", p, id);
        return;
    }
    static const char *const skip[] = {"/Annots", NULL};
    if (!equal_in(qo, qpdf_oh_get_key(qo, o, "/Contents"), qn, qpdf_oh_get_key(qn, n, "/Contents"),
                  false)) {
        change(df, "the content of page %d was changed (its /Contents, page object %d)", p, id);
        return;
    }
    judge_keys(df, o, n, skip, what);
    qpdf_oh ao = qpdf_oh_get_key(qo, o, "/Annots"), an = qpdf_oh_get_key(qn, n, "/Annots");
    if (qpdf_oh_is_indirect(qo, ao) && qpdf_oh_is_indirect(qn, an) &&
        qpdf_oh_get_object_id(qo, ao) == qpdf_oh_get_object_id(qn, an))
        return; /* the array object is judged if it changed */
    judge_array(df, ao, an, what, p, true);
}

/* An empty signature field of the signed revision (or its widget), now. */
static void judge_slot(diff *df, const slot *s, int id, qpdf_oh o, qpdf_oh n)
{
    qpdf_data qn = df->full->q;
    bool merged = s->field == s->widget;
    char what[48];
    snprintf(what, sizeof what, "signature field object %d", id);
    if (!qpdf_oh_is_dictionary(qn, n)) {
        change(df, "the prepared %s was removed", what);
        return;
    }
    if (id == s->field) {
        static const char *const skip_merged[] = {"/V", "/AP", NULL};
        static const char *const skip_field[] = {"/V", NULL};
        judge_keys(df, o, n, merged ? skip_merged : skip_field, what);
        qpdf_oh v = qpdf_oh_get_key(qn, n, "/V");
        int vid = qpdf_oh_get_object_id(qn, v);
        if (qpdf_oh_is_null(qn, v))
            return; /* still empty (only the appearance may have changed) */
        if (!qpdf_oh_is_dictionary(qn, v) || vid <= 0 || old_exists(df, vid)) {
            change(df, "the prepared %s got a value that is not a new signature dictionary", what);
            return;
        }
        if (df->mdp == 1 && !is_doc_timestamp(qn, v)) {
            change(df, "a prepared signature field was signed, but the certification allows no "
                       "change (DocMDP P=1)");
            return;
        }
        df->r->slots_filled++;
        if (df->nfilled == df->capfilled) {
            size_t nc = df->capfilled ? df->capfilled * 2 : 8;
            int *nf = realloc(df->filled_sigs, nc * sizeof *nf);
            if (!nf)
                return;
            df->filled_sigs = nf;
            df->capfilled = nc;
        }
        df->filled_sigs[df->nfilled++] = vid;
    } else {
        static const char *const skip_widget[] = {"/AP", NULL};
        judge_keys(df, o, n, skip_widget, "a prepared signature field's widget");
    }
}

/* One touched object whose content differs. */
static void judge_object(diff *df, int id, qpdf_oh o, qpdf_oh n)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    if (id == df->root_id) {
        judge_catalog(df, o, n);
        return;
    }
    if (id == df->old_af_id) {
        judge_acroform(df, o, n);
        return;
    }
    const slot *s = slot_of(df, id);
    if (s) {
        judge_slot(df, s, id, o, n);
        return;
    }
    if (in_ids(df->dss_ids, df->ndss, id)) {
        df->r->dss_added = true;
        return;
    }
    if (id == df->ext_id)
        return;
    if (id == df->meta_id && is_xmp(qo, o) && is_xmp(qn, n))
        return; /* XMP metadata updated */
    if (qpdf_oh_is_dictionary_of_type(qo, o, "/Page", "")) {
        judge_page(df, o, n, id);
        return;
    }
    /* an indirect /Annots array or /Fields array */
    if (qpdf_oh_is_array(qo, o)) {
        int np = qpdf_get_num_pages(qn);
        for (int i = 0; i < np && i < 100000; i++) {
            qpdf_oh pg = qpdf_get_page_n(qn, (size_t)i);
            if (qpdf_oh_get_object_id(qn, qpdf_oh_get_key(qn, pg, "/Annots")) == id) {
                char what[48];
                snprintf(what, sizeof what, "page %d", i + 1);
                judge_array(df, o, n, what, i + 1, true);
                return;
            }
        }
        qpdf_oh af = qpdf_oh_get_key(qn, qpdf_get_root(qn), "/AcroForm");
        if (qpdf_oh_get_object_id(qn, qpdf_oh_get_key_if_dict(qn, af, "/Fields")) == id) {
            judge_array(df, o, n, "the form's fields", 0, false);
            return;
        }
    }
    char st[48], ty[48];
    qpdf_oh od = qpdf_oh_is_stream(qo, o) ? qpdf_oh_get_dict(qo, o) : o;
    bool annot = qpdf_oh_is_dictionary(qo, od) && qpdf_oh_has_key(qo, od, "/Subtype") &&
                 qpdf_oh_has_key(qo, od, "/Rect");
    if (annot) {
        if (df->mdp == 3 && !is_widget(qo, od) && !qpdf_oh_has_key(qo, od, "/FT") &&
            qpdf_oh_is_dictionary(qn, n) && !is_widget(qn, n) && !qpdf_oh_has_key(qn, n, "/FT"))
            return; /* P=3: annotations may change */
        change(df, "an annotation (object %d, %s) was changed", id,
               name_of(qo, od, "/Subtype", st, sizeof st));
        return;
    }
    /* a page's content stream? */
    if (qpdf_oh_is_stream(qo, o)) {
        int np = qpdf_get_num_pages(qo);
        for (int i = 0; i < np && i < 100000; i++) {
            qpdf_oh c = qpdf_oh_get_key(qo, qpdf_get_page_n(qo, (size_t)i), "/Contents");
            bool hit = qpdf_oh_get_object_id(qo, c) == id;
            int nc = qpdf_oh_is_array(qo, c) ? qpdf_oh_get_array_n_items(qo, c) : 0;
            for (int k = 0; k < nc && k < 10000 && !hit; k++)
                hit = qpdf_oh_get_object_id(qo, qpdf_oh_get_array_item(qo, c, k)) == id;
            if (hit) {
                change(df, "the content of page %d was changed (content stream object %d)", i + 1,
                       id);
                return;
            }
        }
    }
    qpdf_oh tr = qpdf_get_trailer(qo);
    if (qpdf_oh_get_object_id(qo, qpdf_oh_get_key(qo, tr, "/Info")) == id) {
        /* the document information (dates, producer) is never drawn on a
         * page; signers update it (pyHanko allows the same) */
        if (!qpdf_oh_is_dictionary(qn, n))
            change(df, "the document information dictionary (/Info, object %d) was replaced", id);
        return;
    }
    if (qpdf_oh_is_name(qo, qpdf_oh_get_key_if_dict(qo, od, "/Type")))
        change(df, "object %d (%s%s) was changed", id, qpdf_oh_is_stream(qo, o) ? "a stream, " : "",
               name_of(qo, od, "/Type", ty, sizeof ty));
    else
        change(df, "object %d (%s) was changed", id,
               qpdf_oh_is_stream(qo, o)       ? "a stream"
               : qpdf_oh_is_array(qo, o)      ? "an array"
               : qpdf_oh_is_dictionary(qo, o) ? "a dictionary"
                                              : "a value");
}

static bool streams_equal(diff *df, qpdf_oh o, qpdf_oh n)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    unsigned char *bo = NULL, *bn = NULL;
    size_t lo = 0, ln = 0;
    bool eq = false;
    if (!equal_in(qo, qpdf_oh_get_dict(qo, o), qn, qpdf_oh_get_dict(qn, n), false))
        return false;
    if (qpdf_oh_get_stream_data(qo, o, qpdf_dl_none, NULL, &bo, &lo) != QPDF_SUCCESS ||
        qpdf_oh_get_stream_data(qn, n, qpdf_dl_none, NULL, &bn, &ln) != QPDF_SUCCESS)
        goto out;
    eq = lo == ln && (lo == 0 || memcmp(bo, bn, lo) == 0);
out:
    free(bo);
    free(bn);
    return eq;
}

static bool objects_equal(diff *df, qpdf_oh o, qpdf_oh n)
{
    qpdf_data qo = df->old.q, qn = df->full->q;
    bool so = qpdf_oh_is_stream(qo, o), sn = qpdf_oh_is_stream(qn, n);
    if (so != sn)
        return false;
    if (so)
        return streams_equal(df, o, n);
    return equal_in(qo, o, qn, n, true);
}

/* Where the last %%EOF of the file ends, and whether only white space
 * follows it. */
static bool tail_is_clean(const uint8_t *buf, size_t len, size_t *junk)
{
    size_t e = len;
    while (e > 0 && (buf[e - 1] == '\n' || buf[e - 1] == '\r' || buf[e - 1] == ' ' ||
                     buf[e - 1] == '\t' || buf[e - 1] == 0 || buf[e - 1] == '\f'))
        e--;
    if (e >= 5 && memcmp(buf + e - 5, "%%EOF", 5) == 0)
        return true;
    /* bytes after the last %%EOF: how many */
    size_t from = len > (1u << 20) ? len - (1u << 20) : 0;
    for (size_t i = len - (len >= 5 ? 5 : len); i-- > from;)
        if (memcmp(buf + i, "%%EOF", 5) == 0) {
            *junk = len - (i + 5);
            return false;
        }
    *junk = len;
    return false;
}

static void diff_free(diff *df)
{
    free(df->slots);
    free(df->ns);
    free(df->dss_ids);
    mh_pdf_doc_close(&df->old);
}

/* Compares the revision [0, rev_len) with the whole document and fills
 * r->later_changes_allowed, r->change and the counts. Returns an error only
 * when the document is too complex (the memory budget). */
static int later_changes(mh_pdf_doc *full, const mh_pdf_xref *x, int xref_rc, size_t rev_len,
                         mh_pdf_sig_report *r, int **filled, size_t *nfilled)
{
    const uint8_t *buf = full->buf;
    size_t len = full->len, junk = 0;
    diff df;
    int ret = MH_OK;
    memset(&df, 0, sizeof df);
    df.full = full;
    df.x = x;
    df.r = r;
    df.rlen = rev_len;
    r->later_changes_allowed = false;
    r->nchanges = 0;
    r->change[0] = '\0';
    if (!tail_is_clean(buf, len, &junk)) {
        change(&df,
               "%zu bytes after the last %%%%EOF are not a complete revision (an incremental "
               "update ends with its own cross-reference section and %%%%EOF)",
               junk);
        return MH_OK;
    }
    if (xref_rc != MH_OK) {
        if (xref_rc == MH_ERR_TOO_LARGE)
            return xref_rc;
        change(&df, "the cross-reference sections of the later updates cannot be read, so what "
                    "they changed is unknown");
        return MH_OK;
    }
    size_t old_sx = 0;
    bool old_stream = false;
    if (mh_pdf_find_startxref(buf, rev_len, &old_sx, &old_stream) != MH_OK) {
        change(&df, "the signed revision has no cross-reference section of its own");
        return MH_OK;
    }
    df.ksec = mh_pdf_xref_section_at(x, old_sx);
    if (df.ksec == SIZE_MAX) {
        change(&df, "the updates after the signed revision do not build on it (their /Prev "
                    "chain does not reach its cross-reference section)");
        return MH_OK;
    }
    for (size_t j = 0; j < df.ksec; j++) {
        if (x->s[j].off < rev_len || (x->s[j].xrefstm >= 0 && (size_t)x->s[j].xrefstm < rev_len)) {
            change(&df,
                   "a later update's cross-reference section lies inside the signed revision "
                   "(at byte %zu)",
                   x->s[j].off < rev_len ? x->s[j].off : (size_t)x->s[j].xrefstm);
            return MH_OK;
        }
    }
    r->later_revisions = (unsigned)df.ksec;
    ret = mh_pdf_doc_open(&df.old, buf, rev_len);
    if (ret != MH_OK) {
        if (ret == MH_ERR_TOO_LARGE)
            goto out;
        ret = MH_OK;
        change(&df, "the signed revision cannot be read on its own");
        goto out;
    }
    qpdf_data qo = df.old.q, qn = full->q;
    qpdf_oh ro = qpdf_get_root(qo), rn = qpdf_get_root(qn);
    df.root_id = qpdf_oh_get_object_id(qo, ro);
    if (df.root_id != qpdf_oh_get_object_id(qn, rn)) {
        change(&df,
               "the document catalog was replaced (the trailer's /Root now names object %d "
               "instead of %d)",
               qpdf_oh_get_object_id(qn, rn), df.root_id);
        goto out;
    }
    df.mdp = mh_pdf_docmdp_p(qo, ro);
    r->mdp_in_force = df.mdp;
    qpdf_oh afo = qpdf_oh_get_key(qo, ro, "/AcroForm");
    df.old_af_id = qpdf_oh_get_object_id(qo, afo);
    ret = collect(&df);
    if (ret != MH_OK) {
        if (ret == MH_ERR_TOO_LARGE)
            goto out;
        ret = MH_OK;
        change(&df, "the signed revision's form cannot be read");
        goto out;
    }
    /* every object a later update touched */
    for (size_t i = 0; i < x->ne && !done(&df);) {
        size_t j = i;
        uint32_t id = x->e[i].id;
        while (j < x->ne && x->e[j].id == id)
            j++;
        const mh_pdf_xent *en = &x->e[i]; /* newest: sorted by section */
        if (en->section >= df.ksec) {
            i = j;
            continue; /* not touched after the signed revision */
        }
        const mh_pdf_xent *eo = mh_pdf_xref_find(x, id, df.ksec);
        i = j;
        bool in_old = eo && eo->type != 0;
        if (en->type == 0) {
            if (in_old)
                change(&df, "object %u was deleted by a later update", id);
            continue;
        }
        if (!in_old)
            continue; /* a new object: judged through what refers to it */
        bool relisted = en->type == eo->type && en->a == eo->a && en->b == eo->b;
        if (!relisted && en->type == 1 && en->a < rev_len) {
            change(&df,
                   "object %u was redefined by a later update to bytes inside the signed "
                   "revision (byte %llu): an older, hidden version of it now shows",
                   id, (unsigned long long)en->a);
            continue;
        }
        if (!relisted && en->type == 2) {
            const mh_pdf_xent *os = mh_pdf_xref_find(x, (uint32_t)en->a, df.ksec);
            if (os && os->type != 0) {
                change(&df,
                       "object %u was redefined by a later update to an object stream of the "
                       "signed revision (object %llu)",
                       id, (unsigned long long)en->a);
                continue;
            }
        }
        int go = eo->type == 1 ? (int)eo->b : 0, gn = en->type == 1 ? (int)en->b : 0;
        if (go != gn) {
            change(&df, "object %u was replaced by a later update (generation %d became %d)", id,
                   go, gn);
            continue;
        }
        qpdf_oh o = qpdf_get_object_by_id(qo, (int)id, go);
        qpdf_oh n = qpdf_get_object_by_id(qn, (int)id, gn);
        if (qpdf_oh_is_stream(qo, o) &&
            qpdf_oh_is_name_and_equals(qo, qpdf_oh_get_key(qo, qpdf_oh_get_dict(qo, o), "/Type"),
                                       "/ObjStm") &&
            !objects_equal(&df, o, n)) {
            change(&df, "object stream %u of the signed revision was replaced by a later update",
                   id);
        } else if (!objects_equal(&df, o, n)) {
            judge_object(&df, (int)id, o, n);
        }
        qpdf_oh_release(qo, o);
        qpdf_oh_release(qn, n);
    }
    if (mh_pdf_budget_tripped()) {
        ret = mh_pdf_too_complex();
        goto out;
    }
    if (qpdf_has_error(qo) || qpdf_has_error(qn)) {
        change(&df, "the revisions could not be compared (damaged objects)");
        goto out;
    }
    r->later_changes_allowed = r->nchanges == 0;
out:
    if (ret == MH_OK && df.nfilled) {
        *filled = df.filled_sigs; /* transferred */
        *nfilled = df.nfilled;
        df.filled_sigs = NULL;
    }
    free(df.filled_sigs);
    diff_free(&df);
    return ret;
}

/* ---- one signature -------------------------------------------------------- */

/* A document timestamp: /Contents is an RFC 3161 token whose message
 * imprint is the digest of the byte range (ETSI EN 319 142-1 5.4). */
static void check_doc_timestamp(const uint8_t *tok, size_t len, const mh_pdf_signed_data *sd,
                                mh_pdf_sig_report *r)
{
    static const mbedtls_md_type_t mds[] = {MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384,
                                            MBEDTLS_MD_SHA512};
    char first[160] = "";
    int first_rc = MH_ERR_VERIFY_FAILED;
    for (size_t i = 0; i < sizeof mds / sizeof mds[0]; i++) {
        uint8_t h[MBEDTLS_MD_MAX_SIZE];
        size_t hl = 0;
        mh_tsp_req req;
        mh_tsp_info info;
        if (hash_parts(mds[i], sd, h, &hl) != MH_OK || mh_tsp_req_init(&req, mds[i], h, hl) != 0)
            continue;
        memset(&info, 0, sizeof info);
        int rc = mh_tsp_token_verify(tok, len, &req, NULL, 0, NULL, &info);
        if (rc == 0) {
            r->status = MH_PDF_SIG_VALID;
            r->cms_rc = 0;
            r->digest_checked = true;
            r->change[0] = '\0';
            if (info.tsa_cert) {
                (void)mh_x509_cert_subject(info.tsa_cert, info.tsa_cert_len, MH_X509_NAME_TEXT,
                                           r->signer, sizeof r->signer);
            }
            time_t t = (time_t)info.gen_time;
            struct tm tm;
            if (gmtime_r(&t, &tm))
                snprintf(r->when, sizeof r->when, "D:%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
            return;
        }
        if (!first[0]) {
            first_rc = rc;
            snprintf(first, sizeof first, "%s", mh_err_message(rc));
        }
    }
    r->status = MH_PDF_SIG_BAD_CMS;
    r->cms_rc = first_rc;
    snprintf(r->change, sizeof r->change, "the document timestamp does not verify: %.200s", first);
}

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
    r->docmdp_p = mh_pdf_sig_docmdp_p(q, v);
    r->certification = r->docmdp_p > 0;
    r->doc_timestamp =
        qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, v, "/Type"), "/DocTimeStamp") ||
        qpdf_oh_is_name_and_equals(q, sf, "/ETSI.RFC3161");
    qpdf_oh ci = qpdf_oh_get_key(q, v, "/ContactInfo");
    if (qpdf_oh_is_string(q, ci)) {
        size_t cl = 0, o = 0;
        const char *s = qpdf_oh_get_binary_utf8_value(q, ci, &cl);
        for (size_t i = 0; s && i < cl && o + 1 < sizeof r->contact; i++)
            r->contact[o++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
        r->contact[o] = '\0';
    }

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
        if (mh_hexval(buf[i]) < 0) {
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
    if (mh_hex_decode((const char *)buf + a + 1, 2 * clen, cms, clen, NULL) != 0) {
        snprintf(r->change, sizeof r->change, "the /Contents value is not hex");
        goto out;
    }
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

    /* the CMS: one element, zero padding after it. Signers may write BER
     * (indefinite lengths, constructed strings; RFC 5652 allows it): it is
     * read as its DER form, and the signed attributes must then be DER as
     * they were signed (the signature is checked over them). */
    mh_der dd;
    mh_der_elem top;
    size_t used = 0, dlen = 0;
    size_t dcap = clen + clen / 2 + 256;
    uint8_t *der = malloc(dcap);
    if (!der) {
        snprintf(r->change, sizeof r->change, "out of memory");
        goto out;
    }
    mh_err_clear();
    int brc = mh_cms_ber_to_der_prefix(cms, clen, der, dcap, &dlen, &used);
    mh_err_clear();
    if (brc == 0) {
        r->cms_ber = dlen != used || memcmp(der, cms, dlen) != 0;
        free(cms);
        cms = der; /* transferred */
        der = NULL;
    } else {
        free(der);
        der = NULL;
    }
    mh_der_init(&dd, cms, brc == 0 ? dlen : clen);
    if (brc != 0 || mh_der_next(&dd, &top) != 0 || top.tag != MH_DER_SEQUENCE) {
        r->status = MH_PDF_SIG_BAD_CMS;
        r->cms_rc = MH_ERR_PARSE;
        snprintf(r->change, sizeof r->change, "/Contents is not a CMS SignedData (DER or BER)");
        goto out;
    }
    for (size_t i = used; i < clen; i++) /* the padding, as written in the file */
        if (mh_hexval(buf[a + 1 + 2 * i]) != 0 || mh_hexval(buf[a + 2 + 2 * i]) != 0) {
            r->status = MH_PDF_SIG_BAD_CMS;
            r->cms_rc = MH_ERR_PARSE;
            snprintf(r->change, sizeof r->change, "/Contents has bytes after the CMS");
            goto out;
        }
    mh_pdf_signed_data sd = {{buf, buf + b}, {a, l2}, {0}};
    size_t hl = 0;
    if (r->by_mohur && r->original_len > 0 && r->original_len <= sd.part_len[0]) {
        /* one pass for the byte range and the original bytes (a prefix of
         * it) that the receipt names */
        const uint8_t *parts[2] = {sd.part[0], sd.part[1]};
        const size_t lens[2] = {sd.part_len[0], sd.part_len[1]};
        r->original_hashed = mh_hash_sha256_parts_prefix(parts, lens, 2, r->original_len, sd.sha256,
                                                         r->original_sha256) == 0;
    }
    if (!r->original_hashed)
        (void)hash_parts(MBEDTLS_MD_SHA256, &sd, sd.sha256, &hl);
    if (r->doc_timestamp) {
        check_doc_timestamp(cms, top.raw_len, &sd, r);
        goto out;
    }

    mbedtls_md_type_t md = MBEDTLS_MD_NONE;
    mh_der_elem mdig;
    int mr = cms_message_digest(cms, top.raw_len, &md, &mdig);
    if (mr == MH_OK) {
        uint8_t h[MBEDTLS_MD_MAX_SIZE];
        int hr = MH_OK;
        if (md == MBEDTLS_MD_SHA256) { /* computed above: not a second pass */
            memcpy(h, sd.sha256, 32);
            hl = 32;
        } else {
            hr = hash_parts(md, &sd, h, &hl);
        }
        if (hr != MH_OK || hl != mdig.len || mh_ct_memcmp(h, mdig.val, hl) != 0) {
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
            snprintf(r->change, sizeof r->change, "%s",
                     r->cms_rc == MH_ERR_TIMESTAMP ? "its signature timestamp does not verify"
                     : r->cms_rc == MH_ERR_ALG_REFUSED
                         ? "its algorithm or key is refused by policy (SHA-1, a short RSA key): "
                           "not proven forged, but never accepted"
                         : "the CMS signature does not verify");
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
out:
    free(cms);
}

/* The document now shows no signature, but an earlier revision had one
 * (a shadow attack can swap the catalog or the form away): report the
 * newest signed earlier revision's signatures, judged against the document
 * as it is now, so the change is named. */
static int lost_signatures(mh_pdf_doc *d, const mh_pdf_xref *x, mh_pdf_cms_verify_fn verify,
                           void *vctx, mh_pdf_verify_result *res)
{
    for (size_t j = 1; j < x->ns && j < 16; j++) {
        size_t from = x->s[j].dict_end > x->s[j].hybrid_end ? x->s[j].dict_end : x->s[j].hybrid_end;
        size_t e = SIZE_MAX;
        for (size_t i = from; i + 5 <= d->len; i++)
            if (d->buf[i] == '%' && memcmp(d->buf + i, "%%EOF", 5) == 0) {
                e = i + 5;
                break;
            }
        if (e == SIZE_MAX || e >= d->len)
            continue;
        while (e < d->len && (d->buf[e] == '\r' || d->buf[e] == '\n'))
            e++;
        mh_pdf_doc old;
        if (mh_pdf_doc_open(&old, d->buf, e) != MH_OK) {
            if (mh_pdf_budget_tripped())
                return mh_pdf_too_complex();
            continue;
        }
        mh_pdf_field *f = NULL;
        size_t nf = 0;
        unsigned top = 0;
        int ret = mh_pdf_sig_fields(&old, &f, &nf, &top);
        for (size_t i = 0; ret == MH_OK && i < nf && res->nsigs < MH_PDF_MAX_SIGS; i++) {
            if (!f[i].value)
                continue;
            mh_pdf_sig_report *r = &res->sigs[res->nsigs++];
            check_sig(&old, &f[i], verify, vctx, r);
            if (r->status > MH_PDF_SIG_UNCHECKED)
                continue;
            int *fs = NULL;
            size_t nfs = 0;
            ret = later_changes(d, x, MH_OK, r->revision_len, r, &fs, &nfs);
            free(fs);
            r->covers_whole = false;
            r->status = MH_PDF_SIG_MODIFIED;
            r->later_changes_allowed = false;
            if (r->nchanges == 0) {
                r->nchanges = 1;
                snprintf(r->change, sizeof r->change,
                         "the document no longer lists this signature (a later update removed "
                         "it from the form)");
            }
        }
        free(f);
        mh_pdf_doc_close(&old);
        if (ret != MH_OK || res->nsigs > 0)
            return ret;
    }
    return MH_OK;
}

int mh_pdf_document_verify(mh_pdf_document *doc, mh_pdf_cms_verify_fn verify, void *verify_ctx,
                           mh_pdf_verify_result *res)
{
    int ret;
    mh_pdf_field *f = NULL;
    size_t nf = 0;
    unsigned top = 0;
    mh_pdf_xref x;
    int xref_rc = 1; /* not read yet */
    int sig_ids[MH_PDF_MAX_SIGS];
    int *filled = NULL;
    size_t nfilled = 0;

    if (!res || !doc)
        return MH_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    memset(&x, 0, sizeof x);
    mh_pdf_doc *d = &doc->d;
    qpdf_data q = d->q;
    res->original_len = d->len;
    ret = mh_pdf_sig_fields(d, &f, &nf, &top);
    if (ret != MH_OK)
        goto out;
    ret = mh_pdf_doc_ok(d, "reading the form fields");
    if (ret != MH_OK)
        goto out;
    bool all = true;
    for (size_t i = 0; i < nf; i++) {
        if (!f[i].value) {
            res->empty_slots++;
            continue;
        }
        if (res->nsigs >= MH_PDF_MAX_SIGS)
            continue;
        sig_ids[res->nsigs] = qpdf_oh_get_object_id(q, f[i].value);
        mh_pdf_sig_report *r = &res->sigs[res->nsigs++];
        check_sig(d, &f[i], verify, verify_ctx, r);
        if (mh_pdf_budget_tripped()) {
            ret = mh_pdf_too_complex();
            goto out;
        }
        bool good = r->status == MH_PDF_SIG_VALID || (!verify && r->status == MH_PDF_SIG_UNCHECKED);
        if (good) {
            r->later_changes_allowed = true;
            if (!r->covers_whole) {
                if (xref_rc == 1)
                    xref_rc = mh_pdf_xref_read(d->buf, d->len, &x);
                int *fs = NULL;
                size_t nfs = 0;
                ret = later_changes(d, &x, xref_rc, r->revision_len, r, &fs, &nfs);
                if (ret != MH_OK)
                    goto out;
                for (size_t k = 0; k < nfs; k++) {
                    int *nfl = realloc(filled, (nfilled + 1) * sizeof *nfl);
                    if (!nfl)
                        break;
                    filled = nfl;
                    filled[nfilled++] = fs[k];
                }
                free(fs);
                if (!r->later_changes_allowed) {
                    r->status = MH_PDF_SIG_MODIFIED;
                    good = false;
                }
            }
        }
        if (!good)
            all = false;
        if (good && r->by_mohur && r->original_len <= r->byte_range[1] &&
            r->original_len < res->original_len) {
            res->original_len = r->original_len;
            res->original_hashed = r->original_hashed;
            memcpy(res->original_sha256, r->original_sha256, 32);
        }
    }
    if (res->nsigs == 0) {
        if (xref_rc == 1)
            xref_rc = mh_pdf_xref_read(d->buf, d->len, &x);
        if (xref_rc == MH_OK && x.ns > 1) {
            ret = lost_signatures(d, &x, verify, verify_ctx, res);
            if (ret != MH_OK)
                goto out;
            all = false;
        }
    }
    for (size_t i = 0; i < res->nsigs; i++)
        for (size_t k = 0; k < nfilled; k++)
            if (sig_ids[i] > 0 && sig_ids[i] == filled[k])
                res->sigs[i].filled_slot = true;
    res->docmdp_p = mh_pdf_docmdp_p(q, qpdf_get_root(q));
    res->all_valid = all && res->nsigs > 0;
    ret = mh_pdf_budget_tripped() ? mh_pdf_too_complex() : MH_OK;
out:
    if (xref_rc == MH_OK)
        mh_pdf_xref_free(&x);
    free(filled);
    free(f);
    if (ret != MH_OK)
        memset(res, 0, sizeof *res);
    return ret;
}

int mh_pdf_verify(const uint8_t *pdf, size_t len, mh_pdf_cms_verify_fn verify, void *verify_ctx,
                  mh_pdf_verify_result *res)
{
    mh_pdf_document *doc = NULL;
    if (!res)
        return MH_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    res->original_len = len;
    int ret = mh_pdf_open(pdf, len, &doc);
    if (ret != MH_OK)
        return ret;
    ret = mh_pdf_document_verify(doc, verify, verify_ctx, res);
    mh_pdf_close(doc);
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
