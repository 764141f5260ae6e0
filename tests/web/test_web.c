/*
 * test_web.c - host/web through its API on a real appliance (mh_app_init
 * in a temporary directory, a document issued with mh_app_issue): the
 * plural rules of every catalog, dates, the language a request gets, the
 * page of a real receipt (its fields, its headers), the assets, and
 * requests that must be refused without harm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mh_app.h"
#include "mh_web.h"
#include "web_int.h"

static char dir[256];
static mh_app *app;
static mh_web *web;
static char url[1024];

static int setup(void **state)
{
    (void)state;
    bool created = false;
    mh_app_signer *s = NULL;
    mh_kind k;
    snprintf(dir, sizeof dir, "/tmp/mohur-web.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    strncat(dir, "/state", sizeof dir - strlen(dir) - 1);
    int rc = mh_app_init(dir, NULL, &created);
    if (!rc)
        rc = mh_app_open(dir, &app);
    if (!rc)
        rc = mh_app_signer_open(app, "agency", NULL, &s);
    if (!rc)
        rc = mh_kind_load(mh_app_kinds_dir(app), "court-decision", &k);
    if (rc) {
        fprintf(stderr, "setup: %s\n", mh_err_message(rc));
        return -1;
    }
    static const uint8_t doc[] = "Qərar <b>&amp; \"test\"</b>\n";
    char out[300];
    snprintf(out, sizeof out, "%s/../decision.txt", dir);
    mh_field_value f[] = {
        {"case", "AR-<77>"}, {"court", "Bakı Apellyasiya Məhkəməsi"}, {"date", "2024-05-03"}};
    mh_app_issue_req req = {.kind = &k,
                            .fields = f,
                            .nfields = 3,
                            .doc = doc,
                            .doc_len = sizeof doc - 1,
                            .signer = s,
                            .out_path = out};
    mh_app_issue_res res;
    rc = mh_app_issue(app, &req, &res);
    mh_app_signer_close(s);
    if (rc) {
        fprintf(stderr, "issue: %s\n", mh_err_message(rc));
        return -1;
    }
    snprintf(url, sizeof url, "%s", res.url);
    mh_web_opts o = {.public_host = "verify.mohur.test", .now = 1714700000};
    if ((rc = mh_web_open(app, &o, &web)) != 0) {
        fprintf(stderr, "web: %s\n", mh_err_message(rc));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mh_web_close(web);
    mh_app_close(app);
    char cmd[600];
    char *slash = strrchr(dir, '/');
    *slash = 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *hdr(const mh_web_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void get(const char *path, const char *query, const char *al, const char *cookie,
                mh_web_response *r)
{
    mh_web_request q = {
        .method = "GET", .path = path, .query = query, .accept_language = al, .cookie = cookie};
    assert_int_equal(mh_web_handle(web, &q, r), 0);
}

static bool body_has(const mh_web_response *r, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; n <= r->body_len && i <= r->body_len - n; i++)
        if (memcmp(r->body + i, s, n) == 0)
            return true;
    return false;
}

static void test_plural(void **state)
{
    (void)state;
    const web_lang *ru = web_lang_find(&web->i18n, "ru", 2);
    const web_lang *az = web_lang_find(&web->i18n, "az", 2);
    const web_lang *en = web_lang_find(&web->i18n, "en", 2);
    assert_non_null(ru);
    assert_non_null(az);
    assert_non_null(en);
    static const struct {
        long long n;
        const char *ru, *en;
    } t[] = {{0, "many", "other"},   {1, "one", "one"},        {2, "few", "other"},
             {4, "few", "other"},    {5, "many", "other"},     {11, "many", "other"},
             {12, "many", "other"},  {14, "many", "other"},    {21, "one", "other"},
             {22, "few", "other"},   {25, "many", "other"},    {101, "one", "other"},
             {111, "many", "other"}, {1000001, "one", "other"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_string_equal(web_plural(ru, t[i].n), t[i].ru);
        assert_string_equal(web_plural(en, t[i].n), t[i].en);
    }
    assert_string_equal(web_plural(az, 1), "one");
    assert_string_equal(web_plural(az, 5), "other");
    char s[64];
    web_arg n = {"n", NULL, 3};
    web_msg_str(s, sizeof s, &web->i18n, ru, "ledger.entries", &n, 1);
    assert_string_equal(s, "3 записи");
    n.n = 5;
    web_msg_str(s, sizeof s, &web->i18n, ru, "ledger.entries", &n, 1);
    assert_string_equal(s, "5 записей");
    n.n = 21;
    web_msg_str(s, sizeof s, &web->i18n, ru, "ledger.entries", &n, 1);
    assert_string_equal(s, "21 запись");
    n.n = 1;
    web_msg_str(s, sizeof s, &web->i18n, en, "ledger.entries", &n, 1);
    assert_string_equal(s, "1 entry");
    /* malformed rules are refused, not guessed */
    assert_int_equal(web_plural_rule("n = 1", 1), 1);
    assert_int_equal(web_plural_rule("n % 10 = 2..4 and n % 100 != 12..14", 13), 0);
    assert_int_equal(web_plural_rule("n = ", 1), -1);
    assert_int_equal(web_plural_rule("x = 1", 1), -1);
    assert_int_equal(web_plural_rule("n % 0 = 1", 1), -1);
    assert_int_equal(web_plural_rule("n = 4..2", 1), -1);
    assert_int_equal(web_plural_rule("n = 1 and", 1), -1);
    assert_int_equal(web_plural_rule("n = 99999999999999999", 1), -1);
}

static void test_dates(void **state)
{
    (void)state;
    char s[128];
    web_date(s, sizeof s, web_lang_find(&web->i18n, "ru", 2), 1714700000, false);
    assert_string_equal(s, "3 мая 2024 г.");
    web_date(s, sizeof s, web_lang_find(&web->i18n, "az", 2), 1714700000, false);
    assert_string_equal(s, "3 may 2024");
    web_date(s, sizeof s, web_lang_find(&web->i18n, "en", 2), 1714700000, true);
    assert_string_equal(s, "3 May 2024, 01:33 UTC");
    web_date_text(s, sizeof s, web_lang_find(&web->i18n, "ru", 2), "2024-12-31");
    assert_string_equal(s, "31 декабря 2024 г.");
    web_date_text(s, sizeof s, web_lang_find(&web->i18n, "ru", 2), "2024-13-01");
    assert_string_equal(s, "2024-13-01");
}

static void test_lang(void **state)
{
    (void)state;
    char l[8];
    mh_web_pick_lang(web, NULL, NULL, NULL, l, sizeof l);
    assert_string_equal(l, "az");
    mh_web_pick_lang(web, NULL, NULL, "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", l, sizeof l);
    assert_string_equal(l, "ru");
    mh_web_pick_lang(web, NULL, NULL, "fr-FR, de;q=0.9, en;q=0.5, ru;q=0.4", l, sizeof l);
    assert_string_equal(l, "en");
    mh_web_pick_lang(web, NULL, NULL, "en;q=0.2, ru;q=0.8", l, sizeof l);
    assert_string_equal(l, "ru");
    mh_web_pick_lang(web, NULL, NULL, "de, fr", l, sizeof l);
    assert_string_equal(l, "az");
    mh_web_pick_lang(web, NULL, "a=b; mh_lang=en; c=d", "ru", l, sizeof l);
    assert_string_equal(l, "en");
    mh_web_pick_lang(web, "x=1&lang=RU", "mh_lang=en", "az", l, sizeof l);
    assert_string_equal(l, "ru");
    mh_web_pick_lang(web, "lang=xx", "mh_lang=zz", ";;;,,,q=;q=0.", l, sizeof l);
    assert_string_equal(l, "az");
    /* an enormous header is read only up to its cap */
    char *big = malloc(100000);
    assert_non_null(big);
    for (size_t i = 0; i < 99999; i++)
        big[i] = i % 3 == 2 ? ',' : 'q';
    big[99999] = 0;
    mh_web_pick_lang(web, big, big, big, l, sizeof l);
    assert_string_equal(l, "az");
    free(big);
}

static void test_page(void **state)
{
    (void)state;
    mh_web_response r;
    const char *path = strstr(url, "/V/");
    assert_non_null(path);
    get(path, NULL, "en", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(body_has(&r, "data-verdict=\"valid\""));
    assert_true(body_has(&r, "<h1 id=\"verdict-title\">Valid</h1>"));
    /* the fields, escaped; the court's name as the paper prints it */
    assert_true(body_has(&r, "AR-&lt;77&gt;"));
    assert_false(body_has(&r, "AR-<77>"));
    assert_true(body_has(&r, "Bakı Apellyasiya Məhkəməsi"));
    assert_true(body_has(&r, "3 May 2024"));
    const char *csp = hdr(&r, "Content-Security-Policy");
    assert_non_null(csp);
    assert_non_null(strstr(csp, "script-src 'self'"));
    assert_non_null(strstr(csp, "connect-src 'none'"));
    assert_null(strstr(csp, "unsafe"));
    assert_null(hdr(&r, "Set-Cookie"));
    assert_string_equal(hdr(&r, "Content-Language"), "en");
    assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
    /* no inline script or style: only the data block and two script files */
    assert_false(body_has(&r, "style=\""));
    assert_false(body_has(&r, "<script>"));
    assert_false(body_has(&r, " on"
                              "click="));
    mh_web_response_free(&r);

    get(path, "lang=ru", "en", NULL, &r);
    assert_true(body_has(&r, "<html lang=\"ru\""));
    assert_true(body_has(&r, "Действителен"));
    assert_true(body_has(&r, "3 мая 2024 г."));
    assert_non_null(hdr(&r, "Set-Cookie"));
    assert_non_null(strstr(hdr(&r, "Set-Cookie"), "mh_lang=ru;"));
    assert_non_null(strstr(hdr(&r, "Set-Cookie"), "HttpOnly"));
    mh_web_response_free(&r);

    get(path, NULL, NULL, NULL, &r);
    assert_true(body_has(&r, "<html lang=\"az\""));
    assert_true(body_has(&r, "Etibarlıdır"));
    mh_web_response_free(&r);
}

static void test_bad_requests(void **state)
{
    (void)state;
    mh_web_response r;
    static const char *const bad[] = {
        "/V/",
        "/V/abc",
        "/V/AAAA%00",
        "/V/AB1",
        "/V/../../etc/passwd",
        "/V/AAAAAAAA",
        "/V/ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        get(bad[i], NULL, "en", NULL, &r);
        assert_int_equal(r.status, 400);
        assert_true(body_has(&r, "data-verdict=\"invalid\""));
        assert_non_null(hdr(&r, "Content-Security-Policy"));
        mh_web_response_free(&r);
    }
    char *longp = malloc(5000);
    assert_non_null(longp);
    memcpy(longp, "/V/", 3);
    memset(longp + 3, 'A', 4996);
    longp[4999] = 0;
    get(longp, NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    mh_web_response_free(&r);
    free(longp);

    mh_web_request q = {.method = "POST", .path = "/V/AAAA"};
    assert_int_equal(mh_web_handle(web, &q, &r), 0);
    assert_int_equal(r.status, 405);
    mh_web_response_free(&r);

    get("/nothing", NULL, "ru", NULL, &r);
    assert_int_equal(r.status, 404);
    assert_true(body_has(&r, "Страница не найдена"));
    mh_web_response_free(&r);

    /* a hostile Host header is not echoed (the public host is fixed here,
     * and without it an unusable Host falls back to the configured one) */
    mh_web_request h = {.method = "GET", .path = strstr(url, "/V/"), .host = "<x>\"evil"};
    assert_int_equal(mh_web_handle(web, &h, &r), 0);
    assert_false(body_has(&r, "<x>"));
    mh_web_response_free(&r);
}

static void test_assets(void **state)
{
    (void)state;
    mh_web_response r;
    get("/assets/mohur.css", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"), "text/css; charset=utf-8");
    char etag[64];
    snprintf(etag, sizeof etag, "%s", hdr(&r, "ETag"));
    mh_web_response_free(&r);
    mh_web_request q = {.method = "GET", .path = "/assets/mohur.css", .if_none_match = etag};
    assert_int_equal(mh_web_handle(web, &q, &r), 0);
    assert_int_equal(r.status, 304);
    mh_web_response_free(&r);
    get("/assets/DejaVuSans.woff2", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > 10000 && r.body_len < 80000);
    assert_memory_equal(r.body, "wOF2", 4);
    mh_web_response_free(&r);
    static const char *const none[] = {"/assets/i18n/az.json", "/assets/../mohur.css",
                                       "/assets/offline.html", "/assets/", "/assets/nope.js"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        get(none[i], NULL, NULL, NULL, &r);
        assert_int_equal(r.status, 404);
        mh_web_response_free(&r);
    }
    get("/offline.html", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(body_has(&r, "http-equiv=\"Content-Security-Policy\""));
    assert_true(body_has(&r, "script-src 'sha256-"));
    assert_true(body_has(&r, "\"registry\":\"AZ-DEMO\""));
    assert_false(body_has(&r, "@SCRIPT@"));
    assert_false(body_has(&r, "src=\"http"));
    mh_web_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plural),       cmocka_unit_test(test_dates),
        cmocka_unit_test(test_lang),         cmocka_unit_test(test_page),
        cmocka_unit_test(test_bad_requests), cmocka_unit_test(test_assets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
