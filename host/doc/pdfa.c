/*
 * pdfa.c - what libharu leaves out, added once to a template (and to the
 * stamp font's PDF) with qpdf: a correct ToUnicode CMap for the embedded
 * UTF-8 font, and for rendered documents the PDF/A-2b structure (XMP
 * metadata with the PDF/A identification, an sRGB OutputIntent with the
 * ICC profile Debian's icc-profiles-free ships). docs/documents.md.
 *
 * libharu 2.3 writes, as the ToUnicode of its UTF-8 Type0 fonts, the
 * Identity CMap (begincidrange): poppler warns "Invalid 'begincidrange'
 * operator in ToUnicode CMap" and text extraction only works by luck. The
 * font's character codes are the Unicode code points themselves (two
 * bytes), so the right map is the identity as bfrange entries, one per
 * 256-code block of the repertoire (a bfrange may not cross one).
 *
 * The output is deterministic (qpdf's deterministic /ID, no dates), so an
 * equal template makes equal documents and a document can be re-made.
 */
#include "doc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qpdf/qpdf-c.h>

#ifndef MH_SRGB_ICC
#define MH_SRGB_ICC "/usr/share/color/icc/sRGB.icc"
#endif
#define ICC_MAX ((size_t)1 << 20)

static const char tounicode[] =
    "/CIDInit /ProcSet findresource begin\n"
    "12 dict begin\n"
    "begincmap\n"
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    "/CMapName /Adobe-Identity-UCS def\n"
    "/CMapType 2 def\n"
    "1 begincodespacerange\n"
    "<0000> <FFFF>\n"
    "endcodespacerange\n"
    "6 beginbfrange\n"
    "<0020> <00FF> <0020>\n"
    "<0100> <01FF> <0100>\n"
    "<0200> <02FF> <0200>\n"
    "<0400> <04FF> <0400>\n"
    "<2000> <20FF> <2000>\n"
    "<2100> <21FF> <2100>\n"
    "endbfrange\n"
    "endcmap\n"
    "CMapName currentdict /CMap defineresource pop\n"
    "end\n"
    "end\n";

static const char xmp_head[] =
    "<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
    "<rdf:Description rdf:about=\"\"\n"
    "  xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n"
    "  xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
    "  xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
    "<pdfaid:part>2</pdfaid:part>\n"
    "<pdfaid:conformance>B</pdfaid:conformance>\n"
    "<dc:format>application/pdf</dc:format>\n"
    "<pdf:Producer>mohur</pdf:Producer>\n"
    "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">";
static const char xmp_tail[] = "</rdf:li></rdf:Alt></dc:title>\n"
                               "</rdf:Description>\n"
                               "</rdf:RDF>\n"
                               "</x:xmpmeta>\n"
                               "<?xpacket end=\"w\"?>\n";

/* XML text: & < > escaped. */
static void xml_text(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 6 < cap; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
        if (e) {
            memcpy(out + o, e, strlen(e));
            o += strlen(e);
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
}

static int read_icc(unsigned char **buf, size_t *len)
{
    FILE *f = fopen(MH_SRGB_ICC, "rb");
    if (!f) {
        mh_err_set(MH_ERR_IO,
                   "the sRGB colour profile %s is missing (Debian's icc-profiles-free): rendered "
                   "documents are PDF/A and carry it",
                   MH_SRGB_ICC);
        return MH_ERR_IO;
    }
    unsigned char *b = malloc(ICC_MAX);
    size_t n = b ? fread(b, 1, ICC_MAX, f) : 0;
    fclose(f);
    if (!b || n < 128 || n == ICC_MAX || memcmp(b + 36, "acsp", 4) != 0) {
        free(b);
        mh_err_set(b ? MH_ERR_PARSE : MH_ERR_NOMEM, "%s is not an ICC profile", MH_SRGB_ICC);
        return b ? MH_ERR_PARSE : MH_ERR_NOMEM;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* Replaces the ToUnicode of every UTF-8 Type0 font of the first page. */
static void fix_tounicode(qpdf_data q)
{
    qpdf_oh page = qpdf_get_page_n(q, 0);
    qpdf_oh fonts = qpdf_oh_get_key(q, qpdf_oh_get_key(q, page, "/Resources"), "/Font");
    if (!qpdf_oh_is_dictionary(q, fonts))
        return;
    char keys[8][64];
    size_t nk = 0;
    qpdf_oh_begin_dict_key_iter(q, fonts);
    while (qpdf_oh_dict_more_keys(q) && nk < 8)
        snprintf(keys[nk++], sizeof keys[0], "%s", qpdf_oh_dict_next_key(q));
    for (size_t i = 0; i < nk; i++) {
        qpdf_oh font = qpdf_oh_get_key(q, fonts, keys[i]);
        qpdf_oh tu = qpdf_oh_get_key(q, font, "/ToUnicode");
        qpdf_oh enc = qpdf_oh_get_key(q, font, "/Encoding");
        if (!qpdf_oh_is_stream(q, tu) || !qpdf_oh_is_name_and_equals(q, enc, "/Identity-H"))
            continue;
        qpdf_oh_replace_stream_data(q, tu, (const unsigned char *)tounicode, strlen(tounicode),
                                    qpdf_oh_new_null(q), qpdf_oh_new_null(q));
    }
}

static void add_pdfa(qpdf_data q, const char *title, const unsigned char *icc, size_t icc_len)
{
    qpdf_oh root = qpdf_get_root(q);
    /* XMP metadata, unfiltered */
    char t[600], *xmp;
    xml_text(t, sizeof t, title ? title : "");
    size_t xl = strlen(xmp_head) + strlen(t) + strlen(xmp_tail);
    xmp = malloc(xl + 1);
    if (xmp) {
        snprintf(xmp, xl + 1, "%s%s%s", xmp_head, t, xmp_tail);
        qpdf_oh md = qpdf_oh_new_stream(q);
        qpdf_oh_replace_stream_data(q, md, (const unsigned char *)xmp, xl, qpdf_oh_new_null(q),
                                    qpdf_oh_new_null(q));
        qpdf_oh d = qpdf_oh_get_dict(q, md);
        qpdf_oh_replace_key(q, d, "/Type", qpdf_oh_new_name(q, "/Metadata"));
        qpdf_oh_replace_key(q, d, "/Subtype", qpdf_oh_new_name(q, "/XML"));
        qpdf_oh_replace_key(q, root, "/Metadata", md);
        free(xmp);
    }
    /* the output intent: sRGB */
    qpdf_oh prof = qpdf_oh_new_stream(q);
    qpdf_oh_replace_stream_data(q, prof, icc, icc_len, qpdf_oh_new_null(q), qpdf_oh_new_null(q));
    qpdf_oh_replace_key(q, qpdf_oh_get_dict(q, prof), "/N", qpdf_oh_new_integer(q, 3));
    qpdf_oh oi = qpdf_oh_new_dictionary(q);
    qpdf_oh_replace_key(q, oi, "/Type", qpdf_oh_new_name(q, "/OutputIntent"));
    qpdf_oh_replace_key(q, oi, "/S", qpdf_oh_new_name(q, "/GTS_PDFA1"));
    qpdf_oh_replace_key(q, oi, "/OutputConditionIdentifier",
                        qpdf_oh_new_string(q, "sRGB IEC61966-2.1"));
    qpdf_oh_replace_key(q, oi, "/Info", qpdf_oh_new_string(q, "sRGB IEC61966-2.1"));
    qpdf_oh_replace_key(q, oi, "/DestOutputProfile", prof);
    qpdf_oh arr = qpdf_oh_new_array(q);
    qpdf_oh_append_item(q, arr, oi);
    qpdf_oh_replace_key(q, root, "/OutputIntents", arr);
    qpdf_oh_replace_key(q, root, "/MarkInfo", qpdf_oh_new_dictionary(q));
    qpdf_oh_replace_key(q, qpdf_oh_get_key(q, root, "/MarkInfo"), "/Marked",
                        qpdf_oh_new_bool(q, QPDF_FALSE));
}

int mh_doc_pdf_finish(uint8_t **pdf, size_t *len, bool pdfa, const char *title)
{
    unsigned char *icc = NULL;
    size_t icc_len = 0;
    int ret = MH_ERR_INTERNAL;
    if (pdfa && (ret = read_icc(&icc, &icc_len)) != 0)
        return ret;
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    if (qpdf_read_memory(q, "template", (const char *)*pdf, (unsigned long long)*len, NULL) &
        QPDF_ERRORS) {
        mh_err_set(ret, "the PDF libharu made could not be read back (internal error)");
        goto out;
    }
    fix_tounicode(q);
    if (pdfa)
        add_pdfa(q, title, icc, icc_len);
    if (qpdf_init_write_memory(q) & QPDF_ERRORS)
        goto out;
    qpdf_set_deterministic_ID(q, QPDF_TRUE);
    qpdf_set_compress_streams(q, QPDF_FALSE); /* new streams stay plain: XMP must */
    qpdf_set_object_stream_mode(q, qpdf_o_disable);
    if (pdfa)
        qpdf_set_minimum_pdf_version(q, "1.7");
    if (qpdf_write(q) & QPDF_ERRORS) {
        mh_err_set(ret, "the PDF could not be written (internal error)");
        goto out;
    }
    size_t n = qpdf_get_buffer_length(q);
    uint8_t *b = malloc(n ? n : 1);
    if (!b) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    memcpy(b, qpdf_get_buffer(q), n);
    free(*pdf);
    *pdf = b;
    *len = n;
    ret = 0;
out:
    qpdf_cleanup(&q);
    free(icc);
    return ret;
}
