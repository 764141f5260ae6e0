/*
 * cli.h - internal header of the `mohur` command-line tool.
 *
 * Command functions return an exit code (enum mh_exit), never an MH_ERR_*
 * code: an error is printed once, where it happens, with what was being
 * done, and turned into an exit code there (mh_cli_fail).
 */
#ifndef MH_CLI_H
#define MH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>

#include "mh_common.h"
#include "mh_hsm.h"
#include "opt.h"

/* Exit codes; mohur.c documents them for the user. */
enum mh_exit {
    MH_EXIT_OK = 0,
    MH_EXIT_INVALID = 1,  /* a signature or document did not verify */
    MH_EXIT_USAGE = 2,    /* bad option, missing or bad argument */
    MH_EXIT_INPUT = 3,    /* file missing, unreadable, malformed, too large */
    MH_EXIT_TOKEN = 4,    /* module, token, key or mechanism problem */
    MH_EXIT_PIN = 5,      /* PIN incorrect, locked, required, expired, in a URI */
    MH_EXIT_INTERNAL = 6, /* out of memory or a bug */
    MH_EXIT_STORAGE = 7   /* the ledger or a database: locked, full, damaged, disk full */
};

/* ---- command table ------------------------------------------------------ */

struct mh_cli_cmd {
    const char *name;
    const char *summary;               /* one line: what it does */
    const struct mh_cli_spec *spec;    /* a command: its options, usage and help (opt.h) */
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
    const struct mh_cli_cmd *sub;      /* a group: its commands, NULL-terminated */
};

extern const struct mh_cli_cmd mh_cli_token_cmds[];
extern const struct mh_cli_cmd mh_cli_key_cmds[];
extern const struct mh_cli_cmd mh_cli_ca_cmds[];
extern const struct mh_cli_cmd mh_cli_cms_cmds[];
extern const struct mh_cli_cmd mh_cli_ts_cmds[];
extern const struct mh_cli_cmd mh_cli_pdf_cmds[];
extern const struct mh_cli_cmd mh_cli_log_cmds[];
extern const struct mh_cli_cmd mh_cli_receipt_cmds[];
extern const struct mh_cli_cmd mh_cli_cert_cmds[];
extern const struct mh_cli_cmd mh_cli_issuer_cmds[];
extern const struct mh_cli_cmd mh_cli_offline_cmds[];
extern const struct mh_cli_cmd mh_cli_web_cmds[];
extern const struct mh_cli_cmd mh_cli_witness_cmds[];
extern const struct mh_cli_cmd mh_cli_apitoken_cmds[];
int mh_cli_doc_main(int argc, char **argv); /* init, sign, verify, revoke, kinds (cmd_doc.c) */
extern const struct mh_cli_spec mh_cli_init_spec, mh_cli_sign_spec, mh_cli_verify_spec,
    mh_cli_revoke_spec, mh_cli_kinds_spec;
int mh_cli_issue(int argc, char **argv); /* issue: documents from a roster (cmd_issue.c) */
extern const struct mh_cli_spec mh_cli_issue_spec;
extern const struct mh_cli_cmd mh_cli_docs_cmds[]; /* docs: what was issued (cmd_docs.c) */

/* mohur --man DIR | --completion bash (manpage.c): man pages and a bash
 * completion script made from the table `top` and each command's spec;
 * top_help is what 'mohur --help' prints. Returns an exit code. */
int mh_cli_generate(const struct mh_cli_cmd *top, const char *top_help, int argc, char **argv);

/* The full command name being run ("mohur key sign"), for messages. */
extern const char *mh_cli_prog;

/* ---- errors and exit codes ---------------------------------------------- */

/* Set when the command line asks for --json: errors are then also printed
 * as {"error": {"exit": N, "message": "..."}} on standard output. */
extern bool mh_cli_json_errors;

/* Maps every MH_ERR_* code to an exit code. */
int mh_cli_exit_code(int rc);
/* Prints "mohur: <what>: <mh_err_message(rc)>" and returns the exit code. */
int mh_cli_fail(int rc, const char *fmt, ...) MH_PRINTF(2, 3);
/* Prints "mohur: <what>" and returns `code`. */
int mh_cli_error(int code, const char *fmt, ...) MH_PRINTF(2, 3);
/* Prints a usage error and the hint to use --help; returns MH_EXIT_USAGE. */
int mh_cli_usage(const char *fmt, ...) MH_PRINTF(1, 2);

/* ---- files -------------------------------------------------------------- */

#define MH_CLI_MSG_MAX ((size_t)1 << 30)   /* 1 GiB: files to sign or verify */
#define MH_CLI_SMALL_MAX ((size_t)1 << 20) /* certificates, signatures */

/* Reads a whole file ("-" is standard input) of at most cap bytes into a
 * malloc'd buffer with one extra NUL byte after the data. Prints the error
 * and returns an exit code. */
int mh_cli_read_file(const char *path, size_t cap, uint8_t **buf, size_t *len);
/* The same, for a document: only a regular file (not "-", a pipe or a
 * device, whose bytes could change between two reads). */
int mh_cli_read_regular(const char *path, size_t cap, uint8_t **buf, size_t *len);
/* Writes len bytes to path ("-" or NULL: standard output), replacing the
 * file; mode for a new file. Prints the error and returns an exit code. */
int mh_cli_write_file(const char *path, const void *buf, size_t len, unsigned mode);
/* Reads a PIN file: at most one line, the newline removed. The PIN is put in
 * pin (cap bytes) NUL-terminated. Never prints the PIN. */
int mh_cli_read_pin_file(const char *path, char *pin, size_t cap);

/* ---- encodings ---------------------------------------------------------- */

/* Hex to bytes ("0a1B..", an optional "0x" prefix, ':' separators allowed).
 * Returns 0 or MH_ERR_PARSE / MH_ERR_TOO_LARGE. */
int mh_cli_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len);
/* Lower-case hex, NUL-terminated; out needs 2*len+1 bytes. */
void mh_cli_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Base64 of in, malloc'd, NUL-terminated; line breaks every `wrap` chars
 * when wrap > 0 (and a final newline), else one line without newline. */
int mh_cli_base64(const uint8_t *in, size_t len, size_t wrap, char **out, size_t *olen);
/* Decodes base64 text (whitespace ignored). *out is malloc'd. */
int mh_cli_unbase64(const uint8_t *in, size_t len, uint8_t **out, size_t *olen);
/* True if every byte is a base64 character or whitespace (and len > 0). */
bool mh_cli_looks_base64(const uint8_t *in, size_t len);
/* PEM with 64-character lines: "-----BEGIN <label>-----". malloc'd. */
int mh_cli_pem(const char *label, const uint8_t *der, size_t len, char **out, size_t *olen);

/* ---- JSON output -------------------------------------------------------- */

#define MH_JSON_DEPTH 16

typedef struct mh_json {
    FILE *f;
    int depth;
    bool first[MH_JSON_DEPTH];
    bool after_key;
} mh_json;

void mh_json_init(mh_json *j, FILE *f);
void mh_json_obj_begin(mh_json *j);
void mh_json_obj_end(mh_json *j);
void mh_json_arr_begin(mh_json *j);
void mh_json_arr_end(mh_json *j);
void mh_json_key(mh_json *j, const char *key);
void mh_json_str(mh_json *j, const char *s);
void mh_json_uint(mh_json *j, unsigned long long v);
void mh_json_int(mh_json *j, long long v);
void mh_json_bool(mh_json *j, bool v);
void mh_json_null(mh_json *j);
/* Ends the document with a newline. */
void mh_json_end(mh_json *j);
/* Writes s as a JSON string literal with escapes (quotes included). */
void mh_json_escape(FILE *f, const char *s);

/* ---- tokens and keys ---------------------------------------------------- */

/* What a command opened; mh_cli_close frees all of it. */
typedef struct mh_cli_ctx {
    mh_p11_uri uri;
    bool uri_parsed;
    mh_hsm_module *mod;
    mh_hsm_token *tok;
    mh_hsm_key *key;
    char token_name[80]; /* for messages: 'Seal' */
    char key_name[160];  /* for messages: 'registry' on token 'Seal' */
} mh_cli_ctx;

enum mh_cli_login {
    MH_CLI_LOGIN_NO,        /* never log in */
    MH_CLI_LOGIN_IF_NEEDED, /* log in when the URI has pin-source, or to find a
                               key hidden before login */
    MH_CLI_LOGIN_ALWAYS     /* log in before anything else */
};

/* Parses a URI given on the command line (`what` is "--key" or "--token").
 * Never prints the URI text: it may hold a PIN the parser refused. Then
 * applies --module (a path if it contains '/', else a module name). */
int mh_cli_parse_uri(mh_cli_ctx *c, const char *text, const char *what, const char *module);
/* Loads the module named by c->uri. */
int mh_cli_load_module(mh_cli_ctx *c);
/* Parses the URI, loads the module, opens the token and logs in as asked. */
int mh_cli_open_token(mh_cli_ctx *c, const char *text, const char *module, enum mh_cli_login login);
/* As mh_cli_open_token, then finds the key. */
int mh_cli_open_key(mh_cli_ctx *c, const char *text, const char *module, enum mh_cli_login login);
/* Logs in (once: a wrong PIN is never retried). */
int mh_cli_login(mh_cli_ctx *c);
void mh_cli_close(mh_cli_ctx *c);

/* Copies a space-padded PKCS#11 text field without the trailing spaces. */
void mh_cli_trim(const char *in, char *out, size_t cap);

/* "sha256" -> MBEDTLS_MD_SHA256; MBEDTLS_MD_NONE when unknown. */
mbedtls_md_type_t mh_cli_hash_from_name(const char *name);
/* "auto", "ecdsa", ... -> enum; returns false when unknown. */
bool mh_cli_alg_from_name(const char *name, enum mh_sig_alg *alg);

/* A time as ISO 8601 UTC: "2026-05-02T10:15:00Z". */
void mh_cli_time_iso(uint64_t t, char *buf, size_t cap);
/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS][Z]" (UTC) to Unix seconds; a date
 * alone is its first second, or its last when end_of_day. MH_ERR_PARSE. */
int mh_cli_parse_time(const char *s, bool end_of_day, int64_t *out);

/* ---- a running mohurd (daemon_client.c) ----------------------------------- */

/* Does a mohurd answer on the state directory's socket? The writing
 * commands then go through it (it holds the ledger); otherwise they work
 * directly. */
bool mh_cli_daemon_running(void);
/* Tells a running mohurd to reload (SIGHUP) after a change it reads at
 * start: credentials, issuers, the CRL. what: for the message. */
void mh_cli_daemon_reload(const char *what);
struct mh_app_issue_req;
struct mh_app_issue_res;
struct mh_ledger_status;
struct mh_batch_stats;
struct mh_app_signer;
/* mohur sign through mohurd: the outputs written to out as when signing
 * directly; res filled the same way. MH_ERR_* with a sentence. ext: the
 * issuer's key on the user's own token (--key), NULL for the appliance's:
 * mohurd makes the document and asks for the signature of a digest, which
 * is made here with ext and sent back. */
int mh_cli_daemon_sign(const struct mh_app_issue_req *req, const char *kind_id, const char *issuer,
                       const struct mh_app_signer *ext, const char *out,
                       struct mh_app_issue_res *res);
/* mohur revoke through mohurd. */
int mh_cli_daemon_revoke(const char *doc_id, unsigned reason, struct mh_ledger_status *st);
/* mohur issue through mohurd: the batch runs there, writing into out_dir;
 * progress lines on stderr; st as mh_batch_run fills it. */
int mh_cli_daemon_batch(const char *kind_id, const char *issuer, const char *roster,
                        const char *out_dir, bool progress, struct mh_batch_stats *st);

/* Sets SOFTHSM2_CONF from the state directory (see mohur --help). */
void mh_cli_setup_env(void);
/* The state directory: $MOHUR_STATE_DIR, else /var/lib/mohur. */
const char *mh_cli_state_dir(void);

#endif
