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
#include "mh_docs.h"

#define EXIT_INTERRUPTED 130

struct issue_args {
    const char *kind_id;
    const char *roster;
    const char *issuer;
    const char *key;
    const char *out_dir;
    bool no_progress;
    bool json;
    unsigned jobs;
};
static const struct mh_cli_opt issue_rows[] = {
    {MH_CLI_STR(struct issue_args, kind_id, "kind", "KIND"), .shrt = 'k',
     .help = "the document kind (see 'mohur kinds'), e.g. diploma"},
    {MH_CLI_STR(struct issue_args, roster, "roster", "FILE"), .shrt = 'r',
     .help = "the roster (.csv or .json, up to 512 MiB)"},
    {MH_CLI_STR(struct issue_args, issuer, "issuer", "ID"), .shrt = 'i',
     .help =
         "the issuing organisation of config.json (default: the one issuer allowed to issue KIND)"},
    {MH_CLI_KEY(struct issue_args, key), .shrt = 'K',
     .help = "sign with this key instead of the issuer's key on the appliance token (e.g. a USB "
             "token; the PIN is asked once)"},
    {MH_CLI_STR(struct issue_args, out_dir, "out", "DIR"), .shrt = 'o',
     .help = "where the signed PDFs go (default: the current directory; created if missing)"},
    {MH_CLI_UINT(struct issue_args, jobs, "jobs", "N", 1, MH_BATCH_MAX_JOBS), .shrt = 'j',
     .err = "--jobs must be a number from 1 to 64",
     .help = "worker threads, 1-64 (default: eight per core)"},
    {MH_CLI_FLAG(struct issue_args, no_progress, "no-progress"), .shrt = 'P',
     .help = "no progress bar or progress lines"},
    {MH_CLI_JSON(struct issue_args, json), .shrt = 'J',
     .help = "print the summary as JSON: the counts, and \"results\": one object per row, by line "
             "(line, id, file, url, result, reason); result is issued, re-made, already issued, "
             "bad, conflict, voided or failed"},
    {0}};
const struct mh_cli_spec mh_cli_issue_spec = {
    .usage = "mohur issue --kind KIND --roster FILE [--issuer ID] [--key URI] [--out DIR]\n"
             "                   [--jobs N] [--no-progress] [--json]",
    .about = "Issues one document per row of a roster: each row is checked against the\n"
             "kind, rendered as a PDF from the kind's template, recorded in the ledger,\n"
             "stamped with its QR receipt and signed (PAdES) by the issuer's seal. Rows\n"
             "run on several threads at once, so rendering, signing, ledger commits and\n"
             "file writes overlap.\n"
             "\n"
             "The roster is CSV (UTF-8, a header row naming the fields) or JSON (an array\n"
             "of objects), told apart by the extension (.csv, .json); anything that is\n"
             "not UTF-8 text is refused whole (exit 3). A header names a field by its id\n"
             "('mohur kinds' lists them), in any case and with spaces around allowed\n"
             "('Name', ' NAME ' are 'name'); a column that is no field of the kind, or a\n"
             "required field without a column, is refused before any row (exit 3). JSON\n"
             "keys follow the same rule. Each row's\n"
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
             "failed after their ledger entry are voided in the ledger.\n",
    .opts = issue_rows,
    .more = "A progress bar (done/total, rate, time left, errors) is drawn on standard\n"
            "error when it is a terminal; otherwise a line every tenth of the roster.\n"
            "\n"
            "Exit status: 0 every row was issued (or already issued); 1 some rows were\n"
            "not (bad rows, conflicts, voided); 3 the roster cannot be read, is not\n"
            "text, or its header does not fit the kind; 130 interrupted (re-run to finish);\n"
            "otherwise the codes of 'mohur --help' (4 token, 5 PIN, 7 storage, ...).\n"
            "\n"
            "Environment: MOHUR_STATE_DIR, the appliance's state directory ('mohur init').\n"
            "\n"
            "Example:\n"
            "  mohur issue --kind diploma --roster graduates.csv --out diplomas/\n",
};

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
                            "no issuer '%s' in the configuration; 'mohur kinds' and "
                            "config.json list them",
                            want);
    if (found == 1)
        return MH_EXIT_OK;
    if (!found)
        return mh_cli_error(MH_EXIT_USAGE,
                            "no issuer of the configuration may issue '%s'; give one in "
                            "config.json the kind, or name one with --issuer",
                            k->id);
    return mh_cli_error(MH_EXIT_USAGE,
                        "several issuers may issue '%s'; choose one with --issuer ID", k->id);
}

/* ---- per-row results ------------------------------------------------------ */

struct row_res {
    unsigned long line;
    char *id, *file, *url, *reason;
    const char *result;
};

struct rows {
    struct row_res *r;
    size_t n, cap;
    bool oom;
};

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    size_t l = strlen(s);
    char *c = malloc(l + 1);
    if (c)
        memcpy(c, s, l + 1);
    return c;
}

/* mh_batch_opts.on_row: called one at a time. */
static void on_row(void *ctx, const mh_batch_row *row)
{
    struct rows *rs = ctx;
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 256;
        struct row_res *nr = realloc(rs->r, nc * sizeof *nr);
        if (!nr) {
            rs->oom = true;
            return;
        }
        rs->r = nr;
        rs->cap = nc;
    }
    struct row_res *r = &rs->r[rs->n++];
    r->line = row->line;
    r->result = row->result;
    r->id = dup_or_null(row->id);
    r->file = dup_or_null(row->file);
    r->url = dup_or_null(row->url);
    r->reason = dup_or_null(row->reason);
}

static int by_line(const void *a, const void *b)
{
    const struct row_res *x = a, *y = b;
    return x->line < y->line ? -1 : x->line > y->line;
}

static void rows_free(struct rows *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->r[i].id);
        free(rs->r[i].file);
        free(rs->r[i].url);
        free(rs->r[i].reason);
    }
    free(rs->r);
}

/* The URL of a row that was already issued: from the document index. */
static void fill_urls(mh_app *app, struct rows *rs)
{
    mh_docs_record *d = malloc(sizeof *d);
    if (!d)
        return;
    for (size_t i = 0; i < rs->n; i++) {
        struct row_res *r = &rs->r[i];
        if (r->url || !r->id || strcmp(r->result, "already issued") != 0)
            continue;
        if (mh_docs_get(app, r->id, d) == 0 && d->url[0])
            r->url = dup_or_null(d->url);
    }
    free(d);
}

static int cmp_ulong(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

static size_t not_issued(const mh_batch_stats *st)
{
    return st->bad + st->conflicts + st->voided + st->failed;
}

/* The lines of the rows not issued, in order (up to MH_BATCH_BAD_LINES kept). */
static void print_lines(FILE *f, mh_batch_stats *st)
{
    if (!st->nbad_lines)
        return;
    qsort(st->bad_lines, st->nbad_lines, sizeof st->bad_lines[0], cmp_ulong);
    fputs(st->nbad_lines > 1 ? " (lines " : " (line ", f);
    for (size_t i = 0; i < st->nbad_lines; i++)
        fprintf(f, "%s%lu", i ? ", " : "", st->bad_lines[i]);
    if (not_issued(st) > st->nbad_lines)
        fputs(", ...", f);
    fputc(')', f);
}

/* The headline counts what was made in this run by name, so the words and
 * the counts below always agree. */
static void print_summary(mh_batch_stats *st, const char *out_dir)
{
    size_t bad = not_issued(st);
    printf("%s: %zu row%s: %zu issued, %zu re-made, %zu already issued, %zu not issued, %zu not "
           "started (%.2f s, %.1f/s, %u threads, into %s)\n",
           bad || st->not_started || st->fatal ? "Issue incomplete" : "Issue complete", st->rows,
           st->rows == 1 ? "" : "s", st->issued, st->remade, st->already, bad, st->not_started,
           st->seconds, mh_batch_rate(st), st->jobs, out_dir);
    printf("  issued:         %zu\n", st->issued);
    printf("  re-made:        %zu\n", st->remade);
    printf("  already issued: %zu\n", st->already);
    printf("  not issued:     %zu", bad);
    print_lines(stdout, st);
    putchar('\n');
    printf("    bad rows:     %zu\n", st->bad);
    printf("    conflicts:    %zu\n", st->conflicts);
    printf("    voided:       %zu\n", st->voided);
    printf("    failed:       %zu\n", st->failed);
    printf("  not started:    %zu\n", st->not_started);
}

static void json_opt_str(mh_json *j, const char *key, const char *v)
{
    mh_json_key(j, key);
    if (v)
        mh_json_str(j, v);
    else
        mh_json_null(j);
}

static void print_json(mh_batch_stats *st, const char *out_dir, struct rows *rs)
{
    mh_json j;
    mh_json_init(&j, stdout);
    mh_json_obj_begin(&j);
    mh_json_key(&j, "complete");
    mh_json_bool(&j, !(not_issued(st) || st->not_started || st->fatal));
    mh_json_key(&j, "rows");
    mh_json_uint(&j, st->rows);
    mh_json_key(&j, "issued");
    mh_json_uint(&j, st->issued);
    mh_json_key(&j, "remade");
    mh_json_uint(&j, st->remade);
    mh_json_key(&j, "already_issued");
    mh_json_uint(&j, st->already);
    mh_json_key(&j, "not_issued");
    mh_json_uint(&j, not_issued(st));
    mh_json_key(&j, "bad_rows");
    mh_json_uint(&j, st->bad);
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
    mh_json_uint(&j, mh_batch_elapsed_ms(st));
    mh_json_key(&j, "per_second");
    mh_json_uint(&j, (unsigned long long)mh_batch_rate(st));
    mh_json_key(&j, "interrupted");
    mh_json_bool(&j, st->interrupted);
    mh_json_key(&j, "out");
    mh_json_str(&j, out_dir);
    json_opt_str(&j, "error", st->fatal ? st->fatal_msg : NULL);
    /* one object per row, by line */
    if (rs->n) /* none when the batch ran in mohurd */
        qsort(rs->r, rs->n, sizeof rs->r[0], by_line);
    mh_json_key(&j, "results");
    mh_json_arr_begin(&j);
    for (size_t i = 0; i < rs->n; i++) {
        const struct row_res *r = &rs->r[i];
        mh_json_obj_begin(&j);
        mh_json_key(&j, "line");
        mh_json_uint(&j, r->line);
        json_opt_str(&j, "id", r->id);
        json_opt_str(&j, "file", r->file);
        json_opt_str(&j, "url", r->url);
        mh_json_key(&j, "result");
        mh_json_str(&j, r->result);
        json_opt_str(&j, "reason", r->reason);
        mh_json_obj_end(&j);
    }
    mh_json_arr_end(&j);
    mh_json_obj_end(&j);
    mh_json_end(&j);
}

/* The exit status of a batch that ran, and what the user should do next. */
static int batch_exit(const mh_batch_stats *st)
{
    if (st->fatal)
        return mh_cli_error(mh_cli_exit_code(st->fatal),
                            "the batch stopped: %s\nDocuments whose signing failed after "
                            "their ledger entry were voided. When the problem is fixed, run the "
                            "same command again: documents already issued are skipped.",
                            st->fatal_msg);
    if (st->interrupted) {
        fprintf(stderr,
                "mohur: interrupted; %zu rows were not started. The documents made are "
                "complete. Run the same command again to issue the rest: nothing is issued "
                "twice.\n",
                st->not_started);
        return EXIT_INTERRUPTED;
    }
    return not_issued(st) || st->not_started ? MH_EXIT_INVALID : MH_EXIT_OK;
}

int mh_cli_issue(int argc, char **argv)
{
    struct issue_args a = {.out_dir = "."};
    int ret = MH_EXIT_USAGE, rc;
    const char *kind_id = NULL, *roster = NULL, *issuer = NULL, *key = NULL, *out_dir = ".";
    unsigned jobs = 0;
    bool json = false, no_progress = false;
    mh_app *app = NULL;
    mh_app_signer *signer = NULL;
    mh_kind *kind = NULL;
    mh_app_issuer_info info;
    mh_batch_stats st;
    struct rows rs = {0};
    struct sigaction sa, old_int, old_term;
    bool handlers = false;

    memset(&st, 0, sizeof st);
    ret = mh_cli_parse(&mh_cli_issue_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    kind_id = a.kind_id;
    roster = a.roster;
    issuer = a.issuer;
    key = a.key;
    out_dir = a.out_dir;
    no_progress = a.no_progress;
    json = a.json;
    jobs = a.jobs;
    if (!kind_id) {
        ret = mh_cli_usage("--kind is required (e.g. --kind diploma; 'mohur kinds' lists them)");
        goto out;
    }
    if (!roster) {
        ret = mh_cli_usage("--roster is required (a .csv or .json file, one row per document)");
        goto out;
    }
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        ret = mh_cli_error(MH_EXIT_INPUT, "the output directory %s cannot be made: %s", out_dir,
                           strerror(errno));
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
                           "the issuer '%s' may not issue '%s' documents (config.json "
                           "lists the kinds of each issuer)",
                           info.id, kind->id);
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
        .on_row = json ? on_row : NULL,
        .row_ctx = &rs,
    };
    rc = mh_batch_run(&bo, &st);
report:
    if (rc && !st.fatal) {
        /* nothing ran: the roster, the template or the directory */
        ret = mh_cli_fail(rc, "issuing from %s", roster);
        goto out;
    }
    if (json) {
        if (app) /* a batch that ran in mohurd: its rows are mohurd's */
            fill_urls(app, &rs);
        print_json(&st, out_dir, &rs);
    } else {
        print_summary(&st, out_dir);
    }
    ret = batch_exit(&st);
out:
    if (handlers) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    mh_app_signer_close(signer);
    mh_app_close(app);
    free(kind);
    rows_free(&rs);
    return ret;
}
