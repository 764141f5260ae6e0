/*
 * cmd_apitoken.c - mohur api-token: the credentials of mohurd's API clients
 * (host/app/credentials.c): create a token (its secret is printed once and
 * stored only as a hash), register a client certificate, list, revoke. A
 * running mohurd picks the change up when it reloads (the command sends it
 * SIGHUP when it finds mohurd's pid file).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_app.h"

struct create_opts {
    mh_app_credential c;
    const char *cert;
    bool json;
};

/* --name, --role, --issuer, --kind: into the credential's own fields */
static int cred_field(void *base, const struct mh_cli_opt *row, const char *v)
{
    mh_app_credential *c = &((struct create_opts *)base)->c;
    switch (row->name[0]) {
    case 'n':
        if (strlen(v) >= sizeof c->name)
            return mh_cli_usage("--name is at most %zu bytes", sizeof c->name - 1);
        snprintf(c->name, sizeof c->name, "%s", v);
        break;
    case 'r':
        if (strlen(v) >= sizeof c->role)
            return mh_cli_usage("unknown --role '%.16s'", v);
        snprintf(c->role, sizeof c->role, "%s", v);
        break;
    case 'i':
        if (strlen(v) >= sizeof c->issuer)
            return mh_cli_usage("--issuer is too long");
        snprintf(c->issuer, sizeof c->issuer, "%s", v);
        break;
    default:
        if (c->nkinds == 8 || strlen(v) >= sizeof c->kinds[0])
            return mh_cli_usage("at most 8 --kind, each a kind id");
        snprintf(c->kinds[c->nkinds++], sizeof c->kinds[0], "%s", v);
        break;
    }
    return MH_EXIT_OK;
}

#define T struct create_opts
static const struct mh_cli_opt create_rows[] = {
    {MH_CLI_CALL("name", "NAME", cred_field), .flags = MH_CLI_REQUIRED,
     .help = "whom it is for (shown in lists and logs)"},
    {MH_CLI_CALL("role", "ROLE", cred_field), .flags = MH_CLI_REQUIRED,
     .help = "admin, issuer, notary or auditor"},
    {MH_CLI_CALL("issuer", "ID", cred_field), .help = "the issuer an issuer or notary acts for"},
    {MH_CLI_CALL("kind", "KIND", cred_field),
     .help = "a kind an issuer may issue (repeat; default: the issuer's all)"},
    {MH_CLI_UINT(T, c.rate, "rate", "N", 1, 1000000),
     .err = "--rate is a number of requests per second (1-1000000)",
     .help = "requests per second (default: mohurd's 'rate')"},
    {MH_CLI_STR(T, cert, "cert", "FILE"),
     .help = "register this TLS client certificate (PEM or DER, from mohur's CA) instead of "
             "making a token"},
    {MH_CLI_JSON(T, json)},
    {0}};
#undef T
static const struct mh_cli_spec create_spec = {
    .usage = "mohur api-token create --name NAME --role ROLE [--issuer ID]\n"
             "                             [--kind KIND]... [--rate N] [--cert FILE] [--json]",
    .about = "Create an API token for a client of mohurd, with its role. The token is\n"
             "printed once; mohur keeps only its SHA-256.\n",
    .opts = create_rows,
    .more = "Roles:\n"
            "  admin     everything\n"
            "  issuer    issue and revoke documents of --issuer (only --kind kinds, if given),\n"
            "            run batches, read statuses\n"
            "  notary    sign documents as --issuer (its kinds), revoke them\n"
            "  auditor   read: statuses, batches, metrics, verify\n"
            "\n"
            "Example:\n"
            "  mohur api-token create --name 'Justice ministry portal' --role issuer \\\n"
            "      --issuer agency --kind official-certificate\n",
};

static int cmd_create(int argc, char **argv)
{
    struct create_opts o;
    int ret, rc;
    char secret[128];
    memset(&o, 0, sizeof o);
    if ((ret = mh_cli_parse(&create_spec, argc, argv, &o)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    mh_app_credential c = o.c;
    const char *cert = o.cert;
    bool json = o.json;
    if ((rc = mh_app_cred_check_role(&c)) != 0)
        return mh_cli_usage("%s", mh_err_message(rc));
    if (cert) {
        uint8_t *der = NULL;
        size_t len = 0;
        if ((rc = mh_app_cert_file(cert, &der, &len)) != 0)
            return mh_cli_fail(rc, "reading %s", cert);
        rc = mh_app_cred_add_cert(mh_cli_state_dir(), &c, der, len);
        free(der);
    } else {
        rc = mh_app_cred_create(mh_cli_state_dir(), &c, secret, sizeof secret);
    }
    if (rc)
        return mh_cli_fail(rc, "creating the credential");
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "id");
        mh_json_str(&j, c.id);
        mh_json_key(&j, "role");
        mh_json_str(&j, c.role);
        if (!cert) {
            mh_json_key(&j, "token");
            mh_json_str(&j, secret);
        }
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else if (cert) {
        printf("registered certificate %s as credential %s (%s)\n", cert, c.id, c.role);
    } else {
        printf("%s\n", secret);
        fprintf(stderr,
                "mohur: credential %s (%s) created; the token above is shown only once: give it "
                "to the client as 'Authorization: Bearer TOKEN'\n",
                c.id, c.role);
    }
    mh_wipe(secret, sizeof secret);
    mh_cli_daemon_reload("its credentials");
    return MH_EXIT_OK;
}

struct list_opts {
    bool json;
};
static const struct mh_cli_opt list_rows[] = {{MH_CLI_JSON(struct list_opts, json)}, {0}};
static const struct mh_cli_spec list_spec = {
    .usage = "mohur api-token list [--json]",
    .about = "List mohurd's API credentials (never their secrets).\n",
    .opts = list_rows,
};

static int cmd_list(int argc, char **argv)
{
    struct list_opts o = {false};
    int ret, rc;
    mh_app_credential *list = NULL;
    size_t n = 0;
    if ((ret = mh_cli_parse(&list_spec, argc, argv, &o)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    bool json = o.json;
    if ((rc = mh_app_cred_list(mh_cli_state_dir(), &list, &n)) != 0)
        return mh_cli_fail(rc, "reading the credentials");
    mh_json j;
    if (json) {
        mh_json_init(&j, stdout);
        mh_json_arr_begin(&j);
    }
    for (size_t i = 0; i < n; i++) {
        const mh_app_credential *c = &list[i];
        if (json) {
            mh_json_obj_begin(&j);
            mh_json_key(&j, "id");
            mh_json_str(&j, c->id);
            mh_json_key(&j, "name");
            mh_json_str(&j, c->name);
            mh_json_key(&j, "role");
            mh_json_str(&j, c->role);
            mh_json_key(&j, "issuer");
            mh_json_str(&j, c->issuer);
            mh_json_key(&j, "kind");
            mh_json_str(&j, c->is_cert ? "certificate" : "token");
            mh_json_key(&j, "created");
            mh_json_int(&j, c->created);
            mh_json_key(&j, "revoked");
            mh_json_bool(&j, c->revoked);
            mh_json_obj_end(&j);
            continue;
        }
        char d[32] = "-";
        time_t t = (time_t)c->created;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(d, sizeof d, "%Y-%m-%d", &tm);
        printf("%s  %-8s %-12s %-8s %s  %s%s\n", c->id, c->role, c->issuer[0] ? c->issuer : "-",
               c->is_cert ? "cert" : "token", d, c->name, c->revoked ? "  (REVOKED)" : "");
    }
    if (json) {
        mh_json_arr_end(&j);
        mh_json_end(&j);
    }
    free(list);
    return MH_EXIT_OK;
}

static const struct mh_cli_spec revoke_spec = {
    .usage = "mohur api-token revoke ID",
    .about = "Revoke an API credential: it stops working when mohurd reloads (at once when\n"
             "mohurd runs here).\n",
    .min_args = 1,
    .max_args = 1,
    .args_err = "give the credential's ID ('mohur api-token list')",
};

static int cmd_revoke(int argc, char **argv)
{
    int ret, rc;
    if ((ret = mh_cli_parse(&revoke_spec, argc, argv, NULL)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    if ((rc = mh_app_cred_revoke(mh_cli_state_dir(), argv[optind])) != 0)
        return mh_cli_fail(rc, "revoking %.32s", argv[optind]);
    printf("revoked: %s\n", argv[optind]);
    mh_cli_daemon_reload("its credentials");
    return MH_EXIT_OK;
}

const struct mh_cli_cmd mh_cli_apitoken_cmds[] = {
    {"create", "create a token (or register a client certificate) for mohurd's API", &create_spec,
     cmd_create, NULL},
    {"list", "list the API credentials", &list_spec, cmd_list, NULL},
    {"revoke", "revoke an API credential", &revoke_spec, cmd_revoke, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
