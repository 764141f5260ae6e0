/*
 * credentials.c - the clients of mohurd's API (mh_app.h, "API credentials"):
 * bearer tokens and TLS client certificates with their roles, kept in the
 * state directory's api-tokens.json (mode 600), changed under a lock and
 * written atomically. A token's secret is shown once and never stored: the
 * file holds the SHA-256 of the whole token text.
 */
#include "app_int.h"
#include "mh_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define TOKEN_PREFIX "mht_"

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = h[b[i] >> 4];
        out[2 * i + 1] = h[b[i] & 15];
    }
    out[2 * n] = 0;
}

static bool unhex(const char *s, uint8_t *out, size_t n)
{
    if (strlen(s) != 2 * n)
        return false;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return false;
        out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] | v) : v << 4);
    }
    return true;
}

int mh_app_cred_check_role(const mh_app_credential *c)
{
    bool needs_issuer = strcmp(c->role, "issuer") == 0 || strcmp(c->role, "notary") == 0;
    if (!needs_issuer && strcmp(c->role, "admin") != 0 && strcmp(c->role, "auditor") != 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "a role is admin, issuer, notary or auditor, not '%.16s'",
                   c->role);
        return MH_ERR_INVALID_ARG;
    }
    if (needs_issuer && !c->issuer[0]) {
        mh_err_set(MH_ERR_INVALID_ARG, "the %s role acts for an issuer: give the issuer", c->role);
        return MH_ERR_INVALID_ARG;
    }
    if (!needs_issuer && (c->issuer[0] || c->nkinds)) {
        mh_err_set(MH_ERR_INVALID_ARG, "the %s role is not tied to an issuer or kinds", c->role);
        return MH_ERR_INVALID_ARG;
    }
    if (strcmp(c->role, "notary") == 0 && c->nkinds) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "a notary signs its issuer's kinds; give kinds to an issuer role");
        return MH_ERR_INVALID_ARG;
    }
    if (!c->name[0] || strlen(c->name) >= sizeof c->name) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "a credential needs a name of 1 to %zu bytes (whom it is for)",
                   sizeof c->name - 1);
        return MH_ERR_INVALID_ARG;
    }
    return MH_OK;
}

/* ---- the file -------------------------------------------------------------- */

static int cred_path(const char *dir, const char *name, char *out, size_t cap)
{
    return mh_app_path(out, cap, dir, name);
}

static int str_into(json_t *o, const char *k, char *out, size_t cap)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) {
        out[0] = 0;
        return MH_OK;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return MH_ERR_PARSE;
    snprintf(out, cap, "%s", json_string_value(v));
    return MH_OK;
}

static int parse_one(json_t *o, mh_app_credential *c)
{
    char h[65];
    memset(c, 0, sizeof *c);
    json_t *k = json_object_get(o, "kinds");
    if (!json_is_object(o) || str_into(o, "id", c->id, sizeof c->id) ||
        str_into(o, "name", c->name, sizeof c->name) ||
        str_into(o, "role", c->role, sizeof c->role) ||
        str_into(o, "issuer", c->issuer, sizeof c->issuer) || str_into(o, "sha256", h, sizeof h) ||
        !unhex(h, c->hash, 32) || strlen(c->id) != 16 || (k && !json_is_array(k)) ||
        (k && json_array_size(k) > 8))
        return MH_ERR_PARSE;
    for (size_t i = 0; k && i < json_array_size(k); i++) {
        json_t *s = json_array_get(k, i);
        if (!json_is_string(s) || json_string_length(s) >= sizeof c->kinds[0])
            return MH_ERR_PARSE;
        snprintf(c->kinds[i], sizeof c->kinds[i], "%s", json_string_value(s));
        c->nkinds++;
    }
    c->is_cert = json_is_true(json_object_get(o, "certificate"));
    c->created = (int64_t)json_integer_value(json_object_get(o, "created"));
    c->revoked_at = (int64_t)json_integer_value(json_object_get(o, "revoked_at"));
    c->revoked = c->revoked_at != 0;
    json_int_t r = json_integer_value(json_object_get(o, "rate"));
    c->rate = r > 0 && r <= 1000000 ? (unsigned)r : 0;
    return mh_app_cred_check_role(c);
}

int mh_app_cred_list(const char *state_dir, mh_app_credential **out, size_t *n)
{
    char path[APP_PATH_MAX];
    uint8_t *buf = NULL;
    size_t len = 0;
    json_t *root = NULL;
    json_error_t jerr;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = cred_path(state_dir, MH_APP_CRED_FILE, path, sizeof path)) != 0)
        return rc;
    rc = mh_app_read_file(path, (size_t)1 << 20, &buf, &len);
    if (rc == MH_ERR_NOT_FOUND) {
        mh_err_clear();
        return MH_OK;
    }
    if (rc)
        return rc;
    root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
    free(buf);
    json_t *arr = json_object_get(root, "credentials");
    if (!json_is_array(arr) || json_array_size(arr) > MH_APP_CRED_MAX) {
        json_decref(root);
        mh_err_set(MH_ERR_PARSE,
                   "%s is damaged: restore it or remove it (every client then needs a new "
                   "token)",
                   path);
        return MH_ERR_PARSE;
    }
    size_t cnt = json_array_size(arr);
    mh_app_credential *list = calloc(cnt ? cnt : 1, sizeof *list);
    if (!list) {
        json_decref(root);
        return MH_ERR_NOMEM;
    }
    for (size_t i = 0; i < cnt; i++) {
        if (parse_one(json_array_get(arr, i), &list[i]) != 0) {
            free(list);
            json_decref(root);
            mh_err_set(MH_ERR_PARSE, "%s: credential %zu is damaged", path, i + 1);
            return MH_ERR_PARSE;
        }
    }
    json_decref(root);
    *out = list;
    *n = cnt;
    return MH_OK;
}

static int save(const char *state_dir, const mh_app_credential *list, size_t n)
{
    char path[APP_PATH_MAX], h[65];
    json_t *root = json_object(), *arr = json_array();
    int rc = MH_ERR_NOMEM;
    if (!root || !arr || json_object_set(root, "credentials", arr) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const mh_app_credential *c = &list[i];
        json_t *o = json_object(), *k = json_array();
        hex(c->hash, 32, h);
        for (size_t j = 0; k && j < c->nkinds; j++)
            json_array_append_new(k, json_string(c->kinds[j]));
        if (!o || !k || json_object_set_new(o, "id", json_string(c->id)) ||
            json_object_set_new(o, "name", json_string(c->name)) ||
            json_object_set_new(o, "role", json_string(c->role)) ||
            (c->issuer[0] && json_object_set_new(o, "issuer", json_string(c->issuer))) ||
            json_object_set_new(o, "kinds", k) ||
            json_object_set_new(o, "certificate", json_boolean(c->is_cert)) ||
            json_object_set_new(o, "sha256", json_string(h)) ||
            json_object_set_new(o, "created", json_integer(c->created)) ||
            json_object_set_new(o, "revoked_at", json_integer(c->revoked_at)) ||
            json_object_set_new(o, "rate", json_integer(c->rate)) ||
            json_array_append_new(arr, o)) {
            goto out;
        }
    }
    char *text = json_dumps(root, JSON_INDENT(2));
    if (!text)
        goto out;
    if ((rc = cred_path(state_dir, MH_APP_CRED_FILE, path, sizeof path)) == 0)
        rc = mh_file_write_atomic(path, text, strlen(text), 0600);
    free(text);
out:
    json_decref(arr);
    json_decref(root);
    return rc;
}

/* Runs fn on the list under the state directory's credentials lock and
 * saves what it leaves. */
static int locked_change(const char *state_dir, int (*fn)(void *, mh_app_credential **, size_t *),
                         void *arg)
{
    char lpath[APP_PATH_MAX];
    mh_app_credential *list = NULL;
    size_t n = 0;
    int rc = cred_path(state_dir, "api-tokens.lock", lpath, sizeof lpath);
    if (rc)
        return rc;
    int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        mh_err_set(errno == EACCES ? MH_ERR_PERMISSION : MH_ERR_IO, "%s cannot be opened: %s",
                   lpath, strerror(errno));
        return errno == EACCES ? MH_ERR_PERMISSION : MH_ERR_IO;
    }
    if (flock(fd, LOCK_EX) != 0) {
        close(fd);
        return MH_ERR_IO;
    }
    if ((rc = mh_app_cred_list(state_dir, &list, &n)) == 0 && (rc = fn(arg, &list, &n)) == 0)
        rc = save(state_dir, list, n);
    free(list);
    close(fd); /* unlocks */
    return rc;
}

struct add_arg {
    mh_app_credential *c;
};

static int do_add(void *arg, mh_app_credential **list, size_t *n)
{
    struct add_arg *a = arg;
    if (*n >= MH_APP_CRED_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "there are already %d credentials; revoke and prune old ones",
                   MH_APP_CRED_MAX);
        return MH_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < *n; i++)
        if (a->c->is_cert && (*list)[i].is_cert && !(*list)[i].revoked &&
            mh_ct_memcmp((*list)[i].hash, a->c->hash, 32) == 0) {
            mh_err_set(MH_ERR_ALREADY_EXISTS, "this certificate is already credential %s",
                       (*list)[i].id);
            return MH_ERR_ALREADY_EXISTS;
        }
    mh_app_credential *nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (!nl)
        return MH_ERR_NOMEM;
    nl[*n] = *a->c;
    *list = nl;
    (*n)++;
    return MH_OK;
}

static int new_id(mh_app_credential *c)
{
    uint8_t r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return MH_ERR_INTERNAL;
    hex(r, sizeof r, c->id);
    return MH_OK;
}

int mh_app_cred_create(const char *state_dir, mh_app_credential *c, char *secret, size_t cap)
{
    uint8_t r[20];
    char b32[40];
    int rc;
    if ((rc = mh_app_cred_check_role(c)) != 0)
        return rc;
    if (cap < 4 + 16 + 1 + 32 + 1)
        return MH_ERR_BUFFER_TOO_SMALL;
    if ((rc = new_id(c)) != 0 || getrandom(r, sizeof r, 0) != (ssize_t)sizeof r ||
        mh_base32_encode(r, sizeof r, b32, sizeof b32, NULL) != 0)
        return rc ? rc : MH_ERR_INTERNAL;
    for (char *p = b32; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    snprintf(secret, cap, TOKEN_PREFIX "%s_%s", c->id, b32);
    (void)mh_hash_sha256((const uint8_t *)secret, strlen(secret), c->hash);
    c->is_cert = false;
    c->created = (int64_t)time(NULL);
    c->revoked = false;
    c->revoked_at = 0;
    struct add_arg a = {c};
    rc = locked_change(state_dir, do_add, &a);
    mh_wipe(r, sizeof r);
    if (rc)
        mh_wipe(secret, cap);
    return rc;
}

int mh_app_cred_add_cert(const char *state_dir, mh_app_credential *c, const uint8_t *der,
                         size_t len)
{
    int rc;
    if ((rc = mh_app_cred_check_role(c)) != 0)
        return rc;
    if (mh_x509_cert_check(der, len) != 0) {
        mh_err_set(MH_ERR_CERT_INVALID, "the client certificate cannot be read");
        return MH_ERR_CERT_INVALID;
    }
    if ((rc = new_id(c)) != 0)
        return rc;
    (void)mh_hash_sha256(der, len, c->hash);
    c->is_cert = true;
    c->created = (int64_t)time(NULL);
    c->revoked = false;
    c->revoked_at = 0;
    struct add_arg a = {c};
    return locked_change(state_dir, do_add, &a);
}

static int do_revoke(void *arg, mh_app_credential **list, size_t *n)
{
    const char *id = arg;
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*list)[i].id, id) != 0)
            continue;
        if ((*list)[i].revoked) {
            mh_err_set(MH_ERR_ALREADY_EXISTS, "credential %s is already revoked", id);
            return MH_ERR_ALREADY_EXISTS;
        }
        (*list)[i].revoked = true;
        (*list)[i].revoked_at = (int64_t)time(NULL);
        return MH_OK;
    }
    mh_err_set(MH_ERR_NOT_FOUND, "no credential %.32s ('mohur api-token list' shows them)", id);
    return MH_ERR_NOT_FOUND;
}

int mh_app_cred_revoke(const char *state_dir, const char *id)
{
    return locked_change(state_dir, do_revoke, (void *)id);
}

/* ---- checking ------------------------------------------------------------------ */

int mh_app_cred_find_token(const mh_app_credential *list, size_t n, const char *token,
                           const mh_app_credential **who)
{
    uint8_t h[32];
    size_t tl = strnlen(token, 128);
    *who = NULL;
    /* "mht_<16 hex>_<secret>": the id finds the entry, the hash decides */
    if (tl >= 128 || tl < 4 + 16 + 2 || strncmp(token, TOKEN_PREFIX, 4) != 0 || token[20] != '_')
        return MH_ERR_PERMISSION;
    (void)mh_hash_sha256((const uint8_t *)token, tl, h);
    for (size_t i = 0; i < n; i++) {
        const mh_app_credential *c = &list[i];
        if (c->is_cert || memcmp(c->id, token + 4, 16) != 0)
            continue;
        if (mh_ct_memcmp(c->hash, h, 32) != 0 || c->revoked)
            return MH_ERR_PERMISSION;
        *who = c;
        return MH_OK;
    }
    return MH_ERR_PERMISSION;
}

int mh_app_cred_find_cert(const mh_app_credential *list, size_t n, const uint8_t *der, size_t len,
                          const mh_app_credential **who)
{
    uint8_t h[32];
    *who = NULL;
    (void)mh_hash_sha256(der, len, h);
    for (size_t i = 0; i < n; i++) {
        if (list[i].is_cert && !list[i].revoked && mh_ct_memcmp(list[i].hash, h, 32) == 0) {
            *who = &list[i];
            return MH_OK;
        }
    }
    return MH_ERR_PERMISSION;
}
