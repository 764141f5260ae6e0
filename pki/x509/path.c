/* path.c - certification path building and validation (RFC 5280 section 6)
 * with CRLs (6.3), and certificate/CRL signature checks (pki_x509.h).
 *
 * Building: depth-first from the target towards a trust anchor, issuer
 * candidates found by name (RFC 5280 7.1) and ordered by AKI/SKI, every
 * alternative tried until one path validates; no certificate twice in a path,
 * at most MH_PATH_MAX_DEPTH certificates.
 *
 * Validation follows 6.1 step by step: signatures, validity, name chaining,
 * name constraints (checked per constraining CA, which is the same as
 * keeping the intersections of 6.1.4 (g)), the valid_policy_tree with every
 * policy input, basic constraints, key usage, unknown critical extensions,
 * the target's purpose; then CRLs (6.3.3) for every certificate, each CRL
 * signer validated back to the same trust anchor. Delta CRLs are reported as
 * unsupported. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "x509_ext.h"

#define MAX_NODES 384
#define MAX_EXP 16
#define MAX_NEST 2 /* CRL signer paths inside CRL signer paths */

struct pnode {
    mh_x509_span policy;
    mh_x509_span exp[MAX_EXP];
    uint8_t n_exp;
    uint8_t depth;
    bool deleted;
    int16_t parent;
};

struct mh_path_work {
    struct pnode nodes[MAX_NODES];
    size_t n_nodes;
    bool tree_null;
    int nest;
};

size_t mh_path_work_size(void)
{
    return sizeof(struct mh_path_work);
}

static const uint8_t oid_any_policy[] = {0x55, 0x1d, 0x20, 0x00};

static bool is_any_policy(const mh_x509_span *o)
{
    return mh_x509_oid_eq(o, oid_any_policy, sizeof oid_any_policy);
}

/* ---- signatures --------------------------------------------------------- */

static int hash_alg(const mh_der_elem *e, mbedtls_md_type_t *md)
{
    static const struct {
        uint8_t last;
        mbedtls_md_type_t md;
    } h[] = {{1, MBEDTLS_MD_SHA256},
             {2, MBEDTLS_MD_SHA384},
             {3, MBEDTLS_MD_SHA512},
             {4, MBEDTLS_MD_SHA224}};
    static const uint8_t sha2[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02};
    static const uint8_t sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
    mh_der d;
    mh_der_elem oid, prm;
    mh_der_enter(&d, e);
    if (mh_der_expect(&d, MH_DER_OID, &oid))
        return MH_ERR_PARSE;
    if (!mh_der_empty(&d) && (mh_der_expect(&d, MH_DER_NULL, &prm) || prm.len != 0))
        return MH_ERR_PARSE;
    if (!mh_der_done(&d))
        return MH_ERR_PARSE;
    if (mh_der_oid_is(&oid, sha1, sizeof sha1)) {
        *md = MBEDTLS_MD_SHA1;
        return 0;
    }
    if (oid.len == 9 && memcmp(oid.val, sha2, 8) == 0)
        for (size_t i = 0; i < 4; i++)
            if (oid.val[8] == h[i].last) {
                *md = h[i].md;
                return 0;
            }
    return MH_ERR_UNSUPPORTED_ALG;
}

/* RSASSA-PSS-params (RFC 4055 3.1), defaults SHA-1 / MGF1-SHA-1 / 20. */
static int pss_params(const mh_der_elem *seq, mbedtls_md_type_t *md, struct mh_pki_pss_params *pss)
{
    static const uint8_t mgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
    mh_der d;
    mh_der_elem e;
    bool present;
    *md = MBEDTLS_MD_SHA1;
    pss->mgf1_md = MBEDTLS_MD_SHA1;
    pss->salt_len = 20;
    pss->salt_any = false;
    mh_der_enter(&d, seq);
    if (mh_der_optional(&d, MH_DER_CTX_C(0), &e, &present))
        return MH_ERR_PARSE;
    if (present) {
        mh_der in;
        mh_der_elem a;
        mh_der_enter(&in, &e);
        if (mh_der_expect(&in, MH_DER_SEQUENCE, &a) || !mh_der_done(&in) || hash_alg(&a, md))
            return MH_ERR_UNSUPPORTED_ALG;
    }
    if (mh_der_optional(&d, MH_DER_CTX_C(1), &e, &present))
        return MH_ERR_PARSE;
    if (present) {
        mh_der in, m;
        mh_der_elem a, oid, h;
        mh_der_enter(&in, &e);
        if (mh_der_expect(&in, MH_DER_SEQUENCE, &a) || !mh_der_done(&in))
            return MH_ERR_PARSE;
        mh_der_enter(&m, &a);
        if (mh_der_expect(&m, MH_DER_OID, &oid) || !mh_der_oid_is(&oid, mgf1, sizeof mgf1) ||
            mh_der_expect(&m, MH_DER_SEQUENCE, &h) || !mh_der_done(&m) ||
            hash_alg(&h, &pss->mgf1_md))
            return MH_ERR_UNSUPPORTED_ALG;
    }
    if (mh_der_optional(&d, MH_DER_CTX_C(2), &e, &present))
        return MH_ERR_PARSE;
    if (present) {
        mh_der in;
        mh_der_elem i;
        uint64_t v;
        mh_der_enter(&in, &e);
        if (mh_der_expect(&in, MH_DER_INTEGER, &i) || !mh_der_done(&in) || mh_der_uint(&i, &v) ||
            v > 1024)
            return MH_ERR_PARSE;
        pss->salt_len = (size_t)v;
    }
    if (mh_der_optional(&d, MH_DER_CTX_C(3), &e, &present))
        return MH_ERR_PARSE;
    if (present) {
        mh_der in;
        mh_der_elem i;
        uint64_t v;
        mh_der_enter(&in, &e);
        if (mh_der_expect(&in, MH_DER_INTEGER, &i) || !mh_der_done(&in) || mh_der_uint(&i, &v) ||
            v != 1)
            return MH_ERR_PARSE;
    }
    return mh_der_done(&d) ? 0 : MH_ERR_PARSE;
}

static const struct sigalg {
    uint8_t oid[9];
    uint8_t len;
    int kind; /* 0 RSA PKCS#1, 1 ECDSA, 2 PSS, 3 refused (MD2/MD5), 4 DSA, 5 Ed25519 */
    mbedtls_md_type_t md;
    const char *name;
} sigalgs[] = {
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b},
     9,
     0,
     MBEDTLS_MD_SHA256,
     "sha256WithRSAEncryption"},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c},
     9,
     0,
     MBEDTLS_MD_SHA384,
     "sha384WithRSAEncryption"},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d},
     9,
     0,
     MBEDTLS_MD_SHA512,
     "sha512WithRSAEncryption"},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e},
     9,
     0,
     MBEDTLS_MD_SHA224,
     "sha224WithRSAEncryption"},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05},
     9,
     0,
     MBEDTLS_MD_SHA1,
     "sha1WithRSAEncryption"},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a}, 9, 2, MBEDTLS_MD_NONE, "RSASSA-PSS"},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x02},
     9,
     3,
     MBEDTLS_MD_NONE,
     "md2WithRSAEncryption"},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04},
     9,
     3,
     MBEDTLS_MD_NONE,
     "md5WithRSAEncryption"},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02},
     8,
     1,
     MBEDTLS_MD_SHA256,
     "ecdsa-with-SHA256"},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03},
     8,
     1,
     MBEDTLS_MD_SHA384,
     "ecdsa-with-SHA384"},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04},
     8,
     1,
     MBEDTLS_MD_SHA512,
     "ecdsa-with-SHA512"},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01},
     8,
     1,
     MBEDTLS_MD_SHA224,
     "ecdsa-with-SHA224"},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01}, 7, 1, MBEDTLS_MD_SHA1, "ecdsa-with-SHA1"},
    {{0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03}, 7, 4, MBEDTLS_MD_NONE, "dsa-with-SHA1"},
    {{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02},
     9,
     4,
     MBEDTLS_MD_NONE,
     "dsa-with-SHA256"},
    {{0x2b, 0x65, 0x70}, 3, 5, MBEDTLS_MD_NONE, "Ed25519"},
};

static const struct sigalg *find_sigalg(const mh_x509_span *alg, mh_der_elem *params,
                                        bool *has_params)
{
    mh_der d, s;
    mh_der_elem seq, oid;
    *has_params = false;
    mh_der_init(&d, alg->p, alg->len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &seq))
        return NULL;
    mh_der_enter(&s, &seq);
    if (mh_der_expect(&s, MH_DER_OID, &oid))
        return NULL;
    if (!mh_der_empty(&s)) {
        if (mh_der_next(&s, params))
            return NULL;
        *has_params = true;
    }
    if (!mh_der_done(&s))
        return NULL;
    for (size_t i = 0; i < sizeof sigalgs / sizeof sigalgs[0]; i++)
        if (mh_der_oid_is(&oid, sigalgs[i].oid, sigalgs[i].len))
            return &sigalgs[i];
    return NULL;
}

const char *mh_x509_sig_alg_name(const mh_x509_span *alg)
{
    mh_der_elem prm;
    bool has;
    const struct sigalg *a = find_sigalg(alg, &prm, &has);
    return a ? a->name : "an unknown algorithm";
}

/* The one place signatures are checked: pki/sig/sig.c's strict verifier.
 * tbs_sha256: SHA-256 of data when the caller has it, else NULL. */
static int verify_sig_fresh(const mh_x509_span *spki, const mh_x509_span *alg, const uint8_t *data,
                            size_t len, const mh_x509_span *sig, const uint8_t *tbs_sha256)
{
    mh_der_elem prm;
    bool has_prm;
    mh_pki_pubkey key;
    struct mh_pki_pss_params pss;
    uint8_t hash[MBEDTLS_MD_MAX_SIZE];
    mbedtls_md_type_t md;
    enum mh_sig_alg kind;
    int rc;

    const struct sigalg *a = find_sigalg(alg, &prm, &has_prm);
    if (!a) {
        mh_err_set(MH_ERR_UNSUPPORTED_ALG, "the signature algorithm is not one mohur knows");
        return MH_ERR_UNSUPPORTED_ALG;
    }
    switch (a->kind) {
    case 0:
        if (has_prm && (prm.tag != MH_DER_NULL || prm.len != 0))
            return MH_ERR_VERIFY_FAILED;
        kind = MH_SIG_RSA_PKCS1;
        md = a->md;
        break;
    case 1:
        if (has_prm)
            return MH_ERR_VERIFY_FAILED; /* RFC 5758: parameters absent */
        kind = MH_SIG_ECDSA;
        md = a->md;
        break;
    case 2:
        if (!has_prm || prm.tag != MH_DER_SEQUENCE || (rc = pss_params(&prm, &md, &pss))) {
            mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                       "the RSA-PSS parameters of the signature are malformed or use a hash "
                       "mohur does not take");
            return MH_ERR_UNSUPPORTED_ALG;
        }
        kind = MH_SIG_RSA_PSS;
        break;
    case 3:
        mh_err_set(MH_ERR_ALG_REFUSED,
                   "the signature uses %s, which is broken; it is refused by policy", a->name);
        return MH_ERR_ALG_REFUSED;
    case 4:
        mh_err_set(MH_ERR_UNSUPPORTED_ALG,
                   "the signature uses DSA (%s), which mohur does not support", a->name);
        return MH_ERR_UNSUPPORTED_ALG;
    default:
        if (has_prm)
            return MH_ERR_VERIFY_FAILED;
        if ((rc = mh_pki_spki_parse(spki->p, spki->len, &key)))
            return rc;
        return mh_pki_verify_msg(&key, MH_SIG_ED25519, MH_SIG_DER, MBEDTLS_MD_NONE, data, len,
                                 sig->p, sig->len, NULL);
    }
    if ((rc = mh_pki_spki_parse(spki->p, spki->len, &key)))
        return rc;
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
    if (!mi)
        return MH_ERR_UNSUPPORTED_ALG;
    if (md == MBEDTLS_MD_SHA256 && tbs_sha256)
        memcpy(hash, tbs_sha256, 32);
    else if (mbedtls_md(mi, data, len, hash))
        return MH_ERR_UNSUPPORTED_ALG;
    return mh_pki_verify_hash(&key, kind, MH_SIG_DER, md, hash, mbedtls_md_get_size(mi), sig->p,
                              sig->len, kind == MH_SIG_RSA_PSS ? &pss : NULL);
}

/* verify_sig through the signature cache when it is on (sigcache.c): a
 * check whose every input was seen to pass passes; a new one is verified
 * and remembered only if it passes. */
static int verify_sig(const mh_x509_span *spki, const mh_x509_span *alg, const uint8_t *data,
                      size_t len, const mh_x509_span *sig)
{
    uint8_t tbs_sha256[32], key[32];
    if (!mh_x509_sigcache_on())
        return verify_sig_fresh(spki, alg, data, len, sig, NULL);
    if (mbedtls_sha256_ret(data, len, tbs_sha256, 0) != 0)
        return MH_ERR_UNSUPPORTED_ALG;
    mh_x509_sigcache_key(spki, alg, tbs_sha256, sig, key);
    if (mh_x509_sigcache_lookup(key))
        return 0;
    int rc = verify_sig_fresh(spki, alg, data, len, sig, tbs_sha256);
    if (rc == 0)
        mh_x509_sigcache_store(key);
    return rc;
}

int mh_x509_check_signature(const mh_x509_span *spki, const mh_x509_span *sigalg,
                            const uint8_t *data, size_t len, const mh_x509_span *sig)
{
    return verify_sig(spki, sigalg, data, len, sig);
}

void mh_x509_key_desc(const mh_x509_cert *c, char *out, size_t cap)
{
    mh_pki_pubkey key;
    static const uint8_t dsa[] = {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01};
    if (mh_x509_oid_eq(&c->spki_alg, dsa, sizeof dsa)) {
        snprintf(out, cap, "DSA (not supported)");
        return;
    }
    if (mh_pki_spki_parse_flags(c->spki.p, c->spki.len, MH_PKI_SPKI_LEGACY, &key)) {
        snprintf(out, cap, "unsupported key type");
        return;
    }
    switch (key.type) {
    case MH_PKI_KEY_RSA:
        snprintf(out, cap, "RSA %zu", key.bits);
        break;
    case MH_PKI_KEY_RSA_PSS:
        snprintf(out, cap, "RSA-PSS %zu", key.bits);
        break;
    case MH_PKI_KEY_EC:
        snprintf(out, cap, "EC P-%zu", key.bits);
        break;
    case MH_PKI_KEY_ED25519:
        snprintf(out, cap, "Ed25519");
        break;
    default:
        snprintf(out, cap, "unknown");
    }
}

/* ---- messages ----------------------------------------------------------- */

typedef struct vctx {
    mh_path_work *w;
    const mh_path_input *in;
    const mh_path_params *prm;
    const mh_x509_cert *const *path; /* target first, anchor last */
    size_t len;
} vctx;

static void role_of(const vctx *v, size_t k, char *out, size_t cap)
{
    char nm[160];
    const mh_x509_cert *c = v->path[k];
    mh_x509_name_short(&c->subject, nm, sizeof nm);
    const char *role;
    if (k == v->len - 1)
        role = "the trusted root";
    else if (k == 0)
        role = v->prm->role ? v->prm->role : "the certificate";
    else
        role = "the intermediate certificate";
    snprintf(out, cap, "%s '%s'", role, nm);
}

static int fail(mh_path_result *r, int err, int index, const char *fmt, ...) MH_PRINTF(4, 5);
static int fail(mh_path_result *r, int err, int index, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    r->err = err;
    r->failed_index = index;
    return err;
}

/* ---- name constraints --------------------------------------------------- */

static const uint8_t oid_email_attr[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};

/* 1 if the name passes ca's constraints of the given type, 0 if not. A
 * name that is not well-formed for its type fails both permitted and
 * excluded subtrees of that type (nc.c). */
static int nc_name_ok(const mh_x509_cert *ca, const mh_x509_gn *gn, uint8_t type)
{
    mh_der d;
    mh_x509_gn st;
    bool have_type = false, inside = false;
    mh_der_init(&d, ca->excluded.p, ca->excluded.len);
    while (mh_x509_subtree_next(&d, &st) == 0) {
        if (st.type == type && mh_x509_gn_overlaps(gn, &st) != 0)
            return 0; /* inside an excluded subtree, or cannot be compared */
    }
    mh_der_init(&d, ca->permitted.p, ca->permitted.len);
    while (mh_x509_subtree_next(&d, &st) == 0) {
        if (st.type != type)
            continue;
        have_type = true;
        int r = mh_x509_gn_within(gn, &st);
        if (r < 0)
            return 0;
        if (r == 1)
            inside = true;
    }
    return !have_type || inside;
}

/* A general name under ca's constraints: an SmtpUTF8Mailbox otherName
 * answers to rfc822Name subtrees (RFC 9598) as well. */
static int nc_gn_ok(const mh_x509_cert *ca, const mh_x509_gn *gn)
{
    mh_x509_span mbox;
    if (!nc_name_ok(ca, gn, gn->type))
        return 0;
    if (mh_x509_gn_smtputf8(gn, &mbox) != 0 && !nc_name_ok(ca, gn, MH_GN_EMAIL))
        return 0;
    return 1;
}

/* 0 when every subtree of ca is well-formed for its type. */
static int nc_subtrees_ok(const mh_x509_cert *ca)
{
    mh_der d;
    mh_x509_gn st;
    const mh_x509_span *lists[2] = {&ca->permitted, &ca->excluded};
    for (size_t l = 0; l < 2; l++) {
        mh_der_init(&d, lists[l]->p, lists[l]->len);
        while (mh_x509_subtree_next(&d, &st) == 0)
            if (mh_x509_subtree_check(&st))
                return MH_ERR_PARSE;
    }
    return 0;
}

static bool has_constraints_of(const mh_x509_cert *ca, uint8_t type)
{
    mh_der d;
    mh_x509_gn st;
    const mh_x509_span *lists[2] = {&ca->permitted, &ca->excluded};
    for (size_t l = 0; l < 2; l++) {
        mh_der_init(&d, lists[l]->p, lists[l]->len);
        while (mh_x509_subtree_next(&d, &st) == 0)
            if (st.type == type)
                return true;
    }
    return false;
}

static bool san_has_type(const mh_x509_cert *c, uint8_t type)
{
    mh_der d;
    mh_x509_gn gn;
    if (!(c->ext_present & MH_EXT_SAN))
        return false;
    mh_der_init(&d, c->san.raw.p, c->san.raw.len);
    while (mh_x509_gn_next(&d, &gn) == 0)
        if (gn.type == type)
            return true;
    return false;
}

/* A dotted-quad IPv4 address, strictly (no leading zeros, 0-255). */
static bool ipv4_text(const uint8_t *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (digits && v == 0)
                return false;
            v = v * 10 + (unsigned)(s[i++] - '0');
            if (++digits > 3 || v > 255)
                return false;
        }
        if (!digits)
            return false;
        out[part] = (uint8_t)v;
        if (part < 3 && (i >= n || s[i++] != '.'))
            return false;
    }
    return i == n;
}

static const uint8_t oid_cn[] = {0x55, 0x04, 0x03};

/* Without a dNSName (iPAddress) in its SAN, an end entity's common names
 * that read as host names (IPv4 addresses) answer to dNSName (iPAddress)
 * constraints, as OpenSSL and the web PKI validators check them. */
static int nc_cn_check(const mh_x509_cert *ca, const mh_x509_cert *c, char *why, size_t cap)
{
    bool dns = has_constraints_of(ca, MH_GN_DNS) && !san_has_type(c, MH_GN_DNS);
    bool ip = has_constraints_of(ca, MH_GN_IP) && !san_has_type(c, MH_GN_IP);
    for (size_t i = 0; i < c->subject.n_attrs && (dns || ip); i++) {
        const mh_x509_attr *a = &c->subject.attrs[i];
        uint8_t addr[4];
        if (!mh_x509_oid_eq(&a->oid, oid_cn, sizeof oid_cn) ||
            (a->tag != MH_DER_UTF8_STRING && a->tag != MH_DER_PRINTABLE_STRING &&
             a->tag != MH_DER_IA5_STRING))
            continue;
        mh_x509_gn gn;
        gn.val = a->val;
        if (ip && ipv4_text(a->val.p, a->val.len, addr)) {
            gn.type = MH_GN_IP;
            gn.val.p = addr;
            gn.val.len = 4;
        } else if (dns && memchr(a->val.p, '.', a->val.len) &&
                   mh_x509_host_ok(a->val.p, a->val.len, MH_HOST_WILDCARD)) {
            gn.type = MH_GN_DNS;
        } else {
            continue;
        }
        if (!nc_name_ok(ca, &gn, gn.type)) {
            snprintf(why, cap, "its common name '%.*s' (it has no %s in its alternative names)",
                     (int)(a->val.len > 80 ? 80 : a->val.len), (const char *)a->val.p,
                     gn.type == MH_GN_IP ? "IP address" : "DNS name");
            return 0;
        }
    }
    return 1;
}

/* Most name-against-subtree comparisons one certificate may cost under
 * one CA (1024 names against 1024 subtrees); more is refused, as Go
 * refuses, so a crafted chain cannot make validation quadratic without
 * end. */
#define NC_MAX_WORK ((size_t)1 << 20)

static int nc_check(const mh_x509_cert *ca, const mh_x509_cert *c, bool target, char *why,
                    size_t cap)
{
    mh_x509_gn gn;
    size_t names = (size_t)c->san.count + c->subject.n_attrs + 1;
    if (names * ((size_t)ca->n_permitted + ca->n_excluded) > NC_MAX_WORK) {
        snprintf(why, cap,
                 "checking its %zu names against %u subtrees is more work than mohur allows", names,
                 (unsigned)(ca->n_permitted + ca->n_excluded));
        return 0;
    }
    if (c->subject.n_rdns > 0) {
        gn.type = MH_GN_DIRNAME;
        gn.val = c->subject.raw;
        if (!nc_gn_ok(ca, &gn)) {
            snprintf(why, cap, "its subject name");
            return 0;
        }
    }
    for (size_t i = 0; i < c->subject.n_attrs; i++) {
        const mh_x509_attr *a = &c->subject.attrs[i];
        if (!mh_x509_oid_eq(&a->oid, oid_email_attr, sizeof oid_email_attr))
            continue;
        gn.type = MH_GN_EMAIL;
        gn.val = a->val;
        if (!nc_gn_ok(ca, &gn)) {
            snprintf(why, cap, "the e-mail address '%.*s' in its subject",
                     (int)(a->val.len > 80 ? 80 : a->val.len), (const char *)a->val.p);
            return 0;
        }
    }
    if (c->ext_present & MH_EXT_SAN) {
        mh_der d;
        int rc;
        mh_der_init(&d, c->san.raw.p, c->san.raw.len);
        while ((rc = mh_x509_gn_next(&d, &gn)) == 0) {
            if (!nc_gn_ok(ca, &gn)) {
                mh_x509_span mbox;
                if (gn.type == MH_GN_DNS || gn.type == MH_GN_EMAIL || gn.type == MH_GN_URI)
                    snprintf(why, cap, "its alternative name '%.*s'",
                             (int)(gn.val.len > 80 ? 80 : gn.val.len), (const char *)gn.val.p);
                else if (mh_x509_gn_smtputf8(&gn, &mbox) == 1)
                    snprintf(why, cap, "its alternative name '%.*s' (SmtpUTF8Mailbox)",
                             (int)(mbox.len > 80 ? 80 : mbox.len), (const char *)mbox.p);
                else
                    snprintf(why, cap, "an alternative name (type %u)", gn.type);
                return 0;
            }
        }
    }
    if (target && !c->is_ca && !nc_cn_check(ca, c, why, cap))
        return 0;
    return 1;
}

/* ---- the policy tree ---------------------------------------------------- */

static int node_add(mh_path_work *w, int parent, unsigned depth, const mh_x509_span *policy)
{
    if (w->n_nodes >= MAX_NODES) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the certificate policies of this path make a tree of more than %d nodes; "
                   "mohur refuses such paths",
                   MAX_NODES);
        return -1;
    }
    struct pnode *n = &w->nodes[w->n_nodes];
    memset(n, 0, sizeof *n);
    n->policy = *policy;
    n->exp[0] = *policy;
    n->n_exp = 1;
    n->depth = (uint8_t)depth;
    n->parent = (int16_t)parent;
    return (int)w->n_nodes++;
}

static bool has_live_child(const mh_path_work *w, size_t idx)
{
    for (size_t j = idx + 1; j < w->n_nodes; j++)
        if (!w->nodes[j].deleted && w->nodes[j].parent == (int16_t)idx)
            return true;
    return false;
}

/* Deletes nodes whose parent is deleted (parents come before children). */
static void drop_orphans(mh_path_work *w)
{
    for (size_t j = 1; j < w->n_nodes; j++)
        if (!w->nodes[j].deleted && w->nodes[j].parent >= 0 && w->nodes[w->nodes[j].parent].deleted)
            w->nodes[j].deleted = true;
}

/* Removes childless nodes of depth < depth, repeatedly (bottom up). */
static void prune(mh_path_work *w, unsigned depth)
{
    for (int d = (int)depth - 1; d >= 0; d--)
        for (size_t j = 0; j < w->n_nodes; j++)
            if (!w->nodes[j].deleted && w->nodes[j].depth == d && !has_live_child(w, j))
                w->nodes[j].deleted = true;
    if (w->n_nodes == 0 || w->nodes[0].deleted)
        w->tree_null = true;
}

static bool exp_has(const struct pnode *n, const mh_x509_span *p)
{
    for (size_t i = 0; i < n->n_exp; i++)
        if (mh_x509_span_eq(&n->exp[i], p))
            return true;
    return false;
}

/* 6.1.3 (d): the certificate's policies grow the tree one level. */
static int policy_process(mh_path_work *w, const mh_x509_cert *c, unsigned i, bool last,
                          bool any_allowed)
{
    size_t n0 = w->n_nodes;
    const mh_x509_policy *anyp = NULL;
    for (size_t p = 0; p < c->n_policies; p++) {
        const mh_x509_span *P = &c->policies[p].oid;
        if (is_any_policy(P)) {
            anyp = &c->policies[p];
            continue;
        }
        bool matched = false;
        for (size_t j = 0; j < n0; j++) {
            struct pnode *n = &w->nodes[j];
            if (n->deleted || n->depth != i - 1 || !exp_has(n, P))
                continue;
            if (node_add(w, (int)j, i, P) < 0)
                return MH_ERR_TOO_LARGE;
            matched = true;
        }
        if (!matched) {
            for (size_t j = 0; j < n0; j++) {
                struct pnode *n = &w->nodes[j];
                if (n->deleted || n->depth != i - 1 || !is_any_policy(&n->policy))
                    continue;
                if (node_add(w, (int)j, i, P) < 0)
                    return MH_ERR_TOO_LARGE;
            }
        }
    }
    if (anyp && (any_allowed || (!last && mh_x509_cert_self_issued(c)))) {
        for (size_t j = 0; j < n0; j++) {
            struct pnode *n = &w->nodes[j];
            if (n->deleted || n->depth != i - 1)
                continue;
            for (size_t e = 0; e < n->n_exp; e++) {
                bool exists = false;
                for (size_t k = n0; k < w->n_nodes && !exists; k++)
                    exists = !w->nodes[k].deleted && w->nodes[k].parent == (int16_t)j &&
                             mh_x509_span_eq(&w->nodes[k].policy, &w->nodes[j].exp[e]);
                if (!exists) {
                    mh_x509_span pol = w->nodes[j].exp[e];
                    if (node_add(w, (int)j, i, &pol) < 0)
                        return MH_ERR_TOO_LARGE;
                }
            }
        }
    }
    prune(w, i);
    return 0;
}

/* 6.1.4 (b): policy mappings of certificate i. */
static int policy_map(mh_path_work *w, const mh_x509_cert *c, unsigned i, bool mapping_allowed)
{
    for (size_t m = 0; m < c->n_mappings; m++) {
        const mh_x509_span *idp = &c->mappings[m].issuer_policy;
        bool first = true;
        for (size_t k = 0; k < m; k++)
            if (mh_x509_span_eq(&c->mappings[k].issuer_policy, idp))
                first = false;
        if (!first)
            continue; /* each issuer domain policy once */
        if (!mapping_allowed) {
            for (size_t j = 0; j < w->n_nodes; j++)
                if (!w->nodes[j].deleted && w->nodes[j].depth == i &&
                    mh_x509_span_eq(&w->nodes[j].policy, idp))
                    w->nodes[j].deleted = true;
            continue;
        }
        mh_x509_span set[MAX_EXP];
        size_t n_set = 0;
        for (size_t k = m; k < c->n_mappings; k++) {
            if (!mh_x509_span_eq(&c->mappings[k].issuer_policy, idp))
                continue;
            bool dup = false;
            for (size_t q = 0; q < n_set; q++)
                dup = dup || mh_x509_span_eq(&set[q], &c->mappings[k].subject_policy);
            if (dup)
                continue;
            if (n_set >= MAX_EXP) {
                mh_err_set(MH_ERR_TOO_LARGE,
                           "a policy is mapped to more than %d policies; mohur refuses this",
                           MAX_EXP);
                return MH_ERR_TOO_LARGE;
            }
            set[n_set++] = c->mappings[k].subject_policy;
        }
        bool found = false;
        size_t nn = w->n_nodes;
        for (size_t j = 0; j < nn; j++) {
            struct pnode *n = &w->nodes[j];
            if (n->deleted || n->depth != i || !mh_x509_span_eq(&n->policy, idp))
                continue;
            memcpy(n->exp, set, n_set * sizeof set[0]);
            n->n_exp = (uint8_t)n_set;
            found = true;
        }
        if (!found) {
            for (size_t j = 0; j < nn; j++) {
                struct pnode *n = &w->nodes[j];
                if (n->deleted || n->depth != i || !is_any_policy(&n->policy))
                    continue;
                int id = node_add(w, n->parent, i, idp);
                if (id < 0)
                    return MH_ERR_TOO_LARGE;
                memcpy(w->nodes[id].exp, set, n_set * sizeof set[0]);
                w->nodes[id].n_exp = (uint8_t)n_set;
                break;
            }
        }
    }
    if (!mapping_allowed) {
        drop_orphans(w);
        prune(w, i);
    }
    return 0;
}

/* 6.1.5 (g): intersect with the user-initial-policy-set. */
static int policy_wrap(mh_path_work *w, const mh_path_params *p, unsigned n)
{
    if (w->tree_null || p->n_policies == 0)
        return 0;
    for (size_t k = 0; k < p->n_policies; k++)
        if (is_any_policy(&p->policies[k]))
            return 0;
    /* (ii) nodes whose parent is anyPolicy, not in the user set */
    size_t nn = w->n_nodes;
    for (size_t j = 1; j < nn; j++) {
        struct pnode *nd = &w->nodes[j];
        if (nd->deleted || nd->parent < 0 || !is_any_policy(&w->nodes[nd->parent].policy))
            continue;
        if (is_any_policy(&nd->policy))
            continue;
        bool in = false;
        for (size_t k = 0; k < p->n_policies && !in; k++)
            in = mh_x509_span_eq(&nd->policy, &p->policies[k]);
        if (!in)
            nd->deleted = true;
    }
    drop_orphans(w);
    /* (iii) an anyPolicy leaf stands for every user policy not yet present */
    for (size_t j = 0; j < nn; j++) {
        struct pnode *leaf = &w->nodes[j];
        if (leaf->deleted || leaf->depth != n || !is_any_policy(&leaf->policy))
            continue;
        for (size_t k = 0; k < p->n_policies; k++) {
            bool present = false;
            for (size_t q = 1; q < w->n_nodes && !present; q++) {
                const struct pnode *x = &w->nodes[q];
                present = !x->deleted && x->parent >= 0 &&
                          is_any_policy(&w->nodes[x->parent].policy) &&
                          mh_x509_span_eq(&x->policy, &p->policies[k]);
            }
            if (!present && node_add(w, leaf->parent, n, &p->policies[k]) < 0)
                return MH_ERR_TOO_LARGE;
        }
        w->nodes[j].deleted = true;
    }
    prune(w, n);
    bool any_leaf = false;
    for (size_t j = 0; j < w->n_nodes; j++)
        any_leaf = any_leaf || (!w->nodes[j].deleted && w->nodes[j].depth == n);
    if (!any_leaf)
        w->tree_null = true;
    return 0;
}

/* ---- purposes ----------------------------------------------------------- */

static const uint8_t eku_server[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
static const uint8_t eku_email[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04};
static const uint8_t eku_tsa[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08};
static const uint8_t eku_docsign[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24};
static const uint8_t eku_any[] = {0x55, 0x1d, 0x25, 0x00};

static bool has_eku(const mh_x509_cert *c, const uint8_t *oid, size_t len)
{
    for (size_t i = 0; i < c->n_eku; i++)
        if (mh_x509_oid_eq(&c->eku[i], oid, len))
            return true;
    return false;
}

static int purpose_check(const vctx *v, mh_path_result *r)
{
    const mh_x509_cert *c = v->path[0];
    char who[256];
    bool ku = (c->ext_present & MH_EXT_KEY_USAGE) != 0;
    bool eku = (c->ext_present & MH_EXT_EXT_KEY_USAGE) != 0;
    role_of(v, 0, who, sizeof who);
    switch (v->prm->purpose) {
    case MH_PURPOSE_ANY:
        return 0;
    case MH_PURPOSE_DOCUMENT:
        if (ku && !(c->key_usage & (MH_KU_DIGITAL_SIGNATURE | MH_KU_NON_REPUDIATION)))
            return fail(r, MH_ERR_KEY_USAGE, 0,
                        "%s may not sign: its key usage has neither digitalSignature nor "
                        "nonRepudiation",
                        who);
        if (eku) {
            if (!has_eku(c, eku_email, sizeof eku_email) &&
                !has_eku(c, eku_docsign, sizeof eku_docsign))
                return fail(r, MH_ERR_KEY_USAGE, 0,
                            "%s is not for signing documents: its extended key usage has "
                            "neither emailProtection nor documentSigning",
                            who);
        } else if (!ku || !(c->key_usage & MH_KU_NON_REPUDIATION)) {
            return fail(r, MH_ERR_KEY_USAGE, 0,
                        "%s is not for signing documents: it has no extended key usage and its "
                        "key usage lacks nonRepudiation",
                        who);
        }
        return 0;
    case MH_PURPOSE_TIMESTAMP:
        if (!eku || c->n_eku != 1 || !has_eku(c, eku_tsa, sizeof eku_tsa))
            return fail(r, MH_ERR_KEY_USAGE, 0,
                        "%s is not a timestamping certificate: RFC 3161 asks for an extended "
                        "key usage of timeStamping only",
                        who);
        if (!(c->ext_critical & MH_EXT_EXT_KEY_USAGE))
            return fail(r, MH_ERR_KEY_USAGE, 0,
                        "%s is not a timestamping certificate: its timeStamping extended key "
                        "usage must be marked critical (RFC 3161)",
                        who);
        if (ku && !(c->key_usage & (MH_KU_DIGITAL_SIGNATURE | MH_KU_NON_REPUDIATION)))
            return fail(r, MH_ERR_KEY_USAGE, 0,
                        "%s may not sign timestamps: its key usage has neither "
                        "digitalSignature nor nonRepudiation",
                        who);
        return 0;
    case MH_PURPOSE_CRL:
        if (ku && !(c->key_usage & MH_KU_CRL_SIGN))
            return fail(r, MH_ERR_KEY_USAGE, 0, "%s may not sign CRLs: its key usage lacks cRLSign",
                        who);
        return 0;
    case MH_PURPOSE_TLS:
        if (eku && !has_eku(c, eku_server, sizeof eku_server) &&
            !has_eku(c, eku_any, sizeof eku_any))
            return fail(r, MH_ERR_KEY_USAGE, 0,
                        "%s is not for TLS servers: its extended key usage lacks serverAuth", who);
        if (ku && !(c->key_usage &
                    (MH_KU_DIGITAL_SIGNATURE | MH_KU_KEY_ENCIPHERMENT | MH_KU_KEY_AGREEMENT)))
            return fail(r, MH_ERR_KEY_USAGE, 0,
                        "%s is not for TLS servers: its key usage allows no TLS key exchange", who);
        return 0;
    }
    return 0;
}

/* ---- CRLs --------------------------------------------------------------- */

static int validate_one(mh_path_work *w, const mh_path_input *in, const mh_path_params *p,
                        mh_path_result *res);

/* Whether a GeneralNames holds a directoryName equal to `n`. */
static bool gnames_has_dirname(const mh_x509_gnames *g, const mh_x509_name *n)
{
    mh_der d;
    mh_x509_gn gn;
    mh_der_init(&d, g->raw.p, g->raw.len);
    while (mh_x509_gn_next(&d, &gn) == 0) {
        mh_x509_name x;
        if (gn.type == MH_GN_DIRNAME && mh_x509_name_parse(&x, gn.val.p, gn.val.len) == 0 &&
            mh_x509_name_eq(&x, n))
            return true;
    }
    return false;
}

/* A name relative to an issuer: the issuer's RDNs plus one RDN. */
static int name_plus_rdn(const mh_x509_name *base, const mh_x509_span *rdn, mh_x509_name *out)
{
    /* Build the attributes directly: the raw encoding is not needed for
     * comparison. */
    mh_der d, s;
    mh_der_elem set, atv;
    *out = *base;
    out->raw.p = NULL;
    out->raw.len = 0;
    mh_der_init(&d, rdn->p, rdn->len);
    if (mh_der_next(&d, &set))
        return MH_ERR_PARSE;
    mh_der_enter(&s, &set);
    while (!mh_der_empty(&s)) {
        mh_der a;
        mh_der_elem oid, val;
        if (mh_der_expect(&s, MH_DER_SEQUENCE, &atv))
            return MH_ERR_PARSE;
        mh_der_enter(&a, &atv);
        if (mh_der_expect(&a, MH_DER_OID, &oid) || mh_der_next(&a, &val) || !mh_der_done(&a))
            return MH_ERR_PARSE;
        if (out->n_attrs >= MH_X509_MAX_ATTRS)
            return MH_ERR_TOO_LARGE;
        mh_x509_attr *at = &out->attrs[out->n_attrs++];
        at->oid.p = oid.val;
        at->oid.len = oid.len;
        at->tag = val.tag;
        at->val.p = val.val;
        at->val.len = val.len;
        at->rdn = out->n_rdns;
    }
    out->n_rdns++;
    return 0;
}

/* The names of a DistributionPointName as a list: GeneralNames, or one
 * directoryName built from the relative name. */
typedef struct dpnames {
    const mh_x509_gnames *full;
    bool has_rel;
    mh_x509_name rel;
} dpnames;

static int dpnames_init(dpnames *dn, const mh_x509_dp *dp, const mh_x509_name *issuer)
{
    dn->full = dp->has_full_name ? &dp->full_name : NULL;
    dn->has_rel = false;
    if (dp->has_relative_name) {
        if (name_plus_rdn(issuer, &dp->relative_name, &dn->rel))
            return MH_ERR_PARSE;
        dn->has_rel = true;
    }
    return 0;
}

static bool gn_equal(const mh_x509_gn *a, const mh_x509_gn *b)
{
    if (a->type != b->type)
        return false;
    if (a->type == MH_GN_DIRNAME)
        return mh_x509_name_eq_der(a->val.p, a->val.len, b->val.p, b->val.len);
    return mh_x509_span_eq(&a->val, &b->val);
}

static bool gn_matches_dpnames(const mh_x509_gn *g, const dpnames *dn)
{
    if (dn->full) {
        mh_der d;
        mh_x509_gn x;
        mh_der_init(&d, dn->full->raw.p, dn->full->raw.len);
        while (mh_x509_gn_next(&d, &x) == 0)
            if (gn_equal(g, &x))
                return true;
    }
    if (dn->has_rel && g->type == MH_GN_DIRNAME) {
        mh_x509_name x;
        if (mh_x509_name_parse(&x, g->val.p, g->val.len) == 0 && mh_x509_name_eq(&x, &dn->rel))
            return true;
    }
    return false;
}

static bool dpnames_intersect(const dpnames *a, const dpnames *b)
{
    if (a->full) {
        mh_der d;
        mh_x509_gn x;
        mh_der_init(&d, a->full->raw.p, a->full->raw.len);
        while (mh_x509_gn_next(&d, &x) == 0)
            if (gn_matches_dpnames(&x, b))
                return true;
    }
    if (a->has_rel) {
        if (b->has_rel && mh_x509_name_eq(&a->rel, &b->rel))
            return true;
        if (b->full && gnames_has_dirname(b->full, &a->rel))
            return true;
    }
    return false;
}

static bool dpnames_has_gnames(const dpnames *a, const mh_x509_gnames *g)
{
    dpnames b;
    memset(&b, 0, sizeof b);
    b.full = g;
    return dpnames_intersect(a, &b);
}

static bool dpnames_has_name(const dpnames *a, const mh_x509_name *n)
{
    if (a->full && gnames_has_dirname(a->full, n))
        return true;
    return a->has_rel && mh_x509_name_eq(&a->rel, n);
}

static bool is_in_path(const vctx *v, const mh_x509_cert *c, size_t from)
{
    for (size_t i = from; i < v->len; i++)
        if (v->path[i] == c)
            return true;
    return false;
}

/* Finds a key that signed the CRL and whose certificate is valid back to
 * the same trust anchor (6.3.3 (f)). 0 when found. */
static int crl_signer_ok(const vctx *v, size_t k, const mh_x509_crl *crl, char *problem, size_t cap)
{
    const mh_path_input *in = v->in;
    const mh_x509_cert *cands[64];
    size_t n = 0;
    /* the issuer and the path's certificates first, then the others */
    for (size_t i = k + 1; i < v->len && n < 64; i++)
        cands[n++] = v->path[i];
    for (size_t i = 0; i < in->n_pool && n < 64; i++)
        if (!is_in_path(v, in->pool[i], k + 1))
            cands[n++] = in->pool[i];
    for (size_t i = 0; i < in->n_anchors && n < 64; i++)
        if (!is_in_path(v, in->anchors[i], k + 1))
            cands[n++] = in->anchors[i];
    bool sig_ok_any = false;
    for (size_t i = 0; i < n; i++) {
        const mh_x509_cert *c = cands[i];
        if (!mh_x509_name_eq(&c->subject, &crl->issuer))
            continue;
        if (crl->has_aki_keyid && (c->ext_present & MH_EXT_SKI) &&
            !mh_x509_span_eq(&crl->aki_keyid, &c->ski))
            continue;
        if (verify_sig(&c->spki, &crl->sig_alg, crl->tbs.p, crl->tbs.len, &crl->sig) != 0)
            continue;
        sig_ok_any = true;
        char nm[160];
        mh_x509_name_short(&c->subject, nm, sizeof nm);
        if ((c->ext_present & MH_EXT_KEY_USAGE) && !(c->key_usage & MH_KU_CRL_SIGN)) {
            snprintf(problem, cap, "the CRL is signed by '%s', whose key usage lacks cRLSign", nm);
            continue;
        }
        if (is_in_path(v, c, k + 1))
            return 0; /* validated as part of this path */
        if (c == v->path[k])
            return 0; /* a CRL signer covering itself (its path is validated
                         already; PKITS 4.14.30) */
        /* another certificate: validate its own path to the same anchor */
        if (v->w->nest >= MAX_NEST) {
            snprintf(problem, cap, "the CRL signer '%s' needs too many nested CRL checks", nm);
            continue;
        }
        mh_path_input sub = *in;
        sub.target = c;
        sub.anchors = &v->path[v->len - 1];
        sub.n_anchors = 1;
        mh_path_params sp = *v->prm;
        sp.purpose = MH_PURPOSE_CRL;
        sp.policies = NULL;
        sp.n_policies = 0;
        sp.explicit_policy = sp.inhibit_mapping = sp.inhibit_any = false;
        sp.role = "the CRL signer's certificate";
        mh_path_result sr;
        v->w->nest++;
        int rc = validate_one(v->w, &sub, &sp, &sr);
        v->w->nest--;
        if (rc == 0)
            return 0;
        snprintf(problem, cap, "the CRL signer's certificate is not valid: %s", sr.reason);
    }
    if (!sig_ok_any && !problem[0]) {
        char nm[160];
        mh_x509_name_short(&crl->issuer, nm, sizeof nm);
        snprintf(problem, cap,
                 "the CRL from '%s' does not verify with the key of any certificate of that "
                 "name",
                 nm);
    }
    return MH_ERR_CRL_INVALID;
}

/* 6.3.3 for path[k] (issued by path[k+1]). */
static int check_crls(const vctx *v, size_t k, mh_path_result *r)
{
    const mh_x509_cert *c = v->path[k];
    const mh_path_input *in = v->in;
    int64_t now = v->prm->crl_time ? v->prm->crl_time : v->prm->time;
    char who[256], problem[300] = "";
    unsigned mask = 0;
    size_t ndp = c->n_dps ? c->n_dps : 1;
    role_of(v, k, who, sizeof who);

    for (size_t i = 0; i < in->n_crls; i++) {
        const mh_x509_crl *crl = in->crls[i];
        if ((crl->ext_present & MH_EXT_DELTA_CRL) && mh_x509_name_eq(&crl->issuer, &c->issuer))
            return fail(r, MH_ERR_UNSUPPORTED, (int)k,
                        "a delta CRL was given for %s; mohur does not process delta CRLs (give "
                        "the complete CRL only)",
                        who);
    }
    for (size_t di = 0; di < ndp && mask != MH_REASONS_ALL; di++) {
        const mh_x509_dp *dp = c->n_dps ? &c->dps[di] : NULL;
        for (size_t i = 0; i < in->n_crls && mask != MH_REASONS_ALL; i++) {
            const mh_x509_crl *crl = in->crls[i];
            if (crl->ext_present & MH_EXT_DELTA_CRL)
                continue;
            /* (b)(1) the CRL's issuer */
            if (dp && dp->has_crl_issuer) {
                if (!gnames_has_dirname(&dp->crl_issuer, &crl->issuer))
                    continue;
                if (!crl->indirect) {
                    snprintf(problem, sizeof problem,
                             "the CRL from the named CRL issuer is not marked indirect");
                    continue;
                }
            } else if (!mh_x509_name_eq(&crl->issuer, &c->issuer)) {
                if (!crl->indirect)
                    continue;
                /* an indirect CRL may cover it through certificateIssuer
                 * entries; only when the DP names no cRLIssuer, 6.3.3 asks
                 * for issuer equality, so such a CRL is out of scope */
                continue;
            }
            /* (b)(2) issuing distribution point */
            if (crl->ext_present & MH_EXT_IDP) {
                if (crl->has_idp_name) {
                    dpnames idn, cdn;
                    if (dpnames_init(&idn, &crl->idp, &crl->issuer))
                        continue;
                    bool ok;
                    if (dp && (dp->has_full_name || dp->has_relative_name)) {
                        const mh_x509_name *base = &c->issuer;
                        mh_x509_name ci;
                        if (dp->has_crl_issuer) {
                            /* relative names are relative to the CRL issuer */
                            base = &crl->issuer;
                        }
                        (void)ci;
                        if (dpnames_init(&cdn, dp, base))
                            continue;
                        ok = dpnames_intersect(&idn, &cdn);
                    } else if (dp && dp->has_crl_issuer) {
                        ok = dpnames_has_gnames(&idn, &dp->crl_issuer);
                    } else {
                        ok = dpnames_has_name(&idn, &c->issuer);
                    }
                    if (!ok) {
                        snprintf(problem, sizeof problem,
                                 "the CRL's distribution point does not match the "
                                 "certificate's");
                        continue;
                    }
                }
                if (crl->only_user && c->is_ca) {
                    snprintf(problem, sizeof problem,
                             "the CRL covers end-entity certificates only, and this is a CA");
                    continue;
                }
                if (crl->only_ca && !c->is_ca) {
                    snprintf(problem, sizeof problem,
                             "the CRL covers CA certificates only, and this is not a CA");
                    continue;
                }
                if (crl->only_attr) {
                    snprintf(problem, sizeof problem, "the CRL covers attribute certificates only");
                    continue;
                }
            }
            /* (c)-(d) reasons */
            unsigned interim = MH_REASONS_ALL;
            if (crl->idp.has_reasons)
                interim &= crl->idp.reasons;
            if (dp && dp->has_reasons)
                interim &= dp->reasons;
            if ((interim & ~mask) == 0)
                continue;
            /* (g) usable at all */
            char cn[160];
            mh_x509_name_short(&crl->issuer, cn, sizeof cn);
            if (crl->unknown_critical) {
                snprintf(problem, sizeof problem,
                         "the CRL from '%s' has a critical extension mohur does not know, so it "
                         "cannot be used",
                         cn);
                continue;
            }
            if (crl->entry_unknown_critical) {
                snprintf(problem, sizeof problem,
                         "an entry of the CRL from '%s' has a critical extension mohur does not "
                         "know, so the CRL cannot be used",
                         cn);
                continue;
            }
            if (!(crl->ext_present & MH_EXT_CRL_NUMBER)) {
                snprintf(problem, sizeof problem,
                         "the CRL from '%s' has no CRL number, which RFC 5280 5.2.3 requires, "
                         "so it cannot be used",
                         cn);
                continue;
            }
            if (crl->ext_critical & MH_EXT_CRL_NUMBER) {
                snprintf(problem, sizeof problem,
                         "the CRL from '%s' marks its CRL number critical, which RFC 5280 5.2.3 "
                         "forbids, so it cannot be used",
                         cn);
                continue;
            }
            char d1[16];
            bool later = crl->this_update > now && v->prm->crl_after_ok;
            if (crl->this_update > now && !later) {
                mh_x509_date_str(crl->this_update, d1, sizeof d1);
                snprintf(problem, sizeof problem, "the CRL from '%s' is only valid from %s", cn,
                         d1);
                continue;
            }
            if (later && crl->this_update > c->not_after) {
                mh_x509_date_str(crl->this_update, d1, sizeof d1);
                snprintf(problem, sizeof problem,
                         "the CRL from '%s' was issued on %s, after %s expired, and need not "
                         "list it any more",
                         cn, d1, who);
                continue;
            }
            if (!later && crl->has_next_update && crl->next_update < now) {
                mh_x509_date_str(crl->next_update, d1, sizeof d1);
                snprintf(problem, sizeof problem,
                         "the CRL from '%s' is out of date: its next update was due on %s; get "
                         "a current one",
                         cn, d1);
                continue;
            }
            /* (f) its signature and signer */
            if (crl_signer_ok(v, k, crl, problem, sizeof problem))
                continue;
            /* (i)-(j) the entry for this certificate */
            mh_x509_crl_iter it;
            mh_x509_crl_entry en;
            int rc;
            mh_x509_crl_iter_init(&it, crl);
            while ((rc = mh_x509_crl_next(&it, &en)) == 0) {
                if (!mh_x509_span_eq(&en.serial, &c->serial))
                    continue;
                if (en.has_cert_issuer ? !gnames_has_dirname(&en.cert_issuer, &c->issuer)
                                       : !mh_x509_name_eq(&crl->issuer, &c->issuer))
                    continue;
                if (en.reason == MH_REASON_REMOVE_FROM_CRL)
                    continue;
                /* revoked after the signature was proven to exist: the
                 * signature stands (ETSI EN 319 102-1, POE before revocation) */
                int64_t when = en.has_invalidity_date && en.invalidity_date < en.date
                                   ? en.invalidity_date
                                   : en.date;
                if (v->prm->poe_time && when > v->prm->poe_time)
                    continue;
                char d2[16];
                mh_x509_date_str(en.date, d2, sizeof d2);
                return fail(r, MH_ERR_CERT_REVOKED, (int)k, "%s was revoked on %s: %s", who, d2,
                            mh_x509_reason_name(en.reason == MH_REASON_NONE ? 0 : en.reason));
            }
            if (rc != MH_ERR_NOT_FOUND) {
                snprintf(problem, sizeof problem, "the CRL from '%s' is malformed", cn);
                continue;
            }
            mask |= interim;
        }
    }
    if (mask != MH_REASONS_ALL && v->prm->revocation == MH_REV_REQUIRE) {
        if (problem[0])
            return fail(r, MH_ERR_CRL_MISSING, (int)k, "the revocation status of %s is unknown: %s",
                        who, problem);
        return fail(r, MH_ERR_CRL_MISSING, (int)k,
                    "no CRL covers %s%s; give its issuer's current CRL", who,
                    mask ? " for every revocation reason" : "");
    }
    return 0;
}

/* ---- profile rules (docs/x509.md) ---------------------------------------- */

static bool serial_positive(const mh_x509_span *s)
{
    if (s->len == 0 || (s->p[0] & 0x80))
        return false;
    for (size_t i = 0; i < s->len; i++)
        if (s->p[i])
            return true;
    return false;
}

/* The RFC 5280 rules a conforming CA follows, checked on every certificate
 * of the path below the trust anchor, as OpenSSL's -x509_strict does (and
 * a few it does not: serial numbers, critical AIA, end entities acting as
 * CAs, IP addresses written as DNS names). */
static int profile_check(const vctx *v, size_t k, mh_path_result *r)
{
    const mh_x509_cert *c = v->path[k];
    uint32_t crit = c->ext_critical & c->ext_present;
    bool ca = c->is_ca || k > 0;
    char who[256];
    role_of(v, k, who, sizeof who);
#define BAD(...) return fail(r, MH_ERR_CERT_INVALID, (int)k, __VA_ARGS__)
    if (!serial_positive(&c->serial))
        BAD("%s has a serial number that is zero or negative, which RFC 5280 4.1.2.2 forbids", who);
    if (c->issuer.n_rdns == 0)
        BAD("%s has an empty issuer name (RFC 5280 4.1.2.4)", who);
    if (c->subject.n_rdns == 0) {
        if (ca || !(c->ext_present & MH_EXT_SAN))
            BAD("%s has an empty subject name, which only an end entity with a critical "
                "subjectAltName may have (RFC 5280 4.1.2.6)",
                who);
        if (!(crit & MH_EXT_SAN))
            BAD("%s has an empty subject name and a subjectAltName not marked critical "
                "(RFC 5280 4.2.1.6)",
                who);
    }
    if (c->version >= 3) {
        if (!(c->ext_present & MH_EXT_AKI) || !c->has_aki_keyid)
            BAD("%s has no authority key identifier (RFC 5280 4.2.1.1)", who);
        if (ca && !(c->ext_present & MH_EXT_SKI))
            BAD("%s is a CA certificate without a subject key identifier (RFC 5280 4.2.1.2)", who);
    }
    if (crit & MH_EXT_AKI)
        BAD("%s marks its authority key identifier critical, which RFC 5280 4.2.1.1 forbids", who);
    if (crit & MH_EXT_SKI)
        BAD("%s marks its subject key identifier critical, which RFC 5280 4.2.1.2 forbids", who);
    if (crit & (MH_EXT_AIA | MH_EXT_SIA))
        BAD("%s marks its authority or subject information access critical, which RFC 5280 "
            "4.2.2 forbids",
            who);
    if ((c->ext_present & MH_EXT_POLICY_CONSTRAINTS) && !(crit & MH_EXT_POLICY_CONSTRAINTS) &&
        !v->prm->legacy_profile)
        BAD("%s has policy constraints not marked critical (RFC 5280 4.2.1.11)", who);
    if (c->is_ca) {
        if (!(crit & MH_EXT_BASIC_CONSTRAINTS) && !v->prm->legacy_profile)
            BAD("%s is a CA certificate whose basic constraints are not marked critical "
                "(RFC 5280 4.2.1.9)",
                who);
        if (!(c->ext_present & MH_EXT_KEY_USAGE))
            BAD("%s is a CA certificate without a key usage extension (RFC 5280 4.2.1.3)", who);
        if (c->has_path_len && !(c->key_usage & MH_KU_KEY_CERT_SIGN))
            BAD("%s has a path length constraint but may not sign certificates "
                "(RFC 5280 4.2.1.9)",
                who);
    } else {
        if (c->has_path_len)
            BAD("%s has a path length constraint without being a CA (RFC 5280 4.2.1.9)", who);
        if ((c->ext_present & MH_EXT_KEY_USAGE) && (c->key_usage & MH_KU_KEY_CERT_SIGN))
            BAD("%s may sign certificates (keyCertSign) without being a CA "
                "(RFC 5280 4.2.1.3)",
                who);
        if (c->ext_present & MH_EXT_NAME_CONSTRAINTS)
            BAD("%s has name constraints without being a CA (RFC 5280 4.2.1.10)", who);
    }
    if (c->ext_present & MH_EXT_SAN) {
        mh_der d;
        mh_x509_gn gn;
        mh_der_init(&d, c->san.raw.p, c->san.raw.len);
        while (mh_x509_gn_next(&d, &gn) == 0)
            if (gn.type == MH_GN_DNS &&
                !mh_x509_host_ok(gn.val.p, gn.val.len, MH_HOST_WILDCARD | MH_HOST_UNDERSCORE))
                BAD("%s has the DNS name '%.*s', which is not a host name (an IP address "
                    "belongs in an iPAddress name)",
                    who, (int)(gn.val.len > 80 ? 80 : gn.val.len), (const char *)gn.val.p);
    }
#undef BAD
    for (size_t m = 0; m < c->n_mappings; m++)
        if (is_any_policy(&c->mappings[m].issuer_policy) ||
            is_any_policy(&c->mappings[m].subject_policy))
            return fail(r, MH_ERR_POLICY, (int)k, "%s maps anyPolicy, which RFC 5280 forbids", who);
    return 0;
}

/* The trust anchor, given as a certificate, is held to what it says about
 * itself (RFC 5937, docs/x509.md): it must be a CA certificate that may
 * sign certificates, with nothing critical we do not understand; its name
 * constraints and path length are applied below (validate_path). */
static int anchor_check(const vctx *v, mh_path_result *r)
{
    size_t n = v->len - 1;
    const mh_x509_cert *a = v->path[n];
    uint32_t crit = a->ext_critical & a->ext_present;
    char who[256];
    role_of(v, n, who, sizeof who);
    if (a->unknown_critical) {
        char o[96];
        mh_x509_oid_str(&a->unknown_critical_oid, false, o, sizeof o);
        return fail(r, MH_ERR_CRITICAL_EXT, (int)n,
                    "%s has a critical extension mohur does not know (%s), so it may not be used",
                    who, o);
    }
#define BAD(...) return fail(r, MH_ERR_CERT_INVALID, (int)n, __VA_ARGS__)
    if (a->version < 3)
        BAD("%s is a version %u certificate, which cannot say it is a CA; give a version 3 "
            "trust anchor",
            who, a->version);
    if (!(a->ext_present & MH_EXT_BASIC_CONSTRAINTS) || !a->is_ca)
        BAD("%s is not a CA certificate (no basicConstraints cA=true), so it may not issue "
            "certificates",
            who);
    if (!(crit & MH_EXT_BASIC_CONSTRAINTS) && !v->prm->legacy_profile)
        BAD("%s has basic constraints not marked critical (RFC 5280 4.2.1.9)", who);
    if (!(a->ext_present & MH_EXT_KEY_USAGE) || !(a->key_usage & MH_KU_KEY_CERT_SIGN))
        BAD("%s may not sign certificates: it has no key usage with keyCertSign", who);
    if (a->subject.n_rdns == 0)
        BAD("%s has an empty subject name (RFC 5280 4.1.2.6)", who);
    if (!(a->ext_present & MH_EXT_SKI))
        BAD("%s has no subject key identifier (RFC 5280 4.2.1.2)", who);
    if (crit & (MH_EXT_AKI | MH_EXT_SKI))
        BAD("%s marks a key identifier critical, which RFC 5280 4.2.1.1-2 forbids", who);
    if ((a->ext_present & MH_EXT_POLICY_CONSTRAINTS) && !(crit & MH_EXT_POLICY_CONSTRAINTS) &&
        !v->prm->legacy_profile)
        BAD("%s has policy constraints not marked critical (RFC 5280 4.2.1.11)", who);
    if (crit & (MH_EXT_AIA | MH_EXT_SIA))
        BAD("%s marks its information access critical, which RFC 5280 4.2.2 forbids", who);
#undef BAD
    for (size_t m = 0; m < a->n_mappings; m++)
        if (is_any_policy(&a->mappings[m].issuer_policy) ||
            is_any_policy(&a->mappings[m].subject_policy))
            return fail(r, MH_ERR_POLICY, (int)n, "%s maps anyPolicy, which RFC 5280 forbids", who);
    return 0;
}

/* ---- 6.1: one path ------------------------------------------------------ */

static int validate_path(const vctx *v, mh_path_result *r)
{
    mh_path_work *w = v->w;
    const mh_path_params *p = v->prm;
    size_t n = v->len - 1; /* certificates below the anchor */
    const mh_x509_cert *anchor = v->path[n];
    char who[256], d[16];
    int rc;

    r->err = MH_ERR_INTERNAL;
    r->failed_index = -1;
    r->reason[0] = 0;
    r->len = v->len;
    for (size_t i = 0; i < v->len; i++)
        r->chain[i] = v->path[i];

    role_of(v, n, who, sizeof who);
    if (p->time < anchor->not_before) {
        mh_x509_date_str(anchor->not_before, d, sizeof d);
        return fail(r, MH_ERR_CERT_NOT_YET_VALID, (int)n, "%s is not valid until %s", who, d);
    }
    if (p->time > anchor->not_after) {
        mh_x509_date_str(anchor->not_after, d, sizeof d);
        return fail(r, MH_ERR_CERT_EXPIRED, (int)n, "%s expired on %s", who, d);
    }

    if ((rc = anchor_check(v, r)))
        return rc;
    for (size_t m = 0; m <= n; m++) {
        const mh_x509_cert *ca = v->path[m];
        if ((ca->ext_present & MH_EXT_NAME_CONSTRAINTS) && nc_subtrees_ok(ca)) {
            role_of(v, m, who, sizeof who);
            return fail(r, MH_ERR_NAME_CONSTRAINTS, (int)m,
                        "%s has a name constraint that is not well-formed for its type (a DNS "
                        "name that is not a host name, an IP mask that is not a prefix, ...)",
                        who);
        }
    }

    /* 6.1.2 initialisation; the anchor's own path length constraint
     * counts (RFC 5937) */
    unsigned explicit_policy = p->explicit_policy ? 0 : (unsigned)n + 1;
    unsigned inhibit_any = p->inhibit_any ? 0 : (unsigned)n + 1;
    unsigned policy_mapping = p->inhibit_mapping ? 0 : (unsigned)n + 1;
    unsigned max_path = (unsigned)n;
    if (anchor->has_path_len && anchor->path_len < max_path)
        max_path = anchor->path_len;
    w->n_nodes = 0;
    w->tree_null = false;
    {
        mh_x509_span any = {oid_any_policy, sizeof oid_any_policy};
        (void)node_add(w, -1, 0, &any);
    }

    for (unsigned i = 1; i <= n; i++) {
        size_t k = n - i;
        const mh_x509_cert *c = v->path[k];
        const mh_x509_cert *iss = v->path[k + 1];
        bool last = i == n;
        bool self_issued = mh_x509_cert_self_issued(c);
        role_of(v, k, who, sizeof who);

        /* (a)(1) signature */
        rc = verify_sig(&iss->spki, &c->sig_alg, c->tbs.p, c->tbs.len, &c->sig);
        if (rc == MH_ERR_ALG_REFUSED)
            return fail(r, MH_ERR_ALG_REFUSED, (int)k,
                        "the signature on %s is refused by policy (not proven forged): %s", who,
                        mh_err_message(rc));
        if (rc == MH_ERR_UNSUPPORTED_ALG || rc == MH_ERR_UNSUPPORTED)
            return fail(r, MH_ERR_UNSUPPORTED_ALG, (int)k,
                        "the signature on %s cannot be checked: %s", who, mh_err_message(rc));
        if (rc) {
            char in[160];
            mh_x509_name_short(&iss->subject, in, sizeof in);
            return fail(r, MH_ERR_VERIFY_FAILED, (int)k,
                        "the signature on %s does not verify with the key of '%s': the "
                        "certificate was altered or not issued by it",
                        who, in);
        }
        /* (a)(2) validity */
        if (p->time < c->not_before) {
            mh_x509_date_str(c->not_before, d, sizeof d);
            return fail(r, MH_ERR_CERT_NOT_YET_VALID, (int)k, "%s is not valid until %s", who, d);
        }
        if (p->time > c->not_after) {
            mh_x509_date_str(c->not_after, d, sizeof d);
            return fail(r, MH_ERR_CERT_EXPIRED, (int)k, "%s expired on %s", who, d);
        }
        /* (a)(4) name chaining */
        if (!mh_x509_name_eq(&c->issuer, &iss->subject))
            return fail(r, MH_ERR_CERT_UNTRUSTED, (int)k, "%s does not chain to its issuer", who);
        /* (o) unknown critical extensions */
        if (c->unknown_critical) {
            char o[96];
            mh_x509_oid_str(&c->unknown_critical_oid, false, o, sizeof o);
            return fail(r, MH_ERR_CRITICAL_EXT, (int)k,
                        "%s has a critical extension mohur does not know (%s), so it may not be "
                        "used",
                        who, o);
        }
        if ((rc = profile_check(v, k, r)))
            return rc;
        /* (b)-(c) name constraints of every CA above, the trust anchor's
         * included */
        if (!(self_issued && !last)) {
            for (size_t m = k + 1; m <= n; m++) {
                const mh_x509_cert *ca = v->path[m];
                if (!(ca->ext_present & MH_EXT_NAME_CONSTRAINTS))
                    continue;
                char why[200], cn[160];
                if (!nc_check(ca, c, last, why, sizeof why)) {
                    mh_x509_name_short(&ca->subject, cn, sizeof cn);
                    return fail(r, MH_ERR_NAME_CONSTRAINTS, (int)k,
                                "%s breaks the name constraints of '%s': %s is not allowed", who,
                                cn, why);
                }
            }
        }
        /* (d)-(f) policies */
        if (!w->tree_null && (c->ext_present & MH_EXT_POLICIES)) {
            if ((rc = policy_process(w, c, i, last, inhibit_any > 0)))
                return fail(r, rc, (int)k, "%s", mh_err_message(rc));
        }
        if (!(c->ext_present & MH_EXT_POLICIES))
            w->tree_null = true;
        if (explicit_policy == 0 && w->tree_null)
            return fail(r, MH_ERR_POLICY, (int)k,
                        "%s leaves no acceptable certificate policy, and an explicit policy is "
                        "required",
                        who);
        if (last)
            break;

        /* 6.1.4 preparation for the next certificate (anyPolicy in a
         * mapping was refused by profile_check) */
        if (c->n_mappings && !w->tree_null) {
            if ((rc = policy_map(w, c, i, policy_mapping > 0)))
                return fail(r, rc, (int)k, "%s", mh_err_message(rc));
        }
        if (!self_issued) {
            if (explicit_policy)
                explicit_policy--;
            if (policy_mapping)
                policy_mapping--;
            if (inhibit_any)
                inhibit_any--;
        }
        if (c->has_require_explicit && c->require_explicit < explicit_policy)
            explicit_policy = c->require_explicit;
        if (c->has_inhibit_mapping && c->inhibit_mapping < policy_mapping)
            policy_mapping = c->inhibit_mapping;
        if ((c->ext_present & MH_EXT_INHIBIT_ANY) && c->inhibit_any < inhibit_any)
            inhibit_any = c->inhibit_any;
        /* (k) a CA */
        if (c->version < 3 || !(c->ext_present & MH_EXT_BASIC_CONSTRAINTS) || !c->is_ca)
            return fail(r, MH_ERR_CERT_INVALID, (int)k,
                        "%s issued another certificate but is not a CA certificate (no "
                        "basicConstraints cA=true)",
                        who);
        /* (l)-(m) path length */
        if (!self_issued) {
            if (max_path == 0)
                return fail(r, MH_ERR_PATH_LEN, (int)k,
                            "%s may not have this many CA certificates below it: a path length "
                            "constraint is exceeded",
                            who);
            max_path--;
        }
        if (c->has_path_len && c->path_len < max_path)
            max_path = c->path_len;
        /* (n) key usage */
        if ((c->ext_present & MH_EXT_KEY_USAGE) && !(c->key_usage & MH_KU_KEY_CERT_SIGN))
            return fail(r, MH_ERR_KEY_USAGE, (int)k,
                        "%s may not issue certificates: its key usage lacks keyCertSign", who);
    }

    /* 6.1.5 wrap-up */
    const mh_x509_cert *t = v->path[0];
    if (explicit_policy)
        explicit_policy--;
    if (t->has_require_explicit && t->require_explicit == 0)
        explicit_policy = 0;
    if ((rc = policy_wrap(w, p, (unsigned)n)))
        return fail(r, rc, 0, "%s", mh_err_message(rc));
    if (explicit_policy == 0 && w->tree_null) {
        role_of(v, 0, who, sizeof who);
        return fail(r, MH_ERR_POLICY, 0,
                    "%s is not valid for any of the required certificate policies", who);
    }
    if ((rc = purpose_check(v, r)))
        return rc;

    /* 6.3: revocation, once the path itself holds (the policy tree is not
     * needed any more, so a CRL signer's path may reuse the work space) */
    if (p->revocation != MH_REV_NONE)
        for (size_t k = 0; k < n; k++)
            if ((rc = check_crls(v, k, r)))
                return rc;
    r->err = 0;
    r->failed_index = -1;
    snprintf(r->reason, sizeof r->reason, "valid");
    return 0;
}

/* ---- building ----------------------------------------------------------- */

typedef struct bstate {
    vctx v;
    const mh_x509_cert *path[MH_PATH_MAX_DEPTH + 1];
    mh_path_result best;
    bool have_complete; /* best comes from a path that reached an anchor */
    size_t deepest;     /* longest partial chain without an anchor */
    size_t steps;       /* bounds the search */
} bstate;

/* 2 when issuer's key identifier matches child's AKI (or either lacks
 * one), 1 when the names match but the key identifiers differ, 0 when it
 * cannot be the issuer. */
static int issuer_rank(const mh_x509_cert *child, const mh_x509_cert *iss)
{
    if (!mh_x509_name_eq(&child->issuer, &iss->subject))
        return 0;
    if (child->has_aki_keyid && (iss->ext_present & MH_EXT_SKI) &&
        !mh_x509_span_eq(&child->aki_keyid, &iss->ski))
        return 1;
    return 2;
}

static bool same_cert(const mh_x509_cert *a, const mh_x509_cert *b)
{
    return a == b || mh_x509_span_eq(&a->raw, &b->raw);
}

static int build(bstate *s, size_t len)
{
    const mh_x509_cert *cur = s->path[len - 1];
    if (++s->steps > 2000)
        return MH_ERR_CERT_UNTRUSTED;
    if (len > s->deepest)
        s->deepest = len;
    for (int rank = 2; rank >= 1; rank--) {
        for (size_t i = 0; i < s->v.in->n_anchors; i++) {
            const mh_x509_cert *a = s->v.in->anchors[i];
            if (issuer_rank(cur, a) != rank)
                continue;
            s->path[len] = a;
            s->v.path = s->path;
            s->v.len = len + 1;
            mh_path_result r;
            if (validate_path(&s->v, &r) == 0) {
                s->best = r;
                return 0;
            }
            if (!s->have_complete) {
                s->best = r;
                s->have_complete = true;
            }
        }
    }
    if (len >= MH_PATH_MAX_DEPTH)
        return MH_ERR_CERT_UNTRUSTED;
    for (int rank = 2; rank >= 1; rank--) {
        for (size_t i = 0; i < s->v.in->n_pool; i++) {
            const mh_x509_cert *c = s->v.in->pool[i];
            if (issuer_rank(cur, c) != rank)
                continue;
            bool loop = false;
            for (size_t j = 0; j < len && !loop; j++)
                loop = same_cert(s->path[j], c);
            for (size_t j = 0; j < s->v.in->n_anchors && !loop; j++)
                loop = same_cert(s->v.in->anchors[j], c);
            if (loop)
                continue;
            s->path[len] = c;
            if (build(s, len + 1) == 0)
                return 0;
        }
    }
    return MH_ERR_CERT_UNTRUSTED;
}

static int validate_one(mh_path_work *w, const mh_path_input *in, const mh_path_params *p,
                        mh_path_result *res)
{
    bstate *s = NULL;
    bstate local;
    s = &local;
    memset(&s->best, 0, sizeof s->best);
    s->v.w = w;
    s->v.in = in;
    s->v.prm = p;
    s->have_complete = false;
    s->deepest = 0;
    s->steps = 0;
    s->path[0] = in->target;
    /* a trusted certificate as the target is valid by itself */
    for (size_t i = 0; i < in->n_anchors; i++) {
        if (same_cert(in->anchors[i], in->target)) {
            memset(res, 0, sizeof *res);
            res->len = 1;
            res->chain[0] = in->target;
            res->failed_index = -1;
            snprintf(res->reason, sizeof res->reason, "valid (a trusted certificate itself)");
            if (p->time < in->target->not_before || p->time > in->target->not_after) {
                char d[16];
                bool early = p->time < in->target->not_before;
                mh_x509_date_str(early ? in->target->not_before : in->target->not_after, d,
                                 sizeof d);
                return fail(res, early ? MH_ERR_CERT_NOT_YET_VALID : MH_ERR_CERT_EXPIRED, 0,
                            "the trusted certificate %s %s",
                            early ? "is not valid until" : "expired on", d);
            }
            return 0;
        }
    }
    int rc = build(s, 1);
    if (rc == 0 || s->have_complete) {
        *res = s->best;
        return rc == 0 ? 0 : res->err;
    }
    /* no path reached a trust anchor: name the top of the longest chain */
    memset(res, 0, sizeof *res);
    char nm[160], is[160];
    mh_x509_name_short(&in->target->subject, nm, sizeof nm);
    mh_x509_name_short(&in->target->issuer, is, sizeof is);
    res->len = 1;
    res->chain[0] = in->target;
    if (s->deepest <= 1)
        return fail(res, MH_ERR_CERT_UNTRUSTED, 0,
                    "no trusted authority issued '%s': its issuer '%s' is neither a trusted "
                    "root nor among the intermediate certificates given",
                    nm, is);
    return fail(res, MH_ERR_CERT_UNTRUSTED, 0,
                "no path from '%s' leads to a trusted root: the chain through the given "
                "intermediates ends at an authority that is not trusted",
                nm);
}

int mh_path_validate(mh_path_work *work, const mh_path_input *in, const mh_path_params *params,
                     mh_path_result *res)
{
    if (!work || !in || !in->target || !params || !res || (in->n_anchors && !in->anchors) ||
        (in->n_pool && !in->pool) || (in->n_crls && !in->crls)) {
        if (res)
            fail(res, MH_ERR_INVALID_ARG, -1, "path validation was called without its inputs");
        return MH_ERR_INVALID_ARG;
    }
    work->nest = 0;
    int rc = validate_one(work, in, params, res);
    if (rc)
        mh_err_set(rc, "%s", res->reason);
    return rc;
}
