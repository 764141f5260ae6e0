/* fontkit.c - an embedded font subset for the stamp, taken out of a
 * one-page PDF that libharu draws with the whole repertoire once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>
#include <qpdf/qpdf-c.h>

#include "doc_internal.h"

#define STAMP_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

static void hpdf_error(HPDF_STATUS e, HPDF_STATUS d, void *user)
{
    int *err = user;
    if (!*err) {
        mh_err_set(MH_ERR_INTERNAL,
                   "the PDF library failed building the stamp font (error 0x%04x/%u)", (unsigned)e,
                   (unsigned)d);
        *err = MH_ERR_INTERNAL;
    }
}

/* A PDF with one page showing every character of the repertoire. */
static int draw(const char *font_path, mh_font_kit *k, uint8_t **pdf, size_t *len)
{
    int err = 0, ret = MH_ERR_INTERNAL;
    HPDF_Doc d = HPDF_New(hpdf_error, &err);
    if (!d)
        return MH_ERR_NOMEM;
    HPDF_SetCompressionMode(d, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(d);
    const char *name = HPDF_LoadTTFontFromFile(d, font_path, HPDF_TRUE);
    if (!name || err) {
        mh_err_set(MH_ERR_IO, "the font %s cannot be loaded; install fonts-dejavu-core", font_path);
        ret = MH_ERR_IO;
        goto out;
    }
    HPDF_Font f = HPDF_GetFont(d, name, "UTF-8");
    HPDF_Page p = HPDF_AddPage(d);
    char all[8192];
    size_t n = 0;
    for (uint32_t c = 0x20; c < MH_FONT_KIT_NWIDTH; c++) {
        if (!mh_doc_in_repertoire(c))
            continue;
        uint8_t u[4];
        size_t ul = mh_utf8_put(c, u);
        memcpy(all + n, u, ul);
        n += ul;
        HPDF_TextWidth w = HPDF_Font_TextWidth(f, u, (HPDF_UINT)ul);
        k->width[c] = (uint16_t)(w.width ? w.width : 1);
    }
    all[n] = '\0';
    HPDF_Page_BeginText(p);
    HPDF_Page_SetFontAndSize(p, f, 1);
    HPDF_Page_TextOut(p, 10, 10, all);
    HPDF_Page_EndText(p);
    if (err || HPDF_SaveToStream(d) != HPDF_OK || err) {
        ret = err ? err : MH_ERR_INTERNAL;
        goto out;
    }
    HPDF_UINT32 sz = HPDF_GetStreamSize(d), got = 0;
    *pdf = malloc(sz);
    if (!*pdf) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    got = sz;
    if (HPDF_ReadFromStream(d, *pdf, &got) > HPDF_STREAM_EOF || got != sz) {
        free(*pdf);
        *pdf = NULL;
        goto out;
    }
    *len = sz;
    /* libharu's ToUnicode is the Identity CMap: replace it (pdfa.c) */
    ret = mh_doc_pdf_finish(pdf, len, false, NULL);
    if (ret) {
        free(*pdf);
        *pdf = NULL;
    }
out:
    HPDF_Free(d);
    return ret;
}

struct ser {
    qpdf_data q;
    mh_font_kit *k;
    int ids[MH_FONT_KIT_MAX_OBJ]; /* object ids in the drawn PDF, by kit index */
    char *out;
    size_t len, cap;
    bool fail;
};

static void put(struct ser *s, const char *t)
{
    size_t n = strlen(t);
    if (s->fail || s->len + n + 1 > s->cap) {
        s->fail = true;
        return;
    }
    memcpy(s->out + s->len, t, n + 1);
    s->len += n;
}

/* The kit index of an indirect object, added when new. */
static int index_of(struct ser *s, int id)
{
    for (size_t i = 0; i < s->k->nobj; i++) {
        if (s->ids[i] == id)
            return (int)i;
    }
    if (s->k->nobj == MH_FONT_KIT_MAX_OBJ)
        return -1;
    s->ids[s->k->nobj] = id;
    return (int)s->k->nobj++;
}

static void value(struct ser *s, qpdf_oh v, bool top)
{
    char num[32];
    if (!top && qpdf_oh_is_indirect(s->q, v)) {
        int k = index_of(s, qpdf_oh_get_object_id(s->q, v));
        if (k < 0) {
            s->fail = true;
            return;
        }
        snprintf(num, sizeof num, "@%d@", k);
        put(s, num);
        return;
    }
    if (qpdf_oh_is_dictionary(s->q, v)) {
        /* one key iterator per qpdf handle: collect the keys first */
        char *keys[64];
        size_t nk = 0;
        qpdf_oh_begin_dict_key_iter(s->q, v);
        while (qpdf_oh_dict_more_keys(s->q) && nk < 64)
            keys[nk++] = strdup(qpdf_oh_dict_next_key(s->q));
        put(s, "<<");
        for (size_t i = 0; i < nk; i++) {
            if (!keys[i]) {
                s->fail = true;
                continue;
            }
            put(s, " ");
            put(s, keys[i]);
            put(s, " ");
            value(s, qpdf_oh_get_key(s->q, v, keys[i]), false);
            free(keys[i]);
        }
        put(s, " >>");
        return;
    }
    if (qpdf_oh_is_array(s->q, v)) {
        put(s, "[");
        int n = qpdf_oh_get_array_n_items(s->q, v);
        for (int i = 0; i < n; i++) {
            put(s, " ");
            value(s, qpdf_oh_get_array_item(s->q, v, i), false);
        }
        put(s, " ]");
        return;
    }
    /* a top-level object is itself indirect: its value, not a reference */
    put(s, top ? qpdf_oh_unparse_resolved(s->q, v) : qpdf_oh_unparse(s->q, v));
}

int mh_font_kit_build(const char *font_path, mh_font_kit **out)
{
    *out = NULL;
    mh_font_kit *k = calloc(1, sizeof *k);
    uint8_t *pdf = NULL;
    size_t len = 0;
    int ret = k ? draw(font_path ? font_path : STAMP_FONT, k, &pdf, &len) : MH_ERR_NOMEM;
    if (ret) {
        free(k);
        return ret;
    }
    struct ser s;
    memset(&s, 0, sizeof s);
    s.k = k;
    s.cap = 1 << 20;
    s.out = malloc(s.cap);
    s.q = qpdf_init();
    qpdf_silence_errors(s.q);
    ret = MH_ERR_INTERNAL;
    if (!s.out ||
        (qpdf_read_memory(s.q, "stamp-font", (const char *)pdf, (unsigned long long)len, NULL) &
         QPDF_ERRORS))
        goto out;
    qpdf_oh page = qpdf_get_page_n(s.q, 0);
    qpdf_oh fonts = qpdf_oh_get_key(s.q, qpdf_oh_get_key(s.q, page, "/Resources"), "/Font");
    qpdf_oh_begin_dict_key_iter(s.q, fonts);
    if (!qpdf_oh_dict_more_keys(s.q))
        goto out;
    qpdf_oh font = qpdf_oh_get_key(s.q, fonts, qpdf_oh_dict_next_key(s.q));
    if (!qpdf_oh_is_indirect(s.q, font) || index_of(&s, qpdf_oh_get_object_id(s.q, font)) != 0)
        goto out;
    /* breadth first: serialising an object may add the ones it refers to */
    for (size_t i = 0; i < k->nobj; i++) {
        qpdf_oh o = qpdf_get_object_by_id(s.q, s.ids[i], 0);
        s.len = 0;
        s.out[0] = '\0';
        if (qpdf_oh_is_stream(s.q, o)) {
            value(&s, qpdf_oh_get_dict(s.q, o), true);
            unsigned char *data = NULL;
            size_t dl = 0;
            if (qpdf_oh_get_stream_data(s.q, o, qpdf_dl_none, NULL, &data, &dl) & QPDF_ERRORS)
                goto out;
            k->stream[i] = data;
            k->stream_len[i] = dl;
        } else {
            value(&s, o, true);
        }
        if (s.fail || !(k->dict[i] = strdup(s.out)))
            goto out;
    }
    ret = 0;
out:
    qpdf_cleanup(&s.q);
    free(s.out);
    free(pdf);
    if (ret) {
        mh_err_set(ret, "the stamp's font could not be prepared (internal error)");
        mh_font_kit_free(k);
        return ret;
    }
    *out = k;
    return 0;
}

void mh_font_kit_free(mh_font_kit *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < MH_FONT_KIT_MAX_OBJ; i++) {
        free(k->dict[i]);
        free(k->stream[i]);
    }
    free(k);
}
