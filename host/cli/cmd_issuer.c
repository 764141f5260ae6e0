/*
 * cmd_issuer.c - `mohur issuer list` and `mohur issuer add-cert`: the
 * issuers of config.json, their kinds and the certificates registered for
 * them (the only ones that may sign their documents; docs/trust.md).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "mh_app.h"
#include "mh_pki.h"

#include "mh_hash.h"

static int open_app(unsigned flags, mh_app **a)
{
    int rc = mh_app_open_ex(mh_cli_state_dir(), flags, a);
    if (rc) {
        int ret = mh_cli_fail(rc, "opening the appliance in %s", mh_cli_state_dir());
        return rc == MH_ERR_NOT_FOUND ? MH_EXIT_INPUT : ret;
    }
    return MH_EXIT_OK;
}

static void cert_line(const uint8_t *der, size_t len, char *subj, size_t cap, char fp[17])
{
    mh_x509_cert *c = calloc(1, sizeof *c);
    subj[0] = 0;
    if (!c || mh_x509_cert_parse(c, der, len) != 0 ||
        mh_x509_name_format(&c->subject, MH_X509_NAME_DN, subj, cap) != 0)
        snprintf(subj, cap, "(unreadable)");
    free(c);
    uint8_t h[32];
    if (mh_hash_sha256(der, len, h) != 0)
        memset(h, 0, sizeof h);
    mh_cli_hex_encode(h, 8, fp, 17);
}

struct list_opts {
    bool json;
};
static const struct mh_cli_opt issuer_list_rows[] = {{MH_CLI_JSON(struct list_opts, json)}, {0}};
static const struct mh_cli_spec issuer_list_spec = {
    .usage = "mohur issuer list [--json]",
    .about = "List the issuers of this appliance: their ids and names, the kinds each\n"
             "may issue, and the certificates registered for each (only those may sign\n"
             "its documents).\n",
    .opts = issuer_list_rows,
    .more = "Example:\n"
            "  mohur issuer list\n",
};

static int cmd_issuer_list(int argc, char **argv)
{
    struct list_opts o = {false};
    int ret;
    mh_app *a = NULL;
    mh_app_issuer_info info[MH_APP_ISSUERS_MAX];
    size_t n = 0;

    if ((ret = mh_cli_parse(&issuer_list_spec, argc, argv, &o)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    bool json = o.json;
    if ((ret = open_app(MH_APP_READ_ONLY, &a)) != 0)
        return ret;
    if (mh_app_issuers(a, info, MH_APP_ISSUERS_MAX, &n) != 0)
        n = 0;
    mh_json j;
    if (json) {
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "issuers");
        mh_json_arr_begin(&j);
    }
    for (size_t i = 0; i < n && i < MH_APP_ISSUERS_MAX; i++) {
        const uint8_t *der[8];
        size_t len[8], nc = 0;
        if (mh_app_issuer_certs(a, info[i].id, der, len, 8, &nc) != 0)
            nc = 0;
        if (json) {
            mh_json_obj_begin(&j);
            mh_json_key(&j, "id");
            mh_json_str(&j, info[i].id);
            mh_json_key(&j, "name");
            mh_json_str(&j, info[i].name);
            mh_json_key(&j, "kinds");
            mh_json_arr_begin(&j);
            for (size_t k = 0; k < info[i].nkinds; k++)
                mh_json_str(&j, info[i].kinds[k]);
            mh_json_arr_end(&j);
            mh_json_key(&j, "certificates");
            mh_json_arr_begin(&j);
        } else {
            printf("%s  %s\n  kinds: ", info[i].id, info[i].name);
            for (size_t k = 0; k < info[i].nkinds; k++)
                printf("%s%s", k ? ", " : "", info[i].kinds[k]);
            printf("%s\n  certificates:\n", info[i].nkinds ? "" : "(none)");
        }
        for (size_t c = 0; c < nc && c < 8; c++) {
            char subj[512], fp[17];
            cert_line(der[c], len[c], subj, sizeof subj, fp);
            if (json) {
                mh_json_obj_begin(&j);
                mh_json_key(&j, "subject");
                mh_json_str(&j, subj);
                mh_json_key(&j, "sha256_prefix");
                mh_json_str(&j, fp);
                mh_json_obj_end(&j);
            } else {
                printf("    %s  (SHA-256 %s...)\n", subj, fp);
            }
        }
        if (json) {
            mh_json_arr_end(&j);
            mh_json_obj_end(&j);
        }
    }
    if (json) {
        mh_json_arr_end(&j);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    }
    mh_app_close(a);
    return MH_EXIT_OK;
}

struct add_cert_opts {
    const char *issuer, *cert;
    bool json;
};
static const struct mh_cli_opt issuer_add_cert_rows[] = {
    {MH_CLI_STR(struct add_cert_opts, issuer, "issuer", "ID"), .flags = MH_CLI_REQUIRED,
     .help = "the issuer (see 'mohur issuer list')"},
    {MH_CLI_STR(struct add_cert_opts, cert, "cert", "FILE"), .flags = MH_CLI_REQUIRED,
     .help = "the certificate, PEM or DER"},
    {MH_CLI_JSON(struct add_cert_opts, json)},
    {0}};
static const struct mh_cli_spec issuer_add_cert_spec = {
    .usage = "mohur issuer add-cert --issuer ID --cert FILE [--json]",
    .about = "Register another certificate for an issuer, e.g. the one on a notary's USB\n"
             "token, so that documents of the issuer's kinds may be signed with that\n"
             "token. Only registered certificates may sign an issuer's documents. The\n"
             "certificate must chain to the appliance's root CA, be current and not\n"
             "revoked, and be fit to sign documents (not a CA; key usage\n"
             "nonRepudiation).\n",
    .opts = issuer_add_cert_rows,
    .more =
        "Example:\n"
        "  mohur key export --key 'pkcs11:token=Notary;object=sign?module-name=opensc-pkcs11' \\\n"
        "      --cert --out card.pem\n"
        "  mohur issuer add-cert --issuer notary --cert card.pem\n",
};

static int cmd_issuer_add_cert(int argc, char **argv)
{
    struct add_cert_opts o = {NULL, NULL, false};
    int ret, rc;
    mh_app *a = NULL;
    uint8_t *der = NULL;
    size_t dlen = 0;
    char rel[256];

    if ((ret = mh_cli_parse(&issuer_add_cert_spec, argc, argv, &o)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    const char *issuer = o.issuer, *cert = o.cert;
    bool json = o.json;
    if ((rc = mh_app_cert_file(cert, &der, &dlen)) != 0)
        return mh_cli_fail(rc, "reading %s", cert);
    if ((ret = open_app(MH_APP_READ_ONLY, &a)) != 0)
        goto out;
    if ((rc = mh_app_issuer_add_cert(a, issuer, der, dlen, rel, sizeof rel)) != 0) {
        ret = mh_cli_fail(rc, "registering %s for issuer '%s'", cert, issuer);
        goto out;
    }
    mh_cli_daemon_reload("its issuers");
    char subj[512], fp[17];
    cert_line(der, dlen, subj, sizeof subj, fp);
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "issuer");
        mh_json_str(&j, issuer);
        mh_json_key(&j, "subject");
        mh_json_str(&j, subj);
        mh_json_key(&j, "file");
        mh_json_str(&j, rel);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("registered for issuer '%s': %s\n  stored as %s (SHA-256 %s...)\n", issuer, subj,
               rel, fp);
    }
    ret = MH_EXIT_OK;
out:
    mh_app_close(a);
    free(der);
    return ret;
}

const struct mh_cli_cmd mh_cli_issuer_cmds[] = {
    {"list", "the issuers, their kinds and registered certificates", &issuer_list_spec,
     cmd_issuer_list, NULL},
    {"add-cert", "register another certificate for an issuer (a notary's token)",
     &issuer_add_cert_spec, cmd_issuer_add_cert, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
