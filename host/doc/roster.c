/* roster.c - rows of documents to issue, from CSV or JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "doc_internal.h"

#define ROSTER_MAX (512u << 20)
#define CELL_MAX 4096

struct mh_roster {
    bool json;
    /* CSV */
    char *data;
    size_t len, pos;
    unsigned long line;
    size_t ncols;
    const char *cols[MH_ROSTER_MAX_COLS];
    char *cells[MH_ROSTER_MAX_COLS];
    const mh_kind *kind; /* mh_roster_bind: header names to field ids */
    /* JSON */
    json_t *root;
    size_t index;
    size_t count;
};

static int read_all(const char *path, char **out, size_t *len)
{
    uint8_t *buf = NULL;
    int rc = mh_file_read(path, ROSTER_MAX, MH_FILE_REGULAR, &buf, len);
    if (rc == MH_ERR_TOO_LARGE)
        mh_err_set(MH_ERR_TOO_LARGE, "the roster %s is larger than 512 MiB; split it", path);
    if (rc == MH_ERR_NOT_FOUND) {
        mh_err_set(MH_ERR_IO, "the roster %s cannot be opened: there is no such file", path);
        rc = MH_ERR_IO;
    }
    *out = (char *)buf;
    return rc;
}

/* A roster is text: valid UTF-8 without NUL or control characters other
 * than tab, CR and LF. Anything else (a spreadsheet's binary file, an
 * image) is refused whole, before any row is issued. */
static int text_check(const char *path, const char *d, size_t n)
{
    const unsigned char *s = (const unsigned char *)d;
    size_t line = 1;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '\n')
            line++;
        uint32_t cp = mh_utf8_next(s, n, &i);
        if (cp != MH_UTF8_BAD && !(cp < 0x20 && cp != '\t' && cp != '\r' && cp != '\n') &&
            cp != 0x7f)
            continue;
        mh_err_set(MH_ERR_PARSE,
                   "the roster %s is not CSV or JSON text: line %zu has a byte (0x%02x) that is "
                   "not UTF-8 text; export the roster as CSV (UTF-8) or JSON",
                   path, line, c);
        return MH_ERR_PARSE;
    }
    return 0;
}

/* One CSV record into r->cells (NUL-terminated, in place). 1 at the end,
 * MH_ERR_PARSE for a broken record (the rest of its line is skipped). */
static int csv_record(mh_roster *r, size_t *ncells)
{
    *ncells = 0;
    if (r->pos >= r->len)
        return 1;
    char *d = r->data;
    r->line++;
    size_t out = r->pos; /* cells are rewritten in place */
    for (;;) {
        if (*ncells == MH_ROSTER_MAX_COLS) {
            while (r->pos < r->len && d[r->pos] != '\n')
                r->pos++;
            r->pos++;
            mh_err_set(MH_ERR_PARSE, "line %lu has more than %d columns", r->line,
                       MH_ROSTER_MAX_COLS);
            return MH_ERR_PARSE;
        }
        r->cells[(*ncells)++] = d + out;
        size_t start = out;
        if (r->pos < r->len && d[r->pos] == '"') {
            r->pos++;
            for (;;) {
                if (r->pos >= r->len) {
                    mh_err_set(MH_ERR_PARSE, "line %lu has a quoted value that is never closed",
                               r->line);
                    return MH_ERR_PARSE;
                }
                char c = d[r->pos++];
                if (c == '"') {
                    if (r->pos < r->len && d[r->pos] == '"') {
                        d[out++] = '"';
                        r->pos++;
                        continue;
                    }
                    break;
                }
                if (c == '\n')
                    r->line++;
                d[out++] = c;
            }
            if (r->pos < r->len && d[r->pos] != ',' && d[r->pos] != '\n' && d[r->pos] != '\r') {
                unsigned long l = r->line;
                while (r->pos < r->len && d[r->pos] != '\n')
                    r->pos++;
                r->pos++;
                mh_err_set(MH_ERR_PARSE, "line %lu has text after a closing quote", l);
                return MH_ERR_PARSE;
            }
        } else {
            while (r->pos < r->len && d[r->pos] != ',' && d[r->pos] != '\n') {
                if (d[r->pos] == '"') {
                    unsigned long l = r->line;
                    while (r->pos < r->len && d[r->pos] != '\n')
                        r->pos++;
                    r->pos++;
                    mh_err_set(MH_ERR_PARSE, "line %lu has a quote inside an unquoted value", l);
                    return MH_ERR_PARSE;
                }
                d[out++] = d[r->pos++];
            }
            if (out > start && d[out - 1] == '\r')
                out--;
        }
        if (out - start > CELL_MAX) {
            mh_err_set(MH_ERR_PARSE, "line %lu has a value longer than %d bytes", r->line,
                       CELL_MAX);
            while (r->pos < r->len && d[r->pos] != '\n')
                r->pos++;
            r->pos++;
            return MH_ERR_PARSE;
        }
        char sep = r->pos < r->len ? d[r->pos] : '\n';
        if (sep == '\r' && r->pos + 1 < r->len && d[r->pos + 1] == '\n')
            sep = d[++r->pos];
        r->pos++;
        d[out++] = '\0';
        if (sep == '\n')
            return 0;
    }
}

static bool blank_row(char **cells, size_t n)
{
    return n == 1 && cells[0][0] == '\0';
}

int mh_roster_open(const char *path, mh_roster **out)
{
    *out = NULL;
    size_t pl = strlen(path);
    bool json = pl > 5 && strcmp(path + pl - 5, ".json") == 0;
    bool csv = pl > 4 && strcmp(path + pl - 4, ".csv") == 0;
    if (!json && !csv) {
        mh_err_set(MH_ERR_INVALID_ARG, "a roster must be a .csv or .json file");
        return MH_ERR_INVALID_ARG;
    }
    mh_roster *r = calloc(1, sizeof *r);
    if (!r)
        return MH_ERR_NOMEM;
    r->json = json;
    int rc = read_all(path, &r->data, &r->len);
    if (rc)
        goto fail;
    if ((rc = text_check(path, r->data, r->len)) != 0)
        goto fail;
    if (json) {
        json_error_t je;
        r->root = json_loadb(r->data, r->len, JSON_REJECT_DUPLICATES, &je);
        if (!r->root || !json_is_array(r->root)) {
            mh_err_set(MH_ERR_PARSE, "the roster %s is not a JSON array of rows%s%s", path,
                       r->root ? "" : ": ", r->root ? "" : je.text);
            rc = MH_ERR_PARSE;
            goto fail;
        }
        r->count = json_array_size(r->root);
        *out = r;
        return 0;
    }
    /* a UTF-8 byte order mark is allowed before the header */
    if (r->len >= 3 && memcmp(r->data, "\xef\xbb\xbf", 3) == 0)
        r->pos = 3;
    size_t n;
    rc = csv_record(r, &n);
    if (rc == 1 || (rc == 0 && blank_row(r->cells, n))) {
        mh_err_set(MH_ERR_PARSE, "the roster %s is empty: it needs a header row naming the fields",
                   path);
        rc = MH_ERR_PARSE;
        goto fail;
    }
    if (rc)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (!r->cells[i][0]) {
            mh_err_set(MH_ERR_PARSE, "the roster's header has an empty column name (column %zu)",
                       i + 1);
            rc = MH_ERR_PARSE;
            goto fail;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(r->cols[j], r->cells[i]) == 0) {
                mh_err_set(MH_ERR_PARSE, "the roster's header names the column '%s' twice",
                           r->cells[i]);
                rc = MH_ERR_PARSE;
                goto fail;
            }
        }
        r->cols[i] = r->cells[i];
    }
    r->ncols = n;
    /* count the rows for the progress bar: a dry run of the parser over a
     * copy (bad records count as rows too, as they are reported) */
    mh_roster dry = *r;
    dry.data = malloc(r->len + 1);
    if (!dry.data) {
        rc = MH_ERR_NOMEM;
        goto fail;
    }
    memcpy(dry.data, r->data, r->len + 1);
    for (;;) {
        size_t m;
        int d = csv_record(&dry, &m);
        if (d == 1)
            break;
        if (d == 0 && blank_row(dry.cells, m))
            continue;
        r->count++;
    }
    free(dry.data);
    *out = r;
    return 0;
fail:
    mh_roster_close(r);
    return rc;
}

/* The field id a header or key names: the id itself, or the same letters
 * in other (ASCII) case with spaces around; NULL when the kind has none. */
static const char *field_named(const mh_kind *k, const char *name)
{
    size_t n = strlen(name), b = 0;
    while (b < n && (name[b] == ' ' || name[b] == '\t'))
        b++;
    while (n > b && (name[n - 1] == ' ' || name[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < k->nfields; i++) {
        const char *id = k->fields[i].id;
        if (strlen(id) != n - b)
            continue;
        size_t j = 0;
        while (j < n - b) {
            char x = name[b + j], y = id[j];
            if (x >= 'A' && x <= 'Z')
                x = (char)(x + 32);
            if (y >= 'A' && y <= 'Z')
                y = (char)(y + 32);
            if (x != y)
                break;
            j++;
        }
        if (j == n - b)
            return id;
    }
    return NULL;
}

int mh_roster_bind(mh_roster *r, const mh_kind *k)
{
    r->kind = k;
    if (r->json)
        return 0;
    char list[600];
    size_t o = 0;
    list[0] = '\0';
    for (size_t i = 0; i < k->nfields && o < sizeof list; i++) {
        int w = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", k->fields[i].id);
        if (w > 0)
            o += (size_t)w;
    }
    for (size_t i = 0; i < r->ncols; i++) {
        const char *id = field_named(k, r->cols[i]);
        if (!id) {
            mh_err_set(MH_ERR_PARSE,
                       "the roster's header names the column '%.60s', which is not a field of "
                       "the kind '%s' (its fields: %s); no row was issued",
                       r->cols[i], k->id, list);
            return MH_ERR_PARSE;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(r->cols[j], id) == 0) {
                mh_err_set(MH_ERR_PARSE, "the roster's header names the field '%s' twice", id);
                return MH_ERR_PARSE;
            }
        }
        r->cols[i] = id;
    }
    for (size_t i = 0; i < k->nfields; i++) {
        bool have = false;
        for (size_t j = 0; j < r->ncols; j++)
            have |= strcmp(r->cols[j], k->fields[i].id) == 0;
        if (k->fields[i].required && !have) {
            mh_err_set(MH_ERR_PARSE,
                       "the roster has no column for the required field '%s' of the kind '%s' "
                       "(its fields: %s); no row was issued",
                       k->fields[i].id, k->id, list);
            return MH_ERR_PARSE;
        }
    }
    return 0;
}

int mh_roster_next(mh_roster *r, mh_roster_row *row)
{
    memset(row, 0, sizeof *row);
    if (r->json) {
        if (r->index >= r->count)
            return 1;
        json_t *o = json_array_get(r->root, r->index++);
        row->line = r->index;
        if (!json_is_object(o)) {
            mh_err_set(MH_ERR_PARSE, "row %lu is not an object of field names and values",
                       row->line);
            return MH_ERR_PARSE;
        }
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v)
        {
            if (row->n == MH_ROSTER_MAX_COLS) {
                mh_err_set(MH_ERR_PARSE, "row %lu has more than %d fields", row->line,
                           MH_ROSTER_MAX_COLS);
                return MH_ERR_PARSE;
            }
            if (!json_is_string(v)) {
                mh_err_set(MH_ERR_PARSE, "row %lu: the field '%s' must be a text (in quotes)",
                           row->line, key);
                return MH_ERR_PARSE;
            }
            const char *id = r->kind ? field_named(r->kind, key) : NULL;
            row->v[row->n].id = id ? id : key;
            row->v[row->n].value = json_string_value(v);
            row->n++;
        }
        return 0;
    }
    for (;;) {
        size_t n;
        row->line = r->line + 1;
        int rc = csv_record(r, &n);
        if (rc)
            return rc;
        if (blank_row(r->cells, n))
            continue; /* blank lines are allowed */
        if (n != r->ncols) {
            mh_err_set(MH_ERR_PARSE, "line %lu has %zu values but the header names %zu columns",
                       r->line, n, r->ncols);
            return MH_ERR_PARSE;
        }
        for (size_t i = 0; i < n; i++) {
            if (!r->cells[i][0])
                continue; /* an empty cell is an absent optional field */
            row->v[row->n].id = r->cols[i];
            row->v[row->n].value = r->cells[i];
            row->n++;
        }
        return 0;
    }
}

size_t mh_roster_count(const mh_roster *r)
{
    return r->count;
}

void mh_roster_close(mh_roster *r)
{
    if (!r)
        return;
    if (r->root)
        json_decref(r->root);
    free(r->data);
    free(r);
}
