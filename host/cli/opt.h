/*
 * opt.h - the CLI as a table: each command declares its options as rows
 * and one parser (opt.c) reads argv into the command's own options struct,
 * reports every usage error, and prints --help; the man pages and the bash
 * completion (manpage.c) are made from the same rows. After OpenSSH's
 * option tables and wg(8)'s subcommand table.
 *
 * A command:
 *
 *   struct sign_opts { const char *key, *in; bool json; unsigned days; };
 *   #define T struct sign_opts
 *   static const struct mh_cli_opt sign_rows[] = {
 *       {MH_CLI_KEY(T, key), .flags = MH_CLI_REQUIRED},
 *       {MH_CLI_STR(T, in, "in", "FILE"), .help = "the file to sign"},
 *       {MH_CLI_UINT(T, days, "days", "N", 1, 36500), .help = "valid this long"},
 *       {MH_CLI_JSON(T, json)},
 *       {0}};
 *   static const struct mh_cli_spec sign_spec = {
 *       .usage = "mohur key sign --key URI --in FILE [--json]",
 *       .about = "Signs a file.", .opts = sign_rows, .more = "Example:\n  ...\n"};
 *
 *   int ret = mh_cli_parse(&sign_spec, argc, argv, &o);
 *   if (ret)
 *       return ret < 0 ? MH_EXIT_OK : ret;   (-1: --help was printed)
 *
 * --help (-h) is every command's, declared here once.
 */
#ifndef MH_CLI_OPT_H
#define MH_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum mh_cli_kind {
    MH_CLI_END = 0,
    MH_CLI_FLAG, /* bool at off: true when given */
    MH_CLI_STR,  /* const char * at off: the value (the last one given) */
    MH_CLI_LIST, /* const char *[max] at off, its count (size_t) at off2 */
    MH_CLI_UINT, /* an unsigned integer of `size` bytes at off, min..max */
    MH_CLI_CALL, /* call(base, row, value): the odd ones (ID=VALUE, PAGE,X,Y) */
    MH_CLI_ROWS  /* the rows `rows`, their offsets counted from off */
};

enum {
    MH_CLI_REQUIRED = 1, /* the command needs it */
    MH_CLI_HIDDEN = 2,   /* accepted, not shown in --help, man page or completion */
    MH_CLI_SEEN = 4,     /* a bool at off2 is set when the option is given */
    MH_CLI_NOARG = 8     /* MH_CLI_CALL without a value */
};

struct mh_cli_opt {
    const char *name; /* the long name, without "--" */
    char shrt;        /* a short letter, or 0 */
    unsigned char kind, flags;
    unsigned char size; /* MH_CLI_UINT: sizeof the field */
    size_t off, off2;
    const char *arg;             /* the value's name in --help: FILE, URI */
    const char *help;            /* what it does: one line, or several ('\n') */
    const char *dhelp;           /* the shared rows' default for help */
    const char *err;             /* the usage error for a bad value (or too many) */
    unsigned long long min, max; /* MH_CLI_UINT: the range; MH_CLI_LIST: max */
    int (*call)(void *base, const struct mh_cli_opt *row, const char *value);
    const struct mh_cli_opt *rows; /* MH_CLI_ROWS */
};

struct mh_cli_spec {
    const char *usage; /* after "Usage: "; more lines after '\n', as aligned */
    const char *about; /* the description: paragraphs */
    const struct mh_cli_opt *opts;
    const char *more;            /* after the options: "Exit status: ...", "Example:\n  ..." */
    unsigned min_args, max_args; /* operands: 0 and 0 for none */
    const char *args_err;        /* the usage error when their count is wrong */
};

/* Row heads (designated initialisers: add .shrt, .help, .flags). */
#define MH_CLI_FIELD(T, f) .off = offsetof(T, f)
#define MH_CLI_FLAG(T, f, n) .name = n, .kind = MH_CLI_FLAG, MH_CLI_FIELD(T, f)
#define MH_CLI_STR(T, f, n, a) .name = n, .kind = MH_CLI_STR, MH_CLI_FIELD(T, f), .arg = a
#define MH_CLI_LIST(T, f, cnt, n, a)                                                               \
    .name = n, .kind = MH_CLI_LIST, MH_CLI_FIELD(T, f), .off2 = offsetof(T, cnt), .arg = a,        \
    .max = sizeof(((T *)0)->f) / sizeof(((T *)0)->f[0])
#define MH_CLI_UINT(T, f, n, a, lo, hi)                                                            \
    .name = n, .kind = MH_CLI_UINT, MH_CLI_FIELD(T, f), .size = sizeof(((T *)0)->f), .arg = a,     \
    .min = lo, .max = hi
#define MH_CLI_CALL(n, a, fn) .name = n, .kind = MH_CLI_CALL, .arg = a, .call = fn
#define MH_CLI_INCLUDE(T, f, r) .kind = MH_CLI_ROWS, .rows = r, .off = offsetof(T, f)
#define MH_CLI_INCLUDE_ALL(r) .kind = MH_CLI_ROWS, .rows = r

/* The rows every command declares the same way. */
#define MH_CLI_JSON(T, f) MH_CLI_FLAG(T, f, "json"), .dhelp = "print JSON"
#define MH_CLI_MODULE(T, f)                                                                        \
    MH_CLI_STR(T, f, "module", "M"),                                                               \
        .dhelp = "the PKCS#11 module: a file path (contains '/') or a p11-kit module name; "       \
                 "default: the URI's module-path/module-name, else SoftHSM2"
#define MH_CLI_KEY(T, f)                                                                           \
    MH_CLI_STR(T, f, "key", "URI"), .dhelp = "the key: a PKCS#11 URI (RFC 7512)"
#define MH_CLI_TOKEN(T, f)                                                                         \
    MH_CLI_STR(T, f, "token", "URI"), .dhelp = "the token: a PKCS#11 URI (RFC 7512)"
#define MH_CLI_OUT(T, f) MH_CLI_STR(T, f, "out", "FILE")
#define MH_CLI_IN(T, f) MH_CLI_STR(T, f, "in", "FILE")

/* Parses argv (argv[0] is the command) into base by the spec: the options,
 * then the operands left from optind on. Refuses a long option not spelled
 * out in full (getopt_long would take "--pin 1234" as "--pin-file"), never
 * echoes a PIN, and reports an unknown option, a missing value, a bad
 * number, a missing required option or a wrong number of operands.
 * Returns 0, an exit code (printed), or -1 once --help was printed. */
int mh_cli_parse(const struct mh_cli_spec *s, int argc, char **argv, void *base);

/* Prints the --help of a spec. */
void mh_cli_print_help(const struct mh_cli_spec *s, FILE *f);

/* Each option row the user sees (includes flattened, hidden left out, the
 * --help row last), for the man pages and the completion; fn returns
 * nonzero to stop. `left` is "-k, --key URI". */
int mh_cli_each_opt(const struct mh_cli_spec *s,
                    int (*fn)(void *ctx, const struct mh_cli_opt *row, const char *left,
                              const char *help),
                    void *ctx);

#endif
