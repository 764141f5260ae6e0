/*
 * cmd_ca.c - `mohur ca init|issue|revoke|crl|list`: root and issuing CAs
 * whose keys stay on tokens, certificates by profile, revocation and CRLs,
 * kept in the CA's LMDB database (host/cadb).
 */
#include "cli.h"
#include "mh_app.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_app_ca.h"
#include "mh_cadb.h"
#include "mh_keys.h"
#include "mh_pki.h"

#define SPKI_CAP 4096
#define MULTI_MAX MH_CA_LIST_MAX
#define DAYS_MAX 36500

/* ---- shared helpers ------------------------------------------------------ */

struct list {
    const char *v[MULTI_MAX];
    size_t n;
};

static int list_add(struct list *l, const char *opt, const char *v)
{
    if (l->n == MULTI_MAX)
        return mh_cli_usage("%s is given more than %d times", opt, MULTI_MAX);
    l->v[l->n++] = v;
    return MH_EXIT_OK;
}

static int parse_days(const char *s, long *days)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!s[0] || *end || v < 1 || v > DAYS_MAX)
        return mh_cli_usage("--days must be a whole number of days from 1 to %d", DAYS_MAX);
    *days = v;
    return MH_EXIT_OK;
}

static const char *ca_dir(const char *opt, char *buf, size_t cap)
{
    if (opt)
        return opt;
    snprintf(buf, cap, "%s/ca", mh_cli_state_dir());
    return buf;
}

static int open_db(const char *dir, bool create, mh_cadb **db)
{
    int rc = mh_cadb_open(dir, create, db);
    if (rc) {
        *db = NULL;
        int code = mh_cli_fail(rc, "opening the CA in %s", dir);
        return rc == MH_ERR_NOT_FOUND ? MH_EXIT_INPUT : code;
    }
    return MH_EXIT_OK;
}

/* Opens a second key, sharing the module (and the token, when it is the
 * same one) with `base`: a PKCS#11 module is loaded once per process. */
static int open_second(mh_cli_ctx *base, mh_cli_ctx *c, const char *uri, const char *module,
                       const char *what, bool login, bool *shared_mod, bool *shared_tok)
{
    int ret, rc;

    *shared_mod = *shared_tok = false;
    ret = mh_cli_parse_uri(c, uri, what, module);
    if (ret)
        return ret;
    bool same_mod = (!c->uri.module_path && !c->uri.module_name && !base->uri.module_path &&
                     !base->uri.module_name) ||
                    (c->uri.module_path && base->uri.module_path &&
                     strcmp(c->uri.module_path, base->uri.module_path) == 0) ||
                    (c->uri.module_name && base->uri.module_name &&
                     strcmp(c->uri.module_name, base->uri.module_name) == 0);
    if (same_mod) {
        c->mod = base->mod;
        *shared_mod = true;
    } else {
        ret = mh_cli_load_module(c);
        if (ret)
            return ret;
    }
    bool same_tok = *shared_mod && c->uri.token && base->uri.token &&
                    strcmp(c->uri.token, base->uri.token) == 0 &&
                    !c->uri.serial == !base->uri.serial &&
                    (!c->uri.serial || strcmp(c->uri.serial, base->uri.serial) == 0);
    if (same_tok) {
        c->tok = base->tok;
        *shared_tok = true;
    } else {
        rc = mh_hsm_token_open(c->mod, &c->uri, &c->tok);
        if (rc) {
            c->tok = NULL;
            return mh_cli_fail(rc, "opening %s", c->token_name);
        }
    }
    if (login || c->uri.pin_source) {
        ret = mh_cli_login(c);
        if (ret)
            return ret;
    }
    rc = mh_hsm_key_find(c->tok, &c->uri, &c->key);
    if (rc) {
        c->key = NULL;
        return mh_cli_fail(rc, "finding %s", c->key_name);
    }
    return MH_EXIT_OK;
}

static void close_second(mh_cli_ctx *c, bool shared_mod, bool shared_tok)
{
    if (shared_tok)
        c->tok = NULL;
    if (shared_mod)
        c->mod = NULL;
    mh_cli_close(c);
}

/* Opens the CA's signing key and its signer. */
static int open_ca_key(mh_cli_ctx *c, const char *uri, const char *module, const char *dir,
                       mh_signer *pk)
{
    int ret = mh_cli_open_key(c, uri, module, MH_CLI_LOGIN_ALWAYS);
    if (ret) {
        if (ret == MH_EXIT_TOKEN)
            fprintf(stderr,
                    "mohur: the CA in %s signs with the key %s; insert the token that holds "
                    "it (or give the key's URI with --key)\n",
                    dir, c->key_name[0] ? c->key_name : "named in its configuration");
        return ret;
    }
    int rc = mh_hsm_key_signer(c->key, MH_SIG_AUTO, pk);
    if (rc)
        return mh_cli_fail(rc, "using %s", c->key_name);
    return MH_EXIT_OK;
}

/* Reads a PEM (with this label) or DER file into a malloc'd DER buffer. */
static int read_der(const char *path, const char *label, uint8_t **der, size_t *len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    int ret = mh_cli_read_file(path, MH_CLI_SMALL_MAX, &buf, &n);
    if (ret)
        return ret;
    if (n > 0 && buf[0] == '-') {
        int rc = mh_keys_pem_read((const char *)buf, label, der, len, NULL);
        free(buf);
        if (rc == MH_ERR_NOMEM)
            return mh_cli_fail(rc, "reading %s", path);
        if (rc)
            return mh_cli_error(MH_EXIT_INPUT, "%s: not a PEM '%s' file", path, label);
        return MH_EXIT_OK;
    }
    *der = buf;
    *len = n;
    return MH_EXIT_OK;
}

static int write_pem(const char *path, const char *label, const uint8_t *der, size_t len)
{
    char *pem = NULL;
    size_t plen;
    int rc = mh_cli_pem(label, der, len, &pem, &plen);
    if (rc)
        return mh_cli_fail(rc, "encoding PEM");
    int ret = mh_cli_write_file(path, pem, plen, 0644);
    free(pem);
    return ret;
}

static void hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
    mh_cli_hex_encode(b, n, out, cap);
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
}

static void fmt_time(int64_t t, char out[24])
{
    char s[16];
    if (mh_ca_time_format(t, s) != 0) {
        snprintf(out, 24, "?");
        return;
    }
    snprintf(out, 24, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s", s, s + 4, s + 6, s + 8, s + 10, s + 12);
}

/* ---- ca init ------------------------------------------------------------- */

/* --ca DIR: every command's */
#define MH_CLI_CA(T, f)                                                                            \
    MH_CLI_STR(T, f, "ca", "DIR"), .dhelp = "the CA's directory (default: $MOHUR_STATE_DIR/ca)"

/* --days N into a long */
static int days_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    return parse_days(v, (long *)(void *)((char *)base + row->off));
}

/* a repeatable option into a struct list */
static int list_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    char what[48];
    snprintf(what, sizeof what, "--%s", row->name);
    return list_add((struct list *)(void *)((char *)base + row->off), what, v);
}

/* --path-len N */
static int path_len_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    char *end;
    long *path_len = (long *)(void *)((char *)base + row->off);
    *path_len = strtol(v, &end, 10);
    if (!v[0] || *end || *path_len < 0 || *path_len > 16)
        return mh_cli_usage("--path-len must be a number from 0 to 16");
    return MH_EXIT_OK;
}

struct init_args {
    const char *dir_opt;
    const char *key;
    const char *subject;
    const char *parent;
    const char *parent_key;
    const char *crl_url;
    const char *aia_url;
    const char *module;
    bool json;
    long days, def_days, path_len;
    struct list pdns, pemail, pdn, pol;
};
static const struct mh_cli_opt ca_init_rows[] = {
    {MH_CLI_KEY(struct init_args, key), .help = "the CA's key, e.g. 'pkcs11:token=CA;object=root'"},
    {MH_CLI_STR(struct init_args, subject, "subject", "DN"),
     .help = "the CA's name, e.g. \"CN=Mohur Root CA,O=Mohur,C=AZ\" (escape , + = \\ in values "
             "with \\; UTF-8 is kept)"},
    {MH_CLI_CALL("days", "N", days_opt), MH_CLI_FIELD(struct init_args, days),
     .help = "validity (default 7300 for a root, 3650 for an issuing CA, at most up to the "
             "parent's end)"},
    {MH_CLI_STR(struct init_args, parent, "parent-ca", "DIR"),
     .help = "make an issuing CA under the CA in DIR"},
    {MH_CLI_STR(struct init_args, parent_key, "parent-key", "URI"),
     .help = "the parent's key (default: the one in its configuration)"},
    {MH_CLI_CALL("path-len", "N", path_len_opt), MH_CLI_FIELD(struct init_args, path_len),
     .help = "issuing CA: how many CAs may follow it (default 0)"},
    {MH_CLI_CALL("permit-dns", "D", list_opt), MH_CLI_FIELD(struct init_args, pdns),
     .help = "issuing CA: name constraints (permitted subtrees): a DNS name"},
    {MH_CLI_CALL("permit-email", "E", list_opt), MH_CLI_FIELD(struct init_args, pemail),
     .help = "... an e-mail address or domain"},
    {MH_CLI_CALL("permit-dn", "DN", list_opt), MH_CLI_FIELD(struct init_args, pdn),
     .help = "... a directory name"},
    {MH_CLI_STR(struct init_args, crl_url, "crl-url", "URL"),
     .help = "the CRL distribution point put in certificates THIS CA issues"},
    {MH_CLI_STR(struct init_args, aia_url, "aia-url", "URL"),
     .help = "the caIssuers URL put in certificates THIS CA issues"},
    {MH_CLI_CALL("policy", "PROFILE=OID", list_opt), MH_CLI_FIELD(struct init_args, pol),
     .help = "the policy OID for certificates of a profile this CA issues (issuing, notary, seal, "
             "registry, tsa, tls) (default: mohur's arc 2.25.1866...517.1.N, see docs/ca.md)"},
    {MH_CLI_CALL("default-days", "N", days_opt), MH_CLI_FIELD(struct init_args, def_days),
     .help = "validity of issued certificates (default 365)"},
    {MH_CLI_CA(struct init_args, dir_opt)},
    {MH_CLI_JSON(struct init_args, json)},
    {MH_CLI_MODULE(struct init_args, module)},
    {0}};
static const struct mh_cli_spec ca_init_spec = {
    .usage = "mohur ca init --key URI --subject DN [--ca DIR] [--days N]\n"
             "                     [--parent-ca DIR [--parent-key URI]] [--path-len N]\n"
             "                     [--permit-dns D]... [--permit-email E]... [--permit-dn DN]...\n"
             "                     [--crl-url URL] [--aia-url URL] [--policy PROFILE=OID]...\n"
             "                     [--default-days N] [--module M] [--json]",
    .about = "Create a certificate authority: a root CA (self-signed) or an issuing CA\n"
             "(certified by a parent CA), with its key on a token and its database.\n"
             "\n"
             "The key must already be on the token (mohur key generate); it never leaves\n"
             "it. The CA certificate is written to DIR/ca.crt and, with the parents',\n"
             "to DIR/chain.pem. For an issuing CA, the parent CA signs with its own key\n"
             "and records the new CA's certificate in its database.\n",
    .opts = ca_init_rows,
    .more = "Example:\n"
            "  mohur ca init --ca /var/lib/mohur/root \\\n"
            "      --key 'pkcs11:token=CA;object=root?pin-source=file:/etc/mohur/ca.pin' \\\n"
            "      --subject 'CN=Mohur Root CA,O=Mohur,C=AZ'\n",
};

/* --policy PROFILE=OID, each checked; names holds the profiles' names. */
static int parse_policies(const struct list *pol, char names[][24], mh_app_ca_policy *pols)
{
    for (size_t i = 0; i < pol->n; i++) {
        const char *eq = strchr(pol->v[i], '=');
        uint8_t o[64];
        size_t ol;
        if (!eq || (size_t)(eq - pol->v[i]) >= sizeof names[i])
            return mh_cli_usage("--policy takes PROFILE=OID, e.g. --policy notary=1.2.3.4");
        snprintf(names[i], sizeof names[i], "%.*s", (int)(eq - pol->v[i]), pol->v[i]);
        enum mh_ca_profile pr = mh_ca_profile_from_name(names[i]);
        if (pr < MH_CA_PROFILE_ISSUING || mh_ca_oid_encode(eq + 1, o, sizeof o, &ol) != 0)
            return mh_cli_usage("--policy %.24s: the profile must be issuing, notary, seal, "
                                "registry, tsa or tls and the OID dotted (1.2.3.4)",
                                names[i]);
        pols[i] = (mh_app_ca_policy){names[i], eq + 1};
    }
    return MH_EXIT_OK;
}

/* What 'ca init' made, as text or JSON. */
static void print_made(const char *dir, bool issuing, const char *subject,
                       const mh_app_ca_cert *cert, bool json)
{
    char serial_hex[2 * MH_CA_SERIAL_LEN + 1], nb[24], na[24];
    hex(cert->serial, MH_CA_SERIAL_LEN, serial_hex, sizeof serial_hex);
    fmt_time(cert->not_before, nb);
    fmt_time(cert->not_after, na);
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "dir");
        mh_json_str(&j, dir);
        mh_json_key(&j, "kind");
        mh_json_str(&j, issuing ? "issuing" : "root");
        mh_json_key(&j, "subject");
        mh_json_str(&j, subject);
        mh_json_key(&j, "serial");
        mh_json_str(&j, serial_hex);
        mh_json_key(&j, "not_before");
        mh_json_str(&j, nb);
        mh_json_key(&j, "not_after");
        mh_json_str(&j, na);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("%s CA created in %s\n  subject:     %s\n  serial:      %s\n  valid:       %s "
               "to %s UTC\n  certificate: %s/ca.crt (chain: %s/chain.pem)\n",
               issuing ? "Issuing" : "Root", dir, subject, serial_hex, nb, na, dir, dir);
    }
}

static int cmd_ca_init(int argc, char **argv)
{
    struct init_args a = {.def_days = 365, .path_len = -1};
    int ret = MH_EXIT_USAGE, rc;
    bool shm = false, sht = false;
    char dirbuf[1024];
    mh_cli_ctx c, pc;
    mh_signer pk, ppk;
    mh_cadb *db = NULL, *pdb = NULL;
    uint8_t spki[SPKI_CAP];
    size_t spki_len = 0;
    char *p_uri = NULL;
    mh_app_ca_cert cert;

    memset(&c, 0, sizeof c);
    memset(&pc, 0, sizeof pc);
    memset(&pk, 0, sizeof pk);
    memset(&ppk, 0, sizeof ppk);
    memset(&cert, 0, sizeof cert);
    ret = mh_cli_parse(&ca_init_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    ret = MH_EXIT_USAGE;
    if (!a.key) {
        mh_cli_usage("--key is required: the CA's key on a token (pkcs11:...)");
        goto out;
    }
    if (!a.subject) {
        mh_cli_usage("--subject is required, e.g. --subject \"CN=Mohur Root CA,O=Mohur,C=AZ\"");
        goto out;
    }
    if (!a.parent && (a.parent_key || a.pdns.n || a.pemail.n || a.pdn.n)) {
        mh_cli_usage("--parent-key and --permit-* are for an issuing CA (with --parent-ca)");
        goto out;
    }
    /* policies: PROFILE=OID, checked now */
    char pol_names[MULTI_MAX][24];
    mh_app_ca_policy pols[MULTI_MAX];
    if ((ret = parse_policies(&a.pol, pol_names, pols)) != 0)
        goto out;
    ret = MH_EXIT_USAGE;
    const char *dir = ca_dir(a.dir_opt, dirbuf, sizeof dirbuf);
    if (a.parent && strcmp(a.parent, dir) == 0) {
        mh_cli_usage("--parent-ca must be another directory than --ca");
        goto out;
    }

    /* refuse early when DIR already holds a CA: nothing gets signed */
    if ((ret = open_db(dir, true, &db)) != 0)
        goto out;
    {
        char *existing = mh_app_ca_config(db, "key_uri");
        if (existing) {
            free(existing);
            ret = mh_cli_error(MH_EXIT_USAGE,
                               "%s already holds a CA; choose another directory with --ca", dir);
            goto out;
        }
    }

    ret = mh_cli_open_key(&c, a.key, a.module, MH_CLI_LOGIN_ALWAYS);
    if (ret)
        goto out;
    if ((rc = mh_hsm_key_public_der(c.key, spki, sizeof spki, &spki_len)) != 0 ||
        (rc = mh_hsm_key_signer(c.key, MH_SIG_AUTO, &pk)) != 0) {
        ret = mh_cli_fail(rc, "reading %s", c.key_name);
        goto out;
    }
    if (a.parent) {
        if ((ret = open_db(a.parent, false, &pdb)) != 0)
            goto out;
        p_uri = mh_app_ca_config(pdb, "key_uri");
        if (!a.parent_key && !p_uri) {
            ret = mh_cli_error(MH_EXIT_INPUT, "the parent CA in %s has no key URI", a.parent);
            goto out;
        }
        ret = open_second(&c, &pc, a.parent_key ? a.parent_key : p_uri, a.module, "--parent-key",
                          true, &shm, &sht);
        if (ret) {
            if (ret == MH_EXIT_TOKEN)
                fprintf(stderr,
                        "mohur: the parent CA in %s signs with that key; insert its "
                        "token (or give --parent-key)\n",
                        a.parent);
            goto out;
        }
        if ((rc = mh_hsm_key_signer(pc.key, MH_SIG_AUTO, &ppk)) != 0) {
            ret = mh_cli_fail(rc, "using %s", pc.key_name);
            goto out;
        }
    }
    mh_app_ca_new n;
    memset(&n, 0, sizeof n);
    n.subject = a.subject;
    n.spki = spki;
    n.spki_len = spki_len;
    n.key = &pk;
    n.key_uri = a.key;
    n.days = (unsigned)a.days;
    n.default_days = (unsigned)a.def_days;
    n.path_len = (int)a.path_len;
    n.parent = pdb;
    n.parent_key = pdb ? &ppk : NULL;
    n.permit_dns = a.pdns.v;
    n.n_permit_dns = a.pdns.n;
    n.permit_email = a.pemail.v;
    n.n_permit_email = a.pemail.n;
    n.permit_dn = a.pdn.v;
    n.n_permit_dn = a.pdn.n;
    n.crl_url = a.crl_url;
    n.aia_url = a.aia_url;
    n.policies = pols;
    n.n_policies = a.pol.n;
    n.dir = dir;
    if ((rc = mh_app_ca_create(db, &n, &cert)) != 0) {
        ret = mh_cli_fail(rc, "making the CA certificate");
        goto out;
    }
    print_made(dir, a.parent != NULL, a.subject, &cert, a.json);
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    close_second(&pc, shm, sht);
    mh_cli_close(&c);
    mh_cadb_close(pdb);
    mh_cadb_close(db);
    mh_app_ca_cert_free(&cert);
    free(p_uri);
    return ret;
}

/* ---- ca issue ------------------------------------------------------------ */

struct issue_args {
    const char *dir_opt;
    const char *profile_s;
    const char *subject;
    const char *csr_path;
    const char *from;
    const char *pub_path;
    const char *out_path;
    const char *key;
    const char *module;
    bool json;
    long days;
    struct list dns, ips, emails, pol;
};
static const struct mh_cli_opt ca_issue_rows[] = {
    {MH_CLI_STR(struct issue_args, profile_s, "profile", "P"),
     .help = "notary, seal, registry, tsa or tls"},
    {MH_CLI_STR(struct issue_args, subject, "subject", "DN"),
     .help = "the subject, e.g. \"CN=Əli Həsənov,O=Notariat,C=AZ\"; with --csr optional (default: "
             "the request's subject)"},
    {MH_CLI_STR(struct issue_args, csr_path, "csr", "FILE"),
     .help = "a PKCS#10 request (PEM or DER)"},
    {MH_CLI_STR(struct issue_args, from, "pubkey-from", "URI"),
     .help = "the public key of a key on a token"},
    {MH_CLI_STR(struct issue_args, pub_path, "pubkey", "FILE"),
     .help = "a public key (PEM 'PUBLIC KEY' or DER SubjectPublicKeyInfo)"},
    {MH_CLI_CALL("days", "N", days_opt), MH_CLI_FIELD(struct issue_args, days),
     .help = "validity (default: the CA's default, 365)"},
    {MH_CLI_CALL("dns", "NAME", list_opt), MH_CLI_FIELD(struct issue_args, dns),
     .help = "subject alternative names: a DNS name"},
    {MH_CLI_CALL("ip", "ADDR", list_opt), MH_CLI_FIELD(struct issue_args, ips),
     .help = "... an IP address"},
    {MH_CLI_CALL("email", "ADDR", list_opt), MH_CLI_FIELD(struct issue_args, emails),
     .help = "... an e-mail address"},
    {MH_CLI_CALL("policy", "OID", list_opt), MH_CLI_FIELD(struct issue_args, pol),
     .help = "certificate policy (default: the CA's for the profile)"},
    {MH_CLI_OUT(struct issue_args, out_path),
     .help = "write the certificate (PEM) there; default: standard output"},
    {MH_CLI_KEY(struct issue_args, key),
     .help = "the CA's key (default: the URI in the CA's configuration)"},
    {MH_CLI_CA(struct issue_args, dir_opt)},
    {MH_CLI_JSON(struct issue_args, json),
     .help = "print JSON about the certificate (needs --out)"},
    {MH_CLI_MODULE(struct issue_args, module)},
    {0}};
static const struct mh_cli_spec ca_issue_spec = {
    .usage = "mohur ca issue --profile P --subject DN (--csr FILE | --pubkey-from URI |\n"
             "                      --pubkey FILE) [--days N] [--dns NAME]... [--ip ADDR]...\n"
             "                      [--email ADDR]... [--policy OID]... [--out FILE]\n"
             "                      [--ca DIR] [--key URI] [--module M] [--json]",
    .about = "Issue a certificate of a profile, signed by the CA's key on its token.\n"
             "\n"
             "Profiles: notary (digitalSignature, nonRepudiation, documentSigning),\n"
             "seal (the same, for an organisation: O= required), registry (receipts and\n"
             "log checkpoints: digitalSignature), tsa (timeStamping, critical), tls\n"
             "(serverAuth; --dns or --ip required). The profile decides the extensions:\n"
             "extensions requested in a CSR are ignored. A CSR must carry a valid\n"
             "signature by its own key (proof of possession).\n",
    .opts = ca_issue_rows,
    .more = "Example:\n"
            "  mohur ca issue --ca /var/lib/mohur/issuing --profile notary \\\n"
            "      --subject 'CN=Əli Həsənov,O=Notariat,C=AZ' --csr notary.csr --out notary.crt\n",
};

/* The subject's key from --csr (checked, with its subject) or --pubkey. */
static int read_subject_key(const struct issue_args *a, uint8_t *spki, size_t cap, size_t *spki_len,
                            uint8_t *subj_der, size_t subj_cap, size_t *subj_len)
{
    uint8_t *in = NULL;
    size_t in_len = 0;
    int ret = MH_EXIT_OK, rc;

    if (a->csr_path) {
        if ((ret = read_der(a->csr_path, "CERTIFICATE REQUEST", &in, &in_len)) != 0)
            return ret;
        rc = mh_ca_csr_check(in, in_len, spki, cap, spki_len, subj_der, subj_cap, subj_len);
        if (rc) {
            ret = mh_cli_fail(rc, "checking the certificate request %s", a->csr_path);
            if (rc == MH_ERR_VERIFY_FAILED)
                ret = MH_EXIT_INVALID;
        }
    } else if (a->pub_path) {
        if ((ret = read_der(a->pub_path, "PUBLIC KEY", &in, &in_len)) != 0)
            return ret;
        if (mh_keys_spki_parse(in, in_len, spki, cap, spki_len) != 0)
            ret = mh_cli_error(MH_EXIT_INPUT,
                               "%s: not a public key (PEM 'PUBLIC KEY' or DER "
                               "SubjectPublicKeyInfo)",
                               a->pub_path);
    }
    free(in);
    return ret;
}

static int cmd_ca_issue(int argc, char **argv)
{
    struct issue_args a = {0};
    int ret = MH_EXIT_USAGE, rc;
    bool shm = false, sht = false;
    char dirbuf[1024];
    mh_cli_ctx c, kc;
    mh_signer pk;
    mh_cadb *db = NULL;
    uint8_t spki[SPKI_CAP], subj_der[MH_CA_DN_MAX];
    size_t spki_len = 0, subj_len = 0;
    char *key_uri = NULL;
    enum mh_ca_profile profile;
    mh_app_ca_cert cert;

    memset(&c, 0, sizeof c);
    memset(&kc, 0, sizeof kc);
    memset(&pk, 0, sizeof pk);
    memset(&cert, 0, sizeof cert);
    ret = mh_cli_parse(&ca_issue_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    ret = MH_EXIT_USAGE;
    profile = mh_ca_profile_from_name(a.profile_s);
    if (profile < MH_CA_PROFILE_NOTARY) {
        mh_cli_usage("--profile must be notary, seal, registry, tsa or tls (CAs are made with "
                     "'mohur ca init')");
        goto out;
    }
    if ((a.csr_path != NULL) + (a.from != NULL) + (a.pub_path != NULL) != 1) {
        mh_cli_usage("give exactly one of --csr FILE, --pubkey-from URI or --pubkey FILE");
        goto out;
    }
    if (!a.subject && !a.csr_path) {
        mh_cli_usage("--subject is required (only a CSR brings its own subject)");
        goto out;
    }
    if (a.json && !a.out_path) {
        mh_cli_usage("--json describes the certificate written with --out");
        goto out;
    }
    const char *dir = ca_dir(a.dir_opt, dirbuf, sizeof dirbuf);
    if ((ret = open_db(dir, false, &db)) != 0)
        goto out;
    key_uri = mh_app_ca_config(db, "key_uri");
    if (!a.key && !key_uri) {
        ret =
            mh_cli_error(MH_EXIT_STORAGE, "the CA in %s has no key URI in its configuration", dir);
        goto out;
    }

    /* the subject's key, before the token: a bad file costs no PIN */
    if ((ret = read_subject_key(&a, spki, sizeof spki, &spki_len, subj_der, sizeof subj_der,
                                &subj_len)) != 0)
        goto out;
    if ((ret = open_ca_key(&c, a.key ? a.key : key_uri, a.module, dir, &pk)) != 0)
        goto out;
    if (a.from) {
        ret = open_second(&c, &kc, a.from, a.module, "--pubkey-from", false, &shm, &sht);
        if (ret)
            goto out;
        rc = mh_hsm_key_public_der(kc.key, spki, sizeof spki, &spki_len);
        if (rc) {
            ret = mh_cli_fail(rc, "reading the public key of %s", kc.key_name);
            goto out;
        }
    }

    mh_app_ca_req r;
    memset(&r, 0, sizeof r);
    r.profile = profile;
    r.subject = a.subject;
    if (!a.subject) {
        r.subject_der = subj_der;
        r.subject_der_len = subj_len;
    }
    r.spki = spki;
    r.spki_len = spki_len;
    r.days = (unsigned)a.days;
    r.dns = a.dns.v;
    r.n_dns = a.dns.n;
    r.ips = a.ips.v;
    r.n_ips = a.ips.n;
    r.emails = a.emails.v;
    r.n_emails = a.emails.n;
    r.policies = a.pol.v;
    r.n_policies = a.pol.n;
    rc = mh_app_ca_issue(db, &pk, &r, &cert);
    if (rc) {
        ret = mh_cli_fail(rc, "issuing the %s certificate", mh_ca_profile_name(profile));
        goto out;
    }
    if ((ret = write_pem(a.out_path, "CERTIFICATE", cert.der, cert.der_len)) != 0)
        goto out;
    char serial_hex[2 * MH_CA_SERIAL_LEN + 1];
    hex(cert.serial, MH_CA_SERIAL_LEN, serial_hex, sizeof serial_hex);
    if (a.json) {
        char nb[24], na[24];
        fmt_time(cert.not_before, nb);
        fmt_time(cert.not_after, na);
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "serial");
        mh_json_str(&j, serial_hex);
        mh_json_key(&j, "profile");
        mh_json_str(&j, mh_ca_profile_name(profile));
        mh_json_key(&j, "subject");
        mh_json_str(&j, cert.subject);
        mh_json_key(&j, "not_before");
        mh_json_str(&j, nb);
        mh_json_key(&j, "not_after");
        mh_json_str(&j, na);
        mh_json_key(&j, "file");
        mh_json_str(&j, a.out_path);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else if (a.out_path && strcmp(a.out_path, "-") != 0) {
        printf("%s\n", serial_hex);
    } else {
        fprintf(stderr, "mohur: issued serial %s\n", serial_hex);
    }
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    close_second(&kc, shm, sht);
    mh_cli_close(&c);
    mh_cadb_close(db);
    mh_app_ca_cert_free(&cert);
    free(key_uri);
    return ret;
}

/* ---- ca revoke ----------------------------------------------------------- */

struct revoke_args {
    const char *dir_opt;
    const char *reason_s;
    bool json;
};
static const struct mh_cli_opt ca_revoke_rows[] = {
    {MH_CLI_STR(struct revoke_args, reason_s, "reason", "R"),
     .help = "keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, "
             "certificateHold, privilegeWithdrawn or unspecified"},
    {MH_CLI_CA(struct revoke_args, dir_opt)},
    {MH_CLI_JSON(struct revoke_args, json)},
    {0}};
static const struct mh_cli_spec ca_revoke_spec = {
    .usage = "mohur ca revoke SERIAL --reason REASON [--ca DIR] [--json]",
    .about = "Revoke a certificate this CA issued. The revocation is recorded at once;\n"
             "it reaches relying parties with the next CRL ('mohur ca crl').\n"
             "\n"
             "SERIAL is the hexadecimal serial shown by 'mohur ca list' (or by\n"
             "'openssl x509 -serial'). A revocation cannot be changed or undone.\n",
    .opts = ca_revoke_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give exactly one SERIAL (hexadecimal, from 'mohur ca list')",
    .more = "Example:\n"
            "  mohur ca revoke 4F1A...C2 --reason keyCompromise\n",
};

static int cmd_ca_revoke(int argc, char **argv)
{
    struct revoke_args a = {0};
    int ret = MH_EXIT_USAGE, rc, reason = -1;
    const char *dir_opt = NULL, *reason_s = NULL, *serial_s = NULL;
    bool json = false;
    char dirbuf[1024];
    uint8_t serial[20];
    size_t serial_len = 0;
    mh_cadb *db = NULL;

    ret = mh_cli_parse(&ca_revoke_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    dir_opt = a.dir_opt;
    reason_s = a.reason_s;
    json = a.json;
    ret = MH_EXIT_USAGE;
    serial_s = argv[optind];
    if (mh_cli_hex_decode(serial_s, serial, sizeof serial, &serial_len) != 0 || serial_len == 0) {
        mh_cli_usage("SERIAL must be 1 to 20 bytes in hexadecimal (from 'mohur ca list')");
        goto out;
    }
    if (!reason_s) {
        mh_cli_usage("--reason is required (e.g. --reason keyCompromise)");
        goto out;
    }
    reason = mh_crl_reason_from_name(reason_s);
    if (reason < 0) {
        mh_cli_usage("unknown reason '%.40s': use keyCompromise, cACompromise, "
                     "affiliationChanged, superseded, cessationOfOperation, certificateHold, "
                     "privilegeWithdrawn or unspecified",
                     reason_s);
        goto out;
    }
    const char *dir = ca_dir(dir_opt, dirbuf, sizeof dirbuf);
    if ((ret = open_db(dir, false, &db)) != 0)
        goto out;
    int64_t now = (int64_t)time(NULL);
    rc = mh_cadb_revoke(db, serial, serial_len, now, reason);
    if (rc) {
        char h[41];
        hex(serial, serial_len, h, sizeof h);
        ret = mh_cli_fail(rc, "revoking %s", h);
        if (rc == MH_ERR_NOT_FOUND || rc == MH_ERR_ALREADY_EXISTS)
            ret = MH_EXIT_INPUT;
        goto out;
    }
    char h[41];
    hex(serial, serial_len, h, sizeof h);
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "serial");
        mh_json_str(&j, h);
        mh_json_key(&j, "reason");
        mh_json_str(&j, mh_crl_reason_name(reason));
        mh_json_key(&j, "revoked_at");
        mh_json_int(&j, now);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("Revoked %s (%s). Publish it with 'mohur ca crl --publish'.\n", h,
               mh_crl_reason_name(reason));
    }
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    mh_cadb_close(db);
    return ret;
}

/* ---- ca release ---------------------------------------------------------- */

struct release_args {
    const char *dir_opt;
};
static const struct mh_cli_opt ca_release_rows[] = {{MH_CLI_CA(struct release_args, dir_opt)}, {0}};
static const struct mh_cli_spec ca_release_spec = {
    .usage = "mohur ca release SERIAL [--ca DIR]",
    .about = "Lift a hold: a certificate revoked with reason certificateHold is no longer\n"
             "listed (RFC 5280: the next complete CRL omits it). Signing with it works\n"
             "again at once; verifiers learn it from the next CRL ('mohur ca crl\n"
             "--publish'). A revocation for any other reason is final.\n",
    .opts = ca_release_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give exactly one SERIAL (hexadecimal, from 'mohur ca list')",
    .more = "Example:\n"
            "  mohur ca release 4F1A...C2 && mohur ca crl --publish\n",
};

static int cmd_ca_release(int argc, char **argv)
{
    struct release_args a = {0};
    int ret, rc;
    const char *dir_opt = NULL;
    char dirbuf[1024], h[41];
    uint8_t serial[20];
    size_t serial_len = 0;
    mh_cadb *db = NULL;

    if ((ret = mh_cli_parse(&ca_release_spec, argc, argv, &a)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    dir_opt = a.dir_opt;
    if (mh_cli_hex_decode(argv[optind], serial, sizeof serial, &serial_len) != 0 || serial_len == 0)
        return mh_cli_usage("SERIAL must be 1 to 20 bytes in hexadecimal (from 'mohur ca list')");
    const char *dir = ca_dir(dir_opt, dirbuf, sizeof dirbuf);
    if ((ret = open_db(dir, false, &db)) != 0)
        return ret;
    hex(serial, serial_len, h, sizeof h);
    rc = mh_cadb_release(db, serial, serial_len);
    mh_cadb_close(db);
    if (rc)
        return mh_cli_fail(rc, "releasing %s", h);
    printf("Released %s from its hold. Publish it with 'mohur ca crl --publish'.\n", h);
    return fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
}

/* ---- ca crl -------------------------------------------------------------- */

struct crl_args {
    const char *dir_opt;
    const char *out_path;
    const char *key;
    const char *module;
    bool publish;
    long days;
};
static const struct mh_cli_opt ca_crl_rows[] = {
    {MH_CLI_FLAG(struct crl_args, publish, "publish"),
     .help = "the appliance's CRL, published where it is read"},
    {MH_CLI_OUT(struct crl_args, out_path),
     .help = "write the CRL (PEM) there; default: standard output"},
    {MH_CLI_CALL("days", "N", days_opt), MH_CLI_FIELD(struct crl_args, days),
     .help = "next update after N days (default 7)"},
    {MH_CLI_KEY(struct crl_args, key),
     .help = "the CA's key (default: the URI in the CA's configuration)"},
    {MH_CLI_CA(struct crl_args, dir_opt)},
    {MH_CLI_MODULE(struct crl_args, module)},
    {0}};
static const struct mh_cli_spec ca_crl_spec = {
    .usage = "mohur ca crl [--out FILE] [--days N] [--ca DIR] [--key URI] [--module M]\n"
             "       mohur ca crl --publish [--days N]",
    .about = "Issue a CRL (RFC 5280, version 2) listing every certificate this CA\n"
             "revoked, signed with the CA's key, and keep it in the CA's database.\n"
             "\n"
             "--publish issues the appliance's own CRL (its root CA in $MOHUR_STATE_DIR)\n"
             "and puts it where signing and verifying read it (certs/root.crl, and\n"
             "certs/root.crl.pem): one step from 'mohur ca revoke' or 'mohur ca release'\n"
             "to every verifier. Without a current CRL, verify says the revocation status\n"
             "is unknown (exit 9).\n",
    .opts = ca_crl_rows,
    .more = "Example:\n"
            "  mohur ca crl --ca /var/lib/mohur/issuing --out /srv/www/issuing.crl\n",
};

/* The appliance's CRL, through its service (host/app). */
static int publish_crl(unsigned days)
{
    mh_app *a = NULL;
    uint64_t number = 0;
    size_t n = 0;
    /* the root key and the CA database; the ledger only read (a running
     * mohurd holds it, and a CRL writes nothing to it) */
    int rc = mh_app_open_ex(mh_cli_state_dir(), MH_APP_KEYS_ONLY, &a);
    if (rc)
        return mh_cli_fail(rc, "opening the appliance in %s", mh_cli_state_dir());
    rc = mh_app_crl_publish(a, days, &number, &n);
    mh_app_close(a);
    if (rc)
        return mh_cli_fail(rc, "publishing the CRL");
    mh_cli_daemon_reload("the CRL");
    printf("CRL number %llu published (%zu certificate%s revoked or on hold; next update in %u "
           "day%s): %s/certs/root.crl\n",
           (unsigned long long)number, n, n == 1 ? "" : "s", days, days == 1 ? "" : "s",
           mh_cli_state_dir());
    return fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
}

static int cmd_ca_crl(int argc, char **argv)
{
    struct crl_args a = {.days = 7};
    int ret = MH_EXIT_USAGE, rc;
    char dirbuf[1024];
    mh_cadb *db = NULL;
    mh_cli_ctx c;
    mh_signer pk;
    uint8_t *crl = NULL;
    size_t crl_len = 0, n = 0;
    char *key_uri = NULL;
    uint64_t number = 0;

    memset(&c, 0, sizeof c);
    memset(&pk, 0, sizeof pk);
    ret = mh_cli_parse(&ca_crl_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    if (a.publish) {
        if (a.dir_opt || a.out_path || a.key || a.module) {
            ret = mh_cli_usage("--publish issues the appliance's own CRL: it takes only --days");
            goto out;
        }
        ret = publish_crl((unsigned)a.days);
        goto out;
    }
    const char *dir = ca_dir(a.dir_opt, dirbuf, sizeof dirbuf);
    if ((ret = open_db(dir, false, &db)) != 0)
        goto out;
    key_uri = mh_app_ca_config(db, "key_uri");
    if (!a.key && !key_uri) {
        ret = mh_cli_error(MH_EXIT_STORAGE, "the CA in %s has no key URI", dir);
        goto out;
    }
    if ((ret = open_ca_key(&c, a.key ? a.key : key_uri, a.module, dir, &pk)) != 0)
        goto out;
    int64_t now = (int64_t)time(NULL);
    rc = mh_app_ca_crl(db, &pk, NULL, 0, now, now + 86400LL * a.days, &crl, &crl_len, &number, &n);
    if (rc) {
        ret = number ? mh_cli_fail(rc, "issuing CRL number %llu", (unsigned long long)number)
                     : mh_cli_fail(rc, "reading the CA in %s", dir);
        goto out;
    }
    if ((ret = write_pem(a.out_path, "X509 CRL", crl, crl_len)) != 0)
        goto out;
    if (a.out_path && strcmp(a.out_path, "-") != 0)
        printf("CRL number %llu with %zu revoked certificate%s written to %s\n",
               (unsigned long long)number, n, n == 1 ? "" : "s", a.out_path);
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    mh_cli_close(&c);
    mh_cadb_close(db);
    free(crl);
    free(key_uri);
    return ret;
}

/* ---- ca list ------------------------------------------------------------- */

struct list_args {
    const char *dir_opt;
    bool json;
};
static const struct mh_cli_opt ca_list_rows[] = {
    {MH_CLI_CA(struct list_args, dir_opt)},
    {MH_CLI_JSON(struct list_args, json),
     .help = "print JSON: {\"ca\": {...}, \"certificates\": [{...}, ...]}"},
    {0}};
static const struct mh_cli_spec ca_list_spec = {
    .usage = "mohur ca list [--ca DIR] [--json]",
    .about = "List the certificates this CA issued, with their status.\n",
    .opts = ca_list_rows,
    .more = "Example:\n"
            "  mohur ca list --ca /var/lib/mohur/issuing --json\n",
};

static int cmd_ca_list(int argc, char **argv)
{
    struct list_args a = {0};
    int ret = MH_EXIT_USAGE, rc;
    const char *dir_opt = NULL;
    bool json = false;
    char dirbuf[1024];
    mh_cadb *db = NULL;
    mh_cadb_cert *list = NULL;
    size_t n = 0;
    char *subject = NULL, *kind = NULL, *key_uri = NULL;
    uint64_t next = 0;

    ret = mh_cli_parse(&ca_list_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    dir_opt = a.dir_opt;
    json = a.json;
    const char *dir = ca_dir(dir_opt, dirbuf, sizeof dirbuf);
    if ((ret = open_db(dir, false, &db)) != 0)
        goto out;
    subject = mh_app_ca_config(db, "subject");
    kind = mh_app_ca_config(db, "kind");
    key_uri = mh_app_ca_config(db, "key_uri");
    if ((rc = mh_cadb_cert_list(db, &list, &n)) != 0 || (rc = mh_cadb_crl_next(db, &next)) != 0) {
        ret = mh_cli_fail(rc, "reading the CA in %s", dir);
        goto out;
    }
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "ca");
        mh_json_obj_begin(&j);
        mh_json_key(&j, "dir");
        mh_json_str(&j, dir);
        mh_json_key(&j, "kind");
        mh_json_str(&j, kind ? kind : "");
        mh_json_key(&j, "subject");
        mh_json_str(&j, subject ? subject : "");
        mh_json_key(&j, "key");
        mh_json_str(&j, key_uri ? key_uri : "");
        mh_json_key(&j, "next_crl_number");
        mh_json_uint(&j, next);
        mh_json_obj_end(&j);
        mh_json_key(&j, "certificates");
        mh_json_arr_begin(&j);
        for (size_t i = 0; i < n; i++) {
            char h[41], nb[24], na[24];
            hex(list[i].serial, list[i].serial_len, h, sizeof h);
            fmt_time(list[i].not_before, nb);
            fmt_time(list[i].not_after, na);
            mh_json_obj_begin(&j);
            mh_json_key(&j, "serial");
            mh_json_str(&j, h);
            mh_json_key(&j, "profile");
            mh_json_str(&j, mh_ca_profile_name((enum mh_ca_profile)list[i].profile));
            mh_json_key(&j, "subject");
            mh_json_str(&j, list[i].subject);
            mh_json_key(&j, "not_before");
            mh_json_str(&j, nb);
            mh_json_key(&j, "not_after");
            mh_json_str(&j, na);
            mh_json_key(&j, "status");
            mh_json_str(&j, list[i].revoked ? "revoked" : "valid");
            if (list[i].revoked) {
                char ra[24];
                fmt_time(list[i].revoked_at, ra);
                mh_json_key(&j, "revoked_at");
                mh_json_str(&j, ra);
                mh_json_key(&j, "reason");
                mh_json_str(&j, mh_crl_reason_name(list[i].reason));
            }
            mh_json_obj_end(&j);
        }
        mh_json_arr_end(&j);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("%s CA: %s\n  directory: %s\n  key:       %s\n  next CRL:  %llu\n\n",
               kind && strcmp(kind, "issuing") == 0 ? "Issuing" : "Root", subject ? subject : "?",
               dir, key_uri ? key_uri : "?", (unsigned long long)next);
        if (n == 0)
            printf("No certificates issued yet.\n");
        else
            printf("%-32s  %-8s  %-8s  %-10s  %s\n", "SERIAL", "PROFILE", "STATUS", "EXPIRES",
                   "SUBJECT");
        for (size_t i = 0; i < n; i++) {
            char h[41], na[24];
            hex(list[i].serial, list[i].serial_len, h, sizeof h);
            fmt_time(list[i].not_after, na);
            na[10] = 0;
            printf("%-32s  %-8s  %-8s  %-10s  %s\n", h,
                   mh_ca_profile_name((enum mh_ca_profile)list[i].profile),
                   list[i].revoked ? "revoked" : "valid", na, list[i].subject);
        }
    }
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    mh_cadb_cert_list_free(list, n);
    mh_cadb_close(db);
    free(subject);
    free(kind);
    free(key_uri);
    return ret;
}

const struct mh_cli_cmd mh_cli_ca_cmds[] = {
    {"init", "create a root or issuing CA with its key on a token", &ca_init_spec, cmd_ca_init,
     NULL},
    {"issue", "issue a certificate by profile (notary, seal, registry, tsa, tls)", &ca_issue_spec,
     cmd_ca_issue, NULL},
    {"revoke", "revoke a certificate this CA issued (or put it on hold)", &ca_revoke_spec,
     cmd_ca_revoke, NULL},
    {"release", "lift a certificate's hold", &ca_release_spec, cmd_ca_release, NULL},
    {"crl", "issue a CRL signed by the CA's key", &ca_crl_spec, cmd_ca_crl, NULL},
    {"list", "list the certificates this CA issued", &ca_list_spec, cmd_ca_list, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
