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

struct init_args {
    mh_app_init_opts o;
    mh_app_issuer_opt iss[MH_APP_ISSUERS_MAX];
    char names[MH_APP_ISSUERS_MAX][2][256];
    bool json;
};

/* --issuer ID:NAME */
static int init_issuer(void *base, const struct mh_cli_opt *row, const char *v)
{
    struct init_args *a = base;
    mh_app_init_opts *o = &a->o;
    const char *c = strchr(v, ':');
    (void)row;
    if (!c || c == v || !c[1] || o->nissuers == MH_APP_ISSUERS_MAX ||
        (size_t)(c - v) >= sizeof a->names[0][0] || strlen(c + 1) >= sizeof a->names[0][1])
        return mh_cli_usage("--issuer takes ID:NAME, e.g. --issuer bdu:\"Baku State "
                            "University\"");
    snprintf(a->names[o->nissuers][0], sizeof a->names[0][0], "%.*s", (int)(c - v), v);
    snprintf(a->names[o->nissuers][1], sizeof a->names[0][1], "%s", c + 1);
    a->iss[o->nissuers].id = a->names[o->nissuers][0];
    a->iss[o->nissuers].name = a->names[o->nissuers][1];
    o->nissuers++;
    return MH_EXIT_OK;
}

static const struct mh_cli_opt init_rows[] = {
    {MH_CLI_STR(struct init_args, o.registry_id, "registry", "ID"),
     .help = "the registry's id in receipts (default AZ-DEMO)"},
    {MH_CLI_STR(struct init_args, o.verify_host, "host", "HOST"),
     .help = "the verification host in QR codes (default verify.mohur.test)"},
    {MH_CLI_CALL("issuer", "ID:NAME", init_issuer),
     .help = "rename a default issuer (bdu, agency, notary) or add an organisation seal (edit "
             "config.json for its kinds)"},
    {MH_CLI_STR(struct init_args, o.group, "group", "GROUP"),
     .help = "who may verify without root: the configuration, certificates, CRL and ledger are "
             "shared with this group (never the token, PINs or CA); default: the group 'mohur' "
             "when it exists. Run again to share later."},
    {MH_CLI_JSON(struct init_args, json)},
    {0}};
const struct mh_cli_spec mh_cli_init_spec = {
    .usage = "mohur init [--registry ID] [--host HOST] [--issuer ID:NAME]...\n"
             "                  [--group GROUP] [--json]",
    .about = "Set up the appliance in its state directory ($MOHUR_STATE_DIR, default\n"
             "/var/lib/mohur): the embedded SoftHSM2 token with random PINs (pins/), the\n"
             "keys (registry, root CA, one per issuer), the root CA with a certificate\n"
             "for each key, a first CRL, the ledger, and config.json. Running it again\n"
             "changes nothing; it refuses a directory set up differently.\n",
    .opts = init_rows,
    .more = "Example:\n"
            "  MOHUR_STATE_DIR=/var/lib/mohur mohur init --registry AZ-DEMO\n",
};

static int cmd_init(int argc, char **argv)
{
    static struct init_args a; /* the names outlive the parse */
    mh_app_init_opts o;
    bool json = false, created = false;
    int ret;

    memset(&a, 0, sizeof a);
    a.o.issuers = a.iss;
    if ((ret = mh_cli_parse(&mh_cli_init_spec, argc, argv, &a)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    o = a.o;
    json = a.json;
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

struct sign_args {
    const char *kind_id, *issuer, *key, *fields_file, *out, *doc_id;
    mh_app_fields fields;
    int fields_rc;
    mh_app_stamp stamp;
    bool has_stamp, json;
};

/* --field ID=VALUE */
static int sign_field(void *base, const struct mh_cli_opt *row, const char *v)
{
    struct sign_args *a = base;
    int rc;
    (void)row;
    mh_err_clear();
    if ((rc = mh_app_fields_add(&a->fields, v)) != 0)
        return rc == MH_ERR_NOMEM ? mh_cli_fail(rc, "--field")
                                  : mh_cli_usage("%s", mh_err_message(rc));
    return MH_EXIT_OK;
}

/* --stamp PAGE,X,Y[,SIZE] */
static int sign_stamp(void *base, const struct mh_cli_opt *row, const char *v)
{
    mh_app_stamp *stamp = &((struct sign_args *)base)->stamp;
    int used = 0, got = sscanf(v, "%u,%lf,%lf%n,%lf%n", &stamp->page, &stamp->x, &stamp->y, &used,
                               &stamp->size, &used);
    (void)row;
    if (got < 3 || v[used] != '\0' || stamp->page < 1 || stamp->x < 0 || stamp->y < 0 ||
        (got == 4 && (stamp->size < 36 || stamp->size > 400)))
        return mh_cli_usage("--stamp is PAGE,X,Y[,SIZE] in points (PAGE from 1, SIZE "
                            "36-400), e.g. --stamp 1,420,40,100");
    ((struct sign_args *)base)->has_stamp = true;
    return MH_EXIT_OK;
}

static const struct mh_cli_opt sign_rows[] = {
    {MH_CLI_STR(struct sign_args, kind_id, "kind", "KIND"),
     .help = "the document kind (see 'mohur kinds')"},
    {MH_CLI_STR(struct sign_args, issuer, "issuer", "ID"),
     .help = "who signs (config.json's issuers; default: the first issuer that may sign KIND)"},
    {MH_CLI_KEY(struct sign_args, key),
     .help = "sign with this key instead of the issuer's key on the appliance token, e.g. a "
             "notary's USB token: 'pkcs11:token=Notary;object=sign?module-name=opensc-pkcs11' (the "
             "PIN is asked once; a wrong PIN is never retried)"},
    {MH_CLI_CALL("field", "ID=VALUE", sign_field),
     .help = "a field of the kind (repeat); --fields FILE.json gives them as a JSON object"},
    {MH_CLI_STR(struct sign_args, fields_file, "fields", "FILE.json"),
     .help = "the fields as a JSON object"},
    {MH_CLI_STR(struct sign_args, out, "out", "OUT"),
     .help = "the signed PDF (default FILE.signed.pdf), or the prefix of the outputs for other "
             "files (default FILE)"},
    {MH_CLI_STR(struct sign_args, doc_id, "doc-id", "ID"),
     .help = "the document id (default ISSUER/KIND/NUMBER)"},
    {MH_CLI_CALL("stamp", "PAGE,X,Y[,SIZE]", sign_stamp),
     .help = "put the QR stamp on PAGE (1 is the first) with the QR's lower-left corner at X,Y "
             "points from the page's lower-left corner, SIZE points wide (default: the kind's "
             "layout); the caption goes to its left. A stamp that does not fit is refused, never "
             "squeezed over the page"},
    {MH_CLI_JSON(struct sign_args, json)},
    {0}};
const struct mh_cli_spec mh_cli_sign_spec = {
    .usage = "mohur sign FILE --kind KIND [--issuer ID] [--key URI]\n"
             "                  [--field ID=VALUE]... [--fields FILE.json] [--out OUT]\n"
             "                  [--doc-id ID] [--stamp PAGE,X,Y[,SIZE]] [--json]",
    .about = "Sign one document and record it in the ledger. A PDF gets a PAdES signature\n"
             "as an incremental update with the QR stamp (the receipt) and a caption; any\n"
             "other file gets a detached CAdES signature OUT.p7s with OUT.qr.png,\n"
             "OUT.qr.svg and OUT.receipt (the QR's text). A PDF mohur signed already is\n"
             "co-signed (e.g. the employee after the employer): same document, same receipt.\n",
    .opts = sign_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give exactly one FILE to sign",
    .more =
        "Example:\n"
        "  mohur sign act.pdf --kind notary-act --issuer notary \\\n"
        "      --field act=2024/17 --field title=\"Power of attorney\" --field date=2024-05-02\n",
};

/* A signing that failed, and the receipt it voided if it made one. */
static int sign_failed(int rc, const char *file, const char *how, const mh_app_issue_res *res)
{
    int ret = mh_cli_fail(rc, "signing %s%s", file, how);
    if (res->voided && res->url[0])
        fprintf(stderr, "mohur: the receipt made for it verifies as voided: %s\n", res->url);
    return ret;
}

/* Who signs when no --issuer is given: the first issuer of the appliance
 * that may sign the kind. */
static int default_issuer(mh_app *a, const mh_kind *kind, bool cosign, const char **issuer)
{
    mh_app_issuer_info info[MH_APP_ISSUERS_MAX];
    size_t n = 0;
    if (kind && mh_app_issuers(a, info, MH_APP_ISSUERS_MAX, &n) == 0)
        for (size_t i = 0; i < n && i < MH_APP_ISSUERS_MAX && !*issuer; i++)
            for (size_t k = 0; k < info[i].nkinds; k++)
                if (strcmp(info[i].kinds[k], kind->id) == 0) {
                    static char chosen[MH_APP_ID_MAX + 1];
                    snprintf(chosen, sizeof chosen, "%s", info[i].id);
                    *issuer = chosen;
                    break;
                }
    if (!*issuer)
        return mh_cli_error(MH_EXIT_USAGE,
                            cosign ? "give the co-signer's key with --key (or an --issuer)"
                                   : "no issuer of this appliance may sign kind '%s'; give "
                                     "--issuer",
                            kind ? kind->id : "");
    return MH_EXIT_OK;
}

/* What was signed, as text or JSON. */
static void sign_print(bool json, const char *out, const mh_app_issue_res *res)
{
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "doc_id");
        mh_json_str(&j, res->doc_id);
        mh_json_key(&j, "log_index");
        mh_json_uint(&j, res->log_index);
        mh_json_key(&j, "url");
        mh_json_str(&j, res->url);
        mh_json_key(&j, "qr_version");
        mh_json_uint(&j, res->qr_version);
        mh_json_key(&j, "resumed");
        mh_json_bool(&j, res->resumed);
        mh_json_key(&j, "cosigned");
        mh_json_bool(&j, res->cosigned);
        mh_json_key(&j, "out");
        mh_json_str(&j, out);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else if (res->cosigned) {
        printf("co-signed: %s\n  document:  %s\n  log index: %llu\n  receipt:   %s (the "
               "document's own; a co-signature makes no new one)\n",
               out, res->doc_id, (unsigned long long)res->log_index, res->url);
    } else {
        if (res->pdf)
            printf("signed: %s\n", out);
        else
            printf("signed: %s.p7s (QR: %s.qr.png, %s.qr.svg; receipt URL: %s.receipt)\n", out, out,
                   out, out);
        printf("  document:  %s%s\n  log index: %llu\n  receipt:   %s\n  QR:        version %u, "
               "level M\n",
               res->doc_id, res->resumed ? " (already in the ledger: same entry reused)" : "",
               (unsigned long long)res->log_index, res->url, res->qr_version);
    }
}

static int cmd_sign(int argc, char **argv)
{
    struct sign_args *sa = calloc(1, sizeof *sa);
    mh_app_stamp stamp = {0};
    bool has_stamp = false;
    const char *kind_id = NULL, *issuer = NULL, *key = NULL, *fields_file = NULL, *out = NULL;
    const char *doc_id = NULL;
    bool json = false;
    int ret, rc;
    mh_app_fields fields;
    mh_kind *kind = NULL;
    mh_app *a = NULL;
    mh_app_signer *s = NULL;
    uint8_t *doc = NULL;
    size_t doc_len = 0;
    char outbuf[4096];
    mh_pdf_document *pdf = NULL;

    memset(&fields, 0, sizeof fields);
    if (!sa)
        return mh_cli_fail(MH_ERR_NOMEM, "reading the options");
    ret = mh_cli_parse(&mh_cli_sign_spec, argc, argv, sa);
    fields = sa->fields; /* freed at out */
    kind_id = sa->kind_id;
    issuer = sa->issuer;
    key = sa->key;
    fields_file = sa->fields_file;
    out = sa->out;
    doc_id = sa->doc_id;
    stamp = sa->stamp;
    has_stamp = sa->has_stamp;
    json = sa->json;
    free(sa);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
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
    /* a running mohurd holds the ledger: through it (daemon_client.c). A
     * party's co-signature writes no ledger entry: it is made here, with
     * the ledger opened for reading. A first signature with the user's own
     * token (--key): mohurd makes the document and its entry, and asks for
     * the signature of a digest, made here with the token */
    bool beside_daemon = key && mh_cli_daemon_running();
    if (!key && mh_cli_daemon_running()) {
        if ((rc = mh_cli_daemon_sign(&req, kind_id, issuer, NULL, out, &res)) != 0) {
            ret = sign_failed(rc, file, " through mohurd", &res);
            goto out;
        }
        goto print;
    }
    if ((rc = mh_app_open_ex(mh_cli_state_dir(), beside_daemon ? MH_APP_KEYS_ONLY : 0, &a)) != 0) {
        ret = open_fail(rc);
        goto out;
    }
    /* who signs: a party's own key co-signs; otherwise an issuer (by
     * default the first that may issue the kind) */
    if (!issuer && !(cosign && key) && (ret = default_issuer(a, kind, cosign, &issuer)) != 0)
        goto out;
    if ((rc = mh_app_signer_open(a, issuer, key, &s)) != 0) {
        ret = issuer ? mh_cli_fail(rc, "opening the signing key of '%s'", issuer)
                     : mh_cli_fail(rc, "opening the signing key");
        goto out;
    }
    if (beside_daemon && !cosign) {
        if ((rc = mh_cli_daemon_sign(&req, kind_id, issuer, s, out, &res)) != 0) {
            ret = sign_failed(rc, file, " through mohurd", &res);
            goto out;
        }
        goto print;
    }
    req.signer = s;
    req.pdf = pdf;
    if ((rc = mh_app_issue(a, &req, &res)) != 0) {
        ret = sign_failed(rc, file, "", &res);
        goto out;
    }
print:
    sign_print(json, out, &res);
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

struct verify_args {
    const char *p7s, *qr, *qr_image, *docp, *follow, *follow_state;
    bool json, etsi;
    mh_cli_val_opts vopt;
};
static const struct mh_cli_opt verify_rows[] = {
    {MH_CLI_STR(struct verify_args, p7s, "p7s", "FILE"), .help = "the detached signature of FILE"},
    {MH_CLI_STR(struct verify_args, qr, "qr", "TEXT"), .help = "the receipt URL from the QR code"},
    {MH_CLI_STR(struct verify_args, qr_image, "qr-image", "PNG"),
     .help = "a picture of the QR code"},
    {MH_CLI_STR(struct verify_args, docp, "doc", "FILE"),
     .help = "with --qr/--qr-image: the document to compare"},
    {MH_CLI_STR(struct verify_args, follow, "follow", "CONFIG"),
     .help = "check the receipt in the log of the registry it names"},
    {MH_CLI_STR(struct verify_args, follow_state, "follow-state", "DIR"),
     .help = "the follower's state (as 'mohur log follow --state')"},
    {MH_CLI_INCLUDE(struct verify_args, vopt, mh_cli_val_rows)},
    {MH_CLI_LIST(struct verify_args, vopt.certs, vopt.ncerts, "certs", "FILE"),
     .help = "more (untrusted) certificates: intermediates, a TSA's certificate"},
    {MH_CLI_FLAG(struct verify_args, etsi, "etsi"),
     .help = "only the ETSI validation (no receipt, ledger or registry policy): for documents from "
             "anyone"},
    {MH_CLI_JSON(struct verify_args, json)},
    {0}};
const struct mh_cli_spec mh_cli_verify_spec = {
    .usage =
        "mohur verify FILE [--p7s FILE.p7s] [--trust PATH]... [--etsi] [--json]\n"
        "       mohur verify --qr TEXT [--doc FILE] [--json]\n"
        "       mohur verify --qr-image PNG [--doc FILE] [--json]\n"
        "       mohur verify --qr TEXT --follow CONFIG --follow-state DIR [--doc FILE] [--json]",
    .about = "Check a document: every signature (integrity, coverage, changes after\n"
             "signing, the signer's certificate path at signing time, timestamps), the\n"
             "receipt (the registry's signature, the digest of the original bytes), and\n"
             "the ledger status. Prints a one-line verdict, then the details.\n"
             "\n"
             "FILE is a signed PDF, or any file with its detached signature (FILE.p7s by\n"
             "default) and receipt (FILE.receipt). --qr takes the text a QR scanner read;\n"
             "--qr-image decodes a PNG photo or scan with zbarimg (package zbar-tools) when\n"
             "it is installed; without it, scan the code with a phone and pass the text\n"
             "with --qr. --doc also checks a document against the receipt.\n"
             "\n"
             "A verifier of many registries (no appliance of its own): with --follow the\n"
             "receipt is checked in the log of whichever registry it names, among those\n"
             "CONFIG lists ('mohur log follow', docs/scale.md): the follower is brought up\n"
             "to date first (checkpoint signed and cosigned by its witnesses, audited),\n"
             "then the receipt's entry is proven in it and must record the document, the\n"
             "kind and every printed field; a copy older than the registry's max_age\n"
             "gives exit 9 (revocation status unknown).\n"
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
             "receipt); 9 revocation status unknown; 3 the input cannot be read.\n",
    .opts = verify_rows,
    .max_args = 1,
    .args_err = "give one FILE to verify",
    .more = "Example:\n"
            "  mohur verify diploma.signed.pdf\n"
            "  mohur verify contract.pdf --trust /etc/mohur/national-root.pem\n",
};

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
               v->receipt_sig_ok
                   ? (v->followed ? "by a key of its registry" : "by this registry's key")
               : v->followed ? "not checked (no key of the registry known: its log key is not "
                               "ECDSA P-256 and no receipt_keys are configured)"
                             : "NOT by this registry's key");
        if (v->qr_host[0])
            printf("  site:       %s%s%s\n", v->qr_host,
                   v->host_mismatch ? " -- NOT the registry's site, which is " : "",
                   v->host_mismatch ? v->signed_host : "");
        if (v->receipt_sig_ok || v->ledger_known) {
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
    if (v->followed) {
        date_str(v->follow_checked_at, d, sizeof d);
        printf("\nLog: %s, trusted up to %llu entries, last updated %s%s\n", v->follow_origin,
               (unsigned long long)v->follow_size, d,
               v->follow_stale ? " (OLDER than the registry's max_age)" : "");
        printf("  witnesses:  %zu cosigned (quorum %zu)\n", v->follow_witnesses, v->follow_quorum);
        if (v->follow_update[0])
            printf("  update:     FAILED: %s\n", v->follow_update);
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
    struct verify_args va;
    const char *p7s = NULL, *qr = NULL, *qr_image = NULL, *docp = NULL, *follow = NULL,
               *follow_state = NULL;
    bool json = false, etsi = false;
    mh_cli_val_opts vopt;
    mh_val_ctx *vctx = NULL;
    mh_val_report *vrep = NULL;
    int ret, rc;
    mh_app *a = NULL;
    mh_app_verdict *v = NULL;
    char scanned[4096];

    memset(&va, 0, sizeof va);
    if ((ret = mh_cli_parse(&mh_cli_verify_spec, argc, argv, &va)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    p7s = va.p7s;
    qr = va.qr;
    qr_image = va.qr_image;
    docp = va.docp;
    follow = va.follow;
    follow_state = va.follow_state;
    json = va.json;
    etsi = va.etsi;
    vopt = va.vopt;
    const char *file = optind < argc ? argv[optind] : NULL;
    if ((qr || qr_image) ? (file != NULL || p7s || (qr && qr_image)) : (!file || docp))
        return mh_cli_usage("give a FILE (with --p7s for other files than PDFs), or --qr TEXT, "
                            "or --qr-image PNG (with --doc FILE to compare a document)");
    if (!follow != !follow_state)
        return mh_cli_usage("--follow CONFIG and --follow-state DIR go together");
    if (follow && !(qr || qr_image))
        return mh_cli_usage("--follow checks a receipt: give --qr TEXT or --qr-image PNG");
    bool validating = etsi || vopt.ntrust;
    if (follow && validating)
        return mh_cli_usage("--follow checks a receipt; --trust and --etsi validate a FILE");
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
    if (!a && !follow && (rc = mh_app_open_ex(mh_cli_state_dir(), MH_APP_READ_ONLY, &a)) != 0) {
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
        rc = follow             ? mh_app_verify_followed(follow, follow_state, codes[i], docp, v)
             : (qr || qr_image) ? mh_app_verify_qr(a, codes[i], docp, v)
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

struct revoke_args {
    const char *reason;
    bool json;
};
static const struct mh_cli_opt revoke_rows[] = {
    {MH_CLI_STR(struct revoke_args, reason, "reason", "REASON"),
     .help = "an RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged, "
             "superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, "
             "aACompromise"},
    {MH_CLI_JSON(struct revoke_args, json)},
    {0}};
const struct mh_cli_spec mh_cli_revoke_spec = {
    .usage = "mohur revoke DOC-ID --reason REASON [--json]",
    .about = "Revoke a document: append a revoke entry to the ledger. Verifying the\n"
             "document or its QR then says it is revoked, with the reason and date.\n",
    .opts = revoke_rows,
    .more = "Example:\n  mohur revoke bdu/diploma/DP-2024-0001 --reason superseded\n",
    .min_args = 1,
    .max_args = 1,
    .args_err = "give one DOC-ID to revoke",
};

static int cmd_revoke(int argc, char **argv)
{
    struct revoke_args ra = {NULL, false};
    const char *reason = NULL;
    bool json = false;
    int ret, rc;
    mh_app *a = NULL;

    if ((ret = mh_cli_parse(&mh_cli_revoke_spec, argc, argv, &ra)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    reason = ra.reason;
    json = ra.json;
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

struct kinds_args {
    bool json;
};
static const struct mh_cli_opt kinds_rows[] = {{MH_CLI_JSON(struct kinds_args, json)}, {0}};
const struct mh_cli_spec mh_cli_kinds_spec = {
    .usage = "mohur kinds [--json]",
    .about = "List the document kinds (kinds/*.json; $MOHUR_KINDS_DIR overrides) with\n"
             "their names in Azerbaijani, Russian and English, and their fields.\n",
    .opts = kinds_rows,
};

static int cmd_kinds(int argc, char **argv)
{
    struct kinds_args ka = {false};
    bool json = false;
    int ret, rc;
    char ids[4096];
    size_t n = 0;
    mh_kind *k = NULL;

    if ((ret = mh_cli_parse(&mh_cli_kinds_spec, argc, argv, &ka)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    json = ka.json;
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
    {"init", NULL, &mh_cli_init_spec, cmd_init, NULL},
    {"sign", NULL, &mh_cli_sign_spec, cmd_sign, NULL},
    {"verify", NULL, &mh_cli_verify_spec, cmd_verify, NULL},
    {"revoke", NULL, &mh_cli_revoke_spec, cmd_revoke, NULL},
    {"kinds", NULL, &mh_cli_kinds_spec, cmd_kinds, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

int mh_cli_doc_main(int argc, char **argv)
{
    for (const struct mh_cli_cmd *c = doc_cmds; c->name; c++)
        if (strcmp(c->name, argv[0]) == 0)
            return c->run(argc, argv);
    return mh_cli_error(MH_EXIT_INTERNAL, "no command '%s'", argv[0]);
}
