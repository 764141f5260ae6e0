/* nc.c - name-constraint matching (RFC 5280 4.2.1.10, RFC 9598) and the
 * syntax of the names it compares (pki_x509.h). No allocation.
 *
 * A name that is not well-formed for its type is never "outside" a
 * subtree: it is an error (MH_ERR_PARSE), which path validation treats as
 * a violation of permitted and excluded subtrees alike, as Go's
 * crypto/x509 does. Otherwise a malformed name (".example.com", a URI
 * whose host is an IP literal, "a@b"@example.com split at the wrong @)
 * could slip past an excluded subtree. */
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "x509_ext.h"

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static bool eq_nocase(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static bool is_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool mh_x509_host_ok(const uint8_t *s, size_t n, unsigned flags)
{
    size_t start = 0, labels = 0;
    bool digits_last = false;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        size_t ll = i - start;
        const uint8_t *l = s + start;
        if (ll == 0 || ll > 63)
            return false;
        if (ll == 1 && l[0] == '*') {
            if (!(flags & MH_HOST_WILDCARD) || labels != 0)
                return false;
            digits_last = false;
        } else {
            bool digits = true;
            for (size_t k = 0; k < ll; k++) {
                uint8_t c = l[k];
                if (!(c >= '0' && c <= '9'))
                    digits = false;
                if (is_alnum(c))
                    continue;
                if (c == '-' && k != 0 && k != ll - 1)
                    continue;
                if (c == '_' && (flags & MH_HOST_UNDERSCORE))
                    continue;
                return false;
            }
            digits_last = digits;
        }
        labels++;
        start = i + 1;
    }
    if (digits_last)
        return false; /* "10.0.0.1" is an IP address, not a host name */
    return !(s[0] == '*' && labels < 2);
}

/* h within domain d: equal, or a subdomain of it. */
static bool host_in_domain(const uint8_t *h, size_t hl, const uint8_t *d, size_t dl)
{
    if (hl == dl)
        return eq_nocase(h, d, dl);
    return hl > dl && h[hl - dl - 1] == '.' && eq_nocase(h + hl - dl, d, dl);
}

/* A DNS-style constraint: empty (everything), ".D" (subdomains of D only)
 * or "D" (D and its subdomains). */
static bool dns_constraint_ok(const uint8_t *c, size_t cl)
{
    if (cl == 0)
        return true;
    if (c[0] == '.')
        return mh_x509_host_ok(c + 1, cl - 1, 0);
    return mh_x509_host_ok(c, cl, 0);
}

/* Host h (maybe "*.R") against constraint c; subdomains: whether "D"
 * takes subdomains (dNSName) or means that host only (URI and e-mail
 * hosts). overlap: whether some name a wildcard stands for may lie within
 * (excluded subtrees) rather than every one (permitted subtrees). */
static int host_match(const uint8_t *h, size_t hl, const uint8_t *c, size_t cl, bool subdomains,
                      bool overlap)
{
    if (cl == 0)
        return 1;
    bool dot = c[0] == '.';
    const uint8_t *d = dot ? c + 1 : c;
    size_t dl = dot ? cl - 1 : cl;
    if (!(hl >= 2 && h[0] == '*' && h[1] == '.')) {
        if (dot)
            return hl > dl && h[hl - dl - 1] == '.' && eq_nocase(h + hl - dl, d, dl);
        if (!subdomains)
            return hl == dl && eq_nocase(h, d, dl);
        return host_in_domain(h, hl, d, dl);
    }
    /* "*.R" stands for every x.R with x one label */
    const uint8_t *r = h + 2;
    size_t rl = hl - 2;
    if ((dot || subdomains) && host_in_domain(r, rl, d, dl))
        return 1; /* every x.R is a subdomain of D */
    if (!overlap)
        return 0;
    /* some x.R equals the host D: D is one label more than R */
    if (!dot && dl > rl + 1 && d[dl - rl - 1] == '.' && eq_nocase(d + dl - rl, r, rl) &&
        !memchr(d, '.', dl - rl - 1))
        return 1;
    return 0;
}

static int dns_match(const mh_x509_span *n, const mh_x509_span *c, bool overlap)
{
    if (!mh_x509_host_ok(n->p, n->len, MH_HOST_WILDCARD) || !dns_constraint_ok(c->p, c->len))
        return MH_ERR_PARSE;
    return host_match(n->p, n->len, c->p, c->len, true, overlap);
}

/* ---- e-mail (RFC 5321 Mailbox; RFC 6531 for SmtpUTF8Mailbox) ---------- */

typedef struct mailbox {
    uint8_t local[256]; /* without quotes and escapes */
    size_t ll;
    uint8_t dom[256]; /* A-labels for an internationalised domain */
    size_t dl;
} mailbox;

static bool atext(uint8_t c, bool utf8)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c)) || (utf8 && c >= 0x80);
}

/* ---- punycode (RFC 3492), for U-labels in SmtpUTF8Mailbox domains ---- */

static uint32_t puny_adapt(uint32_t delta, uint32_t points, bool first)
{
    uint32_t k = 0;
    delta = first ? delta / 700 : delta / 2;
    delta += delta / points;
    while (delta > ((36 - 1) * 26) / 2) {
        delta /= 36 - 1;
        k += 36;
    }
    return k + (36 * delta) / (delta + 38);
}

static bool put(uint8_t *out, size_t cap, size_t *o, uint8_t c)
{
    if (*o >= cap)
        return false;
    out[(*o)++] = c;
    return true;
}

static bool puny_label(const uint32_t *cp, size_t n, uint8_t *out, size_t cap, size_t *o)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint32_t b = 0, h, m, q, k, t, bias = 72, next = 128;
    uint64_t delta = 0;
    for (const char *x = "xn--"; *x; x++)
        if (!put(out, cap, o, (uint8_t)*x))
            return false;
    for (size_t i = 0; i < n; i++)
        if (cp[i] < 0x80) {
            if (!put(out, cap, o, (uint8_t)lower((int)cp[i])))
                return false;
            b++;
        }
    if (b && !put(out, cap, o, '-'))
        return false;
    for (h = b; h < n;) {
        m = UINT32_MAX;
        for (size_t i = 0; i < n; i++)
            if (cp[i] >= next && cp[i] < m)
                m = cp[i];
        delta += (uint64_t)(m - next) * (h + 1);
        if (delta > UINT32_MAX)
            return false;
        next = m;
        for (size_t i = 0; i < n; i++) {
            if (cp[i] < next && ++delta > UINT32_MAX)
                return false;
            if (cp[i] != next)
                continue;
            for (q = (uint32_t)delta, k = 36;; k += 36) {
                t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
                if (q < t)
                    break;
                if (!put(out, cap, o, (uint8_t)digits[t + (q - t) % (36 - t)]))
                    return false;
                q = (q - t) / (36 - t);
            }
            if (!put(out, cap, o, (uint8_t)digits[q]))
                return false;
            bias = puny_adapt((uint32_t)delta, h + 1, h == b);
            delta = 0;
            h++;
        }
        delta++;
        next++;
    }
    return true;
}

/* A UTF-8 domain as A-labels into m->dom. */
static int domain_to_ascii(const uint8_t *s, size_t n, mailbox *m)
{
    uint32_t cp[64];
    size_t ncp = 0;
    m->dl = 0;
    for (size_t i = 0; i <= n;) {
        if (i == n || s[i] == '.') {
            bool ascii = true;
            for (size_t k = 0; k < ncp; k++)
                ascii = ascii && cp[k] < 0x80;
            if (ascii) {
                for (size_t k = 0; k < ncp; k++)
                    if (!put(m->dom, sizeof m->dom, &m->dl, (uint8_t)cp[k]))
                        return MH_ERR_PARSE;
            } else if (!puny_label(cp, ncp, m->dom, sizeof m->dom, &m->dl)) {
                return MH_ERR_PARSE;
            }
            if (i < n && !put(m->dom, sizeof m->dom, &m->dl, '.'))
                return MH_ERR_PARSE;
            ncp = 0;
            i++;
            continue;
        }
        uint32_t c = mh_utf8_next(s, n, &i);
        if (c == MH_UTF8_BAD || ncp >= sizeof cp / sizeof cp[0])
            return MH_ERR_PARSE;
        cp[ncp++] = c;
    }
    return 0;
}

/* Parses a Mailbox: the local part (a dot-atom or a quoted string, so the
 * domain follows the @ that ends it, which is the last @ of a valid
 * mailbox), then the domain, which must be a host name. */
static int mailbox_parse(const uint8_t *s, size_t n, bool utf8, mailbox *m)
{
    size_t i = 0;
    m->ll = 0;
    if (n && s[0] == '"') {
        for (i = 1;;) {
            if (i >= n)
                return MH_ERR_PARSE;
            uint8_t c = s[i++];
            if (c == '"')
                break;
            if (c == '\\') {
                if (i >= n || s[i] < 32 || s[i] > 126)
                    return MH_ERR_PARSE;
                c = s[i++];
            } else if (!((c >= 32 && c <= 126) || (utf8 && c >= 0x80))) {
                return MH_ERR_PARSE;
            }
            if (!put(m->local, sizeof m->local, &m->ll, c))
                return MH_ERR_PARSE;
        }
    } else {
        bool atom = false;
        while (i < n && s[i] != '@') {
            uint8_t c = s[i++];
            if (c == '.') {
                if (!atom)
                    return MH_ERR_PARSE;
                atom = false;
            } else if (atext(c, utf8)) {
                atom = true;
            } else {
                return MH_ERR_PARSE;
            }
            if (!put(m->local, sizeof m->local, &m->ll, c))
                return MH_ERR_PARSE;
        }
        if (!atom)
            return MH_ERR_PARSE;
    }
    if (i >= n || s[i] != '@')
        return MH_ERR_PARSE;
    i++;
    if (utf8) {
        if (domain_to_ascii(s + i, n - i, m))
            return MH_ERR_PARSE;
    } else {
        if (n - i > sizeof m->dom)
            return MH_ERR_PARSE;
        memcpy(m->dom, s + i, n - i);
        m->dl = n - i;
    }
    return mh_x509_host_ok(m->dom, m->dl, 0) ? 0 : MH_ERR_PARSE;
}

static bool email_constraint_ok(const mh_x509_span *c)
{
    mailbox m;
    if (c->len && memchr(c->p, '@', c->len))
        return mailbox_parse(c->p, c->len, false, &m) == 0;
    return dns_constraint_ok(c->p, c->len);
}

static int email_match(const mh_x509_span *n, bool utf8, const mh_x509_span *c)
{
    mailbox m, cm;
    if (mailbox_parse(n->p, n->len, utf8, &m) || !email_constraint_ok(c))
        return MH_ERR_PARSE;
    if (c->len && memchr(c->p, '@', c->len)) {
        /* one mailbox: the local part exactly, the host without case */
        (void)mailbox_parse(c->p, c->len, false, &cm);
        return m.ll == cm.ll && memcmp(m.local, cm.local, m.ll) == 0 && m.dl == cm.dl &&
               eq_nocase(m.dom, cm.dom, m.dl);
    }
    /* "host": that host only; ".domain": its subdomains */
    return host_match(m.dom, m.dl, c->p, c->len, false, false);
}

/* ---- URIs --------------------------------------------------------------- */

/* The host of a URI's authority (RFC 3986 3.2.2). A URI without an
 * authority, with an empty host or an IP literal, is MH_ERR_PARSE: RFC
 * 5280 asks URI constraints to be applied to the host part, and such a
 * URI has no host name to apply them to. */
static int uri_host(const mh_x509_span *n, const uint8_t **host, size_t *hl)
{
    const uint8_t *s = n->p, *e = n->p + n->len, *q = s;
    if (q == e || !((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z'))
        return MH_ERR_PARSE;
    while (q < e && (is_alnum(*q) || *q == '+' || *q == '-' || *q == '.'))
        q++;
    if (e - q < 3 || q[0] != ':' || q[1] != '/' || q[2] != '/')
        return MH_ERR_PARSE;
    const uint8_t *h = q + 3, *he = h;
    while (he < e && *he != '/' && *he != '?' && *he != '#')
        he++;
    for (const uint8_t *x = h; x < he; x++)
        if (*x == '@')
            h = x + 1; /* after the userinfo */
    if (h < he && *h == '[')
        return MH_ERR_PARSE;
    const uint8_t *port = h;
    while (port < he && *port != ':')
        port++;
    for (const uint8_t *x = port + (port < he); x < he; x++)
        if (*x < '0' || *x > '9')
            return MH_ERR_PARSE;
    if (!mh_x509_host_ok(h, (size_t)(port - h), 0))
        return MH_ERR_PARSE;
    *host = h;
    *hl = (size_t)(port - h);
    return 0;
}

static int uri_match(const mh_x509_span *n, const mh_x509_span *c)
{
    const uint8_t *h;
    size_t hl;
    if (uri_host(n, &h, &hl) || !dns_constraint_ok(c->p, c->len))
        return MH_ERR_PARSE;
    return host_match(h, hl, c->p, c->len, false, false);
}

/* ---- IP addresses ------------------------------------------------------- */

static bool mask_ok(const uint8_t *m, size_t n)
{
    bool zero = false;
    for (size_t i = 0; i < n; i++)
        for (int b = 7; b >= 0; b--) {
            bool one = (m[i] >> b) & 1;
            if (one && zero)
                return false;
            zero = zero || !one;
        }
    return true;
}

static int ip_in(const uint8_t *a, size_t n, const uint8_t *sub)
{
    for (size_t i = 0; i < n; i++)
        if ((a[i] & sub[n + i]) != (sub[i] & sub[n + i]))
            return 0;
    return 1;
}

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int ip_match(const mh_x509_span *n, const mh_x509_span *c, bool overlap)
{
    if ((n->len != 4 && n->len != 16) || (c->len != 8 && c->len != 32) ||
        !mask_ok(c->p + c->len / 2, c->len / 2))
        return MH_ERR_PARSE;
    if (n->len * 2 == c->len)
        return ip_in(n->p, n->len, c->p);
    if (!overlap)
        return 0; /* permitted: the address as written must be inside */
    /* excluded: an IPv4-mapped IPv6 address is that IPv4 address */
    if (n->len == 16 && memcmp(n->p, mapped_prefix, 12) == 0)
        return ip_in(n->p + 12, 4, c->p);
    if (n->len == 4) {
        uint8_t v6[16];
        memcpy(v6, mapped_prefix, 12);
        memcpy(v6 + 12, n->p, 4);
        return ip_in(v6, 16, c->p);
    }
    return 0;
}

/* ---- the public entry points -------------------------------------------- */

int mh_x509_gn_smtputf8(const mh_x509_gn *gn, mh_x509_span *mbox)
{
    static const uint8_t oid[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x09};
    mh_der d, v;
    mh_der_elem o, x, s;
    if (gn->type != MH_GN_OTHER)
        return 0;
    mh_der_init(&d, gn->val.p, gn->val.len);
    if (mh_der_expect(&d, MH_DER_OID, &o) || !mh_der_oid_is(&o, oid, sizeof oid))
        return 0;
    if (mh_der_expect(&d, MH_DER_CTX_C(0), &x) || !mh_der_done(&d))
        return MH_ERR_PARSE;
    mh_der_enter(&v, &x);
    if (mh_der_expect(&v, MH_DER_UTF8_STRING, &s) || !mh_der_done(&v))
        return MH_ERR_PARSE;
    mbox->p = s.val;
    mbox->len = s.len;
    return 1;
}

static int gn_match(const mh_x509_gn *name, const mh_x509_gn *subtree, bool overlap)
{
    mh_x509_span mbox;
    int rc;
    if (subtree->type == MH_GN_EMAIL && (rc = mh_x509_gn_smtputf8(name, &mbox)) != 0)
        return rc < 0 ? rc : email_match(&mbox, true, &subtree->val);
    if (name->type != subtree->type)
        return 0;
    switch (name->type) {
    case MH_GN_DIRNAME: {
        mh_x509_name a, b;
        if (mh_x509_name_parse(&a, name->val.p, name->val.len) ||
            mh_x509_name_parse(&b, subtree->val.p, subtree->val.len))
            return MH_ERR_PARSE;
        return mh_x509_name_prefix(&a, &b);
    }
    case MH_GN_EMAIL:
        return email_match(&name->val, false, &subtree->val);
    case MH_GN_DNS:
        return dns_match(&name->val, &subtree->val, overlap);
    case MH_GN_URI:
        return uri_match(&name->val, &subtree->val);
    case MH_GN_IP:
        return ip_match(&name->val, &subtree->val, overlap);
    default:
        return MH_ERR_UNSUPPORTED;
    }
}

int mh_x509_gn_within(const mh_x509_gn *name, const mh_x509_gn *subtree)
{
    return gn_match(name, subtree, false);
}

int mh_x509_gn_overlaps(const mh_x509_gn *name, const mh_x509_gn *subtree)
{
    return gn_match(name, subtree, true);
}

int mh_x509_subtree_check(const mh_x509_gn *base)
{
    switch (base->type) {
    case MH_GN_DNS:
    case MH_GN_URI:
        return dns_constraint_ok(base->val.p, base->val.len) ? 0 : MH_ERR_PARSE;
    case MH_GN_EMAIL:
        return email_constraint_ok(&base->val) ? 0 : MH_ERR_PARSE;
    case MH_GN_IP:
        return (base->val.len == 8 || base->val.len == 32) &&
                       mask_ok(base->val.p + base->val.len / 2, base->val.len / 2)
                   ? 0
                   : MH_ERR_PARSE;
    case MH_GN_DIRNAME: {
        mh_x509_name n;
        return mh_x509_name_parse(&n, base->val.p, base->val.len) ? MH_ERR_PARSE : 0;
    }
    default:
        return 0;
    }
}
