/* test_sig.c - pki/sig/sig*.c on hand-made cases, and in agreement with
 * signatures made by the openssl CLI and by mbedTLS.
 *
 * Keys are generated per run with `openssl genpkey` in a temporary
 * directory; openssl signs (dgst -sign with -sigopt for PSS), mbedTLS signs
 * with the same keys, and our verifier must accept exactly those and refuse
 * every altered form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "mh_pki.h"

static char dir[64];
static char cmd[2048];
static const char message[] = "mohur: diploma 2024-000123, issued by the State University";

static void sh(const char *fmt, ...) MH_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(cmd, sizeof cmd, "cd %s && ", dir);
    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

/* Reads DIR/name into a malloc'd buffer. */
static uint8_t *slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(65536);
    assert_non_null(buf);
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

static void load_key(const char *name, unsigned flags, mh_pki_pubkey *key, int want)
{
    size_t len;
    uint8_t *der = slurp(name, &len);
    int rc = mh_pki_spki_parse_flags(der, len, flags, key);
    if (rc != want)
        fail_msg("%s: parse gave %d (%s), wanted %d", name, rc, mh_err_message(rc), want);
    free(der);
}

static void sha(mbedtls_md_type_t md, const void *msg, size_t len, uint8_t *out)
{
    assert_int_equal(mbedtls_md(mbedtls_md_info_from_type(md), msg, len, out), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mh-test-sig-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    FILE *f;
    char path[256];
    snprintf(path, sizeof path, "%s/msg", dir);
    if (!(f = fopen(path, "wb")))
        return -1;
    fwrite(message, 1, sizeof message - 1, f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- ECDSA ---- */

static void ecdsa_openssl(void **state)
{
    (void)state;
    static const struct {
        const char *curve;
        const char *dgst;
        mbedtls_md_type_t md;
        size_t nlen;
    } cases[] = {{"P-256", "sha256", MBEDTLS_MD_SHA256, 32},
                 {"P-384", "sha384", MBEDTLS_MD_SHA384, 48},
                 {"P-521", "sha512", MBEDTLS_MD_SHA512, 66},
                 {"P-256", "sha512", MBEDTLS_MD_SHA512, 32}, /* hash longer than n */
                 {"P-521", "sha256", MBEDTLS_MD_SHA256, 66}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mh_pki_pubkey key;
        uint8_t hash[64];
        size_t sig_len;
        sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:%s -out ec.pem 2>/dev/null"
           " && openssl pkey -in ec.pem -pubout -outform DER -out ec.der"
           " && openssl dgst -%s -sign ec.pem -out ec.sig msg",
           cases[i].curve, cases[i].dgst);
        load_key("ec.der", 0, &key, 0);
        assert_int_equal(key.type, MH_PKI_KEY_EC);
        uint8_t *sig = slurp("ec.sig", &sig_len);
        sha(cases[i].md, message, sizeof message - 1, hash);
        size_t hl = mbedtls_md_get_size(mbedtls_md_info_from_type(cases[i].md));
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, cases[i].md, hash, hl,
                                            sig, sig_len, NULL),
                         0);
        assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_ECDSA, MH_SIG_DER, cases[i].md,
                                           (const uint8_t *)message, sizeof message - 1, sig,
                                           sig_len, NULL),
                         0);
        /* openssl agrees with itself on the same files (the fixture works) */
        sh("openssl dgst -%s -prverify ec.pem -signature ec.sig msg >/dev/null", cases[i].dgst);
        /* another message, another hash: refused */
        hash[0] ^= 1;
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, cases[i].md, hash, hl,
                                            sig, sig_len, NULL),
                         MH_ERR_VERIFY_FAILED);
        hash[0] ^= 1;
        assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA384,
                                           (const uint8_t *)message, sizeof message - 1, sig,
                                           sig_len, NULL),
                         cases[i].md == MBEDTLS_MD_SHA384 ? 0 : MH_ERR_VERIFY_FAILED);
        /* a hash of the wrong length for its algorithm is a caller error */
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, cases[i].md, hash,
                                            hl - 1, sig, sig_len, NULL),
                         MH_ERR_INVALID_ARG);
        /* every single-bit flip of the signature is refused */
        for (size_t b = 0; b < sig_len * 8; b += 7) {
            sig[b / 8] ^= (uint8_t)(1u << (b % 8));
            assert_int_not_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, cases[i].md,
                                                    hash, hl, sig, sig_len, NULL),
                                 0);
            sig[b / 8] ^= (uint8_t)(1u << (b % 8));
        }
        /* every truncation is refused */
        for (size_t n = 0; n < sig_len; n++)
            assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, cases[i].md, hash,
                                                hl, sig, n, NULL),
                             MH_ERR_VERIFY_FAILED);
        /* the wrong algorithm for the key */
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, cases[i].md, hash,
                                            hl, sig, sig_len, NULL),
                         MH_ERR_VERIFY_FAILED);
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_RAW, cases[i].md, hash, hl,
                                            sig, sig_len, NULL),
                         MH_ERR_VERIFY_FAILED);
        free(sig);
    }
}

/* DER writer for the hand-made variants: a minimal INTEGER from a
 * big-endian magnitude. */
static size_t put_int(uint8_t *o, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    size_t pad = (v[0] & 0x80) ? 1 : 0, i = 0;
    o[i++] = 0x02;
    o[i++] = (uint8_t)(n + pad);
    if (pad)
        o[i++] = 0;
    memcpy(o + i, v, n);
    return i + n;
}

static size_t der_sig(uint8_t *o, const uint8_t *r, size_t rl, const uint8_t *s, size_t sl)
{
    uint8_t body[160];
    size_t n = put_int(body, r, rl);
    n += put_int(body + n, s, sl);
    size_t h = 0;
    o[h++] = 0x30;
    if (n >= 0x80)
        o[h++] = 0x81; /* P-521 */
    o[h++] = (uint8_t)n;
    memcpy(o + h, body, n);
    return n + h;
}

static void ecdsa_handmade(void **state)
{
    (void)state;
    mbedtls_ecdsa_context ec;
    mbedtls_mpi r, s, t;
    uint8_t spki[200], *p, hash[32], rb[32], sb[32], nb[32], sig[160], p1363[64];
    mh_pki_pubkey key;

    mbedtls_ecdsa_init(&ec);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    mbedtls_mpi_init(&t);
    assert_int_equal(mbedtls_ecdsa_genkey(&ec, MBEDTLS_ECP_DP_SECP256R1, mh_rng_mbedtls, NULL), 0);
    /* the SPKI as mbedTLS writes it */
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_copy(&mbedtls_pk_ec(pk)->Q, &ec.Q), 0);
    assert_int_equal(mbedtls_ecp_group_copy(&mbedtls_pk_ec(pk)->grp, &ec.grp), 0);
    int spki_len = mbedtls_pk_write_pubkey_der(&pk, spki, sizeof spki);
    assert_true(spki_len > 0);
    p = spki + sizeof spki - (size_t)spki_len;
    assert_int_equal(mh_pki_spki_parse(p, (size_t)spki_len, &key), 0);

    sha(MBEDTLS_MD_SHA256, message, sizeof message - 1, hash);
    /* sign until r has its top bit clear and s has it set, so the variants
     * below each break exactly one DER rule */
    for (int tries = 0;; tries++) {
        assert_true(tries < 200);
        assert_int_equal(mbedtls_ecdsa_sign(&ec.grp, &r, &s, &ec.d, hash, 32, mh_rng_mbedtls, NULL),
                         0);
        assert_int_equal(mbedtls_mpi_write_binary(&r, rb, 32), 0);
        assert_int_equal(mbedtls_mpi_write_binary(&s, sb, 32), 0);
        if (rb[0] >= 0x01 && rb[0] < 0x80 && (sb[0] & 0x80))
            break;
    }
    assert_int_equal(mbedtls_mpi_write_binary(&ec.grp.N, nb, 32), 0);

    size_t n = der_sig(sig, rb, 32, sb, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        sig, n, NULL),
                     0);
    /* mbedTLS's own verify agrees on the canonical form */
    assert_int_equal(mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, n), 0);
    memcpy(p1363, rb, 32);
    memcpy(p1363 + 32, sb, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_RAW, MBEDTLS_MD_SHA256, hash, 32,
                                        p1363, 64, NULL),
                     0);

    /* non-canonical DER of the same (r, s) */
    uint8_t v[170];
    size_t vl;
    size_t rlen = sig[3]; /* length of r's INTEGER contents */
    /* 1. long-form SEQUENCE length */
    v[0] = 0x30;
    v[1] = 0x81;
    v[2] = sig[1];
    memcpy(v + 3, sig + 2, n - 2);
    vl = n + 1;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* 2. long-form INTEGER length on r */
    v[0] = 0x30;
    v[1] = (uint8_t)(sig[1] + 1);
    v[2] = 0x02;
    v[3] = 0x81;
    memcpy(v + 4, sig + 3, n - 3);
    vl = n + 1;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* 3. an extra leading zero on r */
    v[0] = 0x30;
    v[1] = (uint8_t)(sig[1] + 1);
    v[2] = 0x02;
    v[3] = (uint8_t)(rlen + 1);
    v[4] = 0x00;
    memcpy(v + 5, sig + 4, n - 4);
    vl = n + 1;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* 4. a trailing byte after the SEQUENCE, and one inside it */
    memcpy(v, sig, n);
    v[n] = 0x00;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, n + 1, NULL),
                     MH_ERR_VERIFY_FAILED);
    v[1] = (uint8_t)(v[1] + 2);
    v[n] = 0x05;
    v[n + 1] = 0x00;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, n + 2, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* 5. indefinite length */
    v[0] = 0x30;
    v[1] = 0x80;
    memcpy(v + 2, sig + 2, n - 2);
    v[n] = 0;
    v[n + 1] = 0;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, n + 2, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* 6. s as a negative number (its top bit set without the zero pad) */
    vl = put_int(v + 2, rb, 32);
    v[2 + vl] = 0x02;
    v[3 + vl] = 32;
    memcpy(v + 4 + vl, sb, 32);
    v[0] = 0x30;
    v[1] = (uint8_t)(vl + 34);
    vl += 36;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* 7. the wrong tag */
    memcpy(v, sig, n);
    v[0] = 0x31;
    assert_int_equal(
        mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32, v, n, NULL),
        MH_ERR_VERIFY_FAILED);
    /* range: r = 0, s = 0, s = n, r = n, r = n + r (same value mod n) */
    static const uint8_t zero[1] = {0};
    vl = der_sig(v, zero, 1, sb, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    vl = der_sig(v, rb, 32, zero, 1);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    vl = der_sig(v, rb, 32, nb, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    vl = der_sig(v, nb, 32, sb, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    uint8_t big[33];
    assert_int_equal(mbedtls_mpi_add_mpi(&t, &r, &ec.grp.N), 0);
    assert_int_equal(mbedtls_mpi_write_binary(&t, big, 33), 0);
    vl = der_sig(v, big, 33, sb, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* (r, n - s) is the other valid signature ECDSA always has */
    uint8_t negs[32];
    assert_int_equal(mbedtls_mpi_sub_mpi(&t, &ec.grp.N, &s), 0);
    assert_int_equal(mbedtls_mpi_write_binary(&t, negs, 32), 0);
    vl = der_sig(v, rb, 32, negs, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32,
                                        v, vl, NULL),
                     0);
    /* P1363: exactly 64 bytes; r = 0 and s = n refused */
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_RAW, MBEDTLS_MD_SHA256, hash, 32,
                                        p1363, 63, NULL),
                     MH_ERR_VERIFY_FAILED);
    memcpy(v, p1363, 64);
    v[64] = 0;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_RAW, MBEDTLS_MD_SHA256, hash, 32,
                                        v, 65, NULL),
                     MH_ERR_VERIFY_FAILED);
    memset(v, 0, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_RAW, MBEDTLS_MD_SHA256, hash, 32,
                                        v, 64, NULL),
                     MH_ERR_VERIFY_FAILED);
    memcpy(v, rb, 32);
    memcpy(v + 32, nb, 32);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ECDSA, MH_SIG_RAW, MBEDTLS_MD_SHA256, hash, 32,
                                        v, 64, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* SHA-1 is outside the policy: refused by policy, not "forged" */
    assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA1,
                                       (const uint8_t *)message, 4, sig, n, NULL),
                     MH_ERR_ALG_REFUSED);

    mbedtls_pk_free(&pk);
    mbedtls_mpi_free(&t);
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecdsa_free(&ec);
}

/* ---- RSA ---- */

static void rsa_pkcs1(void **state)
{
    (void)state;
    mh_pki_pubkey key;
    uint8_t hash[64];
    size_t sig_len;
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null"
       " && openssl pkey -in rsa.pem -pubout -outform DER -out rsa.der"
       " && openssl dgst -sha256 -sign rsa.pem -out rsa.sig msg"
       " && openssl dgst -sha384 -sign rsa.pem -out rsa384.sig msg");
    load_key("rsa.der", 0, &key, 0);
    assert_int_equal(key.type, MH_PKI_KEY_RSA);
    assert_int_equal(key.bits, 2048);
    uint8_t *sig = slurp("rsa.sig", &sig_len);
    assert_int_equal(sig_len, 256);
    sha(MBEDTLS_MD_SHA256, message, sizeof message - 1, hash);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig, sig_len, NULL),
                     0);
    /* the hash algorithm is bound in the DigestInfo: SHA-384 over the same
     * message with this signature fails, and the SHA-384 one verifies */
    assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA384,
                                       (const uint8_t *)message, sizeof message - 1, sig, sig_len,
                                       NULL),
                     MH_ERR_VERIFY_FAILED);
    size_t l384;
    uint8_t *s384 = slurp("rsa384.sig", &l384);
    assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA384,
                                       (const uint8_t *)message, sizeof message - 1, s384, l384,
                                       NULL),
                     0);
    free(s384);
    /* a PKCS#1 signature is not a PSS one */
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig, sig_len, NULL),
                     MH_ERR_VERIFY_FAILED);
    hash[31] ^= 0x80;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig, sig_len, NULL),
                     MH_ERR_VERIFY_FAILED);
    hash[31] ^= 0x80;
    /* the length must be the modulus length: with a leading zero byte
     * added, or one dropped, refused */
    uint8_t longer[257];
    longer[0] = 0;
    memcpy(longer + 1, sig, 256);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, longer, 257, NULL),
                     MH_ERR_VERIFY_FAILED);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig + 1, 255, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* s = n, and s = 0 */
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, key.n, key.n_len, NULL),
                     MH_ERR_VERIFY_FAILED);
    memset(longer, 0, 256);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, longer, 256, NULL),
                     MH_ERR_VERIFY_FAILED);
    for (size_t b = 0; b < 256 * 8; b += 61) {
        sig[b / 8] ^= (uint8_t)(1u << (b % 8));
        assert_int_not_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER,
                                                MBEDTLS_MD_SHA256, hash, 32, sig, sig_len, NULL),
                             0);
        sig[b / 8] ^= (uint8_t)(1u << (b % 8));
    }

    /* a DigestInfo without the NULL parameters (Wycheproof's "MissingNull",
     * which some verifiers accept) made with the private key by openssl's
     * raw RSA: refused */
    static const uint8_t prefix_nonull[] = {0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48,
                                            0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20};
    static const uint8_t prefix_ok[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    for (int variant = 0; variant < 2; variant++) {
        char path[256];
        snprintf(path, sizeof path, "%s/di", dir);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        if (variant == 0)
            fwrite(prefix_nonull, 1, sizeof prefix_nonull, f);
        else
            fwrite(prefix_ok, 1, sizeof prefix_ok, f);
        fwrite(hash, 1, 32, f);
        fclose(f);
        sh("openssl pkeyutl -sign -inkey rsa.pem -pkeyopt rsa_padding_mode:pkcs1 -in di -out "
           "di.sig");
        size_t dl;
        uint8_t *ds = slurp("di.sig", &dl);
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256,
                                            hash, 32, ds, dl, NULL),
                         variant == 0 ? MH_ERR_VERIFY_FAILED : 0);
        free(ds);
    }

    /* mbedTLS signs with the same key: we agree */
    mbedtls_pk_context pk;
    uint8_t msig[512];
    size_t mlen;
    char path[256];
    snprintf(path, sizeof path, "%s/rsa.pem", dir);
    mbedtls_pk_init(&pk);
    assert_int_equal(mbedtls_pk_parse_keyfile(&pk, path, NULL), 0);
    assert_int_equal(
        mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, msig, &mlen, mh_rng_mbedtls, NULL), 0);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, msig, mlen, NULL),
                     0);
    /* and mbedTLS-made PSS (MGF1 = message hash, salt = max or hash length) */
    mbedtls_rsa_set_padding(mbedtls_pk_rsa(pk), MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    assert_int_equal(
        mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, msig, &mlen, mh_rng_mbedtls, NULL), 0);
    struct mh_pki_pss_params any = {.mgf1_md = MBEDTLS_MD_SHA256, .salt_any = true};
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, msig, mlen, &any),
                     0);
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, msig, mlen, NULL),
                     MH_ERR_VERIFY_FAILED);
    mbedtls_pk_free(&pk);
    free(sig);
}

static void rsa_pss(void **state)
{
    (void)state;
    static const struct {
        const char *dgst, *mgf;
        mbedtls_md_type_t md, mgf_md;
        size_t salt;
    } cases[] = {
        {"sha256", "sha256", MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA256, 32},
        {"sha256", "sha1", MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA1, 20},
        {"sha256", "sha1", MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA1, 0},
        {"sha256", "sha256", MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA256, 0},
        {"sha512", "sha256", MBEDTLS_MD_SHA512, MBEDTLS_MD_SHA256, 64},
        {"sha384", "sha512", MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512, 100},
    };
    mh_pki_pubkey key;
    uint8_t hash[64];
    sh("test -f rsa.der || (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "
       "rsa.pem 2>/dev/null && openssl pkey -in rsa.pem -pubout -outform DER -out rsa.der)");
    load_key("rsa.der", 0, &key, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t sig_len;
        sh("openssl dgst -%s -sign rsa.pem -sigopt rsa_padding_mode:pss -sigopt "
           "rsa_pss_saltlen:%zu -sigopt rsa_mgf1_md:%s -out pss.sig msg",
           cases[i].dgst, cases[i].salt, cases[i].mgf);
        uint8_t *sig = slurp("pss.sig", &sig_len);
        size_t hl = mbedtls_md_get_size(mbedtls_md_info_from_type(cases[i].md));
        sha(cases[i].md, message, sizeof message - 1, hash);
        struct mh_pki_pss_params p = {.mgf1_md = cases[i].mgf_md, .salt_len = cases[i].salt};
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, cases[i].md, hash, hl,
                                            sig, sig_len, &p),
                         0);
        /* any salt length: found and accepted */
        struct mh_pki_pss_params any = p;
        any.salt_any = true;
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, cases[i].md, hash, hl,
                                            sig, sig_len, &any),
                         0);
        /* salt length mismatch, either way */
        struct mh_pki_pss_params q = p;
        q.salt_len = p.salt_len + 1;
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, cases[i].md, hash, hl,
                                            sig, sig_len, &q),
                         MH_ERR_VERIFY_FAILED);
        if (p.salt_len > 0) {
            q.salt_len = p.salt_len - 1;
            assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, cases[i].md, hash,
                                                hl, sig, sig_len, &q),
                             MH_ERR_VERIFY_FAILED);
        }
        /* another MGF1 hash */
        q = p;
        q.mgf1_md = cases[i].mgf_md == MBEDTLS_MD_SHA1 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA1;
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, cases[i].md, hash, hl,
                                            sig, sig_len, &q),
                         MH_ERR_VERIFY_FAILED);
        /* default parameters (MGF1 = md, salt = hash length) match only
         * where openssl used those */
        int rc = mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, cases[i].md, hash, hl, sig,
                                    sig_len, NULL);
        assert_int_equal(
            rc, cases[i].md == cases[i].mgf_md && cases[i].salt == hl ? 0 : MH_ERR_VERIFY_FAILED);
        hash[0] ^= 1;
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, cases[i].md, hash, hl,
                                            sig, sig_len, &p),
                         MH_ERR_VERIFY_FAILED);
        assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, cases[i].md, hash,
                                            hl, sig, sig_len, NULL),
                         MH_ERR_VERIFY_FAILED);
        free(sig);
    }
}

static void rsa_pss_key(void **state)
{
    (void)state;
    mh_pki_pubkey key;
    uint8_t hash[64];
    size_t sig_len;
    sh("openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -pkeyopt "
       "rsa_pss_keygen_md:sha256 -pkeyopt rsa_pss_keygen_mgf1_md:sha256 -pkeyopt "
       "rsa_pss_keygen_saltlen:32 -out pss.pem 2>/dev/null"
       " && openssl pkey -in pss.pem -pubout -outform DER -out pss.der"
       " && openssl dgst -sha256 -sign pss.pem -out psskey.sig msg");
    load_key("pss.der", 0, &key, 0);
    assert_int_equal(key.type, MH_PKI_KEY_RSA_PSS);
    assert_true(key.pss_restricted);
    assert_int_equal(key.pss_md, MBEDTLS_MD_SHA256);
    assert_int_equal(key.pss.mgf1_md, MBEDTLS_MD_SHA256);
    assert_int_equal(key.pss.salt_len, 32);
    uint8_t *sig = slurp("psskey.sig", &sig_len);
    sha(MBEDTLS_MD_SHA256, message, sizeof message - 1, hash);
    /* NULL: the key's parameters */
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig, sig_len, NULL),
                     0);
    /* a PSS key never makes PKCS#1 v1.5 signatures */
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig, sig_len, NULL),
                     MH_ERR_VERIFY_FAILED);
    /* another hash than the key's, another MGF1 hash, a shorter salt */
    assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_RSA_PSS, MH_SIG_DER, MBEDTLS_MD_SHA384,
                                       (const uint8_t *)message, sizeof message - 1, sig, sig_len,
                                       NULL),
                     MH_ERR_VERIFY_FAILED);
    struct mh_pki_pss_params p = {.mgf1_md = MBEDTLS_MD_SHA1, .salt_len = 32};
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig, sig_len, &p),
                     MH_ERR_VERIFY_FAILED);
    p.mgf1_md = MBEDTLS_MD_SHA256;
    p.salt_len = 20;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig, sig_len, &p),
                     MH_ERR_VERIFY_FAILED);
    free(sig);
    /* a signature with a longer salt than the key's minimum is allowed */
    sh("openssl dgst -sha256 -sign pss.pem -sigopt rsa_pss_saltlen:48 -out psskey48.sig msg");
    sig = slurp("psskey48.sig", &sig_len);
    p.salt_len = 48;
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_RSA_PSS, MH_SIG_DER, MBEDTLS_MD_SHA256, hash,
                                        32, sig, sig_len, &p),
                     0);
    free(sig);
    /* an unrestricted id-RSASSA-PSS key (no parameters) */
    sh("openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out pss0.pem "
       "2>/dev/null && openssl pkey -in pss0.pem -pubout -outform DER -out pss0.der"
       " && openssl dgst -sha384 -sign pss0.pem -sigopt rsa_pss_saltlen:48 -out pss0.sig msg");
    load_key("pss0.der", 0, &key, 0);
    assert_int_equal(key.type, MH_PKI_KEY_RSA_PSS);
    assert_false(key.pss_restricted);
    sig = slurp("pss0.sig", &sig_len);
    assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_RSA_PSS, MH_SIG_DER, MBEDTLS_MD_SHA384,
                                       (const uint8_t *)message, sizeof message - 1, sig, sig_len,
                                       NULL),
                     0);
    free(sig);
}

/* ---- keys ---- */

static void spki_policy(void **state)
{
    (void)state;
    mh_pki_pubkey key;
    /* explicit curve parameters, compressed points, other curves, DSA,
     * small RSA: unsupported, with a reason */
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt "
       "ec_param_enc:explicit -out ecx.pem 2>/dev/null"
       " && openssl pkey -in ecx.pem -pubout -outform DER -out ecx.der");
    load_key("ecx.der", 0, &key, MH_ERR_UNSUPPORTED_ALG);
    assert_non_null(strstr(mh_err_message(MH_ERR_UNSUPPORTED_ALG), "explicit"));
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ecc.pem 2>/dev/null"
       " && openssl ec -in ecc.pem -pubout -conv_form compressed -outform DER -out ecc.der "
       "2>/dev/null");
    load_key("ecc.der", 0, &key, MH_ERR_UNSUPPORTED_ALG);
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out eck.pem "
       "2>/dev/null && openssl pkey -in eck.pem -pubout -outform DER -out eck.der");
    load_key("eck.der", 0, &key, MH_ERR_UNSUPPORTED_ALG);
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out r1k.pem 2>/dev/null"
       " && openssl pkey -in r1k.pem -pubout -outform DER -out r1k.der"
       " && openssl dgst -sha1 -sign r1k.pem -out r1k.sig msg");
    load_key("r1k.der", 0, &key, MH_ERR_ALG_REFUSED);
    /* legacy mode takes it, and SHA-1 with it */
    load_key("r1k.der", MH_PKI_SPKI_LEGACY, &key, 0);
    size_t sl;
    uint8_t *sig = slurp("r1k.sig", &sl);
    assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_RSA_PKCS1, MH_SIG_DER, MBEDTLS_MD_SHA1,
                                       (const uint8_t *)message, sizeof message - 1, sig, sl, NULL),
                     0);
    free(sig);
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt "
       "rsa_keygen_pubexp:3 -out re3.pem 2>/dev/null"
       " && openssl pkey -in re3.pem -pubout -outform DER -out re3.der");
    load_key("re3.der", 0, &key, MH_ERR_ALG_REFUSED);
    load_key("re3.der", MH_PKI_SPKI_LEGACY, &key, 0);
    sh("openssl genpkey -algorithm X25519 -out x.pem && openssl pkey -in x.pem -pubout -outform "
       "DER -out x.der");
    load_key("x.der", 0, &key, MH_ERR_UNSUPPORTED_ALG);

    /* malformed: trailing byte, every truncation, a flipped tag */
    size_t len;
    sh("openssl pkey -in re3.pem -pubout -outform DER -out rsa3.der");
    uint8_t *der = slurp("rsa3.der", &len);
    der[len] = 0;
    assert_int_equal(mh_pki_spki_parse(der, len + 1, &key), MH_ERR_PARSE);
    for (size_t n = 0; n < len; n++)
        assert_int_not_equal(mh_pki_spki_parse(der, n, &key), 0);
    assert_int_equal(key.type, MH_PKI_KEY_NONE); /* zeroed on failure */
    der[0] = 0x31;
    assert_int_equal(mh_pki_spki_parse(der, len, &key), MH_ERR_PARSE);
    free(der);
    sh("openssl pkey -in ecc.pem -pubout -outform DER -out ecu.der");
    der = slurp("ecu.der", &len);
    for (size_t n = 0; n < len; n++)
        assert_int_not_equal(mh_pki_spki_parse(der, n, &key), 0);
    /* a point off the curve */
    der[len - 1] ^= 1;
    assert_int_equal(mh_pki_spki_parse(der, len, &key), MH_ERR_PARSE);
    free(der);
    assert_int_equal(mh_pki_spki_parse(NULL, 10, &key), MH_ERR_INVALID_ARG);
    static uint8_t huge[5000];
    assert_int_equal(mh_pki_spki_parse(huge, sizeof huge, &key), MH_ERR_TOO_LARGE);
}

static void ed25519(void **state)
{
    (void)state;
    mh_pki_pubkey key;
    size_t sl;
    sh("openssl genpkey -algorithm ED25519 -out ed.pem"
       " && openssl pkey -in ed.pem -pubout -outform DER -out ed.der"
       " && openssl pkeyutl -sign -rawin -inkey ed.pem -in msg -out ed.sig");
    load_key("ed.der", 0, &key, 0);
    assert_int_equal(key.type, MH_PKI_KEY_ED25519);
    uint8_t *sig = slurp("ed.sig", &sl);
    assert_int_equal(sl, 64);
    uint8_t hash[64] = {0};
    assert_int_equal(mh_pki_verify_hash(&key, MH_SIG_ED25519, MH_SIG_DER, MBEDTLS_MD_SHA512, hash,
                                        64, sig, sl, NULL),
                     MH_ERR_UNSUPPORTED_ALG);
    int rc = mh_pki_verify_msg(&key, MH_SIG_ED25519, MH_SIG_DER, MBEDTLS_MD_NONE,
                               (const uint8_t *)message, sizeof message - 1, sig, sl, NULL);
    if (rc == MH_ERR_UNSUPPORTED_ALG) {
        print_message("NOTE: built without pki/sig/ed25519.c: Ed25519 reported unsupported\n");
    } else {
        assert_int_equal(rc, 0);
        sig[10] ^= 4;
        assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_ED25519, MH_SIG_DER, MBEDTLS_MD_NONE,
                                           (const uint8_t *)message, sizeof message - 1, sig, sl,
                                           NULL),
                         MH_ERR_VERIFY_FAILED);
        sig[10] ^= 4;
        assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_ED25519, MH_SIG_DER, MBEDTLS_MD_NONE,
                                           (const uint8_t *)message, sizeof message - 2, sig, sl,
                                           NULL),
                         MH_ERR_VERIFY_FAILED);
    }
    assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_ED25519, MH_SIG_DER, MBEDTLS_MD_NONE,
                                       (const uint8_t *)message, sizeof message - 1, sig, 63, NULL),
                     MH_ERR_VERIFY_FAILED);
    assert_int_equal(mh_pki_verify_msg(&key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256,
                                       (const uint8_t *)message, sizeof message - 1, sig, sl, NULL),
                     MH_ERR_VERIFY_FAILED);
    free(sig);
}

/* pki/sig's ECDSA seam: on every curve and through every backend, the
 * strict checks in front decide the form and the ranges (r = n, r = 0 are
 * refused as out of range; r = n - 1 reaches the backend and fails the
 * equation, which also proves the built-in order constants equal mbedTLS's
 * N), the backends agree on valid and forged signatures and on points off
 * the curve. */
static void ecdsa_backends(void **state)
{
    (void)state;
    static const mbedtls_ecp_group_id ids[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
                                               MBEDTLS_ECP_DP_SECP521R1};
    const mh_pki_ecdsa_backend *backends[] = {
        &mh_pki_ecdsa_backend_mbedtls,
#ifdef MH_PKI_HAVE_OPENSSL
        &mh_pki_ecdsa_backend_openssl,
#endif
    };
#ifdef MH_PKI_HAVE_OPENSSL
    assert_string_equal(mh_pki_ecdsa_backend_get()->name, "openssl");
#else
    assert_string_equal(mh_pki_ecdsa_backend_get()->name, "mbedtls");
#endif
    for (size_t c = 0; c < sizeof ids / sizeof ids[0]; c++) {
        mbedtls_ecdsa_context ec;
        mbedtls_mpi r, s;
        uint8_t pt[133], rs[132], bad[132], hash[64], der[160], raw[132];
        size_t ptl = 0, rawl = 0;
        mbedtls_ecdsa_init(&ec);
        mbedtls_mpi_init(&r);
        mbedtls_mpi_init(&s);
        assert_int_equal(mbedtls_ecdsa_genkey(&ec, ids[c], mh_rng_mbedtls, NULL), 0);
        size_t nl = mh_pki_ec_order_len(ids[c]);
        assert_int_equal(nl, mbedtls_mpi_size(&ec.grp.P));
        assert_int_equal(mbedtls_ecp_point_write_binary(&ec.grp, &ec.Q, MBEDTLS_ECP_PF_UNCOMPRESSED,
                                                        &ptl, pt, sizeof pt),
                         0);
        sha(MBEDTLS_MD_SHA512, message, sizeof message - 1, hash);
        assert_int_equal(mbedtls_ecdsa_sign(&ec.grp, &r, &s, &ec.d, hash, nl < 64 ? nl : 64,
                                            mh_rng_mbedtls, NULL),
                         0);
        assert_int_equal(mbedtls_mpi_write_binary(&r, rs, nl), 0);
        assert_int_equal(mbedtls_mpi_write_binary(&s, rs + nl, nl), 0);
        size_t dl = der_sig(der, rs, nl, rs + nl, nl);
        assert_int_equal(mh_pki_ecdsa_der_to_raw(ids[c], der, dl, raw, sizeof raw, &rawl), 0);
        assert_int_equal(rawl, 2 * nl);
        assert_memory_equal(raw, rs, 2 * nl);
        for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
            mh_pki_ecdsa_backend_set(backends[b]);
            assert_ptr_equal(mh_pki_ecdsa_backend_get(), backends[b]);
            /* valid, DER and raw; the hash is cut to the order's length */
            assert_int_equal(mh_pki_ecdsa_verify(ids[c], pt, ptl, hash, 64, MH_SIG_DER, der, dl),
                             0);
            assert_int_equal(mh_pki_ecdsa_verify(ids[c], pt, ptl, hash, 64, MH_SIG_RAW, rs, 2 * nl),
                             0);
            /* another hash */
            hash[0] ^= 1;
            assert_int_equal(mh_pki_ecdsa_verify(ids[c], pt, ptl, hash, 64, MH_SIG_RAW, rs, 2 * nl),
                             MH_ERR_VERIFY_FAILED);
            assert_non_null(strstr(mh_err_message(MH_ERR_VERIFY_FAILED), "equation"));
            hash[0] ^= 1;
            /* r = n, r = n - 1, r = 0, s = n */
            memcpy(bad, rs, 2 * nl);
            assert_int_equal(mbedtls_mpi_write_binary(&ec.grp.N, bad, nl), 0);
            assert_int_equal(
                mh_pki_ecdsa_verify(ids[c], pt, ptl, hash, 64, MH_SIG_RAW, bad, 2 * nl),
                MH_ERR_VERIFY_FAILED);
            assert_non_null(strstr(mh_err_message(MH_ERR_VERIFY_FAILED), "outside [1, n-1]"));
            bad[nl - 1]--; /* N is odd: no borrow */
            assert_int_equal(
                mh_pki_ecdsa_verify(ids[c], pt, ptl, hash, 64, MH_SIG_RAW, bad, 2 * nl),
                MH_ERR_VERIFY_FAILED);
            assert_non_null(strstr(mh_err_message(MH_ERR_VERIFY_FAILED), "equation"));
            memset(bad, 0, nl);
            assert_int_equal(
                mh_pki_ecdsa_verify(ids[c], pt, ptl, hash, 64, MH_SIG_RAW, bad, 2 * nl),
                MH_ERR_VERIFY_FAILED);
            assert_non_null(strstr(mh_err_message(MH_ERR_VERIFY_FAILED), "outside [1, n-1]"));
            memcpy(bad, rs, nl);
            assert_int_equal(mbedtls_mpi_write_binary(&ec.grp.N, bad + nl, nl), 0);
            assert_int_equal(
                mh_pki_ecdsa_verify(ids[c], pt, ptl, hash, 64, MH_SIG_RAW, bad, 2 * nl),
                MH_ERR_VERIFY_FAILED);
            assert_non_null(strstr(mh_err_message(MH_ERR_VERIFY_FAILED), "outside [1, n-1]"));
            /* a point off the curve, and a compressed one */
            assert_int_equal(mh_pki_ec_point_check(ids[c], pt, ptl), 0);
            pt[ptl - 1] ^= 1;
            assert_int_equal(mh_pki_ec_point_check(ids[c], pt, ptl), MH_ERR_INVALID_ARG);
            assert_int_equal(mh_pki_ecdsa_verify(ids[c], pt, ptl, hash, 64, MH_SIG_DER, der, dl),
                             MH_ERR_INVALID_ARG);
            pt[ptl - 1] ^= 1;
            assert_int_equal(mh_pki_ec_point_check(ids[c], pt, 1 + nl), MH_ERR_INVALID_ARG);
        }
        mh_pki_ecdsa_backend_set(NULL);
        mbedtls_mpi_free(&r);
        mbedtls_mpi_free(&s);
        mbedtls_ecdsa_free(&ec);
    }
    assert_int_equal(mh_pki_ec_order_len(MBEDTLS_ECP_DP_SECP256K1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ecdsa_openssl), cmocka_unit_test(ecdsa_handmade),
        cmocka_unit_test(rsa_pkcs1),     cmocka_unit_test(rsa_pss),
        cmocka_unit_test(rsa_pss_key),   cmocka_unit_test(spki_policy),
        cmocka_unit_test(ed25519),       cmocka_unit_test(ecdsa_backends),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
