/* test_doc.c - document kinds and rendering, checked with poppler and qpdf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mh_doc.h"

static char dir[64];

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Runs a shell command and returns its output (at most cap-1 bytes). */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    return pclose(p);
}

static void all_kinds_load(void **state)
{
    (void)state;
    char names[1024];
    size_t n = 0;
    assert_int_equal(mh_kind_list(mh_kinds_dir(), names, sizeof names, &n), 0);
    assert_int_equal(n, 5);
    const char *p = names;
    for (size_t i = 0; i < n; i++) {
        mh_kind k;
        int rc = mh_kind_load(mh_kinds_dir(), p, &k);
        if (rc)
            fail_msg("kind %s: %s", p, mh_err_message(rc));
        assert_true(k.names[MH_LANG_AZ][0] && k.names[MH_LANG_RU][0] && k.names[MH_LANG_EN][0]);
        p += strlen(p) + 1;
    }
    mh_kind k;
    assert_int_equal(mh_kind_load(mh_kinds_dir(), "labor-contract", &k), 0);
    assert_int_equal(k.nparties, 2); /* employer and employee sign in turn */
    assert_int_equal(mh_kind_load(mh_kinds_dir(), "no-such-kind", &k), MH_ERR_NOT_FOUND);
    assert_int_equal(mh_kind_load(mh_kinds_dir(), "../etc/passwd", &k), MH_ERR_NOT_FOUND);
}

static void bad_kind_files(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{",
        "{\"id\":\"x\",\"code\":1,\"names\":{\"az\":\"a\",\"ru\":\"b\"},\"source\":\"supplied\"}",
        "{\"id\":\"x\",\"code\":0,\"names\":{\"az\":\"a\",\"ru\":\"b\",\"en\":\"c\"},"
        "\"source\":\"supplied\",\"parties\":[{\"role\":\"r\",\"profile\":\"p\"}],"
        "\"fields\":[{\"id\":\"f\",\"label\":{\"az\":\"a\",\"ru\":\"b\",\"en\":\"c\"}}]}",
        "{\"id\":\"x\",\"code\":1,\"names\":{\"az\":\"a\",\"ru\":\"b\",\"en\":\"c\"},"
        "\"source\":\"rendered\",\"parties\":[{\"role\":\"r\",\"profile\":\"p\"}],"
        "\"fields\":[{\"id\":\"f\",\"label\":{\"az\":\"a\",\"ru\":\"b\",\"en\":\"c\"}}]}",
        "{\"id\":\"x\",\"id\":\"x\"}",
    };
    char path[128];
    snprintf(path, sizeof path, "%s/x.json", dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i], strlen(bad[i]));
        mh_kind k;
        int rc = mh_kind_load(dir, "x", &k);
        if (rc == 0)
            fail_msg("bad kind file %zu accepted", i);
        assert_non_null(strstr(mh_err_message(rc), "x.json"));
    }
}

/* Kinds are kept parsed by their bytes: an edit counts at once, even one
 * of the same size within the same clock tick, and a broken edit is
 * refused rather than the old kind served. */
#define KIND_Y                                                                                     \
    "{\"id\":\"y\",\"code\":%d,\"names\":{\"az\":\"a\",\"ru\":\"b\",\"en\":\"c\"},"                \
    "\"source\":\"supplied\",\"parties\":[{\"role\":\"r\",\"profile\":\"p\"}],"                    \
    "\"fields\":[{\"id\":\"f\",\"label\":{\"az\":\"a\",\"ru\":\"b\",\"en\":\"c\"}}]}"
static void kind_cache_sees_edits(void **state)
{
    (void)state;
    char path[128], text[512];
    snprintf(path, sizeof path, "%s/y.json", dir);
    mh_kind k;
    for (int code = 1; code <= 9; code++) {
        int n = snprintf(text, sizeof text, KIND_Y, code);
        write_file(path, text, (size_t)n); /* in place, the same size each time */
        assert_int_equal(mh_kind_load(dir, "y", &k), 0);
        assert_int_equal(k.code, (unsigned)code);
        assert_int_equal(mh_kind_load(dir, "y", &k), 0); /* from the cache */
        assert_int_equal(k.code, (unsigned)code);
    }
    write_file(path, "{\"id\":\"y\"}", 10);
    assert_int_not_equal(mh_kind_load(dir, "y", &k), 0);
    unlink(path);
    assert_int_equal(mh_kind_load(dir, "y", &k), MH_ERR_NOT_FOUND);
}

static void field_checks(void **state)
{
    (void)state;
    mh_kind k;
    assert_int_equal(mh_kind_load(mh_kinds_dir(), "diploma", &k), 0);
    mh_field_value ok[] = {{"name", "Leyla Məmmədova"},
                           {"degree", "Bakalavr"},
                           {"programme", "Kompüter elmləri"},
                           {"date", "2026-06-30"},
                           {"number", "BDU-2026-0001"}};
    assert_int_equal(mh_kind_check(&k, ok, 5), 0);
    assert_int_equal(mh_kind_check(&k, ok, 4), MH_ERR_INVALID_ARG); /* number missing */
    assert_non_null(strstr(mh_err_message(MH_ERR_INVALID_ARG), "number"));
    mh_field_value baddate[] = {{"name", "A"},
                                {"degree", "B"},
                                {"programme", "C"},
                                {"date", "2026-02-30"},
                                {"number", "1"}};
    assert_int_equal(mh_kind_check(&k, baddate, 5), MH_ERR_PARSE);
    mh_field_value unknown[] = {{"nickname", "x"}};
    assert_int_equal(mh_kind_check(&k, unknown, 1), MH_ERR_INVALID_ARG);
    mh_field_value badutf[] = {{"name", "\xc3\x28"}};
    assert_int_equal(mh_kind_check(&k, badutf, 1), MH_ERR_PARSE);
    mh_field_value ctl[] = {{"name", "a\tb"}};
    assert_int_equal(mh_kind_check(&k, ctl, 1), MH_ERR_PARSE);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    mh_field_value toolong[] = {{"name", longname}};
    assert_int_equal(mh_kind_check(&k, toolong, 1), MH_ERR_TOO_LARGE);
}

static void render_diploma(void **state)
{
    (void)state;
    mh_kind k;
    assert_int_equal(mh_kind_load(mh_kinds_dir(), "diploma", &k), 0);
    mh_template *t = NULL;
    int rc = mh_template_build(&k, "Bakı Dövlət Universiteti", NULL, &t);
    if (rc)
        fail_msg("template: %s", mh_err_message(rc));
    mh_field_value v[] = {{"name", "Leyla Məmmədova Şəfiqə qızı"},
                          {"degree", "Bakalavr · Бакалавр · Bachelor"},
                          {"programme", "Kompüter elmləri — Информатика"},
                          {"date", "2026-06-30"},
                          {"number", "BDU-2026-0001"}};
    uint8_t *pdf = NULL, *pdf2 = NULL;
    size_t len = 0, len2 = 0;
    rc = mh_template_render(t, v, 5, &pdf, &len);
    if (rc)
        fail_msg("render: %s", mh_err_message(rc));
    /* the same input gives the same bytes (re-runs are recognised) */
    assert_int_equal(mh_template_render(t, v, 5, &pdf2, &len2), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(pdf, pdf2, len);
    free(pdf2);
    char path[128], cmd[512], out[8192];
    snprintf(path, sizeof path, "%s/diploma.pdf", dir);
    write_file(path, pdf, len);
    snprintf(cmd, sizeof cmd, "qpdf --check '%s' 2>&1", path);
    if (run(cmd, out, sizeof out) != 0)
        fail_msg("qpdf --check: %s", out);
    snprintf(cmd, sizeof cmd, "pdftotext -q '%s' - 2>/dev/null", path);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    static const char *const want[] = {"Leyla Məmmədova Şəfiqə qızı", "Bakı Dövlət Universiteti",
                                       "Информатика", "BDU-2026-0001", "DİPLOM"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(out, want[i]))
            fail_msg("pdftotext lacks '%s':\n%s", want[i], out);
    }
    snprintf(cmd, sizeof cmd, "pdffonts '%s' 2>&1", path);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "DejaVuSerif"));
    assert_non_null(strstr(out, "yes yes")); /* embedded, subset */
    printf("diploma: %zu bytes (template %zu)\n", len, (size_t)0 + len - 0);
    free(pdf);
    /* a character the font cannot print, and a name too long to fit */
    mh_field_value han[] = {{"name", "李小龙"},
                            {"degree", "B"},
                            {"programme", "C"},
                            {"date", "2026-06-30"},
                            {"number", "1"}};
    rc = mh_template_render(t, han, 5, &pdf, &len);
    assert_int_equal(rc, MH_ERR_UNSUPPORTED);
    assert_non_null(strstr(mh_err_message(rc), "U+674E"));
    assert_null(pdf);
    char wide[81];
    memset(wide, 'W', 80);
    wide[80] = '\0';
    mh_field_value w[] = {{"name", wide},
                          {"degree", "B"},
                          {"programme", "C"},
                          {"date", "2026-06-30"},
                          {"number", "1"}};
    rc = mh_template_render(t, w, 5, &pdf, &len);
    assert_int_equal(rc, MH_ERR_TOO_LARGE);
    assert_non_null(strstr(mh_err_message(rc), "name"));
    /* rate, for the record (the benchmark measures it properly) */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(mh_template_render(t, v, 5, &pdf, &len), 0);
        free(pdf);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("render: %.0f diplomas/s on one core\n", 2000 / s);
    mh_template_free(t);
}

static void render_certificate_wraps(void **state)
{
    (void)state;
    mh_kind k;
    assert_int_equal(mh_kind_load(mh_kinds_dir(), "official-certificate", &k), 0);
    mh_template *t = NULL;
    assert_int_equal(mh_template_build(&k, "Əmək və Əhalinin Sosial Müdafiəsi Nazirliyi", NULL, &t),
                     0);
    mh_field_value v[] = {{"holder", "Иван Петров"},
                          {"subject", "Yaşayış yeri haqqında arayış"},
                          {"statement",
                           "Bu arayış təsdiq edir ki, Иван Петров 2020-ci ildən Bakı şəhərində "
                           "yaşayır. Arayış tələb olunan yerə təqdim edilmək üçün verilir. This "
                           "certificate confirms the place of residence."},
                          {"date", "2026-11-28"},
                          {"number", "ƏƏSMN-77/2026"}};
    uint8_t *pdf = NULL;
    size_t len = 0;
    int rc = mh_template_render(t, v, 5, &pdf, &len);
    if (rc)
        fail_msg("render: %s", mh_err_message(rc));
    char path[128], cmd[512], out[8192];
    snprintf(path, sizeof path, "%s/cert.pdf", dir);
    write_file(path, pdf, len);
    snprintf(cmd, sizeof cmd, "qpdf --check '%s' >/dev/null 2>&1 && pdftotext -q '%s' -", path,
             path);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "Иван Петров"));
    assert_non_null(strstr(out, "place of residence"));
    assert_non_null(strstr(out, "ƏƏSMN-77/2026"));
    free(pdf);
    mh_template_free(t);
}

static void roster_csv(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/r.csv", dir);
    static const char csv[] = "\xef\xbb\xbfname,degree,number\r\n"
                              "Leyla Məmmədova,Bakalavr,1\r\n"
                              "\r\n"
                              "\"Əliyev, Rəşad\",\"Magistr \"\"cum laude\"\"\",2\n"
                              "\"Two\nlines\",B,3\n"
                              "too,many,values,here\n"
                              "Иван Петров,,5\n"
                              "bad \"quote,B,6\n"
                              "last,B,7";
    write_file(path, csv, sizeof csv - 1);
    mh_roster *r = NULL;
    assert_int_equal(mh_roster_open(path, &r), 0);
    assert_int_equal(mh_roster_count(r), 7);
    mh_roster_row row;
    assert_int_equal(mh_roster_next(r, &row), 0);
    assert_int_equal(row.line, 2);
    assert_int_equal(row.n, 3);
    assert_string_equal(row.v[0].value, "Leyla Məmmədova");
    assert_int_equal(mh_roster_next(r, &row), 0);
    assert_int_equal(row.line, 4);
    assert_string_equal(row.v[0].value, "Əliyev, Rəşad");
    assert_string_equal(row.v[1].value, "Magistr \"cum laude\"");
    assert_int_equal(mh_roster_next(r, &row), 0);
    assert_string_equal(row.v[0].value, "Two\nlines");
    int rc = mh_roster_next(r, &row);
    assert_int_equal(rc, MH_ERR_PARSE);
    assert_non_null(strstr(mh_err_message(rc), "line 7"));
    assert_int_equal(mh_roster_next(r, &row), 0);
    assert_int_equal(row.n, 2); /* the empty degree is absent */
    assert_string_equal(row.v[1].id, "number");
    rc = mh_roster_next(r, &row);
    assert_int_equal(rc, MH_ERR_PARSE);
    assert_non_null(strstr(mh_err_message(rc), "line 9"));
    assert_int_equal(mh_roster_next(r, &row), 0);
    assert_string_equal(row.v[0].value, "last");
    assert_int_equal(mh_roster_next(r, &row), 1);
    mh_roster_close(r);
    /* broken files */
    static const char *const bad[] = {"", "a,,b\n1,2,3\n", "a,a\n1,2\n", "a\n\"open\n"};
    for (size_t i = 0; i < 3; i++) {
        write_file(path, bad[i], strlen(bad[i]));
        assert_int_equal(mh_roster_open(path, &r), MH_ERR_PARSE);
    }
    write_file(path, bad[3], strlen(bad[3]));
    assert_int_equal(mh_roster_open(path, &r), 0);
    assert_int_equal(mh_roster_next(r, &row), MH_ERR_PARSE);
    assert_int_equal(mh_roster_next(r, &row), 1);
    mh_roster_close(r);
    assert_int_equal(mh_roster_open("/nonexistent/r.csv", &r), MH_ERR_IO);
    assert_int_equal(mh_roster_open("/etc/passwd", &r), MH_ERR_INVALID_ARG);
}

static void roster_json(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/r.json", dir);
    static const char js[] = "[{\"name\":\"Leyla\",\"number\":\"1\"},{\"name\":2},[1],"
                             "{\"name\":\"Иван\"}]";
    write_file(path, js, sizeof js - 1);
    mh_roster *r = NULL;
    assert_int_equal(mh_roster_open(path, &r), 0);
    assert_int_equal(mh_roster_count(r), 4);
    mh_roster_row row;
    assert_int_equal(mh_roster_next(r, &row), 0);
    assert_int_equal(row.n, 2);
    int rc = mh_roster_next(r, &row);
    assert_int_equal(rc, MH_ERR_PARSE);
    assert_non_null(strstr(mh_err_message(rc), "row 2"));
    assert_int_equal(mh_roster_next(r, &row), MH_ERR_PARSE);
    assert_int_equal(mh_roster_next(r, &row), 0);
    assert_string_equal(row.v[0].value, "Иван");
    assert_int_equal(mh_roster_next(r, &row), 1);
    mh_roster_close(r);
    write_file(path, "{\"a\":1}", 7);
    assert_int_equal(mh_roster_open(path, &r), MH_ERR_PARSE);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mh-doc-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_kinds_load),
        cmocka_unit_test(bad_kind_files),
        cmocka_unit_test(kind_cache_sees_edits),
        cmocka_unit_test(field_checks),
        cmocka_unit_test(render_diploma),
        cmocka_unit_test(render_certificate_wraps),
        cmocka_unit_test(roster_csv),
        cmocka_unit_test(roster_json),
    };
    return cmocka_run_group_tests_name("doc", tests, setup, teardown);
}
