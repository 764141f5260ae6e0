/* mirror.c - reads a tile mirror file by file, from a directory or over
 * http(s) with libcurl (one connection kept alive), with a size cap on
 * every file, timeouts, http and https only, and a count of the files and
 * bytes fetched. The auditor (audit.c) and the follower (follow.c) read
 * mirrors only through it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curl_lazy.h"

#include "ledger_internal.h"

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

int mh_mirror_open(mh_mirror *m, const char *where)
{
    size_t wl = where ? strlen(where) : 0;
    memset(m, 0, sizeof *m);
    if (wl == 0 || wl >= sizeof m->base - 2) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "a mirror is a directory or an http:// or https:// URL of at most %zu bytes",
                   sizeof m->base - 2);
        return MH_ERR_INVALID_ARG;
    }
    if (strstr(where, "://")) {
        if (strncmp(where, "http://", 7) != 0 && strncmp(where, "https://", 8) != 0) {
            mh_err_set(MH_ERR_INVALID_ARG, "a mirror URL must start with http:// or https://");
            return MH_ERR_INVALID_ARG;
        }
        int rc = mh_curl_load();
        if (rc)
            return rc;
        m->http = true;
        m->curl = mh_curl.easy_init();
        if (!m->curl)
            return MH_ERR_NOMEM;
        mh_curl.easy_setopt(m->curl, CURLOPT_WRITEFUNCTION, on_data);
        mh_curl.easy_setopt(m->curl, CURLOPT_NOSIGNAL, 1L);
        mh_curl.easy_setopt(m->curl, CURLOPT_CONNECTTIMEOUT, 10L);
        mh_curl.easy_setopt(m->curl, CURLOPT_TIMEOUT, 60L);
        mh_curl.easy_setopt(m->curl, CURLOPT_FOLLOWLOCATION, 1L);
        mh_curl.easy_setopt(m->curl, CURLOPT_MAXREDIRS, 5L);
        mh_curl.easy_setopt(m->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        mh_curl.easy_setopt(m->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        mh_curl.easy_setopt(m->curl, CURLOPT_USERAGENT, "mohur-auditor");
    }
    snprintf(m->base, sizeof m->base, "%s%s", where, where[wl - 1] == '/' ? "" : "/");
    return MH_OK;
}

int mh_mirror_preload(void)
{
    int rc = mh_curl_load();
    if (rc)
        return rc;
    /* the first handle initialises libcurl and its TLS library (their
     * configuration files, their certificates' directory) */
    void *h = mh_curl.easy_init();
    if (!h)
        return MH_ERR_NOMEM;
    mh_curl.easy_cleanup(h);
    return MH_OK;
}

void mh_mirror_close(mh_mirror *m)
{
    if (m && m->curl) {
        mh_curl.easy_cleanup(m->curl);
        m->curl = NULL;
    }
}

static int get_http(mh_mirror *m, const char *rel, struct body *b)
{
    char url[4200];
    long status = 0;
    CURLcode rc;
    snprintf(url, sizeof url, "%s%s", m->base, rel);
    mh_curl.easy_setopt(m->curl, CURLOPT_URL, url);
    mh_curl.easy_setopt(m->curl, CURLOPT_WRITEDATA, b);
    rc = mh_curl.easy_perform(m->curl);
    mh_curl.easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &status);
    if (b->too_big) {
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "the mirror's %s is larger than a valid file can be (%zu bytes)", rel, b->cap);
        return MH_ERR_LEDGER_FORK;
    }
    if (rc != CURLE_OK) {
        mh_err_set(MH_ERR_IO, "fetching %s failed: %s", url, mh_curl.easy_strerror(rc));
        return MH_ERR_IO;
    }
    if (status == 404) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "fetching %s: the server answered HTTP 404; the mirror lacks a file its "
                   "checkpoint implies",
                   url);
        return MH_ERR_NOT_FOUND;
    }
    if (status != 200) {
        mh_err_set(MH_ERR_IO, "fetching %s: the server answered HTTP %ld", url, status);
        return MH_ERR_IO;
    }
    return MH_OK;
}

static int get_file(mh_mirror *m, const char *rel, struct body *b)
{
    char path[4200];
    struct stat sb;
    int fd, ret = MH_ERR_IO;
    snprintf(path, sizeof path, "%s%s", m->base, rel);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        mh_err_set(e == ENOENT ? MH_ERR_NOT_FOUND : MH_ERR_IO, "the mirror lacks %s: %s", rel,
                   strerror(e));
        return e == ENOENT ? MH_ERR_NOT_FOUND : MH_ERR_IO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > b->cap) {
        mh_err_set(MH_ERR_LEDGER_FORK, "the mirror's %s is not a regular file of at most %zu bytes",
                   rel, b->cap);
        ret = MH_ERR_LEDGER_FORK;
        goto out;
    }
    while (b->len < (size_t)sb.st_size) {
        ssize_t r = read(fd, b->p + b->len, (size_t)sb.st_size - b->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            mh_err_set(ret, "reading the mirror's %s failed", rel);
            goto out;
        }
        b->len += (size_t)r;
    }
    ret = MH_OK;
out:
    close(fd);
    return ret;
}

/* stage/rel, its directories made as needed (rel is a tile path: only
 * [a-z0-9./] and no "..", checked by the caller's mh_ledger_tile_path). */
static int stage_put(const char *stage, const char *rel, const uint8_t *p, size_t len)
{
    char path[4200];
    int n = snprintf(path, sizeof path, "%s/%s", stage, rel);
    if (n < 0 || (size_t)n >= sizeof path || strstr(rel, "..") || rel[0] == '/') {
        mh_err_set(MH_ERR_INVALID_ARG, "the mirror file %s cannot be copied", rel);
        return MH_ERR_INVALID_ARG;
    }
    for (char *s = path + strlen(stage) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        int bad = mkdir(path, 0755) != 0 && errno != EEXIST;
        *s = '/';
        if (bad) {
            mh_err_set(MH_ERR_IO, "the local copy's directory for %s cannot be made: %s", rel,
                       strerror(errno));
            return MH_ERR_IO;
        }
    }
    return mh_file_write_atomic(path, p, len, 0644);
}

int mh_mirror_get(mh_mirror *m, const char *rel, uint8_t *buf, size_t cap, size_t *len)
{
    struct body b = {buf, 0, cap, false};
    int rc = m->http ? get_http(m, rel, &b) : get_file(m, rel, &b);
    if (rc)
        return rc;
    if (m->stage && (rc = stage_put(m->stage, rel, buf, b.len)))
        return rc;
    m->files++;
    m->bytes += b.len;
    *len = b.len;
    return MH_OK;
}
