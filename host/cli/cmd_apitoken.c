/*
 * cmd_apitoken.c - mohur api-token: the credentials of mohurd's API clients
 * (host/app/credentials.c): create a token (its secret is printed once and
 * stored only as a hash), register a client certificate, list, revoke. A
 * running mohurd picks the change up when it reloads (the command sends it
 * SIGHUP when it finds mohurd's pid file).
 */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_app.h"

static const char create_help[] =
    "Create an API token for a client of mohurd, with its role. The token is\n"
    "printed once; mohur keeps only its SHA-256.\n"
    "\n"
    "Usage: mohur api-token create --name NAME --role ROLE [--issuer ID]\n"
    "                             [--kind KIND]... [--rate N] [--cert FILE] [--json]\n"
    "\n"
    "Roles:\n"
    "  admin     everything\n"
    "  issuer    issue and revoke documents of --issuer (only --kind kinds, if given),\n"
    "            run batches, read statuses\n"
    "  notary    sign documents as --issuer (its kinds), revoke them\n"
    "  auditor   read: statuses, batches, metrics, verify\n"
    "\n"
    "Options:\n"
    "  --name NAME    whom it is for (shown in lists and logs)\n"
    "  --role ROLE    admin, issuer, notary or auditor\n"
    "  --issuer ID    the issuer an issuer or notary acts for\n"
    "  --kind KIND    a kind an issuer may issue (repeat; default: the issuer's all)\n"
    "  --rate N       requests per second (default: mohurd's 'rate')\n"
    "  --cert FILE    register this TLS client certificate (PEM or DER, from mohur's\n"
    "                 CA) instead of making a token\n"
    "  --json         print JSON\n"
    "\n"
    "Example:\n"
    "  mohur api-token create --name 'Justice ministry portal' --role issuer \\\n"
    "      --issuer agency --kind official-certificate\n";

static const char list_help[] = "List mohurd's API credentials (never their secrets).\n"
                                "\n"
                                "Usage: mohur api-token list [--json]\n";

static const char revoke_help[] = "Revoke an API credential: it stops working when mohurd "
                                  "reloads (at once when\nmohurd runs here).\n"
                                  "\n"
                                  "Usage: mohur api-token revoke ID\n";

/* A running mohurd (its pid file) reloads the credentials. */
static void tell_daemon(void)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/mohurd.pid", mh_cli_state_dir());
    FILE *f = fopen(path, "re");
    long pid = 0;
    if (!f)
        return;
    char comm[64] = "", cpath[64];
    if (fscanf(f, "%ld", &pid) == 1 && pid > 1) {
        /* only a live mohurd, not whatever process has that pid now */
        snprintf(cpath, sizeof cpath, "/proc/%ld/comm", pid);
        FILE *cf = fopen(cpath, "re");
        if (cf && !fgets(comm, sizeof comm, cf))
            comm[0] = 0;
        if (cf)
            fclose(cf);
    }
    if (strncmp(comm, "mohurd", 6) == 0 && kill((pid_t)pid, SIGHUP) == 0)
        fprintf(stderr, "mohur: mohurd (pid %ld) reloads its credentials\n", pid);
    fclose(f);
}

static int cmd_create(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"role", required_argument, NULL, 'r'},
        {"issuer", required_argument, NULL, 'i'},
        {"kind", required_argument, NULL, 'k'},
        {"rate", required_argument, NULL, 'R'},
        {"cert", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    mh_app_credential c;
    const char *cert = NULL;
    bool json = false;
    int ch, ret, rc;
    char secret[128];
    memset(&c, 0, sizeof c);
    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            if (strlen(optarg) >= sizeof c.name)
                return mh_cli_usage("--name is at most %zu bytes", sizeof c.name - 1);
            snprintf(c.name, sizeof c.name, "%s", optarg);
            break;
        case 'r':
            if (strlen(optarg) >= sizeof c.role)
                return mh_cli_usage("unknown --role '%.16s'", optarg);
            snprintf(c.role, sizeof c.role, "%s", optarg);
            break;
        case 'i':
            if (strlen(optarg) >= sizeof c.issuer)
                return mh_cli_usage("--issuer is too long");
            snprintf(c.issuer, sizeof c.issuer, "%s", optarg);
            break;
        case 'k':
            if (c.nkinds == 8 || strlen(optarg) >= sizeof c.kinds[0])
                return mh_cli_usage("at most 8 --kind, each a kind id");
            snprintf(c.kinds[c.nkinds++], sizeof c.kinds[0], "%s", optarg);
            break;
        case 'R': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1000000)
                return mh_cli_usage("--rate is a number of requests per second (1-1000000)");
            c.rate = (unsigned)v;
            break;
        }
        case 'c':
            cert = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(create_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)) != 0)
        return ret;
    if (!c.name[0] || !c.role[0])
        return mh_cli_usage("--name and --role are required");
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
    tell_daemon();
    return MH_EXIT_OK;
}

static int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int ch, ret, rc;
    mh_app_credential *list = NULL;
    size_t n = 0;
    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (ch == 'j') {
            json = true;
        } else if (ch == 'h') {
            fputs(list_help, stdout);
            return MH_EXIT_OK;
        } else {
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)) != 0)
        return ret;
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

static int cmd_revoke(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch, ret, rc;
    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (ch == 'h') {
            fputs(revoke_help, stdout);
            return MH_EXIT_OK;
        }
        return mh_cli_bad_option(ch, argv);
    }
    if (optind + 1 != argc)
        return mh_cli_usage("give the credential's ID ('mohur api-token list')");
    if ((rc = mh_app_cred_revoke(mh_cli_state_dir(), argv[optind])) != 0)
        return mh_cli_fail(rc, "revoking %.32s", argv[optind]);
    printf("revoked: %s\n", argv[optind]);
    tell_daemon();
    return MH_EXIT_OK;
}

const struct mh_cli_cmd mh_cli_apitoken_cmds[] = {
    {"create", "create a token (or register a client certificate) for mohurd's API", create_help,
     cmd_create, NULL},
    {"list", "list the API credentials", list_help, cmd_list, NULL},
    {"revoke", "revoke an API credential", revoke_help, cmd_revoke, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
