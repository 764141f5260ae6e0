/*
 * test_batch.c - the batch pipeline without a token: file names made from
 * document ids, and render-only runs over real roster files (bad rows with
 * their line numbers, duplicate numbers, the stop flag, many threads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mh_batch.h"

static char tmpdir[256];

static void write_file(const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_file_names(void **state)
{
    (void)state;
    char a[256], b[256];
    assert_int_equal(mh_batch_file_name("bdu/diploma/BDU-0001", a, sizeof a), 0);
    assert_string_equal(a, "bdu_diploma_BDU-0001.pdf");
    /* nothing that leaves the directory or hides the file */
    assert_int_equal(mh_batch_file_name("../../etc/passwd", a, sizeof a), 0);
    assert_null(strchr(a, '/'));
    assert_true(a[0] != '.');
    assert_int_equal(mh_batch_file_name(".hidden", a, sizeof a), 0);
    assert_true(a[0] != '.');
    /* distinct ids, distinct names (what '/' and '_' could confuse) */
    static const char *ids[] = {"a/b", "a_b", "a+5Fb", "a b", "a/b#2", "a/b+232", "Əli", "Ali"};
    char names[8][256];
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(mh_batch_file_name(ids[i], names[i], sizeof names[i]), 0);
        for (const char *p = names[i]; *p; p++)
            assert_non_null(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789-._+~",
                                   *p));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(names[i], names[j]);
    }
    /* a long id: cut, with a hash so that two long ids still differ */
    char long1[129], long2[129];
    memset(long1, 0xd0, 128);
    long1[128] = '\0';
    memcpy(long2, long1, sizeof long2);
    long2[127] = 'x';
    assert_int_equal(mh_batch_file_name(long1, a, sizeof a), 0);
    assert_int_equal(mh_batch_file_name(long2, b, sizeof b), 0);
    assert_true(strlen(a) < 255);
    assert_string_not_equal(a, b);
    assert_int_not_equal(mh_batch_file_name("", a, sizeof a), 0);
    assert_int_not_equal(mh_batch_file_name("x", a, 10), 0);
}

static mh_kind kind;

static void run_render(const char *roster, unsigned jobs, volatile sig_atomic_t *stop,
                       mh_batch_stats *st, int want_rc)
{
    FILE *log = tmpfile();
    assert_non_null(log);
    mh_batch_opts o = {
        .kind = &kind,
        .roster = roster,
        .issuer_id = "bdu",
        .issuer_name = "Bakı Dövlət Universiteti",
        .jobs = jobs,
        .progress = 0,
        .log = log,
        .stop = stop,
    };
    int rc = mh_batch_run(&o, st);
    assert_int_equal(rc, want_rc);
    fclose(log);
}

static void test_render_csv(void **state)
{
    (void)state;
    char path[512];
    /* line 1 header; 2 good; 3 good with quotes and a comma in a value;
     * 4-5 one row over two lines (a line break in a value is refused, and
     * the row is reported by its first line); 6 bad date; 7 missing name;
     * 8 duplicate number of line 2; 9 a character the font lacks; 10 good */
    write_file("r.csv",
               "name,degree,programme,date,number\n"
               "Əli Məmmədov,Bakalavr,Fizika,2025-06-30,N-1\n"
               "\"Тимур \"\"Т\"\" Иванов\",Magistr,\"Tarix, arxeologiya\",2025-06-30,N-2\n"
               "Leyla,Magistr,\"Tarix,\nArxeologiya\",2025-06-30,N-8\n"
               "Aysel Həsənova,Bakalavr,Fizika,2025-13-01,N-3\n"
               ",Bakalavr,Fizika,2025-06-30,N-4\n"
               "Rəşad Quliyev,Bakalavr,Fizika,2025-06-30,N-1\n"
               "李 Quliyev,Bakalavr,Fizika,2025-06-30,N-6\n"
               "Günay Əliyeva,Bakalavr,Fizika,2025-06-30,N-7\n",
               path, sizeof path);
    mh_batch_stats st;
    run_render(path, 2, NULL, &st, 0);
    assert_int_equal(st.rendered, 3);
    assert_int_equal(st.bad, 5);
    assert_int_equal(st.nbad_lines, 5);
    /* workers run in any order: compare as a set */
    unsigned long want[] = {4, 6, 7, 8, 9};
    for (size_t i = 0; i < 5; i++) {
        bool found = false;
        for (size_t k = 0; k < st.nbad_lines; k++)
            found |= st.bad_lines[k] == want[i];
        assert_true(found);
    }
    assert_int_equal(st.not_started, 0);
    assert_true(st.bytes > 3 * 1000);
}

static void test_render_json_many(void **state)
{
    (void)state;
    char path[512];
    size_t cap = 400 * 200 + 16;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t o = 0;
    o += (size_t)snprintf(text + o, cap - o, "[");
    for (int i = 0; i < 400; i++)
        o +=
            (size_t)snprintf(text + o, cap - o,
                             "%s{\"name\":\"Ülviyyə Şükürova %d\",\"degree\":\"Bakalavr\","
                             "\"programme\":\"Hüquq\",\"date\":\"2025-07-01\",\"number\":\"J-%d\"}",
                             i ? "," : "", i, i);
    o += (size_t)snprintf(text + o, cap - o, "]");
    write_file("r.json", text, path, sizeof path);
    free(text);
    mh_batch_stats st;
    run_render(path, 8, NULL, &st, 0);
    assert_int_equal(st.rows, 400);
    assert_int_equal(st.rendered, 400);
    assert_int_equal(st.bad, 0);
    assert_int_equal(st.jobs, 8);
    /* stopped before it starts: nothing made, every row left for the re-run */
    volatile sig_atomic_t stop = 1;
    run_render(path, 2, &stop, &st, 0);
    assert_int_equal(st.rendered, 0);
    assert_true(st.interrupted);
    assert_int_equal(st.not_started, 400);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    char path[512];
    mh_batch_stats st;
    run_render("/nonexistent/roster.csv", 1, NULL, &st, MH_ERR_IO);
    write_file("r.txt", "name\n", path, sizeof path);
    mh_batch_opts o = {.kind = &kind, .roster = path, .issuer_id = "bdu", .issuer_name = "X"};
    assert_int_not_equal(mh_batch_run(&o, &st), 0);
    /* a kind without a number field cannot give stable ids */
    mh_kind k2 = kind;
    snprintf(k2.fields[mh_kind_field_index(&k2, "number")].id, sizeof k2.fields[0].id, "nr");
    o.kind = &k2;
    write_file("r2.csv", "name\nx\n", path, sizeof path);
    assert_int_equal(mh_batch_run(&o, &st), MH_ERR_UNSUPPORTED);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/mohur-batch.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return 1;
    if (mh_kind_load(mh_kinds_dir(), "diploma", &kind) != 0) {
        fprintf(stderr, "cannot load the diploma kind: %s\n", mh_err_message(-1));
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_render_csv),
        cmocka_unit_test(test_render_json_many),
        cmocka_unit_test(test_bad_inputs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
