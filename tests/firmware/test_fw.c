/* test_fw.c - the offline verifier's core (firmware/core) on the host:
 * slots, trust lists and snapshots signed here with mbedTLS keys (good
 * ones and each rule broken once), the UART line buffer, dates. The
 * vectors made by mohur run in fw_e2e.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/pk.h>

#include "mh_fw.h"
#include "../common/test_signer.h"

static mbedtls_pk_context tl_pk, reg_pk, other_pk;
static mh_receipt_key tl_key, reg_key, other_key;

static void gen(mbedtls_pk_context *pk, mh_receipt_key *k)
{
    mbedtls_pk_init(pk);
    assert_int_equal(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), mh_rng_mbedtls, NULL), 0);
    const mh_signer *sg = test_signer(pk);
    assert_int_equal(mh_receipt_key_from_spki(sg->spki, sg->spki_len, k), 0);
}

static int setup(void **state)
{
    (void)state;
    gen(&tl_pk, &tl_key);
    gen(&reg_pk, &reg_key);
    gen(&other_pk, &other_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mbedtls_pk_free(&tl_pk);
    mbedtls_pk_free(&reg_pk);
    mbedtls_pk_free(&other_pk);
    return 0;
}

/* Signs payload into a slot image (length prefix, COSE_Sign1). */
static size_t slot_of(mbedtls_pk_context *pk, const mh_receipt_key *k, const uint8_t *payload,
                      size_t plen, uint8_t *slot, size_t cap)
{
    size_t n = 0;
    assert_int_equal(
        mh_cose_sign1_make(test_signer(pk), k->kid, payload, plen, slot + 4, cap - 4, &n), 0);
    slot[0] = (uint8_t)(n >> 24);
    slot[1] = (uint8_t)(n >> 16);
    slot[2] = (uint8_t)(n >> 8);
    slot[3] = (uint8_t)n;
    return n + 4;
}

struct tl_spec {
    const char *type;
    uint64_t seq;
    uint64_t nb, na;
    const char *registry;
    const mh_receipt_key *key;
};

static size_t make_tl(const struct tl_spec *sp, uint8_t *slot, size_t cap)
{
    uint8_t p[1024];
    mh_cbor_w w;
    size_t n;
    mh_cbor_w_init(&w, p, sizeof p);
    mh_cbor_put_map(&w, 5);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_text(&w, sp->type, strlen(sp->type));
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_uint(&w, sp->seq);
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_uint(&w, 1000);
    mh_cbor_put_uint(&w, 4);
    mh_cbor_put_uint(&w, 3600);
    mh_cbor_put_uint(&w, 5);
    mh_cbor_put_array(&w, 1);
    mh_cbor_put_map(&w, 5);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_text(&w, sp->registry, strlen(sp->registry));
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_text(&w, "VERIFY.TEST", 11);
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_bytes(&w, sp->key->point, 65);
    mh_cbor_put_uint(&w, 4);
    mh_cbor_put_uint(&w, sp->nb);
    mh_cbor_put_uint(&w, 5);
    mh_cbor_put_uint(&w, sp->na);
    assert_int_equal(mh_cbor_w_finish(&w, &n), 0);
    return slot_of(&tl_pk, &tl_key, p, n, slot, cap);
}

static void trust_list(void **state)
{
    (void)state;
    uint8_t slot[2048];
    mh_fw_trust t;
    struct tl_spec sp = {MH_FW_TL_TYPE, 7, 0, 5000, "AZ-TEST", &reg_key};
    size_t n = make_tl(&sp, slot, sizeof slot);

    assert_int_equal(mh_fw_trust_load(&tl_key, slot, n, 0, &t), 0);
    assert_int_equal(t.seq, 7);
    assert_int_equal(t.nkeys, 1);
    assert_int_equal(t.snapshot_max_age, 3600);
    assert_memory_equal(t.keys[0].point, reg_key.point, 65);
    assert_int_equal(mh_fw_trust_load(&tl_key, slot, n, 7, &t), 0);
    /* rollback: the device accepted #8 before */
    assert_int_equal(mh_fw_trust_load(&tl_key, slot, n, 8, &t), MH_ERR_LEDGER_FORK);
    assert_int_equal(t.nkeys, 0);
    /* another signer */
    assert_int_equal(mh_fw_trust_load(&other_key, slot, n, 0, &t), MH_ERR_VERIFY_FAILED);
    /* one bit of the payload */
    slot[n - 70] ^= 1;
    assert_int_equal(mh_fw_trust_load(&tl_key, slot, n, 0, &t), MH_ERR_VERIFY_FAILED);
    slot[n - 70] ^= 1;
    /* the slot's framing */
    assert_int_equal(mh_fw_trust_load(&tl_key, slot, 3, 0, &t), MH_ERR_NOT_FOUND);
    assert_int_equal(mh_fw_trust_load(&tl_key, slot, n - 1, 0, &t), MH_ERR_TOO_LARGE);
    uint8_t erased[64];
    memset(erased, 0xff, sizeof erased);
    assert_int_equal(mh_fw_trust_load(&tl_key, erased, sizeof erased, 0, &t), MH_ERR_NOT_FOUND);
    memset(erased, 0, sizeof erased);
    assert_int_equal(mh_fw_trust_load(&tl_key, erased, sizeof erased, 0, &t), MH_ERR_NOT_FOUND);
    /* signed, but wrong inside: the type, a validity that ends first */
    sp.type = MH_FW_SNAP_TYPE;
    n = make_tl(&sp, slot, sizeof slot);
    assert_int_equal(mh_fw_trust_load(&tl_key, slot, n, 0, &t), MH_ERR_PARSE);
    sp.type = MH_FW_TL_TYPE;
    sp.nb = 6000;
    n = make_tl(&sp, slot, sizeof slot);
    assert_int_equal(mh_fw_trust_load(&tl_key, slot, n, 0, &t), MH_ERR_PARSE);
    /* no key burnt in */
    uint8_t blank[65] = {0};
    mh_receipt_key k;
    assert_int_equal(mh_fw_tl_signer(blank, sizeof blank, &k), MH_ERR_NOT_FOUND);
}

/* A snapshot of registry reg signed with pk: entries (index, date, reason). */
static size_t make_snap(mbedtls_pk_context *pk, const mh_receipt_key *k, const char *reg,
                        uint64_t size, const uint64_t (*e)[3], size_t ne, uint8_t *slot, size_t cap)
{
    uint8_t p[1024], root[32] = {1};
    mh_cbor_w w;
    size_t n;
    mh_cbor_w_init(&w, p, sizeof p);
    mh_cbor_put_map(&w, 6);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_text(&w, MH_FW_SNAP_TYPE, strlen(MH_FW_SNAP_TYPE));
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_text(&w, reg, strlen(reg));
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_uint(&w, size);
    mh_cbor_put_uint(&w, 4);
    mh_cbor_put_bytes(&w, root, 32);
    mh_cbor_put_uint(&w, 5);
    mh_cbor_put_uint(&w, 2000);
    mh_cbor_put_uint(&w, 6);
    mh_cbor_put_array(&w, ne);
    for (size_t i = 0; i < ne; i++) {
        mh_cbor_put_array(&w, 3);
        for (int j = 0; j < 3; j++)
            mh_cbor_put_uint(&w, e[i][j]);
    }
    assert_int_equal(mh_cbor_w_finish(&w, &n), 0);
    return slot_of(pk, k, p, n, slot, cap);
}

static void snapshot(void **state)
{
    (void)state;
    uint8_t tls[2048], slot[2048];
    mh_fw_trust t;
    mh_fw_snapshot s;
    struct tl_spec sp = {MH_FW_TL_TYPE, 1, 0, 5000, "AZ-TEST", &reg_key};
    size_t tn = make_tl(&sp, tls, sizeof tls);
    assert_int_equal(mh_fw_trust_load(&tl_key, tls, tn, 0, &t), 0);

    static const uint64_t ok[][3] = {{1, 1500, 1}, {4, 1600, 4}, {9, 1700, 9}};
    size_t n = make_snap(&reg_pk, &reg_key, "AZ-TEST", 10, ok, 3, slot, sizeof slot);
    assert_int_equal(mh_fw_snapshot_load(&t, slot, n, &s), 0);
    assert_int_equal(s.nrevoked, 3);
    assert_int_equal(s.tree_size, 10);
    assert_int_equal(s.made_at, 2000);
    for (uint64_t i = 0; i < 10; i++) {
        bool rv;
        uint64_t date = 0;
        unsigned why = 99;
        assert_int_equal(mh_fw_snapshot_find(&s, i, &rv, &date, &why), 0);
        assert_int_equal(rv, i == 1 || i == 4 || i == 9);
        if (i == 4) {
            assert_int_equal(date, 1600);
            assert_int_equal(why, 4);
        }
    }
    /* signed by a key that is not in the trust list */
    n = make_snap(&other_pk, &other_key, "AZ-TEST", 10, ok, 3, slot, sizeof slot);
    assert_int_equal(mh_fw_snapshot_load(&t, slot, n, &s), MH_ERR_VERIFY_FAILED);
    /* by the registry key, for another registry */
    n = make_snap(&reg_pk, &reg_key, "AZ-OTHER", 10, ok, 3, slot, sizeof slot);
    assert_int_equal(mh_fw_snapshot_load(&t, slot, n, &s), MH_ERR_VERIFY_FAILED);
    /* an index beyond the tree, indices out of order, a repeat, reason 7 */
    n = make_snap(&reg_pk, &reg_key, "AZ-TEST", 9, ok, 3, slot, sizeof slot);
    assert_int_equal(mh_fw_snapshot_load(&t, slot, n, &s), MH_ERR_PARSE);
    static const uint64_t unsorted[][3] = {{4, 1, 1}, {1, 1, 1}};
    n = make_snap(&reg_pk, &reg_key, "AZ-TEST", 10, unsorted, 2, slot, sizeof slot);
    assert_int_equal(mh_fw_snapshot_load(&t, slot, n, &s), MH_ERR_PARSE);
    static const uint64_t repeat[][3] = {{4, 1, 1}, {4, 1, 1}};
    n = make_snap(&reg_pk, &reg_key, "AZ-TEST", 10, repeat, 2, slot, sizeof slot);
    assert_int_equal(mh_fw_snapshot_load(&t, slot, n, &s), MH_ERR_PARSE);
    static const uint64_t r7[][3] = {{4, 1, 7}};
    n = make_snap(&reg_pk, &reg_key, "AZ-TEST", 10, r7, 1, slot, sizeof slot);
    assert_int_equal(mh_fw_snapshot_load(&t, slot, n, &s), MH_ERR_PARSE);
    /* a trust list is not a snapshot, even when the registry key signs it */
    n = make_tl(&sp, slot, sizeof slot);
    assert_int_not_equal(mh_fw_snapshot_load(&t, slot, n, &s), 0);
}

static void line_buffer(void **state)
{
    (void)state;
    static mh_fw_linebuf lb;
    const char *in = "ABC\r\n";
    mh_fw_linebuf_reset(&lb);
    for (size_t i = 0; i < 4; i++)
        assert_false(mh_fw_linebuf_put(&lb, in[i]));
    assert_true(mh_fw_linebuf_put(&lb, '\n'));
    assert_string_equal(lb.buf, "ABC");
    assert_int_equal(lb.seen, 3);
    mh_fw_linebuf_reset(&lb);
    for (size_t i = 0; i < MH_FW_LINE_MAX + 100; i++)
        assert_false(mh_fw_linebuf_put(&lb, 'A'));
    assert_true(mh_fw_linebuf_put(&lb, '\n'));
    assert_int_equal(lb.len, MH_FW_LINE_MAX);
    assert_int_equal(lb.seen, MH_FW_LINE_MAX + 100);
    /* the parser: framing only (the URL rules are pki's) */
    uint8_t out[MH_RECEIPT_MAX];
    mh_receipt_str host;
    size_t ol;
    assert_int_equal(mh_fw_line_parse("\r\n", 2, &host, out, sizeof out, &ol), MH_ERR_PARSE);
    assert_int_equal(mh_fw_line_parse("HTTPS://A/V/A\0A", 15, &host, out, sizeof out, &ol),
                     MH_ERR_PARSE);
    assert_int_equal(mh_fw_line_parse("HTTPS://A.B/V/AE\n", 17, &host, out, sizeof out, &ol), 0);
    assert_int_equal(ol, 1);
    assert_int_equal(out[0], 0x01);
}

static void dates(void **state)
{
    (void)state;
    char b[32];
    mh_fw_format_time(0, b, sizeof b);
    assert_string_equal(b, "1970-01-01 00:00 UTC");
    mh_fw_format_time(951782400 + 3600 + 120, b, sizeof b);
    assert_string_equal(b, "2000-02-29 01:02 UTC");
    mh_fw_format_time(4102444799, b, sizeof b);
    assert_string_equal(b, "2099-12-31 23:59 UTC");
    mh_fw_format_time(1767225600, b, sizeof b);
    assert_string_equal(b, "2026-01-01 00:00 UTC");
    assert_string_equal(mh_fw_reason_name(1), "keyCompromise");
    assert_string_equal(mh_fw_reason_name(11), "unknown reason");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trust_list),
        cmocka_unit_test(snapshot),
        cmocka_unit_test(line_buffer),
        cmocka_unit_test(dates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
