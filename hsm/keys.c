/* keys.c - finding, generating and listing keys; public keys; certificates
 * stored next to their keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include "hsm_internal.h"

static const uint8_t OID_P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_P384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t OID_ED25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
/* PKCS#11 3.0 also allows the curve name as a PrintableString */
static const uint8_t NAME_ED25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                       'd',  's',  '2', '5', '5', '1', '9'};
static const uint8_t SPKI_ED25519_PREFIX[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                              0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

static const struct {
    enum mh_key_type t;
    const char *name;
} type_names[] = {
    {MH_KEY_EC_P256, "ec-p256"},   {MH_KEY_EC_P384, "ec-p384"},   {MH_KEY_RSA_2048, "rsa-2048"},
    {MH_KEY_RSA_3072, "rsa-3072"}, {MH_KEY_RSA_4096, "rsa-4096"}, {MH_KEY_ED25519, "ed25519"},
    {MH_KEY_RSA_OTHER, "rsa"},     {MH_KEY_EC_OTHER, "ec"},
};

enum mh_key_type mh_key_type_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (type_names[i].t != MH_KEY_RSA_OTHER && type_names[i].t != MH_KEY_EC_OTHER &&
            strcmp(name, type_names[i].name) == 0)
            return type_names[i].t;
    }
    return MH_KEY_NONE;
}

const char *mh_key_type_name(enum mh_key_type t)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (type_names[i].t == t)
            return type_names[i].name;
    }
    return "unknown";
}

CK_RV mh_p11_get_attr(mh_hsm_module *mod, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                      CK_ATTRIBUTE_TYPE t, uint8_t **val, size_t *len)
{
    CK_ATTRIBUTE a = {t, NULL, 0};
    *val = NULL;
    *len = 0;
    CK_RV rv = mod->f->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK)
        return rv;
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > (1u << 20))
        return CKR_ATTRIBUTE_TYPE_INVALID;
    a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1);
    if (!a.pValue)
        return CKR_HOST_MEMORY;
    rv = mod->f->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK) {
        free(a.pValue);
        return rv;
    }
    *val = a.pValue;
    *len = a.ulValueLen;
    return CKR_OK;
}

static bool get_bool(mh_hsm_module *mod, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                     CK_ATTRIBUTE_TYPE t)
{
    CK_BBOOL v = CK_FALSE;
    CK_ATTRIBUTE a = {t, &v, sizeof v};
    if (mod->f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK)
        return false;
    return v == CK_TRUE;
}

/* Finds up to max objects matching tmpl. */
static CK_RV find_objects(mh_hsm_module *mod, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                          CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
{
    *count = 0;
    CK_RV rv = mod->f->C_FindObjectsInit(s, tmpl, n);
    if (rv != CKR_OK)
        return rv;
    rv = mod->f->C_FindObjects(s, out, max, count);
    CK_RV rv2 = mod->f->C_FindObjectsFinal(s);
    return rv != CKR_OK ? rv : rv2;
}

/* ---- public keys ---------------------------------------------------- */

/* CKA_EC_POINT is a DER OCTET STRING around the point (some tokens give
 * the bare point). */
static int unwrap_point(const uint8_t *v, size_t n, const uint8_t **pt, size_t *len)
{
    if (n >= 2 && v[0] == 0x04) {
        unsigned char *p = (unsigned char *)(uintptr_t)v;
        size_t l;
        if (mbedtls_asn1_get_tag(&p, p + n, &l, MBEDTLS_ASN1_OCTET_STRING) == 0 && p + l == v + n) {
            *pt = p;
            *len = l;
            return 0;
        }
    }
    *pt = v;
    *len = n;
    return 0;
}

static int spki_from_ec(mh_hsm_key *key, const uint8_t *params, size_t plen, const uint8_t *point,
                        size_t ptlen)
{
    const uint8_t *pt;
    size_t len;
    unwrap_point(point, ptlen, &pt, &len);
    if ((plen == sizeof OID_ED25519 && memcmp(params, OID_ED25519, plen) == 0) ||
        (plen == sizeof NAME_ED25519 && memcmp(params, NAME_ED25519, plen) == 0)) {
        if (len != 32)
            return MH_ERR_KEY_TYPE;
        memcpy(key->spki, SPKI_ED25519_PREFIX, sizeof SPKI_ED25519_PREFIX);
        memcpy(key->spki + sizeof SPKI_ED25519_PREFIX, pt, 32);
        key->spki_len = sizeof SPKI_ED25519_PREFIX + 32;
        key->type = MH_KEY_ED25519;
        key->bits = 256;
        key->nbytes = 32;
        return 0;
    }
    mbedtls_ecp_group_id gid;
    if (plen == sizeof OID_P256 && memcmp(params, OID_P256, plen) == 0) {
        gid = MBEDTLS_ECP_DP_SECP256R1;
        key->type = MH_KEY_EC_P256;
    } else if (plen == sizeof OID_P384 && memcmp(params, OID_P384, plen) == 0) {
        gid = MBEDTLS_ECP_DP_SECP384R1;
        key->type = MH_KEY_EC_P384;
    } else {
        mh_err_set(MH_ERR_UNSUPPORTED,
                   "the key '%s' is on an elliptic curve mohur does not support", key->label);
        return MH_ERR_UNSUPPORTED;
    }
    int ret = MH_ERR_KEY_TYPE;
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)))
        goto out;
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(pk);
    if (mbedtls_ecp_group_load(&ec->grp, gid) ||
        mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, pt, len) ||
        mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q))
        goto out;
    key->bits = (unsigned)ec->grp.pbits;
    key->nbytes = (ec->grp.pbits + 7) / 8;
    int n = mbedtls_pk_write_pubkey_der(&pk, key->spki, sizeof key->spki);
    if (n <= 0)
        goto out;
    memmove(key->spki, key->spki + sizeof key->spki - (size_t)n, (size_t)n);
    key->spki_len = (size_t)n;
    ret = 0;
out:
    mbedtls_pk_free(&pk);
    return ret;
}

static int spki_from_rsa(mh_hsm_key *key, const uint8_t *mod_, size_t mlen, const uint8_t *e,
                         size_t elen)
{
    int ret = MH_ERR_KEY_TYPE;
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)))
        goto out;
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk);
    if (mbedtls_rsa_import_raw(rsa, mod_, mlen, NULL, 0, NULL, 0, NULL, 0, e, elen) ||
        mbedtls_rsa_complete(rsa) || mbedtls_rsa_check_pubkey(rsa))
        goto out;
    key->nbytes = mbedtls_rsa_get_len(rsa);
    key->bits = (unsigned)mbedtls_pk_get_bitlen(&pk);
    key->type = key->bits == 2048   ? MH_KEY_RSA_2048
                : key->bits == 3072 ? MH_KEY_RSA_3072
                : key->bits == 4096 ? MH_KEY_RSA_4096
                                    : MH_KEY_RSA_OTHER;
    int n = mbedtls_pk_write_pubkey_der(&pk, key->spki, sizeof key->spki);
    if (n <= 0)
        goto out;
    memmove(key->spki, key->spki + sizeof key->spki - (size_t)n, (size_t)n);
    key->spki_len = (size_t)n;
    ret = 0;
out:
    mbedtls_pk_free(&pk);
    return ret;
}

/* Spans of a DER certificate that PKCS#11 and we need. */
struct cert_parts {
    const uint8_t *serial, *issuer, *subject, *spki;
    size_t serial_len, issuer_len, subject_len, spki_len;
};

/* A whole TLV at *p (tag checked), advancing past it. */
static int take_tlv(unsigned char **p, const unsigned char *end, int tag, const uint8_t **start,
                    size_t *len)
{
    unsigned char *s = *p;
    size_t l;
    if (mbedtls_asn1_get_tag(p, end, &l, tag))
        return -1;
    *start = s;
    *len = (size_t)(*p - s) + l;
    *p += l;
    return 0;
}

static int cert_split(const uint8_t *der, size_t len, struct cert_parts *c)
{
    unsigned char *p = (unsigned char *)(uintptr_t)der, *end = p + len;
    size_t l;
    const uint8_t *dummy;
    size_t dlen;
    if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
        p + l != end)
        return MH_ERR_PARSE;
    if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return MH_ERR_PARSE;
    unsigned char *tend = p + l;
    if (p < tend && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) {
        if (take_tlv(&p, tend, *p, &dummy, &dlen))
            return MH_ERR_PARSE;
    }
    if (take_tlv(&p, tend, MBEDTLS_ASN1_INTEGER, &c->serial, &c->serial_len) ||
        take_tlv(&p, tend, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE, &dummy, &dlen) ||
        take_tlv(&p, tend, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE, &c->issuer,
                 &c->issuer_len) ||
        take_tlv(&p, tend, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE, &dummy, &dlen) ||
        take_tlv(&p, tend, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE, &c->subject,
                 &c->subject_len) ||
        take_tlv(&p, tend, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE, &c->spki,
                 &c->spki_len))
        return MH_ERR_PARSE;
    return 0;
}

/* Reads what we need of a key from whichever objects show it. */
static int load_public(mh_hsm_key *key, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
                       CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE cert)
{
    mh_hsm_module *mod = key->tok->mod;
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    int rc = MH_ERR_KEY_TYPE;
    CK_OBJECT_HANDLE from[2] = {pub, priv};
    for (int i = 0; i < 2 && key->spki_len == 0; i++) {
        if (from[i] == CK_INVALID_HANDLE)
            continue;
        if (key->ck_type == CKK_RSA) {
            if (mh_p11_get_attr(mod, s, from[i], CKA_MODULUS, &a, &alen) == CKR_OK &&
                mh_p11_get_attr(mod, s, from[i], CKA_PUBLIC_EXPONENT, &b, &blen) == CKR_OK)
                rc = spki_from_rsa(key, a, alen, b, blen);
        } else if (key->ck_type == CKK_EC || key->ck_type == CKK_EC_EDWARDS) {
            if (mh_p11_get_attr(mod, s, from[i], CKA_EC_PARAMS, &a, &alen) == CKR_OK &&
                mh_p11_get_attr(mod, s, from[i], CKA_EC_POINT, &b, &blen) == CKR_OK)
                rc = spki_from_ec(key, a, alen, b, blen);
        }
        free(a);
        free(b);
        a = b = NULL;
    }
    if (key->spki_len == 0 && cert != CK_INVALID_HANDLE &&
        mh_p11_get_attr(mod, s, cert, CKA_VALUE, &a, &alen) == CKR_OK) {
        struct cert_parts c;
        mbedtls_pk_context pk;
        mbedtls_pk_init(&pk);
        if (cert_split(a, alen, &c) == 0) {
            if (c.spki_len == sizeof SPKI_ED25519_PREFIX + 32 &&
                memcmp(c.spki, SPKI_ED25519_PREFIX, sizeof SPKI_ED25519_PREFIX) == 0) {
                rc = spki_from_ec(key, OID_ED25519, sizeof OID_ED25519,
                                  c.spki + sizeof SPKI_ED25519_PREFIX, 32);
            } else if (mbedtls_pk_parse_public_key(&pk, c.spki, c.spki_len) == 0) {
                if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA) {
                    uint8_t n[600], e[8];
                    mbedtls_rsa_context *r = mbedtls_pk_rsa(pk);
                    size_t nl = mbedtls_rsa_get_len(r);
                    if (nl <= sizeof n && mbedtls_rsa_export_raw(r, n, nl, NULL, 0, NULL, 0, NULL,
                                                                 0, e, sizeof e) == 0) {
                        size_t k = 0;
                        while (k < sizeof e - 1 && e[k] == 0)
                            k++;
                        rc = spki_from_rsa(key, n, nl, e + k, sizeof e - k);
                    }
                } else if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_ECKEY) {
                    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(pk);
                    uint8_t pt[200];
                    size_t ptl;
                    const uint8_t *oid = ec->grp.id == MBEDTLS_ECP_DP_SECP256R1   ? OID_P256
                                         : ec->grp.id == MBEDTLS_ECP_DP_SECP384R1 ? OID_P384
                                                                                  : NULL;
                    size_t oidl = oid == OID_P256 ? sizeof OID_P256 : sizeof OID_P384;
                    if (oid && mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q,
                                                              MBEDTLS_ECP_PF_UNCOMPRESSED, &ptl, pt,
                                                              sizeof pt) == 0)
                        rc = spki_from_ec(key, oid, oidl, pt, ptl);
                }
            }
        }
        mbedtls_pk_free(&pk);
        free(a);
    }
    if (key->spki_len == 0) {
        if (rc == MH_ERR_KEY_TYPE)
            mh_err_set(rc ? rc : MH_ERR_KEY_TYPE,
                       "the public half of key '%s' cannot be read from the token", key->label);
        return rc ? rc : MH_ERR_KEY_TYPE;
    }
    return 0;
}

/* ---- finding keys --------------------------------------------------- */

static CK_RV find_by(mh_hsm_module *mod, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                     const char *label, const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *out,
                     CK_ULONG max, CK_ULONG *count)
{
    CK_ATTRIBUTE t[3];
    CK_ULONG n = 0;
    t[n++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
    if (label)
        t[n++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)(uintptr_t)label, strlen(label)};
    if (id && id_len)
        t[n++] = (CK_ATTRIBUTE){CKA_ID, (void *)(uintptr_t)id, id_len};
    return find_objects(mod, s, t, n, out, max, count);
}

int mh_key_handles(mh_hsm_key *key, CK_SESSION_HANDLE s, unsigned long gen, bool need_priv)
{
    pthread_mutex_lock(&key->lock);
    mh_hsm_module *mod = key->tok->mod;
    const char *label = key->id_len ? NULL : key->label;
    CK_OBJECT_HANDLE h[2];
    CK_ULONG n = 0;
    int rc = 0;
    if (key->pub_generation != gen) {
        /* the public key object, if the token has one; verification
         * falls back to software without it */
        key->has_pub_obj = false;
        if (find_by(mod, s, CKO_PUBLIC_KEY, label, key->id, key->id_len, h, 1, &n) == CKR_OK &&
            n == 1) {
            key->pub = h[0];
            key->has_pub_obj = true;
        }
        key->pub_generation = gen;
    }
    if (!need_priv || (key->generation == gen && key->priv != CK_INVALID_HANDLE))
        goto out;
    CK_RV rv = find_by(mod, s, CKO_PRIVATE_KEY, label, key->id, key->id_len, h, 2, &n);
    if (rv != CKR_OK) {
        rc = mh_p11_err(rv, "looking for the private key");
    } else if (n == 0) {
        mh_err_set(MH_ERR_KEY_NOT_FOUND,
                   "the private key '%s' is not visible on the token; log in first", key->label);
        rc = MH_ERR_KEY_NOT_FOUND;
    } else if (n > 1) {
        mh_err_set(MH_ERR_KEY_AMBIGUOUS, "more than one private key has the id of '%s'",
                   key->label);
        rc = MH_ERR_KEY_AMBIGUOUS;
    } else {
        key->priv = h[0];
        key->always_auth = get_bool(mod, s, h[0], CKA_ALWAYS_AUTHENTICATE);
        key->generation = gen;
    }
out:
    pthread_mutex_unlock(&key->lock);
    return rc;
}

static mh_hsm_key *key_new(mh_hsm_token *tok)
{
    mh_hsm_key *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->tok = tok;
    k->priv = k->pub = CK_INVALID_HANDLE;
    k->generation = (unsigned long)-1;
    k->pub_generation = (unsigned long)-1;
    pthread_mutex_init(&k->lock, NULL);
    return k;
}

void mh_hsm_key_free(mh_hsm_key *key)
{
    if (!key)
        return;
    pthread_mutex_destroy(&key->lock);
    free(key);
}

/* Fills label/id/type of key from object o and reads its public half. */
static int key_describe(mh_hsm_key *key, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                        CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE cert)
{
    mh_hsm_module *mod = key->tok->mod;
    uint8_t *v;
    size_t len;
    if (mh_p11_get_attr(mod, s, o, CKA_LABEL, &v, &len) == CKR_OK) {
        size_t n = len < sizeof key->label - 1 ? len : sizeof key->label - 1;
        memcpy(key->label, v, n);
        key->label[n] = '\0';
        free(v);
    }
    if (mh_p11_get_attr(mod, s, o, CKA_ID, &v, &len) == CKR_OK) {
        if (len <= MH_P11_ID_MAX) {
            memcpy(key->id, v, len);
            key->id_len = len;
        }
        free(v);
    }
    CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof kt};
    if (o != cert && mod->f->C_GetAttributeValue(s, o, &a, 1) == CKR_OK)
        key->ck_type = kt;
    else
        key->ck_type = (CK_KEY_TYPE)-1;
    int rc = load_public(key, s, priv, pub, cert);
    if (!rc)
        key->ck_type = key->type == MH_KEY_ED25519 ? CKK_EC_EDWARDS
                       : (key->type == MH_KEY_EC_P256 || key->type == MH_KEY_EC_P384) ? CKK_EC
                                                                                      : CKK_RSA;
    return rc;
}

int mh_hsm_key_find(mh_hsm_token *tok, const mh_p11_uri *uri, mh_hsm_key **out)
{
    *out = NULL;
    if (!uri->object && !uri->has_id) {
        mh_err_set(MH_ERR_KEY_NOT_FOUND, "the key URI needs object= (the key's label) or id=");
        return MH_ERR_KEY_NOT_FOUND;
    }
    CK_SESSION_HANDLE s;
    unsigned long gen;
    int rc = mh_tok_borrow(tok, &s, &gen);
    if (rc)
        return rc;
    mh_hsm_module *mod = tok->mod;
    mh_hsm_key *key = NULL;
    CK_RV rv = CKR_OK;
    CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE, pub = CK_INVALID_HANDLE, cert = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE h[2];
    CK_ULONG n = 0;
    const uint8_t *id = uri->has_id ? uri->id : NULL;
    /* the private key first; its public key and certificate by CKA_ID */
    static const CK_OBJECT_CLASS order[] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE};
    CK_OBJECT_HANDLE *slot_of[] = {&priv, &pub, &cert};
    for (size_t i = 0; i < 3; i++) {
        if (uri->type == MH_P11_TYPE_PUBLIC && i == 0)
            continue;
        if (uri->type == MH_P11_TYPE_CERT && i < 2)
            continue;
        rv = find_by(mod, s, order[i], uri->object, id, uri->id_len, h, 2, &n);
        if (rv != CKR_OK) {
            rc = mh_p11_err(rv, "looking for the key");
            goto out;
        }
        if (n > 1) {
            mh_err_set(MH_ERR_KEY_AMBIGUOUS, "more than one key matches '%s'; add id= to the URI",
                       uri->object ? uri->object : "the id");
            rc = MH_ERR_KEY_AMBIGUOUS;
            goto out;
        }
        if (n == 1)
            *slot_of[i] = h[0];
    }
    CK_OBJECT_HANDLE first = priv != CK_INVALID_HANDLE  ? priv
                             : pub != CK_INVALID_HANDLE ? pub
                                                        : cert;
    if (first == CK_INVALID_HANDLE) {
        mh_err_set(MH_ERR_KEY_NOT_FOUND, "no key '%s' was found on token '%s'%s",
                   uri->object ? uri->object : "(by id)", tok->label,
                   mh_hsm_logged_in(tok) ? "" : " (private keys show only after logging in)");
        rc = MH_ERR_KEY_NOT_FOUND;
        goto out;
    }
    key = key_new(tok);
    if (!key) {
        rc = MH_ERR_NOMEM;
        goto out;
    }
    rc = key_describe(key, s, first, priv, pub, cert);
    if (rc)
        goto out;
    /* objects that were matched by label alone: find the rest by CKA_ID */
    if (key->id_len && (pub == CK_INVALID_HANDLE || priv == CK_INVALID_HANDLE)) {
        if (priv == CK_INVALID_HANDLE &&
            find_by(mod, s, CKO_PRIVATE_KEY, NULL, key->id, key->id_len, h, 1, &n) == CKR_OK &&
            n == 1)
            priv = h[0];
        if (pub == CK_INVALID_HANDLE &&
            find_by(mod, s, CKO_PUBLIC_KEY, NULL, key->id, key->id_len, h, 1, &n) == CKR_OK &&
            n == 1)
            pub = h[0];
    }
    if (priv != CK_INVALID_HANDLE) {
        key->priv = priv;
        key->always_auth = get_bool(mod, s, priv, CKA_ALWAYS_AUTHENTICATE);
        key->generation = gen;
    }
    key->pub = pub;
    key->has_pub_obj = pub != CK_INVALID_HANDLE;
    key->pub_generation = gen;
    *out = key; /* transferred */
    key = NULL;
out:
    mh_tok_return(tok, s, gen, rv);
    mh_hsm_key_free(key);
    return rc;
}

int mh_hsm_key_info_get(mh_hsm_key *key, mh_hsm_key_info *info)
{
    memset(info, 0, sizeof *info);
    info->type = key->type;
    info->bits = key->bits;
    snprintf(info->label, sizeof info->label, "%s", key->label);
    memcpy(info->id, key->id, key->id_len);
    info->id_len = key->id_len;
    CK_SESSION_HANDLE s;
    unsigned long gen;
    int rc = mh_tok_borrow(key->tok, &s, &gen);
    if (rc)
        return rc;
    mh_hsm_module *mod = key->tok->mod;
    CK_OBJECT_HANDLE h[1];
    CK_ULONG n = 0;
    const char *label = key->id_len ? NULL : key->label;
    CK_RV rv = find_by(mod, s, CKO_PRIVATE_KEY, label, key->id, key->id_len, h, 1, &n);
    if (rv == CKR_OK && n == 1) {
        info->has_private = true;
        info->always_authenticate = get_bool(mod, s, h[0], CKA_ALWAYS_AUTHENTICATE);
        info->sensitive = get_bool(mod, s, h[0], CKA_SENSITIVE);
        info->extractable = get_bool(mod, s, h[0], CKA_EXTRACTABLE);
    }
    if (rv == CKR_OK)
        rv = find_by(mod, s, CKO_PUBLIC_KEY, label, key->id, key->id_len, h, 1, &n);
    if (rv == CKR_OK && n == 1)
        info->has_public = true;
    if (rv == CKR_OK)
        rv = find_by(mod, s, CKO_CERTIFICATE, label, key->id, key->id_len, h, 1, &n);
    if (rv == CKR_OK && n == 1)
        info->has_cert = true;
    mh_tok_return(key->tok, s, gen, rv);
    return rv == CKR_OK ? 0 : mh_p11_err(rv, "reading the key's objects");
}

int mh_hsm_key_uri(mh_hsm_key *key, char *buf, size_t len)
{
    mh_p11_uri u;
    memset(&u, 0, sizeof u);
    u.token = key->tok->label;
    u.serial = key->tok->serial[0] ? key->tok->serial : NULL;
    u.object = key->label[0] ? key->label : NULL;
    if (key->id_len) {
        memcpy(u.id, key->id, key->id_len);
        u.id_len = key->id_len;
        u.has_id = true;
    }
    u.type = MH_P11_TYPE_PRIVATE;
    return mh_p11_uri_format(&u, buf, len);
}

int mh_hsm_key_public_der(mh_hsm_key *key, uint8_t *buf, size_t cap, size_t *len)
{
    if (key->spki_len > cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, key->spki, key->spki_len);
    *len = key->spki_len;
    return 0;
}

/* ---- listing -------------------------------------------------------- */

int mh_hsm_key_list(mh_hsm_token *tok, mh_hsm_key_info **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    CK_SESSION_HANDLE s;
    unsigned long gen;
    int rc = mh_tok_borrow(tok, &s, &gen);
    if (rc)
        return rc;
    mh_hsm_module *mod = tok->mod;
    enum { MAXOBJ = 1024 };
    CK_OBJECT_HANDLE *h = calloc(MAXOBJ, sizeof *h);
    mh_hsm_key_info *v = calloc(MAXOBJ, sizeof *v);
    size_t nv = 0;
    CK_RV rv = CKR_OK;
    if (!h || !v) {
        rc = MH_ERR_NOMEM;
        goto out;
    }
    static const CK_OBJECT_CLASS classes[] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE};
    for (size_t c = 0; c < 3; c++) {
        CK_ULONG n = 0;
        rv = find_by(mod, s, classes[c], NULL, NULL, 0, h, MAXOBJ, &n);
        if (rv != CKR_OK) {
            rc = mh_p11_err(rv, "listing the keys");
            goto out;
        }
        for (CK_ULONG i = 0; i < n; i++) {
            uint8_t *id = NULL, *lab = NULL;
            size_t idl = 0, labl = 0;
            mh_p11_get_attr(mod, s, h[i], CKA_ID, &id, &idl);
            mh_p11_get_attr(mod, s, h[i], CKA_LABEL, &lab, &labl);
            if (idl > MH_P11_ID_MAX)
                idl = 0;
            size_t k;
            for (k = 0; k < nv; k++) {
                if (idl ? (v[k].id_len == idl && memcmp(v[k].id, id, idl) == 0)
                        : (v[k].id_len == 0 && labl == strlen(v[k].label) &&
                           memcmp(v[k].label, lab, labl) == 0))
                    break;
            }
            if (k == nv) {
                nv++;
                memcpy(v[k].id, id, idl);
                v[k].id_len = idl;
                size_t m = labl < sizeof v[k].label - 1 ? labl : sizeof v[k].label - 1;
                memcpy(v[k].label, lab, m);
                v[k].label[m] = '\0';
            }
            if (v[k].type == MH_KEY_NONE) {
                /* the type and size from whichever object shows the public half
                 * (a private EC key has no CKA_EC_POINT) */
                mh_hsm_key tmp;
                memset(&tmp, 0, sizeof tmp);
                tmp.tok = tok;
                snprintf(tmp.label, sizeof tmp.label, "%s", v[k].label);
                CK_OBJECT_HANDLE pr = c == 0 ? h[i] : CK_INVALID_HANDLE;
                CK_OBJECT_HANDLE pu = c == 1 ? h[i] : CK_INVALID_HANDLE;
                CK_OBJECT_HANDLE ce = c == 2 ? h[i] : CK_INVALID_HANDLE;
                if (key_describe(&tmp, s, h[i], pr, pu, ce) == 0) {
                    v[k].type = tmp.type;
                    v[k].bits = tmp.bits;
                }
            }
            if (c == 0) {
                v[k].has_private = true;
                v[k].always_authenticate = get_bool(mod, s, h[i], CKA_ALWAYS_AUTHENTICATE);
                v[k].sensitive = get_bool(mod, s, h[i], CKA_SENSITIVE);
                v[k].extractable = get_bool(mod, s, h[i], CKA_EXTRACTABLE);
            } else if (c == 1) {
                v[k].has_public = true;
            } else {
                v[k].has_cert = true;
            }
            free(id);
            free(lab);
            if (nv == MAXOBJ)
                break;
        }
    }
    *out = v; /* transferred */
    *nout = nv;
    v = NULL;
    rc = 0;
out:
    mh_tok_return(tok, s, gen, rv);
    free(h);
    free(v);
    return rc;
}

/* ---- generation ----------------------------------------------------- */

static bool has_mech(mh_hsm_token *tok, CK_MECHANISM_TYPE m)
{
    CK_MECHANISM_INFO mi;
    return tok->mod->f->C_GetMechanismInfo(tok->slot, m, &mi) == CKR_OK;
}

int mh_hsm_key_generate(mh_hsm_token *tok, enum mh_key_type type, const char *label,
                        const uint8_t *id, size_t id_len, mh_hsm_key **out)
{
    *out = NULL;
    if (!label || !*label || strlen(label) > 100) {
        mh_err_set(MH_ERR_INVALID_ARG, "a key needs a label of 1 to 100 bytes");
        return MH_ERR_INVALID_ARG;
    }
    if (id_len > MH_P11_ID_MAX)
        return MH_ERR_INVALID_ARG;
    uint8_t rid[16];
    if (id_len == 0) {
        int rc = mh_rng_bytes(rid, sizeof rid);
        if (rc)
            return rc;
        id = rid;
        id_len = sizeof rid;
    }
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    const uint8_t *params = NULL;
    size_t plen = 0;
    CK_ULONG bits = 0;
    static const CK_BYTE exp[] = {0x01, 0x00, 0x01};
    switch (type) {
    case MH_KEY_EC_P256:
        params = OID_P256;
        plen = sizeof OID_P256;
        break;
    case MH_KEY_EC_P384:
        params = OID_P384;
        plen = sizeof OID_P384;
        break;
    case MH_KEY_ED25519:
        mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
        params = OID_ED25519;
        plen = sizeof OID_ED25519;
        break;
    case MH_KEY_RSA_2048:
    case MH_KEY_RSA_3072:
    case MH_KEY_RSA_4096:
        mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        bits = type == MH_KEY_RSA_2048 ? 2048 : type == MH_KEY_RSA_3072 ? 3072 : 4096;
        break;
    default:
        mh_err_set(MH_ERR_INVALID_ARG,
                   "choose a key type: ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519");
        return MH_ERR_INVALID_ARG;
    }
    if (!has_mech(tok, mech.mechanism)) {
        mh_err_set(MH_ERR_MECHANISM, "token '%s' cannot generate %s keys", tok->label,
                   mh_key_type_name(type));
        return MH_ERR_MECHANISM;
    }
    CK_SESSION_HANDLE s;
    unsigned long gen;
    int rc = mh_tok_borrow(tok, &s, &gen);
    if (rc)
        return rc;
    mh_hsm_module *mod = tok->mod;
    CK_RV rv;
    CK_OBJECT_HANDLE h[1];
    CK_ULONG n = 0;
    mh_hsm_key *key = NULL;
    /* refuse a label or id that a key already uses */
    static const CK_OBJECT_CLASS classes[] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
    for (size_t c = 0; c < 2; c++) {
        rv = find_by(mod, s, classes[c], label, NULL, 0, h, 1, &n);
        if (rv == CKR_OK && n == 0)
            rv = find_by(mod, s, classes[c], NULL, id, id_len, h, 1, &n);
        if (rv != CKR_OK) {
            rc = mh_p11_err(rv, "checking for an existing key");
            goto out;
        }
        if (n) {
            mh_err_set(MH_ERR_ALREADY_EXISTS,
                       "token '%s' already has a key labelled '%s' or with that id; choose "
                       "another label",
                       tok->label, label);
            rc = MH_ERR_ALREADY_EXISTS;
            goto out;
        }
    }
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG lablen = strlen(label);
    CK_ATTRIBUTE pubt[8], privt[10];
    CK_ULONG np = 0, nq = 0;
    pubt[np++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof yes};
    pubt[np++] = (CK_ATTRIBUTE){CKA_VERIFY, &yes, sizeof yes};
    pubt[np++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)(uintptr_t)label, lablen};
    pubt[np++] = (CK_ATTRIBUTE){CKA_ID, (void *)(uintptr_t)id, id_len};
    pubt[np++] = (CK_ATTRIBUTE){CKA_PRIVATE, &no, sizeof no};
    if (params)
        pubt[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)(uintptr_t)params, plen};
    if (bits) {
        pubt[np++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof bits};
        pubt[np++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, (void *)(uintptr_t)exp, sizeof exp};
    }
    privt[nq++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof yes};
    privt[nq++] = (CK_ATTRIBUTE){CKA_PRIVATE, &yes, sizeof yes};
    privt[nq++] = (CK_ATTRIBUTE){CKA_SENSITIVE, &yes, sizeof yes};
    privt[nq++] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, &no, sizeof no};
    privt[nq++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, sizeof yes};
    privt[nq++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)(uintptr_t)label, lablen};
    privt[nq++] = (CK_ATTRIBUTE){CKA_ID, (void *)(uintptr_t)id, id_len};
    CK_OBJECT_HANDLE hpub, hpriv;
    rv = mod->f->C_GenerateKeyPair(s, &mech, pubt, np, privt, nq, &hpub, &hpriv);
    if (rv == CKR_USER_NOT_LOGGED_IN) {
        mh_err_set(MH_ERR_PIN_REQUIRED,
                   "generating a key on token '%s' needs the PIN; log in first", tok->label);
        rc = MH_ERR_PIN_REQUIRED;
        goto out;
    }
    if (rv != CKR_OK) {
        char doing[96];
        snprintf(doing, sizeof doing, "generating a %s key", mh_key_type_name(type));
        rc = mh_p11_err(rv, doing);
        goto out;
    }
    key = key_new(tok);
    if (!key) {
        rc = MH_ERR_NOMEM;
        goto out;
    }
    rc = key_describe(key, s, hpriv, hpriv, hpub, CK_INVALID_HANDLE);
    if (rc)
        goto out;
    key->priv = hpriv;
    key->pub = hpub;
    key->has_pub_obj = true;
    key->generation = gen;
    key->pub_generation = gen;
    *out = key; /* transferred */
    key = NULL;
out:
    mh_tok_return(tok, s, gen, rv);
    mh_hsm_key_free(key);
    return rc;
}

/* ---- certificates --------------------------------------------------- */

int mh_hsm_key_import_cert(mh_hsm_key *key, const uint8_t *der, size_t len)
{
    struct cert_parts c;
    if (len > 64 * 1024 || cert_split(der, len, &c) != 0) {
        mh_err_set(MH_ERR_PARSE, "the file is not a DER or PEM X.509 certificate");
        return MH_ERR_PARSE;
    }
    if (c.spki_len != key->spki_len || mh_ct_memcmp(c.spki, key->spki, c.spki_len) != 0) {
        mh_err_set(MH_ERR_KEY_TYPE,
                   "the certificate is for another key: its public key is not the public key "
                   "of '%s'",
                   key->label);
        return MH_ERR_KEY_TYPE;
    }
    CK_SESSION_HANDLE s;
    unsigned long gen;
    int rc = mh_tok_borrow(key->tok, &s, &gen);
    if (rc)
        return rc;
    mh_hsm_module *mod = key->tok->mod;
    CK_OBJECT_HANDLE h[1];
    CK_ULONG n = 0;
    CK_RV rv = find_by(mod, s, CKO_CERTIFICATE, NULL, key->id, key->id_len, h, 1, &n);
    if (rv == CKR_OK && n) {
        mh_err_set(MH_ERR_ALREADY_EXISTS, "key '%s' already has a certificate on the token",
                   key->label);
        rc = MH_ERR_ALREADY_EXISTS;
        goto out;
    }
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_CERTIFICATE_TYPE, &ct, sizeof ct},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &no, sizeof no},
        {CKA_LABEL, key->label, strlen(key->label)},
        {CKA_ID, key->id, key->id_len},
        {CKA_SUBJECT, (void *)(uintptr_t)c.subject, c.subject_len},
        {CKA_ISSUER, (void *)(uintptr_t)c.issuer, c.issuer_len},
        {CKA_SERIAL_NUMBER, (void *)(uintptr_t)c.serial, c.serial_len},
        {CKA_VALUE, (void *)(uintptr_t)der, len},
    };
    CK_OBJECT_HANDLE o;
    rv = mod->f->C_CreateObject(s, t, sizeof t / sizeof t[0], &o);
    rc = rv == CKR_OK ? 0 : mh_p11_err(rv, "storing the certificate on the token");
out:
    mh_tok_return(key->tok, s, gen, rv);
    return rc;
}

int mh_hsm_key_cert(mh_hsm_key *key, uint8_t **der, size_t *len)
{
    *der = NULL;
    *len = 0;
    CK_SESSION_HANDLE s;
    unsigned long gen;
    int rc = mh_tok_borrow(key->tok, &s, &gen);
    if (rc)
        return rc;
    mh_hsm_module *mod = key->tok->mod;
    CK_OBJECT_HANDLE h[1];
    CK_ULONG n = 0;
    const char *label = key->id_len ? NULL : key->label;
    CK_RV rv = find_by(mod, s, CKO_CERTIFICATE, label, key->id, key->id_len, h, 1, &n);
    if (rv != CKR_OK) {
        rc = mh_p11_err(rv, "looking for the certificate");
    } else if (n == 0) {
        mh_err_set(MH_ERR_NOT_FOUND, "key '%s' has no certificate on the token", key->label);
        rc = MH_ERR_NOT_FOUND;
    } else {
        rv = mh_p11_get_attr(mod, s, h[0], CKA_VALUE, der, len);
        rc = rv == CKR_OK ? 0 : mh_p11_err(rv, "reading the certificate");
    }
    mh_tok_return(key->tok, s, gen, rv);
    return rc;
}
