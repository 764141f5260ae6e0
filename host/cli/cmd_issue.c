/*
 * cmd_issue.c - `mohur issue`: documents from a roster, as a pipeline
 * (host/app/mh_batch.h): rendered, stamped, signed and recorded on several
 * threads, with a progress bar, a summary, and re-runs that issue nothing
 * twice and miss nothing.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mh_app.h"
#include "mh_batch.h"

#define EXIT_INTERRUPTED 130

static const char mh_cli_issue_help[] =
    "Usage: mohur issue --kind KIND --roster FILE [--issuer ID] [--key URI] [--out DIR]\n"
    "                   [--jobs N] [--no-progress] [--json]\n"
    "\n"
    "Issues one document per row of a roster: each row is checked against the\n"
    "kind, rendered as a PDF from the kind's template, recorded in the ledger,\n"
    "stamped with its QR receipt and signed (PAdES) by the issuer's seal. Rows\n"
    "run on several threads at once, so rendering, signing, ledger commits and\n"
    "file writes overlap.\n"
    "\n"
    "The roster is CSV (UTF-8, a header row naming the fields) or JSON (an array\n"
    "of objects), told apart by the extension (.csv, .json). Each row's\n"
    "document id is '<issuer>/<kind>/<number>', from its 'number' field, and its\n"
    "file is DIR/<issuer>_<kind>_<number>.pdf (characters other than letters,\n"
    "digits, '-' and '.' written as +XX). So a re-run maps every row to the\n"
    "same document:\n"
    "  - already issued and its file present: skipped ('already issued');\n"
    "  - in the ledger but the file missing: made again from the ledger entry,\n"
    "    with no new entry ('re-made');\n"
    "  - in the ledger with other contents, or voided: reported for that row.\n"
    "A bad row is reported with its line number and the others go on.\n"
    "\n"
    "Ctrl-C finishes the documents being made, writes nothing half-done, prints\n"
    "the summary and stops; run the same command again to issue the rest\n"
    "(a second Ctrl-C stops at once; that is safe too). A problem every row\n"
    "would meet (the token removed, a wrong or locked PIN, the ledger or the\n"
    "disk failing) stops the batch with one sentence; documents whose signing\n"
    "failed after their ledger entry are voided in the ledger.\n"
    "\n"
    "Options:\n"
    "  --kind KIND     the document kind (see 'mohur kinds'), e.g. diploma\n"
    "  --roster FILE   the roster (.csv or .json, up to 512 MiB)\n"
    "  --issuer ID     the issuing organisation of config.json (default: the one\n"
    "                  issuer allowed to issue KIND)\n"
    "  --key URI       sign with this key instead of the issuer's key on the\n"
    "                  appliance token (e.g. a USB token; the PIN is asked once)\n"
    "  --out DIR       where the signed PDFs go (default: the current directory;\n"
    "                  created if missing)\n"
    "  --jobs N        worker threads, 1-64 (default: the number of cores)\n"
    "  --no-progress   no progress bar or progress lines\n"
    "  --json          print the summary as JSON\n"
    "\n"
    "A progress bar (done/total, rate, time left, errors) is drawn on standard\n"
    "error when it is a terminal; otherwise a line every tenth of the roster.\n"
    "\n"
    "Exit status: 0 every row was issued (or already issued); 1 some rows were\n"
    "not (bad rows, conflicts, voided); 130 interrupted (re-run to finish);\n"
    "otherwise the codes of 'mohur --help' (4 token, 5 PIN, 7 storage, ...).\n"
    "\n"
    "Environment: MOHUR_STATE_DIR, the appliance's state directory ('mohur init').\n"
    "\n"
    "Example:\n"
    "  mohur issue --kind diploma --roster graduates.csv --out diplomas/\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* The issuer to use: the one named, else the only one allowed to issue k. */
static int pick_issuer(mh_app *a, const mh_kind *k, const char *want, mh_app_issuer_info *out)
{
    mh_app_issuer_info is[MH_APP_ISSUERS_MAX];
    size_t n = 0, found = 0;
    int rc = mh_app_issuers(a, is, MH_APP_ISSUERS_MAX, &n);
    if (rc)
        return mh_cli_fail(rc, "reading the issuers of the configuration");
    if (n > MH_APP_ISSUERS_MAX)
        n = MH_APP_ISSUERS_MAX;
    for (size_t i = 0; i < n; i++) {
        if (want) {
            if (strcmp(is[i].id, want) == 0) {
                *out = is[i];
                return MH_EXIT_OK;
            }
            continue;
        }
        for (size_t j = 0; j < is[i].nkinds && j < 8; j++) {
            if (strcmp(is[i].kinds[j], k->id) == 0) {
                if (!found)
                    *out = is[i];
                found++;
            }
        }
    }
    if (want)
        return mh_cli_error(MH_EXIT_USAGE,
                            "%s: no issuer '%s' in the configuration; 'mohur kinds' and "
                            "config.json list them",
                            mh_cli_prog, want);
    if (found == 1)
        return MH_EXIT_OK;
    if (!found)
        return mh_cli_error(MH_EXIT_USAGE,
                            "%s: no issuer of the configuration may issue '%s'; give one in "
                            "config.json the kind, or name one with --issuer",
                            mh_cli_prog, k->id);
    return mh_cli_error(MH_EXIT_USAGE,
                        "%s: several issuers may issue '%s'; choose one with --issuer ID",
                        mh_cli_prog, k->id);
}

static void print_lines(FILE *f, const mh_batch_stats *st, size_t count)
{
    if (!st->nbad_lines)
        return;
    fputs(" (line", f);
    fputs(st->nbad_lines > 1 ? "s " : " ", f);
    for (size_t i = 0; i < st->nbad_lines; i++)
        fprintf(f, "%s%lu", i ? ", " : "", st->bad_lines[i]);
    if (count > st->nbad_lines)
        fputs(", ...", f);
    fputc(')', f);
}

static void print_summary(const mh_batch_stats *st, const char *kind, const char *out_dir)
{
    double rate = st->seconds > 0 ? (double)(st->issued + st->remade) / st->seconds : 0;
    size_t rowerr = st->bad + st->conflicts + st->voided + st->failed;
    printf("%s: %zu rows, %zu issued in %.2f s (%.1f/s) with %u threads into %s\n",
           rowerr || st->not_started || st->fatal ? "Issue incomplete" : "Issue complete", st->rows,
           st->issued + st->remade, st->seconds, rate, st->jobs, out_dir);
    (void)kind;
    printf("  issued:         %zu\n", st->issued);
    printf("  already issued: %zu\n", st->already);
    printf("  re-made:        %zu\n", st->remade);
    printf("  bad rows:       %zu", st->bad + st->conflicts + st->voided + st->failed);
    print_lines(stdout, st, rowerr);
    putchar('\n');
    printf("  conflicts:      %zu\n", st->conflicts);
    printf("  voided:         %zu\n", st->voided);
    printf("  failed:         %zu\n", st->failed);
    printf("  not started:    %zu\n", st->not_started);
}

static void print_json(const mh_batch_stats *st, const char *out_dir)
{
    mh_json j;
    mh_json_init(&j, stdout);
    mh_json_obj_begin(&j);
    mh_json_key(&j, "rows");
    mh_json_uint(&j, st->rows);
    mh_json_key(&j, "issued");
    mh_json_uint(&j, st->issued);
    mh_json_key(&j, "already_issued");
    mh_json_uint(&j, st->already);
    mh_json_key(&j, "remade");
    mh_json_uint(&j, st->remade);
    mh_json_key(&j, "bad_rows");
    mh_json_uint(&j, st->bad + st->conflicts + st->voided + st->failed);
    mh_json_key(&j, "bad_lines");
    mh_json_arr_begin(&j);
    for (size_t i = 0; i < st->nbad_lines; i++)
        mh_json_uint(&j, st->bad_lines[i]);
    mh_json_arr_end(&j);
    mh_json_key(&j, "conflicts");
    mh_json_uint(&j, st->conflicts);
    mh_json_key(&j, "voided");
    mh_json_uint(&j, st->voided);
    mh_json_key(&j, "failed");
    mh_json_uint(&j, st->failed);
    mh_json_key(&j, "not_started");
    mh_json_uint(&j, st->not_started);
    mh_json_key(&j, "threads");
    mh_json_uint(&j, st->jobs);
    mh_json_key(&j, "elapsed_ms");
    mh_json_uint(&j, (unsigned long long)(st->seconds * 1000.0 + 0.5));
    mh_json_key(&j, "per_second");
    mh_json_uint(&j, st->seconds > 0
                         ? (unsigned long long)((double)(st->issued + st->remade) / st->seconds)
                         : 0);
    mh_json_key(&j, "interrupted");
    mh_json_bool(&j, st->interrupted);
    mh_json_key(&j, "out");
    mh_json_str(&j, out_dir);
    mh_json_key(&j, "error");
    if (st->fatal)
        mh_json_str(&j, st->fatal_msg);
    else
        mh_json_null(&j);
    mh_json_obj_end(&j);
    mh_json_end(&j);
}

int mh_cli_issue(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},   {"roster", required_argument, NULL, 'r'},
        {"issuer", required_argument, NULL, 'i'}, {"key", required_argument, NULL, 'K'},
        {"out", required_argument, NULL, 'o'},    {"jobs", required_argument, NULL, 'j'},
        {"no-progress", no_argument, NULL, 'P'},  {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int ret = MH_EXIT_USAGE, ch, rc;
    const char *kind_id = NULL, *roster = NULL, *issuer = NULL, *key = NULL, *out_dir = ".";
    unsigned jobs = 0;
    bool json = false, no_progress = false;
    mh_app *app = NULL;
    mh_app_signer *signer = NULL;
    mh_kind *kind = NULL;
    mh_app_issuer_info info;
    mh_batch_stats st;
    struct sigaction sa, old_int, old_term;
    bool handlers = false;

    memset(&st, 0, sizeof st);
    ret = mh_cli_check_long(argc, argv, opts);
    if (ret)
        goto out;
    while ((ch = getopt_long(argc, argv, ":k:r:i:K:o:j:PJh", opts, NULL)) != -1) {
        switch (ch) {
        case 'k':
            kind_id = optarg;
            break;
        case 'r':
            roster = optarg;
            break;
        case 'i':
            issuer = optarg;
            break;
        case 'K':
            key = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'j': {
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || !end || *end || optarg[0] == '-' || v < 1 || v > MH_BATCH_MAX_JOBS) {
                ret = mh_cli_usage("--jobs must be a number from 1 to %d", MH_BATCH_MAX_JOBS);
                goto out;
            }
            jobs = (unsigned)v;
            break;
        }
        case 'P':
            no_progress = true;
            break;
        case 'J':
            json = true;
            break;
        case 'h':
            fputs(mh_cli_issue_help, stdout);
            ret = MH_EXIT_OK;
            goto out;
        default:
            ret = mh_cli_bad_option(ch, argv);
            goto out;
        }
    }
    ret = mh_cli_no_operands(argc, argv);
    if (ret)
        goto out;
    if (!kind_id) {
        ret = mh_cli_usage("--kind is required (e.g. --kind diploma; 'mohur kinds' lists them)");
        goto out;
    }
    if (!roster) {
        ret = mh_cli_usage("--roster is required (a .csv or .json file, one row per document)");
        goto out;
    }
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        ret = mh_cli_error(MH_EXIT_INPUT, "%s: the output directory %s cannot be made: %s",
                           mh_cli_prog, out_dir, strerror(errno));
        goto out;
    }

    if (!key && mh_cli_daemon_running()) {
        /* a running mohurd holds the ledger: the batch runs there
         * (daemon_client.c) */
        mh_err_clear();
        rc = mh_cli_daemon_batch(kind_id, issuer, roster, out_dir, !no_progress, &st);
        goto report;
    }
    rc = mh_app_open(mh_cli_state_dir(), &app);
    if (rc) {
        ret = mh_cli_fail(rc, "opening the appliance in %s", mh_cli_state_dir());
        goto out;
    }
    kind = calloc(1, sizeof *kind);
    if (!kind) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "loading the kind");
        goto out;
    }
    rc = mh_kind_load(mh_app_kinds_dir(app), kind_id, kind);
    if (rc) {
        ret = mh_cli_fail(rc, "loading the kind '%s'", kind_id);
        goto out;
    }
    ret = pick_issuer(app, kind, issuer, &info);
    if (ret)
        goto out;
    rc = mh_app_signer_open(app, info.id, key, &signer);
    if (rc) {
        ret = mh_cli_fail(rc, "opening the signing key of '%s'", info.id);
        goto out;
    }
    if (!mh_app_signer_may_issue(signer, kind)) {
        ret = mh_cli_error(MH_EXIT_TOKEN,
                           "%s: the issuer '%s' may not issue '%s' documents (config.json "
                           "lists the kinds of each issuer)",
                           mh_cli_prog, info.id, kind->id);
        goto out;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* a second Ctrl-C stops at once; outputs are renamed into place whole,
     * and the next run re-makes anything recorded but not written */
    sa.sa_flags = (int)(SA_RESTART | (unsigned)SA_RESETHAND);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    handlers = true;

    mh_batch_opts bo = {
        .kind = kind,
        .roster = roster,
        .issuer_id = info.id,
        .issuer_name = info.name,
        .out_dir = out_dir,
        .app = app,
        .signer = signer,
        .jobs = jobs,
        .progress = no_progress ? -1 : (isatty(STDERR_FILENO) ? 1 : 0),
        .log = stderr,
        .stop = &interrupted,
    };
    mh_err_clear();
    rc = mh_batch_run(&bo, &st);
report:
    if (rc && !st.fatal) {
        /* nothing ran: the roster, the template or the directory */
        ret = mh_cli_fail(rc, "issuing from %s", roster);
        goto out;
    }
    if (json)
        print_json(&st, out_dir);
    else
        print_summary(&st, kind_id, out_dir);
    if (st.fatal) {
        ret = mh_cli_error(mh_cli_exit_code(st.fatal),
                           "%s: the batch stopped: %s\nDocuments whose signing failed after "
                           "their ledger entry were voided. When the problem is fixed, run the "
                           "same command again: documents already issued are skipped.",
                           mh_cli_prog, st.fatal_msg);
    } else if (st.interrupted) {
        fprintf(stderr,
                "%s: interrupted; %zu rows were not started. The documents made are "
                "complete. Run the same command again to issue the rest: nothing is issued "
                "twice.\n",
                mh_cli_prog, st.not_started);
        ret = EXIT_INTERRUPTED;
    } else if (st.bad || st.conflicts || st.voided || st.failed || st.not_started) {
        ret = MH_EXIT_INVALID;
    } else {
        ret = MH_EXIT_OK;
    }
out:
    if (handlers) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    mh_app_signer_close(signer);
    mh_app_close(app);
    free(kind);
    return ret;
}
