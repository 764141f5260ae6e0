/* note.c - C2SP signed notes: strict parsing, verification with Ed25519,
 * ECDSA P-256, cosignature/v1 and RFC 6962 STH keys, and signing through a
 * callback. No allocation: every buffer is on the stack with a fixed cap. */
#include <string.h>

#include <mbedtls/sha256.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

static const char EM_DASH_SP[] = "\xe2\x80\x94 "; /* U+2014 and a space */
#define EM_DASH_SP_LEN 4

/* ---- text rules ---- */

static bool is_control(long cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

static bool is_space(long cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* Valid UTF-8 with no control character except newline. */
static int text_check(const char *t, size_t len)
{
    const uint8_t *s = (const uint8_t *)t;
    size_t i = 0;
    while (i < len) {
        size_t at = i;
        uint32_t c = mh_utf8_next(s, len, &i);
        if (c == MH_UTF8_BAD) {
            mh_err_set(MH_ERR_PARSE,
                       "the note is not valid UTF-8 (byte %zu): it was damaged or is not a note",
                       at);
            return MH_ERR_PARSE;
        }
        long cp = (long)c;
        if (cp != '\n' && is_control(cp)) {
            mh_err_set(MH_ERR_PARSE,
                       "the note holds a control character (U+%04lX at byte %zu): notes are "
                       "plain text lines",
                       (unsigned long)cp, at);
            return MH_ERR_PARSE;
        }
    }
    return 0;
}

/* A key name: non-empty, valid UTF-8, no spaces, no '+', no controls. */
static bool name_ok(const char *name, size_t len)
{
    const uint8_t *s = (const uint8_t *)name;
    size_t i = 0;
    if (len == 0 || len > MH_NOTE_MAX_NAME)
        return false;
    while (i < len) {
        uint32_t c = mh_utf8_next(s, len, &i);
        long cp = (long)c;
        if (c == MH_UTF8_BAD || is_control(cp) || is_space(cp) || cp == '+')
            return false;
    }
    return true;
}

/* ---- keys ---- */

static const uint8_t OID_EC_PUBLIC_KEY[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_P256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/* An ECDSA P-256 SubjectPublicKeyInfo, uncompressed point: *pt gets the 65
 * point bytes inside it. */
static int spki_p256(const uint8_t *spki, size_t len, const uint8_t **pt)
{
    mh_der d, in, alg;
    mh_der_elem e, a, oid, bits;
    const uint8_t *b;
    size_t bl;
    unsigned unused;
    mh_der_init(&d, spki, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &e) != 0 || !mh_der_done(&d))
        return MH_ERR_PARSE;
    mh_der_enter(&in, &e);
    if (mh_der_expect(&in, MH_DER_SEQUENCE, &a) != 0)
        return MH_ERR_PARSE;
    mh_der_enter(&alg, &a);
    if (mh_der_expect(&alg, MH_DER_OID, &oid) != 0 ||
        !mh_der_oid_is(&oid, OID_EC_PUBLIC_KEY, sizeof OID_EC_PUBLIC_KEY) ||
        mh_der_expect(&alg, MH_DER_OID, &oid) != 0 ||
        !mh_der_oid_is(&oid, OID_P256, sizeof OID_P256) || !mh_der_done(&alg))
        return MH_ERR_UNSUPPORTED_ALG;
    if (mh_der_expect(&in, MH_DER_BIT_STRING, &bits) != 0 || !mh_der_done(&in) ||
        mh_der_bitstring(&bits, &b, &bl, &unused) != 0 || unused != 0 || bl != 65 || b[0] != 0x04)
        return MH_ERR_PARSE;
    *pt = b;
    return 0;
}

/* Checks an SPKI's point is on P-256 (pki/sig, through the ECDSA backend). */
static int p256_key_check(const uint8_t *spki, size_t len)
{
    const uint8_t *pt;
    int ret = spki_p256(spki, len, &pt);
    if (ret != 0)
        return ret;
    return mh_pki_ec_point_check(MBEDTLS_ECP_DP_SECP256R1, pt, 65) == 0 ? 0 : MH_ERR_PARSE;
}

/* ECDSA P-256 over a SHA-256 digest, DER signature, through pki/sig (the
 * one ECDSA verifier): 0 or MH_ERR_VERIFY_FAILED. */
static int p256_verify(const uint8_t *spki, size_t spki_len, const uint8_t hash[32],
                       const uint8_t *sig, size_t sig_len)
{
    const uint8_t *pt;
    if (spki_p256(spki, spki_len, &pt) != 0)
        return MH_ERR_VERIFY_FAILED;
    return mh_pki_ecdsa_verify(MBEDTLS_ECP_DP_SECP256R1, pt, 65, hash, 32, MH_SIG_DER, sig,
                               sig_len) == 0
               ? 0
               : MH_ERR_VERIFY_FAILED;
}

/* A signer's DER signature, read as the verifier would read it. */
static int ecdsa_sig_der(const uint8_t *sig, size_t len)
{
    uint8_t raw[64];
    return mh_pki_ecdsa_der_to_raw(MBEDTLS_ECP_DP_SECP256R1, sig, len, raw, sizeof raw, NULL);
}

int mh_note_keyid(const char *name, size_t name_len, uint8_t type, const uint8_t *key,
                  size_t key_len, uint8_t id[4])
{
    uint8_t h[32], lid[32];
    const uint8_t sep[2] = {0x0a, type};
    mbedtls_sha256_context c;
    int ret = MH_ERR_INVALID_ARG;
    if (!name || !key || !id)
        return MH_ERR_INVALID_ARG;
    mbedtls_sha256_init(&c);
    switch (type) {
    case MH_NOTE_ED25519:
    case MH_NOTE_COSIG:
        if (key_len != 32)
            goto out;
        if (mbedtls_sha256_starts_ret(&c, 0) ||
            mbedtls_sha256_update_ret(&c, (const uint8_t *)name, name_len) ||
            mbedtls_sha256_update_ret(&c, sep, 2) || mbedtls_sha256_update_ret(&c, key, 32) ||
            mbedtls_sha256_finish_ret(&c, h))
            goto out;
        break;
    case MH_NOTE_ECDSA:
        if (mbedtls_sha256_ret(key, key_len, h, 0))
            goto out;
        break;
    case MH_NOTE_RFC6962:
        /* the RFC 6962 log ID is SHA-256 of the SPKI */
        if (mbedtls_sha256_ret(key, key_len, lid, 0) || mbedtls_sha256_starts_ret(&c, 0) ||
            mbedtls_sha256_update_ret(&c, (const uint8_t *)name, name_len) ||
            mbedtls_sha256_update_ret(&c, sep, 2) || mbedtls_sha256_update_ret(&c, lid, 32) ||
            mbedtls_sha256_finish_ret(&c, h))
            goto out;
        break;
    default:
        ret = MH_ERR_UNSUPPORTED_ALG;
        goto out;
    }
    memcpy(id, h, 4);
    ret = 0;
out:
    mbedtls_sha256_free(&c);
    return ret;
}

int mh_note_vkey_parse(const char *vkey, size_t len, mh_note_vkey *out)
{
    uint8_t raw[1 + MH_NOTE_MAX_KEY], id[4];
    size_t p1, p2, n;
    int ret = MH_ERR_PARSE;
    if (!vkey || !out)
        return MH_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (len > MH_NOTE_MAX_VKEY) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the verifier key is longer than %d characters: it is not a note key",
                   MH_NOTE_MAX_VKEY);
        return MH_ERR_TOO_LARGE;
    }
    /* name+hex+base64: the name has no '+', so the first two '+' split it */
    for (p1 = 0; p1 < len && vkey[p1] != '+'; p1++)
        ;
    for (p2 = p1 + 1; p2 < len && vkey[p2] != '+'; p2++)
        ;
    if (p1 >= len || p2 >= len || !name_ok(vkey, p1) || p2 - p1 - 1 != 8) {
        mh_err_set(ret, "the verifier key is not <name>+<8 hex digits>+<base64 key>");
        goto out;
    }
    for (size_t i = 0; i < 4; i++) {
        int hi = mh_hexval(vkey[p1 + 1 + 2 * i]), lo = mh_hexval(vkey[p1 + 2 + 2 * i]);
        if (hi < 0 || lo < 0) {
            mh_err_set(ret, "the verifier key's ID is not 8 hex digits");
            goto out;
        }
        out->id[i] = (uint8_t)(hi << 4 | lo);
    }
    if (mh_base64_decode(vkey + p2 + 1, len - p2 - 1, raw, sizeof raw, &n) != 0 || n < 2) {
        mh_err_set(ret, "the verifier key's key is not valid base64 of a type byte and a key");
        goto out;
    }
    out->type = raw[0];
    out->key_len = n - 1;
    memcpy(out->key, raw + 1, n - 1);
    switch (out->type) {
    case MH_NOTE_ED25519:
    case MH_NOTE_COSIG:
        if (out->key_len != 32) {
            mh_err_set(ret, "the verifier key's Ed25519 key is %zu bytes, not 32", out->key_len);
            goto out;
        }
        break;
    case MH_NOTE_ECDSA:
    case MH_NOTE_RFC6962:
        if (p256_key_check(out->key, out->key_len) != 0) {
            mh_err_set(ret, "the verifier key's ECDSA key is not a P-256 public key (SPKI)");
            goto out;
        }
        break;
    default:
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "the verifier key has type 0x%02x; mohur supports 0x01 (Ed25519), 0x02 "
                   "(ECDSA P-256), 0x04 (cosignature) and 0x05 (RFC 6962)",
                   out->type);
        ret = MH_ERR_UNSUPPORTED_ALG;
        goto out;
    }
    if (mh_note_keyid(vkey, p1, out->type, out->key, out->key_len, id) != 0 ||
        mh_ct_memcmp(id, out->id, 4) != 0) {
        mh_err_set(ret, "the verifier key's ID does not match its name and key: the key was "
                        "mistyped or altered");
        goto out;
    }
    memcpy(out->name, vkey, p1);
    out->name[p1] = 0;
    out->name_len = p1;
    ret = 0;
out:
    if (ret != 0)
        memset(out, 0, sizeof *out);
    return ret;
}

int mh_note_vkey_format(const char *name, uint8_t type, const uint8_t *key, size_t key_len,
                        char *out, size_t cap, size_t *out_len)
{
    uint8_t raw[1 + MH_NOTE_MAX_KEY], id[4];
    size_t nl, bl;
    int ret;
    if (!name || !key || !out || !out_len)
        return MH_ERR_INVALID_ARG;
    nl = strlen(name);
    if (!name_ok(name, nl) || key_len > MH_NOTE_MAX_KEY)
        return MH_ERR_INVALID_ARG;
    if ((type == MH_NOTE_ECDSA || type == MH_NOTE_RFC6962) && p256_key_check(key, key_len) != 0)
        return MH_ERR_INVALID_ARG;
    ret = mh_note_keyid(name, nl, type, key, key_len, id);
    if (ret != 0)
        return ret;
    if (nl + 10 >= cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(out, name, nl);
    out[nl] = '+';
    for (size_t i = 0; i < 4; i++) {
        out[nl + 1 + 2 * i] = "0123456789abcdef"[id[i] >> 4];
        out[nl + 2 + 2 * i] = "0123456789abcdef"[id[i] & 15];
    }
    out[nl + 9] = '+';
    raw[0] = type;
    memcpy(raw + 1, key, key_len);
    ret = mh_base64_encode(raw, key_len + 1, out + nl + 10, cap - nl - 10, &bl);
    if (ret != 0)
        return ret;
    *out_len = nl + 10 + bl;
    return 0;
}

/* ---- parsing ---- */

/* One signature line from [p, end): name, key ID and signature bytes
 * (after the key ID). *next is where the following line starts. */
struct sigline {
    const char *name;
    size_t name_len;
    uint8_t id[4];
    uint8_t sig[MH_NOTE_MAX_SIG];
    size_t sig_len;
};

static int sig_line(const char *p, const char *end, struct sigline *sl, const char **next)
{
    uint8_t raw[4 + MH_NOTE_MAX_SIG];
    size_t n;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) {
        mh_err_set(MH_ERR_PARSE,
                   "the note's last signature line does not end in a newline: it was truncated");
        return MH_ERR_PARSE;
    }
    if ((size_t)(nl - p) > MH_NOTE_MAX_LINE) {
        mh_err_set(MH_ERR_TOO_LARGE, "a signature line of the note is too long");
        return MH_ERR_TOO_LARGE;
    }
    if (nl - p < EM_DASH_SP_LEN || mh_ct_memcmp(p, EM_DASH_SP, EM_DASH_SP_LEN) != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "a line after the note's blank line does not start with an em dash (U+2014) "
                   "and a space: only signature lines may follow the text");
        return MH_ERR_PARSE;
    }
    const char *name = p + EM_DASH_SP_LEN;
    const char *sp = memchr(name, ' ', (size_t)(nl - name));
    if (!sp || !name_ok(name, (size_t)(sp - name))) {
        mh_err_set(MH_ERR_PARSE,
                   "a signature line of the note has no valid key name followed by a space");
        return MH_ERR_PARSE;
    }
    if (mh_base64_decode(sp + 1, (size_t)(nl - sp - 1), raw, sizeof raw, &n) != 0 || n < 5) {
        mh_err_set(MH_ERR_PARSE,
                   "the signature by '%.*s' is not valid base64 of a key ID and a signature",
                   (int)(sp - name), name);
        return MH_ERR_PARSE;
    }
    sl->name = name;
    sl->name_len = (size_t)(sp - name);
    memcpy(sl->id, raw, 4);
    sl->sig_len = n - 4;
    memcpy(sl->sig, raw + 4, n - 4);
    *next = nl + 1;
    return 0;
}

int mh_note_parse(const char *note, size_t len, size_t *text_len)
{
    struct sigline sl;
    const char *p, *end;
    size_t i, nsigs = 0;
    int ret;
    if (!note || !text_len)
        return MH_ERR_INVALID_ARG;
    *text_len = 0;
    if (len > MH_NOTE_MAX_TEXT + (size_t)MH_NOTE_MAX_SIGS * (MH_NOTE_MAX_LINE + 1)) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the note is %zu bytes, over mohur's limit of 1 MiB of text and %d "
                   "signatures",
                   len, MH_NOTE_MAX_SIGS);
        return MH_ERR_TOO_LARGE;
    }
    ret = text_check(note, len);
    if (ret != 0)
        return ret;
    /* the signatures start after the last blank line */
    for (i = len; i >= 2; i--) {
        if (note[i - 1] == '\n' && note[i - 2] == '\n')
            break;
    }
    if (i < 2) {
        mh_err_set(MH_ERR_PARSE,
                   "the note has no blank line before its signatures: it is not a signed note");
        return MH_ERR_PARSE;
    }
    if (i - 1 > MH_NOTE_MAX_TEXT) {
        mh_err_set(MH_ERR_TOO_LARGE, "the note's text is over mohur's limit of 1 MiB");
        return MH_ERR_TOO_LARGE;
    }
    p = note + i;
    end = note + len;
    if (p == end) {
        mh_err_set(MH_ERR_PARSE, "the note has no signature lines after its blank line");
        return MH_ERR_PARSE;
    }
    while (p < end) {
        if (++nsigs > MH_NOTE_MAX_SIGS) {
            mh_err_set(MH_ERR_TOO_LARGE, "the note has more than %d signatures", MH_NOTE_MAX_SIGS);
            return MH_ERR_TOO_LARGE;
        }
        ret = sig_line(p, end, &sl, &p);
        if (ret != 0)
            return ret;
    }
    *text_len = i - 1;
    return 0;
}

/* ---- verification ---- */

/* "cosignature/v1\ntime <decimal>\n" */
static size_t cosig_prefix(uint64_t t, char out[48])
{
    static const char head[] = "cosignature/v1\ntime ";
    char digits[21];
    size_t n = 0, o = sizeof head - 1;
    memcpy(out, head, o);
    do {
        digits[n++] = (char)('0' + t % 10);
        t /= 10;
    } while (t);
    while (n)
        out[o++] = digits[--n];
    out[o++] = '\n';
    return o;
}

/* 0x05: the TreeHeadSignature of RFC 6962 3.5, from the checkpoint text. */
static int rfc6962_verify(const mh_note_vkey *k, const char *text, size_t text_len,
                          const struct sigline *sl, uint64_t *time)
{
    mh_checkpoint cp;
    uint8_t ths[2 + 8 + 8 + 32], h[32];
    if (sl->sig_len < 8 + 4)
        return MH_ERR_VERIFY_FAILED;
    if (mh_checkpoint_parse(text, text_len, &cp) != 0 || cp.ext_len != 0 ||
        cp.origin_len != k->name_len || mh_ct_memcmp(cp.origin, k->name, k->name_len) != 0)
        return MH_ERR_VERIFY_FAILED; /* the STH covers none of the other lines */
    const uint8_t *ds = sl->sig + 8;
    size_t dlen = (size_t)ds[2] << 8 | ds[3];
    /* DigitallySigned: hash sha256(4), signature ecdsa(3), length, DER */
    if (ds[0] != 4 || ds[1] != 3 || dlen != sl->sig_len - 12)
        return MH_ERR_VERIFY_FAILED;
    ths[0] = 0; /* v1 */
    ths[1] = 1; /* tree_hash */
    memcpy(ths + 2, sl->sig, 8);
    mh_be64_put(ths + 10, cp.size);
    memcpy(ths + 18, cp.root, 32);
    if (mbedtls_sha256_ret(ths, sizeof ths, h, 0) != 0)
        return MH_ERR_VERIFY_FAILED;
    *time = mh_be64_get(sl->sig);
    return p256_verify(k->key, k->key_len, h, ds + 4, dlen);
}

static int verify_one(const mh_note_vkey *k, const char *text, size_t text_len,
                      const struct sigline *sl, uint64_t *time)
{
    uint8_t h[32];
    char pre[48];
    size_t pl;
    *time = 0;
    switch (k->type) {
    case MH_NOTE_ED25519:
        if (sl->sig_len != 64)
            return MH_ERR_VERIFY_FAILED;
        return mh_ed25519_verify(k->key, (const uint8_t *)text, text_len, sl->sig) == 0
                   ? 0
                   : MH_ERR_VERIFY_FAILED;
    case MH_NOTE_ECDSA:
        if (mbedtls_sha256_ret((const uint8_t *)text, text_len, h, 0) != 0)
            return MH_ERR_VERIFY_FAILED;
        return p256_verify(k->key, k->key_len, h, sl->sig, sl->sig_len);
    case MH_NOTE_COSIG:
        if (sl->sig_len != 8 + 64)
            return MH_ERR_VERIFY_FAILED;
        *time = mh_be64_get(sl->sig);
        pl = cosig_prefix(*time, pre);
        return mh_ed25519_verify2(k->key, (const uint8_t *)pre, pl, (const uint8_t *)text, text_len,
                                  sl->sig + 8) == 0
                   ? 0
                   : MH_ERR_VERIFY_FAILED;
    case MH_NOTE_RFC6962:
        return rfc6962_verify(k, text, text_len, sl, time);
    default:
        return MH_ERR_VERIFY_FAILED;
    }
}

int mh_note_verify(const char *note, size_t len, const mh_note_vkey *keys, size_t nkeys,
                   mh_note_status *status, size_t *text_len)
{
    struct sigline sl;
    size_t tl = 0, nsigs = 0, verified = 0;
    const char *p, *end;
    int ret;
    if (!note || (!keys && nkeys) || nkeys > MH_NOTE_MAX_SIGS)
        return MH_ERR_INVALID_ARG;
    if (status)
        memset(status, 0, nkeys * sizeof *status);
    if (text_len)
        *text_len = 0;
    ret = mh_note_parse(note, len, &tl);
    if (ret != 0)
        return ret;
    p = note + tl + 1;
    end = note + len;
    while (p < end) {
        ret = sig_line(p, end, &sl, &p);
        if (ret != 0)
            return ret;
        nsigs++;
        for (size_t k = 0; k < nkeys; k++) {
            uint64_t t;
            if (keys[k].name_len != sl.name_len ||
                mh_ct_memcmp(keys[k].name, sl.name, sl.name_len) != 0 ||
                mh_ct_memcmp(keys[k].id, sl.id, 4) != 0)
                continue;
            if (verify_one(&keys[k], note, tl, &sl, &t) != 0) {
                mh_err_set(MH_ERR_VERIFY_FAILED,
                           "the signature by '%s' (key %02x%02x%02x%02x) does not verify: the "
                           "note was altered or signed by another key",
                           keys[k].name, keys[k].id[0], keys[k].id[1], keys[k].id[2],
                           keys[k].id[3]);
                if (status)
                    memset(status, 0, nkeys * sizeof *status);
                return MH_ERR_VERIFY_FAILED;
            }
            if (status) {
                status[k].verified = true;
                status[k].time = t;
            }
            verified++;
        }
    }
    if (verified == 0) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "none of the note's %zu signatures is by a key mohur knows: add the signer's "
                   "verifier key",
                   nsigs);
        return MH_ERR_NOT_FOUND;
    }
    if (text_len)
        *text_len = tl;
    return 0;
}

/* ---- signing ---- */

int mh_note_sig_line(const char *name, const uint8_t keyid[4], const uint8_t *sig, size_t sig_len,
                     char *out, size_t cap, size_t *out_len)
{
    uint8_t raw[4 + MH_NOTE_MAX_SIG];
    size_t nl, bl;
    int ret;
    if (!name || !keyid || !sig || !out || !out_len)
        return MH_ERR_INVALID_ARG;
    nl = strlen(name);
    if (!name_ok(name, nl) || sig_len == 0 || sig_len > MH_NOTE_MAX_SIG)
        return MH_ERR_INVALID_ARG;
    if (EM_DASH_SP_LEN + nl + 1 >= cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(out, EM_DASH_SP, EM_DASH_SP_LEN);
    memcpy(out + EM_DASH_SP_LEN, name, nl);
    out[EM_DASH_SP_LEN + nl] = ' ';
    memcpy(raw, keyid, 4);
    memcpy(raw + 4, sig, sig_len);
    size_t o = EM_DASH_SP_LEN + nl + 1;
    ret = mh_base64_encode(raw, 4 + sig_len, out + o, cap - o, &bl);
    if (ret != 0)
        return ret;
    o += bl;
    if (o + 2 > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    out[o++] = '\n';
    out[o] = 0;
    *out_len = o;
    return 0;
}

int mh_note_sign(const char *text, size_t text_len, const char *key_name, uint8_t key_type,
                 const uint8_t keyid[4], const mh_signer *key, char *out, size_t cap,
                 size_t *out_len)
{
    uint8_t sig[MH_NOTE_MAX_SIG];
    size_t sig_len = 0, ll;
    int ret = MH_ERR_INVALID_ARG;
    if (!text || !key_name || !keyid || !key || !out || !out_len)
        goto out;
    *out_len = 0;
    if (text_len == 0 || text[text_len - 1] != '\n') {
        mh_err_set(ret, "a note's text must be non-empty and end in a newline");
        goto out;
    }
    if (text_len > MH_NOTE_MAX_TEXT) {
        mh_err_set(MH_ERR_TOO_LARGE, "a note's text is limited to 1 MiB");
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    ret = text_check(text, text_len);
    if (ret != 0)
        goto out;
    ret = MH_ERR_INVALID_ARG;
    if (!name_ok(key_name, strlen(key_name))) {
        mh_err_set(ret, "the key name must be non-empty, without spaces or '+'");
        goto out;
    }
    if (key_type != MH_NOTE_ED25519 && key_type != MH_NOTE_ECDSA) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "notes are signed with Ed25519 (0x01) or ECDSA P-256 (0x02) keys");
        ret = MH_ERR_UNSUPPORTED_ALG;
        goto out;
    }
    if ((key_type == MH_NOTE_ED25519) != (key->alg == MH_SIG_ED25519) ||
        (key_type == MH_NOTE_ECDSA && key->alg != MH_SIG_ECDSA)) {
        ret = mh_err_set(MH_ERR_KEY_TYPE, "a note key of type 0x%02x cannot sign with a %s key",
                         key_type, mh_sig_alg_name(key->alg));
        goto out;
    }
    if (text_len + 1 >= cap) {
        ret = MH_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    /* Ed25519 over the text; ECDSA P-256 over SHA-256(text), in DER */
    ret = mh_signer_sign_message(key, MBEDTLS_MD_SHA256, (const uint8_t *)text, text_len,
                                 MH_SIG_DER, sig, sizeof sig, &sig_len);
    if (ret != 0)
        goto out;
    ret = MH_ERR_INTERNAL;
    if (sig_len > sizeof sig || (key_type == MH_NOTE_ED25519 && sig_len != 64) ||
        (key_type == MH_NOTE_ECDSA && ecdsa_sig_der(sig, sig_len) != 0)) {
        mh_err_set(ret, "the signer returned a signature of the wrong form for key type 0x%02x",
                   key_type);
        goto out;
    }
    memcpy(out, text, text_len);
    out[text_len] = '\n';
    ret = mh_note_sig_line(key_name, keyid, sig, sig_len, out + text_len + 1, cap - text_len - 1,
                           &ll);
    if (ret != 0)
        goto out;
    *out_len = text_len + 1 + ll;
    ret = 0;
out:
    mh_wipe(sig, sizeof sig);
    return ret;
}
