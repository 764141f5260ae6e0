/*
 * mohur.c - the `mohur` command-line tool: main and command dispatch.
 *
 * Commands are found in a table (groups hold tables of their own), as
 * WireGuard's wg.c does with subcommands[]. Each command parses its own
 * options with getopt_long and returns an exit code:
 *
 *   0  success
 *   1  a signature or document did not verify
 *   2  usage error: unknown option, missing or bad argument
 *   3  input error: a file is missing, unreadable, malformed or too large;
 *      a document, issuer or kind that does not exist; something already
 *      done (issued, revoked); what the trust policy refuses
 *   4  token or key problem: the module could not be loaded or is not
 *      allowed, the token is not found, removed or failed, the key is not
 *      found, or the token lacks the mechanism
 *   5  PIN problem: incorrect, locked, required, expired, or written in a URI
 *   6  internal error
 *   7  storage problem: the ledger or a database is locked by another
 *      process, full, damaged, or the disk is full
 *   8  mohur verify only: the document or receipt is unknown to this
 *      registry (not in its ledger, or no mohur signature or receipt)
 *   9  mohur verify only: everything checks out but the signer's revocation
 *      status, which cannot be known (the CRL is missing, unreadable or out
 *      of date); not valid until it is
 *  10  an ETSI validation report (verify, cms verify, pdf verify with
 *      --trust) is INDETERMINATE (TOTAL-PASSED is 0, TOTAL-FAILED 1)
 *
 * mh_cli_exit_code() in util.c maps every MH_ERR_* code to one of these.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#ifndef MH_VERSION
#define MH_VERSION "unknown"
#endif

static const struct mh_cli_cmd top[] = {
    /* the everyday commands first, in the order a day's work meets them;
     * top-level commands have run set and sub NULL (they print their own
     * --help) */
    {"init", "set up the appliance: token, keys, CA, ledger, config", NULL, mh_cli_doc_main, NULL},
    {"sign", "sign and record one document; the QR receipt goes on it", NULL, mh_cli_doc_main,
     NULL},
    {"issue", "issue documents from a roster (CSV or JSON): render, stamp, sign, record", NULL,
     mh_cli_issue, NULL},
    {"verify", "check a document, a file with its .p7s, or a scanned QR", NULL, mh_cli_doc_main,
     NULL},
    {"revoke", "revoke a document in the ledger", NULL, mh_cli_doc_main, NULL},
    {"docs", "what was issued: list, search, show, export, reprint", NULL, NULL, mh_cli_docs_cmds},
    {"kinds", "list the document kinds and their fields", NULL, mh_cli_doc_main, NULL},
    /* then the operators' groups */
    {"log", "the transparency log: entries, proofs, checkpoints, tiles, audits", NULL, NULL,
     mh_cli_log_cmds},
    {"issuer", "the issuers, their kinds, and the certificates registered for them", NULL, NULL,
     mh_cli_issuer_cmds},
    {"ca", "certificate authority: CAs on tokens, certificates by profile, CRLs", NULL, NULL,
     mh_cli_ca_cmds},
    {"offline", "the offline verifier's trust list and revocation snapshot", NULL, NULL,
     mh_cli_offline_cmds},
    {"web", "the public verification page: the offline verifier", NULL, NULL, mh_cli_web_cmds},
    {"witness", "a transparency-log witness (C2SP tlog-witness) with its key on a token", NULL,
     NULL, mh_cli_witness_cmds},
    {"api-token", "mohurd's API clients: tokens and client certificates, with roles", NULL, NULL,
     mh_cli_apitoken_cmds},
    /* and the tools underneath */
    {"token", "list and initialise tokens (smart cards, HSMs, SoftHSM2)", NULL, NULL,
     mh_cli_token_cmds},
    {"key", "generate, list, export keys; sign and verify with them", NULL, NULL, mh_cli_key_cmds},
    {"cert", "X.509 certificates: show them, validate their paths (RFC 5280, CRLs)", NULL, NULL,
     mh_cli_cert_cmds},
    {"cms", "sign and verify files as CMS/CAdES signatures", NULL, NULL, mh_cli_cms_cmds},
    {"ts", "RFC 3161 timestamps: request, answer as a TSA, verify", NULL, NULL, mh_cli_ts_cmds},
    {"pdf", "sign and verify PDFs (PAdES, incremental updates, stamps)", NULL, NULL,
     mh_cli_pdf_cmds},
    {"receipt", "document receipts: sign, show, verify; their QR codes", NULL, NULL,
     mh_cli_receipt_cmds},
    {NULL, NULL, NULL, NULL, NULL},
};

/* Runs a top-level command (an entry with run and no sub) as "NAME ARGS". */
static int run_command(const struct mh_cli_cmd *c, int argc, char **argv)
{
    static char prog[64];
    snprintf(prog, sizeof prog, "mohur %s", c->name);
    mh_cli_prog = prog;
    optind = 1;
    opterr = 0;
    return c->run(argc, argv);
}

static void print_top_help(FILE *f)
{
    fprintf(f,
            "mohur %s - sign and verify public documents with keys on tokens and HSMs\n"
            "\n"
            "Usage: mohur <command> [options]\n"
            "       mohur <group> <command> [options]\n"
            "       mohur help [<group> [<command>]]\n"
            "       mohur --version\n"
            "\n"
            "Commands:\n",
            MH_VERSION);
    for (const struct mh_cli_cmd *g = top; g->name; g++) {
        if (!g->sub) {
            fprintf(f, "  %-18s %s\n", g->name, g->summary);
            continue;
        }
        for (const struct mh_cli_cmd *c = g->sub; c->name; c++) {
            char name[40];
            snprintf(name, sizeof name, "%s %s", g->name, c->name);
            fprintf(f, "  %-18s %s\n", name, c->summary);
        }
    }
    fputs("\n"
          "Every command explains itself with --help, e.g. 'mohur key sign --help'.\n"
          "\n"
          "Keys and tokens are named by RFC 7512 PKCS#11 URIs:\n"
          "  --token 'pkcs11:token=Seal'\n"
          "  --key   'pkcs11:token=Seal;object=registry;type=private'\n"
          "The PKCS#11 module comes from the URI (module-path=/path/lib.so or\n"
          "module-name=opensc-pkcs11) or --module; the default is SoftHSM2.\n"
          "PINs are never taken on the command line or from the environment: put\n"
          "the PIN in a file only you can read and add ?pin-source=file:PATH to the\n"
          "URI, or let mohur ask for it at the terminal (or use the PIN pad). A wrong\n"
          "PIN is never retried: mohur stops, so a token is not locked by accident.\n"
          "\n"
          "Environment:\n"
          "  MOHUR_STATE_DIR   the appliance's state directory (default\n"
          "                    /var/lib/mohur). If SOFTHSM2_CONF is not set and\n"
          "                    $MOHUR_STATE_DIR/softhsm2.conf exists, mohur sets\n"
          "                    SOFTHSM2_CONF to it, so SoftHSM2 uses the appliance's\n"
          "                    own token store.\n"
          "  SOFTHSM2_CONF     SoftHSM2's configuration file (where its tokens live)\n"
          "  MOHUR_MODULE_DIRS colon-separated directories PKCS#11 modules may be\n"
          "                    loaded from (default: the system library directories)\n"
          "\n"
          "Exit status:\n"
          "  0  success\n"
          "  1  a signature or document did not verify\n"
          "  2  usage error (unknown option, missing or bad argument)\n"
          "  3  input error (file missing, unreadable, malformed or too large; no such\n"
          "     document, issuer or kind; already issued or revoked; refused by the\n"
          "     trust policy)\n"
          "  4  token or key problem (module not loaded or not allowed; token not\n"
          "     found, removed or failed; key not found; algorithm not supported)\n"
          "  5  PIN problem (incorrect, locked, required, expired, or in a URI)\n"
          "  6  internal error\n"
          "  7  storage problem (ledger or database locked, full or damaged; disk full)\n"
          "  8  mohur verify: the document or receipt is unknown to this registry (not\n"
          "     in its ledger, or no mohur signature or receipt); 1 is forged, altered,\n"
          "     revoked or voided, 0 valid\n"
          "  9  mohur verify: revocation status unknown (the CRL is missing, unreadable\n"
          "     or out of date): not valid until it is known\n"
          " 10  with --trust (verify, cms verify, pdf verify): the ETSI EN 319 102-1\n"
          "     validation is INDETERMINATE (TOTAL-PASSED is 0, TOTAL-FAILED 1)\n"
          "\n"
          "Example:\n"
          "  mohur token init --label Seal --so-pin-file so.pin --pin-file user.pin\n"
          "  mohur key generate --token 'pkcs11:token=Seal?pin-source=file:user.pin' \\\n"
          "      --type ec-p256 --label registry\n"
          "  mohur key sign --key 'pkcs11:token=Seal;object=registry?pin-source=file:user.pin' \\\n"
          "      --in act.pdf --out act.sig\n",
          f);
}

static void print_group_help(FILE *f, const struct mh_cli_cmd *g)
{
    fprintf(f, "mohur %s - %s\n\nUsage: mohur %s <command> [options]\n\nCommands:\n", g->name,
            g->summary, g->name);
    for (const struct mh_cli_cmd *c = g->sub; c->name; c++)
        fprintf(f, "  %-12s %s\n", c->name, c->summary);
    fprintf(f, "\nRun 'mohur %s <command> --help' for the options of a command.\n", g->name);
}

static const struct mh_cli_cmd *find(const struct mh_cli_cmd *table, const char *name)
{
    for (const struct mh_cli_cmd *c = table; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static bool is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0;
}

static int unknown(const char *where, const char *name)
{
    size_t n = strnlen(name, 40);
    fprintf(stderr, "mohur: unknown %s '%.*s'\nTry 'mohur%s%s --help'.\n",
            where[0] ? "command" : "group", (int)n, name, where[0] ? " " : "", where);
    return MH_EXIT_USAGE;
}

/* mohur help [group [command]] */
static int help_for(int argc, char **argv)
{
    if (argc < 1) {
        print_top_help(stdout);
        return MH_EXIT_OK;
    }
    const struct mh_cli_cmd *g = find(top, argv[0]);
    if (!g)
        return unknown("", argv[0]);
    if (!g->sub) {
        char *args[3] = {argv[0], (char *)"--help", NULL};
        return run_command(g, 2, args);
    }
    if (argc < 2) {
        print_group_help(stdout, g);
        return MH_EXIT_OK;
    }
    const struct mh_cli_cmd *c = find(g->sub, argv[1]);
    if (!c)
        return unknown(g->name, argv[1]);
    fputs(c->help, stdout);
    return MH_EXIT_OK;
}

int main(int argc, char **argv)
{
    static char prog[64];

    /* A PIN may pass through this process: never into a core file. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    mh_cli_setup_env();
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            mh_cli_json_errors = true;
    if (argc < 2) {
        print_top_help(stderr);
        return MH_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "--man") == 0 || strcmp(a, "--completion") == 0) {
        /* for the build: man pages and completion from this very table */
        char *th = NULL;
        size_t thn = 0;
        FILE *m = open_memstream(&th, &thn);
        if (!m)
            return MH_EXIT_INTERNAL;
        print_top_help(m);
        fclose(m);
        int r = mh_cli_generate(top, th, argc - 1, argv + 1);
        free(th);
        return r;
    }
    if (strcmp(a, "help") == 0)
        return help_for(argc - 2, argv + 2);
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        print_top_help(stdout);
        return MH_EXIT_OK;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0 || strcmp(a, "version") == 0) {
        printf("mohur %s\n", MH_VERSION);
        return MH_EXIT_OK;
    }
    if (a[0] == '-') {
        size_t n = strcspn(a, "=");
        fprintf(stderr, "mohur: unknown option '%.*s'\nTry 'mohur --help'.\n",
                (int)(n > 40 ? 40 : n), a);
        return MH_EXIT_USAGE;
    }
    const struct mh_cli_cmd *g = find(top, a);
    if (!g)
        return unknown("", a);
    if (!g->sub)
        return run_command(g, argc - 1, argv + 1);
    if (argc < 3) {
        print_group_help(stderr, g);
        return MH_EXIT_USAGE;
    }
    if (is_help(argv[2])) {
        print_group_help(stdout, g);
        return MH_EXIT_OK;
    }
    const struct mh_cli_cmd *c = find(g->sub, argv[2]);
    if (!c)
        return unknown(g->name, argv[2]);
    snprintf(prog, sizeof prog, "mohur %s %s", g->name, c->name);
    mh_cli_prog = prog;
    optind = 1;
    opterr = 0;
    return c->run(argc - 2, argv + 2);
}
