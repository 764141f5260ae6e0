/* pdf_doc.c - reading a PDF's structure through qpdf's C API, the output
 * buffer, and the serialisation of values read through qpdf. */
#include "pdf_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output buffer -------------------------------------------------------- */

void mh_buf_init(mh_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void mh_buf_free(mh_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void mh_buf_put(mh_buf *b, const void *data, size_t n)
{
    if (b->failed)
        return;
    if (n > b->max - b->len) {
        b->failed = true;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap = cap > b->max / 2 ? b->max : cap * 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

void mh_buf_puts(mh_buf *b, const char *s)
{
    mh_buf_put(b, s, strlen(s));
}

void mh_buf_printf(mh_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = true;
        return;
    }
    mh_buf_put(b, tmp, (size_t)n);
}

static bool is_regular_name_char(unsigned char c)
{
    if (c < 0x21 || c > 0x7e || c == '#')
        return false;
    return strchr("()<>[]{}/%", c) == NULL;
}

void mh_buf_name(mh_buf *b, const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    if (*s == '/')
        s++;
    mh_buf_put(b, "/", 1);
    for (; *s; s++) {
        if (is_regular_name_char(*s))
            mh_buf_put(b, s, 1);
        else
            mh_buf_printf(b, "#%02X", *s);
    }
}

void mh_buf_text(mh_buf *b, const char *utf8)
{
    const unsigned char *s = (const unsigned char *)utf8;
    bool ascii = true;
    for (const unsigned char *p = s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            ascii = false;
    if (ascii) {
        mh_buf_put(b, "(", 1);
        for (; *s; s++) {
            if (*s == '(' || *s == ')' || *s == '\\')
                mh_buf_put(b, "\\", 1);
            mh_buf_put(b, s, 1);
        }
        mh_buf_put(b, ")", 1);
        return;
    }
    /* UTF-16BE with a BOM, as hex; invalid UTF-8 becomes U+FFFD */
    mh_buf_puts(b, "<FEFF");
    size_t len = strlen((const char *)s), i = 0;
    while (i < len) {
        uint32_t cp = mh_utf8_next(s, len, &i);
        if (cp == MH_UTF8_BAD)
            cp = 0xfffd;
        if (cp >= 0x10000 && cp <= 0x10ffff) {
            uint32_t v = cp - 0x10000;
            mh_buf_printf(b, "%04X%04X", 0xd800u + (v >> 10), 0xdc00u + (v & 0x3ffu));
        } else {
            mh_buf_printf(b, "%04X", (cp >= 0xd800 && cp < 0xe000) ? 0xfffdu : cp);
        }
    }
    mh_buf_puts(b, ">");
}

void mh_buf_value(mh_buf *b, qpdf_data q, qpdf_oh v)
{
    /* qpdf_oh_unparse writes indirect objects as "N G R" and strings with
     * anything unprintable as hex, so the text has no NUL byte. */
    const char *s = qpdf_oh_unparse(q, v);
    if (!s) {
        b->failed = true;
        return;
    }
    mh_buf_puts(b, s);
}

/* ---- dictionary keys ------------------------------------------------------ */

void mh_pdf_keys_free(char **keys, size_t n)
{
    if (!keys)
        return;
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

int mh_pdf_dict_keys(qpdf_data q, qpdf_oh dict, char ***keys, size_t *n)
{
    int ret = MH_ERR_NOMEM;
    char **k = NULL;
    size_t cnt = 0, cap = 0;

    qpdf_oh_begin_dict_key_iter(q, dict);
    while (qpdf_oh_dict_more_keys(q)) {
        const char *key = qpdf_oh_dict_next_key(q);
        if (!key)
            break;
        if (cnt == 4096) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "a PDF dictionary has more than 4096 keys; mohur does not read it");
            ret = MH_ERR_TOO_LARGE;
            goto out;
        }
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nk = realloc(k, nc * sizeof *nk);
            if (!nk)
                goto out;
            k = nk;
            cap = nc;
        }
        k[cnt] = strdup(key);
        if (!k[cnt])
            goto out;
        cnt++;
    }
    *keys = k;
    *n = cnt;
    k = NULL;
    ret = MH_OK;
out:
    mh_pdf_keys_free(k, cnt);
    return ret;
}

/* ---- opening -------------------------------------------------------------- */

static const uint8_t *find_last(const uint8_t *buf, size_t len, const char *pat, size_t from)
{
    size_t pl = strlen(pat);
    if (len < pl)
        return NULL;
    for (size_t i = len - pl + 1; i-- > from;)
        if (memcmp(buf + i, pat, pl) == 0)
            return buf + i;
    return NULL;
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

/* Reads a decimal number at *i (at most 15 digits). */
static bool read_uint(const uint8_t *buf, size_t len, size_t *i, size_t *v)
{
    size_t n = 0, digits = 0;
    while (*i < len && buf[*i] >= '0' && buf[*i] <= '9') {
        if (++digits > 15)
            return false;
        n = n * 10 + (size_t)(buf[*i] - '0');
        (*i)++;
    }
    *v = n;
    return digits > 0;
}

int mh_pdf_find_startxref(const uint8_t *buf, size_t len, size_t *off, bool *is_stream)
{
    size_t from = len > 2048 ? len - 2048 : 0;
    const uint8_t *p = find_last(buf, len, "startxref", from);
    if (!p) {
        mh_err_set(MH_ERR_PARSE,
                   "the PDF has no 'startxref' near its end: it is damaged or truncated; "
                   "repair it (e.g. 'qpdf in.pdf out.pdf') and try again");
        return MH_ERR_PARSE;
    }
    size_t i = (size_t)(p - buf) + 9, v = 0;
    while (i < len && is_ws(buf[i]))
        i++;
    if (!read_uint(buf, len, &i, &v) || v >= len) {
        mh_err_set(MH_ERR_PARSE,
                   "the PDF's 'startxref' does not point inside the file: it is damaged; "
                   "repair it (e.g. 'qpdf in.pdf out.pdf') and try again");
        return MH_ERR_PARSE;
    }
    *off = v;
    i = v;
    if (len - i >= 4 && memcmp(buf + i, "xref", 4) == 0) {
        *is_stream = false;
        return MH_OK;
    }
    size_t num = 0, gen = 0;
    if (read_uint(buf, len, &i, &num) && i < len && is_ws(buf[i])) {
        while (i < len && is_ws(buf[i]))
            i++;
        if (read_uint(buf, len, &i, &gen)) {
            while (i < len && is_ws(buf[i]))
                i++;
            if (len - i >= 3 && memcmp(buf + i, "obj", 3) == 0) {
                *is_stream = true;
                return MH_OK;
            }
        }
    }
    mh_err_set(MH_ERR_PARSE,
               "the PDF's 'startxref' points at neither a cross-reference table nor a "
               "cross-reference stream: it is damaged; repair it (e.g. 'qpdf in.pdf "
               "out.pdf') and try again");
    return MH_ERR_PARSE;
}

static const char *short_msg(const char *s, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s", s ? s : "unknown problem");
    for (char *c = tmp; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return tmp;
}

int mh_pdf_too_complex(void)
{
    mh_err_set(MH_ERR_TOO_LARGE,
               "the PDF is too complex to verify: it needs more than %zu MiB of memory (objects, "
               "arrays or streams far beyond what a document needs); mohur refuses it",
               MH_PDF_MEMORY_BUDGET >> 20);
    return MH_ERR_TOO_LARGE;
}

/* A warning that is no damage: the trailer's /Size is not the highest object
 * number + 1 (qpdf reads every object exactly all the same; the EU DSS
 * project's signed samples are like that). */
static bool harmless_warning(const char *text)
{
    return text && strstr(text, "reported number of objects") &&
           strstr(text, "is not one plus the highest object number");
}

int mh_pdf_doc_ok(mh_pdf_doc *d, const char *what)
{
    char tmp[300];
    if (mh_pdf_budget_tripped())
        return mh_pdf_too_complex();
    if (qpdf_has_error(d->q)) {
        qpdf_error e = qpdf_get_error(d->q);
        mh_err_set(MH_ERR_PARSE,
                   "the PDF is damaged (%s: %s); repair it (e.g. 'qpdf in.pdf out.pdf') "
                   "and try again",
                   what, short_msg(e ? qpdf_get_error_full_text(d->q, e) : NULL, tmp, sizeof tmp));
        return MH_ERR_PARSE;
    }
    while (qpdf_more_warnings(d->q)) {
        qpdf_error e = qpdf_next_warning(d->q);
        const char *text = e ? qpdf_get_error_full_text(d->q, e) : NULL;
        if (harmless_warning(text))
            continue;
        mh_err_set(MH_ERR_PARSE,
                   "the PDF is damaged (%s: %s); mohur signs and verifies only PDFs "
                   "that read without repair: repair it (e.g. 'qpdf in.pdf out.pdf') and "
                   "try again",
                   what, short_msg(text, tmp, sizeof tmp));
        return MH_ERR_PARSE;
    }
    return MH_OK;
}

int mh_pdf_doc_open(mh_pdf_doc *d, const uint8_t *buf, size_t len)
{
    int ret = MH_ERR_PARSE;
    memset(d, 0, sizeof *d);
    if (!buf || len == 0) {
        mh_err_set(MH_ERR_PARSE, "the PDF is empty");
        return MH_ERR_PARSE;
    }
    if (len > MH_PDF_MAX_SIZE) {
        mh_err_set(MH_ERR_TOO_LARGE, "the PDF is %zu bytes; mohur reads PDFs of at most %zu MiB",
                   len, MH_PDF_MAX_SIZE >> 20);
        return MH_ERR_TOO_LARGE;
    }
    size_t lim = len < 1024 ? len : 1024;
    bool header = false;
    for (size_t i = 0; i + 5 <= lim && !header; i++)
        header = memcmp(buf + i, "%PDF-", 5) == 0;
    if (!header) {
        mh_err_set(MH_ERR_PARSE, "this is not a PDF (no '%%PDF-' header in its first 1024 bytes)");
        return MH_ERR_PARSE;
    }
    ret = mh_pdf_find_startxref(buf, len, &d->startxref, &d->xref_stream);
    if (ret != MH_OK)
        return ret;
    d->buf = buf;
    d->len = len;
    mh_pdf_budget_begin(MH_PDF_MEMORY_BUDGET);
    d->budget = true;
    d->q = qpdf_init();
    if (!d->q) {
        mh_pdf_doc_close(d);
        return MH_ERR_NOMEM;
    }
    qpdf_silence_errors(d->q);
    qpdf_set_suppress_warnings(d->q, QPDF_TRUE);
    /* No recovery: a cross-reference table qpdf would have to rebuild is
     * damage, and we refuse damaged files. */
    qpdf_set_attempt_recovery(d->q, QPDF_FALSE);
    QPDF_ERROR_CODE rc =
        qpdf_read_memory(d->q, "PDF", (const char *)buf, (unsigned long long)len, "");
    if ((rc & QPDF_ERRORS) && mh_pdf_budget_tripped()) {
        ret = mh_pdf_too_complex();
        goto out;
    }
    if (rc & QPDF_ERRORS) {
        char tmp[300];
        qpdf_error e = qpdf_get_error(d->q);
        if (e && qpdf_get_error_code(d->q, e) == qpdf_e_password) {
            mh_err_set(MH_ERR_PERMISSION,
                       "the PDF is encrypted and needs a password; mohur signs only "
                       "unencrypted PDFs: remove the encryption first (e.g. 'qpdf "
                       "--password=... --decrypt in.pdf out.pdf')");
            ret = MH_ERR_PERMISSION;
        } else if (e && strstr(qpdf_get_error_full_text(d->q, e), "ncrypt")) {
            mh_err_set(MH_ERR_PERMISSION,
                       "the PDF is encrypted in a way mohur cannot open (%s); mohur signs "
                       "only unencrypted PDFs: remove the encryption first",
                       short_msg(qpdf_get_error_full_text(d->q, e), tmp, sizeof tmp));
            ret = MH_ERR_PERMISSION;
        } else {
            mh_err_set(MH_ERR_PARSE,
                       "the PDF is damaged (%s); repair it (e.g. 'qpdf in.pdf out.pdf') and "
                       "try again",
                       short_msg(e ? qpdf_get_error_full_text(d->q, e) : NULL, tmp, sizeof tmp));
            ret = MH_ERR_PARSE;
        }
        goto out;
    }
    if (qpdf_is_encrypted(d->q)) {
        mh_err_set(MH_ERR_PERMISSION,
                   "the PDF is encrypted; mohur signs only unencrypted PDFs: remove the "
                   "encryption first (e.g. 'qpdf --decrypt in.pdf out.pdf')");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    ret = mh_pdf_doc_ok(d, "reading the cross-reference table");
out:
    if (ret != MH_OK)
        mh_pdf_doc_close(d);
    return ret;
}

void mh_pdf_doc_close(mh_pdf_doc *d)
{
    if (d->q)
        qpdf_cleanup(&d->q);
    d->q = NULL;
    if (d->budget)
        mh_pdf_budget_end();
    d->budget = false;
}

/* ---- fields --------------------------------------------------------------- */

typedef struct walk {
    mh_pdf_doc *d;
    mh_pdf_field *f;
    size_t n, cap, visited;
    int seen_ids[MH_PDF_MAX_FIELDS];
    size_t nseen;
} walk;

static bool seen(walk *w, qpdf_oh o)
{
    int id = qpdf_oh_get_object_id(w->d->q, o);
    if (id <= 0)
        return false;
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen_ids[i] == id)
            return true;
    if (w->nseen < MH_PDF_MAX_FIELDS)
        w->seen_ids[w->nseen++] = id;
    return false;
}

static void printable_name(qpdf_data q, qpdf_oh t, char *out, size_t cap)
{
    size_t n = 0, o = 0;
    const char *s = qpdf_oh_get_binary_utf8_value(q, t, &n);
    if (!s)
        return;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[o] = '\0';
}

static int walk_field(walk *w, qpdf_oh f, const char *parent, bool sig_inherited, int depth)
{
    qpdf_data q = w->d->q;
    if (depth > MH_PDF_TREE_DEPTH || ++w->visited > MH_PDF_MAX_FIELDS)
        return MH_OK; /* capped: deeper fields are not looked at */
    if (!qpdf_oh_is_dictionary(q, f) || seen(w, f))
        return MH_OK;
    char name[128] = "";
    qpdf_oh t = qpdf_oh_get_key(q, f, "/T");
    char part[128] = "";
    if (qpdf_oh_is_string(q, t))
        printable_name(q, t, part, sizeof part);
    if (parent[0] && part[0])
        snprintf(name, sizeof name, "%.60s.%.60s", parent, part);
    else
        snprintf(name, sizeof name, "%s", parent[0] ? parent : part);
    bool is_sig = sig_inherited;
    qpdf_oh ft = qpdf_oh_get_key(q, f, "/FT");
    if (qpdf_oh_is_name(q, ft))
        is_sig = qpdf_oh_is_name_and_equals(q, ft, "/Sig");
    qpdf_oh kids = qpdf_oh_get_key(q, f, "/Kids");
    bool has_field_kids = false;
    if (qpdf_oh_is_array(q, kids)) {
        int nk = qpdf_oh_get_array_n_items(q, kids);
        for (int i = 0; i < nk && i < MH_PDF_MAX_FIELDS; i++) {
            qpdf_oh k = qpdf_oh_get_array_item(q, kids, i);
            /* kids that are only widgets (no /T) belong to this field */
            if (qpdf_oh_has_key(q, k, "/T")) {
                has_field_kids = true;
                int r = walk_field(w, k, name, is_sig, depth + 1);
                if (r != MH_OK)
                    return r;
            }
        }
    }
    if (!is_sig || has_field_kids)
        return MH_OK;
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 8;
        mh_pdf_field *nf = realloc(w->f, nc * sizeof *nf);
        if (!nf)
            return MH_ERR_NOMEM;
        w->f = nf;
        w->cap = nc;
    }
    mh_pdf_field *o = &w->f[w->n++];
    memset(o, 0, sizeof *o);
    o->field = f;
    qpdf_oh v = qpdf_oh_get_key(q, f, "/V");
    o->value = qpdf_oh_is_dictionary(q, v) ? v : 0;
    snprintf(o->name, sizeof o->name, "%s", name);
    return MH_OK;
}

int mh_pdf_sig_fields(mh_pdf_doc *d, mh_pdf_field **fields, size_t *n, unsigned *top)
{
    int ret = MH_ERR_NOMEM;
    qpdf_data q = d->q;
    walk *w = calloc(1, sizeof *w);
    if (!w)
        return MH_ERR_NOMEM;
    w->d = d;
    *top = 0;
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh af = qpdf_oh_get_key(q, root, "/AcroForm");
    qpdf_oh fl = qpdf_oh_is_dictionary(q, af) ? qpdf_oh_get_key(q, af, "/Fields") : 0;
    if (fl && qpdf_oh_is_array(q, fl)) {
        int nf = qpdf_oh_get_array_n_items(q, fl);
        *top = nf > 0 ? (unsigned)nf : 0;
        for (int i = 0; i < nf && i < MH_PDF_MAX_FIELDS; i++) {
            ret = walk_field(w, qpdf_oh_get_array_item(q, fl, i), "", false, 0);
            if (ret != MH_OK)
                goto out;
        }
    }
    *fields = w->f;
    *n = w->n;
    w->f = NULL;
    ret = MH_OK;
out:
    free(w->f);
    free(w);
    return ret;
}

unsigned mh_pdf_sig_docmdp_p(qpdf_data q, qpdf_oh sig)
{
    qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference");
    int n = qpdf_oh_is_array(q, refs) ? qpdf_oh_get_array_n_items(q, refs) : 0;
    for (int i = 0; i < n && i < 16; i++) {
        qpdf_oh r = qpdf_oh_get_array_item(q, refs, i);
        if (!qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, r, "/TransformMethod"),
                                        "/DocMDP"))
            continue;
        long long p = 2;
        qpdf_oh tp = qpdf_oh_get_key_if_dict(q, r, "/TransformParams");
        if (!qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key_if_dict(q, tp, "/P"), &p))
            p = 2;
        return p >= 1 && p <= 3 ? (unsigned)p : 2;
    }
    return 0;
}

unsigned mh_pdf_docmdp_p(qpdf_data q, qpdf_oh root)
{
    qpdf_oh perms = qpdf_oh_get_key_if_dict(q, root, "/Perms");
    qpdf_oh sig = qpdf_oh_get_key_if_dict(q, perms, "/DocMDP");
    if (!qpdf_oh_is_dictionary(q, sig))
        return 0;
    unsigned p = mh_pdf_sig_docmdp_p(q, sig);
    return p ? p : 2;
}

bool mh_pdf_orig_len(qpdf_data q, qpdf_oh sig, size_t *len)
{
    long long v = 0;
    qpdf_oh o = qpdf_oh_get_key(q, sig, "/MH_OrigLen");
    if (!qpdf_oh_get_value_as_longlong(q, o, &v) || v < 0 ||
        (unsigned long long)v > MH_PDF_MAX_SIZE)
        return false;
    *len = (size_t)v;
    return true;
}

/* ---- public reading API --------------------------------------------------- */

int mh_pdf_open(const uint8_t *pdf, size_t len, mh_pdf_document **out)
{
    if (!out)
        return MH_ERR_INVALID_ARG;
    *out = NULL;
    mh_pdf_document *doc = calloc(1, sizeof *doc);
    if (!doc)
        return MH_ERR_NOMEM;
    int ret = mh_pdf_doc_open(&doc->d, pdf, len);
    if (ret != MH_OK) {
        free(doc);
        return ret;
    }
    *out = doc; /* transferred */
    return MH_OK;
}

void mh_pdf_close(mh_pdf_document *doc)
{
    if (!doc)
        return;
    mh_pdf_doc_close(&doc->d);
    free(doc);
}

int mh_pdf_document_info(mh_pdf_document *doc, mh_pdf_info *info)
{
    int ret = MH_ERR_PARSE;
    mh_pdf_field *f = NULL;
    size_t nf = 0;

    if (!doc || !info)
        return MH_ERR_INVALID_ARG;
    memset(info, 0, sizeof *info);
    mh_pdf_doc *d = &doc->d;
    const uint8_t *pdf = d->buf;
    size_t len = d->len;
    qpdf_data q = d->q;
    snprintf(info->version, sizeof info->version, "%s", qpdf_get_pdf_version(q));
    int np = qpdf_get_num_pages(q);
    info->pages = np > 0 ? (unsigned)np : 0;
    info->xref_stream = d->xref_stream;
    info->size = len;
    info->original_len = len;
    /* memchr: this runs over every document issued (twice), and a byte
     * loop here was the function's own hot spot */
    for (const uint8_t *p = pdf, *end = pdf + len;
         p < end && (p = memchr(p, '%', (size_t)(end - p))); p++)
        if ((size_t)(end - p) >= 5 && memcmp(p, "%%EOF", 5) == 0)
            info->revisions++;
    qpdf_oh tr = qpdf_get_trailer(q);
    long long sz = 0;
    if (qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, tr, "/Size"), &sz))
        info->trailer_size = sz;
    int rid = qpdf_oh_get_object_id(q, qpdf_get_root(q));
    info->root_id = rid > 0 ? (unsigned long)rid : 0;
    ret = mh_pdf_sig_fields(d, &f, &nf, &info->fields);
    if (ret != MH_OK)
        goto out;
    for (size_t i = 0; i < nf; i++) {
        size_t ol;
        if (!f[i].value)
            continue;
        info->signatures++;
        if (mh_pdf_orig_len(q, f[i].value, &ol) && ol <= len) {
            if (!info->has_mohur_sig || ol < info->original_len)
                info->original_len = ol;
            info->has_mohur_sig = true;
        }
    }
    if (np < 0) {
        ret = mh_pdf_doc_ok(d, "reading the page tree");
        if (ret == MH_OK) {
            mh_err_set(MH_ERR_PARSE, "the PDF's page tree cannot be read");
            ret = MH_ERR_PARSE;
        }
        goto out;
    }
    ret = mh_pdf_doc_ok(d, "reading the document structure");
out:
    free(f);
    return ret;
}

int mh_pdf_info_get(const uint8_t *pdf, size_t len, mh_pdf_info *info)
{
    mh_pdf_document *doc = NULL;
    if (!info)
        return MH_ERR_INVALID_ARG;
    memset(info, 0, sizeof *info);
    int ret = mh_pdf_open(pdf, len, &doc);
    if (ret != MH_OK)
        return ret;
    ret = mh_pdf_document_info(doc, info);
    mh_pdf_close(doc);
    return ret;
}

/* Reads a rectangle [a b c d] of numbers. */
static bool read_box(qpdf_data q, qpdf_oh o, double box[4])
{
    if (!qpdf_oh_is_array(q, o) || qpdf_oh_get_array_n_items(q, o) != 4)
        return false;
    double v[4];
    for (int i = 0; i < 4; i++)
        if (!qpdf_oh_get_value_as_number(q, qpdf_oh_get_array_item(q, o, i), &v[i]))
            return false;
    box[0] = v[0] < v[2] ? v[0] : v[2];
    box[1] = v[1] < v[3] ? v[1] : v[3];
    box[2] = v[0] < v[2] ? v[2] : v[0];
    box[3] = v[1] < v[3] ? v[3] : v[1];
    return box[2] - box[0] >= 1.0 && box[3] - box[1] >= 1.0 && box[2] - box[0] < 1e6 &&
           box[3] - box[1] < 1e6 && box[0] > -1e6 && box[1] > -1e6;
}

/* An inheritable page attribute: the page's own, else its ancestors'. */
static qpdf_oh inherited(qpdf_data q, qpdf_oh page, const char *key)
{
    qpdf_oh n = page;
    for (int depth = 0; depth < MH_PDF_TREE_DEPTH && qpdf_oh_is_dictionary(q, n); depth++) {
        if (qpdf_oh_has_key(q, n, key))
            return qpdf_oh_get_key(q, n, key);
        n = qpdf_oh_get_key(q, n, "/Parent");
    }
    return qpdf_oh_new_null(q);
}

int mh_pdf_page_box_of(qpdf_data q, qpdf_oh page, double box[4], int *rotate)
{
    double mb[4], cb[4];
    if (!read_box(q, inherited(q, page, "/MediaBox"), mb)) {
        /* no usable MediaBox: US Letter, as readers assume */
        mb[0] = 0;
        mb[1] = 0;
        mb[2] = 612;
        mb[3] = 792;
    }
    memcpy(box, mb, sizeof mb);
    if (read_box(q, inherited(q, page, "/CropBox"), cb)) {
        /* the visible area is the intersection */
        double x0 = cb[0] > mb[0] ? cb[0] : mb[0], y0 = cb[1] > mb[1] ? cb[1] : mb[1];
        double x1 = cb[2] < mb[2] ? cb[2] : mb[2], y1 = cb[3] < mb[3] ? cb[3] : mb[3];
        if (x1 - x0 >= 1.0 && y1 - y0 >= 1.0) {
            box[0] = x0;
            box[1] = y0;
            box[2] = x1;
            box[3] = y1;
        }
    }
    long long r = 0;
    if (!qpdf_oh_get_value_as_longlong(q, inherited(q, page, "/Rotate"), &r))
        r = 0;
    r %= 360;
    if (r < 0)
        r += 360;
    *rotate = (r == 90 || r == 180 || r == 270) ? (int)r : 0;
    return MH_OK;
}

int mh_pdf_document_page_geometry(mh_pdf_document *doc, unsigned page, double box[4], int *rotate)
{
    if (!doc || !box || !rotate)
        return MH_ERR_INVALID_ARG;
    mh_pdf_doc *d = &doc->d;
    int np = qpdf_get_num_pages(d->q);
    if (np <= 0 || page == 0 || page > (unsigned)np) {
        int ret = mh_pdf_doc_ok(d, "reading the page tree");
        if (ret != MH_OK)
            return ret;
        mh_err_set(MH_ERR_INVALID_ARG, "the PDF has %d pages; page %u does not exist",
                   np > 0 ? np : 0, page);
        return MH_ERR_INVALID_ARG;
    }
    int ret = mh_pdf_page_box_of(d->q, qpdf_get_page_n(d->q, page - 1), box, rotate);
    if (ret == MH_OK)
        ret = mh_pdf_doc_ok(d, "reading the page");
    return ret;
}

int mh_pdf_page_geometry(const uint8_t *pdf, size_t len, unsigned page, double box[4], int *rotate)
{
    mh_pdf_document *doc = NULL;
    int ret = mh_pdf_open(pdf, len, &doc);
    if (ret != MH_OK)
        return ret;
    ret = mh_pdf_document_page_geometry(doc, page, box, rotate);
    mh_pdf_close(doc);
    return ret;
}
