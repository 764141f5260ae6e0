/* tiles.c - static export per C2SP tlog-tiles (hash tiles of height 8,
 * entry bundles, the checkpoint) and the mirror auditor that recomputes a
 * tree from such a directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_internal.h"
#include "mh_pki.h"

#define TILE_W 256u

int mh_ledger_tile_path(int level, uint64_t n, unsigned w, char *buf, size_t cap)
{
    char digits[32], tmp[96];
    size_t nd, pos = 0;
    int k;

    if (level < -1 || level > 63 || w > TILE_W)
        return MH_ERR_INVALID_ARG;
    /* N in groups of three digits, all but the last prefixed with x */
    k = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    nd = (size_t)k;
    {
        size_t pad = (3 - nd % 3) % 3;
        char full[40];
        memset(full, '0', pad);
        memcpy(full + pad, digits, nd + 1);
        nd += pad;
        for (size_t i = 0; i < nd; i += 3) {
            if (i + 3 < nd)
                pos += (size_t)snprintf(tmp + pos, sizeof tmp - pos, "x%.3s/", full + i);
            else
                pos += (size_t)snprintf(tmp + pos, sizeof tmp - pos, "%.3s", full + i);
        }
    }
    if (level < 0)
        k = snprintf(buf, cap, "tile/entries/%s", tmp);
    else
        k = snprintf(buf, cap, "tile/%d/%s", level, tmp);
    if (k < 0 || (size_t)k >= cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    if (w > 0 && w < TILE_W) {
        int k2 = snprintf(buf + k, cap - (size_t)k, ".p/%u", w);
        if (k2 < 0 || (size_t)k2 >= cap - (size_t)k)
            return MH_ERR_BUFFER_TOO_SMALL;
    }
    return MH_OK;
}

static int mkdirs(char *path)
{
    /* creates every directory of path's prefix (path is modified back) */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            *p = '/';
            mh_err_set(e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO, "creating directory for %s: %s",
                       path, strerror(e));
            return e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO;
        }
        *p = '/';
    }
    return MH_OK;
}

/* Writes a file atomically (temporary name, fsync, rename). */
static int write_atomic(const char *path, const void *buf, size_t len)
{
    char tmp[4200];
    int fd, e = 0;
    const uint8_t *p = buf;
    size_t done = 0;
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        e = errno;
        goto fail;
    }
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            e = errno;
            break;
        }
        done += (size_t)w;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (!e)
        return MH_OK;
    unlink(tmp);
fail:
    mh_err_set(e == ENOSPC || e == EDQUOT ? MH_ERR_DISK_FULL : MH_ERR_IO, "writing %s: %s", path,
               strerror(e));
    return e == ENOSPC || e == EDQUOT ? MH_ERR_DISK_FULL : MH_ERR_IO;
}

int mh_ledger_export_tiles(mh_ledger *l, const char *dir, mh_ledger_export_stats *st)
{
    char *note = NULL, path[4200], rel[128], origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint8_t *buf = NULL, root[MH_LEDGER_HASH_LEN];
    size_t nl, body;
    uint64_t size;
    MDB_txn *t = NULL;
    struct stat sb;
    int ret;

    memset(st, 0, sizeof *st);
    ret = MH_ERR_NOMEM;
    note = malloc(MH_LEDGER_NOTE_MAX + 1);
    buf = malloc(TILE_W * (2 + MH_LEDGER_ENTRY_MAX));
    if (!note || !buf)
        goto out;
    if ((ret = mh_ledger_checkpoint_get(l, UINT64_MAX, note, MH_LEDGER_NOTE_MAX + 1, &nl, NULL)))
        goto out;
    body = 0;
    for (size_t i = 0; i + 1 < nl; i++)
        if (note[i] == '\n' && note[i + 1] == '\n') {
            body = i + 1;
            break;
        }
    if ((ret = mh_ledger_checkpoint_parse(note, body, origin, sizeof origin, &size, root)))
        goto out;
    st->size = size;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        mh_err_set(e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO,
                   "creating the export directory %s: %s", dir, strerror(e));
        ret = e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO;
        goto out;
    }
    if ((ret = mh_ledger_rtxn(l, &t)))
        goto out;

    /* entry bundles */
    for (uint64_t n = 0; n * TILE_W < size; n++) {
        uint64_t first = n * TILE_W;
        unsigned w = (unsigned)(size - first < TILE_W ? size - first : TILE_W);
        size_t len = 0;
        uint8_t kb[8];
        MDB_val k = {8, kb}, v;
        if ((ret = mh_ledger_tile_path(-1, n, w, rel, sizeof rel)))
            goto out;
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        if (w == TILE_W && stat(path, &sb) == 0) {
            st->skipped++;
            continue;
        }
        for (unsigned j = 0; j < w; j++) {
            int rc;
            mh_be64_put(kb, first + j);
            rc = mdb_get(t, l->db_entries, &k, &v);
            if (rc || v.mv_size > MH_LEDGER_ENTRY_MAX) {
                ret = rc ? mh_ledger_mdb_err(rc, "reading an entry to export")
                         : MH_ERR_LEDGER_CORRUPT;
                goto out;
            }
            buf[len++] = (uint8_t)(v.mv_size >> 8);
            buf[len++] = (uint8_t)v.mv_size;
            memcpy(buf + len, v.mv_data, v.mv_size);
            len += v.mv_size;
        }
        if ((ret = mkdirs(path)) || (ret = write_atomic(path, buf, len)))
            goto out;
        st->bundles++;
    }

    /* hash tiles: level L holds the tree's level-8L hashes */
    for (int lv = 0; lv < 8 && (size >> (8 * lv)) > 0; lv++) {
        uint64_t count = size >> (8 * lv);
        for (uint64_t n = 0; n * TILE_W < count; n++) {
            uint64_t first = n * TILE_W;
            unsigned w = (unsigned)(count - first < TILE_W ? count - first : TILE_W);
            if ((ret = mh_ledger_tile_path(lv, n, w, rel, sizeof rel)))
                goto out;
            snprintf(path, sizeof path, "%s/%s", dir, rel);
            if (w == TILE_W && stat(path, &sb) == 0) {
                st->skipped++;
                continue;
            }
            {
                const uint8_t *tile;
                if ((ret = mh_ledger_tile_get(l, t, (unsigned)lv, n, &tile)))
                    goto out;
                memcpy(buf, tile, (size_t)w * MH_LEDGER_HASH_LEN); /* level 8L */
            }
            if ((ret = mkdirs(path)) ||
                (ret = write_atomic(path, buf, (size_t)w * MH_LEDGER_HASH_LEN)))
                goto out;
            st->tiles++;
        }
    }
    /* the checkpoint last: a mirror never points at tiles it lacks */
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    ret = write_atomic(path, note, nl);
out:
    if (t)
        mdb_txn_abort(t);
    free(note);
    free(buf);
    return ret;
}
