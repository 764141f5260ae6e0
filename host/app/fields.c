/*
 * fields.c - field values from the command line and from JSON files.
 */
#include "app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* A field is given once: twice (two --field, or --field and --fields) is
 * refused, so what is signed is never a silent pick between two values. */
static int put(mh_app_fields *f, const char *id, size_t id_len, const char *val)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strlen(f->v[i].id) == id_len && memcmp(f->v[i].id, id, id_len) == 0) {
            mh_err_set(MH_ERR_INVALID_ARG, "the field '%.*s' is given twice; give each field once",
                       (int)id_len, id);
            return MH_ERR_INVALID_ARG;
        }
    }
    if (f->n == MH_APP_FIELDS_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "at most %d fields", MH_APP_FIELDS_MAX);
        return MH_ERR_TOO_LARGE;
    }
    char *k = strndup(id, id_len), *v = strdup(val);
    if (!k || !v) {
        free(k);
        free(v);
        return MH_ERR_NOMEM;
    }
    f->store[2 * f->n] = k;
    f->store[2 * f->n + 1] = v;
    f->v[f->n].id = k;
    f->v[f->n].value = v;
    f->n++;
    return MH_OK;
}

int mh_app_fields_add(mh_app_fields *f, const char *s)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || (size_t)(eq - s) > 31) {
        mh_err_set(MH_ERR_INVALID_ARG, "a field is given as ID=VALUE, e.g. --field act=2024/17");
        return MH_ERR_INVALID_ARG;
    }
    return put(f, s, (size_t)(eq - s), eq + 1);
}

int mh_app_fields_read(mh_app_fields *f, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    json_error_t jerr;
    int rc = mh_app_read_file(path, MH_APP_FIELDS_FILE_MAX, &buf, &len);
    if (rc)
        return rc;
    json_t *o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
    free(buf);
    if (!o || !json_is_object(o)) {
        mh_err_set(MH_ERR_PARSE,
                   "%s: line %d: %s (a fields file is a JSON object of strings, e.g. "
                   "{\"act\": \"2024/17\"})",
                   path, jerr.line, o ? "not an object" : jerr.text);
        json_decref(o);
        return MH_ERR_PARSE;
    }
    const char *key;
    json_t *val;
    rc = MH_OK;
    json_object_foreach(o, key, val)
    {
        if (!json_is_string(val) || strlen(key) > 31) {
            mh_err_set(MH_ERR_PARSE, "%s: field \"%.40s\" must be a text value with a short name",
                       path, key);
            rc = MH_ERR_PARSE;
            break;
        }
        if ((rc = put(f, key, strlen(key), json_string_value(val))) != 0)
            break;
    }
    json_decref(o);
    return rc;
}

void mh_app_fields_free(mh_app_fields *f)
{
    for (size_t i = 0; i < 2 * f->n; i++)
        free(f->store[i]);
    memset(f, 0, sizeof *f);
}
