/* pdf_sign.c - a PAdES signature as one incremental update: signature
 * dictionary, field + widget, stamp appearance, page, AcroForm, catalog,
 * and a cross-reference section of the same kind as the document's last. */
#include "mh_hash.h"
#include "pdf_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BR_WIDTH 40 /* "[0 a b c]" padded with spaces */
#define MAX_OBJS (10 + MH_PDF_FONT_MAX_OBJ + 2 * MH_PDF_MAX_SLOTS + MH_PDF_TREE_DEPTH + 2)

typedef struct xent {
    long id;
    long gen;
    size_t off;
} xent;

/* ---- the stamp ------------------------------------------------------------ */

/* Helvetica advance widths (AFM, 1/1000 em) for 0x20..0x7e. */
static const unsigned short helv[95] = {
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333,  278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,  611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278,  556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,  500, 334, 260, 334, 584};

/* The next character of UTF-8 text; a malformed sequence is one '?'. */
static uint32_t next_char(const uint8_t *s, size_t len, size_t *i)
{
    uint32_t cp = mh_utf8_next(s, len, i);
    if (cp != MH_UTF8_BAD)
        return cp;
    while (*i < len && (s[*i] & 0xc0) == 0x80)
        (*i)++;
    return '?';
}

/* UTF-8 to WinAnsiEncoding bytes; what it cannot show becomes '?'. */
static size_t to_winansi(const char *utf8, uint8_t *out, size_t cap)
{
    static const struct {
        uint32_t cp;
        uint8_t b;
    } extra[] = {{0x20ac, 0x80}, {0x201a, 0x82}, {0x0192, 0x83}, {0x201e, 0x84}, {0x2026, 0x85},
                 {0x2020, 0x86}, {0x2021, 0x87}, {0x02c6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8a},
                 {0x2039, 0x8b}, {0x0152, 0x8c}, {0x017d, 0x8e}, {0x2018, 0x91}, {0x2019, 0x92},
                 {0x201c, 0x93}, {0x201d, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
                 {0x02dc, 0x98}, {0x2122, 0x99}, {0x0161, 0x9a}, {0x203a, 0x9b}, {0x0153, 0x9c},
                 {0x017e, 0x9e}, {0x0178, 0x9f}};
    const uint8_t *s = (const uint8_t *)utf8;
    size_t o = 0, i = 0, len = strlen(utf8);
    while (i < len && o < cap) {
        uint32_t cp = next_char(s, len, &i);
        uint8_t b = '?';
        if (cp >= 0x20 && cp < 0x7f)
            b = (uint8_t)cp;
        else if (cp >= 0xa0 && cp <= 0xff)
            b = (uint8_t)cp;
        else
            for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++)
                if (extra[k].cp == cp)
                    b = extra[k].b;
        out[o++] = b;
    }
    return o;
}

static double text_width(const uint8_t *t, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++)
        w += (t[i] >= 0x20 && t[i] < 0x7f) ? helv[t[i] - 0x20] : 556;
    return w / 1000.0;
}

static void put_pdf_bytes_string(mh_buf *b, const uint8_t *t, size_t n)
{
    mh_buf_put(b, "(", 1);
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '(' || t[i] == ')' || t[i] == '\\')
            mh_buf_printf(b, "\\%c", t[i]);
        else if (t[i] < 0x20 || t[i] >= 0x7f)
            mh_buf_printf(b, "\\%03o", t[i]);
        else
            mh_buf_put(b, &t[i], 1);
    }
    mh_buf_put(b, ")", 1);
}

/* UTF-8 to code points; what the font lacks (or bad UTF-8) becomes '?'. */
static size_t to_cids(const mh_pdf_font *f, const char *utf8, uint16_t *out, size_t cap)
{
    const uint8_t *s = (const uint8_t *)utf8;
    size_t o = 0, i = 0, len = strlen(utf8);
    while (i < len && o < cap) {
        uint32_t cp = next_char(s, len, &i);
        if (cp >= f->nwidth || f->width[cp] == 0)
            cp = '?';
        out[o++] = (uint16_t)cp;
    }
    return o;
}

/* The caption in the embedded font: two-byte codes as hex strings. */
static int caption_cid(const mh_pdf_font *f, const char *const *lines, size_t nlines, double x0,
                       double h, double pad, double tw, double th, mh_buf *c)
{
    uint16_t text[MH_PDF_CAPTION_LINES][200];
    size_t tl[MH_PDF_CAPTION_LINES];
    double widest = 0.01;
    for (size_t i = 0; i < nlines; i++) {
        tl[i] = to_cids(f, lines[i], text[i], sizeof text[i] / sizeof text[i][0]);
        double wi = 0;
        for (size_t j = 0; j < tl[i]; j++)
            wi += f->width[text[i][j]];
        wi /= 1000.0;
        if (wi > widest)
            widest = wi;
    }
    double fs = th / ((double)nlines * 1.25);
    if (fs > tw / widest)
        fs = tw / widest;
    if (fs > 11)
        fs = 11;
    if (fs < 3)
        fs = 3;
    double y = h - pad - fs;
    mh_buf_printf(c, "BT /F1 %.2f Tf 0.1 0.1 0.1 rg\n", fs);
    for (size_t i = 0; i < nlines; i++) {
        mh_buf_printf(c, "1 0 0 1 %.2f %.2f Tm <", x0, y);
        for (size_t j = 0; j < tl[i]; j++)
            mh_buf_printf(c, "%04X", (unsigned)text[i][j]);
        mh_buf_puts(c, "> Tj\n");
        y -= fs * 1.25;
    }
    mh_buf_puts(c, "ET\n");
    return MH_OK;
}

/* Writes a font kit dictionary with its "@n@" references numbered from base. */
static void put_kit_dict(mh_buf *b, const char *d, long base)
{
    while (*d) {
        const char *at = strchr(d, '@');
        if (!at) {
            mh_buf_puts(b, d);
            return;
        }
        mh_buf_put(b, d, (size_t)(at - d));
        char *end = NULL;
        long k = strtol(at + 1, &end, 10);
        if (end && *end == '@' && end > at + 1 && k >= 0 && k < MH_PDF_FONT_MAX_OBJ) {
            mh_buf_printf(b, "%ld 0 R", base + k);
            d = end + 1;
        } else {
            mh_buf_put(b, "@", 1);
            d = at + 1;
        }
    }
}

/* The appearance content: frame, QR at the left, caption at the right. */
static int stamp_content(const mh_pdf_sign_opts *o, const char *const *lines, size_t nlines,
                         double w, double h, mh_buf *c)
{
    if (w < 1 || h < 1)
        return MH_OK; /* invisible */
    double pad = h * 0.06 < 2 ? 2 : h * 0.06;
    mh_buf_printf(c, "q 1 g 0 0 %.2f %.2f re f Q\n", w, h);
    mh_buf_printf(c, "q 0.15 0.2 0.45 RG 0.8 w 0.4 0.4 %.2f %.2f re S Q\n", w - 0.8, h - 0.8);
    double x0 = pad;
    if (o->qr) {
        double size = h - 2 * pad;
        if (size > w * 0.5)
            size = w * 0.5;
        char *ops = malloc(1 << 20);
        size_t olen = 0;
        if (!ops)
            return MH_ERR_NOMEM;
        int r = o->qr(o->qr_ctx, pad, (h - size) / 2, size, ops, 1 << 20, &olen);
        if (r == MH_OK && olen <= (1 << 20)) {
            mh_buf_puts(c, "q 0 g\n");
            mh_buf_put(c, ops, olen);
            mh_buf_puts(c, "\nQ\n");
        }
        free(ops);
        if (r != MH_OK)
            return r;
        x0 = 2 * pad + size;
    }
    double tw = w - x0 - pad, th = h - 2 * pad;
    if (nlines == 0 || tw < 4)
        return MH_OK;
    if (o->font)
        return caption_cid(o->font, lines, nlines, x0, h, pad, tw, th, c);
    uint8_t text[MH_PDF_CAPTION_LINES][200];
    size_t tl[MH_PDF_CAPTION_LINES];
    double widest = 0.01;
    for (size_t i = 0; i < nlines; i++) {
        tl[i] = to_winansi(lines[i], text[i], sizeof text[i]);
        double wi = text_width(text[i], tl[i]);
        if (wi > widest)
            widest = wi;
    }
    double fs = th / ((double)nlines * 1.25);
    if (fs > tw / widest)
        fs = tw / widest;
    if (fs > 11)
        fs = 11;
    if (fs < 3)
        fs = 3;
    double y = h - pad - fs;
    mh_buf_printf(c, "BT /F1 %.2f Tf 0.1 0.1 0.1 rg\n", fs);
    for (size_t i = 0; i < nlines; i++) {
        mh_buf_printf(c, "1 0 0 1 %.2f %.2f Tm ", x0, y);
        put_pdf_bytes_string(c, text[i], tl[i]);
        mh_buf_puts(c, " Tj\n");
        y -= fs * 1.25;
    }
    mh_buf_puts(c, "ET\n");
    return MH_OK;
}

/* ---- helpers -------------------------------------------------------------- */

static void put_hex(mh_buf *b, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    mh_buf_put(b, "<", 1);
    for (size_t i = 0; i < n; i++) {
        char two[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
        mh_buf_put(b, two, 2);
    }
    mh_buf_put(b, ">", 1);
}

/* Copies a dictionary's entries except those named in skip (NULL-ended). */
static int copy_dict_entries(mh_buf *b, qpdf_data q, qpdf_oh dict, const char *const *skip)
{
    char **keys = NULL;
    size_t n = 0;
    int ret = mh_pdf_dict_keys(q, dict, &keys, &n);
    if (ret != MH_OK)
        return ret;
    for (size_t i = 0; i < n; i++) {
        bool skipped = false;
        for (const char *const *s = skip; *s && !skipped; s++)
            skipped = strcmp(keys[i], *s) == 0;
        if (skipped)
            continue;
        mh_buf_puts(b, "\n");
        mh_buf_name(b, keys[i]);
        mh_buf_puts(b, " ");
        mh_buf_value(b, q, qpdf_oh_get_key(q, dict, keys[i]));
    }
    mh_pdf_keys_free(keys, n);
    return MH_OK;
}

/* The items of an array (if it is one), each followed by a space. */
static void copy_array_items(mh_buf *b, qpdf_data q, qpdf_oh arr)
{
    if (!qpdf_oh_is_array(q, arr))
        return;
    int n = qpdf_oh_get_array_n_items(q, arr);
    for (int i = 0; i < n; i++) {
        mh_buf_value(b, q, qpdf_oh_get_array_item(q, arr, i));
        mh_buf_puts(b, " ");
    }
}

static bool field_name_used(qpdf_data q, qpdf_oh fields, const char *name)
{
    if (!qpdf_oh_is_array(q, fields))
        return false;
    int n = qpdf_oh_get_array_n_items(q, fields);
    for (int i = 0; i < n && i < MH_PDF_MAX_FIELDS; i++) {
        qpdf_oh t = qpdf_oh_get_key(q, qpdf_oh_get_array_item(q, fields, i), "/T");
        size_t l = 0;
        const char *s = qpdf_oh_is_string(q, t) ? qpdf_oh_get_binary_utf8_value(q, t, &l) : NULL;
        if (s && l == strlen(name) && memcmp(s, name, l) == 0)
            return true;
    }
    return false;
}

/* DocMDP "no changes allowed" (P 1) forbids any further signature. */
static bool certified_no_changes(qpdf_data q, qpdf_oh root)
{
    qpdf_oh perms = qpdf_oh_get_key(q, root, "/Perms");
    qpdf_oh sig = qpdf_oh_get_key_if_dict(q, perms, "/DocMDP");
    qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference");
    if (!qpdf_oh_is_array(q, refs))
        return false;
    int n = qpdf_oh_get_array_n_items(q, refs);
    for (int i = 0; i < n && i < 16; i++) {
        qpdf_oh r = qpdf_oh_get_array_item(q, refs, i);
        if (!qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, r, "/TransformMethod"),
                                        "/DocMDP"))
            continue;
        long long p = 2;
        qpdf_oh tp = qpdf_oh_get_key_if_dict(q, r, "/TransformParams");
        (void)qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key_if_dict(q, tp, "/P"), &p);
        if (p == 1)
            return true;
    }
    return false;
}

static int cmp_xent(const void *a, const void *b)
{
    const xent *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static void sha256_ranges(const uint8_t *p, const size_t br[4], uint8_t out[32])
{
    const uint8_t *parts[2] = {p + br[0], p + br[2]};
    const size_t lens[2] = {br[1], br[3]};
    if (mh_hash_sha256_parts(parts, lens, 2, out) != 0)
        memset(out, 0, 32); /* libcrypto out of memory: a digest nothing matches */
}

/* Writes the cross-reference section and trailer. */
static void write_xref(mh_buf *b, const mh_pdf_doc *d, xent *x, size_t nx, long next_id,
                       const char *tail)
{
    size_t xoff = b->len;
    if (!d->xref_stream) {
        qsort(x, nx, sizeof *x, cmp_xent);
        mh_buf_puts(b, "xref\n");
        for (size_t i = 0; i < nx;) {
            size_t j = i + 1;
            while (j < nx && x[j].id == x[j - 1].id + 1)
                j++;
            mh_buf_printf(b, "%ld %zu\n", x[i].id, j - i);
            for (size_t k = i; k < j; k++)
                mh_buf_printf(b, "%010zu %05ld n\r\n", x[k].off, x[k].gen);
            i = j;
        }
        mh_buf_printf(b, "trailer\n<< /Size %ld%s /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n", next_id,
                      tail, d->startxref, xoff);
        return;
    }
    long xs_id = next_id;
    x[nx].id = xs_id;
    x[nx].gen = 0;
    x[nx].off = xoff;
    nx++;
    qsort(x, nx, sizeof *x, cmp_xent);
    uint8_t rows[(MAX_OBJS + 1) * 7];
    size_t rl = 0;
    mh_buf idx;
    mh_buf_init(&idx, 4096);
    for (size_t i = 0; i < nx;) {
        size_t j = i + 1;
        while (j < nx && x[j].id == x[j - 1].id + 1)
            j++;
        mh_buf_printf(&idx, "%s%ld %zu", i ? " " : "", x[i].id, j - i);
        i = j;
    }
    for (size_t k = 0; k < nx; k++) {
        rows[rl++] = 1;
        for (int s = 3; s >= 0; s--)
            rows[rl++] = (uint8_t)(x[k].off >> (8 * s));
        rows[rl++] = (uint8_t)(x[k].gen >> 8);
        rows[rl++] = (uint8_t)x[k].gen;
    }
    mh_buf_printf(b, "%ld 0 obj\n<< /Type /XRef /Size %ld /W [1 4 2] /Index [", xs_id, xs_id + 1);
    mh_buf_put(b, idx.p, idx.len);
    if (idx.failed)
        b->failed = true;
    mh_buf_printf(b, "]%s /Prev %zu /Length %zu >>\nstream\n", tail, d->startxref, rl);
    mh_buf_put(b, rows, rl);
    mh_buf_printf(b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xoff);
    mh_buf_free(&idx);
}

/* Maps a rectangle given as displayed (rotation applied) to default user
 * space, and the appearance matrix that keeps the stamp upright. */
static void place(const double box[4], int rot, const double r[4], double rect[4], char *matrix,
                  size_t mcap)
{
    double W = box[2] - box[0], H = box[3] - box[1];
    double x = r[0], y = r[1], w = r[2], h = r[3];
    switch (rot) {
    case 90:
        rect[0] = box[0] + W - y - h;
        rect[1] = box[1] + x;
        rect[2] = box[0] + W - y;
        rect[3] = box[1] + x + w;
        snprintf(matrix, mcap, "[0 1 -1 0 %.2f 0]", h);
        break;
    case 180:
        rect[0] = box[0] + W - x - w;
        rect[1] = box[1] + H - y - h;
        rect[2] = box[0] + W - x;
        rect[3] = box[1] + H - y;
        snprintf(matrix, mcap, "[-1 0 0 -1 %.2f %.2f]", w, h);
        break;
    case 270:
        rect[0] = box[0] + y;
        rect[1] = box[1] + H - x - w;
        rect[2] = box[0] + y + h;
        rect[3] = box[1] + H - x;
        snprintf(matrix, mcap, "[0 -1 1 0 0 %.2f]", w);
        break;
    default:
        rect[0] = box[0] + x;
        rect[1] = box[1] + y;
        rect[2] = box[0] + x + w;
        rect[3] = box[1] + y + h;
        snprintf(matrix, mcap, "[1 0 0 1 0 0]");
        break;
    }
}

/* ---- prepare -------------------------------------------------------------- */

/* A page rewritten by the update, with the widgets added to its /Annots. */
typedef struct page_edit {
    qpdf_oh page;
    int id, gen;
    long add[MH_PDF_MAX_SLOTS + 1];
    size_t nadd;
} page_edit;

static page_edit *page_edit_of(page_edit *pe, size_t *npe, qpdf_data q, qpdf_oh page)
{
    int id = qpdf_oh_get_object_id(q, page);
    for (size_t i = 0; i < *npe; i++)
        if (pe[i].id == id)
            return &pe[i];
    page_edit *e = &pe[(*npe)++];
    memset(e, 0, sizeof *e);
    e->page = page;
    e->id = id;
    e->gen = qpdf_oh_get_generation(q, page);
    return e;
}

/* The page (1-based) as an indirect dictionary, or an error. */
static int get_page(mh_pdf_doc *d, unsigned pageno, int np, qpdf_oh *out)
{
    qpdf_data q = d->q;
    if (pageno == 0 || pageno > (unsigned)np) {
        mh_err_set(MH_ERR_INVALID_ARG, "the PDF has %d page%s; page %u does not exist", np,
                   np == 1 ? "" : "s", pageno);
        return MH_ERR_INVALID_ARG;
    }
    qpdf_oh page = qpdf_get_page_n(q, pageno - 1);
    if (qpdf_oh_get_object_id(q, page) <= 0 || !qpdf_oh_is_dictionary(q, page)) {
        mh_err_set(MH_ERR_PARSE,
                   "page %u of the PDF is not an indirect object; mohur cannot add a "
                   "signature to it: rewrite the file first (e.g. 'qpdf in.pdf out.pdf')",
                   pageno);
        return MH_ERR_PARSE;
    }
    *out = page;
    return MH_OK;
}

/* A rectangle given as displayed, checked against the page. */
static int check_rect(const double r[4], double vw, double vh, const char *what)
{
    for (int i = 0; i < 4; i++)
        if (!isfinite(r[i]) || fabs(r[i]) > 100000) {
            mh_err_set(MH_ERR_INVALID_ARG, "%s must be finite numbers", what);
            return MH_ERR_INVALID_ARG;
        }
    if (r[2] < 20 || r[3] < 10 || r[0] < 0 || r[1] < 0 || r[0] + r[2] > vw + 0.01 ||
        r[1] + r[3] > vh + 0.01) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "%s (x %.0f, y %.0f, width %.0f, height %.0f) must be at least 20 x 10 "
                   "points and lie on the page (%.0f x %.0f points as displayed)",
                   what, r[0], r[1], r[2], r[3], vw, vh);
        return MH_ERR_INVALID_ARG;
    }
    return MH_OK;
}

static bool slot_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 60)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Where the slot's widget is, as found for filling it. */
typedef struct fill_target {
    qpdf_oh field, widget; /* the same object when merged */
    int field_id, field_gen, widget_id, widget_gen;
    double rect[4]; /* the widget's /Rect, normalised */
    int rot;        /* its page's /Rotate */
} fill_target;

static bool widget_on_page(qpdf_data q, qpdf_oh page, int wid)
{
    qpdf_oh annots = qpdf_oh_get_key(q, page, "/Annots");
    int n = qpdf_oh_is_array(q, annots) ? qpdf_oh_get_array_n_items(q, annots) : 0;
    for (int i = 0; i < n && i < 10000; i++)
        if (qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, annots, i)) == wid)
            return true;
    return false;
}

static int find_fill_target(mh_pdf_doc *d, const mh_pdf_field *f, size_t nf, const char *name,
                            fill_target *t)
{
    qpdf_data q = d->q;
    const mh_pdf_field *hit = NULL;
    char empty[300] = "";
    size_t el = 0;
    for (size_t i = 0; i < nf; i++) {
        if (f[i].value)
            continue;
        if (strcmp(f[i].name, name) == 0)
            hit = &f[i];
        if (el + 70 < sizeof empty) {
            int n = snprintf(empty + el, sizeof empty - el, "%s'%.60s'", el ? ", " : "", f[i].name);
            if (n > 0)
                el += (size_t)n;
        }
    }
    if (!hit) {
        bool signed_already = false;
        for (size_t i = 0; i < nf; i++)
            signed_already |= f[i].value && strcmp(f[i].name, name) == 0;
        if (signed_already)
            mh_err_set(MH_ERR_ALREADY_EXISTS,
                       "the signature field '%.100s' is already signed; each prepared field takes "
                       "one signature",
                       name);
        else
            mh_err_set(MH_ERR_NOT_FOUND,
                       "the PDF has no empty signature field '%.100s' (empty ones: %s)", name,
                       el ? empty : "none");
        return signed_already ? MH_ERR_ALREADY_EXISTS : MH_ERR_NOT_FOUND;
    }
    memset(t, 0, sizeof *t);
    t->field = hit->field;
    t->widget = hit->field;
    if (!qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, hit->field, "/Subtype"), "/Widget")) {
        qpdf_oh kids = qpdf_oh_get_key(q, hit->field, "/Kids");
        if (!qpdf_oh_is_array(q, kids) || qpdf_oh_get_array_n_items(q, kids) != 1 ||
            !qpdf_oh_is_name_and_equals(
                q, qpdf_oh_get_key(q, qpdf_oh_get_array_item(q, kids, 0), "/Subtype"), "/Widget")) {
            mh_err_set(MH_ERR_UNSUPPORTED,
                       "the signature field '%.100s' has no single widget to draw the signature "
                       "into",
                       name);
            return MH_ERR_UNSUPPORTED;
        }
        t->widget = qpdf_oh_get_array_item(q, kids, 0);
    }
    t->field_id = qpdf_oh_get_object_id(q, t->field);
    t->field_gen = qpdf_oh_get_generation(q, t->field);
    t->widget_id = qpdf_oh_get_object_id(q, t->widget);
    t->widget_gen = qpdf_oh_get_generation(q, t->widget);
    if (t->field_id <= 0 || t->widget_id <= 0) {
        mh_err_set(MH_ERR_UNSUPPORTED,
                   "the signature field '%.100s' is not an indirect object; mohur cannot fill it",
                   name);
        return MH_ERR_UNSUPPORTED;
    }
    qpdf_oh r = qpdf_oh_get_key(q, t->widget, "/Rect");
    double v[4];
    if (!qpdf_oh_is_array(q, r) || qpdf_oh_get_array_n_items(q, r) != 4) {
        mh_err_set(MH_ERR_PARSE, "the signature field '%.100s' has no /Rect", name);
        return MH_ERR_PARSE;
    }
    for (int i = 0; i < 4; i++)
        if (!qpdf_oh_get_value_as_number(q, qpdf_oh_get_array_item(q, r, i), &v[i]) ||
            !isfinite(v[i])) {
            mh_err_set(MH_ERR_PARSE,
                       "the signature field '%.100s' has a /Rect that is not four numbers", name);
            return MH_ERR_PARSE;
        }
    t->rect[0] = fmin(v[0], v[2]);
    t->rect[1] = fmin(v[1], v[3]);
    t->rect[2] = fmax(v[0], v[2]);
    t->rect[3] = fmax(v[1], v[3]);
    /* the page: /P when it lists the widget, else the page that does */
    qpdf_oh page = qpdf_oh_get_key(q, t->widget, "/P");
    if (!qpdf_oh_is_dictionary(q, page) || !widget_on_page(q, page, t->widget_id)) {
        page = 0;
        int np = qpdf_get_num_pages(q);
        for (int i = 0; i < np && i < 100000 && !page; i++) {
            qpdf_oh p = qpdf_get_page_n(q, (size_t)i);
            if (widget_on_page(q, p, t->widget_id))
                page = p;
        }
    }
    double box[4];
    if (page)
        (void)mh_pdf_page_box_of(q, page, box, &t->rot);
    return MH_OK;
}

static bool has_docmdp(qpdf_data q, qpdf_oh root)
{
    qpdf_oh perms = qpdf_oh_get_key(q, root, "/Perms");
    return qpdf_oh_is_dictionary(q, qpdf_oh_get_key_if_dict(q, perms, "/DocMDP"));
}

/* The highest object number in use + 1: the trailer's /Size, or more when
 * the cross-reference sections list higher numbers (a /Size that is too
 * small, which qpdf reads without damage). */
static long next_object_id(mh_pdf_doc *d, long long size)
{
    long next = (long)size;
    mh_pdf_xref x;
    if (mh_pdf_xref_read(d->buf, d->len, &x) == MH_OK) {
        if (x.ne > 0 && (long)x.e[x.ne - 1].id >= next)
            next = (long)x.e[x.ne - 1].id + 1;
        mh_pdf_xref_free(&x);
    }
    return next;
}

/* The verification page's heading, in the three languages of the site
 * (Latin-1 transliteration when there is no embedded font). */
static const char *const vpage_lines[] = {
    "Doğrulama səhifəsi / Страница проверки / Verification page",
    "Bu səhifə sənəd imzalanarkən əlavə olundu; ondan əvvəlki səhifələr sənədin özüdür.",
    "Эта страница добавлена при подписании; страницы до неё - сам документ.",
    "This page was added when the document was signed; the pages before it are the document.",
    "QR kodu skan edin / Отсканируйте QR-код / Scan the QR code to verify it.",
};

/* Appends the verification page after the last page: the page (its
 * heading, its widgets), its content stream, and every node of the page
 * tree from the last page's parent up, each with /Count one higher (and the
 * parent with the page added to /Kids). */
static int add_verification_page(mh_buf *b, xent *x, size_t *nx, qpdf_data q, qpdf_oh last,
                                 long page_id, long content_id, const double box[4],
                                 const mh_pdf_font *font, long font_base, long wid_id,
                                 const long *slot_id, size_t nslots)
{
    qpdf_oh parent = qpdf_oh_get_key(q, last, "/Parent");
    int parent_id = qpdf_oh_get_object_id(q, parent);
    if (parent_id <= 0 || !qpdf_oh_is_dictionary(q, parent)) {
        mh_err_set(MH_ERR_PARSE,
                   "the PDF's page tree is not made of indirect objects; mohur cannot add a "
                   "verification page: rewrite the file first (e.g. 'qpdf in.pdf out.pdf')");
        return MH_ERR_PARSE;
    }
    /* the heading */
    mh_buf c;
    mh_buf_init(&c, (size_t)64 << 10);
    double fs = 11, y = box[3] - 60;
    mh_buf_printf(&c, "q 0.15 0.2 0.45 RG 0.8 w 40 %.2f %.2f 0 re S Q\n", box[3] - 44, box[2] - 80);
    mh_buf_puts(&c, "BT 0.1 0.1 0.1 rg\n");
    for (size_t i = 0; i < sizeof vpage_lines / sizeof vpage_lines[0]; i++) {
        double size = i == 0 ? 14 : fs;
        mh_buf_printf(&c, "/F1 %.2f Tf 1 0 0 1 40 %.2f Tm ", size, y);
        if (font) {
            uint16_t cid[200];
            size_t n = to_cids(font, vpage_lines[i], cid, sizeof cid / sizeof cid[0]);
            mh_buf_puts(&c, "<");
            for (size_t j = 0; j < n; j++)
                mh_buf_printf(&c, "%04X", (unsigned)cid[j]);
            mh_buf_puts(&c, ">");
        } else {
            uint8_t t[200];
            size_t n = to_winansi(vpage_lines[i], t, sizeof t);
            put_pdf_bytes_string(&c, t, n);
        }
        mh_buf_puts(&c, " Tj\n");
        y -= (i == 0 ? 24 : fs * 1.6);
    }
    mh_buf_puts(&c, "ET\n");
    if (c.failed) {
        mh_buf_free(&c);
        return MH_ERR_NOMEM;
    }
    x[(*nx)++] = (xent){content_id, 0, b->len};
    mh_buf_printf(b, "%ld 0 obj\n<< /Length %zu >>\nstream\n", content_id, c.len);
    mh_buf_put(b, c.p, c.len);
    mh_buf_puts(b, "\nendstream\nendobj\n");
    mh_buf_free(&c);
    /* the page */
    x[(*nx)++] = (xent){page_id, 0, b->len};
    mh_buf_printf(b,
                  "%ld 0 obj\n<< /Type /Page /Parent %d %d R /MediaBox [0 0 %.2f %.2f] "
                  "/Contents %ld 0 R\n",
                  page_id, parent_id, qpdf_oh_get_generation(q, parent), box[2], box[3],
                  content_id);
    if (font)
        mh_buf_printf(b, "/Resources << /Font << /F1 %ld 0 R >> >>\n", font_base);
    else
        mh_buf_puts(b, "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont "
                       "/Helvetica /Encoding /WinAnsiEncoding >> >> >>\n");
    mh_buf_printf(b, "/Annots [%ld 0 R", wid_id);
    for (size_t i = 0; i < nslots; i++)
        mh_buf_printf(b, " %ld 0 R", slot_id[i]);
    mh_buf_puts(b, "] >>\nendobj\n");
    /* the page tree: the parent gets the page, every node one more */
    static const char *const skip_kids[] = {"/Kids", "/Count", NULL};
    static const char *const skip_count[] = {"/Count", NULL};
    qpdf_oh node = parent;
    for (int depth = 0; depth < MH_PDF_TREE_DEPTH && qpdf_oh_is_dictionary(q, node); depth++) {
        int id = qpdf_oh_get_object_id(q, node), gen = qpdf_oh_get_generation(q, node);
        long long count = 0;
        if (id <= 0 ||
            !qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, node, "/Count"), &count) ||
            count < 0) {
            mh_err_set(MH_ERR_PARSE,
                       "the PDF's page tree has a node without a usable /Count; rewrite the "
                       "file first (e.g. 'qpdf in.pdf out.pdf')");
            return MH_ERR_PARSE;
        }
        x[(*nx)++] = (xent){id, gen, b->len};
        mh_buf_printf(b, "%d %d obj\n<<", id, gen);
        int rc = copy_dict_entries(b, q, node, depth == 0 ? skip_kids : skip_count);
        if (rc != MH_OK)
            return rc;
        if (depth == 0) {
            mh_buf_puts(b, "\n/Kids [");
            copy_array_items(b, q, qpdf_oh_get_key(q, node, "/Kids"));
            mh_buf_printf(b, "%ld 0 R]", page_id);
        }
        mh_buf_printf(b, "\n/Count %lld\n>>\nendobj\n", count + 1);
        if (!qpdf_oh_has_key(q, node, "/Parent"))
            break;
        node = qpdf_oh_get_key(q, node, "/Parent");
    }
    return MH_OK;
}

static int doc_prepare(mh_pdf_document *doc, const mh_pdf_sign_opts *opts, mh_pdf_prepared *prep)
{
    int ret = MH_ERR_INTERNAL;
    mh_buf b, c, tail;
    mh_pdf_field *f = NULL;
    size_t nf = 0;
    unsigned top = 0;
    xent x[MAX_OBJS + 1];
    size_t nx = 0;
    page_edit pe[MH_PDF_MAX_SLOTS + 1];
    size_t npe = 0;
    long slot_id[MH_PDF_MAX_SLOTS];
    double slot_rect[MH_PDF_MAX_SLOTS][4];
    qpdf_oh slot_page[MH_PDF_MAX_SLOTS];
    char slot_name[MH_PDF_MAX_SLOTS][64];
    fill_target ft;
    const mh_pdf_sign_opts defaults = {0};

    mh_buf_init(&b, MH_PDF_MAX_SIZE + ((size_t)4 << 20));
    mh_buf_init(&c, (size_t)4 << 20);
    mh_buf_init(&tail, 4096);
    if (!prep || !doc)
        return MH_ERR_INVALID_ARG;
    memset(prep, 0, sizeof *prep);
    memset(&ft, 0, sizeof ft);
    if (!opts)
        opts = &defaults;
    mh_pdf_doc *d = &doc->d;
    const uint8_t *pdf = d->buf;
    size_t len = d->len;
    bool fill = opts->fill_field && opts->fill_field[0];
    size_t cap = opts->contents_cap ? opts->contents_cap : MH_PDF_CONTENTS_DEFAULT;
    if (cap < 1024 || cap > MH_PDF_CONTENTS_MAX) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the room for the signature must be 1024 to %d bytes (asked: %zu)",
                   MH_PDF_CONTENTS_MAX, cap);
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    unsigned mdp = opts->docmdp_p ? opts->docmdp_p : 2;
    if (opts->certify && mdp > 3) {
        mh_err_set(MH_ERR_INVALID_ARG, "the DocMDP permission P must be 1, 2 or 3 (asked: %u)",
                   mdp);
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    if (opts->nslots > MH_PDF_MAX_SLOTS || (opts->nslots && !opts->slots)) {
        mh_err_set(MH_ERR_INVALID_ARG, "at most %d party slots can be prepared (asked: %zu)",
                   MH_PDF_MAX_SLOTS, opts->nslots);
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    qpdf_data q = d->q;
    /* read every object and stream once, as 'qpdf --check' does: what
     * mohur writes must pass that check, so the original must too */
    if (!opts->made_by_mohur && !doc->checked) {
        if (qpdf_check_pdf(q) != QPDF_SUCCESS) {
            ret = mh_pdf_doc_ok(d, "checking every object");
            if (ret == MH_OK) {
                mh_err_set(MH_ERR_PARSE,
                           "the PDF does not pass qpdf's check; repair it (e.g. 'qpdf in.pdf "
                           "out.pdf') and try again");
                ret = MH_ERR_PARSE;
            }
            goto out;
        }
        ret = mh_pdf_doc_ok(d, "checking every object");
        if (ret != MH_OK)
            goto out;
        doc->checked = true;
    }
    qpdf_oh trailer = qpdf_get_trailer(q);
    qpdf_oh root = qpdf_get_root(q);
    int root_id = qpdf_oh_get_object_id(q, root), root_gen = qpdf_oh_get_generation(q, root);
    long long size = 0;
    if (root_id <= 0 || !qpdf_oh_is_dictionary(q, root) ||
        !qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, trailer, "/Size"), &size) ||
        size <= 0 || size > MH_PDF_MAX_OBJECT_ID) {
        ret = mh_pdf_doc_ok(d, "reading the trailer");
        if (ret == MH_OK) {
            mh_err_set(MH_ERR_PARSE,
                       "the PDF's trailer has no usable /Size or /Root: it is damaged; repair "
                       "it (e.g. 'qpdf in.pdf out.pdf') and try again");
            ret = MH_ERR_PARSE;
        }
        goto out;
    }
    if (certified_no_changes(q, root)) {
        mh_err_set(MH_ERR_PERMISSION,
                   "the PDF is certified with 'no changes allowed' (DocMDP P=1): another "
                   "signature would break its certification; ask its author for an "
                   "uncertified copy");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    int np = qpdf_get_num_pages(q);
    if (np <= 0) {
        ret = mh_pdf_doc_ok(d, "reading the page tree");
        if (ret == MH_OK) {
            mh_err_set(MH_ERR_PARSE, "the PDF has no pages; there is nowhere to put the signature");
            ret = MH_ERR_PARSE;
        }
        goto out;
    }

    /* the fields: the original document, what is signed, what is empty */
    ret = mh_pdf_sig_fields(d, &f, &nf, &top);
    if (ret != MH_OK)
        goto out;
    size_t orig_len = len, nsigned = 0;
    for (size_t i = 0; i < nf; i++) {
        size_t ol;
        if (f[i].value)
            nsigned++;
        if (f[i].value && mh_pdf_orig_len(q, f[i].value, &ol) && ol <= len && ol < orig_len)
            orig_len = ol;
    }
    if (opts->certify && nsigned > 0) {
        mh_err_set(MH_ERR_PERMISSION,
                   "only a document's first signature can certify it, and this PDF is "
                   "already signed (%zu signature%s)",
                   nsigned, nsigned == 1 ? "" : "s");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    if (opts->nslots && nsigned > 0) {
        mh_err_set(MH_ERR_PERMISSION,
                   "party slots can be prepared only by the first signature; this PDF is "
                   "already signed, and new fields would change what the earlier signature "
                   "covers");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    if (opts->add_page && (fill || nsigned > 0)) {
        mh_err_set(MH_ERR_PERMISSION,
                   "a verification page is added only by a document's first signature");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    if (!fill && has_docmdp(q, root)) {
        mh_err_set(MH_ERR_PERMISSION,
                   "the PDF is certified: a later signature must fill one of its prepared "
                   "signature fields (a new field would be a change its certification does "
                   "not allow)");
        ret = MH_ERR_PERMISSION;
        goto out;
    }

    /* where the stamp goes */
    double rect[4], r[4], box[4];
    char matrix[64];
    int rot = 0;
    qpdf_oh page = 0;
    int page_id = 0;
    unsigned pageno = opts->page ? opts->page : (unsigned)np;
    if (fill) {
        ret = find_fill_target(d, f, nf, opts->fill_field, &ft);
        if (ret != MH_OK)
            goto out;
        memcpy(rect, ft.rect, sizeof rect);
        rot = ft.rot;
        double uw = rect[2] - rect[0], uh = rect[3] - rect[1];
        bool sideways = rot == 90 || rot == 270;
        r[0] = r[1] = 0;
        r[2] = sideways ? uh : uw; /* as displayed */
        r[3] = sideways ? uw : uh;
        if (r[2] < 1 || r[3] < 1)
            r[2] = r[3] = 0; /* an invisible field stays invisible */
        double ub[4] = {0, 0, sideways ? uh : uw, sideways ? uw : uh};
        double ignored[4];
        place(ub, rot, r, ignored, matrix, sizeof matrix);
    } else {
        ret = get_page(d, opts->add_page ? (unsigned)np : pageno, np, &page);
        if (ret != MH_OK)
            goto out;
        page_id = qpdf_oh_get_object_id(q, page);
        ret = mh_pdf_page_box_of(q, page, box, &rot);
        if (ret != MH_OK)
            goto out;
        if (opts->add_page) {
            /* the new page: as large as the last one is displayed, upright */
            double lw = (rot == 90 || rot == 270) ? box[3] - box[1] : box[2] - box[0];
            double lh = (rot == 90 || rot == 270) ? box[2] - box[0] : box[3] - box[1];
            box[0] = box[1] = 0;
            box[2] = lw;
            box[3] = lh;
            rot = 0;
        }
        double vw = (rot == 90 || rot == 270) ? box[3] - box[1] : box[2] - box[0];
        double vh = (rot == 90 || rot == 270) ? box[2] - box[0] : box[3] - box[1];
        if (opts->invisible) {
            r[0] = r[1] = r[2] = r[3] = 0;
        } else if (opts->has_rect) {
            memcpy(r, opts->rect, sizeof r);
            ret = check_rect(r, vw, vh, "the stamp's place (--rect)");
            if (ret != MH_OK)
                goto out;
        } else {
            r[2] = vw * 0.9 < 220 ? vw * 0.9 : 220;
            r[3] = vh * 0.3 < 80 ? vh * 0.3 : 80;
            r[0] = vw - r[2] - (vw - r[2]) / 10;
            r[1] = (vh - r[3]) / 20;
        }
        place(box, rot, r, rect, matrix, sizeof matrix);
    }

    /* the date */
    time_t now = opts->when ? opts->when : time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm)) {
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    char date[40], human[40];
    snprintf(date, sizeof date, "D:%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(human, sizeof human, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min);

    /* the caption */
    const char *lines[MH_PDF_CAPTION_LINES];
    size_t nlines = 0;
    char signed_by[160];
    for (size_t i = 0; i < MH_PDF_CAPTION_LINES; i++)
        if (opts->caption[i] && opts->caption[i][0])
            lines[nlines++] = opts->caption[i];
    if (nlines == 0) {
        lines[nlines++] = "Digitally signed";
        if (opts->name && opts->name[0]) {
            snprintf(signed_by, sizeof signed_by, "by %.150s", opts->name);
            lines[nlines++] = signed_by;
        }
        lines[nlines++] = human;
    }

    qpdf_oh af = qpdf_oh_get_key(q, root, "/AcroForm");
    bool af_dict = qpdf_oh_is_dictionary(q, af);
    int af_id = af_dict ? qpdf_oh_get_object_id(q, af) : 0;
    int af_gen = af_dict ? qpdf_oh_get_generation(q, af) : 0;
    qpdf_oh fields = af_dict ? qpdf_oh_get_key(q, af, "/Fields") : 0;
    char fname[40] = "";
    if (!fill)
        for (unsigned k = 1;; k++) {
            snprintf(fname, sizeof fname, "Signature%u", k);
            if (!fields || !field_name_used(q, fields, fname) || k > 100000)
                break;
        }

    /* the slots: names, pages and places */
    for (size_t i = 0; i < opts->nslots; i++) {
        const mh_pdf_slot *s = &opts->slots[i];
        if (s->name)
            snprintf(slot_name[i], sizeof slot_name[i], "%s", s->name);
        else
            snprintf(slot_name[i], sizeof slot_name[i], "mohur-party-%zu", i + 1);
        if (!slot_name_ok(slot_name[i]) || strlen(s->name ? s->name : "") > 60) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "a party slot's name must be 1 to 60 ASCII letters, digits, '-' or '_'");
            ret = MH_ERR_INVALID_ARG;
            goto out;
        }
        bool dup = (fields && field_name_used(q, fields, slot_name[i])) ||
                   strcmp(slot_name[i], fname) == 0;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(slot_name[i], slot_name[j]) == 0;
        if (dup) {
            mh_err_set(MH_ERR_ALREADY_EXISTS,
                       "the PDF already has a field named '%s'; give the slot another name",
                       slot_name[i]);
            ret = MH_ERR_ALREADY_EXISTS;
            goto out;
        }
        double sb[4], sr[4];
        int srot = 0;
        char sm[64];
        if (opts->add_page) {
            /* on the verification page */
            slot_page[i] = 0;
            memcpy(sb, box, sizeof sb);
        } else {
            unsigned sp = s->page ? s->page : pageno;
            ret = get_page(d, sp, np, &slot_page[i]);
            if (ret != MH_OK)
                goto out;
            (void)mh_pdf_page_box_of(q, slot_page[i], sb, &srot);
        }
        double vw = (srot == 90 || srot == 270) ? sb[3] - sb[1] : sb[2] - sb[0];
        double vh = (srot == 90 || srot == 270) ? sb[2] - sb[0] : sb[3] - sb[1];
        memcpy(sr, s->rect, sizeof sr);
        char what[64];
        snprintf(what, sizeof what, "party slot %zu's place", i + 1);
        ret = check_rect(sr, vw, vh, what);
        if (ret != MH_OK)
            goto out;
        place(sb, srot, sr, slot_rect[i], sm, sizeof sm);
    }

    long next = next_object_id(d, size), first_new = next;
    long sig_id = next++, wid_id = fill ? ft.widget_id : next++, ap_id = next++;
    const mh_pdf_font *font = opts->font;
    if (font && font->existing_obj <= 0 && (font->nobj == 0 || font->nobj > MH_PDF_FONT_MAX_OBJ))
        font = NULL;
    if (font && font->existing_obj >= (long)size)
        font = NULL; /* not an object of this document */
    long font_base = font && font->existing_obj > 0 ? font->existing_obj : next;
    if (font && font->existing_obj <= 0)
        next += (long)font->nobj;
    for (size_t i = 0; i < opts->nslots; i++)
        slot_id[i] = next++;
    long vpage_id = 0, vcontent_id = 0;
    if (opts->add_page) {
        vpage_id = next++;
        vcontent_id = next++;
    }
    bool new_af = af_id <= 0;
    long af_obj = new_af ? next++ : af_id;
    long af_objgen = new_af ? 0 : af_gen;
    /* the new numbers must be free (a /Size too small and cross-reference
     * sections mohur could not read) */
    for (long id = first_new; id < next; id++) {
        qpdf_oh o = qpdf_get_object_by_id(q, (int)id, 0);
        bool used = !qpdf_oh_is_null(q, o);
        qpdf_oh_release(q, o);
        if (used) {
            mh_err_set(MH_ERR_PARSE,
                       "the PDF's trailer /Size (%lld) is below its highest object number (%ld "
                       "is in use); rewrite the file first (e.g. 'qpdf in.pdf out.pdf')",
                       size, id);
            ret = MH_ERR_PARSE;
            goto out;
        }
    }
    long long sigflags = 0;
    if (af_dict)
        (void)qpdf_oh_get_value_as_longlong(q, qpdf_oh_get_key(q, af, "/SigFlags"), &sigflags);
    if (sigflags < 0 || sigflags > 0xffff)
        sigflags = 0;
    bool write_af = new_af || !fill || opts->nslots > 0 || (sigflags & 3) != 3;
    bool write_catalog = (new_af && write_af) || opts->certify;

    /* 1. the original bytes, untouched */
    mh_buf_put(&b, pdf, len);
    if (pdf[len - 1] != '\n' && pdf[len - 1] != '\r')
        mh_buf_puts(&b, "\n");
    size_t update_start = len;

    /* 2. the signature dictionary */
    x[nx++] = (xent){sig_id, 0, b.len};
    mh_buf_printf(&b,
                  "%ld 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter "
                  "/ETSI.CAdES.detached\n/ByteRange ",
                  sig_id);
    size_t br_off = b.len;
    mh_buf_printf(&b, "%-*s", BR_WIDTH, "[0 0 0 0]");
    mh_buf_puts(&b, "\n/Contents ");
    size_t contents_off = b.len;
    mh_buf_puts(&b, "<");
    for (size_t i = 0; i < cap; i++)
        mh_buf_put(&b, "00", 2);
    mh_buf_puts(&b, ">");
    mh_buf_printf(&b, "\n/M (%s)", date);
    if (opts->certify)
        mh_buf_printf(&b,
                      "\n/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams "
                      "<< /Type /TransformParams /P %u /V /1.2 >> >>]",
                      mdp);
    if (opts->name && opts->name[0]) {
        mh_buf_puts(&b, "\n/Name ");
        mh_buf_text(&b, opts->name);
    }
    if (opts->reason && opts->reason[0]) {
        mh_buf_puts(&b, "\n/Reason ");
        mh_buf_text(&b, opts->reason);
    }
    if (opts->location && opts->location[0]) {
        mh_buf_puts(&b, "\n/Location ");
        mh_buf_text(&b, opts->location);
    }
    if (opts->contact && opts->contact[0]) {
        mh_buf_puts(&b, "\n/ContactInfo ");
        mh_buf_text(&b, opts->contact);
    }
    mh_buf_printf(&b, "\n/Prop_Build << /App << /Name /mohur >> >>\n/MH_OrigLen %zu\n>>\nendobj\n",
                  orig_len);

    /* 3. the field and its widget: a new one merged, or the slot filled */
    if (fill) {
        bool merged = ft.field_id == ft.widget_id;
        static const char *const skip_merged[] = {"/V", "/AP", NULL};
        static const char *const skip_field[] = {"/V", NULL};
        static const char *const skip_widget[] = {"/AP", NULL};
        x[nx++] = (xent){ft.field_id, ft.field_gen, b.len};
        mh_buf_printf(&b, "%d %d obj\n<<", ft.field_id, ft.field_gen);
        ret = copy_dict_entries(&b, q, ft.field, merged ? skip_merged : skip_field);
        if (ret != MH_OK)
            goto out;
        mh_buf_printf(&b, "\n/V %ld 0 R", sig_id);
        if (merged)
            mh_buf_printf(&b, "\n/AP << /N %ld 0 R >>", ap_id);
        mh_buf_puts(&b, "\n>>\nendobj\n");
        if (!merged) {
            x[nx++] = (xent){ft.widget_id, ft.widget_gen, b.len};
            mh_buf_printf(&b, "%d %d obj\n<<", ft.widget_id, ft.widget_gen);
            ret = copy_dict_entries(&b, q, ft.widget, skip_widget);
            if (ret != MH_OK)
                goto out;
            mh_buf_printf(&b, "\n/AP << /N %ld 0 R >>\n>>\nendobj\n", ap_id);
        }
    } else {
        x[nx++] = (xent){wid_id, 0, b.len};
        mh_buf_printf(
            &b,
            "%ld 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /V %ld 0 R /P "
            "%ld %d R\n/Rect [%.2f %.2f %.2f %.2f] /F 4 /AP << /N %ld 0 R >> >>\nendobj\n",
            wid_id, fname, sig_id, opts->add_page ? vpage_id : (long)page_id,
            opts->add_page ? 0 : qpdf_oh_get_generation(q, page), rect[0], rect[1], rect[2],
            rect[3], ap_id);
        if (!opts->add_page) {
            page_edit *e = page_edit_of(pe, &npe, q, page);
            e->add[e->nadd++] = wid_id;
        }
    }

    /* 4. its appearance: the stamp */
    ret = stamp_content(opts, lines, nlines, r[2], r[3], &c);
    if (ret != MH_OK)
        goto out;
    x[nx++] = (xent){ap_id, 0, b.len};
    mh_buf_printf(&b,
                  "%ld 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Matrix %s\n",
                  ap_id, r[2] < 1 ? 1.0 : r[2], r[3] < 1 ? 1.0 : r[3], matrix);
    if (font)
        mh_buf_printf(&b, "/Resources << /Font << /F1 %ld 0 R >> >>\n", font_base);
    else
        mh_buf_puts(&b, "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont "
                        "/Helvetica /Encoding /WinAnsiEncoding >> >> >>\n");
    mh_buf_printf(&b, "/Length %zu >>\nstream\n", c.len);
    mh_buf_put(&b, c.p, c.len);
    mh_buf_puts(&b, "\nendstream\nendobj\n");
    /* the caption's font, when there is one */
    for (size_t i = 0; font && font->existing_obj <= 0 && i < font->nobj; i++) {
        x[nx++] = (xent){font_base + (long)i, 0, b.len};
        mh_buf_printf(&b, "%ld 0 obj\n", font_base + (long)i);
        put_kit_dict(&b, font->dict[i], font_base);
        if (font->stream && font->stream[i]) {
            mh_buf_puts(&b, "\nstream\n");
            mh_buf_put(&b, font->stream[i], font->stream_len[i]);
            mh_buf_puts(&b, "\nendstream");
        }
        mh_buf_puts(&b, "\nendobj\n");
    }

    /* 5. the party slots: empty signature fields merged with their widgets */
    for (size_t i = 0; i < opts->nslots; i++) {
        x[nx++] = (xent){slot_id[i], 0, b.len};
        mh_buf_printf(&b,
                      "%ld 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /P %ld %d R\n"
                      "/Rect [%.2f %.2f %.2f %.2f] /F 4 >>\nendobj\n",
                      slot_id[i], slot_name[i],
                      opts->add_page ? vpage_id : (long)qpdf_oh_get_object_id(q, slot_page[i]),
                      opts->add_page ? 0 : qpdf_oh_get_generation(q, slot_page[i]), slot_rect[i][0],
                      slot_rect[i][1], slot_rect[i][2], slot_rect[i][3]);
        if (!opts->add_page) {
            page_edit *e = page_edit_of(pe, &npe, q, slot_page[i]);
            e->add[e->nadd++] = slot_id[i];
        }
    }

    /* 5b. the verification page and the page tree that holds it */
    if (opts->add_page) {
        ret = add_verification_page(&b, x, &nx, q, page, vpage_id, vcontent_id, box, font,
                                    font_base, wid_id, slot_id, opts->nslots);
        if (ret != MH_OK)
            goto out;
    }

    /* 6. the pages, with the widgets added to /Annots */
    static const char *const skip_annots[] = {"/Annots", NULL};
    for (size_t i = 0; i < npe; i++) {
        x[nx++] = (xent){pe[i].id, pe[i].gen, b.len};
        mh_buf_printf(&b, "%d %d obj\n<<", pe[i].id, pe[i].gen);
        ret = copy_dict_entries(&b, q, pe[i].page, skip_annots);
        if (ret != MH_OK)
            goto out;
        mh_buf_puts(&b, "\n/Annots [");
        copy_array_items(&b, q, qpdf_oh_get_key(q, pe[i].page, "/Annots"));
        for (size_t k = 0; k < pe[i].nadd; k++)
            mh_buf_printf(&b, "%ld 0 R ", pe[i].add[k]);
        mh_buf_puts(&b, "]\n>>\nendobj\n");
    }

    /* 7. the AcroForm */
    if (write_af) {
        static const char *const skip_af[] = {"/Fields", "/SigFlags", NULL};
        x[nx++] = (xent){af_obj, af_objgen, b.len};
        mh_buf_printf(&b, "%ld %ld obj\n<<", af_obj, af_objgen);
        if (af_dict) {
            ret = copy_dict_entries(&b, q, af, skip_af);
            if (ret != MH_OK)
                goto out;
        }
        mh_buf_puts(&b, "\n/Fields [");
        if (fields)
            copy_array_items(&b, q, fields);
        if (!fill)
            mh_buf_printf(&b, "%ld 0 R ", wid_id);
        for (size_t i = 0; i < opts->nslots; i++)
            mh_buf_printf(&b, "%ld 0 R ", slot_id[i]);
        mh_buf_printf(&b, "]\n/SigFlags %lld\n>>\nendobj\n", sigflags | 3);
    }

    /* 8. the catalog, when the AcroForm is new or was direct, or to certify */
    if (write_catalog) {
        static const char *const skip_cat[] = {"/AcroForm", "/Perms", NULL};
        x[nx++] = (xent){root_id, root_gen, b.len};
        mh_buf_printf(&b, "%d %d obj\n<<", root_id, root_gen);
        ret = copy_dict_entries(&b, q, root, skip_cat);
        if (ret != MH_OK)
            goto out;
        if (write_af)
            mh_buf_printf(&b, "\n/AcroForm %ld %ld R", af_obj, af_objgen);
        else
            mh_buf_printf(&b, "\n/AcroForm %d %d R", af_id, af_gen);
        qpdf_oh perms = qpdf_oh_get_key(q, root, "/Perms");
        if (opts->certify) {
            static const char *const skip_perms[] = {"/DocMDP", NULL};
            mh_buf_puts(&b, "\n/Perms <<");
            if (qpdf_oh_is_dictionary(q, perms)) {
                ret = copy_dict_entries(&b, q, perms, skip_perms);
                if (ret != MH_OK)
                    goto out;
            }
            mh_buf_printf(&b, " /DocMDP %ld 0 R >>", sig_id);
        } else if (qpdf_oh_has_key(q, root, "/Perms")) {
            mh_buf_puts(&b, "\n/Perms ");
            mh_buf_value(&b, q, perms);
        }
        mh_buf_puts(&b, "\n>>\nendobj\n");
    }

    /* every object read: anything qpdf had to repair is damage */
    ret = mh_pdf_doc_ok(d, "reading the page and the form");
    if (ret != MH_OK)
        goto out;

    /* 9. the trailer entries: /Root, /Info, /ID (first kept, second new) */
    mh_buf_printf(&tail, " /Root %d %d R", root_id, root_gen);
    qpdf_oh info = qpdf_oh_get_key(q, trailer, "/Info");
    if (qpdf_oh_is_indirect(q, info) && qpdf_oh_is_dictionary(q, info))
        mh_buf_printf(&tail, " /Info %d %d R", qpdf_oh_get_object_id(q, info),
                      qpdf_oh_get_generation(q, info));
    uint8_t h[32];
    const uint8_t *idp[2] = {pdf, (const uint8_t *)date};
    size_t idl[2] = {len, strlen(date)};
    if (mh_hash_sha256_parts(idp, idl, 2, h) != 0) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    qpdf_oh id = qpdf_oh_get_key(q, trailer, "/ID");
    mh_buf_puts(&tail, " /ID [");
    size_t id0_len = 0;
    const char *id0 = NULL;
    if (qpdf_oh_is_array(q, id) && qpdf_oh_get_array_n_items(q, id) == 2) {
        qpdf_oh e = qpdf_oh_get_array_item(q, id, 0);
        if (qpdf_oh_is_string(q, e))
            id0 = qpdf_oh_get_binary_string_value(q, e, &id0_len);
    }
    if (id0 && id0_len > 0 && id0_len <= 64)
        put_hex(&tail, (const uint8_t *)id0, id0_len);
    else
        put_hex(&tail, h + 16, 16);
    put_hex(&tail, h, 16);
    mh_buf_puts(&tail, "]");
    mh_buf_put(&tail, "", 1); /* NUL */
    if (tail.failed) {
        ret = MH_ERR_NOMEM;
        goto out;
    }

    /* 10. the cross-reference section, of the document's kind */
    write_xref(&b, d, x, nx, next, (const char *)tail.p);
    if (b.failed || c.failed) {
        mh_err_set(b.len >= MH_PDF_MAX_SIZE ? MH_ERR_TOO_LARGE : MH_ERR_NOMEM,
                   "the signed PDF would exceed %zu MiB, or memory ran out", MH_PDF_MAX_SIZE >> 20);
        ret = b.len >= MH_PDF_MAX_SIZE ? MH_ERR_TOO_LARGE : MH_ERR_NOMEM;
        goto out;
    }

    /* 11. the byte range: everything but the /Contents hex string */
    size_t br[4] = {0, contents_off, contents_off + 2 * cap + 2, 0};
    br[3] = b.len - br[2];
    char brs[BR_WIDTH + 1];
    int n = snprintf(brs, sizeof brs, "[0 %zu %zu %zu]", br[1], br[2], br[3]);
    if (n < 0 || n > BR_WIDTH) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    memcpy(b.p + br_off, brs, (size_t)n);
    sha256_ranges(b.p, br, prep->digest);
    memcpy(prep->byte_range, br, sizeof br);
    prep->pdf = b.p; /* transferred */
    prep->len = b.len;
    b.p = NULL;
    prep->original_len = orig_len;
    prep->update_start = update_start;
    ret = MH_OK;
out:
    free(f);
    mh_buf_free(&b);
    mh_buf_free(&c);
    mh_buf_free(&tail);
    return ret;
}

int mh_pdf_document_prepare(mh_pdf_document *doc, const mh_pdf_sign_opts *opts,
                            mh_pdf_prepared *prep)
{
    return doc_prepare(doc, opts, prep);
}

int mh_pdf_prepare(const uint8_t *pdf, size_t len, const mh_pdf_sign_opts *opts,
                   mh_pdf_prepared *prep)
{
    mh_pdf_document *doc = NULL;
    if (!prep)
        return MH_ERR_INVALID_ARG;
    memset(prep, 0, sizeof *prep);
    int ret = mh_pdf_open(pdf, len, &doc);
    if (ret != MH_OK)
        return ret;
    ret = doc_prepare(doc, opts, prep);
    mh_pdf_close(doc);
    return ret;
}

int mh_pdf_embed(mh_pdf_prepared *prep, const uint8_t *cms, size_t cms_len)
{
    static const char hx[] = "0123456789abcdef";
    if (!prep || !prep->pdf || !cms || cms_len == 0)
        return MH_ERR_INVALID_ARG;
    size_t start = prep->byte_range[1], end = prep->byte_range[2];
    if (end <= start + 2 || end > prep->len || prep->pdf[start] != '<' || prep->pdf[end - 1] != '>')
        return MH_ERR_INVALID_ARG;
    size_t room = (end - start - 2) / 2;
    if (cms_len > room) {
        mh_err_set(MH_ERR_BUFFER_TOO_SMALL,
                   "the signature (%zu bytes) does not fit in the room reserved for it (%zu "
                   "bytes); sign again with more room (e.g. --contents-size %zu)",
                   cms_len, room, cms_len + 4096);
        return MH_ERR_BUFFER_TOO_SMALL;
    }
    uint8_t *p = prep->pdf + start + 1;
    for (size_t i = 0; i < cms_len; i++) {
        p[2 * i] = (uint8_t)hx[cms[i] >> 4];
        p[2 * i + 1] = (uint8_t)hx[cms[i] & 15];
    }
    return MH_OK;
}

static bool parse_num(const uint8_t *p, size_t len, size_t *i, size_t *v)
{
    size_t n = 0, digits = 0;
    while (*i < len && p[*i] == ' ')
        (*i)++;
    while (*i < len && p[*i] >= '0' && p[*i] <= '9') {
        if (++digits > 12)
            return false;
        n = n * 10 + (size_t)(p[*i] - '0');
        (*i)++;
    }
    *v = n;
    return digits > 0;
}

int mh_pdf_find_placeholder(uint8_t *pdf, size_t len, mh_pdf_prepared *prep)
{
    static const char pat[] = "/ByteRange [";
    const size_t pl = sizeof pat - 1;
    if (!pdf || !prep || len < pl || len > MH_PDF_MAX_SIZE + ((size_t)4 << 20))
        return MH_ERR_INVALID_ARG;
    memset(prep, 0, sizeof *prep);
    for (size_t s = len - pl + 1; s-- > 0;) {
        if (pdf[s] != '/' || memcmp(pdf + s, pat, pl) != 0)
            continue;
        size_t i = s + pl, br[4];
        bool ok = true;
        for (int k = 0; k < 4 && ok; k++)
            ok = parse_num(pdf, len, &i, &br[k]);
        if (!ok || br[0] != 0 || br[1] >= len || br[2] <= br[1] + 2 || br[2] > len ||
            br[3] != len - br[2] || pdf[br[1]] != '<' || pdf[br[2] - 1] != '>')
            break; /* the last /ByteRange is not a placeholder */
        for (size_t k = br[1] + 1; k < br[2] - 1; k++)
            if (pdf[k] != '0') {
                mh_err_set(MH_ERR_DATA_INVALID,
                           "the document's last signature is already filled in");
                return MH_ERR_DATA_INVALID;
            }
        memcpy(prep->byte_range, br, sizeof br);
        prep->pdf = pdf;
        prep->len = len;
        sha256_ranges(pdf, br, prep->digest);
        return MH_OK;
    }
    mh_err_set(MH_ERR_DATA_INVALID,
               "the document has no empty signature placeholder at its end; make one with "
               "'mohur pdf prepare'");
    return MH_ERR_DATA_INVALID;
}

void mh_pdf_prepared_free(mh_pdf_prepared *prep)
{
    if (!prep)
        return;
    free(prep->pdf);
    memset(prep, 0, sizeof *prep);
}

int mh_pdf_document_sign(mh_pdf_document *doc, const mh_pdf_sign_opts *opts, mh_pdf_cms_fn cms,
                         void *cms_ctx, uint8_t **out, size_t *out_len, size_t *original_len)
{
    int ret = MH_ERR_INTERNAL;
    mh_pdf_prepared prep;
    uint8_t *sig = NULL;
    size_t sig_len = 0;

    if (!cms || !out || !out_len)
        return MH_ERR_INVALID_ARG;
    ret = doc_prepare(doc, opts, &prep);
    if (ret != MH_OK)
        return ret;
    if (opts && opts->on_prepared &&
        (ret = opts->on_prepared(opts->on_prepared_ctx, &prep)) != MH_OK)
        goto out;
    size_t cap = (prep.byte_range[2] - prep.byte_range[1] - 2) / 2;
    sig = malloc(cap);
    if (!sig) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    ret = cms(cms_ctx, prep.digest, sig, cap, &sig_len);
    if (ret == MH_ERR_BUFFER_TOO_SMALL) {
        mh_err_set(ret,
                   "the signature does not fit in the %zu bytes reserved for it; sign again "
                   "with more room (e.g. --contents-size %zu)",
                   cap, cap * 2);
        goto out;
    }
    if (ret != MH_OK)
        goto out;
    if (sig_len > cap) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    ret = mh_pdf_embed(&prep, sig, sig_len);
    if (ret != MH_OK)
        goto out;
    *out = prep.pdf; /* transferred */
    *out_len = prep.len;
    if (original_len)
        *original_len = prep.original_len;
    prep.pdf = NULL;
    ret = MH_OK;
out:
    free(sig);
    mh_pdf_prepared_free(&prep);
    return ret;
}

int mh_pdf_sign(const uint8_t *pdf, size_t len, const mh_pdf_sign_opts *opts, mh_pdf_cms_fn cms,
                void *cms_ctx, uint8_t **out, size_t *out_len, size_t *original_len)
{
    mh_pdf_document *doc = NULL;
    if (!cms || !out || !out_len)
        return MH_ERR_INVALID_ARG;
    int ret = mh_pdf_open(pdf, len, &doc);
    if (ret != MH_OK)
        return ret;
    ret = mh_pdf_document_sign(doc, opts, cms, cms_ctx, out, out_len, original_len);
    mh_pdf_close(doc);
    return ret;
}
