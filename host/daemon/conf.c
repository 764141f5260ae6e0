/* conf.c - mohurd's configuration: defaults, the file (docs/daemon.md:
 * "key value" lines, '#' comments), --listen on the command line. Every
 * value is checked; an unknown key is an error. */
#include "mohurd.h"

#include "mh_app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mhd_conf_defaults(mhd_conf *c)
{
    memset(c, 0, sizeof *c);
    c->local_socket = true;
    snprintf(c->user, sizeof c->user, "nobody");
    c->threads = 2;
    c->channels = 16; /* requests in flight: as many as the CLI batch's workers on 2 cores */
    c->conn_limit = 1024;
    c->per_ip_limit = 128;
    c->timeout = 15;
    c->max_body = (size_t)64 << 20;
    c->max_json = (size_t)1 << 20;
    c->rate = 100;
    c->public_rate = 50;
    c->checkpoint_interval = 10;
    c->ext_timeout = 120;
    c->log_level = MHD_LOG_INFO;
    c->verify_cache = 4096;
    c->cache_ttl = 10;
    c->follow_interval = 300;
}

static int num(const char *v, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi || v[0] == '-')
        return MH_ERR_PARSE;
    *out = x;
    return MH_OK;
}

int mhd_conf_add_listen(mhd_conf *c, const char *spec)
{
    if (c->nlisten >= MHD_LISTEN_MAX - 1) {
        mh_err_set(MH_ERR_TOO_LARGE, "at most %d listeners", MHD_LISTEN_MAX - 1);
        return MH_ERR_TOO_LARGE;
    }
    mhd_listen *l = &c->listen[c->nlisten];
    memset(l, 0, sizeof *l);
    if (strlen(spec) >= sizeof l->spec) {
        mh_err_set(MH_ERR_TOO_LARGE, "the listener '%.40s...' is too long", spec);
        return MH_ERR_TOO_LARGE;
    }
    snprintf(l->spec, sizeof l->spec, "%s", spec);
    const char *s = spec;
    if (strncmp(s, "unix:", 5) == 0) {
        l->kind = MHD_LISTEN_UNIX;
        if (s[5] != '/' || strlen(s + 5) >= sizeof l->path) {
            mh_err_set(MH_ERR_PARSE,
                       "'%s': a Unix socket listener is unix:/ABSOLUTE/PATH (under 108 bytes)",
                       spec);
            return MH_ERR_PARSE;
        }
        snprintf(l->path, sizeof l->path, "%s", s + 5);
        c->nlisten++;
        return MH_OK;
    }
    if (strncmp(s, "tls:", 4) == 0) {
        l->tls = true;
        s += 4;
    }
    l->kind = MHD_LISTEN_TCP;
    const char *colon = strrchr(s, ':');
    unsigned long port;
    if (!colon || colon == s || num(colon + 1, 1, 65535, &port) != 0) {
        mh_err_set(MH_ERR_PARSE,
                   "'%s': a listener is HOST:PORT, [IPv6]:PORT, tls:HOST:PORT or unix:PATH", spec);
        return MH_ERR_PARSE;
    }
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
        s++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof l->host) {
        mh_err_set(MH_ERR_PARSE, "'%s': no host", spec);
        return MH_ERR_PARSE;
    }
    memcpy(l->host, s, hl);
    l->host[hl] = 0;
    l->port = (unsigned)port;
    c->nlisten++;
    return MH_OK;
}

static int set_path(char *dst, size_t cap, const char *v, const char *key)
{
    if (strlen(v) >= cap || v[0] != '/') {
        mh_err_set(MH_ERR_PARSE, "%s must be an absolute path (under %zu bytes)", key, cap);
        return MH_ERR_PARSE;
    }
    snprintf(dst, cap, "%s", v);
    return MH_OK;
}

static int set_one(mhd_conf *c, const char *k, const char *v, bool *had_listen)
{
    unsigned long x;
    if (strcmp(k, "listen") == 0) {
        if (!*had_listen) {
            c->nlisten = 0; /* the file's listeners replace the defaults */
            *had_listen = true;
        }
        return mhd_conf_add_listen(c, v);
    }
    if (strcmp(k, "state_dir") == 0)
        return set_path(c->state_dir, sizeof c->state_dir, v, k);
    if (strcmp(k, "user") == 0) {
        if (strlen(v) >= sizeof c->user || !v[0])
            return MH_ERR_PARSE;
        snprintf(c->user, sizeof c->user, "%s", v);
        return MH_OK;
    }
    if (strcmp(k, "local_socket") == 0) {
        if (strcmp(v, "yes") && strcmp(v, "no"))
            return MH_ERR_PARSE;
        c->local_socket = strcmp(v, "yes") == 0;
        return MH_OK;
    }
    if (strcmp(k, "log_requests") == 0) {
        if (strcmp(v, "yes") && strcmp(v, "no"))
            return MH_ERR_PARSE;
        c->log_requests = strcmp(v, "yes") == 0;
        return MH_OK;
    }
    if (strcmp(k, "log_level") == 0) {
        static const char *const lv[] = {"error", "warn", "info", "debug"};
        for (int i = 0; i < 4; i++)
            if (strcmp(v, lv[i]) == 0) {
                c->log_level = i;
                return MH_OK;
            }
        return MH_ERR_PARSE;
    }
    if (strcmp(k, "tls_cert") == 0)
        return set_path(c->tls_cert, sizeof c->tls_cert, v, k);
    if (strcmp(k, "tls_key") == 0)
        return set_path(c->tls_key, sizeof c->tls_key, v, k);
    if (strcmp(k, "tls_client_ca") == 0)
        return set_path(c->tls_client_ca, sizeof c->tls_client_ca, v, k);
    if (strcmp(k, "pid_file") == 0)
        return set_path(c->pid_file, sizeof c->pid_file, v, k);
    if (strcmp(k, "follow_config") == 0)
        return set_path(c->follow_config, sizeof c->follow_config, v, k);
    if (strcmp(k, "follow_state") == 0)
        return set_path(c->follow_state, sizeof c->follow_state, v, k);
    if (strcmp(k, "issuer_key") == 0) {
        const char *sp = strchr(v, ' ');
        if (!sp || sp == v || (size_t)(sp - v) >= sizeof c->issuer_keys[0].issuer ||
            strncmp(sp + 1, "pkcs11:", 7) != 0 || strlen(sp + 1) >= sizeof c->issuer_keys[0].uri ||
            c->nissuer_keys == sizeof c->issuer_keys / sizeof c->issuer_keys[0]) {
            mh_err_set(MH_ERR_PARSE,
                       "issuer_key is ISSUER pkcs11:URI (with pin-source=file:PATH), at most 16");
            return MH_ERR_PARSE;
        }
        snprintf(c->issuer_keys[c->nissuer_keys].issuer, sizeof c->issuer_keys[0].issuer, "%.*s",
                 (int)(sp - v), v);
        snprintf(c->issuer_keys[c->nissuer_keys].uri, sizeof c->issuer_keys[0].uri, "%s", sp + 1);
        c->nissuer_keys++;
        return MH_OK;
    }
    if (strcmp(k, "witness") == 0) {
        if (strlen(v) >= sizeof c->witnesses[0] || !strchr(v, '+') ||
            c->nwitnesses == sizeof c->witnesses / sizeof c->witnesses[0]) {
            mh_err_set(MH_ERR_PARSE,
                       "witness is a verifier key NAME+KEYID+BASE64 (at most 8 witnesses)");
            return MH_ERR_PARSE;
        }
        snprintf(c->witnesses[c->nwitnesses++], sizeof c->witnesses[0], "%s", v);
        return MH_OK;
    }
    if (strcmp(k, "public_host") == 0) {
        if (strlen(v) >= sizeof c->public_host || !v[0] || strchr(v, '/')) {
            mh_err_set(MH_ERR_PARSE, "public_host is a host name (the one the QR codes name)");
            return MH_ERR_PARSE;
        }
        snprintf(c->public_host, sizeof c->public_host, "%s", v);
        return MH_OK;
    }
    if (strcmp(k, "origin") == 0) {
        if (strlen(v) >= sizeof c->origin || !v[0])
            return MH_ERR_PARSE;
        snprintf(c->origin, sizeof c->origin, "%s", v);
        return MH_OK;
    }
    static const struct {
        const char *key;
        unsigned long lo, hi;
        size_t off;
    } nums[] = {
        {"threads", 1, 64, offsetof(mhd_conf, threads)},
        {"channels", 1, MHD_CHANNELS_MAX, offsetof(mhd_conf, channels)},
        {"connection_limit", 1, 65536, offsetof(mhd_conf, conn_limit)},
        {"per_ip_limit", 1, 65536, offsetof(mhd_conf, per_ip_limit)},
        {"timeout", 1, 3600, offsetof(mhd_conf, timeout)},
        {"rate", 1, 1000000, offsetof(mhd_conf, rate)},
        {"public_rate", 0, 1000000, offsetof(mhd_conf, public_rate)},
        {"checkpoint_interval", 0, 86400, offsetof(mhd_conf, checkpoint_interval)},
        {"verify_cache", 0, 1u << 20, offsetof(mhd_conf, verify_cache)},
        {"cache_ttl", 0, 3600, offsetof(mhd_conf, cache_ttl)},
        {"external_sign_timeout", 1, 3600, offsetof(mhd_conf, ext_timeout)},
        {"follow_interval", 1, 86400, offsetof(mhd_conf, follow_interval)},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(k, nums[i].key) != 0)
            continue;
        if (num(v, nums[i].lo, nums[i].hi, &x) != 0) {
            mh_err_set(MH_ERR_PARSE, "%s must be a number from %lu to %lu", k, nums[i].lo,
                       nums[i].hi);
            return MH_ERR_PARSE;
        }
        unsigned u = (unsigned)x;
        memcpy((char *)c + nums[i].off, &u, sizeof u);
        return MH_OK;
    }
    if (strcmp(k, "max_body") == 0 || strcmp(k, "max_json") == 0) {
        if (num(v, 1024, (unsigned long)1 << 30, &x) != 0) {
            mh_err_set(MH_ERR_PARSE, "%s must be a number of bytes from 1024 to 1073741824", k);
            return MH_ERR_PARSE;
        }
        *(k[4] == 'b' ? &c->max_body : &c->max_json) = (size_t)x;
        return MH_OK;
    }
    mh_err_set(MH_ERR_PARSE, "unknown setting '%.40s' (docs/daemon.md lists them)", k);
    return MH_ERR_PARSE;
}

int mhd_conf_load(mhd_conf *c, const char *path)
{
    char line[1200];
    unsigned lineno = 0;
    bool had_listen = false;
    FILE *f = fopen(path, "re");
    if (!f) {
        mh_err_set(errno == ENOENT ? MH_ERR_NOT_FOUND : MH_ERR_IO, "%s cannot be read: %s", path,
                   strerror(errno));
        return errno == ENOENT ? MH_ERR_NOT_FOUND : MH_ERR_IO;
    }
    int rc = MH_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            mh_err_set(MH_ERR_PARSE, "%s:%u: the line is too long", path, lineno);
            rc = MH_ERR_PARSE;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
            line[--n] = 0;
        char *k = line;
        while (*k == ' ' || *k == '\t')
            k++;
        if (!*k || *k == '#')
            continue;
        char *v = k + strcspn(k, " \t");
        if (!*v) {
            mh_err_set(MH_ERR_PARSE, "%s:%u: '%s' has no value", path, lineno, k);
            rc = MH_ERR_PARSE;
            break;
        }
        *v++ = 0;
        while (*v == ' ' || *v == '\t')
            v++;
        if ((rc = set_one(c, k, v, &had_listen)) != 0) {
            char why[300];
            snprintf(why, sizeof why, "%s", mh_err_message(rc));
            mh_err_set(rc, "%s:%u: %s: %s", path, lineno, k, why);
            break;
        }
    }
    fclose(f);
    return rc;
}

int mhd_conf_finish(mhd_conf *c)
{
    if (!c->state_dir[0]) {
        const char *e = getenv("MOHUR_STATE_DIR");
        snprintf(c->state_dir, sizeof c->state_dir, "%s", e && e[0] ? e : "/var/lib/mohur");
    }
    if (c->local_socket) {
        char p[300];
        int n = snprintf(p, sizeof p, "unix:%s/mohurd.sock", c->state_dir);
        if (n < 0 || (size_t)n >= 108 + 5) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the state directory's path is too long for its socket; set "
                       "local_socket no and listen on a shorter unix: path");
            return MH_ERR_TOO_LARGE;
        }
        if (mhd_conf_add_listen(c, p) != 0)
            return MH_ERR_TOO_LARGE;
        c->listen[c->nlisten - 1].local = true;
    }
    if (!c->pid_file[0])
        snprintf(c->pid_file, sizeof c->pid_file, "%s/mohurd.pid", c->state_dir);
    if (c->follow_state[0] && !c->follow_config[0]) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "follow_state is set but follow_config is not: set follow_config to the "
                   "verifier configuration (the JSON of mohur verify --follow)");
        return MH_ERR_INVALID_ARG;
    }
    if (c->follow_config[0]) {
        if (!c->follow_state[0] && snprintf(c->follow_state, sizeof c->follow_state, "%s/follow",
                                            c->state_dir) >= (int)sizeof c->follow_state) {
            mh_err_set(MH_ERR_TOO_LARGE, "the state directory's path is too long for follow/");
            return MH_ERR_TOO_LARGE;
        }
        /* the whole verifier configuration, now: registries, keys, mirrors
         * (offline: nothing is made or fetched) */
        mh_app_follow *h = NULL;
        int rc = mh_app_follow_open(c->follow_config, c->follow_state, true, &h);
        mh_app_follow_close(h);
        if (rc) {
            char why[600];
            snprintf(why, sizeof why, "%s", mh_err_message(rc));
            mh_err_set(rc, "follow_config %s: %s", c->follow_config, why);
            return rc;
        }
    }
    for (size_t i = 0; i < c->nlisten; i++)
        if (c->listen[i].tls && (!c->tls_cert[0] || !c->tls_key[0])) {
            mh_err_set(MH_ERR_INVALID_ARG, "the listener %s is TLS: set tls_cert and tls_key",
                       c->listen[i].spec);
            return MH_ERR_INVALID_ARG;
        }
    return MH_OK;
}
