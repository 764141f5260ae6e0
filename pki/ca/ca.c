/* ca.c - certificate issuance by profile (pki_ca.h).
 *
 * The TBSCertificate is written with pki's one DER writer (mh_derw,
 * pki_der.h) rather than mbedtls_x509write_crt: the issuer Name must be the
 * issuer certificate's subject byte for byte (name chaining, RFC 5280 7.1),
 * which x509write can only re-encode from a string; and the subject Name
 * needs the string types and multi-valued RDNs of ca_name.c. The writer
 * works backwards, so every SEQUENCE below is written last field first.
 *
 * Profile table (docs/ca.md has the same table with the reasons):
 *
 *   ext \ profile   root    issuing   notary  seal    registry  tsa     tls
 *   basicConstr.    C,CA    C,CA,pl   C,EE    C,EE    C,EE      C,EE    C,EE
 *   keyUsage (C)    kCS,cS  kCS,cS    dS,nR   dS,nR   dS        dS      dS(+kE RSA)
 *   extKeyUsage     -       -         docSig  docSig  -         tS (C)  sA
 *   SKI             yes     yes       yes     yes     yes       yes     yes
 *   AKI             =SKI    yes       yes     yes     yes       yes     yes
 *   SAN             -       -         opt     opt     opt       opt     required
 *   nameConstr. (C) -       config    -       -       -         -       -
 *   policies        -       config/   config/ config/ config/   config/ config/
 *                           any       notary  seal    registry  tsa     tls
 *   CRLDP, AIA      -       config    config  config  config    config  config
 *   (C = critical; pl = pathLen; EE = CA:FALSE)
 */
#define MH_CA_INTERNAL
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/sha1.h>
#include <mbedtls/x509_csr.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "pki_ca.h"

#define ARC "2.25.186651835885251225168219634582827975517"
#define SIG_MAX 1100

#define OID_BC "\x55\x1d\x13"
#define OID_KU "\x55\x1d\x0f"
#define OID_EKU "\x55\x1d\x25"
#define OID_SKI "\x55\x1d\x0e"
#define OID_AKI "\x55\x1d\x23"
#define OID_SAN "\x55\x1d\x11"
#define OID_NC "\x55\x1d\x1e"
#define OID_CP "\x55\x1d\x20"
#define OID_CRLDP "\x55\x1d\x1f"
#define OID_AIA "\x2b\x06\x01\x05\x05\x07\x01\x01"
#define OID_CA_ISSUERS "\x2b\x06\x01\x05\x05\x07\x30\x02"
#define OID_KP_SERVER "\x2b\x06\x01\x05\x05\x07\x03\x01"
#define OID_KP_TIMESTAMP "\x2b\x06\x01\x05\x05\x07\x03\x08"
#define OID_KP_DOCSIGN "\x2b\x06\x01\x05\x05\x07\x03\x24"
#define L(s) (sizeof(s) - 1)

/* KeyUsage named bits (RFC 5280 4.2.1.3), bit i = named bit i */
#define KU_DS (1u << 0)
#define KU_NR (1u << 1)
#define KU_KE (1u << 2)
#define KU_KCS (1u << 5)
#define KU_CRL (1u << 6)

static const char *const profile_names[] = {NULL,   "root",     "issuing", "notary",
                                            "seal", "registry", "tsa",     "tls"};

enum mh_ca_profile mh_ca_profile_from_name(const char *name)
{
    for (size_t i = 1; name && i < sizeof profile_names / sizeof profile_names[0]; i++)
        if (strcmp(name, profile_names[i]) == 0)
            return (enum mh_ca_profile)i;
    return MH_CA_PROFILE_NONE;
}

const char *mh_ca_profile_name(enum mh_ca_profile p)
{
    if ((int)p <= 0 || (size_t)p >= sizeof profile_names / sizeof profile_names[0])
        return "unknown";
    return profile_names[p];
}

const char *mh_ca_default_policy(enum mh_ca_profile p)
{
    switch (p) {
    case MH_CA_PROFILE_ISSUING:
        return "2.5.29.32.0"; /* anyPolicy: the issuing CA does not narrow */
    case MH_CA_PROFILE_NOTARY:
        return ARC ".1.1";
    case MH_CA_PROFILE_SEAL:
        return ARC ".1.2";
    case MH_CA_PROFILE_REGISTRY:
        return ARC ".1.3";
    case MH_CA_PROFILE_TSA:
        return ARC ".1.4";
    case MH_CA_PROFILE_TLS:
        return ARC ".1.5";
    case MH_CA_PROFILE_ROOT:
    case MH_CA_PROFILE_NONE:
        break;
    }
    return NULL;
}

void mh_ca_serial_fix(uint8_t serial[MH_CA_SERIAL_LEN])
{
    serial[0] = (uint8_t)((serial[0] & 0x3f) | 0x40);
}

/* ---- helpers shared with crlgen.c ------------------------------------------ */

int mh_ca_key_id(const uint8_t *spki, size_t len, uint8_t id[20])
{
    mh_der d, s;
    mh_der_elem seq, alg, bits;
    const uint8_t *b;
    size_t blen;
    unsigned unused;

    mh_der_init(&d, spki, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &seq) || !mh_der_done(&d))
        return MH_ERR_PARSE;
    mh_der_enter(&s, &seq);
    if (mh_der_expect(&s, MH_DER_SEQUENCE, &alg) || mh_der_expect(&s, MH_DER_BIT_STRING, &bits) ||
        !mh_der_done(&s) || mh_der_bitstring(&bits, &b, &blen, &unused) || unused != 0)
        return MH_ERR_PARSE;
    /* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits */
    if (mbedtls_sha1_ret(b, blen, id) != 0)
        return MH_ERR_INTERNAL;
    return 0;
}

int mh_ca_sig_alg(const mh_signer *key, mbedtls_md_type_t *md)
{
    mh_pki_pubkey *pub = calloc(1, sizeof *pub);
    int ret = MH_OK;
    if (!pub)
        return MH_ERR_NOMEM;
    if (!key || mh_pki_spki_parse(key->spki, key->spki_len, pub) != 0) {
        ret = mh_err_set(MH_ERR_KEY_TYPE, "the CA's public key cannot be read");
        goto out;
    }
    if (key->alg == MH_SIG_ECDSA && pub->type == MH_PKI_KEY_EC) {
        if (*md == MBEDTLS_MD_NONE)
            *md = pub->bits > 384   ? MBEDTLS_MD_SHA512
                  : pub->bits > 256 ? MBEDTLS_MD_SHA384
                                    : MBEDTLS_MD_SHA256;
    } else if (key->alg == MH_SIG_RSA_PKCS1 && pub->type == MH_PKI_KEY_RSA) {
        if (pub->bits < 2048 || pub->bits > 8192) {
            ret =
                mh_err_set(MH_ERR_KEY_TYPE,
                           "the CA's RSA key has %zu bits; 2048 to 8192 are supported", pub->bits);
            goto out;
        }
        if (*md == MBEDTLS_MD_NONE)
            *md = MBEDTLS_MD_SHA256;
    } else {
        ret = mh_err_set(MH_ERR_KEY_TYPE,
                         "the CA's key makes %s signatures; mohur signs certificates with ECDSA "
                         "or RSA PKCS#1 v1.5 keys",
                         mh_sig_alg_name(key->alg));
        goto out;
    }
    if (*md != MBEDTLS_MD_SHA256 && *md != MBEDTLS_MD_SHA384 && *md != MBEDTLS_MD_SHA512)
        ret = mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                         "certificates are signed with SHA-256, SHA-384 or SHA-512");
out:
    free(pub);
    return ret;
}

/* AlgorithmIdentifier of the signature: ECDSA without parameters (RFC 5758),
 * RSA PKCS#1 v1.5 with NULL (RFC 4055). */
int mh_ca_w_sigalg(mh_derw *w, const mh_signer *key, mbedtls_md_type_t md)
{
    const char *oid;
    size_t oid_len;
    bool ec = key->alg == MH_SIG_ECDSA;
    const uint8_t *mark = w->p;

    if (mbedtls_oid_get_oid_by_sig_alg(ec ? MBEDTLS_PK_ECDSA : MBEDTLS_PK_RSA, md, &oid,
                                       &oid_len) != 0)
        return MH_ERR_UNSUPPORTED_ALG;
    if (!ec)
        mh_derw_tlv(w, MH_DER_NULL, NULL, 0);
    mh_derw_tlv(w, MH_DER_OID, oid, oid_len);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

/* Checks the proof of possession of a certificate request (mbedTLS parsed
 * it). EC keys go to pki/sig, the one ECDSA verifier (canonical DER,
 * ranges, then the backend); RSA stays with mbedTLS here (requests whose
 * proof may use PSS parameters). 0 or MH_ERR_VERIFY_FAILED. */
static int pk_verify(mbedtls_pk_type_t sig_pk, const void *sig_opts, mbedtls_pk_context *pk,
                     mbedtls_md_type_t md, const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                     size_t sig_len)
{
    if (mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY)) {
        const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
        uint8_t pt[MH_PKI_EC_MAX_POINT];
        size_t n = 0;
        if (sig_pk != MBEDTLS_PK_ECDSA && sig_pk != MBEDTLS_PK_ECKEY)
            return MH_ERR_VERIFY_FAILED;
        if (!ec || mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &n,
                                                  pt, sizeof pt) != 0)
            return MH_ERR_VERIFY_FAILED;
        return mh_pki_ecdsa_verify(ec->grp.id, pt, n, hash, hash_len, MH_SIG_DER, sig, sig_len) == 0
                   ? 0
                   : MH_ERR_VERIFY_FAILED;
    }
    return mbedtls_pk_verify_ext(sig_pk, sig_opts, pk, md, hash, hash_len, sig, sig_len) == 0
               ? 0
               : MH_ERR_VERIFY_FAILED;
}

int mh_ca_sign_wrap(const mh_signer *key, mbedtls_md_type_t md, const uint8_t *tbs, size_t tbs_len,
                    const uint8_t *verify_spki, size_t verify_spki_len, uint8_t *out, size_t cap,
                    size_t *len)
{
    int ret = MH_ERR_INTERNAL;
    uint8_t hash[64], sig[MH_SIG_MAX];
    size_t sig_len = 0;
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    mh_pki_pubkey *pub = NULL;

    if (!mi)
        return MH_ERR_UNSUPPORTED_ALG;
    if (mbedtls_md(mi, tbs, tbs_len, hash) != 0)
        goto out;
    /* the signer's own code and sentence (a PIN, a removed token) go on */
    ret = mh_signer_sign(key, md, hash, mbedtls_md_get_size(mi), MH_SIG_DER, sig, sizeof sig,
                         &sig_len);
    if (ret)
        goto out;
    /* the one verifier, with the issuer certificate's key */
    pub = calloc(1, sizeof *pub);
    if (!pub) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if (mh_pki_spki_parse(verify_spki, verify_spki_len, pub) != 0 ||
        mh_pki_verify_hash(pub, key->alg, MH_SIG_DER, md, hash, mbedtls_md_get_size(mi), sig,
                           sig_len, NULL) != 0) {
        ret = mh_err_set(MH_ERR_KEY_NOT_PERMITTED,
                         "the signature made with the CA's key does not verify with the CA "
                         "certificate's public key: the key is not the CA's key");
        goto out;
    }
    /* SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }, backwards */
    mh_derw w;
    mh_derw_init(&w, out, cap);
    const uint8_t *end = w.p;
    mh_derw_bits(&w, sig, sig_len, 0);
    if ((ret = mh_ca_w_sigalg(&w, key, md)) != 0)
        goto out;
    mh_derw_raw(&w, tbs, tbs_len);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed) {
        ret = MH_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    *len = mh_derw_len(&w, end);
    memmove(out, w.p, *len);
    ret = 0;
out:
    free(pub);
    mh_wipe(hash, sizeof hash);
    return ret;
}

/* ---- CSRs -------------------------------------------------------------------- */

/* ECDSA-Sig-Value in canonical DER: two positive minimal INTEGERs. */
static bool ecdsa_sig_canonical(const uint8_t *sig, size_t len)
{
    mh_der d, s;
    mh_der_elem seq, r, ss;
    bool neg_r = true, neg_s = true;

    mh_der_init(&d, sig, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &seq) || !mh_der_done(&d))
        return false;
    mh_der_enter(&s, &seq);
    if (mh_der_expect(&s, MH_DER_INTEGER, &r) || mh_der_expect(&s, MH_DER_INTEGER, &ss) ||
        !mh_der_done(&s) || mh_der_integer_check(&r, &neg_r) || mh_der_integer_check(&ss, &neg_s))
        return false;
    return !neg_r && !neg_s && !(r.len == 1 && r.val[0] == 0) && !(ss.len == 1 && ss.val[0] == 0);
}

int mh_ca_csr_check(const uint8_t *der, size_t len, uint8_t *spki, size_t spki_cap,
                    size_t *spki_len, uint8_t *subject, size_t subject_cap, size_t *subject_len)
{
    int ret = MH_ERR_PARSE;
    mbedtls_x509_csr csr;
    uint8_t hash[64];
    const mbedtls_md_info_t *mi;
    int l;

    mbedtls_x509_csr_init(&csr);
    if (!der || len == 0 || len > 65536) {
        mh_err_set(MH_ERR_TOO_LARGE, "the certificate request is empty or larger than 64 KiB");
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    if ((l = mbedtls_x509_csr_parse_der(&csr, der, len)) != 0) {
        mh_err_set(ret,
                   "the certificate request is not a valid PKCS#10 request (mbedTLS error "
                   "-0x%04x)",
                   (unsigned)-l);
        goto out;
    }
    mi = mbedtls_md_info_from_type(csr.sig_md);
    if (!mi || csr.sig_md == MBEDTLS_MD_MD5 || csr.sig_md == MBEDTLS_MD_SHA1) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "the certificate request is signed with a hash mohur does not accept; sign "
                   "it with SHA-256 or stronger");
        ret = MH_ERR_UNSUPPORTED_ALG;
        goto out;
    }
    if (mbedtls_md(mi, csr.cri.p, csr.cri.len, hash) != 0) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    if (csr.sig_pk == MBEDTLS_PK_ECDSA && !ecdsa_sig_canonical(csr.sig.p, csr.sig.len)) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the certificate request's signature is not canonical DER: refused");
        ret = MH_ERR_VERIFY_FAILED;
        goto out;
    }
    if (pk_verify(csr.sig_pk, csr.sig_opts, &csr.pk, csr.sig_md, hash, mbedtls_md_get_size(mi),
                  csr.sig.p, csr.sig.len) != 0) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the certificate request's signature does not verify with its own public "
                   "key: the request was altered or forged (no proof of possession); ask the "
                   "applicant for a new request");
        ret = MH_ERR_VERIFY_FAILED;
        goto out;
    }
    /* the public key, re-written: canonical SPKI */
    l = mbedtls_pk_write_pubkey_der(&csr.pk, spki, spki_cap);
    if (l <= 0) {
        ret = MH_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    memmove(spki, spki + spki_cap - (size_t)l, (size_t)l);
    *spki_len = (size_t)l;
    /* subject_raw is the whole Name, header included */
    if (csr.subject_raw.len > subject_cap || csr.subject_raw.len < 2) {
        ret = MH_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    memcpy(subject, csr.subject_raw.p, csr.subject_raw.len);
    *subject_len = csr.subject_raw.len;
    ret = 0;
out:
    mbedtls_x509_csr_free(&csr);
    return ret;
}

/* ---- extensions ------------------------------------------------------------- */
/* Each writer puts its value backwards into w and returns 0 or the error of
 * a request it refuses (with a sentence); running out of room is w->failed. */

/* Wraps the extension value written since mark: Extension { OID, [critical,]
 * OCTET STRING { value } }. */
static void w_ext(mh_derw *w, const uint8_t *mark, const char *oid, size_t oid_len, bool crit)
{
    mh_derw_wrap(w, MH_DER_OCTET_STRING, mark);
    if (crit)
        mh_derw_bool(w, true);
    mh_derw_tlv(w, MH_DER_OID, oid, oid_len);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
}

static int w_ia5(mh_derw *w, uint8_t tag, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "'%.60s' must be printable ASCII without spaces (IA5String)", s);
            return MH_ERR_INVALID_ARG;
        }
    }
    if (n == 0 || n > MH_CA_URL_MAX) {
        mh_err_set(MH_ERR_INVALID_ARG, "a name or URL is empty or longer than %d bytes",
                   MH_CA_URL_MAX);
        return MH_ERR_INVALID_ARG;
    }
    mh_derw_tlv(w, tag, s, n);
    return 0;
}

static bool dns_ok(const char *s, bool wildcard_ok)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            continue;
        }
        if (c == '*' && wildcard_ok && i == 0 && s[1] == '.') {
            label = 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0;
}

/* GeneralNames of the SAN, in the order dns, ip, email. */
static int w_san(mh_derw *w, const mh_ca_issue_req *r)
{
    const uint8_t *mark = w->p;
    int rc;
    for (size_t i = r->n_emails; i-- > 0;) {
        const char *at = strchr(r->emails[i], '@');
        if (!at || at == r->emails[i] || !dns_ok(at + 1, false)) {
            mh_err_set(MH_ERR_INVALID_ARG, "'%.60s' is not an email address (local@domain)",
                       r->emails[i]);
            return MH_ERR_INVALID_ARG;
        }
        if ((rc = w_ia5(w, MH_DER_CTX_P(1), r->emails[i])) != 0)
            return rc;
    }
    for (size_t i = r->n_ips; i-- > 0;) {
        uint8_t a[16];
        size_t alen;
        if (inet_pton(AF_INET, r->ips[i], a) == 1)
            alen = 4;
        else if (inet_pton(AF_INET6, r->ips[i], a) == 1)
            alen = 16;
        else {
            mh_err_set(MH_ERR_INVALID_ARG, "'%.60s' is not an IPv4 or IPv6 address", r->ips[i]);
            return MH_ERR_INVALID_ARG;
        }
        mh_derw_tlv(w, MH_DER_CTX_P(7), a, alen);
    }
    for (size_t i = r->n_dns; i-- > 0;) {
        if (!dns_ok(r->dns[i], true)) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "'%.60s' is not a DNS name (letters, digits, '-' and dots; '*.' only "
                       "as the first label)",
                       r->dns[i]);
            return MH_ERR_INVALID_ARG;
        }
        if ((rc = w_ia5(w, MH_DER_CTX_P(2), r->dns[i])) != 0)
            return rc;
    }
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

/* NameConstraints { permittedSubtrees [0] } with dNSName, rfc822Name and
 * directoryName bases (minimum 0, no maximum, as RFC 5280 requires). */
static int w_nc(mh_derw *w, const mh_ca_issue_req *r)
{
    const uint8_t *mark = w->p, *m;
    uint8_t name[MH_CA_DN_MAX];
    size_t nlen;
    int rc;

    for (size_t i = r->n_permit_dn; i-- > 0;) {
        if ((rc = mh_ca_name_encode(r->permit_dn[i], name, sizeof name, &nlen)) != 0)
            return rc;
        m = w->p;
        mh_derw_raw(w, name, nlen);
        mh_derw_wrap(w, MH_DER_CTX_C(4), m);
        mh_derw_wrap(w, MH_DER_SEQUENCE, m);
    }
    for (size_t i = r->n_permit_email; i-- > 0;) {
        /* a mailbox, a host, or ".domain" for every host under it */
        const char *e = r->permit_email[i], *at = strchr(e, '@');
        const char *dom = at ? at + 1 : (e[0] == '.' ? e + 1 : e);
        if (!dns_ok(dom, false) || (at && at == e)) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "'%.60s' is not a mailbox, a domain or .domain for an email constraint", e);
            return MH_ERR_INVALID_ARG;
        }
        m = w->p;
        if ((rc = w_ia5(w, MH_DER_CTX_P(1), e)) != 0)
            return rc;
        mh_derw_wrap(w, MH_DER_SEQUENCE, m);
    }
    for (size_t i = r->n_permit_dns; i-- > 0;) {
        const char *d = r->permit_dns[i];
        if (!dns_ok(d[0] == '.' ? d + 1 : d, false)) {
            mh_err_set(MH_ERR_INVALID_ARG, "'%.60s' is not a DNS domain for a name constraint", d);
            return MH_ERR_INVALID_ARG;
        }
        m = w->p;
        if ((rc = w_ia5(w, MH_DER_CTX_P(2), d)) != 0)
            return rc;
        mh_derw_wrap(w, MH_DER_SEQUENCE, m);
    }
    mh_derw_wrap(w, MH_DER_CTX_C(0), mark);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

static int w_policies(mh_derw *w, const char *const *oids, size_t n_oids)
{
    const uint8_t *mark = w->p;
    uint8_t oid[64];
    size_t oid_len;
    for (size_t i = n_oids; i-- > 0;) {
        if (mh_ca_oid_encode(oids[i], oid, sizeof oid, &oid_len) != 0) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "the certificate policy '%.60s' is not a dotted OID such as 1.2.3.4",
                       oids[i]);
            return MH_ERR_INVALID_ARG;
        }
        for (size_t j = i + 1; j < n_oids; j++) {
            if (strcmp(oids[i], oids[j]) == 0) {
                mh_err_set(MH_ERR_INVALID_ARG, "the certificate policy %.60s is given twice",
                           oids[i]);
                return MH_ERR_INVALID_ARG;
            }
        }
        const uint8_t *m = w->p;
        mh_derw_tlv(w, MH_DER_OID, oid, oid_len);
        mh_derw_wrap(w, MH_DER_SEQUENCE, m);
    }
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

/* CRLDistributionPoints { DistributionPoint { [0] { fullName [0] { URI } } } } */
static int w_crldp(mh_derw *w, const char *url)
{
    const uint8_t *mark = w->p;
    int rc = w_ia5(w, MH_DER_CTX_P(6), url);
    if (rc)
        return rc;
    mh_derw_wrap(w, MH_DER_CTX_C(0), mark);
    mh_derw_wrap(w, MH_DER_CTX_C(0), mark);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

/* AuthorityInfoAccess { AccessDescription { caIssuers, URI } } */
static int w_aia(mh_derw *w, const char *url)
{
    const uint8_t *mark = w->p;
    int rc = w_ia5(w, MH_DER_CTX_P(6), url);
    if (rc)
        return rc;
    mh_derw_tlv(w, MH_DER_OID, OID_CA_ISSUERS, L(OID_CA_ISSUERS));
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

static int w_bc(mh_derw *w, bool ca, int path_len)
{
    const uint8_t *mark = w->p;
    if (ca && path_len >= 0)
        mh_derw_uint(w, (uint64_t)path_len);
    if (ca)
        mh_derw_bool(w, true);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

static int w_oid_seq(mh_derw *w, const char *oid, size_t oid_len)
{
    const uint8_t *mark = w->p;
    mh_derw_tlv(w, MH_DER_OID, oid, oid_len);
    mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

static int w_keyid(mh_derw *w, const uint8_t id[20], bool aki)
{
    const uint8_t *mark = w->p;
    mh_derw_tlv(w, aki ? MH_DER_CTX_P(0) : MH_DER_OCTET_STRING, id, 20);
    if (aki)
        mh_derw_wrap(w, MH_DER_SEQUENCE, mark);
    return 0;
}

/* ---- issuance --------------------------------------------------------------- */

static bool is_ca(enum mh_ca_profile p)
{
    return p == MH_CA_PROFILE_ROOT || p == MH_CA_PROFILE_ISSUING;
}

/* Checks the subject key and returns its canonical SPKI in spki_out. */
static int check_spki(const mh_ca_issue_req *r, mbedtls_pk_context *pk, uint8_t *spki_out,
                      size_t cap, size_t *spki_len)
{
    if (!r->spki || r->spki_len == 0 || r->spki_len > 4096) {
        mh_err_set(MH_ERR_INVALID_ARG, "the subject's public key is missing or larger than 4 KiB");
        return MH_ERR_INVALID_ARG;
    }
    if (mbedtls_pk_parse_public_key(pk, r->spki, r->spki_len) != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "the subject's public key is not a SubjectPublicKeyInfo mohur can read (EC "
                   "P-256/P-384 or RSA)");
        return MH_ERR_PARSE;
    }
    mbedtls_pk_type_t t = mbedtls_pk_get_type(pk);
    size_t bits = mbedtls_pk_get_bitlen(pk);
    if (t == MBEDTLS_PK_RSA) {
        if (bits < 2048 || bits > 8192) {
            mh_err_set(MH_ERR_KEY_TYPE,
                       "the subject's RSA key has %zu bits; 2048 to 8192 are accepted", bits);
            return MH_ERR_KEY_TYPE;
        }
    } else if (t == MBEDTLS_PK_ECKEY) {
        mbedtls_ecp_group_id g = mbedtls_pk_ec(*pk)->grp.id;
        if (g != MBEDTLS_ECP_DP_SECP256R1 && g != MBEDTLS_ECP_DP_SECP384R1 &&
            g != MBEDTLS_ECP_DP_SECP521R1) {
            mh_err_set(MH_ERR_KEY_TYPE, "the subject's EC key is not on P-256, P-384 or P-521");
            return MH_ERR_KEY_TYPE;
        }
    } else {
        mh_err_set(MH_ERR_KEY_TYPE, "the subject's key is neither EC nor RSA");
        return MH_ERR_KEY_TYPE;
    }
    int l = mbedtls_pk_write_pubkey_der(pk, spki_out, cap);
    if (l <= 0)
        return MH_ERR_BUFFER_TOO_SMALL;
    memmove(spki_out, spki_out + cap - (size_t)l, (size_t)l);
    *spki_len = (size_t)l;
    return 0;
}

static int check_request(const mh_ca_issue_req *r)
{
    enum mh_ca_profile pr = r->profile;
    if (pr <= MH_CA_PROFILE_NONE || pr > MH_CA_PROFILE_TLS) {
        mh_err_set(MH_ERR_INVALID_ARG, "unknown certificate profile");
        return MH_ERR_INVALID_ARG;
    }
    if (!r->issuer_key) {
        mh_err_set(MH_ERR_INVALID_ARG, "no issuer key was given");
        return MH_ERR_INVALID_ARG;
    }
    if ((pr == MH_CA_PROFILE_ROOT) != (r->issuer_cert == NULL)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   pr == MH_CA_PROFILE_ROOT
                       ? "a root CA certificate is self-signed: it takes no issuer certificate"
                       : "only a root CA certificate is self-signed: give the issuer "
                         "certificate");
        return MH_ERR_INVALID_ARG;
    }
    if (r->not_after <= r->not_before) {
        mh_err_set(MH_ERR_INVALID_ARG, "the certificate would end before it starts (check --days)");
        return MH_ERR_INVALID_ARG;
    }
    if ((r->serial[0] & 0xc0) != 0x40) {
        mh_err_set(MH_ERR_INVALID_ARG, "the serial was not prepared with mh_ca_serial_fix");
        return MH_ERR_INVALID_ARG;
    }
    if (r->n_dns > MH_CA_LIST_MAX || r->n_ips > MH_CA_LIST_MAX || r->n_emails > MH_CA_LIST_MAX ||
        r->n_permit_dns > MH_CA_LIST_MAX || r->n_permit_email > MH_CA_LIST_MAX ||
        r->n_permit_dn > MH_CA_LIST_MAX || r->n_policies > MH_CA_LIST_MAX) {
        mh_err_set(MH_ERR_INVALID_ARG, "more than %d names, constraints or policies of one kind",
                   MH_CA_LIST_MAX);
        return MH_ERR_INVALID_ARG;
    }
    bool has_san = r->n_dns + r->n_ips + r->n_emails > 0;
    if (is_ca(pr) && has_san) {
        mh_err_set(MH_ERR_INVALID_ARG, "CA certificates carry no subject alternative names");
        return MH_ERR_INVALID_ARG;
    }
    if (pr == MH_CA_PROFILE_TLS && r->n_dns + r->n_ips == 0) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "a TLS server certificate needs at least one DNS name or IP address "
                   "(--dns or --ip)");
        return MH_ERR_INVALID_ARG;
    }
    if (pr != MH_CA_PROFILE_ISSUING && r->n_permit_dns + r->n_permit_email + r->n_permit_dn > 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "name constraints are only for issuing CA certificates");
        return MH_ERR_INVALID_ARG;
    }
    if (pr == MH_CA_PROFILE_ROOT && r->n_policies > 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "a root CA certificate carries no certificate policies");
        return MH_ERR_INVALID_ARG;
    }
    if (!is_ca(pr) && r->path_len >= 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "a path length is only for CA certificates");
        return MH_ERR_INVALID_ARG;
    }
    if (r->path_len > 16) {
        mh_err_set(MH_ERR_INVALID_ARG, "a path length above 16 is not accepted");
        return MH_ERR_INVALID_ARG;
    }
    return 0;
}

/* An extension: its value written by expr, then the Extension around it. */
#define WEXT(oid, crit, expr)                                                                      \
    do {                                                                                           \
        const uint8_t *m_ = w.p;                                                                   \
        if ((ret = (expr)) != 0)                                                                   \
            goto out;                                                                              \
        w_ext(&w, m_, oid, L(oid), crit);                                                          \
    } while (0)

int mh_ca_issue(const mh_ca_issue_req *r, uint8_t *out, size_t cap, size_t *len)
{
    int ret = MH_ERR_INTERNAL;
    mbedtls_pk_context subj_pk;
    const uint8_t *iss_spki = NULL;
    size_t iss_spki_len = 0;
    mh_x509_cert *ic = NULL; /* the issuer's certificate */
    uint8_t *tbs = NULL;
    uint8_t spki[4096 + 64], subject[MH_CA_DN_MAX + 16];
    size_t spki_len = 0, subject_len = 0;
    uint8_t ski[20], aki[20];
    const uint8_t *issuer_name;
    size_t issuer_len;
    mbedtls_md_type_t md = r ? r->md : MBEDTLS_MD_NONE;
    char scratch[MH_CA_DN_MAX * 2];
    mh_derw w;
    enum mh_ca_profile pr;

    mbedtls_pk_init(&subj_pk);
    if (!r || !out || !len) {
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    pr = r->profile;
    if ((ret = check_request(r)) != 0)
        goto out;
    if ((ret = mh_ca_sig_alg(r->issuer_key, &md)) != 0)
        goto out;
    if ((ret = check_spki(r, &subj_pk, spki, sizeof spki, &spki_len)) != 0)
        goto out;

    /* subject */
    if (r->subject) {
        if ((ret = mh_ca_name_encode(r->subject, subject, sizeof subject, &subject_len)) != 0)
            goto out;
    } else if (r->subject_der && r->subject_der_len <= sizeof subject) {
        if (mh_x509_name_format_der(r->subject_der, r->subject_der_len, MH_X509_NAME_DN, scratch,
                                    sizeof scratch) != 0) {
            mh_err_set(MH_ERR_PARSE,
                       "the subject name (from the request) is not a DER Name of UTF-8, "
                       "Printable, IA5 or BMP strings; give --subject instead");
            ret = MH_ERR_PARSE;
            goto out;
        }
        memcpy(subject, r->subject_der, r->subject_der_len);
        subject_len = r->subject_der_len;
    } else {
        mh_err_set(MH_ERR_INVALID_ARG, "no subject name was given");
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    if (subject_len <= 2) {
        mh_err_set(MH_ERR_INVALID_ARG, "the subject name is empty");
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    if (pr == MH_CA_PROFILE_SEAL && !mh_ca_name_has_org(subject, subject_len)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "an organisation seal certificate needs O= (the organisation) in its subject");
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    if ((ret = mh_ca_key_id(spki, spki_len, ski)) != 0)
        goto out;

    /* issuer */
    if (pr == MH_CA_PROFILE_ROOT) {
        if (r->issuer_key->spki_len != spki_len ||
            mh_ct_memcmp(r->issuer_key->spki, spki, spki_len) != 0) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "a root certificate is self-signed: its public key must be the CA key's");
            ret = MH_ERR_INVALID_ARG;
            goto out;
        }
        issuer_name = subject;
        issuer_len = subject_len;
        memcpy(aki, ski, sizeof aki);
        iss_spki = spki;
        iss_spki_len = spki_len;
    } else {
        if (!(ic = calloc(1, sizeof *ic))) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        if (mh_x509_cert_parse(ic, r->issuer_cert, r->issuer_cert_len) != 0) {
            mh_err_set(MH_ERR_PARSE,
                       "the issuer certificate is not a DER X.509 certificate mohur can read");
            ret = MH_ERR_PARSE;
            goto out;
        }
        issuer_name = ic->subject.raw.p;
        issuer_len = ic->subject.raw.len;
        if ((ic->ext_present & MH_EXT_SKI) && ic->ski.len == sizeof aki)
            memcpy(aki, ic->ski.p, sizeof aki);
        else if ((ret = mh_ca_key_id(ic->spki.p, ic->spki.len, aki)) != 0)
            goto out;
        iss_spki = ic->spki.p;
        iss_spki_len = ic->spki.len;
        if (r->not_after > ic->not_after) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "the certificate would outlive the CA certificate; choose fewer days");
            ret = MH_ERR_INVALID_ARG;
            goto out;
        }
    }

    /* the TBSCertificate, backwards */
    tbs = malloc(MH_CA_CERT_MAX);
    if (!tbs) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    mh_derw_init(&w, tbs, MH_CA_CERT_MAX);
    const uint8_t *end = w.p;
    {
        const uint8_t *exts = w.p;
        if (r->aia_url && pr != MH_CA_PROFILE_ROOT)
            WEXT(OID_AIA, false, w_aia(&w, r->aia_url));
        if (r->crl_url && pr != MH_CA_PROFILE_ROOT)
            WEXT(OID_CRLDP, false, w_crldp(&w, r->crl_url));
        if (pr != MH_CA_PROFILE_ROOT) {
            const char *def = mh_ca_default_policy(pr);
            if (r->n_policies)
                WEXT(OID_CP, false, w_policies(&w, r->policies, r->n_policies));
            else
                WEXT(OID_CP, false, w_policies(&w, &def, 1));
        }
        if (r->n_permit_dns + r->n_permit_email + r->n_permit_dn > 0)
            WEXT(OID_NC, true, w_nc(&w, r));
        if (r->n_dns + r->n_ips + r->n_emails > 0)
            WEXT(OID_SAN, false, w_san(&w, r));
        WEXT(OID_AKI, false, w_keyid(&w, aki, true));
        WEXT(OID_SKI, false, w_keyid(&w, ski, false));
        switch (pr) {
        case MH_CA_PROFILE_NOTARY:
        case MH_CA_PROFILE_SEAL:
            WEXT(OID_EKU, false, w_oid_seq(&w, OID_KP_DOCSIGN, L(OID_KP_DOCSIGN)));
            break;
        case MH_CA_PROFILE_TSA:
            WEXT(OID_EKU, true, w_oid_seq(&w, OID_KP_TIMESTAMP, L(OID_KP_TIMESTAMP)));
            break;
        case MH_CA_PROFILE_TLS:
            WEXT(OID_EKU, false, w_oid_seq(&w, OID_KP_SERVER, L(OID_KP_SERVER)));
            break;
        default:
            break;
        }
        unsigned ku;
        switch (pr) {
        case MH_CA_PROFILE_ROOT:
        case MH_CA_PROFILE_ISSUING:
            ku = KU_KCS | KU_CRL;
            break;
        case MH_CA_PROFILE_NOTARY:
        case MH_CA_PROFILE_SEAL:
            ku = KU_DS | KU_NR;
            break;
        case MH_CA_PROFILE_TLS:
            ku = mbedtls_pk_get_type(&subj_pk) == MBEDTLS_PK_RSA ? KU_DS | KU_KE : KU_DS;
            break;
        default:
            ku = KU_DS;
            break;
        }
        {
            const uint8_t *m = w.p;
            mh_derw_named_bits(&w, ku, 9);
            w_ext(&w, m, OID_KU, L(OID_KU), true);
        }
        WEXT(OID_BC, true, w_bc(&w, is_ca(pr), r->path_len));
        mh_derw_wrap(&w, MH_DER_SEQUENCE, exts);
        mh_derw_wrap(&w, MH_DER_CTX_C(3), exts);
    }
    mh_derw_raw(&w, spki, spki_len);
    mh_derw_raw(&w, subject, subject_len);
    {
        const uint8_t *v = w.p;
        mh_derw_time(&w, r->not_after, false);
        mh_derw_time(&w, r->not_before, false);
        mh_derw_wrap(&w, MH_DER_SEQUENCE, v);
    }
    mh_derw_raw(&w, issuer_name, issuer_len);
    if ((ret = mh_ca_w_sigalg(&w, r->issuer_key, md)) != 0)
        goto out;
    mh_derw_tlv(&w, MH_DER_INTEGER, r->serial, MH_CA_SERIAL_LEN);
    {
        const uint8_t *v = w.p;
        mh_derw_uint(&w, 2); /* v3 */
        mh_derw_wrap(&w, MH_DER_CTX_C(0), v);
    }
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed) {
        ret = mh_err_set(MH_ERR_BUFFER_TOO_SMALL, "the certificate would be larger than %d bytes",
                         MH_CA_CERT_MAX);
        goto out;
    }

    ret = mh_ca_sign_wrap(r->issuer_key, md, w.p, mh_derw_len(&w, end), iss_spki, iss_spki_len, out,
                          cap, len);
out:
    free(tbs);
    mbedtls_pk_free(&subj_pk);
    free(ic);
    return ret;
}
