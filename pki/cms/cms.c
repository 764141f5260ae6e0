/* cms.c - CMS SignedData signing with CAdES-B-B/B-T attributes (pki_cms.h).
 *
 * The SignedAttributes are built first (each attribute on its own, then
 * DER-sorted as a SET OF), hashed and signed; the whole ContentInfo is then
 * written backwards into the caller's buffer and moved to its start. */
#include <stdlib.h>
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "pki_cms.h"
#include "pki_tsp.h"

#define ATTR_CAP 2048 /* one attribute; an issuer name above ~1.8 KB is refused */
#define N_ATTRS 4

static const uint8_t oid_ct[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
static const uint8_t oid_md[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
static const uint8_t oid_st[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};
static const uint8_t oid_scv2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                   0x01, 0x09, 0x10, 0x02, 0x2f};
static const uint8_t oid_tst[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e};
static const uint8_t oid_rsa_pss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
static const uint8_t oid_mgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};

static int sig_alg_oid(bool rsa, mbedtls_md_type_t md, const uint8_t **oid, size_t *len)
{
    static const uint8_t rsa256[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
    static const uint8_t rsa384[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c};
    static const uint8_t rsa512[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d};
    static const uint8_t ec256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    static const uint8_t ec384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
    static const uint8_t ec512[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
    switch (md) {
    case MBEDTLS_MD_SHA256:
        *oid = rsa ? rsa256 : ec256;
        break;
    case MBEDTLS_MD_SHA384:
        *oid = rsa ? rsa384 : ec384;
        break;
    case MBEDTLS_MD_SHA512:
        *oid = rsa ? rsa512 : ec512;
        break;
    default:
        return MH_ERR_UNSUPPORTED_ALG;
    }
    *len = rsa ? sizeof rsa256 : sizeof ec256;
    return 0;
}

/* signatureAlgorithm of the SignerInfo, from the signer's algorithm. */
static int write_sig_alg(mh_derw *w, const mh_signer *key, mbedtls_md_type_t md)
{
    const uint8_t *mark = w->p;
    const uint8_t *oid;
    size_t oid_len;

    if (key->alg == MH_SIG_ECDSA) {
        if (sig_alg_oid(false, md, &oid, &oid_len))
            return MH_ERR_UNSUPPORTED_ALG;
        mh_derw_tlv(w, MH_DER_OID, oid, oid_len);
    } else if (key->alg == MH_SIG_RSA_PSS) {
        const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
        if (!mi)
            return MH_ERR_UNSUPPORTED_ALG;
        /* RSASSA-PSS-params { [0] hash, [1] MGF1(hash), [2] saltLength } */
        const uint8_t *params = w->p, *x, *y;
        mh_derw_uint(w, mbedtls_md_get_size(mi)); /* saltLength = hash length */
        mh_derw_wrap(w, MH_DER_CTX_C(2), params);
        x = w->p;
        y = w->p;
        mh_derw_md_alg(w, md);
        mh_derw_tlv(w, MH_DER_OID, oid_mgf1, sizeof oid_mgf1);
        mh_derw_wrap(w, MH_DER_SEQUENCE, y);
        mh_derw_wrap(w, MH_DER_CTX_C(1), x);
        x = w->p;
        mh_derw_md_alg(w, md);
        mh_derw_wrap(w, MH_DER_CTX_C(0), x);
        mh_derw_wrap(w, MH_DER_SEQUENCE, params);
        mh_derw_tlv(w, MH_DER_OID, oid_rsa_pss, sizeof oid_rsa_pss);
    } else if (key->alg == MH_SIG_RSA_PKCS1) {
        if (sig_alg_oid(true, md, &oid, &oid_len))
            return MH_ERR_UNSUPPORTED_ALG;
        mh_derw_tlv(w, MH_DER_NULL, NULL, 0);
        mh_derw_tlv(w, MH_DER_OID, oid, oid_len);
    } else {
        mh_err_set(MH_ERR_KEY_TYPE,
                   "CMS signing: the key makes %s signatures; CMS takes ECDSA or "
                   "RSA",
                   mh_sig_alg_name(key->alg));
        return MH_ERR_KEY_TYPE;
    }
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

/* One attribute: SEQUENCE { type, SET { value } } with the value's full
 * encoding in val. Written into buf (cap), the result at *out. */
static void attr(uint8_t *buf, size_t cap, const uint8_t *oid, size_t oid_len, const uint8_t *val,
                 size_t val_len, const uint8_t **out, size_t *len, bool *failed)
{
    mh_derw w;
    mh_derw_init(&w, buf, cap);
    uint8_t *end = w.p;
    mh_derw_raw(&w, val, val_len);
    mh_derw_wrap(&w, MH_DER_SET, end);
    mh_derw_tlv(&w, MH_DER_OID, oid, oid_len);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    *failed |= w.failed;
    *out = w.p;
    *len = mh_derw_len(&w, end);
}

/* DER order of SET OF: as octet strings, a prefix first. */
static int der_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = memcmp(a, b, n);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static bool md_ok(mbedtls_md_type_t md)
{
    return md == MBEDTLS_MD_SHA256 || md == MBEDTLS_MD_SHA384 || md == MBEDTLS_MD_SHA512;
}

/* Whether the certificate's public key is the signing key's. */
static int key_matches_cert(const mh_signer *key, const mh_x509_cert *c)
{
    if (!key->spki || key->spki_len != c->spki.len ||
        mh_ct_memcmp(key->spki, c->spki.p, key->spki_len) != 0) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the signer certificate does not belong to the signing key (their public "
                   "keys differ); give the certificate issued for this key");
        return MH_ERR_INVALID_ARG;
    }
    return 0;
}

int mh_cms_sign_ex(const mh_cms_signer *s, const uint8_t *ctype, size_t ctype_len,
                   const uint8_t *content, size_t len, const uint8_t *digest, size_t dlen,
                   uint8_t *out, size_t cap, size_t *out_len)
{
    int ret = MH_ERR_INVALID_ARG;
    mh_x509_cert *cert = calloc(1, sizeof *cert), *cc = calloc(1, sizeof *cc);
    uint8_t dig[MBEDTLS_MD_MAX_SIZE], certhash[32], hash[MBEDTLS_MD_MAX_SIZE];
    uint8_t sig[MH_SIG_MAX];
    size_t sig_len = 0;
    uint8_t abuf[N_ATTRS][ATTR_CAP];
    const uint8_t *a[N_ATTRS];
    size_t alen[N_ATTRS];
    size_t na = 0;
    uint8_t sattrs[N_ATTRS * ATTR_CAP + 8];
    size_t sattrs_len = 0;
    bool failed = false;
    mh_derw w;
    const mbedtls_md_info_t *mi;

    if (!cert || !cc) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if (!s || !s->key || !s->cert || !out || !out_len || !ctype || (!content && !digest) ||
        (content == NULL && len != 0) || (s->chain_n && (!s->chain || !s->chain_len)) ||
        s->chain_n > MH_CMS_MAX_CHAIN) {
        mh_err_set(ret, "CMS signing: a required argument is missing");
        goto out;
    }
    *out_len = 0;
    if (!md_ok(s->md) || !(mi = mbedtls_md_info_from_type(s->md))) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG, "CMS signing: use SHA-256, SHA-384 or SHA-512");
        ret = MH_ERR_UNSUPPORTED_ALG;
        goto out;
    }
    if (s->cert_len > MH_CMS_MAX_CERT_LEN || mh_x509_cert_parse(cert, s->cert, s->cert_len)) {
        ret = mh_err_set(MH_ERR_PARSE, "the signer certificate is not a DER X.509 certificate");
        goto out;
    }
    if (cert->issuer.raw.len > ATTR_CAP - 200) {
        mh_err_set(MH_ERR_TOO_LARGE, "the signer certificate's issuer name is too long");
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    for (size_t i = 0; i < s->chain_n; i++) {
        if (!s->chain[i] || s->chain_len[i] > MH_CMS_MAX_CERT_LEN ||
            mh_x509_cert_parse(cc, s->chain[i], s->chain_len[i])) {
            mh_err_set(MH_ERR_PARSE, "chain certificate %zu is not a DER X.509 certificate", i + 1);
            ret = MH_ERR_PARSE;
            goto out;
        }
    }
    ret = key_matches_cert(s->key, cert);
    if (ret)
        goto out;

    /* message-digest */
    size_t hl = mbedtls_md_get_size(mi);
    if (content) {
        if (mbedtls_md(mi, content, len, dig)) {
            ret = MH_ERR_INTERNAL;
            goto out;
        }
    } else {
        if (dlen != hl) {
            mh_err_set(MH_ERR_INVALID_ARG, "CMS signing: the digest has %zu bytes, %s has %zu",
                       dlen, mh_cms_md_name(s->md), (size_t)hl);
            ret = MH_ERR_INVALID_ARG;
            goto out;
        }
        memcpy(dig, digest, hl);
    }

    /* the signed attributes */
    {
        uint8_t v[ATTR_CAP];
        mh_derw vw;
        uint8_t *end;

        mh_derw_init(&vw, v, sizeof v);
        end = vw.p;
        mh_derw_tlv(&vw, MH_DER_OID, ctype, ctype_len);
        attr(abuf[na], ATTR_CAP, oid_ct, sizeof oid_ct, vw.p, mh_derw_len(&vw, end), &a[na],
             &alen[na], &failed);
        na++;

        mh_derw_init(&vw, v, sizeof v);
        mh_derw_tlv(&vw, MH_DER_OCTET_STRING, dig, hl);
        attr(abuf[na], ATTR_CAP, oid_md, sizeof oid_md, vw.p, mh_derw_len(&vw, end), &a[na],
             &alen[na], &failed);
        na++;

        if (!(s->flags & MH_CMS_PADES)) {
            mh_derw_init(&vw, v, sizeof v);
            mh_derw_time(&vw, s->signing_time, false);
            attr(abuf[na], ATTR_CAP, oid_st, sizeof oid_st, vw.p, mh_derw_len(&vw, end), &a[na],
                 &alen[na], &failed);
            na++;
        }

        /* SigningCertificateV2 { certs { ESSCertIDv2 { certHash, issuerSerial } } }
         * hashAlgorithm is SHA-256, the DEFAULT, so DER omits it. */
        if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), cert->raw.p, cert->raw.len,
                       certhash)) {
            ret = MH_ERR_INTERNAL;
            goto out;
        }
        mh_derw_init(&vw, v, sizeof v);
        mh_derw_tlv(&vw, MH_DER_INTEGER, cert->serial.p, cert->serial.len);
        uint8_t *gn = vw.p;
        mh_derw_raw(&vw, cert->issuer.raw.p, cert->issuer.raw.len);
        mh_derw_wrap(&vw, MH_DER_CTX_C(4), gn);
        mh_derw_wrap(&vw, MH_DER_SEQUENCE, gn);  /* GeneralNames */
        mh_derw_wrap(&vw, MH_DER_SEQUENCE, end); /* IssuerSerial */
        mh_derw_tlv(&vw, MH_DER_OCTET_STRING, certhash, sizeof certhash);
        mh_derw_wrap(&vw, MH_DER_SEQUENCE, end); /* ESSCertIDv2 */
        mh_derw_wrap(&vw, MH_DER_SEQUENCE, end); /* certs */
        mh_derw_wrap(&vw, MH_DER_SEQUENCE, end); /* SigningCertificateV2 */
        failed |= vw.failed;
        attr(abuf[na], ATTR_CAP, oid_scv2, sizeof oid_scv2, vw.p, mh_derw_len(&vw, end), &a[na],
             &alen[na], &failed);
        na++;
        if (failed) {
            ret = MH_ERR_TOO_LARGE;
            goto out;
        }
        /* sort (insertion sort of at most four) */
        for (size_t i = 1; i < na; i++) {
            for (size_t j = i; j > 0 && der_cmp(a[j - 1], alen[j - 1], a[j], alen[j]) > 0; j--) {
                const uint8_t *tp = a[j];
                size_t tl = alen[j];
                a[j] = a[j - 1];
                alen[j] = alen[j - 1];
                a[j - 1] = tp;
                alen[j - 1] = tl;
            }
        }
        mh_derw_init(&vw, sattrs, sizeof sattrs);
        end = vw.p;
        for (size_t i = na; i-- > 0;)
            mh_derw_raw(&vw, a[i], alen[i]);
        mh_derw_wrap(&vw, MH_DER_SET, end);
        if (vw.failed) {
            ret = MH_ERR_TOO_LARGE;
            goto out;
        }
        sattrs_len = mh_derw_len(&vw, end);
        memmove(sattrs, vw.p, sattrs_len);
    }

    /* the signature over the DER of the SET OF attributes */
    if (mbedtls_md(mi, sattrs, sattrs_len, hash)) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    if (s->on_signed_attrs &&
        (ret = s->on_signed_attrs(s->on_signed_attrs_ctx, sattrs, sattrs_len)) != 0)
        goto out;
    /* the signer says why it failed (a PIN, a removed token): its code goes on */
    ret = mh_signer_sign(s->key, s->md, hash, hl, MH_SIG_DER, sig, sizeof sig, &sig_len);
    if (ret)
        goto out;

    /* ContentInfo, backwards */
    mh_derw_init(&w, out, cap);
    uint8_t *end = w.p;
    {
        /* signerInfos SET { SignerInfo } */
        uint8_t *si_end = w.p;
        if (s->tst) {
            if (!s->tst_len || s->tst_len > MH_CMS_MAX_INPUT) {
                ret = MH_ERR_INVALID_ARG;
                goto out;
            }
            uint8_t *ua = w.p;
            mh_derw_raw(&w, s->tst, s->tst_len);
            mh_derw_wrap(&w, MH_DER_SET, ua);
            mh_derw_tlv(&w, MH_DER_OID, oid_tst, sizeof oid_tst);
            mh_derw_wrap(&w, MH_DER_SEQUENCE, ua);
            mh_derw_wrap(&w, MH_DER_CTX_C(1), ua);
        }
        mh_derw_tlv(&w, MH_DER_OCTET_STRING, sig, sig_len);
        ret = write_sig_alg(&w, s->key, s->md);
        if (ret)
            goto out;
        /* [0] IMPLICIT SignedAttributes: the same contents under tag A0 */
        uint8_t *sa = w.p;
        {
            mh_der d;
            mh_der_elem set;
            mh_der_init(&d, sattrs, sattrs_len);
            if (mh_der_expect(&d, MH_DER_SET, &set)) {
                ret = MH_ERR_INTERNAL;
                goto out;
            }
            mh_derw_raw(&w, set.val, set.len);
            mh_derw_wrap(&w, MH_DER_CTX_C(0), sa);
        }
        mh_derw_md_alg(&w, s->md);
        uint8_t *ias = w.p;
        mh_derw_tlv(&w, MH_DER_INTEGER, cert->serial.p, cert->serial.len);
        mh_derw_raw(&w, cert->issuer.raw.p, cert->issuer.raw.len);
        mh_derw_wrap(&w, MH_DER_SEQUENCE, ias);
        mh_derw_uint(&w, 1);
        mh_derw_wrap(&w, MH_DER_SEQUENCE, si_end);
        mh_derw_wrap(&w, MH_DER_SET, si_end);
    }
    /* certificates [0] IMPLICIT SET OF: signer first, then the chain.
     * (DER would sort a SET OF; CMS is BER and every verifier we know keeps
     * the order, which tells readers which certificate is the signer's.) */
    if (!(s->flags & MH_CMS_NO_CERTS)) {
        uint8_t *ce = w.p;
        for (size_t i = s->chain_n; i-- > 0;)
            mh_derw_raw(&w, s->chain[i], s->chain_len[i]);
        mh_derw_raw(&w, cert->raw.p, cert->raw.len);
        mh_derw_wrap(&w, MH_DER_CTX_C(0), ce);
    }
    /* encapContentInfo */
    {
        uint8_t *ec = w.p;
        if (content && !(s->flags & MH_CMS_DETACHED)) {
            uint8_t *oc = w.p;
            mh_derw_tlv(&w, MH_DER_OCTET_STRING, content, len);
            mh_derw_wrap(&w, MH_DER_CTX_C(0), oc);
        }
        mh_derw_tlv(&w, MH_DER_OID, ctype, ctype_len);
        mh_derw_wrap(&w, MH_DER_SEQUENCE, ec);
    }
    {
        uint8_t *da = w.p;
        mh_derw_md_alg(&w, s->md);
        mh_derw_wrap(&w, MH_DER_SET, da);
    }
    bool is_data = ctype_len == sizeof mh_oid_id_data &&
                   memcmp(ctype, mh_oid_id_data, sizeof mh_oid_id_data) == 0;
    mh_derw_uint(&w, is_data ? 1 : 3);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    mh_derw_wrap(&w, MH_DER_CTX_C(0), end);
    mh_derw_tlv(&w, MH_DER_OID, mh_oid_signed_data, sizeof mh_oid_signed_data);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed) {
        mh_err_set(MH_ERR_BUFFER_TOO_SMALL,
                   "CMS signing: the output buffer (%zu bytes) is too small", cap);
        ret = MH_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    *out_len = mh_derw_len(&w, end);
    memmove(out, w.p, *out_len);
    ret = 0;
out:
    free(cert);
    free(cc);
    mh_wipe(hash, sizeof hash);
    return ret;
}

int mh_cms_sign(const mh_cms_signer *s, const uint8_t *content, size_t len, uint8_t *out,
                size_t cap, size_t *out_len)
{
    static const uint8_t empty[1];
    if (!content && len == 0)
        content = empty;
    return mh_cms_sign_ex(s, mh_oid_id_data, sizeof mh_oid_id_data, content, len, NULL, 0, out, cap,
                          out_len);
}

int mh_cms_sign_digest(const mh_cms_signer *s, const uint8_t *digest, size_t dlen, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    if (!digest) {
        mh_err_set(MH_ERR_INVALID_ARG, "CMS signing: no digest given");
        return MH_ERR_INVALID_ARG;
    }
    return mh_cms_sign_ex(s, mh_oid_id_data, sizeof mh_oid_id_data, NULL, 0, digest, dlen, out, cap,
                          out_len);
}
