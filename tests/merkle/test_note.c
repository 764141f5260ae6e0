/* test_note.c - Ed25519 (RFC 8032 vectors, openssl-made signatures,
 * non-canonical encodings), signed notes (round trips with an mbedTLS ECDSA
 * key and an openssl Ed25519 key, malformed notes), checkpoints and
 * cosignatures. openssl is the independent signer. */
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
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "mh_pki.h"
#include "../common/test_signer.h"

static char tmpdir[] = "/tmp/mh-note-XXXXXX";

static void hex(const char *s, uint8_t *out)
{
    size_t n = strlen(s) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static size_t read_file(const char *path, void *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* ---- Ed25519 ---- */

/* RFC 8032 section 7.1, tests 1, 2, 3 and SHA(abc) (its message is the
 * SHA-512 of "abc"). */
struct rfcvec {
    const char *seed, *pub, *msg, *sig;
};
static const struct rfcvec RFC8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "46"
     "bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d8"
     "c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
     "65"
     "94a7c15e9716ed28dc027beceea1ec40a"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf", "abc",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e"
     "03"
     "03dca179c138ac17ad9bef1177331a704"},
};

static size_t rfc_msg(const struct rfcvec *v, uint8_t *m)
{
    if (strcmp(v->msg, "abc") == 0) {
        assert_int_equal(mbedtls_sha512_ret((const uint8_t *)"abc", 3, m, 0), 0);
        return 64;
    }
    hex(v->msg, m);
    return strlen(v->msg) / 2;
}

/* openssl signs with a raw 32-byte seed (PKCS#8 wrapping of RFC 8410). */
static void openssl_sign_seed(const uint8_t seed[32], const uint8_t *msg, size_t len,
                              uint8_t sig[64])
{
    static const uint8_t p8[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
    uint8_t der[sizeof p8 + 32];
    char cmd[1024], p[512];
    memcpy(der, p8, sizeof p8);
    memcpy(der + sizeof p8, seed, 32);
    snprintf(p, sizeof p, "%s/seed.der", tmpdir);
    write_file(p, der, sizeof der);
    snprintf(p, sizeof p, "%s/m", tmpdir);
    write_file(p, msg, len);
    snprintf(cmd, sizeof cmd,
             "openssl pkeyutl -sign -rawin -keyform DER -inkey %s/seed.der -in %s/m -out %s/s",
             tmpdir, tmpdir, tmpdir);
    assert_int_equal(run(cmd), 0);
    snprintf(p, sizeof p, "%s/s", tmpdir);
    assert_int_equal(read_file(p, sig, 64), 64);
}

static void ed25519_rfc8032(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof RFC8032 / sizeof RFC8032[0]; i++) {
        uint8_t pub[32], sig[64], m[64], seed[32], osig[64];
        hex(RFC8032[i].pub, pub);
        hex(RFC8032[i].sig, sig);
        hex(RFC8032[i].seed, seed);
        size_t n = rfc_msg(&RFC8032[i], m);
        /* the typed-in vector is what openssl makes from the same seed
         * (openssl 3.0's pkeyutl cannot sign an empty file: test 1) */
        if (n) {
            openssl_sign_seed(seed, m, n, osig);
            assert_memory_equal(osig, sig, 64);
        }
        assert_int_equal(mh_ed25519_verify(pub, m, n, sig), 0);
        /* one bit flip in three of the first signature, fewer of the others,
         * of the key and of the message */
        for (size_t b = 0; b < 512; b += i == 0 ? 3 : 17) {
            sig[b / 8] ^= (uint8_t)(1u << (b % 8));
            assert_int_not_equal(mh_ed25519_verify(pub, m, n, sig), 0);
            sig[b / 8] ^= (uint8_t)(1u << (b % 8));
        }
        for (size_t b = 0; b < 256; b += 11) {
            pub[b / 8] ^= (uint8_t)(1u << (b % 8));
            assert_int_not_equal(mh_ed25519_verify(pub, m, n, sig), 0);
            pub[b / 8] ^= (uint8_t)(1u << (b % 8));
        }
        if (n) {
            m[n - 1] ^= 1;
            assert_int_not_equal(mh_ed25519_verify(pub, m, n, sig), 0);
            m[n - 1] ^= 1;
        }
        assert_int_not_equal(mh_ed25519_verify(pub, m, n + 1, sig), 0);
    }
}

/* Adds L to S: the same signature with a non-canonical scalar. */
static void add_l(uint8_t s[32])
{
    static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
    unsigned c = 0;
    for (int i = 0; i < 32; i++) {
        c += (unsigned)s[i] + L[i];
        s[i] = (uint8_t)c;
        c >>= 8;
    }
}

static void ed25519_noncanonical(void **state)
{
    (void)state;
    uint8_t pub[32], sig[64], m[64];
    hex(RFC8032[0].pub, pub);
    hex(RFC8032[0].sig, sig);
    size_t n = rfc_msg(&RFC8032[0], m);
    /* S + L: mathematically the same, but malleable */
    add_l(sig + 32);
    assert_int_equal(mh_ed25519_verify(pub, m, n, sig), MH_ERR_VERIFY_FAILED);
    /* small-order keys: the identity (y = 1) and the point of order 2
     * (y = -1), which verify anything under a cofactored rule */
    uint8_t ident[32] = {1};
    uint8_t zero_sig[64] = {1}; /* R = identity, S = 0 */
    assert_int_equal(mh_ed25519_verify(ident, m, n, zero_sig), MH_ERR_VERIFY_FAILED);
    uint8_t order2[32];
    memset(order2, 0xff, 32);
    order2[0] = 0xec; /* p - 1 */
    order2[31] = 0x7f;
    assert_int_equal(mh_ed25519_verify(order2, m, n, zero_sig), MH_ERR_VERIFY_FAILED);
    /* non-canonical A: y = p + 1 encodes the identity again */
    uint8_t ncy[32];
    memset(ncy, 0xff, 32);
    ncy[0] = 0xee;
    ncy[31] = 0x7f;
    assert_int_equal(mh_ed25519_verify(ncy, m, n, zero_sig), MH_ERR_VERIFY_FAILED);
    /* x = 0 with the sign bit set ("negative zero") */
    uint8_t negzero[32] = {1};
    negzero[31] = 0x80;
    assert_int_equal(mh_ed25519_verify(negzero, m, n, zero_sig), MH_ERR_VERIFY_FAILED);
    /* a y with no point: y = 2 is not on the curve */
    uint8_t offcurve[32] = {2};
    hex(RFC8032[0].sig, sig);
    assert_int_equal(mh_ed25519_verify(offcurve, m, n, sig), MH_ERR_VERIFY_FAILED);
    /* R replaced by a non-canonical encoding of itself cannot match */
    uint8_t r2[64];
    memcpy(r2, sig, 64);
    r2[31] ^= 0x80;
    assert_int_equal(mh_ed25519_verify(pub, m, n, r2), MH_ERR_VERIFY_FAILED);
}

/* An openssl Ed25519 key in tmpdir: key.pem and its raw public key. */
static uint8_t ossl_pub[32];

static void openssl_key(void)
{
    char cmd[1024], p[512];
    uint8_t der[64];
    snprintf(cmd, sizeof cmd,
             "openssl genpkey -algorithm ed25519 -out %s/key.pem && openssl pkey -in %s/key.pem "
             "-pubout -outform DER -out %s/pub.der",
             tmpdir, tmpdir, tmpdir);
    assert_int_equal(run(cmd), 0);
    snprintf(p, sizeof p, "%s/pub.der", tmpdir);
    assert_int_equal(read_file(p, der, sizeof der), 44);
    memcpy(ossl_pub, der + 12, 32);
}

/* The signer callback: openssl pkeyutl -sign -rawin with key.pem. */
static int openssl_signer(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                          size_t *sig_len)
{
    char cmd[1024], p[512];
    (void)ctx;
    snprintf(p, sizeof p, "%s/msg", tmpdir);
    write_file(p, msg, len);
    snprintf(cmd, sizeof cmd,
             "openssl pkeyutl -sign -rawin -inkey %s/key.pem -in %s/msg -out %s/sig", tmpdir,
             tmpdir, tmpdir);
    if (run(cmd) != 0 || cap < 64)
        return MH_ERR_INTERNAL;
    snprintf(p, sizeof p, "%s/sig", tmpdir);
    *sig_len = read_file(p, sig, cap);
    return 0;
}

static void ed25519_openssl(void **state)
{
    (void)state;
    uint8_t msg[3000], sig[64];
    size_t sl;
    openssl_key();
    for (size_t i = 0; i < 12; i++) {
        size_t len = 1 + i * i * 20; /* openssl pkeyutl cannot sign empty files */
        for (size_t j = 0; j < len; j++)
            msg[j] = (uint8_t)(j * 131 + i);
        assert_int_equal(openssl_signer(NULL, msg, len, sig, sizeof sig, &sl), 0);
        assert_int_equal(sl, 64);
        assert_int_equal(mh_ed25519_verify(ossl_pub, msg, len, sig), 0);
        sig[i % 64] ^= 0x10;
        assert_int_equal(mh_ed25519_verify(ossl_pub, msg, len, sig), MH_ERR_VERIFY_FAILED);
        sig[i % 64] ^= 0x10;
        if (len) {
            msg[len / 2] ^= 0x01;
            assert_int_equal(mh_ed25519_verify(ossl_pub, msg, len, sig), MH_ERR_VERIFY_FAILED);
        }
    }
}

/* ---- notes ---- */

struct ecdsa_signer {
    mbedtls_ecdsa_context key;
};

/* The openssl key (Ed25519) as an mh_signer: signs messages with the CLI. */
static int openssl_sign_op(const mh_signer *self, mbedtls_md_type_t md, const uint8_t *in,
                           size_t len, bool message, enum mh_sig_enc enc, uint8_t *sig, size_t cap,
                           size_t *sig_len)
{
    (void)self;
    (void)md;
    (void)enc;
    if (!message)
        return MH_ERR_KEY_TYPE;
    return openssl_signer(NULL, in, len, sig, cap, sig_len);
}

static const mh_signer openssl_ed25519 = {
    .sign = openssl_sign_op, .alg = MH_SIG_ED25519, .name = "the openssl key"};

static void note_ecdsa_round_trip(void **state)
{
    (void)state;
    struct ecdsa_signer s;
    mbedtls_pk_context pk;
    uint8_t spki_buf[200], id[4];
    char vkey[MH_NOTE_MAX_VKEY], note[4096];
    size_t vl, nl;
    mh_note_vkey k[2];
    mh_note_status st[2];
    mbedtls_ecdsa_init(&s.key);
    mbedtls_pk_init(&pk);
    assert_int_equal(mbedtls_ecdsa_genkey(&s.key, MBEDTLS_ECP_DP_SECP256R1, mh_rng_mbedtls, NULL),
                     0);
    assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_copy(&mbedtls_pk_ec(pk)->Q, &s.key.Q), 0);
    assert_int_equal(mbedtls_ecp_group_copy(&mbedtls_pk_ec(pk)->grp, &s.key.grp), 0);
    assert_int_equal(mbedtls_mpi_copy(&mbedtls_pk_ec(pk)->d, &s.key.d), 0);
    int spl = mbedtls_pk_write_pubkey_der(&pk, spki_buf, sizeof spki_buf);
    assert_true(spl > 0);
    const uint8_t *spki = spki_buf + sizeof spki_buf - spl;

    assert_int_equal(mh_note_vkey_format("registry.example/log", MH_NOTE_ECDSA, spki, (size_t)spl,
                                         vkey, sizeof vkey, &vl),
                     0);
    assert_int_equal(mh_note_vkey_parse(vkey, vl, &k[0]), 0);
    assert_int_equal(
        mh_note_keyid("registry.example/log", 20, MH_NOTE_ECDSA, spki, (size_t)spl, id), 0);
    /* key ID = SHA-256(SPKI)[:4], independently */
    uint8_t h[32];
    assert_int_equal(mbedtls_sha256_ret(spki, (size_t)spl, h, 0), 0);
    assert_memory_equal(id, h, 4);
    assert_memory_equal(k[0].id, h, 4);

    const char *text = "registry.example/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    assert_int_equal(mh_note_sign(text, strlen(text), "registry.example/log", MH_NOTE_ECDSA, id,
                                  test_signer(&pk), note, sizeof note, &nl),
                     0);
    assert_int_equal(strlen(note), nl);
    assert_int_equal(mh_note_verify(note, nl, k, 1, st, NULL), 0);
    assert_true(st[0].verified);
    /* the checkpoint inside parses */
    mh_checkpoint cp;
    assert_int_equal(mh_checkpoint_parse(note, nl, &cp), 0);
    assert_int_equal(cp.size, 42);
    /* altered text: a known key's signature that fails is an error */
    note[21] = '3';
    assert_int_equal(mh_note_verify(note, nl, k, 1, st, NULL), MH_ERR_VERIFY_FAILED);
    assert_false(st[0].verified);
    note[21] = '4';
    /* a key of another name is unknown: not verified, not an error of
     * the signature */
    char vk2[MH_NOTE_MAX_VKEY];
    size_t v2l;
    assert_int_equal(
        mh_note_vkey_format("other", MH_NOTE_ECDSA, spki, (size_t)spl, vk2, sizeof vk2, &v2l), 0);
    assert_int_equal(mh_note_vkey_parse(vk2, v2l, &k[1]), 0);
    assert_int_equal(mh_note_verify(note, nl, &k[1], 1, st, NULL), MH_ERR_NOT_FOUND);
    /* the independent check: openssl verifies the signature line's bytes */
    {
        const char *sp = strrchr(note, ' ');
        uint8_t raw[200];
        size_t rl;
        char p[512], cmd[1024];
        assert_int_equal(mh_base64_decode(sp + 1, strlen(sp + 1) - 1, raw, sizeof raw, &rl), 0);
        snprintf(p, sizeof p, "%s/ec.sig", tmpdir);
        write_file(p, raw + 4, rl - 4);
        snprintf(p, sizeof p, "%s/ec.pub", tmpdir);
        write_file(p, spki, (size_t)spl);
        snprintf(p, sizeof p, "%s/ec.txt", tmpdir);
        write_file(p, text, strlen(text));
        snprintf(cmd, sizeof cmd,
                 "openssl dgst -sha256 -verify %s/ec.pub -keyform DER -signature %s/ec.sig "
                 "%s/ec.txt >/dev/null",
                 tmpdir, tmpdir, tmpdir);
        assert_int_equal(run(cmd), 0);
    }
    /* a signature by an unknown key beside a good one is ignored */
    char two[8192];
    size_t tl = nl;
    memcpy(two, note, nl);
    const char *extra = "\xe2\x80\x94 someone AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
    memcpy(two + tl, extra, strlen(extra) + 1);
    tl += strlen(extra);
    assert_int_equal(mh_note_verify(two, tl, k, 2, st, NULL), 0);
    assert_true(st[0].verified);
    assert_false(st[1].verified);

    mbedtls_pk_free(&pk);
    mbedtls_ecdsa_free(&s.key);
}

static void note_ed25519_openssl(void **state)
{
    (void)state;
    char vkey[MH_NOTE_MAX_VKEY], note[4096];
    size_t vl, nl;
    mh_note_vkey k;
    mh_note_status st;
    uint8_t id[4];
    if (ossl_pub[0] == 0 && ossl_pub[1] == 0)
        openssl_key();
    assert_int_equal(mh_note_vkey_format("notary.example", MH_NOTE_ED25519, ossl_pub, 32, vkey,
                                         sizeof vkey, &vl),
                     0);
    assert_int_equal(mh_note_vkey_parse(vkey, vl, &k), 0);
    /* key ID = SHA-256(name || 0x0A || 0x01 || key)[:4], independently */
    uint8_t buf[14 + 2 + 32], h[32];
    memcpy(buf, "notary.example\n\x01", 16);
    memcpy(buf + 16, ossl_pub, 32);
    assert_int_equal(mbedtls_sha256_ret(buf, sizeof buf, h, 0), 0);
    assert_memory_equal(k.id, h, 4);
    memcpy(id, k.id, 4);
    const char *text = "Az\xc9\x99rbaycan notary act 17\n\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
                       "\xd1\x82\n";
    assert_int_equal(mh_note_sign(text, strlen(text), "notary.example", MH_NOTE_ED25519, id,
                                  &openssl_ed25519, note, sizeof note, &nl),
                     0);
    assert_int_equal(mh_note_verify(note, nl, &k, 1, &st, NULL), 0);
    assert_true(st.verified);
    note[3] ^= 0x01;
    assert_int_equal(mh_note_verify(note, nl, &k, 1, &st, NULL), MH_ERR_VERIFY_FAILED);
    /* mh_note_sign refuses bad texts and names */
    assert_int_equal(mh_note_sign("no newline", 10, "n", MH_NOTE_ED25519, id, &openssl_ed25519,
                                  note, sizeof note, &nl),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(mh_note_sign("a\tb\n", 4, "n", MH_NOTE_ED25519, id, &openssl_ed25519, note,
                                  sizeof note, &nl),
                     MH_ERR_PARSE);
    assert_int_equal(mh_note_sign("ok\n", 3, "bad name", MH_NOTE_ED25519, id, &openssl_ed25519,
                                  note, sizeof note, &nl),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(
        mh_note_sign("ok\n", 3, "n", MH_NOTE_ED25519, id, &openssl_ed25519, note, 20, &nl),
        MH_ERR_BUFFER_TOO_SMALL);
}

#define GOOD_SIG                                                                                   \
    "\xe2\x80\x94 PeterNeumann "                                                                   \
    "x08go/ZJkuBS9UG/"                                                                             \
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define GOOD_TEXT                                                                                  \
    "If you think cryptography is the answer to your problem,\nthen you don't know what your "     \
    "problem is.\n"
#define PETER "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

static int verify_str(const char *note, size_t len)
{
    mh_note_vkey k;
    assert_int_equal(mh_note_vkey_parse(PETER, strlen(PETER), &k), 0);
    return mh_note_verify(note, len, &k, 1, NULL, NULL);
}

static void note_malformed(void **state)
{
    (void)state;
    static char big[MH_NOTE_MAX_TEXT + 4096];
    const char *good = GOOD_TEXT "\n" GOOD_SIG;
    assert_int_equal(verify_str(good, strlen(good)), 0);
    struct {
        const char *note;
        int want;
    } bad[] = {
        {GOOD_TEXT GOOD_SIG, MH_ERR_PARSE}, /* no blank line */
        {GOOD_TEXT "\n", MH_ERR_PARSE},     /* no signatures */
        {GOOD_TEXT "\n\xe2\x80\x93 PeterNeumann "
                   "x08go/ZJkuBS9UG/"
                   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
         MH_ERR_PARSE}, /* en dash */
        {GOOD_TEXT "\n- PeterNeumann "
                   "x08go/ZJkuBS9UG/"
                   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
         MH_ERR_PARSE}, /* ASCII hyphen */
        {GOOD_TEXT "\n\xe2\x80\x94PeterNeumann "
                   "x08go/ZJkuBS9UG/"
                   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
         MH_ERR_PARSE}, /* no space after the dash */
        {GOOD_TEXT "\n\xe2\x80\x94 PeterNeumann "
                   "x08go/ZJkuBS9UG/"
                   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnA=\n",
         MH_ERR_PARSE}, /* bad base64: truncated */
        {GOOD_TEXT "\n\xe2\x80\x94 PeterNeumann "
                   "x08go/ZJkuBS9UG/"
                   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n",
         MH_ERR_PARSE}, /* bad base64: non-zero padding bits */
        {GOOD_TEXT "\n\xe2\x80\x94 PeterNeumann "
                   "x08go/ZJkuBS9UG/"
                   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
         MH_ERR_PARSE}, /* bad base64: no padding */
        {GOOD_TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/Sffc "
                   "vIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
         MH_ERR_PARSE}, /* space inside */
        {GOOD_TEXT "\n\xe2\x80\x94 Peter+Neumann "
                   "x08go/ZJkuBS9UG/"
                   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
         MH_ERR_PARSE},                                                 /* '+' in the name */
        {GOOD_TEXT "\n\xe2\x80\x94 PeterNeumann AAAA\n", MH_ERR_PARSE}, /* 3 bytes: no sig */
        {"If \xc3\x28 you think\n\n" GOOD_SIG, MH_ERR_PARSE},           /* invalid UTF-8 */
        {"If \xe0\x80\xaf you think\n\n" GOOD_SIG, MH_ERR_PARSE},       /* overlong '/' */
        {"If \xed\xa0\x80 you think\n\n" GOOD_SIG, MH_ERR_PARSE},       /* a surrogate */
        {"If\r\n\n" GOOD_SIG, MH_ERR_PARSE},                            /* CR */
        {"If \x7f\n\n" GOOD_SIG, MH_ERR_PARSE},                         /* DEL */
        {"If \xc2\x85\n\n" GOOD_SIG, MH_ERR_PARSE},                     /* C1 control */
        {GOOD_TEXT "\n" GOOD_SIG "\n", MH_ERR_PARSE},                   /* trailing blank */
        {GOOD_TEXT "\n" GOOD_SIG "extra", MH_ERR_PARSE},                /* trailing text */
        {GOOD_TEXT "\n\xe2\x80\x94 PeterNeumann "
                   "x08go/ZJkuBS9UG/"
                   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAA=\n",
         MH_ERR_VERIFY_FAILED}, /* known key, bad signature */
        {"changed text\n\n" GOOD_SIG, MH_ERR_VERIFY_FAILED},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int got = verify_str(bad[i].note, strlen(bad[i].note));
        if (got != bad[i].want)
            printf("case %zu: got %d want %d (%s)\n", i, got, bad[i].want, mh_err_message(got));
        assert_int_equal(got, bad[i].want);
    }
    /* an embedded NUL byte is a control character */
    char nul[sizeof GOOD_TEXT + sizeof GOOD_SIG + 2];
    size_t n = (size_t)snprintf(nul, sizeof nul, "%s\n%s", GOOD_TEXT, GOOD_SIG);
    nul[3] = 0;
    assert_int_equal(verify_str(nul, n), MH_ERR_PARSE);
    /* 100 signatures are accepted, 101 are too many (99 by unknown keys, so
     * only one is checked) */
    size_t o = (size_t)snprintf(big, sizeof big, "%s\n%s", GOOD_TEXT, GOOD_SIG);
    for (int i = 1; i < 100; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "\xe2\x80\x94 other%d AAAAAAAA\n", i);
    assert_int_equal(verify_str(big, o), 0);
    o += (size_t)snprintf(big + o, sizeof big - o, "%s", GOOD_SIG);
    assert_int_equal(verify_str(big, o), MH_ERR_TOO_LARGE);
    /* a text over 1 MiB */
    memset(big, 'a', MH_NOTE_MAX_TEXT);
    big[MH_NOTE_MAX_TEXT] = '\n';
    o = MH_NOTE_MAX_TEXT + 1;
    o += (size_t)snprintf(big + o, sizeof big - o, "\n%s", GOOD_SIG);
    assert_int_equal(verify_str(big, o), MH_ERR_TOO_LARGE);
    /* exactly 1 MiB of text is within the limit (and does not verify) */
    big[MH_NOTE_MAX_TEXT - 1] = '\n';
    o = MH_NOTE_MAX_TEXT;
    o += (size_t)snprintf(big + o, sizeof big - o, "\n%s", GOOD_SIG);
    assert_int_equal(verify_str(big, o), MH_ERR_VERIFY_FAILED);
    /* every truncation of a good note is refused, never verified */
    for (size_t cut = 0; cut < strlen(good); cut++)
        assert_int_not_equal(verify_str(good, cut), 0);
}

static void vkeys(void **state)
{
    (void)state;
    mh_note_vkey k;
    const char *bad[] = {
        "PeterNeumann+c74f20a3",                                                /* two parts */
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   /* wrong id */
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",    /* 7 digits */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",    /* base64 */
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  /* space */
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",               /* no name */
        "PeterNeumann+c74f20a3+AxpcAA==",                                       /* type 3 */
        "PeterNeumann+c74f20a3+ARpc",                                           /* short key */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+x", /* 4 parts */
    };
    assert_int_equal(mh_note_vkey_parse(PETER, strlen(PETER), &k), 0);
    assert_string_equal(k.name, "PeterNeumann");
    assert_int_equal(k.type, MH_NOTE_ED25519);
    /* the vkey formats back to itself */
    char out[MH_NOTE_MAX_VKEY];
    size_t ol;
    assert_int_equal(mh_note_vkey_format(k.name, k.type, k.key, k.key_len, out, sizeof out, &ol),
                     0);
    assert_string_equal(out, PETER);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(mh_note_vkey_parse(bad[i], strlen(bad[i]), &k), 0);
}

/* ---- checkpoints ---- */

/* tmpl with its one "%s" replaced by r (templates are not format strings) */
static size_t subst(char *out, size_t cap, const char *tmpl, const char *r)
{
    const char *p = strstr(tmpl, "%s");
    size_t n;
    if (!p)
        n = (size_t)snprintf(out, cap, "%s", tmpl);
    else
        n = (size_t)snprintf(out, cap, "%.*s%s%s", (int)(p - tmpl), tmpl, r, p + 2);
    return n;
}

static void checkpoints(void **state)
{
    (void)state;
    mh_checkpoint cp;
    uint8_t root[32];
    char out[1024];
    size_t ol;
    for (int i = 0; i < 32; i++)
        root[i] = (uint8_t)(i * 7);
    assert_int_equal(mh_checkpoint_format("mohur.example/diplomas", 18446744073709551615u, root,
                                          "ext one\next two\n", 16, out, sizeof out, &ol),
                     0);
    assert_int_equal(mh_checkpoint_parse(out, ol, &cp), 0);
    assert_string_equal(cp.origin, "mohur.example/diplomas");
    assert_true(cp.size == 18446744073709551615u);
    assert_memory_equal(cp.root, root, 32);
    assert_int_equal(cp.ext_len, 16);
    assert_memory_equal(cp.ext, "ext one\next two\n", 16);
    assert_int_equal(mh_checkpoint_format("o", 0, root, NULL, 0, out, sizeof out, &ol), 0);
    assert_int_equal(mh_checkpoint_parse(out, ol, &cp), 0);
    assert_int_equal(cp.size, 0);
    assert_null(cp.ext);
    /* refused when formatting */
    assert_int_not_equal(mh_checkpoint_format("", 1, root, NULL, 0, out, sizeof out, &ol), 0);
    assert_int_not_equal(mh_checkpoint_format("a\nb", 1, root, NULL, 0, out, sizeof out, &ol), 0);
    assert_int_not_equal(mh_checkpoint_format("o", 1, root, "x", 1, out, sizeof out, &ol), 0);
    assert_int_not_equal(mh_checkpoint_format("o", 1, root, "\n", 1, out, sizeof out, &ol), 0);
    assert_int_equal(mh_checkpoint_format("o", 1, root, NULL, 0, out, 40, &ol),
                     MH_ERR_BUFFER_TOO_SMALL);
    const char *R = "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=";
    const char *bad[] = {
        "o\n01\n%s\n",                                            /* leading zero */
        "o\n+1\n%s\n",                                            /* sign */
        "o\n-1\n%s\n",                                            /* negative */
        "o\n1 \n%s\n",                                            /* space */
        "o\n18446744073709551616\n%s\n",                          /* 2^64 */
        "o\n99999999999999999999\n%s\n",                          /* overflow */
        "o\n\n%s\n",                                              /* empty size */
        "\n1\n%s\n",                                              /* empty origin */
        "o\n1\n%s",                                               /* no final newline */
        "o\n1\n",                                                 /* no root */
        "o\n1\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0g==\n%s", /* 31 bytes */
        "o\n1\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tkA\n%s", /* 33 bytes */
        "o\n1\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tl=\n%s", /* non-canonical */
        "o\n1\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK-2vcTL0tk=\n%s", /* URL alphabet */
        "o\t\n1\n%s\n",                                           /* control in origin */
        "o\n1\n%s\next\x01\n",                                    /* control in extension */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char t[512];
        size_t n = subst(t, sizeof t, bad[i], R);
        assert_int_not_equal(mh_checkpoint_parse(t, n, &cp), 0);
    }
    char t[256];
    int n = snprintf(t, sizeof t, "o\n1\n%s\n", R);
    assert_int_equal(mh_checkpoint_parse(t, (size_t)n, &cp), 0);
    assert_memory_equal(cp.root, root, 32);
}

/* ---- cosignatures ---- */

static void cosignatures(void **state)
{
    (void)state;
    uint8_t msg[1024], id[4], sig[64];
    char cp[512], line[512], note[2048], vkey[MH_NOTE_MAX_VKEY];
    size_t cl, ml, ll, sl, vl, nl;
    mh_note_vkey w, w2;
    uint8_t root[32] = {1, 2, 3};
    if (ossl_pub[0] == 0 && ossl_pub[1] == 0)
        openssl_key();
    assert_int_equal(
        mh_checkpoint_format("mohur.example/log", 1234, root, NULL, 0, cp, sizeof cp, &cl), 0);
    assert_int_equal(
        mh_note_vkey_format("witness.example", MH_NOTE_COSIG, ossl_pub, 32, vkey, sizeof vkey, &vl),
        0);
    assert_int_equal(mh_note_vkey_parse(vkey, vl, &w), 0);
    assert_int_equal(w.type, MH_NOTE_COSIG);
    memcpy(id, w.id, 4);
    const uint64_t when = 1764321000;
    assert_int_equal(mh_cosig_message(cp, cl, when, msg, sizeof msg, &ml), 0);
    /* the message is the spec's header and the checkpoint */
    char want[600];
    snprintf(want, sizeof want, "cosignature/v1\ntime %llu\n%s", (unsigned long long)when, cp);
    assert_int_equal(ml, strlen(want));
    assert_memory_equal(msg, want, ml);
    /* the witness signs with openssl */
    assert_int_equal(openssl_signer(NULL, msg, ml, sig, sizeof sig, &sl), 0);
    assert_int_equal(mh_cosig_line("witness.example", id, when, sig, line, sizeof line, &ll), 0);
    /* the log's own signature plus the cosignature */
    int n = snprintf(note, sizeof note, "%s\n%s%s", cp, GOOD_SIG, line);
    nl = (size_t)n;
    uint64_t t = 0;
    assert_int_equal(mh_cosig_verify(note, nl, &w, &t), 0);
    assert_true(t == when);
    /* as a note key too, with its time reported */
    mh_note_status st;
    assert_int_equal(mh_note_verify(note, nl, &w, 1, &st, NULL), 0);
    assert_true(st.verified && st.time == when);
    /* another timestamp in the line: the signature no longer covers it */
    assert_int_equal(mh_cosig_line("witness.example", id, when + 1, sig, line, sizeof line, &ll),
                     0);
    n = snprintf(note, sizeof note, "%s\n%s%s", cp, GOOD_SIG, line);
    assert_int_equal(mh_cosig_verify(note, (size_t)n, &w, &t), MH_ERR_VERIFY_FAILED);
    /* another checkpoint under the same cosignature */
    assert_int_equal(mh_cosig_line("witness.example", id, when, sig, line, sizeof line, &ll), 0);
    cp[18] = '5'; /* size 1234 -> 5234 */
    n = snprintf(note, sizeof note, "%s\n%s", cp, line);
    assert_int_equal(mh_cosig_verify(note, (size_t)n, &w, &t), MH_ERR_VERIFY_FAILED);
    cp[18] = '1';
    /* a witness that did not cosign */
    char vk2[MH_NOTE_MAX_VKEY];
    size_t v2l;
    assert_int_equal(
        mh_note_vkey_format("other.witness", MH_NOTE_COSIG, ossl_pub, 32, vk2, sizeof vk2, &v2l),
        0);
    assert_int_equal(mh_note_vkey_parse(vk2, v2l, &w2), 0);
    n = snprintf(note, sizeof note, "%s\n%s", cp, line);
    assert_int_equal(mh_cosig_verify(note, (size_t)n, &w2, &t), MH_ERR_NOT_FOUND);
    /* k of n: one of the two witnesses cosigned; the same witness listed
     * twice counts once */
    {
        mh_note_vkey ws[3] = {w, w2, w};
        size_t count;
        uint64_t oldest;
        assert_int_equal(mh_cosig_quorum(note, (size_t)n, ws, 2, 1, &count, &oldest), 0);
        assert_int_equal(count, 1);
        assert_true(oldest == when);
        assert_int_equal(mh_cosig_quorum(note, (size_t)n, ws, 2, 2, &count, NULL),
                         MH_ERR_VERIFY_FAILED);
        ws[1] = w;
        assert_int_equal(mh_cosig_quorum(note, (size_t)n, ws, 3, 2, &count, NULL),
                         MH_ERR_VERIFY_FAILED);
        assert_int_equal(count, 1);
    }
    /* the same Ed25519 key as a plain 0x01 key has another ID: a cosignature
     * is not a note signature */
    mh_note_vkey plain;
    assert_int_equal(mh_note_vkey_format("witness.example", MH_NOTE_ED25519, ossl_pub, 32, vk2,
                                         sizeof vk2, &v2l),
                     0);
    assert_int_equal(mh_note_vkey_parse(vk2, v2l, &plain), 0);
    assert_memory_not_equal(plain.id, w.id, 4);
    assert_int_equal(mh_cosig_verify(note, (size_t)n, &plain, &t), MH_ERR_INVALID_ARG);
    /* cosignatures only cover checkpoints */
    assert_int_not_equal(mh_cosig_message("not a checkpoint\n", 17, when, msg, sizeof msg, &ml), 0);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return run(cmd) == 0 ? 0 : -1;
}

/* The add-checkpoint request body (C2SP tlog-witness): a round trip, and
 * each malformed form refused. */
static void witness_requests(void **state)
{
    static const char note[] =
        "example.com/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
        "\xe2\x80\x94 example.com/log AAAAAQ==\n";
    uint8_t proof[64][32], got[64][32];
    char buf[8192];
    size_t len, n, off;
    uint64_t old;
    (void)state;
    for (int i = 0; i < 3; i++)
        memset(proof[i], 0x11 * (i + 1), 32);
    assert_int_equal(mh_witness_request_format(3, (const uint8_t(*)[32])proof, 3, note,
                                               strlen(note), buf, sizeof buf, &len),
                     0);
    assert_int_equal(mh_witness_request_parse(buf, len, &old, got, 64, &n, &off), 0);
    assert_int_equal(old, 3);
    assert_int_equal(n, 3);
    assert_memory_equal(got[2], proof[2], 32);
    assert_string_equal(buf + off, note);
    assert_int_equal(
        mh_witness_request_format(0, NULL, 0, note, strlen(note), buf, sizeof buf, &len), 0);
    assert_int_equal(mh_witness_request_parse(buf, len, &old, got, 64, &n, &off), 0);
    assert_int_equal(old, 0);
    assert_int_equal(n, 0);
    static const char *const bad[] = {
        "",
        "old 3\n",                                                     /* no blank line, no note */
        "old 3\n\n",                                                   /* no note */
        "old 03\n\nx\n",                                               /* leading zero */
        "old -3\n\nx\n",                                               /* sign */
        "old 18446744073709551616\n\nx\n",                             /* 2^64 */
        "old  3\n\nx\n",                                               /* two spaces */
        "Old 3\n\nx\n",                                                /* case */
        "old 3\nAAAA\n\nx\n",                                          /* a short hash */
        "old 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n\nx\n",  /* non-canonical */
        "old 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \n\nx\n", /* trailing space */
        "old 3",                                                       /* no newline */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mh_witness_request_parse(bad[i], strlen(bad[i]), &old, got, 64, &n, &off),
                         MH_ERR_PARSE);
    /* 64 proof lines: one more than the protocol allows */
    {
        size_t o = (size_t)snprintf(buf, sizeof buf, "old 3\n");
        for (int i = 0; i < 64; i++)
            o += (size_t)snprintf(buf + o, sizeof buf - o,
                                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
        o += (size_t)snprintf(buf + o, sizeof buf - o, "\n%s", note);
        assert_int_equal(mh_witness_request_parse(buf, o, &old, got, 64, &n, &off), MH_ERR_PARSE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ed25519_rfc8032),
        cmocka_unit_test(ed25519_noncanonical),
        cmocka_unit_test(ed25519_openssl),
        cmocka_unit_test(note_ecdsa_round_trip),
        cmocka_unit_test(note_ed25519_openssl),
        cmocka_unit_test(note_malformed),
        cmocka_unit_test(vkeys),
        cmocka_unit_test(checkpoints),
        cmocka_unit_test(cosignatures),
        cmocka_unit_test(witness_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
