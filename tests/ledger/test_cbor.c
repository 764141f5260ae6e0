/* test_cbor.c - the deterministic-CBOR writer against the encodings listed
 * in RFC 8949 Appendix A, and the strict reader against hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mh_pki.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(mh_hex_decode(h, strlen(h), out, cap, &n), 0);
    return n;
}

static void expect_bytes(const mh_cbor_w *w, const char *hex)
{
    uint8_t want[64];
    size_t n = unhex(hex, want, sizeof want), len;
    assert_int_equal(mh_cbor_w_finish(w, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(w->buf, want, n);
}

/* Values and encodings from RFC 8949 Appendix A. */
static void test_writer_rfc_vectors(void **state)
{
    static const struct {
        uint64_t v;
        const char *hex;
    } uints[] = {{0, "00"},
                 {1, "01"},
                 {10, "0a"},
                 {23, "17"},
                 {24, "1818"},
                 {25, "1819"},
                 {100, "1864"},
                 {1000, "1903e8"},
                 {1000000, "1a000f4240"},
                 {1000000000000ull, "1b000000e8d4a51000"},
                 {UINT64_MAX, "1bffffffffffffffff"}};
    static const struct {
        int64_t v;
        const char *hex;
    } ints[] = {{-1, "20"},
                {-10, "29"},
                {-100, "3863"},
                {-1000, "3903e7"},
                {INT64_MIN, "3b7fffffffffffffff"}};
    uint8_t buf[64];
    mh_cbor_w w;
    (void)state;
    for (size_t i = 0; i < sizeof uints / sizeof uints[0]; i++) {
        mh_cbor_w_init(&w, buf, sizeof buf);
        mh_cbor_put_uint(&w, uints[i].v);
        expect_bytes(&w, uints[i].hex);
    }
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        mh_cbor_w_init(&w, buf, sizeof buf);
        mh_cbor_put_int(&w, ints[i].v);
        expect_bytes(&w, ints[i].hex);
    }
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_negint(&w, UINT64_MAX); /* -18446744073709551616 */
    expect_bytes(&w, "3bffffffffffffffff");
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_text(&w, "", 0);
    expect_bytes(&w, "60");
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_text(&w, "IETF", 4);
    expect_bytes(&w, "6449455446");
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_text(&w, "\xc3\xbc", 2);
    expect_bytes(&w, "62c3bc");
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_bytes(&w, (const uint8_t *)"\x01\x02\x03\x04", 4);
    expect_bytes(&w, "4401020304");
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_array(&w, 3);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_uint(&w, 3);
    expect_bytes(&w, "83010203");
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_map(&w, 2);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_uint(&w, 4);
    expect_bytes(&w, "a201020304");
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_tag(&w, 1);
    mh_cbor_put_uint(&w, 1363896240);
    expect_bytes(&w, "c11a514b67b0");
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_bool(&w, false);
    mh_cbor_put_bool(&w, true);
    mh_cbor_put_null(&w);
    expect_bytes(&w, "f4f5f6");
}

static void test_writer_overflow(void **state)
{
    uint8_t buf[4];
    mh_cbor_w w;
    size_t len = 99;
    (void)state;
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_uint(&w, 1000000); /* 5 bytes */
    mh_cbor_put_uint(&w, 1);       /* ignored after the overflow */
    assert_true(w.overflow);
    assert_int_equal(mh_cbor_w_finish(&w, &len), MH_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 0);
    mh_cbor_w_init(&w, NULL, 0);
    mh_cbor_put_null(&w);
    assert_int_equal(mh_cbor_w_finish(&w, &len), MH_ERR_BUFFER_TOO_SMALL);
}

static void test_reader_roundtrip(void **state)
{
    uint8_t buf[256];
    mh_cbor_w w;
    mh_cbor_r r;
    size_t len, n;
    uint64_t u, cnt;
    int64_t i;
    const uint8_t *b;
    const char *s;
    bool t;
    (void)state;
    mh_cbor_w_init(&w, buf, sizeof buf);
    mh_cbor_put_map(&w, 3);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_int(&w, -500);
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_bytes(&w, (const uint8_t *)"abc", 3);
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_array(&w, 2);
    mh_cbor_put_text(&w, "x", 1);
    mh_cbor_put_bool(&w, true);
    assert_int_equal(mh_cbor_w_finish(&w, &len), 0);
    assert_int_equal(mh_cbor_check(buf, len, 0, MH_CBOR_DETERMINISTIC), 0);

    mh_cbor_r_init(&r, buf, len);
    assert_int_equal(mh_cbor_peek(&r), MH_CBOR_MAP);
    assert_int_equal(mh_cbor_get_map(&r, &cnt), 0);
    assert_int_equal(cnt, 3);
    assert_int_equal(mh_cbor_get_uint(&r, &u), 0);
    assert_int_equal(u, 1);
    assert_int_equal(mh_cbor_get_int(&r, &i), 0);
    assert_int_equal(i, -500);
    assert_int_equal(mh_cbor_get_uint(&r, &u), 0);
    assert_int_equal(mh_cbor_get_bytes(&r, &b, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(b, "abc", 3);
    assert_int_equal(mh_cbor_get_uint(&r, &u), 0);
    assert_int_equal(mh_cbor_get_array(&r, &cnt), 0);
    assert_int_equal(mh_cbor_get_text(&r, &s, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(mh_cbor_get_bool(&r, &t), 0);
    assert_true(t);
    assert_true(mh_cbor_r_done(&r));

    /* a type mismatch fails the cursor for good */
    mh_cbor_r_init(&r, buf, len);
    assert_int_equal(mh_cbor_get_uint(&r, &u), MH_ERR_PARSE);
    assert_int_equal(mh_cbor_get_map(&r, &cnt), MH_ERR_PARSE);
    assert_false(mh_cbor_r_done(&r));
    /* skip walks the whole map */
    mh_cbor_r_init(&r, buf, len);
    assert_int_equal(mh_cbor_skip(&r), 0);
    assert_true(mh_cbor_r_done(&r));
}

/* Inputs a strict reader must refuse, each with why. */
static void test_reader_hostile(void **state)
{
    static const struct {
        const char *hex;
        const char *why;
    } bad[] = {
        {"", "empty"},
        {"1817", "23 in two bytes (not shortest)"},
        {"190017", "23 in three bytes"},
        {"1a0000ffff", "65535 in five bytes"},
        {"1b00000000ffffffff", "a 32-bit value in nine bytes"},
        {"5800", "empty byte string with a one-byte length"},
        {"1c", "reserved additional information 28"},
        {"1f", "indefinite unsigned (malformed)"},
        {"5f4101ff", "indefinite-length byte string"},
        {"9f01ff", "indefinite-length array"},
        {"bf0101ff", "indefinite-length map"},
        {"ff", "a lone break"},
        {"19", "truncated argument"},
        {"1b000000", "truncated 8-byte argument"},
        {"43010203ff", "trailing byte"},
        {"4401", "byte string longer than the input"},
        {"5affffffff00", "huge byte string length"},
        {"9bffffffffffffffff", "array count beyond any input"},
        {"8301", "array with missing items"},
        {"a10102a1", "truncated nested map"},
        {"f93c00", "half-precision float"},
        {"fb3ff199999999999a", "double float"},
        {"f820", "one-byte simple value"},
        {"e0", "simple value 0"},
        {"62c328", "invalid UTF-8 text"},
        {"63eda080", "UTF-8 surrogate"},
        {"62c0af", "overlong UTF-8"},
        {"a202000100", "map keys out of order"},
        {"a201000100", "duplicate map keys"},
        {"a2613102613002", "text keys out of order"},
        {"a2010018190200", "map key order by encoding: 25 before 2"},
    };
    uint8_t buf[64];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = unhex(bad[i].hex, buf, sizeof buf);
        if (mh_cbor_check(n ? buf : (const uint8_t *)"", n, 0, MH_CBOR_DETERMINISTIC) == 0)
            fail_msg("accepted: %s (%s)", bad[i].hex, bad[i].why);
    }
    /* out-of-order keys are fine when determinism is not asked for */
    size_t n = unhex("a202000100", buf, sizeof buf);
    assert_int_equal(mh_cbor_check(buf, n, 0, 0), 0);
}

static void test_depth_cap(void **state)
{
    uint8_t buf[200];
    (void)state;
    memset(buf, 0x81, sizeof buf); /* [[[[...]]]] */
    buf[sizeof buf - 1] = 0x00;
    assert_int_equal(mh_cbor_check(buf, sizeof buf, 0, 0), MH_ERR_PARSE);
    /* exactly at the cap is fine */
    assert_int_equal(
        mh_cbor_check(buf + sizeof buf - 1 - (MH_CBOR_MAX_DEPTH - 1), MH_CBOR_MAX_DEPTH, 0, 0), 0);
    mh_cbor_r r;
    mh_cbor_r_init(&r, buf, sizeof buf);
    assert_int_equal(mh_cbor_skip(&r), MH_ERR_PARSE);
}

/* Random and mutated inputs: never a read outside the buffer (ASan), and
 * whatever check() accepts, skip() walks to the end too. */
static void test_random_inputs(void **state)
{
    uint8_t base[64], buf[64];
    mh_cbor_w w;
    size_t len;
    unsigned seed = 12345;
    (void)state;
    mh_cbor_w_init(&w, base, sizeof base);
    mh_cbor_put_map(&w, 2);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_array(&w, 2);
    mh_cbor_put_text(&w, "ab", 2);
    mh_cbor_put_int(&w, -3000);
    mh_cbor_put_uint(&w, 7);
    mh_cbor_put_bytes(&w, (const uint8_t *)"0123456789", 10);
    assert_int_equal(mh_cbor_w_finish(&w, &len), 0);
    for (int iter = 0; iter < 200000; iter++) {
        size_t n;
        seed = seed * 1103515245u + 12345u;
        if (iter & 1) {
            n = (seed >> 8) % (sizeof buf + 1);
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                buf[i] = (uint8_t)(seed >> 16);
            }
        } else {
            memcpy(buf, base, len);
            n = len;
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % len] ^= (uint8_t)(1u << ((seed >> 4) & 7));
            seed = seed * 1103515245u + 12345u;
            if (seed & 1)
                n = (seed >> 8) % (len + 1);
        }
        uint8_t *heap = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
        memcpy(heap, buf, n);
        int rc = mh_cbor_check(heap, n, 0, MH_CBOR_DETERMINISTIC);
        if (rc == 0) {
            mh_cbor_r r;
            mh_cbor_r_init(&r, heap, n);
            assert_int_equal(mh_cbor_skip(&r), 0);
            assert_true(mh_cbor_r_done(&r));
        }
        free(heap);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_rfc_vectors), cmocka_unit_test(test_writer_overflow),
        cmocka_unit_test(test_reader_roundtrip),   cmocka_unit_test(test_reader_hostile),
        cmocka_unit_test(test_depth_cap),          cmocka_unit_test(test_random_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
