/* tsp.c - RFC 3161 time-stamp requests, responses and tokens (pki_tsp.h). */
#include <stdlib.h>
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "pki_cms.h"
#include "pki_tsp.h"

const uint8_t mh_tsp_policy_etsi_baseline[6] = {0x04, 0x00, 0x8f, 0x67, 0x01, 0x01};

static bool md_ok(mbedtls_md_type_t md)
{
    return md == MBEDTLS_MD_SHA256 || md == MBEDTLS_MD_SHA384 || md == MBEDTLS_MD_SHA512;
}

/* ---- requests ----------------------------------------------------------- */

int mh_tsp_req_init(mh_tsp_req *r, mbedtls_md_type_t md, const uint8_t *digest, size_t dlen)
{
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    if (!r || !digest)
        return MH_ERR_INVALID_ARG;
    memset(r, 0, sizeof *r);
    if (!md_ok(md) || !mi || dlen != mbedtls_md_get_size(mi)) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "timestamp request: the digest must be SHA-256, SHA-384 or SHA-512");
        return MH_ERR_UNSUPPORTED_ALG;
    }
    r->md = md;
    memcpy(r->imprint, digest, dlen);
    r->imprint_len = dlen;
    return 0;
}

static void write_imprint(mh_derw *w, const mh_tsp_req *r)
{
    const uint8_t *end = w->p;
    mh_derw_tlv(w, MH_DER_OCTET_STRING, r->imprint, r->imprint_len);
    if (r->alg_der_len)
        mh_derw_raw(w, r->alg_der, r->alg_der_len);
    else
        mh_derw_md_alg(w, r->md);
    mh_derw_wrap(w, MH_DER_SEQUENCE, end);
}

int mh_tsp_req_encode(const mh_tsp_req *r, uint8_t *out, size_t cap, size_t *out_len)
{
    mh_derw w;
    if (!r || !out || !out_len || r->nonce_len > MH_TSP_MAX_NONCE ||
        r->policy_len > MH_TSP_MAX_OID || r->imprint_len > sizeof r->imprint)
        return MH_ERR_INVALID_ARG;
    mh_derw_init(&w, out, cap);
    uint8_t *end = w.p;
    if (r->cert_req) {
        static const uint8_t t = 0xff;
        mh_derw_tlv(&w, MH_DER_BOOLEAN, &t, 1);
    }
    if (r->has_nonce)
        mh_derw_uint_bytes(&w, r->nonce, r->nonce_len);
    if (r->policy_len)
        mh_derw_tlv(&w, MH_DER_OID, r->policy, r->policy_len);
    write_imprint(&w, r);
    mh_derw_uint(&w, 1);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed)
        return MH_ERR_BUFFER_TOO_SMALL;
    *out_len = mh_derw_len(&w, end);
    memmove(out, w.p, *out_len);
    return 0;
}

static int parse_imprint(const mh_der_elem *mi, mbedtls_md_type_t *md, mh_der_elem *alg,
                         mh_der_elem *h)
{
    mh_der d;
    mh_der_enter(&d, mi);
    mh_der_expect(&d, MH_DER_SEQUENCE, alg);
    mh_der_expect(&d, MH_DER_OCTET_STRING, h);
    if (!mh_der_done(&d) || mi->tag != MH_DER_SEQUENCE)
        return MH_ERR_PARSE;
    int rc = mh_cms_md_alg_parse(alg, md);
    if (rc)
        return rc;
    const mbedtls_md_info_t *inf = mbedtls_md_info_from_type(*md);
    if (!inf || h->len != mbedtls_md_get_size(inf))
        return MH_ERR_PARSE;
    return 0;
}

/* A positive INTEGER's magnitude (leading zero dropped). */
static int uint_bytes(const mh_der_elem *e, const uint8_t **p, size_t *n, size_t max)
{
    bool neg;
    if (e->tag != MH_DER_INTEGER || mh_der_integer_check(e, &neg) || neg)
        return MH_ERR_PARSE;
    *p = e->val;
    *n = e->len;
    if (*n > 1 && (*p)[0] == 0) {
        (*p)++;
        (*n)--;
    }
    return *n > max ? MH_ERR_TOO_LARGE : 0;
}

int mh_tsp_req_parse(const uint8_t *der, size_t len, mh_tsp_req *r)
{
    mh_der d, s;
    mh_der_elem req, ver, mi, alg, h, e;
    bool present;
    uint64_t v;
    int rc;

    if (!der || !r)
        return MH_ERR_INVALID_ARG;
    memset(r, 0, sizeof *r);
    if (len > MH_TSP_MAX_REQ)
        return MH_ERR_TOO_LARGE;
    mh_der_init(&d, der, len);
    mh_der_expect(&d, MH_DER_SEQUENCE, &req);
    if (!mh_der_done(&d))
        goto bad;
    mh_der_enter(&s, &req);
    mh_der_expect(&s, MH_DER_INTEGER, &ver);
    mh_der_expect(&s, MH_DER_SEQUENCE, &mi);
    if (s.failed || mh_der_uint(&ver, &v) || v != 1)
        goto bad;
    rc = parse_imprint(&mi, &r->md, &alg, &h);
    if (rc == MH_ERR_UNSUPPORTED_ALG || (rc == 0 && !md_ok(r->md))) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "the timestamp request's hash is not supported (SHA-256, SHA-384, SHA-512)");
        return MH_ERR_UNSUPPORTED_ALG;
    }
    if (rc || alg.raw_len > sizeof r->alg_der)
        goto bad;
    memcpy(r->alg_der, alg.raw, alg.raw_len);
    r->alg_der_len = alg.raw_len;
    memcpy(r->imprint, h.val, h.len);
    r->imprint_len = h.len;
    mh_der_optional(&s, MH_DER_OID, &e, &present);
    if (present) {
        if (mh_der_oid_check(&e) || e.len > MH_TSP_MAX_OID)
            goto bad;
        memcpy(r->policy, e.val, e.len);
        r->policy_len = e.len;
    }
    mh_der_optional(&s, MH_DER_INTEGER, &e, &present);
    if (present) {
        const uint8_t *p;
        size_t n;
        if (uint_bytes(&e, &p, &n, MH_TSP_MAX_NONCE))
            goto bad;
        memcpy(r->nonce, p, n);
        r->nonce_len = n;
        r->has_nonce = true;
    }
    mh_der_optional(&s, MH_DER_BOOLEAN, &e, &present);
    if (present && (mh_der_bool(&e, &r->cert_req) || !r->cert_req))
        goto bad; /* DER: a FALSE default is omitted */
    mh_der_optional(&s, MH_DER_CTX_C(0), &e, &present);
    if (!mh_der_done(&s))
        goto bad;
    if (present) {
        mh_err_set(MH_ERR_UNSUPPORTED,
                   "the timestamp request has extensions, which this TSA does not accept");
        return MH_ERR_UNSUPPORTED;
    }
    return 0;
bad:
    mh_err_set(MH_ERR_PARSE, "the timestamp request is not a valid DER TimeStampReq");
    return MH_ERR_PARSE;
}

/* ---- the authority ------------------------------------------------------ */

static const uint8_t oid_kp_timestamping[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08};

/* The certificate's extended key usage is timeStamping alone, critical
 * (RFC 3161 2.3). 0, MH_ERR_PARSE (not a certificate) or MH_ERR_KEY_USAGE. */
static int tsa_eku(const uint8_t *der, size_t len)
{
    mh_x509_cert *c = calloc(1, sizeof *c);
    int rc = MH_ERR_NOMEM;
    if (c) {
        rc = len > MH_CMS_MAX_CERT_LEN || mh_x509_cert_parse(c, der, len) ? MH_ERR_PARSE
             : mh_x509_eku_only(c, oid_kp_timestamping, sizeof oid_kp_timestamping, true)
                 ? 0
                 : MH_ERR_KEY_USAGE;
        free(c);
    }
    return rc;
}

static int tsa_check(const mh_tsa *tsa)
{
    if (!tsa || !tsa->key || !tsa->cert || !md_ok(tsa->md)) {
        mh_err_set(MH_ERR_INVALID_ARG, "the TSA needs a key, its certificate and a SHA-2 hash");
        return MH_ERR_INVALID_ARG;
    }
    int rc = tsa_eku(tsa->cert, tsa->cert_len);
    if (rc == MH_ERR_PARSE) {
        mh_err_set(MH_ERR_PARSE, "the TSA certificate is not a DER X.509 certificate");
        return MH_ERR_PARSE;
    }
    if (rc) {
        mh_err_set(MH_ERR_KEY_USAGE,
                   "the TSA certificate must have the extended key usage timeStamping alone, "
                   "marked critical (RFC 3161 2.3); issue one with that extension");
        return MH_ERR_KEY_USAGE;
    }
    return 0;
}

int mh_tsa_token(const mh_tsa *tsa, const mh_tsp_req *req, const uint8_t *serial, size_t serial_len,
                 int64_t now, uint8_t *out, size_t cap, size_t *out_len)
{
    int ret;
    uint8_t tst[1024];
    mh_derw w;

    ret = tsa_check(tsa);
    if (ret)
        return ret;
    if (!req || !serial || serial_len == 0 || serial_len > MH_TSP_MAX_SERIAL)
        return MH_ERR_INVALID_ARG;
    /* TSTInfo */
    mh_derw_init(&w, tst, sizeof tst);
    uint8_t *end = w.p;
    if (req->has_nonce)
        mh_derw_uint_bytes(&w, req->nonce, req->nonce_len);
    if (tsa->accuracy_s || tsa->accuracy_ms) {
        uint8_t *a = w.p;
        if (tsa->accuracy_ms) {
            uint8_t *m = w.p;
            mh_derw_uint(&w, tsa->accuracy_ms % 1000);
            /* [0] IMPLICIT INTEGER: retag the INTEGER just written */
            if (!w.failed)
                w.p[0] = MH_DER_CTX_P(0);
            (void)m;
        }
        if (tsa->accuracy_s)
            mh_derw_uint(&w, tsa->accuracy_s + tsa->accuracy_ms / 1000);
        mh_derw_wrap(&w, MH_DER_SEQUENCE, a);
    }
    mh_derw_time(&w, now, true);
    mh_derw_uint_bytes(&w, serial, serial_len);
    write_imprint(&w, req);
    const uint8_t *pol = tsa->policy ? tsa->policy : mh_tsp_policy_etsi_baseline;
    size_t pol_len = tsa->policy ? tsa->policy_len : sizeof mh_tsp_policy_etsi_baseline;
    mh_derw_tlv(&w, MH_DER_OID, pol, pol_len);
    mh_derw_uint(&w, 1);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed)
        return MH_ERR_INTERNAL;
    mh_cms_signer s;
    memset(&s, 0, sizeof s);
    s.key = tsa->key;
    s.cert = tsa->cert;
    s.cert_len = tsa->cert_len;
    s.chain = tsa->chain;
    s.chain_len = tsa->chain_len;
    s.chain_n = tsa->chain_n;
    s.md = tsa->md;
    s.flags = MH_CMS_PADES | (req->cert_req ? 0u : MH_CMS_NO_CERTS);
    return mh_cms_sign_ex(&s, mh_oid_tstinfo, sizeof mh_oid_tstinfo, w.p, mh_derw_len(&w, end),
                          NULL, 0, out, cap, out_len);
}

static int write_reject(uint8_t *out, size_t cap, size_t *out_len, uint32_t fail, const char *text)
{
    mh_derw w;
    uint8_t bits[5];
    unsigned top = 0;
    for (unsigned i = 0; i < 32; i++)
        if (fail & (1u << i))
            top = i;
    size_t nb = top / 8 + 1;
    memset(bits, 0, sizeof bits);
    bits[0] = (uint8_t)(7 - top % 8);
    for (unsigned i = 0; i <= top; i++)
        if (fail & (1u << i))
            bits[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
    mh_derw_init(&w, out, cap);
    uint8_t *end = w.p;
    mh_derw_tlv(&w, MH_DER_BIT_STRING, bits, nb + 1);
    uint8_t *st = w.p;
    mh_derw_tlv(&w, MH_DER_UTF8_STRING, text, strlen(text));
    mh_derw_wrap(&w, MH_DER_SEQUENCE, st);
    mh_derw_uint(&w, 2); /* rejection */
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed)
        return MH_ERR_BUFFER_TOO_SMALL;
    *out_len = mh_derw_len(&w, end);
    memmove(out, w.p, *out_len);
    return 0;
}

int mh_tsa_respond(const mh_tsa *tsa, const uint8_t *req, size_t req_len, const uint8_t *serial,
                   size_t serial_len, int64_t now, uint8_t *out, size_t cap, size_t *out_len,
                   int *pki_status)
{
    mh_tsp_req r;
    int ret;

    if (!out || !out_len || !pki_status)
        return MH_ERR_INVALID_ARG;
    ret = tsa_check(tsa);
    if (ret)
        return ret;
    *pki_status = 2;
    ret = mh_tsp_req_parse(req, req_len, &r);
    if (ret == MH_ERR_UNSUPPORTED_ALG)
        return write_reject(out, cap, out_len, MH_TSP_FAIL_BAD_ALG,
                            "hash algorithm not supported (use SHA-256, SHA-384 or SHA-512)");
    if (ret == MH_ERR_UNSUPPORTED)
        return write_reject(out, cap, out_len, MH_TSP_FAIL_UNACCEPTED_EXTENSION,
                            "request extensions are not accepted");
    if (ret)
        return write_reject(out, cap, out_len, MH_TSP_FAIL_BAD_DATA_FORMAT,
                            "the request is not a valid DER TimeStampReq");
    const uint8_t *pol = tsa->policy ? tsa->policy : mh_tsp_policy_etsi_baseline;
    size_t pol_len = tsa->policy ? tsa->policy_len : sizeof mh_tsp_policy_etsi_baseline;
    if (r.policy_len && (r.policy_len != pol_len || memcmp(r.policy, pol, pol_len) != 0))
        return write_reject(out, cap, out_len, MH_TSP_FAIL_UNACCEPTED_POLICY,
                            "the requested policy is not this TSA's");
    /* status granted, then the token */
    mh_derw w;
    mh_derw_init(&w, out, cap);
    uint8_t *end = w.p;
    size_t tl = 0;
    ret = mh_tsa_token(tsa, &r, serial, serial_len, now, out, cap > 16 ? cap - 16 : 0, &tl);
    if (ret)
        return ret;
    /* move the token to the end of out, then write the status before it */
    memmove(out + cap - tl, out, tl);
    w.p = out + cap - tl;
    uint8_t *si = w.p;
    mh_derw_uint(&w, 0);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, si);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed)
        return MH_ERR_BUFFER_TOO_SMALL;
    *out_len = mh_derw_len(&w, end);
    memmove(out, w.p, *out_len);
    *pki_status = 0;
    return 0;
}

/* ---- reading and verifying ---------------------------------------------- */

/* GeneralizedTime with optional fractional seconds (RFC 3161 2.4.2: no
 * trailing zeros, 'Z'); the fraction is dropped. */
static int gen_time(const mh_der_elem *e, int64_t *t)
{
    uint8_t b[15];
    mh_der_elem x;
    if (e->tag != MH_DER_GENERALIZED_TIME || e->len < 15 || e->val[e->len - 1] != 'Z')
        return MH_ERR_PARSE;
    if (e->len > 15) {
        if (e->val[14] != '.' || e->len < 17 || e->len > 32 || e->val[e->len - 2] == '0')
            return MH_ERR_PARSE;
        for (size_t i = 15; i < e->len - 1; i++)
            if (e->val[i] < '0' || e->val[i] > '9')
                return MH_ERR_PARSE;
    }
    memcpy(b, e->val, 14);
    b[14] = 'Z';
    x = *e;
    x.val = b;
    x.len = 15;
    return mh_der_time(&x, t);
}

int mh_tsp_tstinfo_parse(const uint8_t *der, size_t len, mh_tsp_info *info)
{
    mh_der d, s;
    mh_der_elem tst, ver, pol, mi, alg, h, ser, gt, e;
    bool present;
    uint64_t v;
    const uint8_t *p;
    size_t n;

    if (!der || !info)
        return MH_ERR_INVALID_ARG;
    mh_der_init(&d, der, len);
    mh_der_expect(&d, MH_DER_SEQUENCE, &tst);
    if (!mh_der_done(&d))
        goto bad;
    mh_der_enter(&s, &tst);
    mh_der_expect(&s, MH_DER_INTEGER, &ver);
    mh_der_expect(&s, MH_DER_OID, &pol);
    mh_der_expect(&s, MH_DER_SEQUENCE, &mi);
    mh_der_expect(&s, MH_DER_INTEGER, &ser);
    mh_der_expect(&s, MH_DER_GENERALIZED_TIME, &gt);
    if (s.failed || mh_der_uint(&ver, &v) || v != 1 || mh_der_oid_check(&pol))
        goto bad;
    int rc = parse_imprint(&mi, &info->md, &alg, &h);
    if (rc)
        return (rc == MH_ERR_UNSUPPORTED_ALG || rc == MH_ERR_ALG_REFUSED) ? rc : MH_ERR_PARSE;
    if (uint_bytes(&ser, &p, &n, MH_TSP_MAX_SERIAL) || gen_time(&gt, &info->gen_time))
        goto bad;
    info->policy = pol.val;
    info->policy_len = pol.len;
    info->imprint = h.val;
    info->imprint_len = h.len;
    info->serial = ser.val;
    info->serial_len = ser.len;
    mh_der_optional(&s, MH_DER_SEQUENCE, &e, &present);
    if (present) {
        mh_der a;
        mh_der_elem x;
        bool pr;
        info->has_accuracy = true;
        mh_der_enter(&a, &e);
        mh_der_optional(&a, MH_DER_INTEGER, &x, &pr);
        if (pr && mh_der_uint(&x, &info->accuracy_s))
            goto bad;
        mh_der_optional(&a, MH_DER_CTX_P(0), &x, &pr);
        if (pr) {
            x.tag = MH_DER_INTEGER;
            if (mh_der_uint(&x, &info->accuracy_ms) || info->accuracy_ms < 1 ||
                info->accuracy_ms > 999)
                goto bad;
        }
        mh_der_optional(&a, MH_DER_CTX_P(1), &x, &pr);
        if (pr) {
            x.tag = MH_DER_INTEGER;
            if (mh_der_uint(&x, &info->accuracy_us) || info->accuracy_us < 1 ||
                info->accuracy_us > 999)
                goto bad;
        }
        if (!mh_der_done(&a))
            goto bad;
    }
    mh_der_optional(&s, MH_DER_BOOLEAN, &e, &present);
    if (present) {
        bool ord;
        if (mh_der_bool(&e, &ord) || !ord)
            goto bad;
    }
    mh_der_optional(&s, MH_DER_INTEGER, &e, &present);
    if (present) {
        /* a nonce is only compared with the request's: any INTEGER, as
         * TSAs echo what they were sent (GlobalSign's echo negative ones) */
        bool neg;
        if (mh_der_integer_check(&e, &neg))
            goto bad;
        p = e.val;
        n = e.len;
        if (!neg && n > 1 && p[0] == 0) {
            p++;
            n--;
        }
        if (n > MH_TSP_MAX_NONCE)
            goto bad;
        info->has_nonce = true;
        info->nonce = p;
        info->nonce_len = n;
    }
    mh_der_optional(&s, MH_DER_CTX_C(0), &e, &present);
    mh_der_optional(&s, MH_DER_CTX_C(1), &e, &present);
    if (!mh_der_done(&s))
        goto bad;
    return 0;
bad:
    mh_err_set(MH_ERR_PARSE, "the timestamp's TSTInfo is malformed");
    return MH_ERR_PARSE;
}

static void fail_text(uint32_t f, char *buf, size_t cap)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{MH_TSP_FAIL_BAD_ALG, "badAlg (hash not supported)"},
                 {MH_TSP_FAIL_BAD_REQUEST, "badRequest"},
                 {MH_TSP_FAIL_BAD_DATA_FORMAT, "badDataFormat (malformed request)"},
                 {MH_TSP_FAIL_TIME_NOT_AVAILABLE, "timeNotAvailable"},
                 {MH_TSP_FAIL_UNACCEPTED_POLICY, "unacceptedPolicy"},
                 {MH_TSP_FAIL_UNACCEPTED_EXTENSION, "unacceptedExtension"},
                 {MH_TSP_FAIL_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable"},
                 {MH_TSP_FAIL_SYSTEM_FAILURE, "systemFailure"}};
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(f & names[i].bit))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", names[i].name);
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
}

int mh_tsp_resp_parse(const uint8_t *der, size_t len, mh_tsp_info *info)
{
    mh_der d, s, st;
    mh_der_elem resp, si = {0}, status, e;
    bool present;
    uint64_t v;

    if (!der || !info)
        return MH_ERR_INVALID_ARG;
    memset(info, 0, sizeof *info);
    if (len > MH_CMS_MAX_INPUT)
        return MH_ERR_TOO_LARGE;
    mh_der_init(&d, der, len);
    mh_der_expect(&d, MH_DER_SEQUENCE, &resp);
    if (!mh_der_done(&d))
        goto bad;
    mh_der_enter(&s, &resp);
    mh_der_expect(&s, MH_DER_SEQUENCE, &si);
    mh_der_enter(&st, &si);
    mh_der_expect(&st, MH_DER_INTEGER, &status);
    if (st.failed || mh_der_uint(&status, &v) || v > 5)
        goto bad;
    info->status = (int)v;
    mh_der_optional(&st, MH_DER_SEQUENCE, &e, &present);
    if (present) {
        mh_der t;
        mh_der_elem u;
        mh_der_enter(&t, &e);
        if (mh_der_expect(&t, MH_DER_UTF8_STRING, &u) == 0) {
            size_t n = u.len < sizeof info->status_text - 1 ? u.len : sizeof info->status_text - 1;
            for (size_t i = 0; i < n; i++)
                info->status_text[i] = (u.val[i] >= 0x20 && u.val[i] < 0x7f) ? (char)u.val[i] : '?';
            info->status_text[n] = 0;
        }
    }
    mh_der_optional(&st, MH_DER_BIT_STRING, &e, &present);
    if (present) {
        const uint8_t *b;
        size_t n;
        unsigned unused;
        if (mh_der_bitstring(&e, &b, &n, &unused))
            goto bad;
        for (size_t i = 0; i < n && i < 4; i++)
            for (unsigned j = 0; j < 8; j++)
                if (b[i] & (0x80 >> j))
                    info->fail_info |= 1u << (i * 8 + j);
    }
    if (!mh_der_done(&st))
        goto bad;
    mh_der_optional(&s, MH_DER_SEQUENCE, &e, &present);
    if (!mh_der_done(&s))
        goto bad;
    if (present) {
        info->token = e.raw;
        info->token_len = e.raw_len;
    }
    return 0;
bad:
    mh_err_set(MH_ERR_PARSE, "the timestamp response is not a valid DER TimeStampResp");
    return MH_ERR_PARSE;
}

static int ts_fail(const char *what)
{
    mh_err_set(MH_ERR_TIMESTAMP, "the timestamp is not valid: %s", what);
    return MH_ERR_TIMESTAMP;
}

int mh_tsp_token_verify(const uint8_t *tok, size_t len, const mh_tsp_req *req, const uint8_t *data,
                        size_t data_len, const mh_cms_verify_opts *opts, mh_tsp_info *info)
{
    mh_cms_result *res = NULL;
    mh_cms_verify_opts o;
    int ret = MH_ERR_INVALID_ARG;
    static _Thread_local mh_cms_result res_buf; /* large; one per thread */

    if (!tok || !info || (!req && !data))
        goto out;
    int st = info->status;
    uint32_t fi = info->fail_info;
    memset(info, 0, sizeof *info);
    info->status = st;
    info->fail_info = fi;
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    o.flags |= MH_CMS_NO_TST;
    res = &res_buf;
    ret = mh_cms_verify(tok, len, NULL, 0, &o, res);
    if (ret) {
        char why[200];
        snprintf(why, sizeof why, "its signature: %s", mh_err_message(ret));
        ret = (ret == MH_ERR_UNSUPPORTED_ALG || ret == MH_ERR_ALG_REFUSED) ? ret : ts_fail(why);
        goto out;
    }
    info->token = tok;
    info->token_len = len;
    if (res->n_signers != 1) {
        ret = ts_fail("a token must have exactly one signer");
        goto out;
    }
    if (res->ctype_len != sizeof mh_oid_tstinfo ||
        memcmp(res->ctype, mh_oid_tstinfo, sizeof mh_oid_tstinfo) != 0 || !res->content) {
        ret = ts_fail("the signed content is not a TSTInfo");
        goto out;
    }
    info->tsa_cert = res->signers[0].cert;
    info->tsa_cert_len = res->signers[0].cert_len;
    if (tsa_eku(info->tsa_cert, info->tsa_cert_len) != 0) {
        ret = ts_fail("the TSA certificate lacks the critical extended key usage timeStamping");
        goto out;
    }
    ret = mh_tsp_tstinfo_parse(res->content, res->content_len, info);
    if (ret)
        goto out;
    if (req) {
        if (info->md != req->md || info->imprint_len != req->imprint_len ||
            mh_ct_memcmp(info->imprint, req->imprint, req->imprint_len) != 0) {
            ret = ts_fail("it is for other data (its message imprint differs from the request)");
            goto out;
        }
        if (req->has_nonce) {
            const uint8_t *np = req->nonce;
            size_t nl = req->nonce_len;
            while (nl > 1 && np[0] == 0) {
                np++;
                nl--;
            }
            if (!info->has_nonce || info->nonce_len != nl || memcmp(info->nonce, np, nl) != 0) {
                ret = ts_fail("its nonce differs from the request's (a replayed response?)");
                goto out;
            }
        }
        if (req->policy_len && (info->policy_len != req->policy_len ||
                                memcmp(info->policy, req->policy, req->policy_len) != 0)) {
            ret = ts_fail("its policy is not the one requested");
            goto out;
        }
    } else {
        uint8_t h[MBEDTLS_MD_MAX_SIZE];
        const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(info->md);
        if (!mi || mbedtls_md(mi, data, data_len, h) ||
            info->imprint_len != mbedtls_md_get_size(mi) ||
            mh_ct_memcmp(h, info->imprint, info->imprint_len) != 0) {
            ret = ts_fail("it is for other data (its message imprint differs)");
            goto out;
        }
    }
    ret = 0;
out:
    if (res)
        memset(res, 0, sizeof *res);
    return ret;
}

int mh_tsp_resp_verify(const uint8_t *resp, size_t len, const mh_tsp_req *req, const uint8_t *data,
                       size_t data_len, const mh_cms_verify_opts *opts, mh_tsp_info *info)
{
    int rc = mh_tsp_resp_parse(resp, len, info);
    if (rc)
        return rc;
    if (info->status > 1 || !info->token) {
        char f[160];
        fail_text(info->fail_info, f, sizeof f);
        mh_err_set(MH_ERR_TIMESTAMP, "the TSA refused the request (status %d%s%s%s%s)",
                   info->status, f[0] ? ": " : "", f, info->status_text[0] ? "; " : "",
                   info->status_text);
        return MH_ERR_TIMESTAMP;
    }
    const uint8_t *tok = info->token;
    size_t tl = info->token_len;
    return mh_tsp_token_verify(tok, tl, req, data, data_len, opts, info);
}
