/*
 * json.c - a tiny JSON writer for `mohur ... --json`.
 *
 * Only what the CLI prints: objects, arrays, strings, numbers, booleans.
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 (a token
 * label may hold anything) become U+FFFD so the output always parses.
 */
#include "cli.h"

#include <string.h>

void mh_json_escape(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);

    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        switch (c) {
        case '"':
            fputs("\\\"", f);
            i++;
            continue;
        case '\\':
            fputs("\\\\", f);
            i++;
            continue;
        case '\n':
            fputs("\\n", f);
            i++;
            continue;
        case '\r':
            fputs("\\r", f);
            i++;
            continue;
        case '\t':
            fputs("\\t", f);
            i++;
            continue;
        case '\b':
            fputs("\\b", f);
            i++;
            continue;
        case '\f':
            fputs("\\f", f);
            i++;
            continue;
        default:
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            i++;
            continue;
        }
        size_t at = i;
        if (mh_utf8_next(s, n, &i) == MH_UTF8_BAD) {
            fputs("\\ufffd", f);
            continue;
        }
        fwrite(s + at, 1, i - at, f);
    }
    fputc('"', f);
}

void mh_json_init(mh_json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->first[0] = true;
}

/* The separator before a value or a key. */
static void sep(mh_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (!j->first[j->depth])
        fputc(',', j->f);
    j->first[j->depth] = false;
}

static void open_(mh_json *j, char c)
{
    sep(j);
    fputc(c, j->f);
    if (j->depth < MH_JSON_DEPTH - 1)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_(mh_json *j, char c)
{
    fputc(c, j->f);
    if (j->depth > 0)
        j->depth--;
}

void mh_json_obj_begin(mh_json *j)
{
    open_(j, '{');
}

void mh_json_obj_end(mh_json *j)
{
    close_(j, '}');
}

void mh_json_arr_begin(mh_json *j)
{
    open_(j, '[');
}

void mh_json_arr_end(mh_json *j)
{
    close_(j, ']');
}

void mh_json_key(mh_json *j, const char *key)
{
    sep(j);
    mh_json_escape(j->f, key);
    fputc(':', j->f);
    j->after_key = true;
}

void mh_json_str(mh_json *j, const char *s)
{
    sep(j);
    mh_json_escape(j->f, s);
}

void mh_json_uint(mh_json *j, unsigned long long v)
{
    sep(j);
    fprintf(j->f, "%llu", v);
}

void mh_json_int(mh_json *j, long long v)
{
    sep(j);
    fprintf(j->f, "%lld", v);
}

void mh_json_bool(mh_json *j, bool v)
{
    sep(j);
    fputs(v ? "true" : "false", j->f);
}

void mh_json_null(mh_json *j)
{
    sep(j);
    fputs("null", j->f);
}

void mh_json_end(mh_json *j)
{
    fputc('\n', j->f);
}
