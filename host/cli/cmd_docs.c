/*
 * cmd_docs.c - `mohur docs`: what was issued, found again (host/app/mh_docs.h):
 * list, search, show, export, reprint, reindex, prune.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_app.h"
#include "mh_docs.h"

struct docs_args {
    mh_docs_filter f;
    bool json, csv;
    const char *out, *key;
    uint64_t limit;
};

#define T struct docs_args

/* --status S */
static int status_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    (void)row;
    if (strcmp(v, "valid") != 0 && strcmp(v, "revoked") != 0 && strcmp(v, "voided") != 0 &&
        strcmp(v, "any") != 0)
        return mh_cli_usage("--status is valid, revoked, voided or any");
    ((struct docs_args *)base)->f.status = v;
    return MH_EXIT_OK;
}

/* --from DATE, --to DATE (a date alone: its first or its last second) */
static int date_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    bool to = strcmp(row->name, "to") == 0;
    mh_docs_filter *f = &((struct docs_args *)base)->f;
    if (mh_cli_parse_time(v, to, to ? &f->to : &f->from) != 0)
        return mh_cli_usage("--%s takes a date, YYYY-MM-DD (UTC), or "
                            "YYYY-MM-DDTHH:MM:SSZ",
                            row->name);
    return MH_EXIT_OK;
}

/* the filter of list, search and export */
static const struct mh_cli_opt filter_rows[] = {
    {MH_CLI_STR(T, f.kind, "kind", "KIND"), .help = "documents of this kind ('mohur kinds')"},
    {MH_CLI_STR(T, f.issuer, "issuer", "ID"),
     .help = "documents of this issuer (config.json's issuers)"},
    {MH_CLI_CALL("status", "S", status_opt),
     .help = "valid, revoked, voided or any (default: valid and revoked; a voided document was "
             "never delivered)"},
    {MH_CLI_CALL("from", "DATE", date_opt),
     .help = "issued on or after DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)"},
    {MH_CLI_CALL("to", "DATE", date_opt),
     .help = "issued on or before DATE (a date alone: up to its end)"},
    {0}};
static const struct mh_cli_opt match_row[] = {
    {MH_CLI_STR(T, f.text, "match", "TEXT"),
     .help = "the id or a printed field contains TEXT, without regard to case (I, i, İ and ı are "
             "one letter)"},
    {0}};
static const struct mh_cli_opt limit_row[] = {
    {MH_CLI_UINT(T, limit, "limit", "N", 1, ULONG_MAX),
     .err = "--limit takes a number of documents, 1 or more", .help = "at most N documents"},
    {0}};

/* Parses the options of a docs command; -1 after --help. */
static int parse(int argc, char **argv, const struct mh_cli_spec *spec, struct docs_args *a)
{
    int ret;
    memset(a, 0, sizeof *a);
    if ((ret = mh_cli_parse(spec, argc, argv, a)) != 0)
        return ret;
    if (a->json && a->csv)
        return mh_cli_usage("choose one of --json and --csv");
    if (a->f.from && a->f.to && a->f.from > a->f.to)
        return mh_cli_usage("--from is after --to");
    return 0;
}

static int open_app(bool write, mh_app **a)
{
    int rc = mh_app_open_ex(mh_cli_state_dir(), write ? 0 : MH_APP_READ_ONLY, a);
    if (rc)
        return mh_cli_fail(rc, "opening the appliance in %s", mh_cli_state_dir());
    return MH_EXIT_OK;
}

/* ---- output ------------------------------------------------------------------- */

/* The printed fields of a kind in its order, cached (for columns). */
struct kcache {
    size_t n;
    mh_kind *k[32];
};

static const mh_kind *kind_of(struct kcache *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->k[i]->id, id) == 0)
            return c->k[i];
    if (c->n == 32)
        return NULL;
    mh_kind *k = calloc(1, sizeof *k);
    if (!k || mh_kind_load(mh_kinds_dir(), id, k) != 0) {
        free(k);
        return NULL;
    }
    c->k[c->n++] = k;
    return k;
}

static void kcache_free(struct kcache *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->k[i]);
}

static const char *rec_field(const mh_docs_record *r, const char *id)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->field_key[i], id) == 0)
            return r->field_val[i];
    return NULL;
}

static void csv_cell(FILE *f, const char *s)
{
    /* RFC 4180; a cell that a spreadsheet would run as a formula is quoted
     * with a leading apostrophe (CSV injection) */
    bool quote =
        strpbrk(s, ",\"\r\n") != NULL || s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

struct out_ctx {
    FILE *f;
    enum { OUT_TABLE, OUT_JSON, OUT_CSV } mode;
    mh_json j;
    struct kcache kinds;
    /* CSV: the field columns */
    size_t ncols;
    char cols[64][33];
    unsigned long n, limit;
};

static void json_record(mh_json *j, const mh_docs_record *r, struct kcache *kc)
{
    char t[40];
    mh_json_obj_begin(j);
    mh_json_key(j, "id");
    mh_json_str(j, r->doc_id);
    mh_json_key(j, "log_index");
    mh_json_uint(j, r->log_index);
    mh_json_key(j, "kind");
    mh_json_str(j, r->kind);
    mh_json_key(j, "issuer");
    mh_json_str(j, r->issuer);
    mh_json_key(j, "issued");
    mh_cli_time_iso(r->issued_at, t, sizeof t);
    mh_json_str(j, t);
    mh_json_key(j, "status");
    mh_json_str(j, r->status);
    if (strcmp(r->status, "valid") != 0) {
        mh_json_key(j, strcmp(r->status, "revoked") == 0 ? "revoked" : "voided");
        mh_cli_time_iso(r->revoked_at, t, sizeof t);
        mh_json_str(j, t);
    }
    if (strcmp(r->status, "revoked") == 0) {
        mh_json_key(j, "reason");
        mh_json_str(j, mh_app_reason_name(r->reason));
    }
    mh_json_key(j, "indexed");
    mh_json_bool(j, r->indexed);
    if (r->indexed) {
        mh_json_key(j, "rendered");
        mh_json_bool(j, r->rendered);
        mh_json_key(j, "file");
        mh_json_str(j, r->file);
        mh_json_key(j, "url");
        mh_json_str(j, r->url);
        mh_json_key(j, "archived");
        mh_json_bool(j, r->archive[0] != 0);
        mh_json_key(j, "fields");
        mh_json_obj_begin(j);
        const mh_kind *k = kind_of(kc, r->kind);
        /* the kind's order, then anything else */
        if (k)
            for (size_t i = 0; i < k->nfields; i++) {
                const char *v = rec_field(r, k->fields[i].id);
                if (v) {
                    mh_json_key(j, k->fields[i].id);
                    mh_json_str(j, v);
                }
            }
        for (size_t i = 0; i < r->nfields; i++) {
            if (k && mh_kind_field_index(k, r->field_key[i]) >= 0)
                continue;
            mh_json_key(j, r->field_key[i]);
            mh_json_str(j, r->field_val[i]);
        }
        mh_json_obj_end(j);
    }
    mh_json_obj_end(j);
}

/* The printed values in the kind's order, " · " between them. */
static void summary(const mh_docs_record *r, struct kcache *kc, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    if (!r->indexed) {
        snprintf(buf, cap, "(not in the index: 'mohur docs reindex')");
        return;
    }
    const mh_kind *k = kind_of(kc, r->kind);
    for (size_t i = 0; k && i < k->nfields; i++) {
        const char *v = rec_field(r, k->fields[i].id);
        if (!v || strcmp(k->fields[i].id, "number") == 0)
            continue;
        int n = snprintf(buf + o, cap - o, "%s%s", o ? " · " : "", v);
        if (n < 0 || (size_t)n >= cap - o)
            break;
        o += (size_t)n;
    }
}

static int emit(void *ctx, const mh_docs_record *r)
{
    struct out_ctx *c = ctx;
    char t[40], s[600];
    if (c->limit && c->n >= c->limit)
        return 1;
    c->n++;
    switch (c->mode) {
    case OUT_JSON:
        json_record(&c->j, r, &c->kinds);
        break;
    case OUT_CSV: {
        char idx[24];
        snprintf(idx, sizeof idx, "%llu", (unsigned long long)r->log_index);
        mh_cli_time_iso(r->issued_at, t, sizeof t);
        const char *cells[] = {r->doc_id, idx, r->kind, r->issuer, t, r->status};
        for (size_t i = 0; i < 6; i++) {
            if (i)
                fputc(',', c->f);
            csv_cell(c->f, cells[i]);
        }
        fputc(',', c->f);
        if (strcmp(r->status, "valid") != 0) {
            mh_cli_time_iso(r->revoked_at, t, sizeof t);
            csv_cell(c->f, t);
        }
        fputc(',', c->f);
        if (strcmp(r->status, "revoked") == 0)
            csv_cell(c->f, mh_app_reason_name(r->reason));
        fputc(',', c->f);
        csv_cell(c->f, r->file);
        fputc(',', c->f);
        csv_cell(c->f, r->url);
        for (size_t i = 0; i < c->ncols; i++) {
            const char *v = rec_field(r, c->cols[i]);
            fputc(',', c->f);
            csv_cell(c->f, v ? v : "");
        }
        fputs("\r\n", c->f);
        break;
    }
    case OUT_TABLE:
        mh_cli_time_iso(r->issued_at, t, sizeof t);
        summary(r, &c->kinds, s, sizeof s);
        fprintf(c->f, "%-20s  %-7s  %-32s  %s\n", t, r->status, r->doc_id, s);
        break;
    }
    return 0;
}

/* CSV columns: the printed fields of the kind asked for, else of every kind. */
static void csv_columns(struct out_ctx *c, const char *kind)
{
    char ids[4096];
    size_t n = 0;
    if (kind) {
        memcpy(ids, kind, strnlen(kind, 39) + 1);
        ids[strnlen(kind, 39)] = '\0';
        n = 1;
    } else if (mh_kind_list(mh_kinds_dir(), ids, sizeof ids, &n) != 0) {
        n = 0;
    }
    const char *p = ids;
    for (size_t i = 0; i < n; i++, p += strlen(p) + 1) {
        const mh_kind *k = kind_of(&c->kinds, p);
        for (size_t f = 0; k && f < k->nfields; f++) {
            if (!k->fields[f].printed)
                continue;
            bool have = false;
            for (size_t x = 0; x < c->ncols; x++)
                have |= strcmp(c->cols[x], k->fields[f].id) == 0;
            if (!have && c->ncols < 64)
                snprintf(c->cols[c->ncols++], sizeof c->cols[0], "%s", k->fields[f].id);
        }
    }
    fputs("id,log_index,kind,issuer,issued,status,revoked,reason,file,url", c->f);
    for (size_t i = 0; i < c->ncols; i++) {
        fputc(',', c->f);
        csv_cell(c->f, c->cols[i]);
    }
    fputs("\r\n", c->f);
}

static int run_query(const struct docs_args *da, bool csv_default)
{
    mh_app *a = NULL;
    FILE *f = stdout;
    struct out_ctx *c = calloc(1, sizeof *c);
    int ret, rc;
    if (!c)
        return mh_cli_fail(MH_ERR_NOMEM, "listing");
    if (da->f.kind) {
        mh_kind k;
        if ((rc = mh_kind_load(mh_kinds_dir(), da->f.kind, &k)) != 0) {
            ret = mh_cli_fail(rc, "--kind %.40s", da->f.kind);
            goto out;
        }
    }
    if ((ret = open_app(false, &a)) != 0)
        goto out;
    if (da->out && strcmp(da->out, "-") != 0) {
        f = fopen(da->out, "wx");
        if (!f) {
            ret = mh_cli_error(MH_EXIT_INPUT, "%s cannot be written (it must not exist yet): %s",
                               da->out, strerror(errno));
            f = stdout;
            goto out;
        }
    }
    c->f = f;
    c->limit = da->limit;
    c->mode = da->json ? OUT_JSON : (da->csv || csv_default) ? OUT_CSV : OUT_TABLE;
    if (c->mode == OUT_JSON) {
        mh_json_init(&c->j, f);
        mh_json_arr_begin(&c->j);
    } else if (c->mode == OUT_CSV) {
        csv_columns(c, da->f.kind);
    } else {
        fprintf(f, "%-20s  %-7s  %-32s  %s\n", "ISSUED (UTC)", "STATUS", "ID", "PRINTED");
    }
    rc = mh_docs_query(a, &da->f, emit, c);
    if (rc < 0) {
        ret = mh_cli_fail(rc, "reading the ledger and the index");
        goto out;
    }
    if (c->mode == OUT_JSON) {
        mh_json_arr_end(&c->j);
        mh_json_end(&c->j);
    } else if (c->mode == OUT_TABLE) {
        if (c->n == 0)
            fprintf(f, "(no documents match)\n");
        else
            fprintf(f, "%lu document%s%s\n", c->n, c->n == 1 ? "" : "s",
                    c->limit && c->n >= c->limit ? " (--limit reached)" : "");
    }
    ret = MH_EXIT_OK;
out:
    if (f != stdout) {
        if (fclose(f) != 0 && ret == MH_EXIT_OK)
            ret = mh_cli_error(MH_EXIT_INPUT, "%s could not be written", da->out);
        else if (ret == MH_EXIT_OK)
            fprintf(stderr, "mohur: %lu documents written to %s\n", c->n, da->out);
    }
    mh_app_close(a);
    if (c)
        kcache_free(&c->kinds);
    free(c);
    return ret;
}

/* ---- list, search, export -------------------------------------------------------- */

static const struct mh_cli_opt docs_list_rows[] = {
    {MH_CLI_INCLUDE_ALL(filter_rows)},
    {MH_CLI_INCLUDE_ALL(match_row)},
    {MH_CLI_INCLUDE_ALL(limit_row)},
    {MH_CLI_JSON(T, json), .help = "a JSON array of objects"},
    {MH_CLI_FLAG(T, csv, "csv"),
     .help = "CSV (RFC 4180) with a header row, as 'mohur docs export'"},
    {0}};
static const struct mh_cli_spec docs_list_spec = {
    .usage = "mohur docs list [--kind KIND] [--issuer ID] [--status S] [--from DATE]\n"
             "                       [--to DATE] [--match TEXT] [--limit N] [--json | --csv]",
    .about = "Lists the documents this appliance issued, oldest first: the ledger's issue\n"
             "entries (id, kind, issuer, time, status now) joined with the private index of\n"
             "their printed fields. Times are UTC, ISO 8601.\n",
    .opts = docs_list_rows,
    .more = "Exit status: 0 (also when nothing matches), 2 usage, 3 an unknown kind,\n"
            "7 the ledger or the index cannot be read.\n"
            "\n"
            "Example:\n"
            "  mohur docs list --kind diploma --from 2026-06-01 --to 2026-06-30\n",
};

static int cmd_list(int argc, char **argv)
{
    struct docs_args da;
    int ret = parse(argc, argv, &docs_list_spec, &da);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    return run_query(&da, false);
}

static const struct mh_cli_opt docs_search_rows[] = {
    {MH_CLI_INCLUDE_ALL(filter_rows)},
    {MH_CLI_INCLUDE_ALL(limit_row)},
    {MH_CLI_JSON(T, json), .help = "a JSON array of objects"},
    {MH_CLI_FLAG(T, csv, "csv"), .help = "CSV (RFC 4180) with a header row"},
    {0}};
static const struct mh_cli_spec docs_search_spec = {
    .usage = "mohur docs search TEXT [--kind KIND] [--issuer ID] [--status S]\n"
             "                       [--from DATE] [--to DATE] [--limit N] [--json | --csv]",
    .about = "Finds documents whose id or a printed field (a graduate's name, a number, a\n"
             "date) contains TEXT, without regard to case in Latin, Azerbaijani and\n"
             "Cyrillic letters ('əliyeva' finds ƏLİYEVA; I, i, İ and ı are one letter).\n"
             "The same as 'mohur docs list --match TEXT'.\n",
    .opts = docs_search_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give one TEXT to search for (quote it if it has spaces)",
    .more = "Exit status: 0 (also when nothing matches), 2 usage, 3 an unknown kind,\n"
            "7 the ledger or the index cannot be read.\n"
            "\n"
            "Example:\n"
            "  mohur docs search 'Əliyeva' --kind diploma\n",
};

static int cmd_search(int argc, char **argv)
{
    struct docs_args da;
    int ret = parse(argc, argv, &docs_search_spec, &da);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (!argv[optind][0])
        return mh_cli_usage("the TEXT to search for is empty");
    da.f.text = argv[optind];
    return run_query(&da, false);
}

static const struct mh_cli_opt docs_export_rows[] = {
    {MH_CLI_INCLUDE_ALL(filter_rows)},
    {MH_CLI_INCLUDE_ALL(match_row)},
    {MH_CLI_JSON(T, json), .help = "a JSON array instead of CSV"},
    {MH_CLI_OUT(T, out),
     .help = "write to FILE, which must not exist yet (default: standard output)"},
    {0}};
static const struct mh_cli_spec docs_export_spec = {
    .usage = "mohur docs export [--kind KIND] [--issuer ID] [--status S] [--from DATE]\n"
             "                         [--to DATE] [--match TEXT] [--json] [--out FILE]",
    .about = "A report of the documents issued (a batch, a period, a kind) as CSV (RFC\n"
             "4180, UTF-8, CRLF): id, log_index, kind, issuer, issued, status, revoked,\n"
             "reason, file, url, then one column per printed field (the kind's, or every\n"
             "kind's). A cell that begins with = + - @ is quoted with a leading apostrophe,\n"
             "so a spreadsheet never runs it as a formula.\n",
    .opts = docs_export_rows,
    .more = "Exit status: 0, 2 usage, 3 an unknown kind or FILE cannot be written,\n"
            "7 the ledger or the index cannot be read.\n"
            "\n"
            "Example:\n"
            "  mohur docs export --kind diploma --from 2026-06-01 --out june.csv\n",
};

static int cmd_export(int argc, char **argv)
{
    struct docs_args da;
    int ret = parse(argc, argv, &docs_export_spec, &da);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    return run_query(&da, true);
}

/* ---- show -------------------------------------------------------------------------- */

static const struct mh_cli_opt docs_show_rows[] = {
    {MH_CLI_JSON(T, json), .help = "one JSON object"}, {0}};
static const struct mh_cli_spec docs_show_spec = {
    .usage = "mohur docs show DOC-ID [--json]",
    .about = "Shows one document: its ledger entry (log index, kind, issuer, time), its\n"
             "status now (valid, revoked with the reason and date, voided), and from the\n"
             "index its printed fields, the file it was written to, its verify URL and\n"
             "whether the archive keeps a copy.\n",
    .opts = docs_show_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give one DOC-ID (e.g. bdu/diploma/BDU-2026-0001)",
    .more = "Exit status: 0, 2 usage, 3 no such document in the ledger.\n"
            "\n"
            "Example:\n"
            "  mohur docs show bdu/diploma/BDU-2026-0001\n",
};

static int cmd_show(int argc, char **argv)
{
    struct docs_args da;
    mh_app *a = NULL;
    mh_docs_record *r = NULL;
    struct kcache kc = {0};
    int ret = parse(argc, argv, &docs_show_spec, &da), rc;
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    const char *id = argv[optind];
    if ((ret = open_app(false, &a)) != 0)
        return ret;
    r = malloc(sizeof *r);
    if (!r) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "showing");
        goto out;
    }
    if ((rc = mh_docs_get(a, id, r)) != 0) {
        ret = mh_cli_fail(rc, "%.128s", id);
        goto out;
    }
    if (da.json) {
        mh_json j;
        mh_json_init(&j, stdout);
        json_record(&j, r, &kc);
        mh_json_end(&j);
    } else {
        char t[40];
        mh_cli_time_iso(r->issued_at, t, sizeof t);
        printf("%s\n  status:    %s", r->doc_id, r->status);
        if (strcmp(r->status, "valid") != 0) {
            char rt[40];
            mh_cli_time_iso(r->revoked_at, rt, sizeof rt);
            if (strcmp(r->status, "revoked") == 0)
                printf(" on %s (%s)", rt, mh_app_reason_name(r->reason));
            else
                printf(" on %s (its signing failed: never delivered)", rt);
        }
        printf("\n  kind:      %s\n  issuer:    %s\n  issued:    %s\n  log index: %llu\n", r->kind,
               r->issuer, t, (unsigned long long)r->log_index);
        if (!r->indexed) {
            printf("  printed:   not in the index (run 'mohur docs reindex' on a signed copy)\n");
        } else {
            const mh_kind *k = kind_of(&kc, r->kind);
            /* the kind's order and English labels, then anything else */
            for (size_t i = 0; k && i < k->nfields; i++) {
                const char *v = rec_field(r, k->fields[i].id);
                if (v)
                    printf("  %-10s %s\n", k->fields[i].label[MH_LANG_EN], v);
            }
            for (size_t i = 0; i < r->nfields; i++)
                if (!k || mh_kind_field_index(k, r->field_key[i]) < 0)
                    printf("  %-10s %s\n", r->field_key[i], r->field_val[i]);
            printf("  file:      %s\n  url:       %s\n  made:      %s\n  archived:  %s\n", r->file,
                   r->url,
                   r->rendered ? "rendered by mohur (can be re-printed)" : "supplied by the signer",
                   r->archive[0] ? "yes (mohur docs reprint)" : "no");
        }
    }
    ret = MH_EXIT_OK;
out:
    kcache_free(&kc);
    free(r);
    mh_app_close(a);
    return ret;
}

/* ---- reprint ------------------------------------------------------------------------- */

static const struct mh_cli_opt docs_reprint_rows[] = {
    {MH_CLI_OUT(T, out), .help = "where the document goes (replaced if it exists)"},
    {MH_CLI_KEY(T, key), .help = "the key that issued it, when not the issuer's key "
                                 "on the appliance token (its PIN is asked)"},
    {MH_CLI_JSON(T, json)},
    {0}};
static const struct mh_cli_spec docs_reprint_spec = {
    .usage = "mohur docs reprint DOC-ID --out FILE [--key URI] [--json]",
    .about = "Makes a lost document again, by its id, without the roster:\n"
             "  - a rendered document (a diploma, a certificate) is rendered again from\n"
             "    its indexed fields, which must give exactly the original bytes the\n"
             "    ledger names, then signed again by its issuer: the same receipt claims\n"
             "    and QR contents, a new signature over the same original bytes;\n"
             "  - a supplied document (a notary act) is copied from the archive, the same\n"
             "    bytes as delivered, when the archive is on (docs/documents.md); else it\n"
             "    cannot be made again here.\n"
             "A revoked or voided document is not printed again.\n",
    .opts = docs_reprint_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give one DOC-ID to print again",
    .more = "Exit status: 0, 2 usage, 3 no such document, not indexed, not archived,\n"
            "revoked, or no longer the same bytes; 4 token, 5 PIN, 7 storage.\n"
            "\n"
            "Example:\n"
            "  mohur docs reprint bdu/diploma/BDU-2026-0001 --out copy.pdf\n",
};

static int cmd_reprint(int argc, char **argv)
{
    struct docs_args da;
    mh_app *a = NULL;
    mh_docs_reprint_res res;
    int ret = parse(argc, argv, &docs_reprint_spec, &da), rc;
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (!da.out)
        return mh_cli_usage("--out FILE is required");
    const char *id = argv[optind];
    /* an archived copy is only read (this works beside a running mohurd,
     * which holds the ledger for writing); a rendered document is signed
     * again, which needs the appliance for writing */
    bool archived = false;
    mh_docs_record *d = calloc(1, sizeof *d);
    if (!d)
        return mh_cli_fail(MH_ERR_NOMEM, "re-printing %.128s", id);
    if (mh_app_open_ex(mh_cli_state_dir(), MH_APP_READ_ONLY, &a) == 0 && mh_docs_get(a, id, d) == 0)
        archived = d->archive[0] != 0;
    free(d);
    mh_err_clear();
    if (!archived) {
        mh_app_close(a);
        a = NULL;
        if ((ret = open_app(true, &a)) != 0)
            return ret;
    }
    if ((rc = mh_docs_reprint(a, id, da.key, da.out, &res)) != 0) {
        ret = mh_cli_fail(rc, "re-printing %.128s", id);
        goto out;
    }
    if (da.json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "id");
        mh_json_str(&j, id);
        mh_json_key(&j, "out");
        mh_json_str(&j, res.out);
        mh_json_key(&j, "how");
        mh_json_str(&j, res.copied ? "archived copy" : "signed again");
        mh_json_key(&j, "url");
        mh_json_str(&j, res.url);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("%s: %s\n  %s\n  verify at: %s\n", id, res.out,
               res.copied ? "the archived copy: the same bytes as delivered"
                          : "rendered again (the same original bytes) and signed again",
               res.url);
    }
    ret = MH_EXIT_OK;
out:
    mh_app_close(a);
    return ret;
}

/* ---- reindex, prune ------------------------------------------------------------------ */

static const struct mh_cli_opt docs_reindex_rows[] = {
    {MH_CLI_JSON(T, json), .help = "one JSON object per file, in an array"}, {0}};
static const struct mh_cli_spec docs_reindex_spec = {
    .usage = "mohur docs reindex FILE... [--json]",
    .about = "Rebuilds the index from signed documents (after the index was lost, or for\n"
             "documents issued before it existed): each FILE (a signed PDF, or a file\n"
             "with its .p7s and .receipt) is verified against this appliance first; its\n"
             "receipt's printed fields, its verify URL and where it is are recorded. A\n"
             "record made at issue (every printed field) keeps its fields.\n",
    .opts = docs_reindex_rows,
    .min_args = 1,
    .max_args = UINT_MAX,
    .args_err = "give the signed documents to index",
    .more = "Exit status: 0 every file was indexed; 1 some did not verify; 2 usage;\n"
            "3 a file cannot be read; 7 storage.\n"
            "\n"
            "Example:\n"
            "  mohur docs reindex diplomas/*.pdf\n",
};

static int cmd_reindex(int argc, char **argv)
{
    struct docs_args da;
    mh_app *a = NULL;
    mh_json j;
    int ret = parse(argc, argv, &docs_reindex_spec, &da), rc, worst = MH_EXIT_OK;
    size_t good = 0, bad = 0;
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if ((ret = open_app(false, &a)) != 0)
        return ret;
    mh_docs_record *r = malloc(sizeof *r);
    if (!r) {
        mh_app_close(a);
        return mh_cli_fail(MH_ERR_NOMEM, "re-indexing");
    }
    if (da.json) {
        mh_json_init(&j, stdout);
        mh_json_arr_begin(&j);
    }
    for (int i = optind; i < argc; i++) {
        rc = mh_docs_reindex_file(a, argv[i], r);
        if (da.json) {
            mh_json_obj_begin(&j);
            mh_json_key(&j, "file");
            mh_json_str(&j, argv[i]);
            mh_json_key(&j, "indexed");
            mh_json_bool(&j, rc == 0);
            mh_json_key(&j, rc ? "reason" : "id");
            mh_json_str(&j, rc ? mh_err_message(rc) : r->doc_id);
            mh_json_obj_end(&j);
        }
        if (rc) {
            int code = rc == MH_ERR_VERIFY_FAILED ? MH_EXIT_INVALID : mh_cli_exit_code(rc);
            if (!da.json)
                fprintf(stderr, "mohur: %s: %s\n", argv[i], mh_err_message(rc));
            if (code > worst)
                worst = code;
            bad++;
            continue;
        }
        if (!da.json)
            printf("indexed: %s (%s)\n", r->doc_id, argv[i]);
        good++;
    }
    if (da.json) {
        mh_json_arr_end(&j);
        mh_json_end(&j);
    } else {
        printf("%zu indexed, %zu not\n", good, bad);
    }
    free(r);
    mh_app_close(a);
    return worst;
}

static const struct mh_cli_opt docs_prune_rows[] = {
    {MH_CLI_JSON(T, json), .help = "print the count as JSON"}, {0}};
static const struct mh_cli_spec docs_prune_spec = {
    .usage = "mohur docs prune [--json]",
    .about = "Applies the archive's retention: removes archived copies kept longer than\n"
             "config.json's archive.keep_days after their issue (default 3650 days), and\n"
             "those of voided documents. The index keeps the documents' records. The\n"
             "Debian package runs this daily (/etc/cron.daily/mohur).\n",
    .opts = docs_prune_rows,
    .more = "Exit status: 0, 2 usage, 7 storage.\n",
};

#undef T

static int cmd_prune(int argc, char **argv)
{
    struct docs_args da;
    mh_app *a = NULL;
    size_t n = 0;
    unsigned days = 0;
    int ret = parse(argc, argv, &docs_prune_spec, &da), rc;
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if ((ret = open_app(false, &a)) != 0)
        return ret;
    bool on = mh_docs_archive_enabled(a, &days);
    if ((rc = mh_docs_prune(a, 0, &n)) != 0) {
        ret = mh_cli_fail(rc, "pruning the archive");
        goto out;
    }
    if (da.json)
        printf("{\"removed\": %zu, \"archive\": %s, \"keep_days\": %u}\n", n, on ? "true" : "false",
               days);
    else
        printf("%zu archived cop%s removed (archive %s, kept %u days)\n", n, n == 1 ? "y" : "ies",
               on ? "on" : "off", days);
    ret = MH_EXIT_OK;
out:
    mh_app_close(a);
    return ret;
}

const struct mh_cli_cmd mh_cli_docs_cmds[] = {
    {"list", "list what was issued (filters: kind, issuer, status, dates, text)", &docs_list_spec,
     cmd_list, NULL},
    {"search", "find documents by a name, number or any printed field", &docs_search_spec,
     cmd_search, NULL},
    {"show", "one document: status, printed fields, file, verify URL", &docs_show_spec, cmd_show,
     NULL},
    {"export", "a CSV (or JSON) report of a batch or a period", &docs_export_spec, cmd_export,
     NULL},
    {"reprint", "make a lost document again by its id", &docs_reprint_spec, cmd_reprint, NULL},
    {"reindex", "rebuild the index from signed documents", &docs_reindex_spec, cmd_reindex, NULL},
    {"prune", "apply the archive's retention", &docs_prune_spec, cmd_prune, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
