/*
 * cmd_witness.c - `mohur witness serve|vkey`: a C2SP tlog-witness with its
 * Ed25519 key on a token (host/witness, docs/ledger.md).
 */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mh_pki.h"
#include "mh_witness.h"

#define LOGS_MAX 64

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct wopts {
    const char *key, *module, *name, *state, *listen, *port_file, *out;
    const char *logs[LOGS_MAX];
    size_t nlogs;
};

#define T struct wopts
/* the rows both commands take */
static const struct mh_cli_opt witness_rows[] = {
    {MH_CLI_KEY(T, key), .flags = MH_CLI_REQUIRED, .help = "the witness key (Ed25519 on a token)"},
    {MH_CLI_MODULE(T, module)},
    {MH_CLI_STR(T, name, "name", "NAME"), .flags = MH_CLI_REQUIRED,
     .help = "the witness's name (its vkey's name), e.g. witness.example.az/w1"},
    {0}};

static int wparse(int argc, char **argv, const struct mh_cli_spec *spec, struct wopts *o)
{
    memset(o, 0, sizeof *o);
    return mh_cli_parse(spec, argc, argv, o);
}

/* A vkey given as its text or as a file holding it. */
static int read_vkey(const char *arg, mh_note_vkey *vk)
{
    uint8_t *buf = NULL;
    size_t len;
    int ret;
    if (strchr(arg, '+') && access(arg, F_OK) != 0) {
        if (mh_note_vkey_parse(arg, strlen(arg), vk) != 0)
            return mh_cli_error(MH_EXIT_INPUT, "--log: '%.80s' is not a verifier key", arg);
        return MH_EXIT_OK;
    }
    if ((ret = mh_cli_read_file(arg, MH_NOTE_MAX_VKEY + 2, &buf, &len)))
        return ret;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        len--;
    ret = mh_note_vkey_parse((const char *)buf, len, vk) != 0
              ? mh_cli_error(MH_EXIT_INPUT, "--log: %s does not hold a verifier key", arg)
              : MH_EXIT_OK;
    free(buf);
    return ret;
}

/* Opens the witness key (Ed25519 on a token) and its raw public key. */
static int open_witness_key(const struct wopts *o, mh_cli_ctx *c, uint8_t pub[32])
{
    mh_hsm_key_info ki;
    uint8_t spki[128];
    size_t sl;
    int rc, ret;
    if ((ret = mh_cli_open_key(c, o->key, o->module, MH_CLI_LOGIN_IF_NEEDED)))
        return ret;
    if ((rc = mh_hsm_key_info_get(c->key, &ki)) ||
        (rc = mh_hsm_key_public_der(c->key, spki, sizeof spki, &sl)))
        return mh_cli_fail(rc, "reading %s", c->key_name);
    if (ki.type != MH_KEY_ED25519 || sl < 32)
        return mh_cli_error(MH_EXIT_TOKEN,
                            "%s is a %s key; a witness cosigns with Ed25519 (cosignature/v1)",
                            c->key_name, mh_key_type_name(ki.type));
    memcpy(pub, spki + sl - 32, 32); /* the raw key ends the SPKI */
    return MH_EXIT_OK;
}

static const struct mh_cli_opt witness_vkey_rows[] = {
    {MH_CLI_INCLUDE_ALL(witness_rows)},
    {MH_CLI_OUT(T, out), .help = "write the vkey there (default: standard output)"},
    {0}};
static const struct mh_cli_spec witness_vkey_spec = {
    .usage = "mohur witness vkey --key URI --name NAME [--out FILE]",
    .about = "Prints the witness's verifier key (C2SP signed-note vkey, type 0x04\n"
             "cosignature/v1) for logs and verifiers. The key is an Ed25519 key on a\n"
             "token ('mohur key generate --type ed25519'), e.g.\n"
             "'pkcs11:token=W;object=witness?pin-source=file:P'.\n",
    .opts = witness_vkey_rows,
};

static int cmd_witness_vkey(int argc, char **argv)
{
    struct wopts o;
    mh_cli_ctx c;
    uint8_t pub[32];
    char vkey[MH_NOTE_MAX_VKEY + 2];
    int rc, ret = wparse(argc, argv, &witness_vkey_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    memset(&c, 0, sizeof c);
    if ((ret = open_witness_key(&o, &c, pub)))
        goto out;
    if ((rc = mh_witness_vkey(o.name, pub, vkey, sizeof vkey - 1))) {
        ret = mh_cli_fail(rc, "making the verifier key");
        goto out;
    }
    strncat(vkey, "\n", 2);
    ret = mh_cli_write_file(o.out, vkey, strlen(vkey), 0644);
out:
    mh_cli_close(&c);
    return ret;
}

static const struct mh_cli_opt witness_serve_rows[] = {
    {MH_CLI_INCLUDE_ALL(witness_rows)},
    {MH_CLI_LIST(T, logs, nlogs, "log", "VKEY"), .flags = MH_CLI_REQUIRED,
     .err = "at most 64 --log keys", .help = "a log's verifier key, or a file holding it (repeat)"},
    {MH_CLI_STR(T, state, "state", "DIR"), .flags = MH_CLI_REQUIRED,
     .help = "where the cosigned checkpoints and the evidence are kept"},
    {MH_CLI_STR(T, listen, "listen", "A:P"), .flags = MH_CLI_REQUIRED,
     .help = "the address and port, e.g. 127.0.0.1:7380 or [::1]:7380\n(port 0: any free port)"},
    {MH_CLI_STR(T, port_file, "port-file", "FILE"), .help = "write the port there once listening"},
    {0}};
static const struct mh_cli_spec witness_serve_spec = {
    .usage = "mohur witness serve --key URI --name NAME --log VKEY [--log VKEY...]\n"
             "                           --state DIR --listen ADDR:PORT [--port-file FILE]",
    .about = "Runs a C2SP tlog-witness: POST /add-checkpoint with a log's new checkpoint\n"
             "and a consistency proof from the last one this witness cosigned for it.\n"
             "The witness checks the log's signature (--log: the logs it follows, each by\n"
             "its verifier key; the key's name is the log's origin), the proof, and\n"
             "answers with its cosignature (cosignature/v1, Ed25519 with the key on the\n"
             "token). A rollback, a fork or a bad proof is refused (409 or 422) and the\n"
             "signed request is kept in DIR/evidence. The latest cosigned checkpoint of\n"
             "each log is in DIR, synced before the answer. Stops on SIGINT or SIGTERM.\n",
    .opts = witness_serve_rows,
    .more =
        "Example:\n"
        "  mohur witness serve --key 'pkcs11:token=W;object=witness?pin-source=file:pin' \\\n"
        "      --name witness.example.az/w1 --log registry.vkey --state /var/lib/mohur-witness \\\n"
        "      --listen 127.0.0.1:7380\n",
};

static void ready_cb(void *ctx, unsigned port)
{
    const struct wopts *o = ctx;
    char buf[32];
    int k = snprintf(buf, sizeof buf, "%u\n", port);
    printf("mohur witness: %s listening on %s, port %u\n", o->name, o->listen, port);
    fflush(stdout);
    if (o->port_file && k > 0)
        (void)mh_cli_write_file(o->port_file, buf, (size_t)k, 0644);
}

static int cmd_witness_serve(int argc, char **argv)
{
    struct wopts o;
    mh_cli_ctx c;
    mh_note_vkey *logs = NULL;
    mh_witness *w = NULL;
    uint8_t pub[32];
    char addr[128];
    unsigned long port;
    char *colon, *end;
    mh_signer signer; /* the witness keeps a pointer to it while it serves */
    int rc, ret = wparse(argc, argv, &witness_serve_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    memset(&c, 0, sizeof c);
    /* ADDR:PORT or [V6]:PORT */
    if (strlen(o.listen) >= sizeof addr || !(colon = strrchr(o.listen, ':')))
        return mh_cli_usage("--listen is ADDRESS:PORT");
    snprintf(addr, sizeof addr, "%.*s", (int)(colon - o.listen), o.listen);
    if (addr[0] == '[' && addr[strlen(addr) - 1] == ']') {
        memmove(addr, addr + 1, strlen(addr));
        addr[strlen(addr) - 1] = 0;
    }
    port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || port > 65535)
        return mh_cli_usage("--listen is ADDRESS:PORT");
    if (!(logs = calloc(o.nlogs, sizeof *logs)))
        return mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < o.nlogs; i++)
        if ((ret = read_vkey(o.logs[i], &logs[i])))
            goto out;
    if ((ret = open_witness_key(&o, &c, pub)))
        goto out;
    {
        if ((rc = mh_hsm_key_signer(c.key, MH_SIG_ED25519, &signer))) {
            ret = mh_cli_fail(rc, "using %s", c.key_name);
            goto out;
        }
        mh_witness_opts wo = {.name = o.name,
                              .pubkey = pub,
                              .signer = &signer,
                              .state_dir = o.state,
                              .logs = logs,
                              .nlogs = o.nlogs};
        if ((rc = mh_witness_open(&wo, &w))) {
            ret = mh_cli_fail(rc, "starting the witness");
            goto out;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = mh_witness_serve(w, addr, (unsigned)port, &stop_flag, NULL, ready_cb, &o))) {
        ret = mh_cli_fail(rc, "serving");
        goto out;
    }
    printf("mohur witness: stopped\n");
    ret = MH_EXIT_OK;
out:
    mh_witness_close(w);
    free(logs);
    mh_cli_close(&c);
    return ret;
}

const struct mh_cli_cmd mh_cli_witness_cmds[] = {
    {"serve", "run a C2SP tlog-witness over HTTP with its key on a token", &witness_serve_spec,
     cmd_witness_serve, NULL},
    {"vkey", "print the witness's verifier key", &witness_vkey_spec, cmd_witness_vkey, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
