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

#include <mbedtls/sha256.h>

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
    mbedtls_sha256_ret(der, len, h, 0);
    mh_cli_hex_encode(h, 8, fp, 17);
}

static const char issuer_list_help[] =
    "List the issuers of this appliance: their ids and names, the kinds each\n"
    "may issue, and the certificates registered for each (only those may sign\n"
    "its documents).\n"
    "\n"
    "Usage: mohur issuer list [--json]\n"
    "\n"
    "Options:\n"
    "  --json       print JSON\n"
    "  -h, --help   show this help\n"
    "\n"
    "Example:\n"
    "  mohur issuer list\n";

static int cmd_issuer_list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int ch, ret;
    mh_app *a = NULL;
    mh_app_issuer_info info[MH_APP_ISSUERS_MAX];
    size_t n = 0;

    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (ch == 'j') {
            json = true;
        } else if (ch == 'h') {
            fputs(issuer_list_help, stdout);
            return MH_EXIT_OK;
        } else {
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)) != 0 || (ret = open_app(MH_APP_READ_ONLY, &a)) != 0)
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

static const char issuer_add_cert_help[] =
    "Register another certificate for an issuer, e.g. the one on a notary's USB\n"
    "token, so that documents of the issuer's kinds may be signed with that\n"
    "token. Only registered certificates may sign an issuer's documents. The\n"
    "certificate must chain to the appliance's root CA, be current and not\n"
    "revoked, and be fit to sign documents (not a CA; key usage\n"
    "nonRepudiation).\n"
    "\n"
    "Usage: mohur issuer add-cert --issuer ID --cert FILE [--json]\n"
    "\n"
    "Options:\n"
    "  --issuer ID  the issuer (see 'mohur issuer list')\n"
    "  --cert FILE  the certificate, PEM or DER\n"
    "  --json       print JSON\n"
    "  -h, --help   show this help\n"
    "\n"
    "Example:\n"
    "  mohur key export --key 'pkcs11:token=Notary;object=sign?module-name=opensc-pkcs11' \\\n"
    "      --cert --out card.pem\n"
    "  mohur issuer add-cert --issuer notary --cert card.pem\n";

static int cmd_issuer_add_cert(int argc, char **argv)
{
    static const struct option opts[] = {{"issuer", required_argument, NULL, 'i'},
                                         {"cert", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *issuer = NULL, *cert = NULL;
    bool json = false;
    int ch, ret, rc;
    mh_app *a = NULL;
    uint8_t *der = NULL;
    size_t dlen = 0;
    char rel[256];

    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            issuer = optarg;
            break;
        case 'c':
            cert = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(issuer_add_cert_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)) != 0)
        return ret;
    if (!issuer || !cert)
        return mh_cli_usage("give --issuer ID and --cert FILE");
    if ((rc = mh_app_cert_file(cert, &der, &dlen)) != 0)
        return mh_cli_fail(rc, "reading %s", cert);
    if ((ret = open_app(MH_APP_READ_ONLY, &a)) != 0)
        goto out;
    if ((rc = mh_app_issuer_add_cert(a, issuer, der, dlen, rel, sizeof rel)) != 0) {
        ret = mh_cli_fail(rc, "registering %s for issuer '%s'", cert, issuer);
        goto out;
    }
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
    {"list", "the issuers, their kinds and registered certificates", issuer_list_help,
     cmd_issuer_list, NULL},
    {"add-cert", "register another certificate for an issuer (a notary's token)",
     issuer_add_cert_help, cmd_issuer_add_cert, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
