/* test_pdf.c - host/pdf library checks that need no token: placeholders,
 * limits, bad options, and verification of what prepare wrote. The whole
 * signing path with real keys and outside checkers is in pdf_sign.sh. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mh_pdf.h"

static uint8_t pdf[4096];
static size_t pdf_len;

/* A one-page PDF with a classic cross-reference table. */
static void make_pdf(void)
{
    static const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 400] /Rotate 90 >>",
    };
    size_t offs[3], n = 0;
    n += (size_t)snprintf((char *)pdf + n, sizeof pdf - n, "%%PDF-1.4\n");
    for (int i = 0; i < 3; i++) {
        offs[i] = n;
        n += (size_t)snprintf((char *)pdf + n, sizeof pdf - n, "%d 0 obj\n%s\nendobj\n", i + 1,
                              objs[i]);
    }
    size_t x = n;
    n += (size_t)snprintf((char *)pdf + n, sizeof pdf - n, "xref\n0 4\n0000000000 65535 f \n");
    for (int i = 0; i < 3; i++)
        n += (size_t)snprintf((char *)pdf + n, sizeof pdf - n, "%010zu 00000 n \n", offs[i]);
    n += (size_t)snprintf((char *)pdf + n, sizeof pdf - n,
                          "trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", x);
    pdf_len = n;
}

static void test_info(void **state)
{
    (void)state;
    mh_pdf_info info;
    assert_int_equal(mh_pdf_info_get(pdf, pdf_len, &info), 0);
    assert_int_equal(info.pages, 1);
    assert_false(info.xref_stream);
    assert_int_equal(info.signatures, 0);
    assert_int_equal(info.original_len, pdf_len);
    double box[4];
    int rot;
    assert_int_equal(mh_pdf_page_geometry(pdf, pdf_len, 1, box, &rot), 0);
    assert_int_equal(rot, 90);
    assert_true(box[2] == 300 && box[3] == 400);
    assert_int_not_equal(mh_pdf_page_geometry(pdf, pdf_len, 2, box, &rot), 0);
}

static void test_prepare_embed(void **state)
{
    (void)state;
    mh_pdf_sign_opts o;
    memset(&o, 0, sizeof o);
    o.contents_cap = 1024;
    o.when = 1700000000;
    mh_pdf_prepared p, f;
    assert_int_equal(mh_pdf_prepare(pdf, pdf_len, &o, &p), 0);
    /* the original bytes are kept; the range skips exactly the placeholder */
    assert_memory_equal(p.pdf, pdf, pdf_len);
    assert_int_equal(p.byte_range[0], 0);
    assert_int_equal(p.byte_range[2] - p.byte_range[1], 2 * 1024 + 2);
    assert_int_equal(p.byte_range[2] + p.byte_range[3], p.len);
    assert_int_equal(p.original_len, pdf_len);
    /* found again from the bytes alone, with the same digest */
    assert_int_equal(mh_pdf_find_placeholder(p.pdf, p.len, &f), 0);
    assert_memory_equal(f.digest, p.digest, 32);
    /* too large a CMS is refused and changes nothing */
    uint8_t big[1025];
    memset(big, 0x30, sizeof big);
    assert_int_equal(mh_pdf_embed(&p, big, sizeof big), MH_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(mh_pdf_find_placeholder(p.pdf, p.len, &f), 0);
    /* a CMS that is not one reads as a bad signature, not a crash */
    assert_int_equal(mh_pdf_embed(&p, (const uint8_t *)"\x30\x03\x02\x01\x01", 5), 0);
    mh_pdf_verify_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    assert_int_equal(mh_pdf_verify(p.pdf, p.len, NULL, NULL, res), 0);
    assert_int_equal(res->nsigs, 1);
    assert_int_equal(res->sigs[0].status, MH_PDF_SIG_BAD_CMS);
    assert_true(res->sigs[0].covers_whole);
    assert_false(res->all_valid);
    /* a changed byte in the range: still read, still not valid */
    p.pdf[20] ^= 1;
    assert_int_equal(mh_pdf_verify(p.pdf, p.len, NULL, NULL, res), 0);
    assert_false(res->all_valid);
    free(res);
    mh_pdf_prepared_free(&p);
}

static void test_bad_options(void **state)
{
    (void)state;
    mh_pdf_sign_opts o;
    mh_pdf_prepared p;
    memset(&o, 0, sizeof o);
    o.page = 2;
    assert_int_equal(mh_pdf_prepare(pdf, pdf_len, &o, &p), MH_ERR_INVALID_ARG);
    memset(&o, 0, sizeof o);
    o.has_rect = true;
    o.rect[0] = 350; /* off the page (400 x 300 as displayed) */
    o.rect[1] = 10;
    o.rect[2] = 100;
    o.rect[3] = 50;
    assert_int_equal(mh_pdf_prepare(pdf, pdf_len, &o, &p), MH_ERR_INVALID_ARG);
    memset(&o, 0, sizeof o);
    o.contents_cap = 100;
    assert_int_equal(mh_pdf_prepare(pdf, pdf_len, &o, &p), MH_ERR_INVALID_ARG);
}

static void test_hostile(void **state)
{
    (void)state;
    mh_pdf_info info;
    mh_pdf_prepared p;
    /* every truncation into the trailer or before is refused cleanly */
    for (size_t n = 0; n + 10 < pdf_len; n += 3)
        assert_int_not_equal(mh_pdf_info_get(pdf, n, &info), 0);
    assert_int_not_equal(mh_pdf_info_get((const uint8_t *)"%PDF-1.4\n", 9, &info), 0);
    assert_int_not_equal(mh_pdf_prepare((const uint8_t *)"hello", 5, NULL, &p), 0);
    /* a startxref pointing elsewhere */
    uint8_t bad[4096];
    memcpy(bad, pdf, pdf_len);
    uint8_t *sx = (uint8_t *)strstr((char *)bad, "startxref\n") + 10;
    sx[0] = '9'; /* outside the file */
    assert_int_not_equal(mh_pdf_info_get(bad, pdf_len, &info), 0);
    memcpy(bad, pdf, pdf_len);
    sx[1] = sx[1] == '0' ? '1' : '0'; /* inside an object */
    assert_int_not_equal(mh_pdf_info_get(bad, pdf_len, &info), 0);
}

static bool has(const mh_pdf_prepared *p, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= p->len; i++)
        if (memcmp(p->pdf + i, s, n) == 0)
            return true;
    return false;
}

/* One handle: info, geometry and prepare on a single parse; certification
 * and slots, then filling a slot; the refusals around them. */
static void test_handle_slots(void **state)
{
    (void)state;
    mh_pdf_document *doc = NULL;
    mh_pdf_info info;
    double box[4];
    int rot = 0;
    assert_int_equal(mh_pdf_open(pdf, pdf_len, &doc), 0);
    assert_int_equal(mh_pdf_document_info(doc, &info), 0);
    assert_int_equal(info.pages, 1);
    assert_int_equal(mh_pdf_document_page_geometry(doc, 1, box, &rot), 0);
    assert_int_equal(rot, 90);
    assert_int_not_equal(mh_pdf_document_page_geometry(doc, 2, box, &rot), 0);

    mh_pdf_slot slots[2] = {{1, {20, 20, 120, 40}, NULL}, {0, {20, 80, 120, 40}, "witness"}};
    mh_pdf_sign_opts o;
    mh_pdf_prepared p;
    memset(&o, 0, sizeof o);
    o.certify = true;
    o.slots = slots;
    o.nslots = 2;
    o.invisible = true;
    assert_int_equal(mh_pdf_document_prepare(doc, &o, &p), 0);
    assert_true(has(&p, "/TransformMethod /DocMDP"));
    assert_true(has(&p, "/P 2 /V /1.2"));
    assert_true(has(&p, "/Perms << /DocMDP"));
    assert_true(has(&p, "/T (mohur-party-1)"));
    assert_true(has(&p, "/T (witness)"));
    /* the same handle again: another prepare gives the same structure */
    mh_pdf_prepared p2;
    assert_int_equal(mh_pdf_document_prepare(doc, &o, &p2), 0);
    assert_int_equal(p2.len, p.len);
    mh_pdf_prepared_free(&p2);
    mh_pdf_close(doc);

    /* the prepared document has a signature (a placeholder): no second
     * certification, no slots, no new field; filling a slot works */
    mh_pdf_prepared f;
    memset(&o, 0, sizeof o);
    o.certify = true;
    assert_int_equal(mh_pdf_prepare(p.pdf, p.len, &o, &f), MH_ERR_PERMISSION);
    memset(&o, 0, sizeof o);
    o.slots = slots;
    o.nslots = 1;
    o.fill_field = "mohur-party-1";
    assert_int_equal(mh_pdf_prepare(p.pdf, p.len, &o, &f), MH_ERR_PERMISSION);
    memset(&o, 0, sizeof o);
    assert_int_equal(mh_pdf_prepare(p.pdf, p.len, &o, &f), MH_ERR_PERMISSION);
    o.fill_field = "nobody";
    assert_int_equal(mh_pdf_prepare(p.pdf, p.len, &o, &f), MH_ERR_NOT_FOUND);
    o.fill_field = "mohur-party-1";
    o.caption[0] = "Party";
    assert_int_equal(mh_pdf_prepare(p.pdf, p.len, &o, &f), 0);
    /* the page is not rewritten again: the fill's update starts with the
     * signature dictionary and holds no page object */
    assert_true(f.len > p.len);
    bool page_again = false;
    for (size_t i = p.len; i + 11 <= f.len && !page_again; i++)
        page_again = memcmp(f.pdf + i, "/Type /Page", 11) == 0;
    assert_false(page_again);
    mh_pdf_info fi;
    assert_int_equal(mh_pdf_info_get(f.pdf, f.len, &fi), 0);
    assert_int_equal(fi.signatures, 2);
    mh_pdf_verify_result *res = calloc(1, sizeof *res);
    assert_non_null(res);
    assert_int_equal(mh_pdf_verify(f.pdf, f.len, NULL, NULL, res), 0);
    assert_int_equal(res->nsigs, 2);
    assert_int_equal(res->docmdp_p, 2);
    assert_int_equal(res->empty_slots, 1);
    assert_true(res->sigs[0].certification);
    assert_int_equal(res->sigs[0].docmdp_p, 2);
    assert_false(res->sigs[1].certification);
    free(res);
    mh_pdf_prepared_free(&f);
    mh_pdf_prepared_free(&p);
}

/* A trailer /Size below the highest object number: read, and new objects
 * get numbers above the highest. */
static void test_small_size(void **state)
{
    (void)state;
    char buf[4096];
    memcpy(buf, pdf, pdf_len);
    buf[pdf_len] = '\0';
    char *sz = strstr(buf, "/Size 4");
    assert_non_null(sz);
    sz[6] = '3';
    mh_pdf_info info;
    assert_int_equal(mh_pdf_info_get((const uint8_t *)buf, pdf_len, &info), 0);
    assert_int_equal(info.trailer_size, 3);
    mh_pdf_prepared p;
    mh_pdf_sign_opts o;
    memset(&o, 0, sizeof o);
    o.invisible = true;
    assert_int_equal(mh_pdf_prepare((const uint8_t *)buf, pdf_len, &o, &p), 0);
    assert_true(has(&p, "\n4 0 obj\n<< /Type /Sig"));
    mh_pdf_prepared_free(&p);
}

int main(void)
{
    make_pdf();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info),         cmocka_unit_test(test_prepare_embed),
        cmocka_unit_test(test_bad_options),  cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_handle_slots), cmocka_unit_test(test_small_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
