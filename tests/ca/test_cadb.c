/* test_cadb.c - the CA database on a real LMDB environment in a temp dir:
 * durability across reopen, no serial twice, revocation rules, CRL numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mh_cadb.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mh-cadb-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_db(void **state)
{
    (void)state;
    mh_cadb *db = NULL;
    char ca[128];
    snprintf(ca, sizeof ca, "%s/ca", dir);
    assert_int_equal(mh_cadb_open(ca, false, &db), MH_ERR_NOT_FOUND);
    assert_non_null(strstr(mh_err_message(MH_ERR_NOT_FOUND), "mohur ca init"));
    assert_int_equal(mh_cadb_open(ca, true, &db), 0);
    mh_cadb_kv kv[] = {{"ca_cert", "\x30\x00", 2}, {"key_uri", "pkcs11:token=T", 14}};
    assert_int_equal(mh_cadb_init(db, kv, 2), 0);
    assert_int_equal(mh_cadb_init(db, kv, 2), MH_ERR_ALREADY_EXISTS);

    mh_cadb_cert c;
    memset(&c, 0, sizeof c);
    memset(c.serial, 0x41, 16);
    c.serial_len = 16;
    c.profile = MH_CA_PROFILE_NOTARY;
    c.not_before = 1000;
    c.not_after = 2000;
    snprintf(c.subject, sizeof c.subject, "CN=Əli");
    uint8_t der[3] = {1, 2, 3};
    c.der = der;
    c.der_len = 3;
    assert_int_equal(mh_cadb_cert_add(db, &c), 0);
    assert_int_equal(mh_cadb_cert_add(db, &c), MH_ERR_ALREADY_EXISTS);
    assert_non_null(strstr(mh_err_message(MH_ERR_ALREADY_EXISTS), "never issued twice"));

    uint8_t other[16];
    memset(other, 0x42, 16);
    assert_int_equal(mh_cadb_revoke(db, other, 16, 5, MH_CRL_KEY_COMPROMISE), MH_ERR_NOT_FOUND);
    assert_int_equal(mh_cadb_revoke(db, c.serial, 16, 5, 7), MH_ERR_INVALID_ARG);
    assert_int_equal(mh_cadb_revoke(db, c.serial, 16, 5, MH_CRL_KEY_COMPROMISE), 0);
    assert_int_equal(mh_cadb_revoke(db, c.serial, 16, 6, MH_CRL_SUPERSEDED), MH_ERR_ALREADY_EXISTS);

    uint64_t next = 0;
    assert_int_equal(mh_cadb_crl_next(db, &next), 0);
    assert_int_equal(next, 1);
    assert_int_equal(mh_cadb_crl_store(db, 1, der, 3), 0);
    assert_int_equal(mh_cadb_crl_store(db, 1, der, 3), MH_ERR_ALREADY_EXISTS);
    mh_cadb_close(db);

    /* a new handle (as a new process would) sees everything */
    assert_int_equal(mh_cadb_open(ca, false, &db), 0);
    mh_cadb_cert *list = NULL;
    size_t n = 0;
    assert_int_equal(mh_cadb_cert_list(db, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].subject, "CN=Əli");
    assert_true(list[0].revoked);
    assert_int_equal(list[0].reason, MH_CRL_KEY_COMPROMISE);
    assert_int_equal(list[0].revoked_at, 5);
    assert_int_equal(list[0].not_after, 2000);
    mh_cadb_cert_list_free(list, n);
    mh_cadb_cert got;
    assert_int_equal(mh_cadb_cert_get(db, c.serial, 16, &got), 0);
    assert_int_equal(got.der_len, 3);
    assert_memory_equal(got.der, der, 3);
    free(got.der);
    mh_crl_entry *e = NULL;
    assert_int_equal(mh_cadb_revoked(db, &e, &n), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(e[0].serial, c.serial, 16);
    free(e);
    assert_int_equal(mh_cadb_crl_next(db, &next), 0);
    assert_int_equal(next, 2);
    uint8_t *crl = NULL;
    size_t cl = 0;
    uint64_t num = 0;
    assert_int_equal(mh_cadb_crl_latest(db, &num, &crl, &cl), 0);
    assert_int_equal(num, 1);
    assert_int_equal(cl, 3);
    free(crl);
    uint8_t *v = NULL;
    size_t vl;
    assert_int_equal(mh_cadb_get(db, "key_uri", &v, &vl), 0);
    assert_string_equal((char *)v, "pkcs11:token=T");
    free(v);
    mh_cadb_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_db)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
