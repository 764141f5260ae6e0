/*
 * cmd_doc.c - the top-level commands of the appliance: mohur init, sign,
 * verify, revoke, kinds. The flows live in host/app (mh_app.h); this file
 * parses options and prints.
 */
#include "cli.h"
#include "cli_val.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mh_app.h"
#include "mh_doc.h"

#define EXIT_UNKNOWN 8     /* mohur verify: unknown to this registry */
#define EXIT_REV_UNKNOWN 9 /* mohur verify: revocation status unknown */

/* A missing state directory or file is an input problem, not a token one. */
static int open_fail(int rc)
{
    int ret = mh_cli_fail(rc, "opening the appliance in %s", mh_cli_state_dir());
    return rc == MH_ERR_NOT_FOUND ? MH_EXIT_INPUT : ret;
}

static void date_str(uint64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t && gmtime_r(&tt, &tm))
        strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
    else
        snprintf(out, cap, "-");
}

/* ---- init ------------------------------------------------------------------ */

static const char init_help[] =
    "Set up the appliance in its state directory ($MOHUR_STATE_DIR, default\n"
    "/var/lib/mohur): the embedded SoftHSM2 token with random PINs (pins/), the\n"
    "keys (registry, root CA, one per issuer), the root CA with a certificate\n"
    "for each key, a first CRL, the ledger, and config.json. Running it again\n"
    "changes nothing; it refuses a directory set up differently.\n"
    "\n"
    "Usage: mohur init [--registry ID] [--host HOST] [--issuer ID:NAME]...\n"
    "                  [--group GROUP] [--json]\n"
    "\n"
    "Options:\n"
    "  --registry ID     the registry's id in receipts (default AZ-DEMO)\n"
    "  --host HOST       the verification host in QR codes (default\n"
    "                    verify.mohur.test)\n"
    "  --issuer ID:NAME  rename a default issuer (bdu, agency, notary) or add an\n"
    "                    organisation seal (edit config.json for its kinds)\n"
    "  --group GROUP     who may verify without root: the configuration,\n"
    "                    certificates, CRL and ledger are shared with this group\n"
    "                    (never the token, PINs or CA); default: the group\n"
    "                    'mohur' when it exists. Run again to share later.\n"
    "  --json            print JSON\n"
    "  -h, --help        show this help\n"
    "\n"
    "Example:\n"
    "  MOHUR_STATE_DIR=/var/lib/mohur mohur init --registry AZ-DEMO\n";

static int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"registry", required_argument, NULL, 'r'},
        {"host", required_argument, NULL, 'H'},
        {"issuer", required_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"group", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    mh_app_init_opts o;
    mh_app_issuer_opt iss[MH_APP_ISSUERS_MAX];
    char names[MH_APP_ISSUERS_MAX][2][256];
    bool json = false, created = false;
    int ch, ret;

    memset(&o, 0, sizeof o);
    o.issuers = iss;
    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            o.registry_id = optarg;
            break;
        case 'H':
            o.verify_host = optarg;
            break;
        case 'i': {
            const char *c = strchr(optarg, ':');
            if (!c || c == optarg || !c[1] || o.nissuers == MH_APP_ISSUERS_MAX ||
                (size_t)(c - optarg) >= sizeof names[0][0] || strlen(c + 1) >= sizeof names[0][1])
                return mh_cli_usage("--issuer takes ID:NAME, e.g. --issuer bdu:\"Baku State "
                                    "University\"");
            snprintf(names[o.nissuers][0], sizeof names[0][0], "%.*s", (int)(c - optarg), optarg);
            snprintf(names[o.nissuers][1], sizeof names[0][1], "%s", c + 1);
            iss[o.nissuers].id = names[o.nissuers][0];
            iss[o.nissuers].name = names[o.nissuers][1];
            o.nissuers++;
            break;
        }
        case 'g':
            o.group = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(init_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)) != 0)
        return ret;
    const char *dir = mh_cli_state_dir();
    int rc = mh_app_init(dir, &o, &created);
    if (rc == MH_ERR_ALREADY_EXISTS) {
        mh_cli_fail(rc, "setting up %s", dir);
        return MH_EXIT_USAGE;
    }
    if (rc)
        return mh_cli_fail(rc, "setting up %s", dir);
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "state_dir");
        mh_json_str(&j, dir);
        mh_json_key(&j, "created");
        mh_json_bool(&j, created);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else if (created) {
        printf("The appliance is set up in %s:\n"
               "  config.json           registry, verify host, token, issuers and their kinds\n"
               "  tokens/, pins/        the embedded SoftHSM2 token and its PINs (mode 600)\n"
               "  certs/root.crt        the root CA (what verifiers trust), certs/root.crl\n"
               "  certs/registry.crt    the registry key's certificate; trust/registry.pub\n"
               "  ca/, ledger/          the CA database and the ledger\n",
               dir);
    } else {
        printf("The appliance in %s is already set up; nothing was changed.\n", dir);
    }
    return MH_EXIT_OK;
}

/* ---- sign ------------------------------------------------------------------ */

static const char sign_help[] =
    "Sign one document and record it in the ledger. A PDF gets a PAdES signature\n"
    "as an incremental update with the QR stamp (the receipt) and a caption; any\n"
    "other file gets a detached CAdES signature OUT.p7s with OUT.qr.png,\n"
    "OUT.qr.svg and OUT.receipt (the QR's text). A PDF mohur signed already is\n"
    "co-signed (e.g. the employee after the employer): same document, same receipt.\n"
    "\n"
    "Usage: mohur sign FILE --kind KIND [--issuer ID] [--key URI]\n"
    "                  [--field ID=VALUE]... [--fields FILE.json] [--out OUT]\n"
    "                  [--doc-id ID] [--stamp PAGE,X,Y[,SIZE]] [--json]\n"
    "\n"
    "Options:\n"
    "  --kind KIND       the document kind (see 'mohur kinds')\n"
    "  --issuer ID       who signs (config.json's issuers; default: the first\n"
    "                    issuer that may sign KIND)\n"
    "  --key URI         sign with this key instead of the issuer's key on the\n"
    "                    appliance token, e.g. a notary's USB token:\n"
    "                    'pkcs11:token=Notary;object=sign?module-name=opensc-pkcs11'\n"
    "                    (the PIN is asked once; a wrong PIN is never retried)\n"
    "  --field ID=VALUE  a field of the kind (repeat); --fields FILE.json gives\n"
    "                    them as a JSON object\n"
    "  --out OUT         the signed PDF (default FILE.signed.pdf), or the prefix\n"
    "                    of the outputs for other files (default FILE)\n"
    "  --doc-id ID       the document id (default ISSUER/KIND/NUMBER)\n"
    "  --stamp PAGE,X,Y[,SIZE]\n"
    "                    put the QR stamp on PAGE (1 is the first) with the QR's\n"
    "                    lower-left corner at X,Y points from the page's lower-left\n"
    "                    corner, SIZE points wide (default: the kind's layout); the\n"
    "                    caption goes to its left. A stamp that does not fit is\n"
    "                    refused, never squeezed over the page\n"
    "  --json            print JSON\n"
    "  -h, --help        show this help\n"
    "\n"
    "Example:\n"
    "  mohur sign act.pdf --kind notary-act --issuer notary \\\n"
    "      --field act=2024/17 --field title=\"Power of attorney\" --field date=2024-05-02\n";

static int cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},
        {"issuer", required_argument, NULL, 'i'},
        {"key", required_argument, NULL, 'K'},
        {"field", required_argument, NULL, 'f'},
        {"fields", required_argument, NULL, 'F'},
        {"out", required_argument, NULL, 'o'},
        {"doc-id", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"stamp", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    mh_app_stamp stamp = {0};
    bool has_stamp = false;
    const char *kind_id = NULL, *issuer = NULL, *key = NULL, *fields_file = NULL, *out = NULL;
    const char *doc_id = NULL;
    bool json = false;
    int ch, ret, rc;
    mh_app_fields fields;
    mh_kind *kind = NULL;
    mh_app *a = NULL;
    mh_app_signer *s = NULL;
    uint8_t *doc = NULL;
    size_t doc_len = 0;
    char outbuf[4096];
    mh_pdf_document *pdf = NULL;

    memset(&fields, 0, sizeof fields);
    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k':
            kind_id = optarg;
            break;
        case 'i':
            issuer = optarg;
            break;
        case 'K':
            key = optarg;
            break;
        case 'f':
            if ((rc = mh_app_fields_add(&fields, optarg)) != 0) {
                ret = rc == MH_ERR_NOMEM ? mh_cli_fail(rc, "--field")
                                         : mh_cli_usage("%s", mh_err_message(rc));
                goto out;
            }
            break;
        case 'F':
            fields_file = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'd':
            doc_id = optarg;
            break;
        case 'S': {
            int used = 0, got = sscanf(optarg, "%u,%lf,%lf%n,%lf%n", &stamp.page, &stamp.x,
                                       &stamp.y, &used, &stamp.size, &used);
            if (got < 3 || optarg[used] != '\0' || stamp.page < 1 || stamp.x < 0 || stamp.y < 0 ||
                (got == 4 && (stamp.size < 36 || stamp.size > 400))) {
                ret = mh_cli_usage("--stamp is PAGE,X,Y[,SIZE] in points (PAGE from 1, SIZE "
                                   "36-400), e.g. --stamp 1,420,40,100");
                goto out;
            }
            has_stamp = true;
            break;
        }
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(sign_help, stdout);
            ret = MH_EXIT_OK;
            goto out;
        default:
            ret = mh_cli_bad_option(ch, argv);
            goto out;
        }
    }
    if (optind + 1 != argc) {
        ret = mh_cli_usage("give exactly one FILE to sign");
        goto out;
    }
    const char *file = argv[optind];
    if (kind_id) {
        kind = calloc(1, sizeof *kind);
        if (!kind) {
            ret = mh_cli_fail(MH_ERR_NOMEM, "loading the kind");
            goto out;
        }
        if ((rc = mh_kind_load(mh_kinds_dir(), kind_id, kind)) != 0) {
            ret = mh_cli_fail(rc, "kind '%.40s'", kind_id);
            if (rc == MH_ERR_NOT_FOUND)
                ret = MH_EXIT_USAGE; /* a wrong --kind is a usage error */
            goto out;
        }
    }
    if (fields_file && (rc = mh_app_fields_read(&fields, fields_file)) != 0) {
        ret = mh_cli_fail(rc, "reading the fields");
        goto out;
    }
    if ((ret = mh_cli_read_regular(file, MH_APP_DOC_MAX, &doc, &doc_len)) != 0)
        goto out;
    bool is_pdf = doc_len >= 5 && memcmp(doc, "%PDF-", 5) == 0;
    if (!out) {
        size_t n = strlen(file);
        if (is_pdf && n > 4 && strcmp(file + n - 4, ".pdf") == 0)
            snprintf(outbuf, sizeof outbuf, "%.*s.signed.pdf", (int)(n - 4), file);
        else if (is_pdf)
            snprintf(outbuf, sizeof outbuf, "%s.signed.pdf", file);
        else
            snprintf(outbuf, sizeof outbuf, "%s", file);
        out = outbuf;
    }
    mh_app_issue_req req;
    mh_app_issue_res res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    req.kind = kind;
    req.doc_id = doc_id;
    req.fields = fields.v;
    req.nfields = fields.n;
    req.doc = doc;
    req.doc_len = doc_len;
    req.out_path = out;
    req.stamp = has_stamp ? &stamp : NULL;
    /* check everything that needs no PIN first */
    bool cosign = false;
    if ((rc = mh_app_issue_precheck(&req, &cosign, &pdf)) != 0) {
        /* no kind for a first signature is a usage error; the rest is the
         * input's (fields that do not fit, a kind that cannot be supplied) */
        if (rc == MH_ERR_INVALID_ARG && !kind && !cosign)
            ret = mh_cli_usage("%s", mh_err_message(rc));
        else if (rc == MH_ERR_INVALID_ARG)
            ret = mh_cli_error(MH_EXIT_INPUT, "signing %s: %s", file, mh_err_message(rc));
        else
            ret = mh_cli_fail(rc, "signing %s", file);
        goto out;
    }
    /* a running mohurd holds the ledger: through it (daemon_client.c) */
    if (key && mh_cli_daemon_running()) {
        ret = mh_cli_error(MH_EXIT_STORAGE,
                           "%s: mohurd is running and holds the ledger; a signature with your "
                           "own token (--key) does not go through mohurd yet: stop mohurd for "
                           "it, or sign as an issuer of the appliance",
                           mh_cli_prog);
        goto out;
    }
    if (!key && mh_cli_daemon_running()) {
        if ((rc = mh_cli_daemon_sign(&req, kind_id, issuer, out, &res)) != 0) {
            ret = mh_cli_fail(rc, "signing %s through mohurd", file);
            if (res.voided && res.url[0])
                fprintf(stderr, "mohur: the receipt made for it verifies as voided: %s\n", res.url);
            goto out;
        }
        goto print;
    }
    if ((rc = mh_app_open(mh_cli_state_dir(), &a)) != 0) {
        ret = open_fail(rc);
        goto out;
    }
    /* who signs: a party's own key co-signs; otherwise an issuer (by
     * default the first that may issue the kind) */
    if (!issuer && !(cosign && key)) {
        mh_app_issuer_info info[MH_APP_ISSUERS_MAX];
        size_t n = 0;
        if (kind && mh_app_issuers(a, info, MH_APP_ISSUERS_MAX, &n) == 0)
            for (size_t i = 0; i < n && i < MH_APP_ISSUERS_MAX && !issuer; i++)
                for (size_t k = 0; k < info[i].nkinds; k++)
                    if (strcmp(info[i].kinds[k], kind->id) == 0) {
                        static char chosen[MH_APP_ID_MAX + 1];
                        snprintf(chosen, sizeof chosen, "%s", info[i].id);
                        issuer = chosen;
                        break;
                    }
        if (!issuer) {
            ret = mh_cli_error(MH_EXIT_USAGE,
                               cosign ? "give the co-signer's key with --key (or an --issuer)"
                                      : "no issuer of this appliance may sign kind '%s'; give "
                                        "--issuer",
                               kind ? kind->id : "");
            goto out;
        }
    }
    if ((rc = mh_app_signer_open(a, issuer, key, &s)) != 0) {
        ret = issuer ? mh_cli_fail(rc, "opening the signing key of '%s'", issuer)
                     : mh_cli_fail(rc, "opening the signing key");
        goto out;
    }
    req.signer = s;
    req.pdf = pdf;
    if ((rc = mh_app_issue(a, &req, &res)) != 0) {
        ret = mh_cli_fail(rc, "signing %s", file);
        if (res.voided && res.url[0])
            fprintf(stderr, "mohur: the receipt made for it verifies as voided: %s\n", res.url);
        goto out;
    }
print:
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "doc_id");
        mh_json_str(&j, res.doc_id);
        mh_json_key(&j, "log_index");
        mh_json_uint(&j, res.log_index);
        mh_json_key(&j, "url");
        mh_json_str(&j, res.url);
        mh_json_key(&j, "qr_version");
        mh_json_uint(&j, res.qr_version);
        mh_json_key(&j, "resumed");
        mh_json_bool(&j, res.resumed);
        mh_json_key(&j, "cosigned");
        mh_json_bool(&j, res.cosigned);
        mh_json_key(&j, "out");
        mh_json_str(&j, out);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else if (res.cosigned) {
        printf("co-signed: %s\n  document:  %s\n  log index: %llu\n  receipt:   %s (the "
               "document's own; a co-signature makes no new one)\n",
               out, res.doc_id, (unsigned long long)res.log_index, res.url);
    } else {
        if (res.pdf)
            printf("signed: %s\n", out);
        else
            printf("signed: %s.p7s (QR: %s.qr.png, %s.qr.svg; receipt URL: %s.receipt)\n", out, out,
                   out, out);
        printf("  document:  %s%s\n  log index: %llu\n  receipt:   %s\n  QR:        version %u, "
               "level M\n",
               res.doc_id, res.resumed ? " (already in the ledger: same entry reused)" : "",
               (unsigned long long)res.log_index, res.url, res.qr_version);
    }
    ret = fflush(stdout) == 0 ? MH_EXIT_OK : mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    mh_pdf_close(pdf);
    mh_app_signer_close(s);
    mh_app_close(a);
    mh_app_fields_free(&fields);
    free(kind);
    free(doc);
    return ret;
}

/* ---- verify ----------------------------------------------------------------- */

static const char verify_help[] =
    "Check a document: every signature (integrity, coverage, changes after\n"
    "signing, the signer's certificate path at signing time, timestamps), the\n"
    "receipt (the registry's signature, the digest of the original bytes), and\n"
    "the ledger status. Prints a one-line verdict, then the details.\n"
    "\n"
    "Usage: mohur verify FILE [--p7s FILE.p7s] [--trust PATH]... [--etsi] [--json]\n"
    "       mohur verify --qr TEXT [--doc FILE] [--json]\n"
    "       mohur verify --qr-image PNG [--doc FILE] [--json]\n"
    "\n"
    "FILE is a signed PDF, or any file with its detached signature (FILE.p7s by\n"
    "default) and receipt (FILE.receipt). --qr takes the text a QR scanner read;\n"
    "--qr-image decodes a PNG photo or scan with zbarimg (package zbar-tools) when\n"
    "it is installed; without it, scan the code with a phone and pass the text\n"
    "with --qr. --doc also checks a document against the receipt.\n"
    "\n"
    "Anyone's signatures: with --trust (a trust store: trusted CA certificates\n"
    "in a file or a directory; the appliance's own root is added when there is\n"
    "one) FILE is also validated as ETSI EN 319 102-1 does (docs/validation.md)\n"
    "and the report (TOTAL-PASSED, INDETERMINATE or TOTAL-FAILED with the\n"
    "sub-indication, per signature) is shown after the verdict, and under\n"
    "\"etsi\" with --json. For a mohur document the verdict decides the exit\n"
    "status; for any other file (and with --etsi, which skips the mohur\n"
    "checks, or when there is no appliance) the report does: 0 TOTAL-PASSED,\n"
    "1 TOTAL-FAILED, 10 INDETERMINATE.\n"
    "\n"
    "Exit status: 0 valid; 1 not valid (forged, altered, revoked, or voided);\n"
    "8 unknown to this registry (not in its ledger, or no mohur signature or\n"
    "receipt); 9 revocation status unknown; 3 the input cannot be read.\n"
    "\n"
    "Options:\n"
    "  --p7s FILE       the detached signature of FILE\n"
    "  --qr TEXT        the receipt URL from the QR code\n"
    "  --qr-image PNG   a picture of the QR code\n"
    "  --doc FILE       with --qr/--qr-image: the document to compare\n" MH_CLI_VAL_HELP
    "  --certs FILE     more (untrusted) certificates: intermediates, a TSA's\n"
    "  --etsi           only the ETSI validation (no receipt, ledger or registry\n"
    "                   policy): for documents from anyone\n"
    "  --json           print JSON\n"
    "  -h, --help       show this help\n"
    "\n"
    "Example:\n"
    "  mohur verify diploma.signed.pdf\n"
    "  mohur verify contract.pdf --trust /etc/mohur/national-root.pem\n";

#define QR_CODES_MAX 8

/* Runs zbarimg on a PNG (no shell) and reads every QR code in it: their
 * texts, one per line in out, pointed at by codes[]. zbarimg's own chatter
 * (D-Bus warnings) goes to /dev/null. */
static int scan_png(const char *png, char *out, size_t cap, char **codes, size_t *ncodes)
{
    static const char *const paths[] = {"/usr/bin/zbarimg", "/usr/local/bin/zbarimg"};
    const char *zbar = NULL;
    *ncodes = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0)
            zbar = paths[i];
    if (!zbar)
        return mh_cli_error(MH_EXIT_USAGE,
                            "--qr-image needs zbarimg (apt-get install zbar-tools), which is not "
                            "installed; scan the QR code with a phone camera instead and pass its "
                            "text with --qr TEXT");
    if (access(png, R_OK) != 0)
        return mh_cli_error(MH_EXIT_INPUT, "reading %s: %s", png, strerror(errno));
    int fds[2];
    if (pipe(fds) != 0)
        return mh_cli_error(MH_EXIT_INTERNAL, "running zbarimg: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return mh_cli_error(MH_EXIT_INTERNAL, "running zbarimg: %s", strerror(errno));
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(fds[1], STDOUT_FILENO);
        if (null >= 0)
            dup2(null, STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(zbar, "zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", "--", png,
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fds[0], out + n, cap - 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += (size_t)r;
    }
    out[n] = 0;
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    for (char *line = out; *line && *ncodes < QR_CODES_MAX;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (line[0])
            codes[(*ncodes)++] = line;
        if (!nl)
            break;
        line = nl + 1;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || *ncodes == 0)
        return mh_cli_error(MH_EXIT_INPUT,
                            "no QR code could be read from %s; take a sharper, straight picture "
                            "or pass the text with --qr",
                            png);
    return MH_EXIT_OK;
}

enum json_mode { JSON_NONE, JSON_DOC, JSON_ITEM };

/* The ETSI report shown with the verdict (mohur verify --trust), or NULL. */
static const mh_val_report *verdict_etsi;

static void print_verdict_json(const mh_app_verdict *v, enum json_mode mode)
{
    /* one encoding for the CLI and mohurd (host/app/verdict_json.c); with
     * --trust, the ETSI report is added to the same object */
    char *s = NULL;
    size_t n = 0;
    if (mh_app_verdict_json(v, &s, &n) != 0 || n < 2 || s[n - 1] != '}') {
        fputs("{\"error\": \"out of memory\"}", stdout);
    } else if (verdict_etsi) {
        fwrite(s, 1, n - 1, stdout);
        fputs(", \"etsi\": ", stdout);
        mh_json j;
        mh_json_init(&j, stdout);
        mh_cli_val_json(&j, verdict_etsi);
        fputc('}', stdout);
    } else {
        fwrite(s, 1, n, stdout);
    }
    free(s);
    if (mode == JSON_DOC)
        fputc('\n', stdout);
}

static void print_verdict(const mh_app_verdict *v, enum json_mode mode)
{
    char d[40];
    if (mode != JSON_NONE) {
        print_verdict_json(v, mode);
        return;
    }
    printf("%s\n", v->sentence);
    for (size_t i = 0; i < v->nsigs; i++) {
        const mh_app_sig_detail *s = &v->sigs[i];
        date_str((uint64_t)(s->signed_at > 0 ? s->signed_at : 0), d, sizeof d);
        printf("\nSignature %zu: %s%s%s%s\n  signed:     %s\n  intact:     %s\n", i + 1, s->signer,
               s->role[0] ? " (" : "", s->role, s->role[0] ? ")" : "", d,
               s->integrity ? "yes" : "NO");
        printf("  coverage:   %s\n", s->covers_whole ? "the whole file"
                                     : s->later_ok
                                         ? "an earlier revision; later updates only add the "
                                           "parties' signatures"
                                         : "an earlier revision; the file was CHANGED after it");
        printf("  signer:     %s\n",
               s->path_ok ? "trusted (chains to this registry's root CA, not revoked)"
                          : s->path_reason);
        if (s->has_timestamp) {
            date_str((uint64_t)s->timestamp, d, sizeof d);
            printf("  timestamp:  %s\n", d);
        }
        if (s->detail[0])
            printf("  problem:    %s\n", s->detail);
    }
    if (v->has_receipt) {
        printf("\nReceipt:\n  signature:  %s\n",
               v->receipt_sig_ok ? "by this registry's key" : "NOT by this registry's key");
        if (v->qr_host[0])
            printf("  site:       %s%s%s\n", v->qr_host,
                   v->host_mismatch ? " -- NOT the registry's site, which is " : "",
                   v->host_mismatch ? v->signed_host : "");
        if (v->receipt_sig_ok) {
            date_str(v->issued_at, d, sizeof d);
            printf("  registry:   %s\n  issuer:     %s (%s)\n  kind:       %s\n  issued:     "
                   "%s\n  log index:  %llu\n",
                   v->registry, v->issuer_name, v->issuer, v->kind, d,
                   (unsigned long long)v->log_index);
            for (size_t i = 0; i < v->nfields; i++)
                printf("  %-11s %s\n", v->field_key[i], v->field_val[i]);
            printf("  url:        %s\n", v->url);
            printf("  document:   %s\n", !v->digest_checked ? "not given (receipt only)"
                                         : v->receipt_digest_ok
                                             ? "the same bytes the receipt names"
                                             : "DIFFERENT from the one the receipt names");
        }
    }
    if (v->ledger_known) {
        printf("\nLedger: %s\n", v->doc_id);
        if (v->voided) {
            printf("  status:     voided (signing failed after the entry was made)\n");
        } else if (v->status.revoked) {
            date_str(v->status.revoke_time, d, sizeof d);
            printf("  status:     revoked on %s, reason %s\n", d,
                   mh_app_reason_name(v->status.reason));
        } else {
            printf("  status:     in circulation (not revoked)\n");
        }
    } else if (v->ledger_checked) {
        printf("\nLedger: no such document\n");
    }
    if (v->crl_current) {
        char n[40];
        date_str((uint64_t)v->crl_this_update, d, sizeof d);
        date_str((uint64_t)v->crl_next_update, n, sizeof n);
        printf("\nRevocation: checked against the CRL of %s (next update %s)\n", d, n);
    } else if (v->crl_problem[0]) {
        printf("\nRevocation: UNKNOWN: %s\n", v->crl_problem);
    }
}

static int verdict_exit(enum mh_app_verdict_code c)
{
    switch (c) {
    case MH_APP_VALID:
        return MH_EXIT_OK;
    case MH_APP_REV_UNKNOWN:
        return EXIT_REV_UNKNOWN;
    case MH_APP_UNKNOWN:
    case MH_APP_NOT_MOHUR:
        return EXIT_UNKNOWN;
    case MH_APP_ERROR:
        return MH_EXIT_INPUT;
    default:
        return MH_EXIT_INVALID;
    }
}

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"p7s", required_argument, NULL, 'p'},
        {"qr", required_argument, NULL, 'q'},
        {"qr-image", required_argument, NULL, 'Q'},
        {"doc", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"trust", required_argument, NULL, 't'},
        {"crl", required_argument, NULL, 'r'},
        {"certs", required_argument, NULL, 'C'},
        {"etsi", no_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *p7s = NULL, *qr = NULL, *qr_image = NULL, *docp = NULL;
    bool json = false, etsi = false;
    mh_cli_val_opts vopt;
    mh_val_ctx *vctx = NULL;
    mh_val_report *vrep = NULL;
    int ch, ret, rc;
    mh_app *a = NULL;
    mh_app_verdict *v = NULL;
    char scanned[4096];

    memset(&vopt, 0, sizeof vopt);
    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 't':
        case 'r':
        case 'C':
            if ((ret = mh_cli_val_opt(&vopt, ch, optarg)) != 0)
                return ret;
            break;
        case 'E':
            etsi = true;
            break;
        case 'p':
            p7s = optarg;
            break;
        case 'q':
            qr = optarg;
            break;
        case 'Q':
            qr_image = optarg;
            break;
        case 'd':
            docp = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(verify_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    const char *file = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc)
        return mh_cli_usage("give one FILE to verify");
    if ((qr || qr_image) ? (file != NULL || p7s || (qr && qr_image)) : (!file || docp))
        return mh_cli_usage("give a FILE (with --p7s for other files than PDFs), or --qr TEXT, "
                            "or --qr-image PNG (with --doc FILE to compare a document)");
    bool validating = etsi || vopt.ntrust;
    if ((vopt.ncrl || vopt.ncerts) && !validating)
        return mh_cli_usage("--crl and --certs go with --trust (the ETSI validation)");
    if (validating && !file)
        return mh_cli_usage("--trust and --etsi validate a FILE, not a QR code");
    if (validating) {
        if ((ret = mh_cli_val_ctx(&vopt, &vctx)) != 0)
            return ret;
        vrep = calloc(1, sizeof *vrep);
        if (!vrep) {
            mh_val_ctx_free(vctx);
            return mh_cli_fail(MH_ERR_NOMEM, "validating");
        }
        if ((ret = mh_cli_val_file(vctx, file, p7s, vrep)) != 0)
            goto out;
    }
    /* --etsi, or no appliance to judge a mohur document by: the report alone */
    if (validating && (etsi || mh_app_open_ex(mh_cli_state_dir(), MH_APP_READ_ONLY, &a) != 0)) {
        mh_err_clear();
        if (json) {
            mh_json j;
            mh_json_init(&j, stdout);
            mh_cli_val_json(&j, vrep);
            mh_json_end(&j);
        } else {
            mh_cli_val_print(vrep, file);
        }
        ret = mh_cli_val_exit(vrep);
        goto out;
    }
    char *codes[QR_CODES_MAX];
    size_t ncodes = 1;
    codes[0] = (char *)(qr ? qr : "");
    if (qr_image && (ret = scan_png(qr_image, scanned, sizeof scanned, codes, &ncodes)) != 0)
        return ret;
    v = calloc(1, sizeof *v);
    if (!v) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "verifying");
        goto out;
    }
    if (!a && (rc = mh_app_open_ex(mh_cli_state_dir(), MH_APP_READ_ONLY, &a)) != 0) {
        ret = open_fail(rc);
        goto out;
    }
    /* a picture with several codes: every one is shown and checked; the
     * picture is valid only if each is */
    if (ncodes > 1 && !json)
        printf("The picture holds %zu QR codes; each is checked below. A document carries "
               "one: find out why this one has more.\n\n",
               ncodes);
    if (ncodes > 1 && json) {
        printf("{\"qr_codes\": %zu, \"verdicts\": [", ncodes);
    }
    ret = MH_EXIT_OK;
    for (size_t i = 0; i < ncodes; i++) {
        memset(v, 0, sizeof *v);
        rc = (qr || qr_image) ? mh_app_verify_qr(a, codes[i], docp, v)
                              : mh_app_verify_file(a, file, p7s, v);
        if (rc) {
            ret = mh_cli_fail(rc, "verifying %s", (qr || qr_image) ? "the QR text" : file);
            goto out;
        }
        if (ncodes > 1 && !json)
            printf("QR code %zu of %zu:\n", i + 1, ncodes);
        if (ncodes > 1 && json && i > 0)
            fputs(", ", stdout);
        verdict_etsi = vrep;
        print_verdict(v, json && ncodes == 1 ? JSON_DOC : json ? JSON_ITEM : JSON_NONE);
        verdict_etsi = NULL;
        if (vrep && !json) {
            fputc('\n', stdout);
            mh_cli_val_print(vrep, file);
        }
        if (ncodes > 1 && !json)
            fputc('\n', stdout);
        int e = verdict_exit(v->code);
        /* not a mohur document: the ETSI report decides */
        if (vrep && v->code == MH_APP_NOT_MOHUR)
            e = mh_cli_val_exit(vrep);
        /* the worst wins: not valid (1) over unknown (8, 9) over valid */
        if (ret == MH_EXIT_OK || e == MH_EXIT_INVALID)
            ret = e;
    }
    if (ncodes > 1 && json)
        fputs("]}\n", stdout);
    if (fflush(stdout) != 0)
        ret = mh_cli_fail(MH_ERR_IO, "writing the output");
out:
    mh_app_close(a);
    mh_val_ctx_free(vctx);
    free(vrep);
    free(v);
    return ret;
}

/* ---- revoke ------------------------------------------------------------------- */

static const char revoke_help[] =
    "Revoke a document: append a revoke entry to the ledger. Verifying the\n"
    "document or its QR then says it is revoked, with the reason and date.\n"
    "\n"
    "Usage: mohur revoke DOC-ID --reason REASON [--json]\n"
    "\n"
    "REASON is an RFC 5280 reason: unspecified, keyCompromise, cACompromise,\n"
    "affiliationChanged, superseded, cessationOfOperation, certificateHold,\n"
    "privilegeWithdrawn, aACompromise.\n"
    "\n"
    "Example:\n"
    "  mohur revoke bdu/diploma/DP-2024-0001 --reason superseded\n";

static int cmd_revoke(int argc, char **argv)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *reason = NULL;
    bool json = false;
    int ch, ret, rc;
    mh_app *a = NULL;

    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            reason = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(revoke_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    if (optind + 1 != argc)
        return mh_cli_usage("give one DOC-ID to revoke");
    const char *id = argv[optind];
    if (!reason)
        return mh_cli_usage("--reason is required, e.g. --reason superseded");
    int code = mh_app_reason_from_name(reason);
    if (code < 0 || code == 8)
        return mh_cli_usage("unknown --reason '%.40s' (see mohur revoke --help)", reason);
    mh_ledger_status st;
    if (mh_cli_daemon_running()) {
        /* a running mohurd holds the ledger: through it (daemon_client.c) */
        rc = mh_cli_daemon_revoke(id, (unsigned)code, &st);
    } else {
        if ((rc = mh_app_open(mh_cli_state_dir(), &a)) != 0)
            return open_fail(rc);
        rc = mh_app_revoke(a, id, (unsigned)code, NULL, &st);
    }
    if (rc) {
        ret = mh_cli_fail(rc, "revoking %.128s", id);
        goto out;
    }
    char d[40];
    date_str(st.revoke_time, d, sizeof d);
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "doc_id");
        mh_json_str(&j, id);
        mh_json_key(&j, "reason");
        mh_json_str(&j, mh_app_reason_name(st.reason));
        mh_json_key(&j, "revoke_index");
        mh_json_uint(&j, st.revoke_index);
        mh_json_key(&j, "revoked_at");
        mh_json_uint(&j, st.revoke_time);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("revoked: %s\n  reason:    %s\n  when:      %s\n  log index: %llu\n", id,
               mh_app_reason_name(st.reason), d, (unsigned long long)st.revoke_index);
    }
    ret = MH_EXIT_OK;
out:
    mh_app_close(a);
    return ret;
}

/* ---- kinds --------------------------------------------------------------------- */

static const char kinds_help[] =
    "List the document kinds (kinds/*.json; $MOHUR_KINDS_DIR overrides) with\n"
    "their names in Azerbaijani, Russian and English, and their fields.\n"
    "\n"
    "Usage: mohur kinds [--json]\n";

static int cmd_kinds(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int ch, ret, rc;
    char ids[4096];
    size_t n = 0;
    mh_kind *k = NULL;

    if ((ret = mh_cli_check_long(argc, argv, opts)) != 0)
        return ret;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (ch == 'j') {
            json = true;
        } else if (ch == 'h') {
            fputs(kinds_help, stdout);
            return MH_EXIT_OK;
        } else {
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)) != 0)
        return ret;
    const char *dir = mh_kinds_dir();
    if ((rc = mh_kind_list(dir, ids, sizeof ids, &n)) != 0)
        return mh_cli_fail(rc, "listing the kinds in %s", dir);
    k = calloc(1, sizeof *k);
    if (!k)
        return mh_cli_fail(MH_ERR_NOMEM, "listing the kinds");
    mh_json j;
    if (json) {
        mh_json_init(&j, stdout);
        mh_json_arr_begin(&j);
    }
    const char *id = ids;
    for (size_t i = 0; i < n; i++, id += strlen(id) + 1) {
        if ((rc = mh_kind_load(dir, id, k)) != 0) {
            ret = mh_cli_fail(rc, "loading kind '%s'", id);
            goto out;
        }
        if (json) {
            mh_json_obj_begin(&j);
            mh_json_key(&j, "id");
            mh_json_str(&j, k->id);
            mh_json_key(&j, "code");
            mh_json_uint(&j, k->code);
            mh_json_key(&j, "names");
            mh_json_obj_begin(&j);
            mh_json_key(&j, "az");
            mh_json_str(&j, k->names[MH_LANG_AZ]);
            mh_json_key(&j, "ru");
            mh_json_str(&j, k->names[MH_LANG_RU]);
            mh_json_key(&j, "en");
            mh_json_str(&j, k->names[MH_LANG_EN]);
            mh_json_obj_end(&j);
            mh_json_key(&j, "source");
            mh_json_str(&j, k->rendered ? "rendered" : "supplied");
            mh_json_key(&j, "fields");
            mh_json_arr_begin(&j);
            for (size_t f = 0; f < k->nfields; f++) {
                const mh_kind_field *fd = &k->fields[f];
                mh_json_obj_begin(&j);
                mh_json_key(&j, "id");
                mh_json_str(&j, fd->id);
                mh_json_key(&j, "label");
                mh_json_str(&j, fd->label[MH_LANG_EN]);
                mh_json_key(&j, "required");
                mh_json_bool(&j, fd->required);
                mh_json_key(&j, "printed");
                mh_json_bool(&j, fd->printed);
                mh_json_key(&j, "receipt");
                mh_json_bool(&j, fd->receipt);
                mh_json_key(&j, "max");
                mh_json_uint(&j, fd->max);
                mh_json_obj_end(&j);
            }
            mh_json_arr_end(&j);
            mh_json_obj_end(&j);
            continue;
        }
        printf("%s (code %u, %s)\n  az: %s\n  ru: %s\n  en: %s\n  fields:\n", k->id, k->code,
               k->rendered ? "rendered by mohur" : "a PDF the signer brings", k->names[MH_LANG_AZ],
               k->names[MH_LANG_RU], k->names[MH_LANG_EN]);
        for (size_t f = 0; f < k->nfields; f++) {
            const mh_kind_field *fd = &k->fields[f];
            printf("    %-12s %-28s %s%s%s\n", fd->id, fd->label[MH_LANG_EN],
                   fd->required ? "required" : "optional", fd->receipt ? ", in the receipt" : "",
                   fd->is_date ? ", YYYY-MM-DD" : "");
        }
        printf("\n");
    }
    if (json) {
        mh_json_arr_end(&j);
        mh_json_end(&j);
    }
    ret = MH_EXIT_OK;
out:
    free(k);
    return ret;
}

/* ---- dispatch ------------------------------------------------------------------- */

static const struct mh_cli_cmd doc_cmds[] = {
    {"init", NULL, init_help, cmd_init, NULL},
    {"sign", NULL, sign_help, cmd_sign, NULL},
    {"verify", NULL, verify_help, cmd_verify, NULL},
    {"revoke", NULL, revoke_help, cmd_revoke, NULL},
    {"kinds", NULL, kinds_help, cmd_kinds, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

int mh_cli_doc_main(int argc, char **argv)
{
    for (const struct mh_cli_cmd *c = doc_cmds; c->name; c++)
        if (strcmp(c->name, argv[0]) == 0)
            return c->run(argc, argv);
    return mh_cli_error(MH_EXIT_INTERNAL, "no command '%s'", argv[0]);
}
