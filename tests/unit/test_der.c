/* test_der.c - the DER reader accepts DER and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mh_pki.h"

static void lengths(void **state)
{
    (void)state;
    mh_der d;
    mh_der_elem e;
    static const uint8_t ok[] = {0x04, 0x02, 0xaa, 0xbb};
    mh_der_init(&d, ok, sizeof ok);
    assert_int_equal(mh_der_next(&d, &e), 0);
    assert_int_equal(e.len, 2);
    assert_true(mh_der_done(&d));
    const uint8_t *bad[] = {
        (const uint8_t[]){0x04, 0x81, 0x02, 0xaa, 0xbb}, /* long form where short fits */
        (const uint8_t[]){0x04, 0x80, 0xaa, 0x00, 0x00}, /* indefinite */
        (const uint8_t[]){0x04, 0x82, 0x00, 0x81, 0xbb}, /* leading zero length */
        (const uint8_t[]){0x04, 0x05, 0xaa, 0xbb, 0x00}, /* runs past the end */
        (const uint8_t[]){0x1f, 0x81, 0x01, 0x00, 0x00}, /* high tag number */
        (const uint8_t[]){0x04, 0x85, 0x01, 0x00, 0x00}, /* 5-byte length */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mh_der_init(&d, bad[i], 5);
        assert_int_not_equal(mh_der_next(&d, &e), 0);
        /* a failed cursor stays failed */
        assert_int_not_equal(mh_der_next(&d, &e), 0);
        assert_false(mh_der_done(&d));
    }
    mh_der_init(&d, ok, 1);
    assert_int_not_equal(mh_der_next(&d, &e), 0);
}

static void nesting_and_optional(void **state)
{
    (void)state;
    static const uint8_t seq[] = {0x30, 0x08, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x05, 0x00, 0x01};
    mh_der d, in;
    mh_der_elem e, f;
    bool present;
    mh_der_init(&d, seq, sizeof seq);
    assert_int_equal(mh_der_expect(&d, MH_DER_SEQUENCE, &e), 0);
    mh_der_enter(&in, &e);
    assert_int_equal(mh_der_optional(&in, MH_DER_CTX_C(0), &f, &present), 0);
    assert_true(present);
    assert_int_equal(mh_der_optional(&in, MH_DER_CTX_C(1), &f, &present), 0);
    assert_false(present);
    assert_int_equal(mh_der_expect(&in, MH_DER_NULL, &f), 0);
    assert_false(mh_der_done(&in)); /* one byte left inside */
    assert_int_not_equal(mh_der_expect(&in, MH_DER_NULL, &f), 0);
    assert_int_equal(mh_der_expect(&d, MH_DER_SEQUENCE, &e), MH_ERR_PARSE);
}

static mh_der_elem el(uint8_t tag, const char *v, size_t n)
{
    mh_der_elem e = {tag, (const uint8_t *)v, n, NULL, 0};
    return e;
}

static void typed(void **state)
{
    (void)state;
    bool b, neg;
    uint64_t u;
    mh_der_elem e = el(MH_DER_BOOLEAN, "\xff", 1);
    assert_int_equal(mh_der_bool(&e, &b), 0);
    assert_true(b);
    e = el(MH_DER_BOOLEAN, "\x01", 1);
    assert_int_not_equal(mh_der_bool(&e, &b), 0);
    e = el(MH_DER_INTEGER, "\x00\x80", 2);
    assert_int_equal(mh_der_uint(&e, &u), 0);
    assert_int_equal(u, 128);
    e = el(MH_DER_INTEGER, "\x00\x7f", 2);
    assert_int_not_equal(mh_der_uint(&e, &u), 0);
    e = el(MH_DER_INTEGER, "\xff\x80", 2);
    assert_int_not_equal(mh_der_integer_check(&e, &neg), 0);
    e = el(MH_DER_INTEGER, "\x80", 1);
    assert_int_equal(mh_der_integer_check(&e, &neg), 0);
    assert_true(neg);
    assert_int_not_equal(mh_der_uint(&e, &u), 0);
    e = el(MH_DER_INTEGER, "", 0);
    assert_int_not_equal(mh_der_integer_check(&e, &neg), 0);
    const uint8_t *bits;
    size_t bl;
    unsigned unused;
    e = el(MH_DER_BIT_STRING, "\x07\x80", 2);
    assert_int_equal(mh_der_bitstring(&e, &bits, &bl, &unused), 0);
    assert_int_equal(unused, 7);
    e = el(MH_DER_BIT_STRING, "\x07\x81", 2);
    assert_int_not_equal(mh_der_bitstring(&e, &bits, &bl, &unused), 0);
    e = el(MH_DER_OID, "\x2a\x86\x48", 3);
    assert_int_equal(mh_der_oid_check(&e), 0);
    e = el(MH_DER_OID, "\x2a\x80\x01", 3);
    assert_int_not_equal(mh_der_oid_check(&e), 0);
    e = el(MH_DER_OID, "\x2a\x86", 2);
    assert_int_not_equal(mh_der_oid_check(&e), 0);
}

static void times(void **state)
{
    (void)state;
    int64_t t;
    mh_der_elem e = el(MH_DER_UTC_TIME, "700101000000Z", 13);
    assert_int_equal(mh_der_time(&e, &t), 0);
    assert_int_equal(t, 0);
    e = el(MH_DER_UTC_TIME, "491231235959Z", 13);
    assert_int_equal(mh_der_time(&e, &t), 0);
    assert_int_equal(t, 2524607999); /* 2049-12-31T23:59:59Z */
    e = el(MH_DER_GENERALIZED_TIME, "20260302120000Z", 15);
    assert_int_equal(mh_der_time(&e, &t), 0);
    assert_int_equal(t, 1772452800);
    static const char *bad[] = {"20260230120000Z", "20250229000000Z", "20261301000000Z",
                                "20260302240000Z", "20260302120000+", "2026030212000Z0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = el(MH_DER_GENERALIZED_TIME, bad[i], 15);
        assert_int_not_equal(mh_der_time(&e, &t), 0);
    }
    e = el(MH_DER_GENERALIZED_TIME, "20240229000000Z", 15);
    assert_int_equal(mh_der_time(&e, &t), 0);
    e = el(MH_DER_UTC_TIME, "7001010000Z", 11);
    assert_int_not_equal(mh_der_time(&e, &t), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lengths),
        cmocka_unit_test(nesting_and_optional),
        cmocka_unit_test(typed),
        cmocka_unit_test(times),
    };
    return cmocka_run_group_tests_name("der", tests, NULL, NULL);
}
