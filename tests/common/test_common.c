/* test_common.c - common/: byte order, hex, UTF-8, base64, base32, files,
 * the PIN-file policy, randomness. Every decoder has its negative cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mh_common.h"

static void test_bytes(void **state)
{
    (void)state;
    uint8_t b[8];
    mh_be64_put(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[7], 8);
    assert_true(mh_be64_get(b) == 0x0102030405060708ull);
    assert_int_equal(mh_be32_get(b + 4), 0x05060708u);
    assert_int_equal(mh_be16_get(b + 6), 0x0708u);
    mh_be16_put(b, 0xabcd);
    assert_int_equal(b[0], 0xab);

    uint8_t out[4];
    size_t n = 0;
    char hex[9];
    assert_int_equal(mh_hex_decode("00fFa9", 6, out, sizeof out, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(out[1], 0xff);
    mh_hex_encode(out, n, hex, sizeof hex);
    assert_string_equal(hex, "00ffa9");
    assert_int_equal(mh_hex_decode("0", 1, out, sizeof out, &n), MH_ERR_PARSE);
    assert_int_equal(mh_hex_decode("0g", 2, out, sizeof out, &n), MH_ERR_PARSE);
    assert_int_equal(mh_hex_decode("0011223344", 10, out, sizeof out, &n), MH_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(mh_hexval('G'), -1);
}

static void test_utf8(void **state)
{
    (void)state;
    const uint8_t ok[] = "A\xc9\x99\xe2\x80\x94\xf0\x9f\x98\x80"; /* A ə — 😀 */
    size_t i = 0;
    assert_int_equal(mh_utf8_next(ok, sizeof ok - 1, &i), 'A');
    assert_int_equal(mh_utf8_next(ok, sizeof ok - 1, &i), 0x259);
    assert_int_equal(mh_utf8_next(ok, sizeof ok - 1, &i), 0x2014);
    assert_int_equal(mh_utf8_next(ok, sizeof ok - 1, &i), 0x1f600);
    assert_int_equal(i, sizeof ok - 1);
    assert_true(mh_utf8_valid(ok, sizeof ok - 1));
    /* overlong, surrogate, beyond U+10FFFF, cut short, lone continuation */
    const char *bad[] = {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x80", "\x80"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_false(mh_utf8_valid((const uint8_t *)bad[k], strlen(bad[k])));
        i = 0;
        assert_int_equal(mh_utf8_next((const uint8_t *)bad[k], strlen(bad[k]), &i), MH_UTF8_BAD);
        assert_int_equal(i, 1); /* a loop always advances */
    }
    uint8_t u[4];
    assert_int_equal(mh_utf8_put(0x259, u), 2);
    assert_int_equal(mh_utf8_put(0x1f600, u), 4);
    assert_int_equal(mh_utf8_put(0xd800, u), 0);
    assert_int_equal(mh_utf8_put(0x110000, u), 0);
}

static void test_base64(void **state)
{
    (void)state;
    char enc[16];
    uint8_t dec[16];
    size_t n = 0;
    assert_int_equal(mh_base64_encode((const uint8_t *)"ab", 2, enc, sizeof enc, &n), 0);
    assert_string_equal(enc, "YWI=");
    assert_int_equal(mh_base64_decode("YWI=", 4, dec, sizeof dec, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(dec, "ab", 2);
    /* non-zero padding bits, data after '=', no padding, white space */
    assert_int_equal(mh_base64_decode("YWJ=", 4, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base64_decode("YW=I", 4, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base64_decode("YWI", 3, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base64_decode("YW I", 4, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base64_decode("YWJjZA==", 8, dec, 3, &n), MH_ERR_TOO_LARGE);
    assert_int_equal(mh_base64_encode((const uint8_t *)"ab", 2, enc, 4, &n),
                     MH_ERR_BUFFER_TOO_SMALL);
    /* RFC 4648 section 10 */
    static const char *const rfc[][2] = {{"", ""},
                                         {"f", "Zg=="},
                                         {"fo", "Zm8="},
                                         {"foo", "Zm9v"},
                                         {"foob", "Zm9vYg=="},
                                         {"fooba", "Zm9vYmE="},
                                         {"foobar", "Zm9vYmFy"}};
    for (size_t k = 0; k < sizeof rfc / sizeof rfc[0]; k++) {
        assert_int_equal(
            mh_base64_encode((const uint8_t *)rfc[k][0], strlen(rfc[k][0]), enc, sizeof enc, &n),
            0);
        assert_string_equal(enc, rfc[k][1]);
        assert_int_equal(n, strlen(rfc[k][1]));
    }
    /* every length up to 300 and every byte value, against the alphabet
     * bit by bit, and back */
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t in[300], back[300];
    char big[420];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 167 + 13);
    for (size_t len = 0; len <= sizeof in; len++) {
        assert_int_equal(mh_base64_encode(in, len, big, sizeof big, &n), 0);
        assert_int_equal(n, (len + 2) / 3 * 4);
        for (size_t c = 0; c < n; c++) {
            size_t bit = c * 6;
            unsigned v = 0;
            for (size_t b = bit; b < bit + 6; b++)
                v = v << 1 | (b / 8 < len ? (unsigned)(in[b / 8] >> (7 - b % 8)) & 1u : 0u);
            char want = bit >= len * 8 ? '=' : alpha[v];
            assert_int_equal(big[c], want);
        }
        assert_int_equal(mh_base64_decode(big, n, back, sizeof back, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }

    assert_int_equal(mh_base32_encode((const uint8_t *)"f", 1, enc, sizeof enc, &n), 0);
    assert_string_equal(enc, "MY");
    assert_int_equal(mh_base32_decode("MY", 2, dec, sizeof dec, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(mh_base32_decode("MZ", 2, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("my", 2, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("MYA", 3, dec, sizeof dec, &n), MH_ERR_PARSE);
}

static char dir[64];

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void put_file(const char *name, const char *text, mode_t mode)
{
    char p[128];
    path_in(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(p, mode), 0);
}

static void test_files(void **state)
{
    (void)state;
    char p[128];
    uint8_t *buf = NULL;
    size_t len = 0;
    put_file("doc", "hello", 0644);
    path_in(p, sizeof p, "doc");
    assert_int_equal(mh_file_read(p, 100, MH_FILE_REGULAR, &buf, &len), 0);
    assert_int_equal(len, 5);
    assert_int_equal(buf[5], 0);
    free(buf);
    assert_int_equal(mh_file_read(p, 4, MH_FILE_REGULAR, &buf, &len), MH_ERR_TOO_LARGE);
    assert_non_null(strstr(mh_err_message(MH_ERR_TOO_LARGE), "more than mohur accepts"));
    assert_int_equal(mh_file_read(dir, 100, MH_FILE_ANY, &buf, &len), MH_ERR_IO);
    path_in(p, sizeof p, "none");
    assert_int_equal(mh_file_read(p, 100, MH_FILE_ANY, &buf, &len), MH_ERR_NOT_FOUND);
    /* a FIFO is refused as a document without blocking */
    path_in(p, sizeof p, "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(mh_file_read(p, 100, MH_FILE_REGULAR, &buf, &len), MH_ERR_IO);
    assert_non_null(strstr(mh_err_message(MH_ERR_IO), "not a regular file"));
    unlink(p);
    /* atomic write */
    path_in(p, sizeof p, "out");
    assert_int_equal(mh_file_write_atomic(p, "x", 1, 0600), 0);
    assert_int_equal(mh_file_read(p, 10, MH_FILE_NOFOLLOW, &buf, &len), 0);
    free(buf);
    unlink(p);
}

static void test_pin_file(void **state)
{
    (void)state;
    char p[128], q[128], pin[16];
    size_t len = 0;
    put_file("pin", "1234\n", 0600);
    path_in(p, sizeof p, "pin");
    assert_int_equal(mh_file_read_pin(p, pin, sizeof pin, &len), 0);
    assert_string_equal(pin, "1234");
    assert_int_equal(len, 4);
    /* group may read (a service's group); others may not */
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(mh_file_read_pin(p, pin, sizeof pin, &len), 0);
    assert_int_equal(chmod(p, 0604), 0);
    assert_int_equal(mh_file_read_pin(p, pin, sizeof pin, &len), MH_ERR_PERMISSION);
    assert_int_equal(pin[0], 0);
    assert_int_equal(chmod(p, 0600), 0);
    /* a symlink is refused, even to a good file */
    path_in(q, sizeof q, "pin-link");
    assert_int_equal(symlink(p, q), 0);
    assert_int_equal(mh_file_read_pin(q, pin, sizeof pin, &len), MH_ERR_PIN_REQUIRED);
    assert_non_null(strstr(mh_err_message(MH_ERR_PIN_REQUIRED), "symbolic link"));
    unlink(q);
    /* two lines, empty, too long, missing */
    put_file("pin2", "1234\n5678\n", 0600);
    path_in(q, sizeof q, "pin2");
    assert_int_equal(mh_file_read_pin(q, pin, sizeof pin, &len), MH_ERR_PIN_INVALID);
    put_file("pin2", "\n", 0600);
    assert_int_equal(mh_file_read_pin(q, pin, sizeof pin, &len), MH_ERR_PIN_REQUIRED);
    put_file("pin2", "12345678901234567890", 0600);
    assert_int_equal(mh_file_read_pin(q, pin, sizeof pin, &len), MH_ERR_PIN_INVALID);
    unlink(q);
    assert_int_equal(mh_file_read_pin(q, pin, sizeof pin, &len), MH_ERR_PIN_REQUIRED);
    /* the message never holds the PIN */
    put_file("pin3", "secret99\nx", 0600);
    path_in(q, sizeof q, "pin3");
    assert_int_not_equal(mh_file_read_pin(q, pin, sizeof pin, &len), 0);
    assert_null(strstr(mh_err_message(MH_ERR_PIN_INVALID), "secret99"));
    unlink(q);
    unlink(p);
}

static void test_rng(void **state)
{
    (void)state;
    uint8_t a[32] = {0}, b[32] = {0};
    assert_int_equal(mh_rng_bytes(a, sizeof a), 0);
    assert_int_equal(mh_rng_mbedtls(NULL, b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mohur-common.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    const char *names[] = {"doc", "fifo", "out", "pin", "pin-link", "pin2", "pin3"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        path_in(p, sizeof p, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),    cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_base64),   cmocka_unit_test(test_files),
        cmocka_unit_test(test_pin_file), cmocka_unit_test(test_rng),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
