/* mirror.c - copies a tile mirror served over HTTP(S) into a directory, so
 * the auditor (mh_ledger_audit_dir) checks it exactly as it checks a local
 * one. Only http and https, no redirects to other schemes, timeouts and a
 * size cap on every file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "mh_ledger.h"

#define TILE_W 256u
#define CHECKPOINT_MAX (MH_LEDGER_NOTE_MAX + 1)
#define BUNDLE_MAX (TILE_W * (2u + 65535u))
#define MIRROR_MAX_ENTRIES (1ull << 22)

struct body {
    uint8_t *p;
    size_t len, cap;
    bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t add = size * n;
    if (add > b->cap - b->len) {
        b->too_big = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    memcpy(b->p + b->len, data, add);
    b->len += add;
    return add;
}

static int fetch(CURL *c, const char *base, const char *rel, struct body *b)
{
    char url[4096];
    size_t bl = strlen(base);
    snprintf(url, sizeof url, "%s%s%s", base, bl && base[bl - 1] == '/' ? "" : "/", rel);
    b->len = 0;
    b->too_big = false;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (b->too_big) {
        mh_err_set("the mirror's %s is larger than a valid file can be", rel);
        return MH_ERR_TOO_LARGE;
    }
    if (rc != CURLE_OK) {
        mh_err_set("fetching %s failed: %s", url, curl_easy_strerror(rc));
        return MH_ERR_IO;
    }
    if (status != 200) {
        mh_err_set("fetching %s: the server answered HTTP %ld", url, status);
        return status == 404 ? MH_ERR_NOT_FOUND : MH_ERR_IO;
    }
    return 0;
}

static int mkdirs_for(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
            mh_err_set("creating %s: %s", tmp, strerror(errno));
            return MH_ERR_IO;
        }
        *p = '/';
    }
    return 0;
}

static int save(const char *dir, const char *rel, const struct body *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    int rc = mkdirs_for(path);
    if (rc)
        return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        mh_err_set("writing %s: %s", path, strerror(errno));
        return MH_ERR_IO;
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(fd, b->p + off, b->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            mh_err_set("writing %s: %s", path, strerror(e));
            return e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO;
        }
        off += (size_t)w;
    }
    close(fd);
    return 0;
}

int mh_ledger_mirror_fetch(const char *url, const char *dir, uint64_t *size)
{
    mh_err_clear();
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        mh_err_set("a mirror URL must start with http:// or https://");
        return MH_ERR_INVALID_ARG;
    }
    if (strlen(url) > 2048) {
        mh_err_set("the mirror URL is too long");
        return MH_ERR_INVALID_ARG;
    }
    int ret = MH_ERR_NOMEM;
    struct body b = {malloc(BUNDLE_MAX), 0, BUNDLE_MAX, false};
    CURL *c = curl_easy_init();
    if (!b.p || !c)
        goto out;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mohur-auditor");

    /* the checkpoint first: it says how many entries the mirror holds */
    b.cap = CHECKPOINT_MAX;
    if ((ret = fetch(c, url, "checkpoint", &b)))
        goto out;
    size_t body = 0;
    for (size_t i = 0; i + 1 < b.len; i++) {
        if (b.p[i] == '\n' && b.p[i + 1] == '\n') {
            body = i + 1;
            break;
        }
    }
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint8_t root[MH_LEDGER_HASH_LEN];
    uint64_t n_entries = 0;
    if (!body || mh_ledger_checkpoint_parse((const char *)b.p, body, origin, sizeof origin,
                                            &n_entries, root) != 0) {
        mh_err_set("the mirror's checkpoint is not a valid signed checkpoint");
        ret = MH_ERR_PARSE;
        goto out;
    }
    if (n_entries > MIRROR_MAX_ENTRIES) {
        mh_err_set("the mirror has %llu entries; this auditor fetches up to %llu",
                   (unsigned long long)n_entries, (unsigned long long)MIRROR_MAX_ENTRIES);
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    if ((ret = save(dir, "checkpoint", &b)))
        goto out;
    /* every entry bundle and tile that tree implies, as the exporter
     * writes them (C2SP tlog-tiles, height 8) */
    char rel[256];
    b.cap = BUNDLE_MAX;
    for (uint64_t n = 0; n * TILE_W < n_entries; n++) {
        uint64_t first = n * TILE_W;
        unsigned w = (unsigned)(n_entries - first < TILE_W ? n_entries - first : TILE_W);
        if ((ret = mh_ledger_tile_path(-1, n, w, rel, sizeof rel)) ||
            (ret = fetch(c, url, rel, &b)) || (ret = save(dir, rel, &b)))
            goto out;
    }
    b.cap = TILE_W * MH_LEDGER_HASH_LEN;
    for (int lv = 0; lv < 8 && (n_entries >> (8 * lv)) > 0; lv++) {
        uint64_t count = n_entries >> (8 * lv);
        for (uint64_t n = 0; n * TILE_W < count; n++) {
            uint64_t first = n * TILE_W;
            unsigned w = (unsigned)(count - first < TILE_W ? count - first : TILE_W);
            if ((ret = mh_ledger_tile_path(lv, n, w, rel, sizeof rel)) ||
                (ret = fetch(c, url, rel, &b)) || (ret = save(dir, rel, &b)))
                goto out;
        }
    }
    if (size)
        *size = n_entries;
    ret = 0;
out:
    if (c)
        curl_easy_cleanup(c);
    free(b.p);
    return ret;
}
