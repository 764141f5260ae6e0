/*
 * init.c - `mohur init`: provisions the state directory (docs/flows.md).
 *
 * config.json is written last and atomically: its presence means the
 * state directory is complete. A failed init removes what it made.
 */
#define _XOPEN_SOURCE 700
#include "app_int.h"
#include "mh_app_ca.h"

#include <errno.h>
#include <dirent.h>
#include <grp.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_REGISTRY "AZ-DEMO"
#define DEFAULT_HOST "verify.mohur.test"

struct issuer_def {
    char id[MH_APP_ID_MAX + 1];
    char name[256];
    char profile[16];
    enum mh_key_type type;
    const char *kinds[4];
};

static const struct issuer_def default_issuers[] = {
    {"bdu", "Bak\xc4\xb1 D\xc3\xb6vl\xc9\x99t Universiteti", "seal", MH_KEY_EC_P256, {"diploma"}},
    {"agency",
     "\xc6\x8f"
     "dliyy\xc9\x99 Nazirliyi",
     "seal",
     MH_KEY_EC_P256,
     {"official-certificate", "court-decision", "labor-contract"}},
    {"notary",
     "Notarius Aynur M\xc9\x99mm\xc9\x99"
     "dova",
     "notary",
     MH_KEY_RSA_2048,
     {"notary-act", "labor-contract"}},
};

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

static bool valid_host(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MH_RECEIPT_HOST_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.' || *p == ':'))
            return false;
    return true;
}

/* DN value escaping for mh_ca_name_encode. */
static void dn_escape(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 2 < cap; in++) {
        if (strchr(",+=\\\";<>#", *in))
            out[o++] = '\\';
        out[o++] = *in;
    }
    out[o] = 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

static void rm_tree(const char *dir, const char *rel)
{
    char p[APP_PATH_MAX];
    if (mh_app_path(p, sizeof p, dir, rel) == 0)
        nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int mkdir_in(const char *dir, const char *rel, mode_t mode)
{
    char p[APP_PATH_MAX];
    int rc = mh_app_path(p, sizeof p, dir, rel);
    if (rc)
        return rc;
    if (mkdir(p, mode) != 0 && errno != EEXIST) {
        mh_err_set(MH_ERR_IO, "%s cannot be created: %s", p, strerror(errno));
        return MH_ERR_IO;
    }
    return MH_OK;
}

/* The existing config.json says the same as the options? */
static int compare_existing(const char *path, const char *registry, const char *host,
                            const struct issuer_def *defs, size_t n)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    int ret = MH_ERR_ALREADY_EXISTS;
    if (!root) {
        mh_err_set(MH_ERR_PARSE,
                   "%s exists but cannot be read (line %d: %s); move it away to start afresh", path,
                   jerr.line, jerr.text);
        return MH_ERR_PARSE;
    }
    const char *r = json_string_value(json_object_get(root, "registry"));
    const char *h = json_string_value(json_object_get(root, "verify_host"));
    if (!r || strcmp(r, registry) != 0 || !h || strcmp(h, host) != 0) {
        mh_err_set(ret,
                   "this state directory is already set up for registry '%.64s' at %.100s; "
                   "it is not changed. Use another MOHUR_STATE_DIR for a different registry",
                   r ? r : "?", h ? h : "?");
        goto out;
    }
    json_t *iss = json_object_get(root, "issuers");
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < json_array_size(iss); j++) {
            json_t *o = json_array_get(iss, j);
            const char *id = json_string_value(json_object_get(o, "id"));
            const char *nm = json_string_value(json_object_get(o, "name"));
            if (id && strcmp(id, defs[i].id) == 0) {
                found = true;
                if (!nm || strcmp(nm, defs[i].name) != 0) {
                    mh_err_set(ret,
                               "this state directory already has issuer '%s' named '%.100s'; "
                               "it is not changed",
                               defs[i].id, nm ? nm : "?");
                    goto out;
                }
            }
        }
        if (!found) {
            mh_err_set(ret,
                       "this state directory has no issuer '%s'; it is not changed (use a new "
                       "MOHUR_STATE_DIR, or add the issuer to config.json by hand)",
                       defs[i].id);
            goto out;
        }
    }
    ret = MH_OK;
out:
    json_decref(root);
    return ret;
}

static int random_pin(char *pin, size_t cap)
{
    uint8_t r[12];
    static const char hex[] = "0123456789abcdef";
    if (cap < 2 * sizeof r + 1 || mh_rng_bytes(r, sizeof r) != 0)
        return MH_ERR_INTERNAL;
    for (size_t i = 0; i < sizeof r; i++) {
        pin[2 * i] = hex[r[i] >> 4];
        pin[2 * i + 1] = hex[r[i] & 15];
    }
    pin[2 * sizeof r] = 0;
    mh_wipe(r, sizeof r);
    return MH_OK;
}

struct init_ctx {
    mh_app *a; /* only its rng */
    mh_hsm_token *tok;
    mh_cadb *db;
    uint8_t root_cert[MH_CA_CERT_MAX];
    size_t root_len;
    mh_signer root;
    int64_t now;
};

/* A certificate of the appliance's root for a key on its token, stored
 * with the key and written to certs/LABEL.crt. */
static int issue_for(struct init_ctx *c, mh_hsm_key *key, enum mh_ca_profile prof,
                     const char *subject, const char *label, const char *dir, char *cert_rel,
                     size_t rel_cap)
{
    int ret;
    uint8_t spki[1024];
    size_t spki_len = 0;
    mh_app_ca_req r;
    mh_app_ca_cert cert;
    char path[APP_PATH_MAX];

    memset(&r, 0, sizeof r);
    memset(&cert, 0, sizeof cert);
    if ((ret = mh_hsm_key_public_der(key, spki, sizeof spki, &spki_len)) != 0)
        return ret;
    r.profile = prof;
    r.subject = subject;
    r.spki = spki;
    r.spki_len = spki_len;
    r.days = 3 * 365;
    if ((ret = mh_app_ca_issue(c->db, &c->root, &r, &cert)) != 0 ||
        (ret = mh_hsm_key_import_cert(key, cert.der, cert.der_len)) != 0)
        goto out;
    snprintf(cert_rel, rel_cap, "certs/%s.crt", label);
    if ((ret = mh_app_path(path, sizeof path, dir, cert_rel)) != 0 ||
        (ret = mh_app_write_pem(path, "CERTIFICATE", cert.der, cert.der_len)) != 0)
        goto out;
    ret = MH_OK;
out:
    mh_app_ca_cert_free(&cert);
    return ret;
}

static int gen_key(mh_hsm_token *tok, enum mh_key_type t, const char *label, mh_hsm_key **k)
{
    int rc = mh_hsm_key_generate(tok, t, label, NULL, 0, k);
    if (rc && rc != MH_ERR_NOMEM) {
        char why[400];
        snprintf(why, sizeof why, "%s", mh_err_message(rc));
        mh_err_set(rc, "generating the key '%s' on the appliance token: %s", label, why);
    }
    return rc;
}

static int init_state(const char *dir, const mh_app_init_opts *o, bool *created)
{
    int ret = MH_ERR_INVALID_ARG;
    const char *registry = o && o->registry_id ? o->registry_id : DEFAULT_REGISTRY;
    const char *host = o && o->verify_host ? o->verify_host : DEFAULT_HOST;
    struct issuer_def defs[MH_APP_ISSUERS_MAX];
    size_t ndefs = sizeof default_issuers / sizeof default_issuers[0];
    char path[APP_PATH_MAX], so_pin[32], user_pin[32];
    bool made = false;
    mh_app *a = NULL;
    mh_hsm_module *mod = NULL;
    mh_hsm_key *keys[MH_APP_ISSUERS_MAX + 2] = {0};
    mh_hsm_key *tsa_key = NULL;
    char tsa_rel[APP_PATH_MAX] = "";
    mh_p11_uri uri;
    struct init_ctx *c = NULL;
    json_t *cfg = NULL;
    char rels[MH_APP_ISSUERS_MAX + 2][80];
    uint8_t *crl = NULL;

    memset(&uri, 0, sizeof uri);
    *created = false;
    memcpy(defs, default_issuers, sizeof default_issuers);
    if (!valid_id(registry)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the registry id '%.40s' must be 1 to 32 letters, digits, '-' or '_'", registry);
        return MH_ERR_INVALID_ARG;
    }
    if (!valid_host(host)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the verify host '%.80s' must be a DNS name (letters, digits, '-', '.') with "
                   "an optional :port",
                   host);
        return MH_ERR_INVALID_ARG;
    }
    for (size_t i = 0; o && i < o->nissuers; i++) {
        const mh_app_issuer_opt *io = &o->issuers[i];
        if (!io->id || !valid_id(io->id) || !io->name || !io->name[0] ||
            strlen(io->name) >= sizeof defs[0].name) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "--issuer takes ID:NAME with an id of letters, digits, '-' or '_' and a "
                       "name of 1 to 255 bytes");
            return MH_ERR_INVALID_ARG;
        }
        size_t j;
        for (j = 0; j < ndefs; j++)
            if (strcmp(defs[j].id, io->id) == 0)
                break;
        if (j == ndefs) {
            if (ndefs == MH_APP_ISSUERS_MAX) {
                mh_err_set(MH_ERR_INVALID_ARG, "at most %d issuers", MH_APP_ISSUERS_MAX);
                return MH_ERR_INVALID_ARG;
            }
            memset(&defs[j], 0, sizeof defs[j]);
            snprintf(defs[j].id, sizeof defs[j].id, "%s", io->id);
            snprintf(defs[j].profile, sizeof defs[j].profile, "seal");
            defs[j].type = MH_KEY_EC_P256;
            ndefs++;
        }
        snprintf(defs[j].name, sizeof defs[j].name, "%s", io->name);
    }
    for (size_t i = 0; i < ndefs; i++)
        if (strcmp(defs[i].id, "registry") == 0 || strcmp(defs[i].id, "root") == 0) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "'%s' is reserved for the appliance's own key; choose another issuer id",
                       defs[i].id);
            return MH_ERR_INVALID_ARG;
        }

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        mh_err_set(MH_ERR_IO, "the state directory %s cannot be created: %s", dir, strerror(errno));
        return MH_ERR_IO;
    }
    if ((ret = mh_app_path(path, sizeof path, dir, "config.json")) != 0)
        return ret;
    if (access(path, F_OK) == 0) {
        /* when every option is default, only the registry and host count */
        return compare_existing(path, registry, host, o && o->nissuers ? defs : NULL,
                                o && o->nissuers ? ndefs : 0);
    }

    /* a half-made state from an earlier failed run: start afresh */
    rm_tree(dir, "tokens");
    rm_tree(dir, "pins");
    rm_tree(dir, "certs");
    rm_tree(dir, "trust");
    rm_tree(dir, "ca");
    rm_tree(dir, "ledger");
    made = true;
    if ((ret = mkdir_in(dir, "tokens", 0700)) || (ret = mkdir_in(dir, "pins", 0700)) ||
        (ret = mkdir_in(dir, "certs", 0755)) || (ret = mkdir_in(dir, "trust", 0755)))
        goto out;
    {
        char conf[APP_PATH_MAX + 128], tdir[APP_PATH_MAX];
        if ((ret = mh_app_path(tdir, sizeof tdir, dir, "tokens")) != 0)
            goto out;
        int n = snprintf(conf, sizeof conf,
                         "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = "
                         "ERROR\n",
                         tdir);
        if ((ret = mh_app_path(path, sizeof path, dir, "softhsm2.conf")) != 0 ||
            (ret = mh_app_write_file(path, conf, (size_t)n, 0600)) != 0 ||
            (ret = mh_app_softhsm_env(dir)) != 0)
            goto out;
    }
    /* a throwaway app for the random generator */
    a = calloc(1, sizeof *a);
    c = calloc(1, sizeof *c);
    if (!a || !c) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if ((ret = random_pin(so_pin, sizeof so_pin)) != 0 ||
        (ret = random_pin(user_pin, sizeof user_pin)) != 0)
        goto out;
    if ((ret = mh_app_path(path, sizeof path, dir, "pins/so.pin")) != 0 ||
        (ret = mh_app_write_file(path, so_pin, strlen(so_pin), 0600)) != 0 ||
        (ret = mh_app_path(path, sizeof path, dir, "pins/user.pin")) != 0 ||
        (ret = mh_app_write_file(path, user_pin, strlen(user_pin), 0600)) != 0)
        goto out;
    if ((ret = mh_hsm_module_load(&uri, NULL, &mod)) != 0)
        goto out;
    unsigned long slot = 0;
    ret = mh_hsm_token_init(mod, APP_TOKEN_LABEL, so_pin, user_pin, &slot);
    if (ret)
        goto out;
    if ((ret = mh_p11_uri_parse("pkcs11:token=" APP_TOKEN_LABEL, &uri)) != 0 ||
        (ret = mh_hsm_token_open(mod, &uri, &c->tok)) != 0 ||
        (ret = mh_hsm_login_pin(c->tok, user_pin, strlen(user_pin))) != 0)
        goto out;

    /* keys: root CA, registry, one per issuer */
    c->a = a;
    c->now = (int64_t)time(NULL);
    if ((ret = gen_key(c->tok, MH_KEY_EC_P256, "root", &keys[0])) != 0 ||
        (ret = gen_key(c->tok, MH_KEY_EC_P256, "registry", &keys[1])) != 0 ||
        (ret = gen_key(c->tok, MH_KEY_EC_P256, "tsa", &tsa_key)) != 0)
        goto out;
    for (size_t i = 0; i < ndefs; i++)
        if ((ret = gen_key(c->tok, defs[i].type, defs[i].id, &keys[2 + i])) != 0)
            goto out;

    /* the root CA, in the CA database at ca/ */
    char subj[MH_CA_DN_MAX], esc[600];
    {
        uint8_t spki[512];
        size_t spki_len = 0;
        mh_app_ca_new n;
        mh_app_ca_cert root;
        memset(&n, 0, sizeof n);
        memset(&root, 0, sizeof root);
        snprintf(subj, sizeof subj, "CN=%s Root CA,O=Mohur,C=AZ", registry);
        if ((ret = mh_hsm_key_public_der(keys[0], spki, sizeof spki, &spki_len)) != 0 ||
            (ret = mh_hsm_key_signer(keys[0], MH_SIG_AUTO, &c->root)) != 0)
            goto out;
        n.subject = subj;
        n.spki = spki;
        n.spki_len = spki_len;
        n.key = &c->root;
        n.key_uri = "pkcs11:token=" APP_TOKEN_LABEL ";object=root;type=private";
        n.days = 7300;
        n.default_days = 3 * 365;
        n.path_len = -1;
        if ((ret = mh_app_path(path, sizeof path, dir, "ca")) != 0 ||
            (ret = mh_cadb_open(path, true, &c->db)) != 0 ||
            (ret = mh_app_ca_create(c->db, &n, &root)) != 0)
            goto out;
        if (root.der_len > sizeof c->root_cert) {
            mh_app_ca_cert_free(&root);
            ret = MH_ERR_INTERNAL;
            goto out;
        }
        memcpy(c->root_cert, root.der, root.der_len);
        c->root_len = root.der_len;
        mh_app_ca_cert_free(&root);
        if ((ret = mh_hsm_key_import_cert(keys[0], c->root_cert, c->root_len)) != 0)
            goto out;
        snprintf(rels[0], sizeof rels[0], "certs/root.crt");
        if ((ret = mh_app_path(path, sizeof path, dir, rels[0])) != 0 ||
            (ret = mh_app_write_pem(path, "CERTIFICATE", c->root_cert, c->root_len)) != 0 ||
            (ret = mh_app_path(path, sizeof path, dir, "ca/ca.crt")) != 0 ||
            (ret = mh_app_write_pem(path, "CERTIFICATE", c->root_cert, c->root_len)) != 0)
            goto out;
    }
    /* the registry's certificate, and its key exported for verifiers */
    snprintf(subj, sizeof subj, "CN=%s Registry,O=Mohur,C=AZ", registry);
    if ((ret = issue_for(c, keys[1], MH_CA_PROFILE_REGISTRY, subj, "registry", dir, rels[1],
                         sizeof rels[1])) != 0)
        goto out;
    {
        uint8_t spki[512];
        size_t spki_len = 0;
        if ((ret = mh_hsm_key_public_der(keys[1], spki, sizeof spki, &spki_len)) != 0 ||
            (ret = mh_app_path(path, sizeof path, dir, "trust/registry.pub")) != 0 ||
            (ret = mh_app_write_pem(path, "PUBLIC KEY", spki, spki_len)) != 0)
            goto out;
    }
    /* the appliance's own timestamp authority: signatures become B-T */
    snprintf(subj, sizeof subj, "CN=%s Timestamp Authority,O=Mohur,C=AZ", registry);
    if ((ret = issue_for(c, tsa_key, MH_CA_PROFILE_TSA, subj, "tsa", dir, tsa_rel,
                         sizeof tsa_rel)) != 0)
        goto out;
    for (size_t i = 0; i < ndefs; i++) {
        dn_escape(defs[i].name, esc, sizeof esc);
        bool seal = strcmp(defs[i].profile, "seal") == 0;
        if (seal)
            snprintf(subj, sizeof subj, "CN=%s,O=%s,C=AZ", esc, esc);
        else
            snprintf(subj, sizeof subj, "CN=%s,C=AZ", esc);
        if ((ret = issue_for(c, keys[2 + i], seal ? MH_CA_PROFILE_SEAL : MH_CA_PROFILE_NOTARY, subj,
                             defs[i].id, dir, rels[2 + i], sizeof rels[2 + i])) != 0)
            goto out;
    }
    /* the first CRL */
    {
        size_t len = 0, nrevoked = 0;
        uint64_t number = 0;
        if ((ret = mh_app_ca_crl(c->db, &c->root, NULL, 0, c->now - 60, c->now + 86400LL * 30, &crl,
                                 &len, &number, &nrevoked)) != 0 ||
            (ret = mh_app_path(path, sizeof path, dir, "certs/root.crl")) != 0 ||
            (ret = mh_app_write_file(path, crl, len, 0644)) != 0)
            goto out;
    }
    /* the ledger */
    {
        mh_ledger *l = NULL;
        mh_ledger_opts lo = {0};
        lo.create = true;
        if ((ret = mh_app_path(path, sizeof path, dir, "ledger")) != 0 ||
            (ret = mh_ledger_open(path, &lo, &l)) != 0)
            goto out;
        mh_ledger_close(l);
    }
    /* config.json, last */
    cfg = json_pack("{s:i, s:s, s:s, s:{s:s, s:n, s:s, s:s, s:s}, s:[], s:{s:s, s:s, s:[s]}, "
                    "s:s, s:s}",
                    "version", 1, "registry", registry, "verify_host", host, "token", "uri",
                    "pkcs11:token=" APP_TOKEN_LABEL, "module", "pin_file", "pins/user.pin",
                    "registry_key", "registry", "ca_key", "root", "issuers", "trust", "root_ca",
                    "certs/root.crt", "crl", "certs/root.crl", "registry_certs",
                    "certs/registry.crt", "ca_dir", "ca", "ledger_dir", "ledger");
    if (!cfg) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    json_object_set_new(cfg, "tsa", json_pack("{s:s, s:s}", "key", "tsa", "cert", tsa_rel));
    json_t *iss = json_object_get(cfg, "issuers");
    for (size_t i = 0; i < ndefs; i++) {
        json_t *kinds = json_array();
        for (size_t k = 0; k < 4 && defs[i].kinds[k]; k++)
            json_array_append_new(kinds, json_string(defs[i].kinds[k]));
        json_array_append_new(iss,
                              json_pack("{s:s, s:s, s:s, s:s, s:[s], s:o}", "id", defs[i].id,
                                        "name", defs[i].name, "key", defs[i].id, "profile",
                                        defs[i].profile, "certs", rels[2 + i], "kinds", kinds));
    }
    char *text = json_dumps(cfg, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    if (!text) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    size_t tl = strlen(text);
    text[tl] = 0;
    char *t2 = realloc(text, tl + 2);
    if (!t2) {
        free(text);
        ret = MH_ERR_NOMEM;
        goto out;
    }
    t2[tl] = '\n';
    ret = mh_app_path(path, sizeof path, dir, "config.json");
    if (!ret)
        ret = mh_app_write_file(path, t2, tl + 1, 0644);
    free(t2);
    if (ret)
        goto out;
    *created = true;
    ret = MH_OK;
out:
    mh_wipe(so_pin, sizeof so_pin);
    mh_wipe(user_pin, sizeof user_pin);
    json_decref(cfg);
    free(crl);
    if (c) {
        mh_cadb_close(c->db);
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        mh_hsm_key_free(keys[i]);
    mh_hsm_key_free(tsa_key);
    if (c)
        mh_hsm_token_close(c->tok);
    mh_hsm_module_unload(mod);
    mh_p11_uri_free(&uri);
    free(c);
    if (a) {
        free(a);
    }
    if (ret && made) {
        rm_tree(dir, "tokens");
        rm_tree(dir, "pins");
        rm_tree(dir, "certs");
        rm_tree(dir, "trust");
        rm_tree(dir, "ca");
        rm_tree(dir, "ledger");
        char p[APP_PATH_MAX];
        if (mh_app_path(p, sizeof p, dir, "softhsm2.conf") == 0)
            unlink(p);
    }
    return ret;
}

/* Verifying needs no root and no PIN: the files a verifier reads (the
 * configuration, the certificates and CRL, the ledger) are shared with one
 * group; the token, the PINs and the CA database stay the owner's. LMDB
 * readers write the ledger's lock file (its reader table), so that one
 * file is group-writable. */
static int share_with_group(const char *dir, gid_t gid)
{
    static const struct {
        const char *rel;
        mode_t mode;
    } shared[] = {
        {"", 0750},       {"config.json", 0640},     {"certs", 0750},           {"trust", 0750},
        {"ledger", 0750}, {"ledger/data.mdb", 0640}, {"ledger/lock.mdb", 0660},
    };
    char path[APP_PATH_MAX];
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
        int rc = shared[i].rel[0] ? mh_app_path(path, sizeof path, dir, shared[i].rel)
                                  : (snprintf(path, sizeof path, "%s", dir) < (int)sizeof path
                                         ? MH_OK
                                         : MH_ERR_TOO_LARGE);
        if (rc)
            return rc;
        if (chown(path, (uid_t)-1, gid) != 0 || chmod(path, shared[i].mode) != 0) {
            if (errno == ENOENT)
                continue;
            mh_err_set(errno == EPERM ? MH_ERR_PERMISSION : MH_ERR_IO,
                       "sharing %s with group %u: %s", path, (unsigned)gid, strerror(errno));
            return errno == EPERM ? MH_ERR_PERMISSION : MH_ERR_IO;
        }
    }
    /* the certificates and CRLs inside certs/ and trust/ */
    static const char *const dirs[] = {"certs", "trust"};
    for (size_t i = 0; i < 2; i++) {
        if (mh_app_path(path, sizeof path, dir, dirs[i]) != 0)
            continue;
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char f[APP_PATH_MAX + 300];
            if (e->d_name[0] == '.')
                continue;
            snprintf(f, sizeof f, "%s/%s", path, e->d_name);
            if (chown(f, (uid_t)-1, gid) != 0 || chmod(f, 0640) != 0) {
                mh_err_set(MH_ERR_IO, "sharing %s with group %u: %s", f, (unsigned)gid,
                           strerror(errno));
                closedir(d);
                return MH_ERR_IO;
            }
        }
        if (d)
            closedir(d);
    }
    return MH_OK;
}

int mh_app_init(const char *dir, const mh_app_init_opts *o, bool *created)
{
    int ret = init_state(dir, o, created);
    if (ret)
        return ret;
    /* the verifiers' group: --group, else "mohur" when it exists */
    const char *name = o && o->group ? o->group : "mohur";
    struct group *g = getgrnam(name);
    char *end = NULL;
    long num = strtol(name, &end, 10);
    gid_t gid;
    if (g) {
        gid = g->gr_gid;
    } else if (end && end != name && !*end && num >= 0) {
        gid = (gid_t)num;
    } else if (o && o->group) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "there is no group '%.64s' to share the state with (create it with "
                   "'groupadd %.64s', or give a group id)",
                   name, name);
        return MH_ERR_NOT_FOUND;
    } else {
        return MH_OK; /* no verifiers' group: the state stays its owner's */
    }
    return share_with_group(dir, gid);
}
