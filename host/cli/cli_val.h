/*
 * cli_val.h - the trust-store options of `mohur verify`, `cms verify` and
 * `pdf verify` (--trust, --crl, --certs), and the ETSI EN 319 102-1
 * validation report they print (host/validate; docs/validation.md).
 */
#ifndef MH_CLI_VAL_H
#define MH_CLI_VAL_H

#include "cli.h"
#include "mh_validate.h"

/* The exit status of a report that is INDETERMINATE (TOTAL-PASSED is 0,
 * TOTAL-FAILED 1). */
#define MH_EXIT_INDETERMINATE 10

#define MH_CLI_VAL_MAX 16

#define MH_CLI_VAL_HELP                                                                            \
    "  --trust PATH     validate against this trust store: a file of trusted CA\n"                 \
    "                   certificates (PEM bundle or DER) or a directory of them\n"                 \
    "                   (repeatable; on an appliance its own root is added)\n"                     \
    "  --crl FILE       CRLs to use besides those the signature carries (PEM or\n"                 \
    "                   DER; repeatable)\n"

typedef struct mh_cli_val_opts {
    const char *trust[MH_CLI_VAL_MAX];
    size_t ntrust;
    const char *crl[MH_CLI_VAL_MAX];
    size_t ncrl;
    const char *certs[MH_CLI_VAL_MAX];
    size_t ncerts;
} mh_cli_val_opts;

/* Adds the value of --trust ('t'), --crl ('r') or --certs ('C'). Returns 0
 * or MH_EXIT_USAGE (printed). */
int mh_cli_val_opt(mh_cli_val_opts *o, int which, const char *arg);
/* The context: the trust anchors, CRLs and certificates given, and the
 * appliance's root CA and CRL when the state directory holds them. Prints
 * an error and returns an exit code when something cannot be read. */
int mh_cli_val_ctx(const mh_cli_val_opts *o, mh_val_ctx **ctx);
/* The report as text (what: the file's name). */
void mh_cli_val_print(const mh_val_report *r, const char *what);
/* The report as a JSON object (the value at the writer's position). */
void mh_cli_val_json(mh_json *j, const mh_val_report *r);
/* Validates a file: a PDF, or any file with its detached CMS signature
 * (p7s; NULL: FILE.p7s). Prints an error and returns an exit code when
 * something cannot be read. */
int mh_cli_val_file(const mh_val_ctx *c, const char *file, const char *p7s, mh_val_report *rep);
/* 0 TOTAL-PASSED, 1 TOTAL-FAILED, MH_EXIT_INDETERMINATE. */
int mh_cli_val_exit(const mh_val_report *r);

#endif
