/* test_hash.c - the fast SHA-256 (libcrypto) agrees with mbedTLS's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/sha256.h>

#include "mh_hash.h"

static void agrees_with_mbedtls(void **state)
{
    (void)state;
    size_t cap = 3 << 20;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    for (size_t i = 0; i < cap; i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 13);
    static const size_t sizes[] = {0, 1, 55, 56, 63, 64, 65, 1000, 65536, 1 << 20, 3 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint8_t a[32], b[32];
        assert_int_equal(mh_hash_sha256(buf, sizes[k], a), 0);
        mbedtls_sha256_ret(buf, sizes[k], b, 0);
        assert_memory_equal(a, b, 32);
        /* in two parts, split anywhere */
        size_t cut = sizes[k] / 3;
        const uint8_t *parts[2] = {buf, buf + cut};
        const size_t lens[2] = {cut, sizes[k] - cut};
        assert_int_equal(mh_hash_sha256_parts(parts, lens, 2, a), 0);
        assert_memory_equal(a, b, 32);
    }
    /* the FIPS 180-2 example "abc" */
    static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    uint8_t h[32];
    assert_int_equal(mh_hash_sha256((const uint8_t *)"abc", 3, h), 0);
    assert_memory_equal(h, abc, 32);
    free(buf);
}

/* The byte range and a prefix of its first part in one pass: both digests
 * equal separate hashes, for prefixes at block edges and anywhere. */
static void prefix_in_one_pass(void **state)
{
    (void)state;
    size_t cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    for (size_t i = 0; i < cap; i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 11);
    static const size_t pre[] = {0, 1, 63, 64, 65, 4096, 100000, 400000};
    for (size_t k = 0; k < sizeof pre / sizeof pre[0]; k++) {
        const uint8_t *parts[2] = {buf, buf + 400000 + 3000};
        const size_t lens[2] = {400000, cap - 403000};
        uint8_t whole[32], prefix[32], a[32], b[32];
        assert_int_equal(mh_hash_sha256_parts_prefix(parts, lens, 2, pre[k], whole, prefix), 0);
        assert_int_equal(mh_hash_sha256_parts(parts, lens, 2, a), 0);
        mbedtls_sha256_ret(buf, pre[k], b, 0);
        assert_memory_equal(whole, a, 32);
        assert_memory_equal(prefix, b, 32);
    }
    const uint8_t *one[1] = {buf};
    const size_t l1[1] = {10};
    uint8_t x[32], y[32];
    assert_int_not_equal(mh_hash_sha256_parts_prefix(one, l1, 1, 11, x, y), 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(agrees_with_mbedtls),
                                       cmocka_unit_test(prefix_in_one_pass)};
    return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
