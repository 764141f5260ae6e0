/* cmd_offline.c - `mohur offline ...`: what the offline verifier (the
 * firmware) loads: the trust-list signing key's point to burn into the
 * image, the signed trust list, the signed revocation snapshot. Parsing
 * and printing only; host/offline does the work (mh_offline.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mh_offline.h"
#include "mh_pki.h"

#define SLOT_MAX ((size_t)48 * 1024 + 4)

static const char trustlist_key_help[] =
    "usage: mohur offline trustlist-key [--out FILE] [--no-create]\n"
    "\n"
    "The trust-list signing key: a P-256 key on the appliance token (label\n"
    "'trust-list'), made on first use. Prints its public point in hex and writes\n"
    "the 65 raw bytes to FILE: burn them into the firmware image (firmware/README.md).\n"
    "\n"
    "  --out FILE     write the point (65 bytes: 04 || X || Y)\n"
    "  --no-create    fail when the key does not exist yet\n"
    "\n"
    "example: mohur offline trustlist-key --out tl-key.bin\n";

static const char trustlist_help[] =
    "usage: mohur offline trustlist --out FILE --seq N [options]\n"
    "\n"
    "Makes the trust list for the offline verifier, signed with the trust-list\n"
    "signing key: this registry's key (with its host and validity period) and\n"
    "any other registries' keys. The file is the device's trust-list slot image.\n"
    "\n"
    "  --out FILE              where to write it\n"
    "  --seq N                 its sequence number: each new list must be higher\n"
    "                          (a device refuses a list older than one it accepted)\n"
    "  --max-age SECONDS       a revocation snapshot older than this is stale\n"
    "                          (default 604800, 7 days)\n"
    "  --not-before UNIXTIME   this registry key signs receipts from then on\n"
    "  --not-after UNIXTIME    ... until then (default: every receipt so far, and\n"
    "                          for 10 years from now)\n"
    "  --without-own-key       leave this registry's key out\n"
    "  --other-key SPKI.der    add another registry's P-256 key (DER SPKI) ...\n"
    "  --other-registry ID     ... its registry id (default: this one's)\n"
    "  --other-host HOST       ... its verification host (default: this one's)\n"
    "  --other-not-before T, --other-not-after T   ... its validity\n"
    "\n"
    "example: mohur offline trustlist --seq 3 --out trustlist.bin\n";

static const char snapshot_help[] =
    "usage: mohur offline snapshot --out FILE [--now UNIXTIME]\n"
    "\n"
    "Makes the revocation snapshot for the offline verifier: every revoked log\n"
    "index with its date and reason, as of the ledger's current tree size and\n"
    "root, signed with the registry key. The file is the device's snapshot slot.\n"
    "\n"
    "  --out FILE        where to write it\n"
    "  --now UNIXTIME    the time it says it was made (default: now)\n"
    "\n"
    "example: mohur offline snapshot --out snapshot.bin\n";

static int num(const char *s, const char *what, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return mh_cli_usage("%s must be a non-negative whole number", what);
    *v = x;
    return MH_EXIT_OK;
}

static int cmd_trustlist_key(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"no-create", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    bool create = true;
    uint8_t point[65];
    char hex[2 * 65 + 1];
    int ch, ret;

    if ((ret = mh_cli_check_long(argc, argv, opts)))
        return ret;
    while ((ch = getopt_long(argc, argv, ":o:nh", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'n':
            create = false;
            break;
        case 'h':
            fputs(trustlist_key_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)))
        return ret;
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
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"seq", required_argument, NULL, 's'},
        {"max-age", required_argument, NULL, 'm'},
        {"not-before", required_argument, NULL, 'b'},
        {"not-after", required_argument, NULL, 'a'},
        {"without-own-key", no_argument, NULL, 'w'},
        {"other-key", required_argument, NULL, 'k'},
        {"other-registry", required_argument, NULL, 'r'},
        {"other-host", required_argument, NULL, 'H'},
        {"other-not-before", required_argument, NULL, 'B'},
        {"other-not-after", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    mh_offline_tl_opts o;
    const char *out = NULL, *other = NULL, *oreg = NULL, *ohost = NULL;
    uint64_t onb = 0, ona = UINT64_MAX / 2;
    bool have_seq = false, have_nb = false, have_na = false;
    uint8_t *slot = NULL, *spki = NULL;
    size_t len = 0, spki_len = 0;
    int ch, ret;

    memset(&o, 0, sizeof o);
    if ((ret = mh_cli_check_long(argc, argv, opts)))
        return ret;
    while ((ch = getopt_long(argc, argv, ":o:s:m:b:a:wk:r:H:B:A:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 's':
            if ((ret = num(optarg, "--seq", &o.seq)))
                return ret;
            have_seq = true;
            break;
        case 'm':
            if ((ret = num(optarg, "--max-age", &o.snapshot_max_age)))
                return ret;
            if (o.snapshot_max_age == 0)
                return mh_cli_usage("--max-age must be at least 1 second");
            break;
        case 'b':
            if ((ret = num(optarg, "--not-before", &o.not_before)))
                return ret;
            have_nb = true;
            break;
        case 'a':
            if ((ret = num(optarg, "--not-after", &o.not_after)))
                return ret;
            have_na = true;
            break;
        case 'w':
            o.without_own_key = true;
            break;
        case 'k':
            other = optarg;
            break;
        case 'r':
            oreg = optarg;
            break;
        case 'H':
            ohost = optarg;
            break;
        case 'B':
            if ((ret = num(optarg, "--other-not-before", &onb)))
                return ret;
            break;
        case 'A':
            if ((ret = num(optarg, "--other-not-after", &ona)))
                return ret;
            break;
        case 'h':
            fputs(trustlist_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)))
        return ret;
    if (!out || !have_seq)
        return mh_cli_usage("--out FILE and --seq N are required");
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
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"now", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    uint64_t now = 0;
    uint8_t *slot = NULL;
    size_t len = 0;
    mh_offline_snap_info info;
    int ch, ret;

    if ((ret = mh_cli_check_long(argc, argv, opts)))
        return ret;
    while ((ch = getopt_long(argc, argv, ":o:n:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'n':
            if ((ret = num(optarg, "--now", &now)))
                return ret;
            break;
        case 'h':
            fputs(snapshot_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    if ((ret = mh_cli_no_operands(argc, argv)))
        return ret;
    if (!out)
        return mh_cli_usage("--out FILE is required");
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
     trustlist_key_help, cmd_trustlist_key, NULL},
    {"trustlist", "make the signed trust list of registry keys for the offline verifier",
     trustlist_help, cmd_trustlist, NULL},
    {"snapshot", "make the signed revocation snapshot for the offline verifier", snapshot_help,
     cmd_snapshot, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
