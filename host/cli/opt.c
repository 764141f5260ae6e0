/*
 * opt.c - the one option parser of `mohur` (opt.h): getopt_long underneath,
 * its tables built from each command's rows.
 */
#include "opt.h"

#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_MAX 96

/* The rows of a spec flattened: each with the offset of its fields. */
struct flat {
    const struct mh_cli_opt *row[ROWS_MAX];
    size_t base[ROWS_MAX];
    size_t n;
};

static void flatten(struct flat *fl, const struct mh_cli_opt *rows, size_t base)
{
    for (const struct mh_cli_opt *r = rows; r && r->kind != MH_CLI_END; r++) {
        if (r->kind == MH_CLI_ROWS) {
            flatten(fl, r->rows, base + r->off);
            continue;
        }
        if (fl->n == ROWS_MAX)
            abort(); /* a table this large is a bug */
        fl->row[fl->n] = r;
        fl->base[fl->n++] = base;
    }
}

static bool takes_value(const struct mh_cli_opt *r)
{
    return r->kind != MH_CLI_FLAG && !(r->kind == MH_CLI_CALL && (r->flags & MH_CLI_NOARG));
}

static const struct mh_cli_opt help_row = {
    .name = "help", .shrt = 'h', .kind = MH_CLI_FLAG, .help = "show this help"};

/* ---- errors ----------------------------------------------------------------- */

static int bad_option(int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    /* Print the option's name only, never its value: someone may have
     * typed --pin=1234. */
    size_t n = strcspn(arg, "=");
    if (n > 40)
        n = 40;
    if (strncmp(arg, "--pin", 5) == 0 || strncmp(arg, "--so-pin", 8) == 0 ||
        strncmp(arg, "--user-pin", 10) == 0) {
        if (strcmp(arg, "--so-pin-file") != 0 && strcmp(arg, "--pin-file") != 0)
            return mh_cli_usage("a PIN is never taken on the command line; put it in a file "
                                "readable only by you and use pin-source=file:PATH in the "
                                "URI, or let mohur ask for it");
    }
    if (c == ':')
        return mh_cli_usage("option '%.*s' needs a value", (int)n, arg);
    if (optopt && !(arg[0] == '-' && arg[1] == '-'))
        return mh_cli_usage("unknown option '-%c'", optopt);
    return mh_cli_usage("unknown option '%.*s'", (int)n, arg);
}

/* Refuses any long option that is not spelled out in full: getopt_long
 * would take "--pin 1234" as an abbreviation of "--pin-file". */
static int check_long(int argc, char **argv, const struct option *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] != '-' || a[1] != '-')
            continue;
        size_t n = strcspn(a + 2, "=");
        const struct option *o = NULL;
        for (const struct option *p = opts; p->name; p++) {
            if (strlen(p->name) == n && strncmp(p->name, a + 2, n) == 0) {
                o = p;
                break;
            }
        }
        if (!o) {
            optind = i + 1;
            optopt = 0;
            return bad_option('?', argv);
        }
        if (o->has_arg == required_argument && a[2 + n] != '=')
            i++; /* its value, whatever it looks like */
    }
    return MH_EXIT_OK;
}

/* ---- values ----------------------------------------------------------------- */

static int set_uint(void *p, const struct mh_cli_opt *r, const char *s)
{
    char *end;
    unsigned long long v;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        goto bad;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        goto bad;
    if (v < r->min || v > r->max) {
        if (r->err)
            return mh_cli_usage("%s", r->err);
        return mh_cli_usage("--%s is %llu to %llu", r->name, r->min, r->max);
    }
    if (r->size == sizeof(uint64_t)) {
        uint64_t x = v;
        memcpy(p, &x, sizeof x);
    } else if (r->size == sizeof(uint32_t)) {
        uint32_t x = (uint32_t)v;
        memcpy(p, &x, sizeof x);
    } else if (r->size == sizeof(uint16_t)) {
        uint16_t x = (uint16_t)v;
        memcpy(p, &x, sizeof x);
    } else {
        abort(); /* a field of another size is a bug in the table */
    }
    return MH_EXIT_OK;
bad:
    if (r->err)
        return mh_cli_usage("%s", r->err);
    return mh_cli_usage("--%s needs a non-negative whole number, not '%.40s'", r->name, s);
}

static int apply(const struct mh_cli_opt *r, char *b, const char *value)
{
    void *p = b + r->off;
    if (r->flags & MH_CLI_SEEN)
        *(bool *)(b + r->off2) = true;
    switch ((enum mh_cli_kind)r->kind) {
    case MH_CLI_FLAG:
        *(bool *)p = true;
        return MH_EXIT_OK;
    case MH_CLI_STR:
        *(const char **)p = value;
        return MH_EXIT_OK;
    case MH_CLI_LIST: {
        size_t *n = (size_t *)(b + r->off2);
        if (*n >= r->max) {
            if (r->err)
                return mh_cli_usage("%s", r->err);
            return mh_cli_usage("at most %llu --%s options", r->max, r->name);
        }
        ((const char **)p)[(*n)++] = value;
        return MH_EXIT_OK;
    }
    case MH_CLI_UINT:
        return set_uint(p, r, value);
    case MH_CLI_CALL:
        return r->call(b, r, value);
    case MH_CLI_END:
    case MH_CLI_ROWS:
        break;
    }
    return MH_EXIT_INTERNAL;
}

/* "--a", "--a and --b", "--a, --b and --c" are required */
static int missing(const struct flat *fl, const bool *given)
{
    char msg[512];
    size_t o = 0, k = 0, total = 0;
    for (size_t i = 0; i < fl->n; i++)
        total += (fl->row[i]->flags & MH_CLI_REQUIRED) && !given[i];
    if (!total)
        return MH_EXIT_OK;
    msg[0] = '\0';
    for (size_t i = 0; i < fl->n && o < sizeof msg; i++) {
        if (!(fl->row[i]->flags & MH_CLI_REQUIRED) || given[i])
            continue;
        k++;
        int w = snprintf(msg + o, sizeof msg - o, "%s--%s",
                         k == 1       ? ""
                         : k == total ? " and "
                                      : ", ",
                         fl->row[i]->name);
        if (w > 0)
            o += (size_t)w;
    }
    return mh_cli_usage("%s %s required", msg, total == 1 ? "is" : "are");
}

static int no_operands(int argc, char **argv)
{
    if (optind < argc) {
        const char *a = argv[optind];
        size_t n = strnlen(a, 40);
        return mh_cli_usage("unexpected argument '%.*s' (every value is given with an option)",
                            (int)n, a);
    }
    return MH_EXIT_OK;
}

int mh_cli_parse(const struct mh_cli_spec *s, int argc, char **argv, void *base)
{
    struct flat fl;
    struct option lo[ROWS_MAX + 2];
    char shorts[2 * ROWS_MAX + 4];
    bool given[ROWS_MAX];
    size_t ns = 0;
    int ch, ret;

    fl.n = 0;
    flatten(&fl, s->opts, 0);
    memset(given, 0, sizeof given);
    shorts[ns++] = ':';
    for (size_t i = 0; i < fl.n; i++) {
        const struct mh_cli_opt *r = fl.row[i];
        lo[i].name = r->name;
        lo[i].has_arg = takes_value(r) ? required_argument : no_argument;
        lo[i].flag = NULL;
        lo[i].val = 256 + (int)i;
        if (r->shrt) {
            shorts[ns++] = r->shrt;
            if (takes_value(r))
                shorts[ns++] = ':';
        }
    }
    shorts[ns++] = 'h';
    shorts[ns] = '\0';
    lo[fl.n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[fl.n + 1] = (struct option){NULL, 0, NULL, 0};

    if ((ret = check_long(argc, argv, lo)))
        return ret;
    while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        size_t i = fl.n;
        if (ch == 'h') {
            mh_cli_print_help(s, stdout);
            return -1;
        }
        if (ch >= 256 && (size_t)(ch - 256) < fl.n) {
            i = (size_t)(ch - 256);
        } else if (ch != '?' && ch != ':') {
            for (i = 0; i < fl.n && fl.row[i]->shrt != ch; i++)
                ;
        }
        if (i == fl.n)
            return bad_option(ch, argv);
        given[i] = true;
        if ((ret = apply(fl.row[i], (char *)base + fl.base[i], optarg)))
            return ret;
    }
    int n = argc - optind;
    if (s->max_args == 0 && (ret = no_operands(argc, argv)))
        return ret;
    if (s->max_args && (n < (int)s->min_args || (unsigned)n > s->max_args))
        return mh_cli_usage("%s", s->args_err ? s->args_err : "wrong number of arguments");
    return missing(&fl, given);
}

/* ---- help ------------------------------------------------------------------- */

#define COL_MAX 22
#define WIDTH 80

static void left_of(const struct mh_cli_opt *r, char *buf, size_t cap)
{
    char sh[8] = "";
    if (r->shrt)
        snprintf(sh, sizeof sh, "-%c, ", r->shrt);
    snprintf(buf, cap, "%s--%s%s%s", sh, r->name, r->arg ? " " : "", r->arg ? r->arg : "");
}

int mh_cli_each_opt(const struct mh_cli_spec *s,
                    int (*fn)(void *ctx, const struct mh_cli_opt *row, const char *left,
                              const char *help),
                    void *ctx)
{
    struct flat fl;
    char left[128];
    int ret;
    fl.n = 0;
    flatten(&fl, s->opts, 0);
    for (size_t i = 0; i <= fl.n; i++) {
        const struct mh_cli_opt *r = i < fl.n ? fl.row[i] : &help_row;
        if (r->flags & MH_CLI_HIDDEN)
            continue;
        left_of(r, left, sizeof left);
        if ((ret = fn(ctx, r, left, r->help ? r->help : r->dhelp ? r->dhelp : "")))
            return ret;
    }
    return 0;
}

struct help_ctx {
    FILE *f;
    size_t col;
};

static int widest(void *ctx, const struct mh_cli_opt *row, const char *left, const char *help)
{
    struct help_ctx *h = ctx;
    size_t w = 2 + strlen(left) + 2;
    (void)row;
    (void)help;
    if (w > h->col && w <= COL_MAX)
        h->col = w;
    return 0;
}

/* Prints text from column col, wrapped at WIDTH, '\n' kept; the first line
 * starts at `at`. */
static void wrapped(FILE *f, const char *t, size_t col, size_t at)
{
    size_t pos = at;
    while (*t) {
        if (*t == '\n') {
            fprintf(f, "\n%*s", (int)col, "");
            pos = col;
            t++;
            continue;
        }
        size_t sp = strspn(t, " ");
        size_t w = strcspn(t + sp, " \n");
        if (pos > col && pos + sp + w > WIDTH) {
            fprintf(f, "\n%*s", (int)col, "");
            pos = col;
            t += sp;
            sp = 0;
        }
        fprintf(f, "%.*s", (int)(sp + w), t);
        pos += sp + w;
        t += sp + w;
    }
    fputc('\n', f);
}

static int print_row(void *ctx, const struct mh_cli_opt *row, const char *left, const char *help)
{
    struct help_ctx *h = ctx;
    size_t w = 2 + strlen(left);
    (void)row;
    fprintf(h->f, "  %s", left);
    if (w + 2 > h->col) {
        fprintf(h->f, "\n%*s", (int)h->col, "");
        w = h->col;
    } else {
        fprintf(h->f, "%*s", (int)(h->col - w), "");
        w = h->col;
    }
    wrapped(h->f, help, h->col, w);
    return 0;
}

void mh_cli_print_help(const struct mh_cli_spec *s, FILE *f)
{
    struct help_ctx h = {f, 8};
    fprintf(f, "Usage: %s\n", s->usage);
    if (s->about)
        fprintf(f, "\n%s", s->about);
    fputs("\nOptions:\n", f);
    mh_cli_each_opt(s, widest, &h);
    mh_cli_each_opt(s, print_row, &h);
    if (s->more)
        fprintf(f, "\n%s", s->more);
}
