/* cmd_offline.c - `mohur offline ...`: what the offline verifier (the
 * firmware) loads: the trust-list signing key's point to burn into the
 * image, the signed trust list, the signed revocation snapshot. Parsing
 * and printing only; host/offline does the work (mh_offline.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mh_offline.h"
#include "mh_pki.h"

#define SLOT_MAX ((size_t)48 * 1024 + 4)

#define NUM_ERR(o) .err = o " must be a non-negative whole number"

struct tl_key_opts {
    const char *out;
    bool no_create;
};
static const struct mh_cli_opt trustlist_key_rows[] = {
    {MH_CLI_OUT(struct tl_key_opts, out), .shrt = 'o',
     .help = "write the point (65 bytes: 04 || X || Y)"},
    {MH_CLI_FLAG(struct tl_key_opts, no_create, "no-create"), .shrt = 'n',
     .help = "fail when the key does not exist yet"},
    {0}};
static const struct mh_cli_spec trustlist_key_spec = {
    .usage = "mohur offline trustlist-key [--out FILE] [--no-create]",
    .about = "The trust-list signing key: a P-256 key on the appliance token (label\n"
             "'trust-list'), made on first use. Prints its public point in hex and writes\n"
             "the 65 raw bytes to FILE: burn them into the firmware image (firmware/README.md).\n",
    .opts = trustlist_key_rows,
    .more = "Example:\n  mohur offline trustlist-key --out tl-key.bin\n",
};

#define T struct tl_args
struct tl_args {
    mh_offline_tl_opts tl;
    const char *out, *other, *oreg, *ohost;
    uint64_t onb, ona;
    bool have_nb, have_na;
};
static const struct mh_cli_opt trustlist_rows[] = {
    {MH_CLI_OUT(T, out), .shrt = 'o', .flags = MH_CLI_REQUIRED, .help = "where to write it"},
    {MH_CLI_UINT(T, tl.seq, "seq", "N", 0, UINT64_MAX), .shrt = 's', .flags = MH_CLI_REQUIRED,
     NUM_ERR("--seq"),
     .help = "its sequence number: each new list must be higher (a device refuses a list older "
             "than one it accepted)"},
    {MH_CLI_UINT(T, tl.snapshot_max_age, "max-age", "SECONDS", 1, UINT64_MAX), .shrt = 'm',
     .err = "--max-age must be at least 1 second",
     .help = "a revocation snapshot older than this is stale (default 604800, 7 days)"},
    {MH_CLI_UINT(T, tl.not_before, "not-before", "UNIXTIME", 0, UINT64_MAX), .shrt = 'b',
     .flags = MH_CLI_SEEN, .off2 = offsetof(T, have_nb), NUM_ERR("--not-before"),
     .help = "this registry key signs receipts from then on"},
    {MH_CLI_UINT(T, tl.not_after, "not-after", "UNIXTIME", 0, UINT64_MAX), .shrt = 'a',
     .flags = MH_CLI_SEEN, .off2 = offsetof(T, have_na), NUM_ERR("--not-after"),
     .help = "... until then (default: every receipt so far, and for 10 years from now)"},
    {MH_CLI_FLAG(T, tl.without_own_key, "without-own-key"), .shrt = 'w',
     .help = "leave this registry's key out"},
    {MH_CLI_STR(T, other, "other-key", "SPKI.der"), .shrt = 'k',
     .help = "add another registry's P-256 key (DER SPKI) ..."},
    {MH_CLI_STR(T, oreg, "other-registry", "ID"), .shrt = 'r',
     .help = "... its registry id (default: this one's)"},
    {MH_CLI_STR(T, ohost, "other-host", "HOST"), .shrt = 'H',
     .help = "... its verification host (default: this one's)"},
    {MH_CLI_UINT(T, onb, "other-not-before", "T", 0, UINT64_MAX), .shrt = 'B',
     NUM_ERR("--other-not-before"), .help = "... its validity from"},
    {MH_CLI_UINT(T, ona, "other-not-after", "T", 0, UINT64_MAX), .shrt = 'A',
     NUM_ERR("--other-not-after"), .help = "... and to"},
    {0}};
#undef T
static const struct mh_cli_spec trustlist_spec = {
    .usage = "mohur offline trustlist --out FILE --seq N [options]",
    .about = "Makes the trust list for the offline verifier, signed with the trust-list\n"
             "signing key: this registry's key (with its host and validity period) and\n"
             "any other registries' keys. The file is the device's trust-list slot image.\n",
    .opts = trustlist_rows,
    .more = "Example:\n  mohur offline trustlist --seq 3 --out trustlist.bin\n",
};

struct snapshot_opts {
    const char *out;
    uint64_t now;
};
static const struct mh_cli_opt snapshot_rows[] = {
    {MH_CLI_OUT(struct snapshot_opts, out), .shrt = 'o', .flags = MH_CLI_REQUIRED,
     .help = "where to write it"},
    {MH_CLI_UINT(struct snapshot_opts, now, "now", "UNIXTIME", 0, UINT64_MAX), .shrt = 'n',
     NUM_ERR("--now"), .help = "the time it says it was made (default: now)"},
    {0}};
static const struct mh_cli_spec snapshot_spec = {
    .usage = "mohur offline snapshot --out FILE [--now UNIXTIME]",
    .about = "Makes the revocation snapshot for the offline verifier: every revoked log\n"
             "index with its date and reason, as of the ledger's current tree size and\n"
             "root, signed with the registry key. The file is the device's snapshot slot.\n",
    .opts = snapshot_rows,
    .more = "Example:\n  mohur offline snapshot --out snapshot.bin\n",
};

static int cmd_trustlist_key(int argc, char **argv)
{
    struct tl_key_opts a = {NULL, false};
    uint8_t point[65];
    char hex[2 * 65 + 1];
    int ret = mh_cli_parse(&trustlist_key_spec, argc, argv, &a);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    const char *out = a.out;
    bool create = !a.no_create;
    int rc = mh_offline_tl_key(mh_cli_state_dir(), create, point);
    if (rc)
        return mh_cli_fail(rc, "the trust-list signing key");
    if (out && (ret = mh_cli_write_file(out, point, sizeof point, 0644)))
        return ret;
    mh_cli_hex_encode(point, sizeof point, hex, sizeof hex);
    printf("trust-list signing key (P-256 point): %s\n", hex);
    return MH_EXIT_OK;
}

static int cmd_trustlist(int argc, char **argv)
{
    struct tl_args a;
    uint8_t *slot = NULL, *spki = NULL;
    size_t len = 0, spki_len = 0;
    int ret;

    memset(&a, 0, sizeof a);
    a.ona = UINT64_MAX / 2;
    if ((ret = mh_cli_parse(&trustlist_spec, argc, argv, &a)))
        return ret < 0 ? MH_EXIT_OK : ret;
    mh_offline_tl_opts o = a.tl;
    const char *out = a.out, *other = a.other, *oreg = a.oreg, *ohost = a.ohost;
    uint64_t onb = a.onb, ona = a.ona;
    bool have_nb = a.have_nb, have_na = a.have_na;
    if (have_nb != have_na)
        return mh_cli_usage("give both --not-before and --not-after, or neither");
    if (have_nb && o.not_before == 0 && o.not_after == 0)
        o.not_after = 1; /* "0, 0" means the default; keep the caller's range */
    if ((oreg || ohost) && !other)
        return mh_cli_usage("--other-registry and --other-host go with --other-key");
    if (other) {
        mh_receipt_key k;
        if ((ret = mh_cli_read_file(other, 4096, &spki, &spki_len)))
            goto out;
        int rc = mh_receipt_key_from_spki(spki, spki_len, &k);
        if (rc) {
            ret = mh_cli_fail(rc, "reading %s (a DER SubjectPublicKeyInfo of a P-256 key)", other);
            goto out;
        }
        o.nextra = 1;
        memcpy(o.extra[0].point, k.point, 65);
        o.extra[0].registry = oreg; /* NULL: this registry (a rotated key) */
        o.extra[0].host = ohost;
        o.extra[0].not_before = onb;
        o.extra[0].not_after = ona;
    }
    if (!(slot = malloc(SLOT_MAX))) {
        ret = mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
        goto out;
    }
    int rc = mh_offline_trustlist(mh_cli_state_dir(), &o, slot, SLOT_MAX, &len);
    if (rc) {
        ret = mh_cli_fail(rc, "making the trust list");
        goto out;
    }
    if ((ret = mh_cli_write_file(out, slot, len, 0644)))
        goto out;
    printf("trust list #%llu: %zu bytes, %zu key(s), written to %s\n", (unsigned long long)o.seq,
           len, (o.without_own_key ? 0u : 1u) + o.nextra, out);
    ret = MH_EXIT_OK;
out:
    free(slot);
    free(spki);
    return ret;
}

static int cmd_snapshot(int argc, char **argv)
{
    struct snapshot_opts a = {NULL, 0};
    uint8_t *slot = NULL;
    size_t len = 0;
    mh_offline_snap_info info;
    int ret = mh_cli_parse(&snapshot_spec, argc, argv, &a);
    if (ret)
        return ret < 0 ? MH_EXIT_OK : ret;
    const char *out = a.out;
    uint64_t now = a.now;
    if (!(slot = malloc(SLOT_MAX)))
        return mh_cli_error(MH_EXIT_INTERNAL, "out of memory");
    int rc = mh_offline_snapshot(mh_cli_state_dir(), now, slot, SLOT_MAX, &len, &info);
    if (rc) {
        ret = mh_cli_fail(rc, "making the revocation snapshot");
        goto out;
    }
    if ((ret = mh_cli_write_file(out, slot, len, 0644)))
        goto out;
    printf("revocation snapshot: %zu bytes, %llu entries, %zu revoked, written to %s\n", len,
           (unsigned long long)info.tree_size, info.nrevoked, out);
    ret = MH_EXIT_OK;
out:
    free(slot);
    return ret;
}

const struct mh_cli_cmd mh_cli_offline_cmds[] = {
    {"trustlist-key", "the trust-list signing key (made on first use); its point for the image",
     &trustlist_key_spec, cmd_trustlist_key, NULL},
    {"trustlist", "make the signed trust list of registry keys for the offline verifier",
     &trustlist_spec, cmd_trustlist, NULL},
    {"snapshot", "make the signed revocation snapshot for the offline verifier", &snapshot_spec,
     cmd_snapshot, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
