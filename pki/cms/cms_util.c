/* cms_util.c - pieces shared by CMS and RFC 3161: hash OIDs and their
 * AlgorithmIdentifier, BER to DER (pki_cms.h). */
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "pki_cms.h"
#include "pki_tsp.h"

const uint8_t mh_oid_id_data[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
const uint8_t mh_oid_signed_data[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
const uint8_t mh_oid_tstinfo[11] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                    0x01, 0x09, 0x10, 0x01, 0x04};

static const uint8_t oid_sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
static const uint8_t oid_sha224[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04};
static const uint8_t oid_sha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
static const uint8_t oid_sha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
static const uint8_t oid_sha512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};

static const uint8_t *md_oid(mbedtls_md_type_t md, size_t *len)
{
    switch (md) {
    case MBEDTLS_MD_SHA1:
        *len = sizeof oid_sha1;
        return oid_sha1;
    case MBEDTLS_MD_SHA224:
        *len = sizeof oid_sha224;
        return oid_sha224;
    case MBEDTLS_MD_SHA256:
        *len = sizeof oid_sha256;
        return oid_sha256;
    case MBEDTLS_MD_SHA384:
        *len = sizeof oid_sha384;
        return oid_sha384;
    case MBEDTLS_MD_SHA512:
        *len = sizeof oid_sha512;
        return oid_sha512;
    default:
        *len = 0;
        return NULL;
    }
}

void mh_derw_md_alg(mh_derw *w, mbedtls_md_type_t md)
{
    size_t n;
    const uint8_t *oid = md_oid(md, &n);
    if (!oid) {
        w->failed = true;
        return;
    }
    const uint8_t *mark = w->p;
    mh_derw_tlv(w, MH_DER_OID, oid, n);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
}

/* ---- hashes ------------------------------------------------------------- */

mbedtls_md_type_t mh_cms_md_from_oid(const mh_der_elem *oid)
{
    static const mbedtls_md_type_t all[] = {MBEDTLS_MD_SHA1, MBEDTLS_MD_SHA224, MBEDTLS_MD_SHA256,
                                            MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        size_t n;
        const uint8_t *o = md_oid(all[i], &n);
        if (mh_der_oid_is(oid, o, n))
            return all[i];
    }
    return MBEDTLS_MD_NONE;
}

int mh_cms_md_alg_parse(const mh_der_elem *alg, mbedtls_md_type_t *md)
{
    mh_der d;
    mh_der_elem oid, par;
    bool has_par;
    if (alg->tag != MH_DER_SEQUENCE)
        return MH_ERR_PARSE;
    mh_der_enter(&d, alg);
    mh_der_expect(&d, MH_DER_OID, &oid);
    mh_der_optional(&d, MH_DER_NULL, &par, &has_par);
    if (!mh_der_done(&d) || (has_par && par.len != 0))
        return MH_ERR_PARSE;
    *md = mh_cms_md_from_oid(&oid);
    if (*md == MBEDTLS_MD_NONE) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "the digest algorithm is not supported (SHA-256, SHA-384 and SHA-512 are)");
        return MH_ERR_UNSUPPORTED_ALG;
    }
    return 0;
}

const char *mh_cms_md_name(mbedtls_md_type_t md)
{
    switch (md) {
    case MBEDTLS_MD_SHA1:
        return "SHA-1";
    case MBEDTLS_MD_SHA224:
        return "SHA-224";
    case MBEDTLS_MD_SHA256:
        return "SHA-256";
    case MBEDTLS_MD_SHA384:
        return "SHA-384";
    case MBEDTLS_MD_SHA512:
        return "SHA-512";
    default:
        return "unknown";
    }
}

/* ---- BER to DER --------------------------------------------------------- */

typedef struct ber {
    const uint8_t *p, *end;
} ber;

/* Reads a BER header: tag, length (SIZE_MAX for indefinite). */
static int ber_hdr(ber *b, uint8_t *tag, size_t *len)
{
    if (b->end - b->p < 2)
        return MH_ERR_PARSE;
    *tag = b->p[0];
    if ((*tag & 0x1f) == 0x1f)
        return MH_ERR_PARSE;
    uint8_t l0 = b->p[1];
    b->p += 2;
    if (l0 < 0x80) {
        *len = l0;
    } else if (l0 == 0x80) {
        if (!(*tag & MH_DER_CONSTRUCTED))
            return MH_ERR_PARSE;
        *len = SIZE_MAX;
        return 0;
    } else {
        size_t n = l0 & 0x7f;
        if (n > 4 || (size_t)(b->end - b->p) < n)
            return MH_ERR_PARSE;
        *len = 0;
        for (size_t i = 0; i < n; i++)
            *len = *len << 8 | *b->p++;
    }
    if (*len > (size_t)(b->end - b->p))
        return MH_ERR_PARSE;
    return 0;
}

/* Converts one element; writes its contents into out forwards after a
 * reserved header, then shifts to the right header size. `str` joins the
 * segments of a constructed string as one primitive string. */
static int ber_elem(ber *b, uint8_t *out, size_t cap, size_t *olen, int depth, bool in_str)
{
    uint8_t tag;
    size_t len;
    int rc;
    if (depth > 32)
        return MH_ERR_PARSE;
    if ((rc = ber_hdr(b, &tag, &len)))
        return rc;
    uint8_t num = tag & 0x1f;
    bool is_str = (tag & 0xc0) == 0 && (num == 3 || num == 4 || num == 12 || num == 19 ||
                                        num == 22 || num == 26 || num == 30);
    size_t hdr_res = in_str ? 0 : 6;
    if (cap < hdr_res)
        return MH_ERR_BUFFER_TOO_SMALL;
    size_t used = 0;
    uint8_t *body = out + hdr_res;
    size_t bcap = cap - hdr_res;
    if (!(tag & MH_DER_CONSTRUCTED)) {
        if (len > bcap)
            return MH_ERR_BUFFER_TOO_SMALL;
        memcpy(body, b->p, len);
        b->p += len;
        used = len;
    } else {
        ber inner = {b->p, len == SIZE_MAX ? b->end : b->p + len};
        bool join = is_str || in_str;
        for (;;) {
            if (len == SIZE_MAX) {
                if (inner.end - inner.p >= 2 && inner.p[0] == 0 && inner.p[1] == 0) {
                    inner.p += 2;
                    break;
                }
            } else if (inner.p == inner.end) {
                break;
            }
            if (inner.p >= inner.end)
                return MH_ERR_PARSE;
            if (join && (inner.p[0] & 0x1f) != num)
                return MH_ERR_PARSE; /* segments have the string's own type */
            size_t n;
            if ((rc = ber_elem(&inner, body + used, bcap - used, &n, depth + 1, join)))
                return rc;
            used += n;
        }
        b->p = inner.p;
        if (is_str)
            tag &= (uint8_t)~MH_DER_CONSTRUCTED;
    }
    if (in_str) {
        *olen = used;
        return 0;
    }
    uint8_t h[6];
    size_t hn = 0;
    h[hn++] = tag;
    if (used < 0x80) {
        h[hn++] = (uint8_t)used;
    } else {
        size_t n = 0;
        for (size_t v = used; v; v >>= 8)
            n++;
        if (n > 4)
            return MH_ERR_TOO_LARGE;
        h[hn++] = (uint8_t)(0x80 | n);
        for (size_t i = 0; i < n; i++)
            h[hn++] = (uint8_t)(used >> (8 * (n - 1 - i)));
    }
    memmove(out + hn, body, used);
    memcpy(out, h, hn);
    *olen = hn + used;
    return 0;
}

int mh_cms_ber_to_der_prefix(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                             size_t *out_len, size_t *used)
{
    ber b = {in, in + len};
    int rc;
    if (!in || !out || !out_len || !used || len > MH_CMS_MAX_INPUT)
        return MH_ERR_INVALID_ARG;
    rc = ber_elem(&b, out, cap, out_len, 0, false);
    if (rc == MH_ERR_PARSE)
        mh_err_set(MH_ERR_PARSE, "the CMS message is not valid BER or DER");
    if (rc == 0)
        *used = (size_t)(b.p - in);
    return rc;
}

int mh_cms_ber_to_der(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t used = 0;
    int rc = mh_cms_ber_to_der_prefix(in, len, out, cap, out_len, &used);
    if (rc == 0 && used != len) {
        mh_err_set(MH_ERR_PARSE, "the CMS message is not valid BER or DER");
        rc = MH_ERR_PARSE;
    }
    return rc;
}
