/* template.c - a kind's page drawn once with libharu, then filled in per
 * document with an incremental update that reuses its embedded font. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>
#include <mbedtls/sha256.h>
#include <qpdf/qpdf-c.h>

#include "doc_internal.h"

#define DEFAULT_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
#define MAX_CP 0x500 /* the repertoire lies below U+0500 ... */

/* What the documents may contain: printable ASCII, Latin-1 letters and
 * signs, Latin Extended-A (Ğ ğ İ ı Ş ş ...), Ə ə, Cyrillic (Russian and
 * Azerbaijani Cyrillic: Ә ә Ғ ғ Ҝ ҝ Һ һ Ө ө Ү ү Ҹ ҹ Ј ј), and a few
 * typographic marks. The template prints each once, invisibly, so the
 * embedded font subset has all of them. */
bool mh_doc_in_repertoire(uint32_t c)
{
    return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0x17f) || c == 0x18f || c == 0x259 ||
           (c >= 0x400 && c <= 0x45f) || c == 0x492 || c == 0x493 || c == 0x49c || c == 0x49d ||
           c == 0x4ae || c == 0x4af || c == 0x4b8 || c == 0x4b9 || c == 0x4ba || c == 0x4bb ||
           c == 0x4d8 || c == 0x4d9 || c == 0x4e8 || c == 0x4e9 || c == 0x2013 || c == 0x2014 ||
           c == 0x2018 || c == 0x2019 || c == 0x201c || c == 0x201d || c == 0x2116 || c == 0x2026 ||
           c == 0xb7;
}

/* The marks above U+0500 get slots after MAX_CP in the width table. */
static const uint32_t extra[] = {0x2013, 0x2014, 0x2018, 0x2019, 0x201c, 0x201d, 0x2116, 0x2026};
#define NEXTRA (sizeof extra / sizeof extra[0])

static int slot_of(uint32_t c)
{
    if (c < MAX_CP)
        return (int)c;
    for (size_t i = 0; i < NEXTRA; i++) {
        if (extra[i] == c)
            return (int)(MAX_CP + i);
    }
    return -1;
}

struct mh_template {
    mh_kind kind;
    uint8_t *pdf; /* the template file */
    size_t len;
    /* what an update needs to know */
    long page_obj, page_gen, size, root_obj, info_obj, prev_xref;
    char *page_dict_rest;            /* the page dictionary without /Contents */
    char *contents;                  /* the old /Contents value */
    char font_res[32];               /* e.g. /F1 */
    long font_obj;                   /* its object number in the template */
    uint16_t *cp_width;              /* widths by code point (MH_FONT_KIT_NWIDTH) */
    char id0[80];                    /* first element of /ID, hex */
    uint16_t width[MAX_CP + NEXTRA]; /* advance widths, 1/1000 em; 0 = none */
};

static void hpdf_error(HPDF_STATUS e, HPDF_STATUS d, void *user)
{
    int *err = user;
    if (!*err) {
        mh_err_set(MH_ERR_INTERNAL, "the PDF library failed drawing the template (error 0x%04x/%u)",
                   (unsigned)e, (unsigned)d);
        *err = MH_ERR_INTERNAL;
    }
}

static double text_width(HPDF_Font f, const char *s, double size)
{
    HPDF_TextWidth w = HPDF_Font_TextWidth(f, (const HPDF_BYTE *)s, (HPDF_UINT)strlen(s));
    return (double)w.width * size / 1000.0;
}

static void draw_text(HPDF_Page p, HPDF_Font f, const char *s, double x, double y, double size,
                      enum mh_align a)
{
    double w = text_width(f, s, size);
    if (a == MH_ALIGN_CENTER)
        x -= w / 2;
    else if (a == MH_ALIGN_RIGHT)
        x -= w;
    HPDF_Page_SetFontAndSize(p, f, (HPDF_REAL)size);
    HPDF_Page_TextOut(p, (HPDF_REAL)x, (HPDF_REAL)y, s);
}

/* Replaces "{issuer}" in t by the issuer's name. */
static void expand(const char *t, const char *issuer, char *out, size_t cap)
{
    const char *m = strstr(t, "{issuer}");
    if (!m) {
        snprintf(out, cap, "%s", t);
        return;
    }
    snprintf(out, cap, "%.*s%s%s", (int)(m - t), t, issuer, m + 8);
}

/* Draws the fixed page with libharu into *pdf. */
static int draw(mh_template *t, const char *issuer, const char *font_path, HPDF_Font *fontp)
{
    const mh_kind *k = &t->kind;
    int err = 0;
    HPDF_Doc pdf = HPDF_New(hpdf_error, &err);
    if (!pdf)
        return MH_ERR_NOMEM;
    int ret = MH_ERR_INTERNAL;
    HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(pdf);
    HPDF_SetInfoAttr(pdf, HPDF_INFO_PRODUCER, "mohur");
    const char *fname = HPDF_LoadTTFontFromFile(pdf, font_path, HPDF_TRUE);
    if (!fname || err) {
        mh_err_set(MH_ERR_IO, "the font %s cannot be loaded; install fonts-dejavu-core", font_path);
        ret = MH_ERR_IO;
        goto out;
    }
    HPDF_Font f = HPDF_GetFont(pdf, fname, "UTF-8");
    HPDF_Page p = HPDF_AddPage(pdf);
    HPDF_Page_SetWidth(p, (HPDF_REAL)k->page_w);
    HPDF_Page_SetHeight(p, (HPDF_REAL)k->page_h);
    if (k->border_width > 0) {
        HPDF_Page_SetLineWidth(p, (HPDF_REAL)k->border_width);
        HPDF_Page_Rectangle(p, (HPDF_REAL)k->border_inset, (HPDF_REAL)k->border_inset,
                            (HPDF_REAL)(k->page_w - 2 * k->border_inset),
                            (HPDF_REAL)(k->page_h - 2 * k->border_inset));
        HPDF_Page_Stroke(p);
    }
    if (k->inner_width > 0) {
        HPDF_Page_SetLineWidth(p, (HPDF_REAL)k->inner_width);
        HPDF_Page_Rectangle(p, (HPDF_REAL)k->inner_inset, (HPDF_REAL)k->inner_inset,
                            (HPDF_REAL)(k->page_w - 2 * k->inner_inset),
                            (HPDF_REAL)(k->page_h - 2 * k->inner_inset));
        HPDF_Page_Stroke(p);
    }
    HPDF_Page_BeginText(p);
    char buf[1024];
    for (size_t i = 0; i < k->ntexts; i++) {
        expand(k->texts[i].text, issuer, buf, sizeof buf);
        draw_text(p, f, buf, k->texts[i].x, k->texts[i].y, k->texts[i].size, k->texts[i].align);
    }
    for (size_t i = 0; i < k->nslots; i++) {
        const mh_kind_slot *s = &k->slots[i];
        if (!s->label)
            continue;
        const mh_kind_field *fd = &k->fields[s->field];
        snprintf(buf, sizeof buf, "%s · %s · %s", fd->label[MH_LANG_AZ], fd->label[MH_LANG_RU],
                 fd->label[MH_LANG_EN]);
        draw_text(p, f, buf, s->x, s->y + s->size + 2, 7, s->align);
    }
    /* the whole repertoire once, outside the page, so the embedded subset
     * holds every glyph a document may need; and the width table */
    char all[8192];
    size_t n = 0;
    for (uint32_t c = 0x20; c < 0x2200; c++) {
        if (!mh_doc_in_repertoire(c))
            continue;
        uint8_t u[5];
        size_t ul = mh_utf8_put(c, u);
        memcpy(all + n, u, ul);
        n += ul;
        u[ul] = '\0';
        int sl = slot_of(c);
        HPDF_TextWidth w = HPDF_Font_TextWidth(f, u, (HPDF_UINT)ul);
        t->width[sl] = (uint16_t)(w.width ? w.width : 1);
    }
    all[n] = '\0';
    HPDF_Page_SetFontAndSize(p, f, 1);
    HPDF_Page_TextOut(p, -5000, -5000, all);
    HPDF_Page_EndText(p);
    if (err) {
        ret = err;
        goto out;
    }
    if (HPDF_SaveToStream(pdf) != HPDF_OK || err) {
        ret = err ? err : MH_ERR_INTERNAL;
        goto out;
    }
    HPDF_UINT32 sz = HPDF_GetStreamSize(pdf);
    t->pdf = malloc(sz);
    if (!t->pdf) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    HPDF_UINT32 got = sz;
    if (HPDF_ReadFromStream(pdf, t->pdf, &got) > HPDF_STREAM_EOF || got != sz) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    t->len = sz;
    *fontp = f;
    ret = 0;
out:
    HPDF_Free(pdf);
    return ret;
}

/* Reads back what an update needs, with qpdf. */
static int analyse(mh_template *t)
{
    int ret = MH_ERR_INTERNAL;
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    if (qpdf_read_memory(q, "template", (const char *)t->pdf, (unsigned long long)t->len, NULL) &
        QPDF_ERRORS)
        goto out;
    qpdf_oh page = qpdf_get_page_n(q, 0);
    t->page_obj = qpdf_oh_get_object_id(q, page);
    t->page_gen = qpdf_oh_get_generation(q, page);
    qpdf_oh trailer = qpdf_get_trailer(q);
    t->size = (long)qpdf_oh_get_int_value(q, qpdf_oh_get_key(q, trailer, "/Size"));
    t->root_obj = qpdf_oh_get_object_id(q, qpdf_oh_get_key(q, trailer, "/Root"));
    qpdf_oh info = qpdf_oh_get_key(q, trailer, "/Info");
    t->info_obj = qpdf_oh_is_null(q, info) ? 0 : qpdf_oh_get_object_id(q, info);
    qpdf_oh id = qpdf_oh_get_key(q, trailer, "/ID");
    if (qpdf_oh_is_array(q, id) && qpdf_oh_get_array_n_items(q, id) == 2) {
        const char *s = qpdf_oh_unparse(q, qpdf_oh_get_array_item(q, id, 0));
        snprintf(t->id0, sizeof t->id0, "%s", s);
    }
    /* the page dictionary, minus /Contents, as text; qpdf has one key
     * iterator, so collect the keys first */
    char *keys[32];
    size_t nk = 0;
    qpdf_oh_begin_dict_key_iter(q, page);
    while (qpdf_oh_dict_more_keys(q) && nk < 32)
        keys[nk++] = strdup(qpdf_oh_dict_next_key(q));
    char rest[4096];
    size_t rn = 0;
    bool ok = true;
    for (size_t i = 0; i < nk; i++) {
        if (!keys[i]) {
            ok = false;
            continue;
        }
        qpdf_oh v = qpdf_oh_get_key(q, page, keys[i]);
        const char *vs = qpdf_oh_unparse(q, v);
        if (strcmp(keys[i], "/Contents") == 0) {
            t->contents = strdup(vs);
        } else {
            if (strcmp(keys[i], "/Resources") == 0) {
                qpdf_oh fonts = qpdf_oh_get_key(q, v, "/Font");
                qpdf_oh_begin_dict_key_iter(q, fonts);
                if (qpdf_oh_dict_more_keys(q)) {
                    snprintf(t->font_res, sizeof t->font_res, "%s", qpdf_oh_dict_next_key(q));
                    qpdf_oh fo = qpdf_oh_get_key(q, fonts, t->font_res);
                    if (qpdf_oh_is_indirect(q, fo))
                        t->font_obj = qpdf_oh_get_object_id(q, fo);
                }
            }
            int w = snprintf(rest + rn, sizeof rest - rn, "%s %s ", keys[i], vs);
            if (w < 0 || (size_t)w >= sizeof rest - rn)
                ok = false;
            else
                rn += (size_t)w;
        }
        free(keys[i]);
    }
    if (!ok)
        goto out;
    t->page_dict_rest = strdup(rest);
    /* startxref of the template */
    for (size_t i = t->len; i-- > 9;) {
        if (memcmp(t->pdf + i - 9, "startxref", 9) == 0) {
            /* the file is not NUL-terminated: read the digits in bounds */
            size_t j = i;
            while (j < t->len && (t->pdf[j] == '\r' || t->pdf[j] == '\n' || t->pdf[j] == ' '))
                j++;
            long v = 0;
            while (j < t->len && t->pdf[j] >= '0' && t->pdf[j] <= '9' && v < 1000000000L)
                v = v * 10 + (t->pdf[j++] - '0');
            t->prev_xref = v;
            break;
        }
    }
    if (!t->contents || !t->page_dict_rest || !t->font_res[0] || t->prev_xref <= 0 || t->size <= 0)
        goto out;
    ret = 0;
out:
    qpdf_cleanup(&q);
    if (ret)
        mh_err_set(ret, "the template PDF could not be read back (internal error)");
    return ret;
}

int mh_template_build(const mh_kind *k, const char *issuer, const char *font_path,
                      mh_template **out)
{
    *out = NULL;
    if (!k->rendered) {
        mh_err_set(MH_ERR_INVALID_ARG, "a %s is brought as a PDF, not rendered by mohur",
                   k->names[MH_LANG_EN]);
        return MH_ERR_INVALID_ARG;
    }
    mh_template *t = calloc(1, sizeof *t);
    if (!t)
        return MH_ERR_NOMEM;
    t->kind = *k;
    HPDF_Font f = NULL;
    int rc = draw(t, issuer ? issuer : "", font_path ? font_path : DEFAULT_FONT, &f);
    if (!rc) {
        /* a correct ToUnicode and the PDF/A-2b structure, once per template */
        char title[300];
        snprintf(title, sizeof title, "%s · %s", k->names[MH_LANG_EN], issuer ? issuer : "");
        rc = mh_doc_pdf_finish(&t->pdf, &t->len, true, title);
    }
    if (!rc)
        rc = analyse(t);
    if (!rc) {
        /* the same widths by code point, for others drawing with this font */
        t->cp_width = calloc(MH_FONT_KIT_NWIDTH, sizeof *t->cp_width);
        if (!t->cp_width)
            rc = MH_ERR_NOMEM;
        for (uint32_t c = 0; !rc && c < MH_FONT_KIT_NWIDTH; c++) {
            int sl = mh_doc_in_repertoire(c) ? slot_of(c) : -1;
            if (sl >= 0)
                t->cp_width[c] = t->width[sl];
        }
    }
    if (rc) {
        mh_template_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void mh_template_free(mh_template *t)
{
    if (!t)
        return;
    free(t->cp_width);
    free(t->pdf);
    free(t->page_dict_rest);
    free(t->contents);
    free(t);
}

int mh_template_font(const mh_template *t, long *obj, const uint16_t **width, size_t *nwidth)
{
    if (!t->font_obj || !t->cp_width)
        return MH_ERR_NOT_FOUND;
    *obj = t->font_obj;
    *width = t->cp_width;
    *nwidth = MH_FONT_KIT_NWIDTH;
    return 0;
}

const uint8_t *mh_template_bytes(const mh_template *t, size_t *len)
{
    *len = t->len;
    return t->pdf;
}

/* ---- filling in --------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t len, cap;
    bool fail;
};

static void put(struct buf *b, const void *s, size_t n)
{
    if (b->fail)
        return;
    if (b->len + n > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->len + n)
            c *= 2;
        uint8_t *p = realloc(b->p, c);
        if (!p) {
            b->fail = true;
            return;
        }
        b->p = p;
        b->cap = c;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void putf(struct buf *b, const char *fmt, ...) MH_PRINTF(2, 3);
static void putf(struct buf *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->fail = true;
        return;
    }
    put(b, tmp, (size_t)n);
}

static double width_of(const mh_template *t, const uint32_t *cp, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++)
        w += t->width[slot_of(cp[i])];
    return w;
}

/* One line of text at (x, y): a hex string of UTF-16 code units, which is
 * how libharu's UTF-8 CID font maps characters. */
static void show(struct buf *b, const uint32_t *cp, size_t n, double x, double y)
{
    static const char hex[] = "0123456789ABCDEF";
    putf(b, "1 0 0 1 %.2f %.2f Tm <", x, y);
    for (size_t i = 0; i < n; i++) {
        char h[4] = {hex[(cp[i] >> 12) & 15], hex[(cp[i] >> 8) & 15], hex[(cp[i] >> 4) & 15],
                     hex[cp[i] & 15]};
        put(b, h, 4);
    }
    put(b, "> Tj\n", 5);
}

static int fill_slot(const mh_template *t, const mh_kind_slot *s, const uint32_t *cp, size_t n,
                     struct buf *b)
{
    double size = s->size;
    double w = width_of(t, cp, n) * size / 1000.0;
    if (s->lines <= 1) {
        /* one line: shrink to fit the slot, down to 60% of the size */
        if (w > s->width) {
            size = size * s->width / w;
            if (size < s->size * 0.6) {
                mh_err_set(MH_ERR_TOO_LARGE, "the text is too long for its place on the page");
                return MH_ERR_TOO_LARGE;
            }
            w = s->width;
        }
        double x = s->align == MH_ALIGN_CENTER  ? s->x - w / 2
                   : s->align == MH_ALIGN_RIGHT ? s->x - w
                                                : s->x;
        putf(b, "%s %.2f Tf\n", t->font_res, size);
        show(b, cp, n, x, s->y);
        return 0;
    }
    /* several lines: one line if it fits; else broken at spaces into at
     * most s->lines lines, the size lowered in steps (down to 60%) until
     * they fit, each line aligned as the slot says; the first line on the
     * slot's baseline, or (valign middle) the block centred on it so the
     * lines above and below keep clear */
    if (w <= s->width) {
        double x = s->align == MH_ALIGN_CENTER  ? s->x - w / 2
                   : s->align == MH_ALIGN_RIGHT ? s->x - w
                                                : s->x;
        putf(b, "%s %.2f Tf\n", t->font_res, size);
        show(b, cp, n, x, s->y);
        return 0;
    }
    enum { MAX_LINES = 40 };
    size_t ls[MAX_LINES], le[MAX_LINES];
    double lw_of[MAX_LINES];
    unsigned used = 0;
    for (int step = 0; step <= 8; step++) {
        size = s->size * (1.0 - 0.05 * step);
        used = 0;
        size_t start = 0;
        bool fits = true;
        while (start < n) {
            size_t end = start, last_space = 0;
            double lw = 0, lw_at_space = 0;
            while (end < n) {
                double cw = t->width[slot_of(cp[end])] * size / 1000.0;
                if (lw + cw > s->width)
                    break;
                if (cp[end] == ' ') {
                    last_space = end;
                    lw_at_space = lw;
                }
                lw += cw;
                end++;
            }
            if (end < n && last_space > start) {
                end = last_space;
                lw = lw_at_space;
            } else if (end < n) {
                fits = false; /* a word wider than the slot: never cut in two */
                break;
            }
            if (used == s->lines || used == MAX_LINES) {
                fits = false;
                break;
            }
            ls[used] = start;
            le[used] = end;
            lw_of[used] = lw;
            used++;
            start = end;
            while (start < n && cp[start] == ' ')
                start++;
        }
        if (fits)
            break;
        used = 0;
    }
    if (used == 0) {
        mh_err_set(MH_ERR_TOO_LARGE, "the text does not fit in %u lines", s->lines);
        return MH_ERR_TOO_LARGE;
    }
    putf(b, "%s %.2f Tf\n", t->font_res, size);
    double lead = size * 1.25, y0 = s->middle ? s->y + (used - 1) * lead / 2 : s->y;
    for (unsigned line = 0; line < used; line++) {
        double lw = lw_of[line];
        double x = s->align == MH_ALIGN_CENTER  ? s->x - lw / 2
                   : s->align == MH_ALIGN_RIGHT ? s->x - lw
                                                : s->x;
        show(b, cp + ls[line], le[line] - ls[line], x, y0 - line * lead);
    }
    return 0;
}

int mh_template_render(const mh_template *t, const mh_field_value *v, size_t n, uint8_t **pdf,
                       size_t *len)
{
    *pdf = NULL;
    *len = 0;
    const mh_kind *k = &t->kind;
    int rc = mh_kind_check(k, v, n);
    if (rc)
        return rc;
    struct buf c = {0}, b = {0};
    uint32_t *cp = malloc(2048 * sizeof *cp);
    if (!cp)
        return MH_ERR_NOMEM;
    put(&c, "BT\n0 g\n", 7);
    for (size_t i = 0; i < k->nslots && !rc; i++) {
        const mh_kind_slot *s = &k->slots[i];
        const char *val = NULL;
        for (size_t j = 0; j < n; j++) {
            if (strcmp(v[j].id, k->fields[s->field].id) == 0)
                val = v[j].value;
        }
        if (!val || !k->fields[s->field].printed)
            continue;
        size_t nc;
        rc = mh_doc_utf8_decode(val, cp, 2048, &nc);
        for (size_t j = 0; !rc && j < nc; j++) {
            if (!mh_doc_in_repertoire(cp[j])) {
                mh_err_set(MH_ERR_UNSUPPORTED,
                           "the field '%s' has a character the document font cannot print "
                           "(U+%04X)",
                           k->fields[s->field].id, (unsigned)cp[j]);
                rc = MH_ERR_UNSUPPORTED;
            }
        }
        if (!rc)
            rc = fill_slot(t, s, cp, nc, &c);
        if (rc && !strstr(mh_err_message(rc), k->fields[s->field].id)) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s", mh_err_message(rc));
            mh_err_set(rc, "the field '%s': %s", k->fields[s->field].id, msg);
        }
    }
    put(&c, "ET\n", 3);
    free(cp);
    if (rc || c.fail) {
        free(c.p);
        return rc ? rc : MH_ERR_NOMEM;
    }
    /* the update: the new content stream, the page pointing at both */
    long cobj = t->size;
    put(&b, t->pdf, t->len);
    if (t->len && t->pdf[t->len - 1] != '\n')
        put(&b, "\n", 1);
    size_t off_c = b.len;
    putf(&b, "%ld 0 obj\n<< /Length %zu >>\nstream\n", cobj, c.len);
    put(&b, c.p, c.len);
    put(&b, "\nendstream\nendobj\n", 18);
    size_t off_p = b.len;
    const char *old = t->contents;
    /* an array value keeps its elements, then the new stream */
    if (old[0] == '[')
        putf(&b, "%ld %ld obj\n<< %s/Contents [ %.*s %ld 0 R ] >>\nendobj\n", t->page_obj,
             t->page_gen, t->page_dict_rest, (int)(strlen(old) - 2), old + 1, cobj);
    else
        putf(&b, "%ld %ld obj\n<< %s/Contents [ %s %ld 0 R ] >>\nendobj\n", t->page_obj,
             t->page_gen, t->page_dict_rest, old, cobj);
    size_t off_x = b.len;
    putf(&b, "xref\n%ld 1\n%010zu %05ld n \n%ld 1\n%010zu 00000 n \n", t->page_obj, off_p,
         t->page_gen, cobj, off_c);
    putf(&b, "trailer\n<< /Size %ld /Root %ld 0 R ", cobj + 1, t->root_obj);
    if (t->info_obj)
        putf(&b, "/Info %ld 0 R ", t->info_obj);
    if (t->id0[0]) {
        /* a new second ID element for the new revision: the hash of what
         * was added, so equal inputs give equal files */
        uint8_t h[32];
        mbedtls_sha256_ret(c.p, c.len, h, 0);
        put(&b, "/ID [ ", 6);
        put(&b, t->id0, strlen(t->id0));
        put(&b, " <", 2);
        for (int i = 0; i < 16; i++)
            putf(&b, "%02X", h[i]);
        put(&b, "> ] ", 4);
    }
    putf(&b, "/Prev %ld >>\nstartxref\n%zu\n%%%%EOF\n", t->prev_xref, off_x);
    free(c.p);
    if (b.fail) {
        free(b.p);
        return MH_ERR_NOMEM;
    }
    *pdf = b.p;
    *len = b.len;
    return 0;
}
