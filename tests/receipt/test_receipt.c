/* test_receipt.c - receipts (COSE_Sign1 over CWT-style claims), base32, the
 * QR URL and the QR drawings, against real mbedTLS keys and libqrencode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <qrencode.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "mh_pki.h"
#include "../common/test_signer.h"
#include "mh_qr.h"
#include "qr_int.h"

static mbedtls_pk_context key_a, key_b, key_p384;
static mh_receipt_key trust_a, trust_b;

static void gen_key(mbedtls_pk_context *pk, mbedtls_ecp_group_id curve)
{
    mbedtls_pk_init(pk);
    assert_int_equal(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(*pk), mh_rng_mbedtls, NULL), 0);
}

/* A trusted registry key made from a software key's public half. */
static int key_of(mbedtls_pk_context *pk, mh_receipt_key *k)
{
    const mh_signer *sg = test_signer(pk);
    return mh_receipt_key_from_spki(sg->spki, sg->spki_len, k);
}

static int setup(void **state)
{
    (void)state;
    gen_key(&key_a, MBEDTLS_ECP_DP_SECP256R1);
    gen_key(&key_b, MBEDTLS_ECP_DP_SECP256R1);
    gen_key(&key_p384, MBEDTLS_ECP_DP_SECP384R1);
    if (key_of(&key_a, &trust_a) || key_of(&key_b, &trust_b))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mbedtls_pk_free(&key_a);
    mbedtls_pk_free(&key_b);
    mbedtls_pk_free(&key_p384);
    return 0;
}

static mh_receipt_str S(const char *s)
{
    mh_receipt_str r = {s, strlen(s)};
    return r;
}

/* A diploma: Azerbaijani name with ə, ş, ğ; degree; date; grade. */
static uint8_t doc_sha[32];
static const char doc_text[] = "%PDF-1.7 a diploma of Baku State University";

static void diploma(mh_receipt_claims *c, size_t digest_len)
{
    memset(c, 0, sizeof *c);
    assert_int_equal(
        mbedtls_sha256_ret((const unsigned char *)doc_text, sizeof doc_text - 1, doc_sha, 0), 0);
    c->issuer = S("BDU");
    c->issued_at = 1782820800; /* 2026-06-30 */
    c->registry = S("AZ-EDU");
    c->log_index = 1234567;
    c->kind = S("diploma");
    c->digest = doc_sha;
    c->digest_len = digest_len;
    c->doc_len = sizeof doc_text - 1;
    c->nfields = 4;
    c->fields[0].key = S("name");
    c->fields[0].value = S("Məmmədova Şəbnəm Tofiq qızı");
    c->fields[1].key = S("degree");
    c->fields[1].value = S("Magistr: Kompüter elmləri");
    c->fields[2].key = S("date");
    c->fields[2].value = S("2026-06-30");
    c->fields[3].key = S("grade");
    c->fields[3].value = S("Əla (ağ diplom)");
    c->host = S("verify.edu.az");
}

static size_t make(const mh_receipt_claims *c, mbedtls_pk_context *pk, uint8_t *out)
{
    size_t len = 0;
    assert_int_equal(mh_receipt_sign(c, test_signer(pk), out, MH_RECEIPT_MAX, &len), 0);
    assert_true(len > 0 && len <= MH_RECEIPT_MAX);
    return len;
}

static bool str_is(mh_receipt_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* ---- base32 ------------------------------------------------------------- */

static void test_base32_vectors(void **state)
{
    /* RFC 4648 section 10, without padding */
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"",        "MY",       "MZXQ",      "MZXW6",
                                      "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
    char enc[32];
    uint8_t dec[32];
    size_t n;
    (void)state;
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(
            mh_base32_encode((const uint8_t *)in[i], strlen(in[i]), enc, sizeof enc, &n), 0);
        assert_string_equal(enc, out[i]);
        assert_int_equal(n, mh_base32_encoded_len(strlen(in[i])));
        assert_int_equal(mh_base32_decode(out[i], strlen(out[i]), dec, sizeof dec, &n), 0);
        assert_int_equal(n, strlen(in[i]));
        assert_memory_equal(dec, in[i], n);
    }
    /* strict: lower case, padding, impossible lengths, non-zero pad bits */
    assert_int_equal(mh_base32_decode("mzxw6", 5, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("MY======", 8, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("M", 1, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("MZX", 3, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("MZXW6Y", 6, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("MZ", 2, dec, sizeof dec, &n), MH_ERR_PARSE); /* "MY"+1 */
    assert_int_equal(mh_base32_decode("MZXW6YTBOJ", 10, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("MZ1W6", 5, dec, sizeof dec, &n), MH_ERR_PARSE);
    assert_int_equal(mh_base32_decode("MZXW6YTBOI", 10, dec, 5, &n), MH_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(mh_base32_encode((const uint8_t *)"foo", 3, enc, 5, &n),
                     MH_ERR_BUFFER_TOO_SMALL);
}

static void test_base32_random(void **state)
{
    uint8_t in[300], dec[300];
    char enc[600];
    size_t n, m;
    (void)state;
    for (size_t len = 0; len < sizeof in; len++) {
        assert_int_equal(mh_rng_mbedtls(NULL, in, len), 0);
        assert_int_equal(mh_base32_encode(in, len, enc, sizeof enc, &n), 0);
        assert_int_equal(strlen(enc), n);
        assert_int_equal(mh_base32_decode(enc, n, dec, sizeof dec, &m), 0);
        assert_int_equal(m, len);
        assert_memory_equal(in, dec, len);
    }
}

/* ---- round trip ---------------------------------------------------------- */

static void test_round_trip(void **state)
{
    mh_receipt_claims c;
    mh_receipt r;
    uint8_t buf[MH_RECEIPT_MAX];
    mh_receipt_key keys[2] = {trust_b, trust_a};
    (void)state;
    for (size_t dl = 16; dl <= 32; dl += 16) {
        diploma(&c, dl);
        size_t len = make(&c, &key_a, buf);
        assert_int_equal(buf[0], 0xd2); /* tag 18 */
        assert_int_equal(mh_receipt_verify(buf, len, keys, 2, &r), 0);
        assert_true(r.verified);
        assert_int_equal(r.key_index, 1);
        assert_memory_equal(r.kid, trust_a.kid, MH_RECEIPT_KID_LEN);
        assert_true(str_is(r.claims.issuer, "BDU"));
        assert_int_equal(r.claims.issued_at, 1782820800);
        assert_true(str_is(r.claims.registry, "AZ-EDU"));
        assert_int_equal(r.claims.log_index, 1234567);
        assert_true(str_is(r.claims.kind, "diploma"));
        assert_int_equal(r.claims.digest_len, dl);
        assert_memory_equal(r.claims.digest, doc_sha, dl);
        assert_int_equal(r.claims.doc_len, sizeof doc_text - 1);
        assert_int_equal(r.claims.nfields, 4);
        /* deterministic order: well-known names by code (name 1, date 2,
         * degree 3, grade 5) */
        assert_true(str_is(r.claims.fields[0].key, "name"));
        assert_true(str_is(r.claims.fields[0].value, "Məmmədova Şəbnəm Tofiq qızı"));
        assert_true(str_is(r.claims.fields[1].key, "date"));
        assert_true(str_is(r.claims.fields[1].value, "2026-06-30"));
        assert_true(str_is(r.claims.fields[2].key, "degree"));
        assert_true(str_is(r.claims.fields[2].value, "Magistr: Kompüter elmləri"));
        assert_true(str_is(r.claims.fields[3].key, "grade"));
        assert_true(str_is(r.claims.fields[3].value, "Əla (ağ diplom)"));
        /* decode alone gives the same, unverified */
        mh_receipt d;
        assert_int_equal(mh_receipt_decode(buf, len, &d), 0);
        assert_false(d.verified);
        assert_int_equal(d.claims.log_index, 1234567);
        /* the document check */
        assert_int_equal(mh_receipt_check_document(&r.claims, doc_sha, sizeof doc_text - 1), 0);
        uint8_t other[32];
        memcpy(other, doc_sha, 32);
        other[dl - 1] ^= 1;
        assert_int_equal(mh_receipt_check_document(&r.claims, other, sizeof doc_text - 1),
                         MH_ERR_VERIFY_FAILED);
        assert_int_equal(mh_receipt_check_document(&r.claims, doc_sha, sizeof doc_text),
                         MH_ERR_VERIFY_FAILED);
        if (dl == 16) {
            other[31] ^= 0xff; /* beyond the 16 bytes held: not compared */
            other[15] ^= 1;
            assert_int_equal(mh_receipt_check_document(&r.claims, other, sizeof doc_text - 1), 0);
        }
    }
    /* no printed fields: seven claims */
    diploma(&c, 32);
    c.nfields = 0;
    size_t len = make(&c, &key_a, buf);
    assert_int_equal(mh_receipt_verify(buf, len, &trust_a, 1, &r), 0);
    assert_int_equal(r.claims.nfields, 0);
    /* big numbers survive */
    c.log_index = UINT64_MAX;
    c.issued_at = UINT64_MAX - 1;
    c.doc_len = (uint64_t)1 << 40;
    len = make(&c, &key_a, buf);
    assert_int_equal(mh_receipt_verify(buf, len, &trust_a, 1, &r), 0);
    assert_true(r.claims.log_index == UINT64_MAX && r.claims.issued_at == UINT64_MAX - 1 &&
                r.claims.doc_len == (uint64_t)1 << 40);
}

static void test_custom_names(void **state)
{
    mh_receipt_claims c;
    mh_receipt r;
    uint8_t buf[MH_RECEIPT_MAX];
    size_t len;
    (void)state;
    diploma(&c, 16);
    c.kind = S("apostille");
    c.nfields = 4;
    c.fields[0].key = S("zz");
    c.fields[1].key = S("honours");
    c.fields[2].key = S("a");
    c.fields[3].key = S("title");
    len = make(&c, &key_a, buf);
    assert_int_equal(mh_receipt_verify(buf, len, &trust_a, 1, &r), 0);
    assert_true(str_is(r.claims.kind, "apostille"));
    /* codes first (title 7), then texts by length, then bytes */
    assert_true(str_is(r.claims.fields[0].key, "title"));
    assert_true(str_is(r.claims.fields[1].key, "a"));
    assert_true(str_is(r.claims.fields[2].key, "zz"));
    assert_true(str_is(r.claims.fields[3].key, "honours"));
    assert_true(str_is(r.claims.fields[3].value, "Magistr: Kompüter elmləri"));
    assert_true(str_is(r.claims.fields[2].value, "Məmmədova Şəbnəm Tofiq qızı"));
    /* the codes in the kinds directory */
    assert_int_equal(mh_receipt_kind_code("official-certificate", 20), 1);
    assert_int_equal(mh_receipt_kind_code("notary-act", 10), 2);
    assert_int_equal(mh_receipt_kind_code("diploma", 7), 3);
    assert_int_equal(mh_receipt_kind_code("court-decision", 14), 4);
    assert_int_equal(mh_receipt_kind_code("labor-contract", 14), 5);
    assert_int_equal(mh_receipt_kind_code("certificate", 11), 0);
    assert_string_equal(mh_receipt_kind_name(3), "diploma");
    assert_null(mh_receipt_kind_name(6));
    assert_null(mh_receipt_kind_name(0));
    assert_null(mh_receipt_field_name(9));
    assert_int_equal(mh_receipt_field_code("nam", 3), 0);
}

static void test_every_bit(void **state)
{
    mh_receipt_claims c;
    mh_receipt r;
    uint8_t buf[MH_RECEIPT_MAX];
    size_t len, flips = 0;
    (void)state;
    diploma(&c, 16);
    len = make(&c, &key_a, buf);
    for (size_t i = 0; i < len; i++) {
        for (unsigned b = 0; b < 8; b++) {
            buf[i] ^= (uint8_t)(1u << b);
            int rc = mh_receipt_verify(buf, len, &trust_a, 1, &r);
            if (rc == 0)
                fail_msg("flipping bit %u of byte %zu still verifies", b, i);
            assert_false(r.verified);
            buf[i] ^= (uint8_t)(1u << b);
            flips++;
        }
    }
    assert_int_equal(mh_receipt_verify(buf, len, &trust_a, 1, &r), 0);
    printf("receipt of %zu bytes: %zu single-bit flips, all refused\n", len, flips);
}

static void test_truncated_and_trailing(void **state)
{
    mh_receipt_claims c;
    mh_receipt r;
    uint8_t buf[MH_RECEIPT_MAX + 8];
    size_t len;
    (void)state;
    diploma(&c, 32);
    len = make(&c, &key_a, buf);
    for (size_t n = 0; n < len; n++) {
        /* a copy of exactly n bytes, so ASan sees any read past it */
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, buf, n);
        assert_int_not_equal(mh_receipt_verify(cut, n, &trust_a, 1, &r), 0);
        assert_int_not_equal(mh_receipt_decode(cut, n, &r), 0);
        free(cut);
    }
    buf[len] = 0x00;
    assert_int_equal(mh_receipt_verify(buf, len + 1, &trust_a, 1, &r), MH_ERR_PARSE);
    buf[len] = 0xd2;
    assert_int_equal(mh_receipt_decode(buf, len + 1, &r), MH_ERR_PARSE);
    /* oversized input is refused before parsing */
    uint8_t big[MH_RECEIPT_MAX + 1];
    memset(big, 0, sizeof big);
    memcpy(big, buf, len);
    assert_int_equal(mh_receipt_verify(big, sizeof big, &trust_a, 1, &r), MH_ERR_TOO_LARGE);
}

static void test_wrong_key(void **state)
{
    mh_receipt_claims c;
    mh_receipt r;
    uint8_t buf[MH_RECEIPT_MAX];
    size_t len;
    (void)state;
    diploma(&c, 16);
    len = make(&c, &key_a, buf);
    /* no key with this kid */
    assert_int_equal(mh_receipt_verify(buf, len, &trust_b, 1, &r), MH_ERR_NOT_FOUND);
    assert_false(r.verified);
    assert_int_equal(mh_receipt_verify(buf, len, NULL, 0, &r), MH_ERR_NOT_FOUND);
    /* another key under the right kid (a kid collision or a forged list) */
    mh_receipt_key impostor = trust_b;
    memcpy(impostor.kid, trust_a.kid, MH_RECEIPT_KID_LEN);
    assert_int_equal(mh_receipt_verify(buf, len, &impostor, 1, &r), MH_ERR_VERIFY_FAILED);
    /* with both, the right one is found */
    mh_receipt_key both[2] = {impostor, trust_a};
    assert_int_equal(mh_receipt_verify(buf, len, both, 2, &r), 0);
    assert_int_equal(r.key_index, 1);
    /* signed by B, but claiming A's kid: build it by hand below */
}

/* ---- hand-built receipts -------------------------------------------------- */

struct parts {
    uint8_t prot[64];
    size_t prot_len;
    uint8_t unprot[64];
    size_t unprot_len;
    uint8_t payload[MH_RECEIPT_MAX];
    size_t payload_len;
    bool untagged;
    uint64_t tag;
    size_t sig_len;
};

static void parts_default(struct parts *p, const uint8_t *kid)
{
    mh_receipt_claims c;
    uint8_t buf[MH_RECEIPT_MAX];
    size_t len;
    mh_cbor_r r;
    mh_cbor_item it;
    const uint8_t *x;
    size_t xl;

    memset(p, 0, sizeof *p);
    diploma(&c, 16);
    len = make(&c, &key_a, buf);
    mh_cbor_r_init(&r, buf, len);
    assert_int_equal(mh_cbor_next(&r, &it), 0);
    assert_int_equal(mh_cbor_next(&r, &it), 0);
    assert_int_equal(mh_cbor_get_bytes(&r, &x, &xl), 0);
    assert_true(xl <= sizeof p->prot);
    memcpy(p->prot, x, xl);
    p->prot_len = xl;
    if (kid) {
        /* a2 01 26 04 48 <kid> */
        assert_int_equal(xl, 13);
        memcpy(p->prot + 5, kid, MH_RECEIPT_KID_LEN);
    }
    p->unprot[0] = 0xa0;
    p->unprot_len = 1;
    assert_int_equal(mh_cbor_skip(&r), 0);
    assert_int_equal(mh_cbor_get_bytes(&r, &x, &xl), 0);
    memcpy(p->payload, x, xl);
    p->payload_len = xl;
    p->tag = 18;
    p->sig_len = 64;
}

/* Assembles and signs (correctly) whatever the parts say, with pk. */
static size_t build(const struct parts *p, mbedtls_pk_context *pk, uint8_t *out, size_t cap)
{
    uint8_t hash[32], sig[64];
    mh_cbor_w w;
    size_t n;

    assert_int_equal(mh_cose_sign1_hash(p->prot, p->prot_len, p->payload, p->payload_len, hash), 0);
    assert_int_equal(mh_cose_es256_sign(test_signer(pk), hash, sig), 0);
    mh_receipt_sig_normalize(sig);
    mh_cbor_w_init(&w, out, cap);
    if (!p->untagged)
        mh_cbor_put_tag(&w, p->tag);
    mh_cbor_put_array(&w, 4);
    mh_cbor_put_bytes(&w, p->prot, p->prot_len);
    mh_cbor_put_raw(&w, p->unprot, p->unprot_len);
    mh_cbor_put_bytes(&w, p->payload, p->payload_len);
    mh_cbor_put_bytes(&w, sig, p->sig_len);
    assert_int_equal(mh_cbor_w_finish(&w, &n), 0);
    return n;
}

static int verify_parts(const struct parts *p, mbedtls_pk_context *pk)
{
    uint8_t buf[4096];
    mh_receipt r;
    size_t n = build(p, pk, buf, sizeof buf);
    mh_receipt_key keys[2] = {trust_a, trust_b};
    return mh_receipt_verify(buf, n, keys, 2, &r);
}

static void set_prot(struct parts *p, const uint8_t *b, size_t n)
{
    memcpy(p->prot, b, n);
    p->prot_len = n;
}

static void test_headers(void **state)
{
    struct parts p;
    (void)state;
    parts_default(&p, NULL);
    assert_int_equal(verify_parts(&p, &key_a), 0); /* the builder itself is right */

    /* B's signature under A's kid */
    parts_default(&p, trust_a.kid);
    assert_int_equal(verify_parts(&p, &key_b), MH_ERR_VERIFY_FAILED);
    /* B's kid, B's signature: fine (B is trusted) */
    parts_default(&p, trust_b.kid);
    assert_int_equal(verify_parts(&p, &key_b), 0);

    /* wrong algorithm: ES384 (-35), EdDSA (-8), none */
    uint8_t es384[] = {0xa2, 0x01, 0x38, 0x22, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(es384 + 6, trust_a.kid, 8);
    parts_default(&p, NULL);
    set_prot(&p, es384, sizeof es384);
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_UNSUPPORTED_ALG);
    uint8_t eddsa[] = {0xa2, 0x01, 0x27, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(eddsa + 5, trust_a.kid, 8);
    set_prot(&p, eddsa, sizeof eddsa);
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_UNSUPPORTED_ALG);
    uint8_t noalg[] = {0xa1, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(noalg + 3, trust_a.kid, 8);
    set_prot(&p, noalg, sizeof noalg);
    assert_int_not_equal(verify_parts(&p, &key_a), 0);
    /* a critical header: {1:-7, 2:[99], 4:kid} */
    uint8_t crit[] = {0xa3, 0x01, 0x26, 0x02, 0x81, 0x18, 0x63, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(crit + 9, trust_a.kid, 8);
    set_prot(&p, crit, sizeof crit);
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_UNSUPPORTED);
    /* an unknown label (content type 3) */
    uint8_t ctype[] = {0xa3, 0x01, 0x26, 0x03, 0x00, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(ctype + 7, trust_a.kid, 8);
    set_prot(&p, ctype, sizeof ctype);
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_UNSUPPORTED);
    /* keys out of order: {4:kid, 1:-7} */
    uint8_t order[] = {0xa2, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x26};
    memcpy(order + 3, trust_a.kid, 8);
    set_prot(&p, order, sizeof order);
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
    /* non-shortest alg: 0x38 0x06 for -7 */
    uint8_t longalg[] = {0xa2, 0x01, 0x38, 0x06, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(longalg + 6, trust_a.kid, 8);
    set_prot(&p, longalg, sizeof longalg);
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
    /* a kid of 7 bytes */
    uint8_t shortkid[] = {0xa2, 0x01, 0x26, 0x04, 0x47, 0, 0, 0, 0, 0, 0, 0};
    memcpy(shortkid + 5, trust_a.kid, 7);
    set_prot(&p, shortkid, sizeof shortkid);
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);

    /* unprotected header not empty: {4: kid} */
    parts_default(&p, NULL);
    p.unprot[0] = 0xa1;
    p.unprot[1] = 0x04;
    p.unprot[2] = 0x41;
    p.unprot[3] = 0x00;
    p.unprot_len = 4;
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
    /* untagged, CWT-tagged (61), and a nil payload */
    parts_default(&p, NULL);
    p.untagged = true;
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
    p.untagged = false;
    p.tag = 61;
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
}

/* Payload variants: re-encode the claims with one change, sign properly. */
static void test_claims_layout(void **state)
{
    struct parts p;
    mh_cbor_w w;
    (void)state;

    /* the exact default claims, re-encoded by hand, verify */
#define CLAIMS_BEGIN(n)                                                                            \
    parts_default(&p, NULL);                                                                       \
    mh_cbor_w_init(&w, p.payload, sizeof p.payload);                                               \
    mh_cbor_put_map(&w, n)
#define CLAIMS_END()                                                                               \
    mh_cbor_put_int(&w, -7);                                                                       \
    mh_cbor_put_text(&w, "h.az", 4);                                                               \
    assert_int_equal(mh_cbor_w_finish(&w, &p.payload_len), 0)
#define PUT_BASE_UNTIL_LENGTH()                                                                    \
    mh_cbor_put_int(&w, 1);                                                                        \
    mh_cbor_put_text(&w, "BDU", 3);                                                                \
    mh_cbor_put_int(&w, 6);                                                                        \
    mh_cbor_put_uint(&w, 1);                                                                       \
    mh_cbor_put_int(&w, -1);                                                                       \
    mh_cbor_put_text(&w, "R", 1);                                                                  \
    mh_cbor_put_int(&w, -2);                                                                       \
    mh_cbor_put_uint(&w, 2);                                                                       \
    mh_cbor_put_int(&w, -3);                                                                       \
    mh_cbor_put_text(&w, "k", 1);                                                                  \
    mh_cbor_put_int(&w, -4);                                                                       \
    mh_cbor_put_bytes(&w, doc_sha, 16)

    CLAIMS_BEGIN(8);
    PUT_BASE_UNTIL_LENGTH();
    mh_cbor_put_int(&w, -5);
    mh_cbor_put_uint(&w, 3);
    CLAIMS_END();
    assert_int_equal(verify_parts(&p, &key_a), 0);

    /* an unknown claim (-8), after the host */
    CLAIMS_BEGIN(9);
    PUT_BASE_UNTIL_LENGTH();
    mh_cbor_put_int(&w, -5);
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_int(&w, -7);
    mh_cbor_put_text(&w, "h.az", 4);
    mh_cbor_put_int(&w, -8);
    mh_cbor_put_uint(&w, 3);
    assert_int_equal(mh_cbor_w_finish(&w, &p.payload_len), 0);
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);

    /* the host missing, in upper case, or not a host name */
    static const char *const bad_hosts[] = {NULL, "H.AZ", "h.az/x", "h az", ".h.az"};
    for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
        CLAIMS_BEGIN(bad_hosts[i] ? 8 : 7);
        PUT_BASE_UNTIL_LENGTH();
        mh_cbor_put_int(&w, -5);
        mh_cbor_put_uint(&w, 3);
        if (bad_hosts[i]) {
            mh_cbor_put_int(&w, -7);
            mh_cbor_put_text(&w, bad_hosts[i], strlen(bad_hosts[i]));
        }
        assert_int_equal(mh_cbor_w_finish(&w, &p.payload_len), 0);
        assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
    }

    /* a missing claim (length) */
    CLAIMS_BEGIN(7);
    PUT_BASE_UNTIL_LENGTH();
    CLAIMS_END();
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);

    /* non-canonical CBOR: the length 3 written as 0x18 0x03 */
    CLAIMS_BEGIN(8);
    PUT_BASE_UNTIL_LENGTH();
    mh_cbor_put_int(&w, -5);
    mh_cbor_put_raw(&w, (const uint8_t *)"\x18\x03", 2);
    CLAIMS_END();
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);

    /* indefinite-length text as the issuer */
    parts_default(&p, NULL);
    mh_cbor_w_init(&w, p.payload, sizeof p.payload);
    mh_cbor_put_map(&w, 8);
    mh_cbor_put_int(&w, 1);
    mh_cbor_put_raw(&w,
                    (const uint8_t *)"\x7f\x63"
                                     "BDU\xff",
                    6);
    CLAIMS_END();
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);

    /* a digest of 20 bytes */
    CLAIMS_BEGIN(8);
    mh_cbor_put_int(&w, 1);
    mh_cbor_put_text(&w, "BDU", 3);
    mh_cbor_put_int(&w, 6);
    mh_cbor_put_uint(&w, 1);
    mh_cbor_put_int(&w, -1);
    mh_cbor_put_text(&w, "R", 1);
    mh_cbor_put_int(&w, -2);
    mh_cbor_put_uint(&w, 2);
    mh_cbor_put_int(&w, -3);
    mh_cbor_put_text(&w, "k", 1);
    mh_cbor_put_int(&w, -4);
    mh_cbor_put_bytes(&w, doc_sha, 20);
    mh_cbor_put_int(&w, -5);
    mh_cbor_put_uint(&w, 3);
    CLAIMS_END();
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);

    /* printed fields out of order, duplicated, well-known as text, control
     * characters, empty */
    static const char *const bad_fields[][4] = {
        {"zz", "a", "ab", "b"},   /* "zz" > "ab" bytewise: out of order */
        {"ab", "a", "ab", "b"},   /* duplicate */
        {"ab", "a", "name", "b"}, /* "name" must be code 1 */
        {"ab", "a\nb", "cd", "c"},      {"ab", "", "cd", "c"},
        {"ab", "a\xc2\x85", "cd", "c"}, /* U+0085, a C1 control */
    };
    for (size_t i = 0; i < sizeof bad_fields / sizeof bad_fields[0]; i++) {
        CLAIMS_BEGIN(9);
        PUT_BASE_UNTIL_LENGTH();
        mh_cbor_put_int(&w, -5);
        mh_cbor_put_uint(&w, 3);
        mh_cbor_put_int(&w, -6);
        mh_cbor_put_map(&w, 2);
        for (size_t j = 0; j < 4; j++)
            mh_cbor_put_text(&w, bad_fields[i][j], strlen(bad_fields[i][j]));
        CLAIMS_END();
        assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
    }
    /* field codes: 1 and 3 fine, 9 unknown, 0 unknown */
    static const uint64_t codes[][2] = {{1, 3}, {1, 9}, {0, 1}, {3, 1}};
    for (size_t i = 0; i < 4; i++) {
        CLAIMS_BEGIN(9);
        PUT_BASE_UNTIL_LENGTH();
        mh_cbor_put_int(&w, -5);
        mh_cbor_put_uint(&w, 3);
        mh_cbor_put_int(&w, -6);
        mh_cbor_put_map(&w, 2);
        mh_cbor_put_uint(&w, codes[i][0]);
        mh_cbor_put_text(&w, "x", 1);
        mh_cbor_put_uint(&w, codes[i][1]);
        mh_cbor_put_text(&w, "y", 1);
        CLAIMS_END();
        assert_int_equal(verify_parts(&p, &key_a), i == 0 ? 0 : MH_ERR_PARSE);
    }
    /* the kind "diploma" must be code 3; code 3 fine, code 77 unknown */
    for (int i = 0; i < 3; i++) {
        CLAIMS_BEGIN(8);
        mh_cbor_put_int(&w, 1);
        mh_cbor_put_text(&w, "BDU", 3);
        mh_cbor_put_int(&w, 6);
        mh_cbor_put_uint(&w, 1);
        mh_cbor_put_int(&w, -1);
        mh_cbor_put_text(&w, "R", 1);
        mh_cbor_put_int(&w, -2);
        mh_cbor_put_uint(&w, 2);
        mh_cbor_put_int(&w, -3);
        if (i == 0)
            mh_cbor_put_text(&w, "diploma", 7);
        else
            mh_cbor_put_uint(&w, i == 1 ? 3 : 77);
        mh_cbor_put_int(&w, -4);
        mh_cbor_put_bytes(&w, doc_sha, 16);
        mh_cbor_put_int(&w, -5);
        mh_cbor_put_uint(&w, 3);
        CLAIMS_END();
        assert_int_equal(verify_parts(&p, &key_a), i == 1 ? 0 : MH_ERR_PARSE);
    }
    CLAIMS_BEGIN(9);
    PUT_BASE_UNTIL_LENGTH();
    mh_cbor_put_int(&w, -5);
    mh_cbor_put_uint(&w, 3);
    mh_cbor_put_int(&w, -6);
    mh_cbor_put_map(&w, 0);
    CLAIMS_END();
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
    /* invalid UTF-8 in the issuer */
    CLAIMS_BEGIN(8);
    mh_cbor_put_int(&w, 1);
    mh_cbor_put_text(&w, "B\xc3\x28", 3);
    CLAIMS_END();
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
    /* a signature of 63 bytes */
    parts_default(&p, NULL);
    p.sig_len = 63;
    assert_int_equal(verify_parts(&p, &key_a), MH_ERR_PARSE);
}

static void test_sign_refusals(void **state)
{
    mh_receipt_claims c;
    uint8_t buf[MH_RECEIPT_MAX];
    size_t len;
    (void)state;

    diploma(&c, 16);
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_p384), buf, sizeof buf, &len),
                     MH_ERR_KEY_TYPE);
    diploma(&c, 16);
    c.fields[2].key = S("name");
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_a), buf, sizeof buf, &len),
                     MH_ERR_INVALID_ARG);
    diploma(&c, 16);
    c.issuer = S("BD\x1bU");
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_a), buf, sizeof buf, &len),
                     MH_ERR_INVALID_ARG);
    diploma(&c, 16);
    c.kind = S("");
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_a), buf, sizeof buf, &len),
                     MH_ERR_INVALID_ARG);
    diploma(&c, 16);
    c.fields[0].value = S("\xff\xfe");
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_a), buf, sizeof buf, &len),
                     MH_ERR_INVALID_ARG);
    diploma(&c, 16);
    c.digest_len = 20;
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_a), buf, sizeof buf, &len),
                     MH_ERR_INVALID_ARG);
    diploma(&c, 16);
    c.nfields = MH_RECEIPT_FIELDS_MAX + 1;
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_a), buf, sizeof buf, &len),
                     MH_ERR_TOO_LARGE);
    /* eight fields of 200 bytes: more than 1 KiB */
    static char big[MH_RECEIPT_FVAL_MAX + 1];
    static char names[MH_RECEIPT_FIELDS_MAX][4];
    memset(big, 'x', MH_RECEIPT_FVAL_MAX);
    diploma(&c, 32);
    c.nfields = MH_RECEIPT_FIELDS_MAX;
    for (size_t i = 0; i < MH_RECEIPT_FIELDS_MAX; i++) {
        snprintf(names[i], sizeof names[i], "f%zu", i);
        c.fields[i].key = S(names[i]);
        c.fields[i].value = S(big);
    }
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_a), buf, sizeof buf, &len),
                     MH_ERR_TOO_LARGE);
    /* a buffer too small */
    diploma(&c, 16);
    assert_int_equal(mh_receipt_sign(&c, test_signer(&key_a), buf, 100, &len),
                     MH_ERR_BUFFER_TOO_SMALL);
}

static void test_keys(void **state)
{
    uint8_t spki[200];
    mh_receipt_key k;
    int n;
    (void)state;
    n = mbedtls_pk_write_pubkey_der(&key_a, spki, sizeof spki);
    assert_true(n > 0);
    const uint8_t *der = spki + sizeof spki - n;
    assert_int_equal(mh_receipt_key_from_spki(der, (size_t)n, &k), 0);
    assert_memory_equal(&k, &trust_a, sizeof k);
    /* kid = SHA-256(SPKI)[0..8] */
    uint8_t h[32];
    assert_int_equal(mbedtls_sha256_ret(der, (size_t)n, h, 0), 0);
    assert_memory_equal(k.kid, h, MH_RECEIPT_KID_LEN);
    assert_int_equal(mh_receipt_key_from_point(trust_a.point, 65, &k), 0);
    assert_memory_equal(&k, &trust_a, sizeof k);
    /* a P-384 key, a point off the curve, truncated DER */
    n = mbedtls_pk_write_pubkey_der(&key_p384, spki, sizeof spki);
    assert_true(n > 0);
    assert_int_equal(mh_receipt_key_from_spki(spki + sizeof spki - n, (size_t)n, &k),
                     MH_ERR_UNSUPPORTED_ALG);
    uint8_t pt[65];
    memcpy(pt, trust_a.point, 65);
    pt[64] ^= 1;
    assert_int_not_equal(mh_receipt_key_from_point(pt, 65, &k), 0);
    assert_int_not_equal(mh_receipt_key_from_point(pt, 33, &k), 0);
    n = mbedtls_pk_write_pubkey_der(&key_a, spki, sizeof spki);
    for (int cut = 0; cut < n; cut++)
        assert_int_not_equal(mh_receipt_key_from_spki(spki + sizeof spki - n, (size_t)cut, &k), 0);
}

/* ---- URL and QR ------------------------------------------------------------ */

static void test_url(void **state)
{
    mh_receipt_claims c;
    uint8_t buf[MH_RECEIPT_MAX], back[MH_RECEIPT_MAX];
    char url[MH_RECEIPT_URL_MAX];
    size_t len, ulen, blen;
    mh_receipt_str host;
    mh_receipt r;
    (void)state;
    diploma(&c, 16);
    len = make(&c, &key_a, buf);
    assert_int_equal(mh_receipt_url("verify.edu.gov.az", buf, len, url, sizeof url, &ulen), 0);
    assert_int_equal(strlen(url), ulen);
    assert_memory_equal(url, "HTTPS://VERIFY.EDU.GOV.AZ/V/", 28);
    for (size_t i = 0; i < ulen; i++)
        assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", url[i]));
    assert_int_equal(mh_receipt_url_parse(url, ulen, &host, back, sizeof back, &blen), 0);
    assert_int_equal(blen, len);
    assert_memory_equal(back, buf, len);
    assert_int_equal(host.len, strlen("VERIFY.EDU.GOV.AZ"));
    assert_int_equal(mh_receipt_verify(back, blen, &trust_a, 1, &r), 0);
    /* scheme and host are case-insensitive */
    char low[MH_RECEIPT_URL_MAX];
    memcpy(low, url, ulen + 1);
    memcpy(low, "https://verify.edu.gov.az", 25);
    assert_int_equal(mh_receipt_url_parse(low, ulen, &host, back, sizeof back, &blen), 0);
    /* but the path and the receipt are not */
    memcpy(low, url, ulen + 1);
    low[ulen - 1] = (char)(low[ulen - 1] | 0x20);
    assert_int_not_equal(mh_receipt_url_parse(low, ulen, &host, back, sizeof back, &blen), 0);
    memcpy(low, url, ulen + 1);
    low[26] = 'v';
    assert_int_equal(mh_receipt_url_parse(low, ulen, &host, back, sizeof back, &blen),
                     MH_ERR_PARSE);
    assert_int_equal(mh_receipt_url_parse("HTTP://A/V/MY", 13, &host, back, sizeof back, &blen),
                     MH_ERR_PARSE);
    assert_int_equal(mh_receipt_url_parse("HTTPS://A/V/MY", 14, &host, back, sizeof back, &blen),
                     0);
    assert_int_equal(mh_receipt_url_parse("HTTPS://A/V/MY/", 15, &host, back, sizeof back, &blen),
                     MH_ERR_PARSE);
    assert_int_equal(mh_receipt_url_parse("HTTPS://A_B/V/MY", 16, &host, back, sizeof back, &blen),
                     MH_ERR_PARSE);
    assert_int_equal(
        mh_receipt_url_parse("HTTPS://A:443/V/MY", 18, &host, back, sizeof back, &blen), 0);
    assert_int_equal(mh_receipt_url_parse("HTTPS://A:0/V/MY", 16, &host, back, sizeof back, &blen),
                     MH_ERR_PARSE);
    assert_int_equal(mh_receipt_url_parse("HTTPS://", 8, &host, back, sizeof back, &blen),
                     MH_ERR_PARSE);
    /* hosts refused when making */
    assert_int_equal(mh_receipt_url("-a.az", buf, len, url, sizeof url, &ulen), MH_ERR_INVALID_ARG);
    assert_int_equal(mh_receipt_url("a..az", buf, len, url, sizeof url, &ulen), MH_ERR_INVALID_ARG);
    assert_int_equal(mh_receipt_url("a.az/x", buf, len, url, sizeof url, &ulen),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(mh_receipt_url("a.az", buf, len, url, 40, &ulen), MH_ERR_BUFFER_TOO_SMALL);
}

static void test_diploma_qr_size(void **state)
{
    mh_receipt_claims c;
    uint8_t buf[MH_RECEIPT_MAX];
    char url[MH_RECEIPT_URL_MAX];
    size_t len, ulen;
    mh_qr qr;
    (void)state;
    for (size_t dl = 16; dl <= 32; dl += 16) {
        diploma(&c, dl);
        len = make(&c, &key_a, buf);
        assert_int_equal(mh_receipt_url("yoxla.edu.gov.az", buf, len, url, sizeof url, &ulen), 0);
        assert_int_equal(mh_qr_encode(url, MH_QR_LEVEL_M, 0, &qr), 0);
        printf("diploma (digest %zu bytes): receipt %zu bytes, URL %zu characters, QR version "
               "%d-M (%dx%d modules)\n",
               dl, len, ulen, qr.version, qr.width, qr.width);
        if (dl == 16)
            assert_true(qr.version <= 13);
        /* the cap is enforced when asked */
        int v = qr.version;
        mh_qr_free(&qr);
        assert_int_equal(mh_qr_encode(url, MH_QR_LEVEL_M, v - 1, &qr), MH_ERR_TOO_LARGE);
        assert_int_equal(mh_qr_encode(url, MH_QR_LEVEL_M, v, &qr), 0);
        mh_qr_free(&qr);
    }
}

/* A long real name: an 80-character Cyrillic name with patronymic (160
 * bytes of UTF-8), and every printed field of a diploma at its longest
 * realistic length: the receipt fits the diploma's QR limit (kinds/
 * diploma.json: version 18 at level M). */
static void test_long_name_qr_size(void **state)
{
    mh_receipt_claims c;
    uint8_t buf[MH_RECEIPT_MAX];
    char url[MH_RECEIPT_URL_MAX];
    size_t len, ulen;
    mh_qr qr;
    (void)state;
    diploma(&c, 16);
    static const char name[] = "Александрова-Воскресенская Екатерина-Маргарита Вячеславовна "
                               "Константиновна-Ивановна";
    assert_true(mh_utf8_valid((const uint8_t *)name, strlen(name)));
    assert_true(strlen(name) >= 150);
    c.nfields = 4;
    c.fields[0].key = S("name");
    c.fields[0].value = S(name);
    c.fields[1].key = S("degree");
    c.fields[1].value = S("Магистр: Компьютерные науки и информационные технологии");
    c.fields[2].key = S("date");
    c.fields[2].value = S("2026-06-30");
    c.fields[3].key = S("number");
    c.fields[3].value = S("BDU-2026-00012345");
    c.issuer = S("bdu");
    c.registry = S("AZ-EDU");
    c.host = S("verify.edu.gov.az");
    len = make(&c, &key_a, buf);
    assert_int_equal(mh_receipt_url("verify.edu.gov.az", buf, len, url, sizeof url, &ulen), 0);
    assert_int_equal(mh_qr_encode(url, MH_QR_LEVEL_M, 18, &qr), 0);
    printf("long Cyrillic name (%zu bytes): receipt %zu bytes, URL %zu characters, QR version "
           "%d-M (%dx%d modules)\n",
           strlen(name), len, ulen, qr.version, qr.width, qr.width);
    mh_qr_free(&qr);
}

/* s and n - s both verify as ECDSA; only the low one is a receipt. */
static void test_low_s(void **state)
{
    static const uint8_t n[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                  0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    mh_receipt_claims c;
    mh_receipt r;
    uint8_t buf[MH_RECEIPT_MAX];
    (void)state;
    for (int round = 0; round < 16; round++) {
        diploma(&c, 16);
        size_t len = make(&c, &key_a, buf);
        uint8_t *sig = buf + len - MH_RECEIPT_SIG_LEN;
        assert_true(mh_receipt_sig_low_s(sig));
        assert_int_equal(mh_receipt_verify(buf, len, &trust_a, 1, &r), 0);
        /* s' = n - s */
        unsigned borrow = 0;
        for (size_t i = 32; i-- > 0;) {
            unsigned d = (unsigned)n[i] - (unsigned)sig[32 + i] - borrow;
            sig[32 + i] = (uint8_t)d;
            borrow = (d >> 8) & 1u;
        }
        assert_false(mh_receipt_sig_low_s(sig));
        assert_int_equal(mh_receipt_verify(buf, len, &trust_a, 1, &r), MH_ERR_VERIFY_FAILED);
        mh_receipt_sig_normalize(sig);
        assert_int_equal(mh_receipt_verify(buf, len, &trust_a, 1, &r), 0);
    }
}

/* The digest the ledger records: every claim but the log index. */
static void test_claims_digest(void **state)
{
    mh_receipt_claims c;
    uint8_t d0[32], d1[32];
    (void)state;
    diploma(&c, 16);
    assert_int_equal(mh_receipt_claims_digest(&c, d0), 0);
    c.log_index += 77;
    assert_int_equal(mh_receipt_claims_digest(&c, d1), 0);
    assert_memory_equal(d0, d1, 32);
    /* any other claim changes it */
    for (int i = 0; i < 7; i++) {
        diploma(&c, 16);
        switch (i) {
        case 0:
            c.issuer = S("BDV");
            break;
        case 1:
            c.issued_at++;
            break;
        case 2:
            c.kind = S("notary-act");
            break;
        case 3:
            c.doc_len++;
            break;
        case 4:
            c.fields[0].value = S("Məmmədova Şəbnəm Tofiq qızi");
            break;
        case 5:
            c.host = S("verify.evil.az");
            break;
        default:
            c.nfields = 3;
            break;
        }
        assert_int_equal(mh_receipt_claims_digest(&c, d1), 0);
        assert_memory_not_equal(d0, d1, 32);
    }
    /* the host the QR opens is compared case-insensitively */
    diploma(&c, 16);
    mh_receipt_str h = S("VERIFY.EDU.AZ");
    assert_true(mh_receipt_host_matches(&c, &h));
    h = S("VERIFY.EDU.AZ.EVIL.COM");
    assert_false(mh_receipt_host_matches(&c, &h));
}

static void test_qr_drawings(void **state)
{
    mh_qr qr;
    uint8_t *png = NULL;
    char *svg = NULL;
    size_t len;
    (void)state;
    assert_int_equal(mh_qr_encode("HTTPS://A.AZ/V/MZXW6YTBOI", MH_QR_LEVEL_M, 0, &qr), 0);
    assert_int_equal(qr.version, 2); /* 25 alphanumeric chars fit version 2-M (up to 38) */
    assert_int_equal(qr.width, 25);
    /* finder pattern: the top-left 7x7 has a dark ring */
    for (int i = 0; i < 7; i++) {
        assert_true(mh_qr_dark(&qr, i, 0) && mh_qr_dark(&qr, 0, i));
        assert_true(mh_qr_dark(&qr, i, 6) && mh_qr_dark(&qr, 6, i));
    }
    assert_false(mh_qr_dark(&qr, 1, 1));
    assert_int_equal(mh_qr_png(&qr, 4, &png, &len), 0);
    assert_true(len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    free(png);
    assert_int_equal(mh_qr_png(&qr, 0, &png, &len), MH_ERR_INVALID_ARG);
    assert_int_equal(mh_qr_svg(&qr, 4, &svg, &len), 0);
    assert_non_null(strstr(svg, "crispEdges"));
    assert_non_null(strstr(svg, "viewBox=\"0 0 33 33\""));
    free(svg);
    size_t max = mh_qr_pdf_ops_max(&qr);
    char *ops = malloc(max);
    assert_non_null(ops);
    assert_int_equal(mh_qr_pdf_ops(&qr, 72, 72, 99, ops, max, &len), 0);
    assert_int_equal(strlen(ops), len);
    assert_memory_equal(ops, "q\n1 g\n72.000 72.000 99.000 99.000 re\nf\n0 g\n", 43);
    assert_non_null(strstr(ops, "f\nQ\n"));
    /* the first row's first run: the finder's top edge, 7 modules wide, at
     * x = 72 + 4*3, y = 72 + 99 - 5*3 (3 points per module) */
    assert_non_null(strstr(ops, "84.000 156.000 21.000 3.000 re\n"));
    assert_int_equal(mh_qr_pdf_ops(&qr, 72, 72, 99, ops, len, &len), MH_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(mh_qr_pdf_ops(&qr, 72, 72, -1, ops, max, &len), MH_ERR_INVALID_ARG);
    free(ops);
    mh_qr_free(&qr);
    /* a text too long for a QR code */
    char *huge = malloc(MH_QR_TEXT_MAX + 1);
    assert_non_null(huge);
    memset(huge, 'A', MH_QR_TEXT_MAX);
    huge[MH_QR_TEXT_MAX] = '\0';
    assert_int_equal(mh_qr_encode(huge, MH_QR_LEVEL_H, 0, &qr), MH_ERR_TOO_LARGE);
    free(huge);
    assert_int_equal(mh_qr_encode("", MH_QR_LEVEL_M, 0, &qr), MH_ERR_INVALID_ARG);
}

/* PDF numbers keep "%s%lld.%03lld" of the value rounded to thousandths:
 * negative values, values under one, rounding. */
static void test_qr_pdf_numbers(void **state)
{
    mh_qr qr;
    size_t len;
    (void)state;
    assert_int_equal(mh_qr_encode("HTTPS://A.AZ/V/MZXW6YTBOI", MH_QR_LEVEL_M, 0, &qr), 0);
    size_t max = mh_qr_pdf_ops_max(&qr);
    char *ops = malloc(max);
    assert_non_null(ops);
    assert_int_equal(mh_qr_pdf_ops(&qr, -0.0004, -1.5, 0.0333, ops, max, &len), 0);
    static const char want1[] = "q\n1 g\n0.000 -1.500 0.033 0.033 re\nf\n0 g\n";
    assert_memory_equal(ops, want1, sizeof want1 - 1);
    assert_int_equal(mh_qr_pdf_ops(&qr, -12.3456, 7.0005, 1234.5678, ops, max, &len), 0);
    static const char want2[] = "q\n1 g\n-12.346 7.001 1234.568 1234.568 re\n";
    assert_memory_equal(ops, want2, sizeof want2 - 1);
    free(ops);
    mh_qr_free(&qr);
}

/* mh_qr_encode chooses the mask itself (host/qr/qr_mask.c) and must make
 * the very symbol libqrencode's QRcode_encodeString makes: every module,
 * over texts of every length class and all four levels (receipt URLs,
 * mixed-mode text, bytes, digits). */
static void test_qr_same_as_libqrencode(void **state)
{
    (void)state;
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    char *text = malloc(2000);
    assert_non_null(text);
    /* the fast path is there (Debian's libqrencode 4 exports what it
     * needs), so what follows compares it, not libqrencode with itself */
    int fv = 0, fw = 0;
    uint8_t *fm = NULL;
    assert_int_equal(mh_qr_encode_fast("HTTPS://A.AZ/V/MZXW6YTBOI", QR_ECLEVEL_M, &fv, &fw, &fm),
                     0);
    assert_int_equal(fv, 2);
    free(fm);
    uint32_t x = 12345;
    unsigned checked = 0;
    for (int it = 0; it < 1200; it++) {
        size_t n = 1 + (size_t)(it < 600 ? it : (it * 7) % 1900);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            unsigned r = (x >> 16) & 0x7fff;
            switch (it % 4) {
            case 0: /* a receipt URL's alphabet */
                text[i] = alnum[r % 45];
                break;
            case 1: /* digits, with some letters */
                text[i] = (char)(r % 10 == 0 ? 'A' + r % 26 : '0' + r % 10);
                break;
            case 2: /* printable ASCII, lower case too */
                text[i] = (char)(' ' + r % 95);
                break;
            default: /* long runs of one character */
                text[i] = (r % 8) ? (i ? text[i - 1] : 'A') : alnum[r % 45];
                break;
            }
        }
        text[n] = '\0';
        if (strncmp(text, "HTTPS", 5) == 0)
            text[0] = 'X';
        for (int lvl = MH_QR_LEVEL_L; lvl <= MH_QR_LEVEL_H; lvl++) {
            static const QRecLevel ql[4] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
            QRcode *want = QRcode_encodeString(text, 0, ql[lvl], QR_MODE_8, 1);
            mh_qr qr;
            int rc = mh_qr_encode(text, (enum mh_qr_level)lvl, 0, &qr);
            if (!want) {
                assert_int_not_equal(rc, 0);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(qr.version, want->version);
            assert_int_equal(qr.width, want->width);
            for (int i = 0; i < want->width * want->width; i++)
                if (qr.modules[i] != (want->data[i] & 1u))
                    fail_msg("text of %zu characters, level %d: module %d differs", n, lvl, i);
            checked++;
            mh_qr_free(&qr);
            QRcode_free(want);
        }
    }
    print_message("qr: %u symbols equal to libqrencode's\n", checked);
    assert_true(checked > 4000);
    free(text);
}

/* mh_qr_alnum_fits says what mh_qr_encode says of as many 'A's, for every
 * length around each version's capacity, twice (the second answer is the
 * remembered one). */
static void test_qr_alnum_fits(void **state)
{
    (void)state;
    char *text = malloc(MH_QR_TEXT_MAX + 2);
    assert_non_null(text);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t n = 1; n <= MH_QR_TEXT_MAX; n += (n < 400 ? 1 : 37)) {
            memset(text, 'A', n);
            text[n] = '\0';
            for (int lvl = MH_QR_LEVEL_L; lvl <= MH_QR_LEVEL_H; lvl++) {
                mh_qr qr;
                int rc = mh_qr_encode(text, (enum mh_qr_level)lvl, 0, &qr);
                int want = rc ? 0 : qr.version;
                if (!rc)
                    mh_qr_free(&qr);
                int v = -1;
                assert_int_equal(mh_qr_alnum_fits(n, (enum mh_qr_level)lvl, 0, &v), rc);
                assert_int_equal(v, want);
                if (want > 1) {
                    assert_int_equal(mh_qr_alnum_fits(n, (enum mh_qr_level)lvl, want - 1, NULL),
                                     MH_ERR_TOO_LARGE);
                    assert_int_equal(mh_qr_alnum_fits(n, (enum mh_qr_level)lvl, want, NULL), 0);
                }
            }
        }
    }
    assert_int_equal(mh_qr_alnum_fits(MH_QR_TEXT_MAX + 1, MH_QR_LEVEL_L, 0, NULL),
                     MH_ERR_TOO_LARGE);
    assert_int_equal(mh_qr_alnum_fits(0, MH_QR_LEVEL_L, 0, NULL), MH_ERR_INVALID_ARG);
    assert_int_equal(mh_qr_alnum_fits(10, MH_QR_LEVEL_L, 41, NULL), MH_ERR_INVALID_ARG);
    free(text);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not a pass/fail check: prints what a receipt costs here. */
static void test_speed(void **state)
{
    mh_receipt_claims c;
    mh_receipt r;
    uint8_t buf[MH_RECEIPT_MAX];
    char url[MH_RECEIPT_URL_MAX];
    size_t len = 0, ulen;
    mh_qr qr;
    const int n = 100;
    double t0, t1, t2, t3;
    (void)state;
    diploma(&c, 16);
    t0 = now_s();
    for (int i = 0; i < n; i++)
        len = make(&c, &key_a, buf);
    t1 = now_s();
    for (int i = 0; i < n; i++)
        assert_int_equal(mh_receipt_verify(buf, len, &trust_a, 1, &r), 0);
    t2 = now_s();
    assert_int_equal(mh_receipt_url("yoxla.edu.gov.az", buf, len, url, sizeof url, &ulen), 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(mh_qr_encode(url, MH_QR_LEVEL_M, 0, &qr), 0);
        mh_qr_free(&qr);
    }
    t3 = now_s();
    printf("per second, one core: %.0f receipts signed (mbedTLS software key), %.0f verified, "
           "%.0f QR codes encoded\n",
           n / (t1 - t0), n / (t2 - t1), n / (t3 - t2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base32_vectors),
        cmocka_unit_test(test_qr_pdf_numbers),
        cmocka_unit_test(test_qr_alnum_fits),
        cmocka_unit_test(test_qr_same_as_libqrencode),
        cmocka_unit_test(test_base32_random),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_custom_names),
        cmocka_unit_test(test_every_bit),
        cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_claims_layout),
        cmocka_unit_test(test_sign_refusals),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_diploma_qr_size),
        cmocka_unit_test(test_long_name_qr_size),
        cmocka_unit_test(test_low_s),
        cmocka_unit_test(test_claims_digest),
        cmocka_unit_test(test_qr_drawings),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
