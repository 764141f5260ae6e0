/*
 * cmd_log.c - `mohur log ...`: the ledger (an RFC 9162 transparency log of
 * issue and revoke entries) from the command line. See docs/ledger.md.
 */
#include "cli.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mh_hash.h"

#include "mh_app.h"
#include "mh_ledger.h"
#include "mh_pki.h"

#define PROOF_MAGIC "c2sp.org/tlog-proof@v1"
#define CONS_MAGIC "mohur-consistency-proof@v1"
#define PROOF_FILE_MAX (64 * 1024)

/* Every option of the group; each command accepts a subset. */
struct log_opts {
    const char *ledger, *type, *id, *kind, *issuer, *digest, *signer_fp, *out, *note, *origin,
        *proof, *entry, *checkpoint, *state, *raw, *prefix, *key, *module, *vkey, *vkey_out, *cosig,
        *witness, *evidence, *witness_url, *config, *registry;
    const char *witnesses[16];
    size_t nwitnesses;
    const char *witness_urls[16];
    size_t nwitness_urls;
    uint64_t quorum;
    uint64_t length, time, index, size, from, to, synthetic, map_mib, grow_mib, seq;
    unsigned reason;
    bool has_index, has_size, has_from, has_to, has_time, has_seq, json, body;
    const char *operand;
};

#define T struct log_opts
/* each option of the log commands, declared once; a command's rows name them */
#define R_LEDGER                                                                                   \
    MH_CLI_STR(T, ledger, "ledger", "DIR"),                                                        \
        .dhelp = "the ledger directory (default $MOHUR_STATE_DIR/ledger)"
#define R_TYPE MH_CLI_STR(T, type, "type", "T")
#define R_ID MH_CLI_STR(T, id, "id", "ID")
#define R_KIND MH_CLI_STR(T, kind, "kind", "KIND")
#define R_ISSUER MH_CLI_STR(T, issuer, "issuer", "NAME")
#define R_DIGEST MH_CLI_STR(T, digest, "digest", "HEX")
#define R_SIGNER_FP MH_CLI_STR(T, signer_fp, "signer-fp", "HEX")
#define R_OUT MH_CLI_OUT(T, out)
#define R_NOTE MH_CLI_STR(T, note, "note", "FILE")
#define R_ORIGIN MH_CLI_STR(T, origin, "origin", "O")
#define R_PROOF MH_CLI_STR(T, proof, "proof", "FILE")
#define R_ENTRY MH_CLI_STR(T, entry, "entry", "FILE")
#define R_CHECKPOINT MH_CLI_STR(T, checkpoint, "checkpoint", "FILE")
#define R_STATE MH_CLI_STR(T, state, "state", "DIR")
#define R_RAW MH_CLI_STR(T, raw, "raw", "FILE")
#define R_PREFIX MH_CLI_STR(T, prefix, "prefix", "P")
#define R_KEY MH_CLI_KEY(T, key)
#define R_MODULE MH_CLI_MODULE(T, module)
#define R_VKEY MH_CLI_STR(T, vkey, "vkey", "VKEY")
#define R_VKEY_OUT MH_CLI_STR(T, vkey_out, "vkey-out", "FILE")
#define R_COSIG MH_CLI_STR(T, cosig, "cosig", "FILE")
#define R_EVIDENCE MH_CLI_STR(T, evidence, "evidence", "FILE")
#define R_CONFIG MH_CLI_STR(T, config, "config", "FILE")
#define R_REGISTRY MH_CLI_STR(T, registry, "registry", "ID")
#define R_BODY MH_CLI_FLAG(T, body, "body")
#define R_JSON MH_CLI_JSON(T, json)
#define R_LENGTH MH_CLI_UINT(T, length, "length", "N", 0, UINT64_MAX)
#define R_TIME                                                                                     \
    MH_CLI_UINT(T, time, "time", "T", 0, UINT64_MAX), .flags = MH_CLI_SEEN,                        \
                                                      .off2 = offsetof(T, has_time)
#define R_INDEX                                                                                    \
    MH_CLI_UINT(T, index, "index", "N", 0, UINT64_MAX), .flags = MH_CLI_SEEN,                      \
                                                        .off2 = offsetof(T, has_index)
#define R_SIZE                                                                                     \
    MH_CLI_UINT(T, size, "size", "S", 0, UINT64_MAX), .flags = MH_CLI_SEEN,                        \
                                                      .off2 = offsetof(T, has_size)
#define R_FROM                                                                                     \
    MH_CLI_UINT(T, from, "from", "S1", 0, UINT64_MAX), .flags = MH_CLI_SEEN,                       \
                                                       .off2 = offsetof(T, has_from)
#define R_TO                                                                                       \
    MH_CLI_UINT(T, to, "to", "S2", 0, UINT64_MAX), .flags = MH_CLI_SEEN, .off2 = offsetof(T, has_to)
#define R_SEQ                                                                                      \
    MH_CLI_UINT(T, seq, "seq", "N", 0, UINT64_MAX), .flags = MH_CLI_SEEN,                          \
                                                    .off2 = offsetof(T, has_seq)
#define R_QUORUM MH_CLI_UINT(T, quorum, "quorum", "K", 1, 16), .err = "--quorum is 1 to 16"
#define R_REASON                                                                                   \
    MH_CLI_UINT(T, reason, "reason", "CODE", 0, 10),                                               \
        .err = "--reason is an RFC 5280 CRLReason code, 0 to 10"
#define R_SYNTHETIC                                                                                \
    MH_CLI_UINT(T, synthetic, "synthetic", "N", 1, 100000000),                                     \
        .err = "--synthetic takes 1 to 100000000 entries"
#define R_MAP_SIZE                                                                                 \
    MH_CLI_UINT(T, map_mib, "map-size", "MIB", 1, 1u << 24),                                       \
        .err = "--map-size is in MiB, 1 to 16777216"
#define R_GROW                                                                                     \
    MH_CLI_UINT(T, grow_mib, "grow", "MIB", 0, 1u << 20), .err = "--grow is in MiB, 0 to 1048576"
#define R_WITNESS MH_CLI_CALL("witness", "VKEY", witness_opt)
#define R_WITNESS_URL MH_CLI_CALL("witness-url", "URL", witness_opt)

/* --witness VKEY, --witness-url URL: the last one, and all of them in order */
static int witness_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    struct log_opts *o = base;
    if (strcmp(row->name, "witness") == 0) {
        o->witness = v;
        if (o->nwitnesses == 16)
            return mh_cli_usage("at most 16 --witness keys");
        o->witnesses[o->nwitnesses++] = v;
    } else {
        o->witness_url = v;
        if (o->nwitness_urls == 16)
            return mh_cli_usage("at most 16 --witness-url");
        o->witness_urls[o->nwitness_urls++] = v;
    }
    return MH_EXIT_OK;
}

/* Parses the options of a log command; -1 after --help. The operand of
 * audit (the spec takes one) lands in o->operand. */
static int parse(int argc, char **argv, const struct mh_cli_spec *spec, struct log_opts *o)
{
    int ret;
    memset(o, 0, sizeof *o);
    if ((ret = mh_cli_parse(spec, argc, argv, o)))
        return ret;
    if (spec->max_args)
        o->operand = argv[optind];
    return MH_EXIT_OK;
}

/* The ledger directory: --ledger, else $MOHUR_STATE_DIR/ledger. */
static const char *ledger_dir(const struct log_opts *o, char *buf, size_t cap)
{
    if (o->ledger)
        return o->ledger;
    snprintf(buf, cap, "%s/ledger", mh_cli_state_dir());
    return buf;
}

/* Ledger errors: an unknown document or index is an input problem here,
 * not the token problem the shared table maps NOT_FOUND to. */
static int log_fail(int rc, const char *what)
{
    int code = mh_cli_exit_code(rc);
    if (rc == MH_ERR_NOT_FOUND || rc == MH_ERR_ALREADY_EXISTS)
        code = MH_EXIT_INPUT;
    fprintf(stderr, "mohur: %s: %s\n", what, mh_err_message(rc));
    return code;
}

static int open_ledger(const struct log_opts *o, bool ro, bool create, mh_ledger **l)
{
    char buf[4096];
    mh_ledger_opts lo;
    int rc;
    memset(&lo, 0, sizeof lo);
    lo.read_only = ro;
    lo.create = create;
    if (o->map_mib)
        lo.map_size = (size_t)o->map_mib << 20;
    lo.grow_step = (size_t)o->grow_mib << 20;
    rc = mh_ledger_open(ledger_dir(o, buf, sizeof buf), &lo, l);
    if (rc)
        return log_fail(rc, "opening the ledger");
    return MH_EXIT_OK;
}

static void b64(const uint8_t *in, size_t n, char *out, size_t cap)
{
    if (mh_base64_encode(in, n, out, cap, NULL))
        out[0] = 0;
}

/* A verifier key given as a file holding it or as the key text itself. */
static int load_vkey(const char *arg, const char *what, mh_note_vkey *vk)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int ret;
    if (strchr(arg, '+') && access(arg, F_OK) != 0) {
        len = strlen(arg);
        int rc = mh_note_vkey_parse(arg, len, vk);
        if (rc != 0)
            return mh_cli_error(MH_EXIT_INPUT, "%s: '%.80s' is not a verifier key: %s", what, arg,
                                mh_err_message(rc));
        return MH_EXIT_OK;
    }
    if ((ret = mh_cli_read_file(arg, MH_NOTE_MAX_VKEY + 2, &buf, &len)))
        return ret;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        len--;
    int prc = mh_note_vkey_parse((const char *)buf, len, vk);
    if (prc != 0)
        ret = mh_cli_error(MH_EXIT_INPUT, "%s: %s does not hold a verifier key: %s", what, arg,
                           mh_err_message(prc));
    free(buf);
    return ret;
}

/* Verifies a signed note with one key; prints what failed. */
static int check_note(const char *note, size_t len, const mh_note_vkey *vk, const char *what)
{
    int rc;
    rc = mh_note_verify(note, len, vk, 1, NULL, NULL);
    if (rc == MH_ERR_VERIFY_FAILED || rc == MH_ERR_NOT_FOUND)
        return mh_cli_error(MH_EXIT_INVALID, "%s is NOT signed by key '%s': %s", what, vk->name,
                            mh_err_message(rc));
    if (rc)
        return mh_cli_fail(rc, "checking the signature of %s", what);
    return MH_EXIT_OK;
}

/* k of n witnesses (--witness, --quorum; default: all of them) cosigned the
 * checkpoint note; prints how many. */
static int check_quorum(const char *note, size_t len, const struct log_opts *o)
{
    mh_note_vkey ws[16];
    size_t count = 0, k;
    uint64_t oldest = 0;
    int ret, rc;
    if (o->nwitnesses == 0)
        return MH_EXIT_OK;
    for (size_t i = 0; i < o->nwitnesses; i++) {
        if ((ret = load_vkey(o->witnesses[i], "--witness", &ws[i])))
            return ret;
        if (ws[i].type != MH_NOTE_COSIG)
            return mh_cli_usage("--witness takes cosignature/v1 keys (type 0x04)");
    }
    k = o->quorum ? (size_t)o->quorum : o->nwitnesses;
    if (k > o->nwitnesses)
        return mh_cli_usage("--quorum %zu is more than the %zu witnesses given", k, o->nwitnesses);
    rc = mh_cosig_quorum(note, len, ws, o->nwitnesses, k, &count, &oldest);
    if (rc == MH_ERR_VERIFY_FAILED)
        return mh_cli_error(MH_EXIT_INVALID, "witness quorum NOT met: %s", mh_err_message(rc));
    if (rc)
        return mh_cli_fail(rc, "checking the cosignatures");
    printf("witnesses: %zu of %zu cosigned (quorum %zu), oldest cosignature at %llu\n", count,
           o->nwitnesses, k, (unsigned long long)oldest);
    return MH_EXIT_OK;
}

/* ---- init, info --------------------------------------------------------- */

static const struct mh_cli_opt log_init_rows[] = {
    {R_LEDGER},
    {R_MAP_SIZE, .help = "the largest the ledger may grow, in MiB (default 1024)"},
    {0}};
static const struct mh_cli_spec log_init_spec = {
    .usage = "mohur log init [--ledger DIR] [--map-size MIB]",
    .about = "Creates an empty ledger (an LMDB environment) in DIR.\n",
    .opts = log_init_rows,
    .more = "Example:\n"
            "  mohur log init --ledger /var/lib/mohur/ledger\n",
};

static int cmd_log_init(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    char buf[4096];
    int ret = parse(argc, argv, &log_init_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if ((ret = open_ledger(&o, false, true, &l)))
        return ret;
    mh_ledger_close(l);
    printf("ledger ready in %s\n", ledger_dir(&o, buf, sizeof buf));
    return MH_EXIT_OK;
}

/* What a stored checkpoint says beyond its body: the time of the newest
 * entry it covers, and its witness cosignatures (signature lines under
 * another name than the log's own, the origin), with the latest
 * cosignature/v1 timestamp (key hash, 8-byte time, Ed25519 signature). */
struct ck_facts {
    uint64_t newest_entry;
    size_t witnesses;
    uint64_t latest_cosig;
};

static void checkpoint_facts(mh_ledger *l, const char *note, size_t nl, const char *origin,
                             uint64_t csize, struct ck_facts *f)
{
    mh_ledger_entry e;
    if (csize && mh_ledger_get(l, csize - 1, &e) == 0)
        f->newest_entry = e.time;
    const char *p = strstr(note, "\n\n");
    if (!p)
        return;
    p += 2;
    const char *end = note + nl;
    size_t ol = strlen(origin);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
        /* "\u2014 NAME BASE64" */
        if (n > 4 && memcmp(p, "\xe2\x80\x94 ", 4) == 0) {
            const char *name = p + 4, *sp = memchr(name, ' ', n - 4);
            if (sp && !((size_t)(sp - name) == ol && memcmp(name, origin, ol) == 0)) {
                f->witnesses++;
                uint8_t *sig = NULL;
                size_t sl = 0;
                if (mh_cli_unbase64((const uint8_t *)sp + 1, n - 4 - (size_t)(sp - name) - 1, &sig,
                                    &sl) == 0 &&
                    sl == 76) {
                    uint64_t t = 0;
                    for (size_t i = 4; i < 12; i++)
                        t = t << 8 | sig[i];
                    if (t > f->latest_cosig)
                        f->latest_cosig = t;
                }
                free(sig);
            }
        }
        p += n + 1;
    }
}

static const struct mh_cli_opt log_info_rows[] = {{R_LEDGER}, {R_JSON}, {0}};
static const struct mh_cli_spec log_info_spec = {
    .usage = "mohur log info [--ledger DIR] [--json]",
    .about = "Shows the ledger's size, its root hash and its latest signed checkpoint:\n"
             "its size, the time of the newest entry it covers (UTC), and how many\n"
             "witnesses cosigned it, with the latest cosignature's time.\n"
             "Opens the ledger read-only (works while the daemon writes to it).\n",
    .opts = log_info_rows,
};

static int cmd_log_info(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    uint64_t size, seq = 0, csize = 0;
    uint8_t root[32], croot[32];
    char hex[65], rb64[64], *note = NULL, origin[MH_LEDGER_ORIGIN_MAX + 1] = "";
    size_t nl = 0;
    bool have_ck = false;
    int rc, ret = parse(argc, argv, &log_info_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if ((ret = open_ledger(&o, true, false, &l)))
        return ret;
    if ((rc = mh_ledger_size(l, &size, root))) {
        ret = log_fail(rc, "reading the ledger");
        goto out;
    }
    note = malloc(MH_LEDGER_NOTE_MAX + 1);
    if (!note) {
        ret = mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    if (mh_ledger_checkpoint_get(l, UINT64_MAX, note, MH_LEDGER_NOTE_MAX + 1, &nl, &seq) == 0) {
        const char *blank = strstr(note, "\n\n");
        if (blank && mh_ledger_checkpoint_parse(note, (size_t)(blank - note) + 1, origin,
                                                sizeof origin, &csize, croot) == 0)
            have_ck = true;
    }
    mh_cli_hex_encode(root, 32, hex, sizeof hex);
    b64(root, 32, rb64, sizeof rb64);
    struct ck_facts ck = {0};
    if (have_ck)
        checkpoint_facts(l, note, nl, origin, csize, &ck);
    if (o.json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "size");
        mh_json_uint(&j, size);
        mh_json_key(&j, "root");
        mh_json_str(&j, hex);
        if (have_ck) {
            mh_json_key(&j, "checkpoint");
            mh_json_obj_begin(&j);
            mh_json_key(&j, "seq");
            mh_json_uint(&j, seq);
            mh_json_key(&j, "origin");
            mh_json_str(&j, origin);
            mh_json_key(&j, "size");
            mh_json_uint(&j, csize);
            mh_json_key(&j, "newest_entry_time");
            if (ck.newest_entry) {
                char t[40];
                mh_cli_time_iso(ck.newest_entry, t, sizeof t);
                mh_json_str(&j, t);
            } else {
                mh_json_null(&j);
            }
            mh_json_key(&j, "witnesses");
            mh_json_uint(&j, ck.witnesses);
            mh_json_key(&j, "latest_cosignature_time");
            if (ck.latest_cosig) {
                char t[40];
                mh_cli_time_iso(ck.latest_cosig, t, sizeof t);
                mh_json_str(&j, t);
            } else {
                mh_json_null(&j);
            }
            mh_json_obj_end(&j);
        }
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("size: %llu entries\nroot: %s (base64 %s)\n", (unsigned long long)size, hex, rb64);
        if (have_ck) {
            char t[40] = "-", w[40] = "";
            if (ck.newest_entry)
                mh_cli_time_iso(ck.newest_entry, t, sizeof t);
            if (ck.latest_cosig) {
                char ct[40];
                mh_cli_time_iso(ck.latest_cosig, ct, sizeof ct);
                snprintf(w, sizeof w, ", latest at %s", ct);
            }
            printf("checkpoint: #%llu, %s, size %llu (%llu behind the ledger), newest entry "
                   "%s\nwitnesses: %zu cosigned it%s\n",
                   (unsigned long long)seq, origin, (unsigned long long)csize,
                   (unsigned long long)(size - csize), t, ck.witnesses, w);
        } else {
            printf("checkpoint: none signed yet ('mohur log checkpoint --key ...')\n");
        }
    }
    ret = MH_EXIT_OK;
out:
    free(note);
    mh_ledger_close(l);
    return ret;
}

/* ---- append ------------------------------------------------------------- */

static const struct mh_cli_opt log_append_rows[] = {
    {R_LEDGER},
    {R_SYNTHETIC, .help = "append N made-up issue entries (for tests and benchmarks)"},
    {R_PREFIX, .help = "the made-up entries' id prefix"},
    {R_TYPE, .help = "issue or revoke"},
    {R_ID, .help = "the document id (up to 128 bytes)"},
    {R_KIND, .help = "the document kind (issue only), e.g. diploma"},
    {R_ISSUER, .help = "who issued (or revokes) the document"},
    {R_DIGEST, .help = "the document's SHA-256 (issue only)"},
    {R_LENGTH, .help = "the document's length in bytes (issue only)"},
    {R_SIGNER_FP, .help = "the SHA-256 fingerprint of the signer's certificate"},
    {R_TIME, .help = "Unix time (default: now)"},
    {R_REASON, .help = "revocation reason, RFC 5280 CRLReason (0-6, 8-10)"},
    {R_MAP_SIZE, .help = "the map size, and how much it may grow when full"},
    {R_GROW, .help = "the map size, and how much it may grow when full"},
    {0}};
static const struct mh_cli_spec log_append_spec = {
    .usage = "mohur log append [--ledger DIR] --type issue|revoke --id ID --issuer NAME\n"
             "           [--kind KIND --digest HEX --length N] [--signer-fp HEX] [--time T]\n"
             "           [--reason CODE]\n"
             "       mohur log append [--ledger DIR] --synthetic N [--prefix P]",
    .about = "Appends one entry (for tests and tooling; documents are normally recorded by\n"
             "'mohur sign' and the daemon) and prints its log index once it is durable.\n"
             "With --synthetic, appends N made-up issue entries in batches of 1000.\n",
    .opts = log_append_rows,
    .more = "Example:\n"
            "  mohur log append --type issue --id AZ-2026-000001 --kind diploma \\\n"
            "      --issuer 'Baku State University' --digest $(sha256sum d.pdf | cut -c1-64) \\\n"
            "      --length $(stat -c %s d.pdf)\n",
};

static int hex32(const char *hex, const char *what, uint8_t out[32])
{
    size_t n;
    if (mh_cli_hex_decode(hex, out, 32, &n) || n != 32)
        return mh_cli_usage("%s needs 64 hex digits (a SHA-256)", what);
    return MH_EXIT_OK;
}

static int synthetic(mh_ledger *l, const struct log_opts *o)
{
    const size_t batch = 1000;
    mh_ledger_entry *es = calloc(batch, sizeof *es);
    uint64_t *ix = calloc(batch, sizeof *ix), done = 0, start, first = 0, last = 0;
    uint8_t root[32];
    int rc, ret = MH_EXIT_INTERNAL;
    if (!es || !ix)
        goto out;
    if ((rc = mh_ledger_size(l, &start, root))) {
        ret = log_fail(rc, "reading the ledger");
        goto out;
    }
    while (done < o->synthetic) {
        size_t n = (size_t)(o->synthetic - done < batch ? o->synthetic - done : batch);
        for (size_t i = 0; i < n; i++) {
            mh_ledger_entry *e = &es[i];
            memset(e, 0, sizeof *e);
            e->type = MH_LEDGER_ISSUE;
            snprintf(e->doc_id, sizeof e->doc_id, "%s%llu", o->prefix ? o->prefix : "doc-",
                     (unsigned long long)(start + done + i));
            snprintf(e->kind, sizeof e->kind, "diploma");
            snprintf(e->issuer, sizeof e->issuer, "Synthetic University");
            if (mh_hash_sha256((const uint8_t *)e->doc_id, strlen(e->doc_id), e->digest) != 0)
                memset(e->digest, 0, sizeof e->digest);
            e->doc_len = 1000 + (start + done + i) % 5000;
            memset(e->signer_fp, 0x5a, sizeof e->signer_fp);
            e->time = o->has_time ? o->time : 1767225600u + done + i;
        }
        if ((rc = mh_ledger_append(l, es, n, ix))) {
            ret = log_fail(rc, "appending");
            goto out;
        }
        if (done == 0)
            first = ix[0];
        last = ix[n - 1];
        done += n;
    }
    printf("appended %llu entries: %llu..%llu\n", (unsigned long long)done,
           (unsigned long long)first, (unsigned long long)last);
    ret = MH_EXIT_OK;
out:
    free(es);
    free(ix);
    return ret;
}

static int cmd_log_append(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    mh_ledger_entry e;
    uint64_t idx;
    int rc, ret = parse(argc, argv, &log_append_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    memset(&e, 0, sizeof e);
    if (!o.synthetic) {
        if (!o.type || (strcmp(o.type, "issue") && strcmp(o.type, "revoke")))
            return mh_cli_usage("--type must be issue or revoke");
        e.type = strcmp(o.type, "issue") == 0 ? MH_LEDGER_ISSUE : MH_LEDGER_REVOKE;
        if (!o.id || !o.issuer)
            return mh_cli_usage("--id and --issuer are required");
        if (strlen(o.id) > MH_LEDGER_ID_MAX || strlen(o.issuer) > MH_LEDGER_ISSUER_MAX ||
            (o.kind && strlen(o.kind) > MH_LEDGER_KIND_MAX))
            return mh_cli_usage("--id (128), --issuer (256) or --kind (64 bytes) is too long");
        snprintf(e.doc_id, sizeof e.doc_id, "%s", o.id);
        snprintf(e.issuer, sizeof e.issuer, "%s", o.issuer);
        if (e.type == MH_LEDGER_ISSUE) {
            if (!o.kind || !o.digest)
                return mh_cli_usage("an issue entry needs --kind and --digest");
            snprintf(e.kind, sizeof e.kind, "%s", o.kind);
            if ((ret = hex32(o.digest, "--digest", e.digest)))
                return ret;
            e.doc_len = o.length;
        } else if (o.kind || o.digest || o.length) {
            return mh_cli_usage("a revoke entry takes no --kind, --digest or --length");
        }
        if (o.signer_fp && (ret = hex32(o.signer_fp, "--signer-fp", e.signer_fp)))
            return ret;
        e.time = o.has_time ? o.time : (uint64_t)time(NULL);
        e.reason = o.reason;
    }
    if ((ret = open_ledger(&o, false, false, &l)))
        return ret;
    if (o.synthetic) {
        ret = synthetic(l, &o);
        goto out;
    }
    if ((rc = mh_ledger_append(l, &e, 1, &idx))) {
        ret = log_fail(rc, "appending the entry");
        goto out;
    }
    printf("%llu\n", (unsigned long long)idx);
    ret = MH_EXIT_OK;
out:
    mh_ledger_close(l);
    return ret;
}

/* ---- get ---------------------------------------------------------------- */

static const struct mh_cli_opt log_get_rows[] = {
    {R_LEDGER},
    {R_INDEX, .help = "the entry at log index N"},
    {R_ID, .help = "the document's status and its issue entry"},
    {R_DIGEST, .help = "the issue entries with this SHA-256"},
    {R_RAW, .help = "also write the entry's canonical bytes (CBOR) to FILE"},
    {R_JSON},
    {0}};
static const struct mh_cli_spec log_get_spec = {
    .usage = "mohur log get [--ledger DIR] (--index N | --id ID | --digest HEX)\n"
             "           [--raw FILE] [--json]",
    .about = "Shows an entry by its log index, or a document's status (valid or revoked)\n"
             "by its id, or the entries recording a document digest.\n",
    .opts = log_get_rows,
};

static void print_entry(mh_json *j, uint64_t idx, const mh_ledger_entry *e, bool json)
{
    char dh[65], sh[65];
    mh_cli_hex_encode(e->digest, 32, dh, sizeof dh);
    mh_cli_hex_encode(e->signer_fp, 32, sh, sizeof sh);
    if (json) {
        mh_json_obj_begin(j);
        mh_json_key(j, "index");
        mh_json_uint(j, idx);
        mh_json_key(j, "type");
        mh_json_str(j, mh_ledger_type_name(e->type));
        mh_json_key(j, "id");
        mh_json_str(j, e->doc_id);
        mh_json_key(j, "issuer");
        mh_json_str(j, e->issuer);
        if (e->type == MH_LEDGER_ISSUE) {
            mh_json_key(j, "kind");
            mh_json_str(j, e->kind);
            mh_json_key(j, "digest");
            mh_json_str(j, dh);
            mh_json_key(j, "length");
            mh_json_uint(j, e->doc_len);
            if (e->has_claims) {
                char ch[65];
                mh_cli_hex_encode(e->claims, 32, ch, sizeof ch);
                mh_json_key(j, "claims_digest");
                mh_json_str(j, ch);
            }
        } else {
            if (e->type == MH_LEDGER_REVOKE) {
                mh_json_key(j, "reason");
                mh_json_uint(j, e->reason);
                mh_json_key(j, "reason_name");
                mh_json_str(j, mh_app_reason_name(e->reason));
            }
            mh_json_key(j, e->type == MH_LEDGER_VOID ? "voided_index" : "revoked_index");
            mh_json_uint(j, e->revoked_index);
        }
        mh_json_key(j, "signer_fp");
        mh_json_str(j, sh);
        mh_json_key(j, "time");
        mh_json_uint(j, e->time);
        char iso[40];
        mh_cli_time_iso(e->time, iso, sizeof iso);
        mh_json_key(j, "time_utc");
        mh_json_str(j, iso);
        mh_json_obj_end(j);
        return;
    }
    char t[40];
    mh_cli_time_iso(e->time, t, sizeof t);
    printf("index: %llu\ntype: %s\nid: %s\nissuer: %s\n", (unsigned long long)idx,
           mh_ledger_type_name(e->type), e->doc_id, e->issuer);
    if (e->type == MH_LEDGER_ISSUE)
        printf("kind: %s\ndigest: %s\nlength: %llu\n", e->kind, dh, (unsigned long long)e->doc_len);
    else if (e->type == MH_LEDGER_VOID)
        printf("voided index: %llu\n", (unsigned long long)e->revoked_index);
    else
        printf("reason: %s\nrevoked index: %llu\n", mh_app_reason_name(e->reason),
               (unsigned long long)e->revoked_index);
    printf("signer: %s\ntime: %s\n", sh, t);
}

static int cmd_log_get(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    mh_ledger_entry e;
    mh_json j;
    int rc, ret = parse(argc, argv, &log_get_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if ((o.has_index ? 1 : 0) + (o.id ? 1 : 0) + (o.digest ? 1 : 0) != 1)
        return mh_cli_usage("give one of --index, --id or --digest");
    if ((ret = open_ledger(&o, true, false, &l)))
        return ret;
    mh_json_init(&j, stdout);
    if (o.has_index || o.id) {
        mh_ledger_status st;
        uint64_t idx = o.index;
        memset(&st, 0, sizeof st);
        if (o.id) {
            if ((rc = mh_ledger_lookup_id(l, o.id, &st))) {
                if (rc == MH_ERR_NOT_FOUND && !o.json)
                    printf("status: unknown\n");
                ret = log_fail(rc, "looking up the document");
                goto out;
            }
            idx = st.issue_index;
        }
        if ((rc = mh_ledger_get(l, idx, &e))) {
            ret = log_fail(rc, "reading the entry");
            goto out;
        }
        if (o.raw) {
            uint8_t raw[MH_LEDGER_ENTRY_MAX];
            size_t rl;
            if ((rc = mh_ledger_get_raw(l, idx, raw, sizeof raw, &rl))) {
                ret = log_fail(rc, "reading the entry");
                goto out;
            }
            if ((ret = mh_cli_write_file(o.raw, raw, rl, 0644)))
                goto out;
        }
        if (o.json) {
            mh_json_obj_begin(&j);
            if (o.id) {
                mh_json_key(&j, "status");
                mh_json_str(&j, st.voided ? "voided" : st.revoked ? "revoked" : "valid");
                if (st.revoked) {
                    mh_json_key(&j, "revoke_index");
                    mh_json_uint(&j, st.revoke_index);
                    mh_json_key(&j, "revoke_reason");
                    mh_json_uint(&j, st.reason);
                    mh_json_key(&j, "revoke_reason_name");
                    mh_json_str(&j, mh_app_reason_name(st.reason));
                    mh_json_key(&j, "revoke_time");
                    mh_json_uint(&j, st.revoke_time);
                }
            }
            mh_json_key(&j, "entry");
            print_entry(&j, idx, &e, true);
            mh_json_obj_end(&j);
            mh_json_end(&j);
        } else {
            if (o.id) {
                char rt[40];
                mh_cli_time_iso(st.revoke_time, rt, sizeof rt);
                if (st.voided)
                    printf("status: voided on %s (its signing failed: never delivered; entry "
                           "%llu)\n",
                           rt, (unsigned long long)st.void_index);
                else if (st.revoked)
                    printf("status: revoked on %s (%s; entry %llu)\n", rt,
                           mh_app_reason_name(st.reason), (unsigned long long)st.revoke_index);
                else
                    printf("status: valid\n");
            }
            print_entry(NULL, idx, &e, false);
        }
    } else {
        uint8_t d[32];
        uint64_t ix[64];
        size_t n;
        if ((ret = hex32(o.digest, "--digest", d)))
            goto out;
        if ((rc = mh_ledger_lookup_digest(l, d, ix, 64, &n))) {
            ret = log_fail(rc, "looking up the digest");
            goto out;
        }
        if (o.json)
            mh_json_arr_begin(&j);
        for (size_t i = 0; i < n && i < 64; i++) {
            if ((rc = mh_ledger_get(l, ix[i], &e))) {
                ret = log_fail(rc, "reading the entry");
                goto out;
            }
            print_entry(&j, ix[i], &e, o.json);
            if (!o.json && i + 1 < n)
                putchar('\n');
        }
        if (o.json) {
            mh_json_arr_end(&j);
            mh_json_end(&j);
        }
    }
    ret = MH_EXIT_OK;
out:
    mh_ledger_close(l);
    return ret;
}

/* ---- prove and verify --------------------------------------------------- */

static const struct mh_cli_opt log_prove_rows[] = {
    {R_LEDGER},
    {R_INDEX, .help = "prove entry N is in the tree"},
    {R_SIZE, .help = "the tree size to prove against (default: the latest checkpoint)"},
    {R_ORIGIN, .help = "the origin line of an unsigned checkpoint (default: mohur)"},
    {R_FROM, .help = "prove the tree of S1 entries is a prefix of the tree of S2"},
    {R_TO, .help = "(default: the current size)"},
    {R_OUT, .help = "where to write the proof (default: standard output)"},
    {0}};
static const struct mh_cli_spec log_prove_spec = {
    .usage = "mohur log prove [--ledger DIR] --index N [--size S] [--origin O] [--out FILE]\n"
             "       mohur log prove [--ledger DIR] --from S1 [--to S2] [--out FILE]",
    .about = "Writes an RFC 9162 proof as text. An inclusion proof (--index) follows C2SP\n"
             "tlog-proof: the index, the proof hashes in base64, a blank line and the\n"
             "checkpoint it proves against (the latest signed one that covers the entry,\n"
             "or with --size an unsigned checkpoint body for that size). A consistency\n"
             "proof (--from) names both sizes and roots and lists the hashes.\n"
             "Check either with 'mohur log verify'.\n",
    .opts = log_prove_rows,
};

static int put_hashes(char *buf, size_t cap, size_t *pos, uint8_t (*proof)[32], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char h[64];
        b64(proof[i], 32, h, sizeof h);
        int k = snprintf(buf + *pos, cap - *pos, "%s\n", h);
        if (k < 0 || (size_t)k >= cap - *pos)
            return MH_ERR_BUFFER_TOO_SMALL;
        *pos += (size_t)k;
    }
    return MH_OK;
}

static int cmd_log_prove(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    uint8_t proof[MH_MERKLE_MAX_PROOF][32];
    char *buf = NULL;
    size_t n, pos = 0, cap = PROOF_FILE_MAX;
    int k, rc, ret = parse(argc, argv, &log_prove_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (o.has_index == o.has_from)
        return mh_cli_usage("give --index (inclusion) or --from (consistency)");
    if ((ret = open_ledger(&o, true, false, &l)))
        return ret;
    if (!(buf = malloc(cap))) {
        ret = mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    if (o.has_index) {
        char *note = NULL;
        size_t nl = 0;
        uint64_t size = o.size;
        if (!o.has_size) {
            /* the latest signed checkpoint */
            char origin[MH_LEDGER_ORIGIN_MAX + 1];
            uint8_t root[32];
            const char *blank;
            if (!(note = malloc(MH_LEDGER_NOTE_MAX + 1))) {
                ret = mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
                goto out;
            }
            rc = mh_ledger_checkpoint_get(l, UINT64_MAX, note, MH_LEDGER_NOTE_MAX + 1, &nl, NULL);
            if (!rc) {
                blank = strstr(note, "\n\n");
                rc = blank ? mh_ledger_checkpoint_parse(note, (size_t)(blank - note) + 1, origin,
                                                        sizeof origin, &size, root)
                           : MH_ERR_LEDGER_CORRUPT;
            }
            if (rc) {
                free(note);
                ret = log_fail(rc, "reading the latest checkpoint (or give --size)");
                goto out;
            }
        } else {
            if (!(note = malloc(MH_LEDGER_NOTE_MAX + 1))) {
                ret = mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
                goto out;
            }
            rc = mh_ledger_checkpoint_body(l, o.origin ? o.origin : "mohur", size, note,
                                           MH_LEDGER_NOTE_MAX + 1, &nl);
            if (rc) {
                free(note);
                ret = log_fail(rc, "making the checkpoint");
                goto out;
            }
        }
        rc = mh_ledger_prove_inclusion(l, o.index, size, proof, MH_MERKLE_MAX_PROOF, &n);
        if (rc) {
            free(note);
            ret = log_fail(rc, "proving inclusion");
            goto out;
        }
        k = snprintf(buf, cap, PROOF_MAGIC "\nindex %llu\n", (unsigned long long)o.index);
        pos = (size_t)k;
        rc = put_hashes(buf, cap, &pos, proof, n);
        if (!rc && nl + 2 < cap - pos) {
            buf[pos++] = '\n';
            memcpy(buf + pos, note, nl);
            pos += nl;
        } else {
            rc = MH_ERR_BUFFER_TOO_SMALL;
        }
        free(note);
        if (rc) {
            ret = log_fail(rc, "writing the proof");
            goto out;
        }
    } else {
        uint64_t size2 = o.to;
        uint8_t r1[32], r2[32];
        char b1[64], b2[64];
        if (!o.has_to && (rc = mh_ledger_size(l, &size2, r2))) {
            ret = log_fail(rc, "reading the ledger");
            goto out;
        }
        if ((rc = mh_ledger_prove_consistency(l, o.from, size2, proof, MH_MERKLE_MAX_PROOF, &n)) ||
            (rc = mh_ledger_root_at(l, o.from, r1)) || (rc = mh_ledger_root_at(l, size2, r2))) {
            ret = log_fail(rc, "proving consistency");
            goto out;
        }
        b64(r1, 32, b1, sizeof b1);
        b64(r2, 32, b2, sizeof b2);
        k = snprintf(buf, cap, CONS_MAGIC "\nold %llu %s\nnew %llu %s\n",
                     (unsigned long long)o.from, b1, (unsigned long long)size2, b2);
        pos = (size_t)k;
        if ((rc = put_hashes(buf, cap, &pos, proof, n))) {
            ret = log_fail(rc, "writing the proof");
            goto out;
        }
    }
    ret = mh_cli_write_file(o.out, buf, pos, 0644);
out:
    free(buf);
    mh_ledger_close(l);
    return ret;
}

static const struct mh_cli_opt log_verify_rows[] = {
    {R_PROOF, .help = "the proof"},
    {R_ENTRY, .help = "the entry an inclusion proof is about"},
    {R_CHECKPOINT, .help = "a checkpoint (signed note) to check against"},
    {R_VKEY, .help = "the log's verifier key (C2SP signed-note vkey, or a file holding it): the "
                     "checkpoint's signature must verify"},
    {R_WITNESS, .help = "a witness's key (type 0x04; repeat): the checkpoint must carry their "
                        "cosignatures (C2SP tlog-cosignature)"},
    {R_QUORUM, .help = "how many of the witnesses must have cosigned (default: all)"},
    {0}};
static const struct mh_cli_spec log_verify_spec = {
    .usage = "mohur log verify --proof FILE [--entry FILE] [--checkpoint FILE] [--vkey VKEY]\n"
             "                        [--witness VKEY]... [--quorum K]\n"
             "       mohur log verify --checkpoint FILE [--vkey VKEY]",
    .about = "Checks a proof written by 'mohur log prove', without the ledger:\n"
             "an inclusion proof against the entry's canonical bytes (--entry, as\n"
             "written by 'mohur log get --raw') and the checkpoint inside the proof; a\n"
             "consistency proof between its two roots, and, with --checkpoint, that the\n"
             "newer root is the one in that checkpoint. With only --checkpoint, checks\n"
             "that the file is a well-formed checkpoint and prints its fields.\n"
             "Exit status 1 when a proof does not verify.\n",
    .opts = log_verify_rows,
};

/* Reads "key <u64>[ <b64 root>]" */
static int read_line(const char **p, const char *end, char *line, size_t cap)
{
    const char *e = memchr(*p, '\n', (size_t)(end - *p));
    if (!e || (size_t)(e - *p) >= cap)
        return MH_ERR_PARSE;
    memcpy(line, *p, (size_t)(e - *p));
    line[e - *p] = 0;
    *p = e + 1;
    return MH_OK;
}

static int dec_hash(const char *s, uint8_t out[32])
{
    size_t dl;
    /* strict base64: one encoding per hash */
    if (strlen(s) != 44 || mh_base64_decode(s, 44, out, 32, &dl) || dl != 32)
        return MH_ERR_PARSE;
    return MH_OK;
}

static int parse_size_root(const char *line, const char *key, uint64_t *size, uint8_t root[32],
                           bool want_root)
{
    size_t kl = strlen(key);
    char *end;
    if (strncmp(line, key, kl) != 0 || line[kl] != ' ' || line[kl + 1] < '0' || line[kl + 1] > '9')
        return MH_ERR_PARSE;
    errno = 0;
    unsigned long long v = strtoull(line + kl + 1, &end, 10);
    if (errno || (line[kl + 1] == '0' && end != line + kl + 2))
        return MH_ERR_PARSE;
    *size = v;
    if (!want_root)
        return *end ? MH_ERR_PARSE : MH_OK;
    if (*end != ' ')
        return MH_ERR_PARSE;
    return dec_hash(end + 1, root);
}

static int cmd_log_verify(int argc, char **argv)
{
    struct log_opts o;
    mh_note_vkey vk;
    uint8_t *pf = NULL, *ef = NULL, *cf = NULL;
    size_t pl = 0, el = 0, cl = 0, n = 0;
    uint8_t proof[MH_MERKLE_MAX_PROOF][32];
    char line[256], origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint64_t csize = 0;
    uint8_t croot[32];
    bool have_ck = false;
    int rc, ret = parse(argc, argv, &log_verify_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (!o.proof && !o.checkpoint)
        return mh_cli_usage("give --proof, --checkpoint or both");
    if (o.vkey && (ret = load_vkey(o.vkey, "--vkey", &vk)))
        return ret;
    if (o.checkpoint) {
        const char *blank;
        if ((ret = mh_cli_read_file(o.checkpoint, MH_LEDGER_NOTE_MAX, &cf, &cl)))
            goto out;
        blank = strstr((const char *)cf, "\n\n");
        if ((rc = mh_ledger_checkpoint_parse((const char *)cf,
                                             blank ? (size_t)(blank - (const char *)cf) + 1 : cl,
                                             origin, sizeof origin, &csize, croot))) {
            ret = log_fail(rc, "reading the checkpoint");
            goto out;
        }
        have_ck = true;
        if (o.vkey && (ret = check_note((const char *)cf, cl, &vk, "the checkpoint")))
            goto out;
        if ((ret = check_quorum((const char *)cf, cl, &o)))
            goto out;
        if (!o.proof) {
            char rb[64];
            b64(croot, 32, rb, sizeof rb);
            printf("checkpoint: %s, size %llu, root %s%s\n", origin, (unsigned long long)csize, rb,
                   o.vkey  ? ", signature OK"
                   : blank ? ""
                           : " (unsigned)");
            ret = MH_EXIT_OK;
            goto out;
        }
    }
    if ((ret = mh_cli_read_file(o.proof, PROOF_FILE_MAX, &pf, &pl)))
        goto out;
    {
        const char *p = (const char *)pf, *end = p + pl;
        ret = MH_EXIT_INPUT;
        if (read_line(&p, end, line, sizeof line))
            goto bad;
        if (strcmp(line, PROOF_MAGIC) == 0) {
            uint64_t index, size;
            uint8_t root[32], leaf[32];
            const char *blank;
            if (!o.entry) {
                ret = mh_cli_usage("an inclusion proof needs --entry (the entry's bytes)");
                goto out;
            }
            if (read_line(&p, end, line, sizeof line) ||
                parse_size_root(line, "index", &index, NULL, false))
                goto bad;
            while (p < end && *p != '\n') {
                if (n == MH_MERKLE_MAX_PROOF || read_line(&p, end, line, sizeof line) ||
                    dec_hash(line, proof[n]))
                    goto bad;
                n++;
            }
            if (p >= end)
                goto bad;
            p++;
            blank = strstr(p, "\n\n");
            if (mh_ledger_checkpoint_parse(p, blank ? (size_t)(blank - p) + 1 : (size_t)(end - p),
                                           origin, sizeof origin, &size, root))
                goto bad;
            if (have_ck && (csize != size || mh_ct_memcmp(croot, root, 32) != 0)) {
                ret = mh_cli_error(MH_EXIT_INVALID,
                                   "the proof's checkpoint is not the checkpoint given");
                goto out;
            }
            if (o.vkey && !have_ck &&
                (ret = check_note(p, (size_t)(end - p), &vk, "the proof's checkpoint")))
                goto out;
            if (!have_ck && (ret = check_quorum(p, (size_t)(end - p), &o)))
                goto out;
            if ((ret = mh_cli_read_file(o.entry, MH_LEDGER_ENTRY_MAX, &ef, &el)))
                goto out;
            mh_merkle_leaf_hash(ef, el, leaf);
            if (mh_merkle_verify_inclusion(leaf, index, size, (const uint8_t(*)[32])proof, n,
                                           root) != 0) {
                ret = mh_cli_error(MH_EXIT_INVALID,
                                   "the inclusion proof does NOT verify: the entry is not at "
                                   "index %llu of the tree of %llu entries in the checkpoint",
                                   (unsigned long long)index, (unsigned long long)size);
                goto out;
            }
            printf("inclusion proof OK: entry %llu is in the tree of %llu entries (%s)%s\n",
                   (unsigned long long)index, (unsigned long long)size, origin,
                   o.vkey  ? "; checkpoint signature OK"
                   : blank ? "; give --vkey to check the checkpoint's signature"
                           : "; the checkpoint is not signed");
        } else if (strcmp(line, CONS_MAGIC) == 0) {
            uint64_t s1, s2;
            uint8_t r1[32], r2[32];
            if (read_line(&p, end, line, sizeof line) ||
                parse_size_root(line, "old", &s1, r1, true))
                goto bad;
            if (read_line(&p, end, line, sizeof line) ||
                parse_size_root(line, "new", &s2, r2, true))
                goto bad;
            while (p < end) {
                if (n == MH_MERKLE_MAX_PROOF || read_line(&p, end, line, sizeof line) ||
                    dec_hash(line, proof[n]))
                    goto bad;
                n++;
            }
            if (have_ck && (csize != s2 || mh_ct_memcmp(croot, r2, 32) != 0)) {
                ret = mh_cli_error(MH_EXIT_INVALID, "the proof's newer tree is not the tree in "
                                                    "the checkpoint given");
                goto out;
            }
            if (mh_merkle_verify_consistency(s1, s2, (const uint8_t(*)[32])proof, n, r1, r2) != 0) {
                ret = mh_cli_error(MH_EXIT_INVALID,
                                   "the consistency proof does NOT verify: the tree of %llu "
                                   "entries is not a prefix of the tree of %llu",
                                   (unsigned long long)s1, (unsigned long long)s2);
                goto out;
            }
            printf("consistency proof OK: the tree of %llu entries is a prefix of the tree of "
                   "%llu\n",
                   (unsigned long long)s1, (unsigned long long)s2);
        } else {
            goto bad;
        }
        ret = MH_EXIT_OK;
        goto out;
    bad:
        ret =
            mh_cli_error(MH_EXIT_INPUT, "%s is not a proof written by 'mohur log prove'", o.proof);
    }
out:
    free(pf);
    free(ef);
    free(cf);
    return ret;
}

/* ---- checkpoints -------------------------------------------------------- */

static const struct mh_cli_opt log_checkpoint_rows[] = {
    {R_LEDGER},
    {R_ORIGIN, .help = "the log's origin line, e.g. registry.example.az/log"},
    {R_KEY,
     .help = "the registry key, e.g. 'pkcs11:token=Seal;object=registry?pin-source=file:PATH'"},
    {R_MODULE},
    {R_VKEY_OUT, .help = "write the verifier key (vkey) for mirrors and witnesses"},
    {R_WITNESS_URL, .help = "after signing, push the checkpoint to this witness and keep its "
                            "cosignature (as 'mohur log push'; repeat for each witness)"},
    {R_WITNESS, .help = "after signing, push the checkpoint to this witness and keep its "
                        "cosignature (as 'mohur log push'; repeat for each witness)"},
    {R_BODY, .help = "write the unsigned checkpoint body"},
    {R_NOTE, .help = "store this signed checkpoint"},
    {R_SEQ, .help = "the stored checkpoint to write (default: the latest)"},
    {R_OUT, .help = "where to write (default: standard output)"},
    {0}};
static const struct mh_cli_spec log_checkpoint_spec = {
    .usage = "mohur log checkpoint [--ledger DIR] --origin O --key URI [--vkey-out FILE]\n"
             "                            [--witness-url URL --witness VKEY]...\n"
             "       mohur log checkpoint [--ledger DIR] --origin O --body [--out FILE]\n"
             "       mohur log checkpoint [--ledger DIR] --note FILE\n"
             "       mohur log checkpoint [--ledger DIR] [--seq N] [--out FILE]",
    .about = "Checkpoints (C2SP tlog-checkpoint) as signed notes (C2SP signed-note).\n"
             "--key signs the checkpoint of the current tree with the registry key on the\n"
             "token (ECDSA P-256, signature type 0x02, or Ed25519, type 0x01; the key name\n"
             "is the origin) and stores it; every published checkpoint is kept. --body\n"
             "writes the unsigned checkpoint for a signer elsewhere; --note stores a\n"
             "checkpoint signed elsewhere, after checking its size and root are this\n"
             "ledger's. Without these, writes a stored checkpoint (the latest, or --seq N)\n"
             "with its witness cosignatures.\n",
    .opts = log_checkpoint_rows,
    .more = "Example:\n"
            "  mohur log checkpoint --origin registry.example.az/log \\\n"
            "      --key 'pkcs11:token=Seal;object=registry?pin-source=file:user.pin'\n",
};

struct note_signer {
    mh_signer key;
    char name[MH_NOTE_MAX_NAME + 1];
    uint8_t type;
    uint8_t keyid[4];
};

static int ledger_sign_cb(void *ctx, const char *body, size_t body_len, char *note, size_t cap,
                          size_t *note_len)
{
    struct note_signer *s = ctx;
    return mh_note_sign(body, body_len, s->name, s->type, s->keyid, &s->key, note, cap, note_len);
}

/* Opens the registry key and works out its note key type, key ID and vkey. */
static int open_signer(const struct log_opts *o, mh_cli_ctx *c, struct note_signer *s, char *vkey,
                       size_t vcap)
{
    mh_hsm_key_info ki;
    uint8_t spki[256];
    size_t sl, vl;
    const uint8_t *key;
    size_t key_len;
    int rc, ret;

    if ((ret = mh_cli_open_key(c, o->key, o->module, MH_CLI_LOGIN_IF_NEEDED)))
        return ret;
    if ((rc = mh_hsm_key_info_get(c->key, &ki)) ||
        (rc = mh_hsm_key_public_der(c->key, spki, sizeof spki, &sl)))
        return mh_cli_fail(rc, "reading %s", c->key_name);
    if (ki.type == MH_KEY_EC_P256) {
        s->type = MH_NOTE_ECDSA;
        key = spki;
        key_len = sl;
    } else if (ki.type == MH_KEY_ED25519 && sl >= 32) {
        s->type = MH_NOTE_ED25519;
        key = spki + sl - 32; /* the raw key ends the SPKI */
        key_len = 32;
    } else {
        return mh_cli_error(MH_EXIT_TOKEN,
                            "%s is a %s key; a checkpoint is signed with ECDSA P-256 or Ed25519",
                            c->key_name, mh_key_type_name(ki.type));
    }
    if ((rc = mh_hsm_key_signer(c->key, MH_SIG_AUTO, &s->key)))
        return mh_cli_fail(rc, "using %s", c->key_name);
    snprintf(s->name, sizeof s->name, "%s", o->origin);
    if ((rc = mh_note_keyid(s->name, strlen(s->name), s->type, key, key_len, s->keyid)) ||
        (rc = mh_note_vkey_format(s->name, s->type, key, key_len, vkey, vcap, &vl)))
        return mh_cli_fail(rc, "making the verifier key");
    return MH_EXIT_OK;
}

static int cmd_log_checkpoint(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    mh_cli_ctx c;
    struct note_signer sg;
    char *buf = NULL, vkey[MH_NOTE_MAX_VKEY + 1];
    uint8_t *nf = NULL;
    size_t len = 0, nfl = 0;
    uint64_t seq;
    int rc, ret;

    memset(&c, 0, sizeof c);
    ret = parse(argc, argv, &log_checkpoint_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if ((o.body ? 1 : 0) + (o.note ? 1 : 0) + (o.key ? 1 : 0) > 1)
        return mh_cli_usage("give one of --key, --body or --note");
    if ((o.body || o.key) && !o.origin)
        return mh_cli_usage("--body and --key need --origin");
    if (o.nwitness_urls != o.nwitnesses || (o.nwitness_urls && !o.key))
        return mh_cli_usage("give --witness-url and --witness in pairs, with --key");
    if (o.note && (ret = mh_cli_read_file(o.note, MH_LEDGER_NOTE_MAX, &nf, &nfl)))
        return ret;
    if (o.key && (ret = open_signer(&o, &c, &sg, vkey, sizeof vkey)))
        goto out;
    if ((ret = open_ledger(&o, !o.note && !o.key, false, &l)))
        goto out;
    if (!(buf = malloc(MH_LEDGER_NOTE_MAX + 1))) {
        ret = mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    if (o.key) {
        if ((rc = mh_ledger_checkpoint_sign(l, o.origin, ledger_sign_cb, &sg, &seq))) {
            ret = log_fail(rc, "signing the checkpoint");
            goto out;
        }
        if (o.vkey_out && (ret = mh_cli_write_file(o.vkey_out, vkey, strlen(vkey), 0644)))
            goto out;
        printf("signed and stored checkpoint #%llu\nvkey: %s\n", (unsigned long long)seq, vkey);
        ret = MH_EXIT_OK;
        /* then to each witness, as log push does */
        for (size_t i = 0; i < o.nwitness_urls; i++) {
            mh_note_vkey wk;
            mh_ledger_push_result pr;
            if ((ret = load_vkey(o.witnesses[i], "--witness", &wk)))
                goto out;
            if ((rc = mh_ledger_push(l, seq, o.witness_urls[i], &wk, &pr))) {
                fprintf(stderr, "mohur: pushing checkpoint #%llu to %s: %s\n",
                        (unsigned long long)seq, o.witness_urls[i], mh_err_message(rc));
                ret = rc == MH_ERR_LEDGER_FORK || rc == MH_ERR_VERIFY_FAILED ? MH_EXIT_INVALID
                                                                             : mh_cli_exit_code(rc);
                goto out;
            }
            printf("witness %s cosigned it\n", wk.name);
        }
    } else if (o.body) {
        if ((rc = mh_ledger_checkpoint_body(l, o.origin, 0, buf, MH_LEDGER_NOTE_MAX + 1, &len))) {
            ret = log_fail(rc, "making the checkpoint");
            goto out;
        }
        ret = mh_cli_write_file(o.out, buf, len, 0644);
    } else if (o.note) {
        if ((rc = mh_ledger_checkpoint_store(l, (const char *)nf, nfl, &seq))) {
            ret = log_fail(rc, "storing the checkpoint");
            goto out;
        }
        printf("stored checkpoint #%llu\n", (unsigned long long)seq);
        ret = MH_EXIT_OK;
    } else {
        if ((rc = mh_ledger_checkpoint_get(l, o.has_seq ? o.seq : UINT64_MAX, buf,
                                           MH_LEDGER_NOTE_MAX + 1, &len, &seq))) {
            ret = log_fail(rc, "reading the checkpoint");
            goto out;
        }
        ret = mh_cli_write_file(o.out, buf, len, 0644);
    }
out:
    free(buf);
    free(nf);
    mh_ledger_close(l);
    mh_cli_close(&c);
    return ret;
}

static const struct mh_cli_opt log_cosign_rows[] = {
    {R_LEDGER},
    {R_COSIG, .help = "the witness's signature line ('— name base64')"},
    {R_WITNESS, .help = "the witness's verifier key (or a file holding it)"},
    {R_SEQ, .help = "the checkpoint cosigned (default: the latest)"},
    {0}};
static const struct mh_cli_spec log_cosign_spec = {
    .usage = "mohur log cosign [--ledger DIR] --cosig FILE --witness VKEY [--seq N]",
    .about = "Accepts a witness cosignature (C2SP tlog-cosignature, cosignature/v1) of a\n"
             "stored checkpoint: verifies it with the witness's key and stores it beside\n"
             "the checkpoint, so 'mohur log checkpoint' and the exported checkpoint carry it.\n",
    .opts = log_cosign_rows,
};

struct cosig_ctx {
    const mh_note_vkey *witness;
    uint64_t time;
};

static int cosig_verify_cb(void *ctx, const char *note, size_t note_len, const char *line,
                           size_t line_len)
{
    struct cosig_ctx *cc = ctx;
    char *buf = malloc(note_len + line_len + 1);
    int rc;
    if (!buf)
        return MH_ERR_NOMEM;
    memcpy(buf, note, note_len);
    memcpy(buf + note_len, line, line_len);
    buf[note_len + line_len] = 0;
    rc = mh_cosig_verify(buf, note_len + line_len, cc->witness, &cc->time);
    free(buf);
    return rc == MH_ERR_NOT_FOUND ? MH_ERR_VERIFY_FAILED : rc;
}

static int cmd_log_cosign(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    mh_note_vkey vk;
    struct cosig_ctx cc;
    uint8_t *line = NULL;
    size_t ll;
    int rc, ret = parse(argc, argv, &log_cosign_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (!o.cosig || !o.witness)
        return mh_cli_usage("--cosig and --witness are required");
    if ((ret = load_vkey(o.witness, "--witness", &vk)))
        return ret;
    if (vk.type != MH_NOTE_COSIG) {
        return mh_cli_usage("--witness must be a cosignature/v1 key (type 0x04)");
    }
    if ((ret = mh_cli_read_file(o.cosig, MH_NOTE_MAX_LINE + 2, &line, &ll)))
        return ret;
    if ((ret = open_ledger(&o, false, false, &l)))
        goto out;
    memset(&cc, 0, sizeof cc);
    cc.witness = &vk;
    if ((rc = mh_ledger_cosign_add(l, o.has_seq ? o.seq : UINT64_MAX, (const char *)line, ll,
                                   cosig_verify_cb, &cc))) {
        ret = log_fail(rc, "adding the cosignature");
        goto out;
    }
    printf("cosignature of '%s' (time %llu) verified and stored\n", vk.name,
           (unsigned long long)cc.time);
    ret = MH_EXIT_OK;
out:
    free(line);
    mh_ledger_close(l);
    return ret;
}

static const struct mh_cli_opt log_push_rows[] = {
    {R_LEDGER},
    {R_WITNESS_URL, .help = "the witness's submission prefix (http:// or https://)"},
    {R_WITNESS, .help = "the witness's verifier key (type 0x04), or a file"},
    {R_SEQ, .help = "the checkpoint to push (default: the latest)"},
    {0}};
static const struct mh_cli_spec log_push_spec = {
    .usage = "mohur log push [--ledger DIR] --witness-url URL --witness VKEY [--seq N]",
    .about = "Sends a stored checkpoint (the latest, or --seq N) to a witness (C2SP\n"
             "tlog-witness add-checkpoint) with a consistency proof from the size the\n"
             "witness cosigned last, checks the cosignature with the witness's key and\n"
             "keeps it beside the checkpoint: exported checkpoints and proofs carry it.\n"
             "Run it for each witness after each 'mohur log checkpoint'. A witness that\n"
             "refuses the checkpoint as a fork exits with status 1.\n",
    .opts = log_push_rows,
};

static int cmd_log_push(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    mh_note_vkey vk;
    mh_ledger_push_result r;
    int rc, ret = parse(argc, argv, &log_push_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (!o.witness_url || !o.witness)
        return mh_cli_usage("--witness-url and --witness are required");
    if ((ret = load_vkey(o.witness, "--witness", &vk)))
        return ret;
    if (vk.type != MH_NOTE_COSIG)
        return mh_cli_usage("--witness must be a cosignature/v1 key (type 0x04)");
    if ((ret = open_ledger(&o, false, false, &l)))
        return ret;
    rc = mh_ledger_push(l, o.has_seq ? o.seq : UINT64_MAX, o.witness_url, &vk, &r);
    if (rc) {
        ret = rc == MH_ERR_LEDGER_FORK || rc == MH_ERR_VERIFY_FAILED
                  ? (fprintf(stderr, "mohur: pushing to the witness: %s\n", mh_err_message(rc)),
                     MH_EXIT_INVALID)
                  : log_fail(rc, "pushing to the witness");
        goto out;
    }
    printf("witness %s cosigned the checkpoint of %llu entries (time %llu); kept\n", vk.name,
           (unsigned long long)r.size, (unsigned long long)r.cosig_time);
    ret = MH_EXIT_OK;
out:
    mh_ledger_close(l);
    return ret;
}

/* ---- export and audit --------------------------------------------------- */

static const struct mh_cli_opt log_export_tiles_rows[] = {
    {R_LEDGER}, {R_OUT, .help = "the mirror directory (served as is by any web server)"}, {0}};
static const struct mh_cli_spec log_export_tiles_spec = {
    .usage = "mohur log export-tiles [--ledger DIR] --out DIR",
    .about = "Writes the log as C2SP tlog-tiles for a static mirror: tile/<L>/<N>\n"
             "(hash tiles of 256), tile/entries/<N> (entry bundles) and checkpoint, for\n"
             "the latest signed checkpoint. Incremental: full tiles already there are\n"
             "kept; the checkpoint is replaced last, atomically.\n",
    .opts = log_export_tiles_rows,
};

static int cmd_log_export(int argc, char **argv)
{
    struct log_opts o;
    mh_ledger *l = NULL;
    mh_ledger_export_stats st;
    int rc, ret = parse(argc, argv, &log_export_tiles_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (!o.out)
        return mh_cli_usage("--out DIR is required");
    if ((ret = open_ledger(&o, true, false, &l)))
        return ret;
    if ((rc = mh_ledger_export_tiles(l, o.out, &st))) {
        ret = log_fail(rc, "exporting tiles");
        goto out;
    }
    printf("exported %llu entries: %llu tiles and %llu entry bundles written, %llu kept\n",
           (unsigned long long)st.size, (unsigned long long)st.tiles,
           (unsigned long long)st.bundles, (unsigned long long)st.skipped);
    ret = MH_EXIT_OK;
out:
    mh_ledger_close(l);
    return ret;
}

static const struct mh_cli_opt log_audit_rows[] = {
    {R_STATE, .help = "the auditor's state (created if missing)"},
    {R_VKEY, .help = "the log's verifier key: the checkpoint must be signed by it"},
    {R_EVIDENCE, .help = "where to write the evidence of a fork or rollback"},
    {R_JSON},
    {0}};
static const struct mh_cli_spec log_audit_spec = {
    .usage = "mohur log audit DIR-or-URL [--state FILE] [--vkey VKEY] [--evidence FILE]\n"
             "                       [--json]",
    .about = "Audits a tile mirror (a directory written by 'mohur log export-tiles', or\n"
             "the same served by any web server at an http:// or https:// URL). With\n"
             "--state it is incremental: the state keeps the checkpoint trusted last time\n"
             "and the right edge of its tree, and the audit fetches only the entry\n"
             "bundles and tiles written since, recomputes every new leaf and every new\n"
             "hash above it, compares them with the tiles served, and checks that the new\n"
             "checkpoint's tree extends the trusted one. The first audit streams the\n"
             "whole log in constant memory. A rollback, a fork or a rewrite exits with\n"
             "status 1 and shows the evidence (both checkpoints); the state is then left\n"
             "as it was. Prints the files and bytes fetched and the time taken.\n",
    .opts = log_audit_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give exactly one directory to audit",
};

static int cmd_log_audit(int argc, char **argv)
{
    struct log_opts o;
    mh_note_vkey vk;
    mh_audit_state *st = NULL;
    mh_audit_result *res = NULL;
    char rb[64], *ev = NULL;
    size_t evl;
    int rc, ret = parse(argc, argv, &log_audit_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (o.vkey && (ret = load_vkey(o.vkey, "--vkey", &vk)))
        return ret;
    if (strstr(o.operand, "://") && strncmp(o.operand, "http://", 7) != 0 &&
        strncmp(o.operand, "https://", 8) != 0)
        return mh_cli_usage("a mirror is a directory or an http:// or https:// URL");
    st = calloc(1, sizeof *st);
    res = calloc(1, sizeof *res);
    ev = malloc(3 * MH_LEDGER_NOTE_MAX);
    if (!st || !res || !ev) {
        ret = mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    if (o.state && (rc = mh_audit_state_load(o.state, st))) {
        ret = mh_cli_fail(rc, "reading the audit state");
        goto out;
    }
    rc = mh_audit_mirror(o.operand, st, o.vkey ? &vk : NULL, o.vkey ? 1 : 0, res);
    if (rc) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", mh_err_message(rc));
        fprintf(stderr, "mohur: auditing the mirror: %s\n", reason);
        if (rc == MH_ERR_VERIFY_FAILED) {
            ret = MH_EXIT_INVALID;
        } else if (rc != MH_ERR_LEDGER_FORK) {
            ret = mh_cli_exit_code(rc);
            if (rc == MH_ERR_NOT_FOUND)
                ret = MH_EXIT_INPUT;
        } else {
            ret = MH_EXIT_INVALID;
            if (res->fork &&
                mh_audit_evidence(st, res, reason, ev, 3 * MH_LEDGER_NOTE_MAX, &evl) == 0) {
                fprintf(stderr,
                        "FORK EVIDENCE: two checkpoints of '%s' that cannot both be "
                        "true:\n%s",
                        st->origin, ev);
                if (o.evidence && mh_cli_write_file(o.evidence, ev, evl, 0644) == MH_EXIT_OK)
                    fprintf(stderr, "the evidence is in %s\n", o.evidence);
            }
        }
        goto out;
    }
    b64(res->root, 32, rb, sizeof rb);
    if (o.json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "origin");
        mh_json_str(&j, res->origin);
        mh_json_key(&j, "size");
        mh_json_uint(&j, res->size);
        mh_json_key(&j, "trusted_before");
        mh_json_uint(&j, res->old_size);
        mh_json_key(&j, "root");
        mh_json_str(&j, rb);
        mh_json_key(&j, "entries_checked");
        mh_json_uint(&j, res->entries_checked);
        mh_json_key(&j, "tiles_checked");
        mh_json_uint(&j, res->tiles_checked);
        mh_json_key(&j, "files_fetched");
        mh_json_uint(&j, res->files_fetched);
        mh_json_key(&j, "bytes_fetched");
        mh_json_uint(&j, res->bytes_fetched);
        mh_json_key(&j, "milliseconds");
        mh_json_uint(&j, (unsigned long long)(res->seconds * 1000.0));
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("audit OK: %s, %llu entries, root %s\n", res->origin, (unsigned long long)res->size,
               rb);
        printf("checked %llu new entries and %llu tiles; fetched %llu files, %llu bytes in "
               "%.3f s\n",
               (unsigned long long)res->entries_checked, (unsigned long long)res->tiles_checked,
               (unsigned long long)res->files_fetched, (unsigned long long)res->bytes_fetched,
               res->seconds);
        if (res->old_size)
            printf("consistent with the %llu entries trusted before\n",
                   (unsigned long long)res->old_size);
        else
            printf("trusted from now on\n");
    }
    if (o.state && (rc = mh_audit_state_save(o.state, st))) {
        ret = mh_cli_fail(rc, "saving the audit state");
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    free(st);
    free(res);
    free(ev);
    return ret;
}

static const struct mh_cli_opt log_follow_rows[] = {
    {R_CONFIG, .help = "the registries followed"},
    {R_STATE, .help = "the follower's state (created if missing)"},
    {R_REGISTRY, .help = "a receipt's registry id (or the log's origin)"},
    {R_INDEX, .help = "a receipt's log index"},
    {R_DIGEST, .help = "the document's SHA-256 (or its first 16 bytes, as receipts carry)"},
    {R_JSON},
    {0}};
static const struct mh_cli_spec log_follow_spec = {
    .usage = "mohur log follow update --config FILE --state DIR [--registry ID] [--json]\n"
             "       mohur log follow status --config FILE --state DIR [--json]\n"
             "       mohur log follow check  --config FILE --state DIR --registry ID --index N\n"
             "                               [--digest HEX] [--json]",
    .about = "A verifier following many registries' logs. The configuration (JSON) lists\n"
             "them: {\"registries\": [{\"id\": \"AZ-EDU\", \"vkey\": LOG-VKEY, \"mirror\": URL,\n"
             "\"witnesses\": [VKEY, ...], \"quorum\": K, \"max_age\": SECONDS}, ...]}.\n"
             "update audits each registry's mirror incrementally and trusts its new\n"
             "checkpoint if the log signed it and K witnesses cosigned it; a fork or a\n"
             "rollback is shown with both checkpoints (exit status 1) and the others go\n"
             "on. check proves entry N (a receipt's log index) in the trusted checkpoint\n"
             "of the registry the receipt names, says whether it was revoked and how\n"
             "fresh the checkpoint is, and with --digest compares the document digest.\n",
    .opts = log_follow_rows,
};

static void follow_status_print(const mh_follow_status *s, bool json, mh_json *j)
{
    char rb[64];
    uint64_t now = (uint64_t)time(NULL);
    b64(s->root, 32, rb, sizeof rb);
    if (json) {
        mh_json_key(j, "registry");
        mh_json_str(j, s->id);
        mh_json_key(j, "origin");
        mh_json_str(j, s->origin);
        mh_json_key(j, "size");
        mh_json_uint(j, s->size);
        mh_json_key(j, "root");
        mh_json_str(j, rb);
        mh_json_key(j, "checked_at");
        mh_json_uint(j, s->checked_at);
        mh_json_key(j, "cosigned_at");
        mh_json_uint(j, s->cosigned_at);
        mh_json_key(j, "witnesses");
        mh_json_uint(j, s->witnesses);
        mh_json_key(j, "quorum");
        mh_json_uint(j, s->quorum);
        mh_json_key(j, "stale");
        mh_json_bool(j, s->stale);
        return;
    }
    printf("%s (%s): %llu entries, root %s\n", s->id, s->origin, (unsigned long long)s->size, rb);
    if (s->checked_at)
        printf("  checked %llu s ago; cosigned by %zu witnesses (quorum %zu), oldest "
               "cosignature %llu s ago; %s\n",
               (unsigned long long)(now - s->checked_at), s->witnesses, s->quorum,
               (unsigned long long)(s->cosigned_at ? now - s->cosigned_at : 0),
               s->stale ? "STALE (older than max_age)" : "fresh");
    else
        printf("  never checked\n");
}

/* log follow update|status: each registry's trusted state (fetched and
 * audited first with update). */
static int follow_list(mh_follow *f, const struct log_opts *o, bool update)
{
    mh_json j;
    int rc, worst = MH_EXIT_OK;
    char *ev = malloc(3 * MH_LEDGER_NOTE_MAX);
    if (!ev)
        return mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
    if (o->json) {
        mh_json_init(&j, stdout);
        mh_json_arr_begin(&j);
    }
    for (size_t i = 0; i < mh_follow_count(f); i++) {
        const char *id = mh_follow_id(f, i);
        mh_follow_status s;
        size_t evl = 0;
        if (o->registry && strcmp(o->registry, id) != 0)
            continue;
        memset(&s, 0, sizeof s);
        if (update) {
            rc = mh_follow_update(f, id, &s, ev, 3 * MH_LEDGER_NOTE_MAX, &evl);
        } else {
            /* status: what is trusted, without fetching */
            rc = mh_follow_status_get(f, id, &s);
        }
        if (o->json) {
            mh_json_obj_begin(&j);
            follow_status_print(&s, true, &j);
            mh_json_key(&j, "ok");
            mh_json_bool(&j, rc == MH_OK);
            if (rc) {
                mh_json_key(&j, "error");
                mh_json_str(&j, mh_err_message(rc));
            }
            if (evl) {
                mh_json_key(&j, "fork_evidence");
                mh_json_str(&j, ev);
            }
            mh_json_obj_end(&j);
        } else if (rc) {
            fprintf(stderr, "mohur: %s: %s\n", id, mh_err_message(rc));
            if (evl)
                fprintf(stderr, "FORK EVIDENCE for %s:\n%.*s", id, (int)evl, ev);
        } else {
            follow_status_print(&s, false, NULL);
            if (update)
                printf("  audited %llu new entries: %llu files, %llu bytes in %.3f s\n",
                       (unsigned long long)s.new_entries, (unsigned long long)s.files_fetched,
                       (unsigned long long)s.bytes_fetched, s.seconds);
        }
        if (rc && worst == MH_EXIT_OK)
            worst = rc == MH_ERR_LEDGER_FORK || rc == MH_ERR_VERIFY_FAILED ? MH_EXIT_INVALID
                                                                           : mh_cli_exit_code(rc);
    }
    if (o->json) {
        mh_json_arr_end(&j);
        mh_json_end(&j);
    }
    free(ev);
    return worst;
}

/* An entry log follow check proved, as text or JSON; ret is the verdict. */
static void follow_entry_print(const struct log_opts *o, const mh_follow_entry *fe,
                               const uint8_t *want, size_t wl, int ret)
{
    char hex[65];
    mh_cli_hex_encode(fe->entry.digest, 32, hex, sizeof hex);
    if (o->json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        follow_status_print(&fe->status, true, &j);
        mh_json_key(&j, "index");
        mh_json_uint(&j, o->index);
        mh_json_key(&j, "included");
        mh_json_bool(&j, fe->included);
        mh_json_key(&j, "id");
        mh_json_str(&j, fe->entry.doc_id);
        mh_json_key(&j, "type");
        mh_json_str(&j, fe->entry.type == MH_LEDGER_ISSUE ? "issue" : "revoke");
        mh_json_key(&j, "kind");
        mh_json_str(&j, fe->entry.kind);
        mh_json_key(&j, "issuer");
        mh_json_str(&j, fe->entry.issuer);
        mh_json_key(&j, "digest");
        mh_json_str(&j, hex);
        mh_json_key(&j, "status");
        mh_json_str(&j, fe->voided ? "voided" : fe->revoked ? "revoked" : "valid");
        if (o->digest) {
            mh_json_key(&j, "digest_matches");
            mh_json_bool(&j, ret == MH_EXIT_OK || fe->revoked);
        }
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("entry %llu of %s is in the trusted checkpoint (inclusion proof OK)\n",
               (unsigned long long)o->index, fe->status.id);
        printf("  %s '%s', kind %s, issuer %s, digest %s\n",
               fe->entry.type == MH_LEDGER_ISSUE ? "issue of" : "revocation of", fe->entry.doc_id,
               fe->entry.kind[0] ? fe->entry.kind : "-", fe->entry.issuer, hex);
        if (fe->voided)
            printf("  status: VOIDED by entry %llu (the document was never delivered)\n",
                   (unsigned long long)fe->revoke_index);
        else if (fe->revoked)
            printf("  status: REVOKED by entry %llu (reason %u)\n",
                   (unsigned long long)fe->revoke_index, fe->reason);
        else
            printf("  status: valid (no revocation in the trusted checkpoint)\n");
        if (o->digest)
            printf("  document digest: %s\n",
                   mh_ct_memcmp(want, fe->entry.digest, wl) == 0 ? "matches" : "DOES NOT MATCH");
        follow_status_print(&fe->status, false, NULL);
    }
}

/* log follow check: entry --index of --registry proven in the trusted
 * checkpoint, its revocation, and with --digest the document's digest. */
static int follow_check(mh_follow *f, const struct log_opts *o)
{
    int rc, ret;
    mh_follow_entry *fe = calloc(1, sizeof *fe);
    uint8_t want[32];
    size_t wl = 0;
    if (!fe)
        return mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
    if (!o->registry || !o->has_index) {
        ret = mh_cli_usage("check needs --registry and --index");
        goto out;
    }
    if (o->digest &&
        (mh_cli_hex_decode(o->digest, want, sizeof want, &wl) || (wl != 32 && wl != 16))) {
        ret = mh_cli_usage("--digest is 32 or 16 bytes of hex");
        goto out;
    }
    rc = mh_follow_check_entry(f, o->registry, strlen(o->registry), o->index, fe);
    if (rc) {
        ret = rc == MH_ERR_LEDGER_FORK
                  ? (fprintf(stderr, "mohur: %s\n", mh_err_message(rc)), MH_EXIT_INVALID)
                  : log_fail(rc, "checking the entry");
        goto out;
    }
    ret = MH_EXIT_OK;
    if (o->digest &&
        (fe->entry.type != MH_LEDGER_ISSUE || mh_ct_memcmp(want, fe->entry.digest, wl) != 0))
        ret = MH_EXIT_INVALID;
    if (fe->revoked || fe->voided)
        ret = MH_EXIT_INVALID;
    follow_entry_print(o, fe, want, wl, ret);
out:
    free(fe);
    return ret;
}

static int cmd_log_follow(int argc, char **argv)
{
    struct log_opts o;
    mh_follow *f = NULL;
    const char *verb = argc > 1 ? argv[1] : "";
    int rc, ret;
    if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0) {
        mh_cli_print_help(&log_follow_spec, stdout);
        return MH_EXIT_OK;
    }
    if (strcmp(verb, "update") != 0 && strcmp(verb, "status") != 0 && strcmp(verb, "check") != 0)
        return mh_cli_usage("log follow takes update, status or check");
    ret = parse(argc - 1, argv + 1, &log_follow_spec, &o);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    if (!o.config || !o.state)
        return mh_cli_usage("--config and --state are required");
    if ((rc = mh_follow_open(o.config, o.state, &f)))
        return mh_cli_fail(rc, "reading the follower's configuration");
    if (strcmp(verb, "update") == 0 || strcmp(verb, "status") == 0)
        ret = follow_list(f, &o, verb[0] == 'u');
    else
        ret = follow_check(f, &o);
    mh_follow_close(f);
    return ret;
}

const struct mh_cli_cmd mh_cli_log_cmds[] = {
    {"init", "create an empty ledger", &log_init_spec, cmd_log_init, NULL},
    {"info", "show the ledger's size, root and latest checkpoint", &log_info_spec, cmd_log_info,
     NULL},
    {"append", "append an issue or revoke entry (tests and tooling)", &log_append_spec,
     cmd_log_append, NULL},
    {"get", "show an entry, a document's status, or entries by digest", &log_get_spec, cmd_log_get,
     NULL},
    {"prove", "write an inclusion or consistency proof", &log_prove_spec, cmd_log_prove, NULL},
    {"checkpoint", "make, store or show signed checkpoints", &log_checkpoint_spec,
     cmd_log_checkpoint, NULL},
    {"cosign", "verify and store a witness cosignature of a checkpoint", &log_cosign_spec,
     cmd_log_cosign, NULL},
    {"push", "send a checkpoint to a witness and keep its cosignature", &log_push_spec,
     cmd_log_push, NULL},
    {"export-tiles", "write the log as static C2SP tiles for mirrors", &log_export_tiles_spec,
     cmd_log_export, NULL},
    {"audit", "audit a tile mirror for forks and rewrites", &log_audit_spec, cmd_log_audit, NULL},
    {"follow", "follow many registries' logs: update, status, check a receipt's entry",
     &log_follow_spec, cmd_log_follow, NULL},
    {"verify", "check a proof or checkpoint given as files", &log_verify_spec, cmd_log_verify,
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
