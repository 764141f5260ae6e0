/* mh_offline.h - what the offline verifier (firmware/) loads, made from
 * the appliance's state: the signed trust list of registry keys and the
 * signed revocation snapshot (docs/offline.md has the formats). The one
 * public header of host/offline; the CLI's `mohur offline ...` calls it.
 *
 * Both are written as slot images: a 4-byte big-endian length, then the
 * COSE_Sign1, exactly what is flashed into the device's slot and what the
 * host runner (mohur-fw-host) reads. The trust list is signed by the
 * trust-list signing key, a P-256 key on the appliance token (label
 * "trust-list", made on first use), whose public point is burnt into the
 * image; the snapshot by the registry key, which the trust list lists. */
#ifndef MH_OFFLINE_H
#define MH_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"

#define MH_OFFLINE_EXTRA_MAX 8
#define MH_OFFLINE_TL_KEY_LABEL "trust-list"

/* A registry key of another appliance, to list beside this one's. */
typedef struct mh_offline_tl_extra {
    const char *registry; /* NULL: this appliance's (a rotated key) */
    const char *host;     /* NULL: this appliance's */
    uint8_t point[65];    /* 04 || X || Y, P-256 */
    uint64_t not_before, not_after;
} mh_offline_tl_extra;

typedef struct mh_offline_tl_opts {
    uint64_t seq;              /* must grow with every list (rollback protection) */
    uint64_t snapshot_max_age; /* seconds; 0: 7 days */
    /* this appliance's registry key: listed unless without_own_key */
    uint64_t not_before, not_after; /* 0, 0: from 1970 to 10 years from now */
    bool without_own_key;
    size_t nextra;
    mh_offline_tl_extra extra[MH_OFFLINE_EXTRA_MAX];
} mh_offline_tl_opts;

/* The trust-list signing key's public point (65 bytes), made on the
 * appliance token when create and it is missing (MH_ERR_KEY_NOT_FOUND
 * otherwise). */
int mh_offline_tl_key(const char *state_dir, bool create, uint8_t point[65]) MH_WARN_UNUSED;

/* Makes and signs a trust list slot image into out (cap bytes, at most
 * 4 KiB + 4 are written). */
int mh_offline_trustlist(const char *state_dir, const mh_offline_tl_opts *o, uint8_t *out,
                         size_t cap, size_t *len) MH_WARN_UNUSED;

typedef struct mh_offline_snap_info {
    uint64_t tree_size;
    uint64_t made_at;
    size_t nrevoked;
} mh_offline_snap_info;

/* Makes and signs (registry key) a revocation snapshot slot image of the
 * ledger as it is now: every revoked log index (voided entries included)
 * with its date and reason, the tree size and root, made_at = now
 * (0: the clock). At most 48 KiB. */
int mh_offline_snapshot(const char *state_dir, uint64_t now, uint8_t *out, size_t cap, size_t *len,
                        mh_offline_snap_info *info) MH_WARN_UNUSED;

#endif
