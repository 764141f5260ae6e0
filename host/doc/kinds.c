/* kinds.c - document kinds from JSON configuration. */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "doc_internal.h"

#ifndef MH_SOURCE_KINDS_DIR
#define MH_SOURCE_KINDS_DIR ""
#endif

static const char *const langs[MH_LANG_N] = {"az", "ru", "en"};

const char *mh_kinds_dir(void)
{
    const char *e = getenv("MOHUR_KINDS_DIR");
    if (e && *e)
        return e;
    struct stat st;
#ifdef MH_INSTALL_KINDS_DIR
    /* where 'cmake --install' put them (DATADIR/mohur/kinds) */
    if (stat(MH_INSTALL_KINDS_DIR, &st) == 0 && S_ISDIR(st.st_mode))
        return MH_INSTALL_KINDS_DIR;
#endif
    if (stat("/usr/share/mohur/kinds", &st) == 0 && S_ISDIR(st.st_mode))
        return "/usr/share/mohur/kinds";
    return MH_SOURCE_KINDS_DIR;
}

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 39)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

struct ctx {
    const char *file;
    int rc;
};

static int bad(struct ctx *c, const char *what)
{
    if (!c->rc) {
        mh_err_set(MH_ERR_PARSE, "the kind file %s is invalid: %s", c->file, what);
        c->rc = MH_ERR_PARSE;
    }
    return c->rc;
}

static void copy_str(struct ctx *c, json_t *o, const char *key, char *dst, size_t cap,
                     bool required)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        if (required) {
            char m[96];
            snprintf(m, sizeof m, "'%s' is missing", key);
            bad(c, m);
        }
        return;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap) {
        char m[96];
        snprintf(m, sizeof m, "'%s' must be a text of at most %zu bytes", key, cap - 1);
        bad(c, m);
        return;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
}

static void three(struct ctx *c, json_t *o, const char *key, char dst[MH_LANG_N][96])
{
    json_t *v = json_object_get(o, key);
    if (!json_is_object(v)) {
        char m[96];
        snprintf(m, sizeof m, "'%s' must give the text in az, ru and en", key);
        bad(c, m);
        return;
    }
    for (int l = 0; l < MH_LANG_N; l++)
        copy_str(c, v, langs[l], dst[l], 96, true);
}

static double num(struct ctx *c, json_t *o, const char *key, double def, double lo, double hi)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return def;
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
        char m[96];
        snprintf(m, sizeof m, "'%s' must be a number from %g to %g", key, lo, hi);
        bad(c, m);
        return def;
    }
    return json_number_value(v);
}

static bool flag(struct ctx *c, json_t *o, const char *key, bool def)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return def;
    if (!json_is_boolean(v)) {
        char m[96];
        snprintf(m, sizeof m, "'%s' must be true or false", key);
        bad(c, m);
        return def;
    }
    return json_is_true(v);
}

static enum mh_align align_of(struct ctx *c, json_t *o)
{
    const char *a = json_string_value(json_object_get(o, "align"));
    if (!a || strcmp(a, "left") == 0)
        return MH_ALIGN_LEFT;
    if (strcmp(a, "center") == 0)
        return MH_ALIGN_CENTER;
    if (strcmp(a, "right") == 0)
        return MH_ALIGN_RIGHT;
    bad(c, "'align' must be left, center or right");
    return MH_ALIGN_LEFT;
}

int mh_kind_field_index(const mh_kind *k, const char *id)
{
    for (size_t i = 0; i < k->nfields; i++) {
        if (strcmp(k->fields[i].id, id) == 0)
            return (int)i;
    }
    return -1;
}

static void load_layout(struct ctx *c, json_t *lay, mh_kind *k)
{
    json_t *page = json_object_get(lay, "page");
    const char *size = json_string_value(json_object_get(page, "size"));
    const char *orient = json_string_value(json_object_get(page, "orientation"));
    k->page_w = 595.276;
    k->page_h = 841.89;
    if (size && strcmp(size, "A4") != 0)
        bad(c, "only A4 pages are supported");
    if (orient && strcmp(orient, "landscape") == 0) {
        double t = k->page_w;
        k->page_w = k->page_h;
        k->page_h = t;
    } else if (orient && strcmp(orient, "portrait") != 0) {
        bad(c, "'orientation' must be portrait or landscape");
    }
    json_t *b = json_object_get(lay, "border");
    k->border_inset = num(c, b, "inset", 0, 0, 200);
    k->border_width = num(c, b, "width", 0, 0, 20);
    k->inner_inset = num(c, b, "inner_inset", 0, 0, 200);
    k->inner_width = num(c, b, "inner_width", 0, 0, 20);
    json_t *texts = json_object_get(lay, "texts");
    if (texts && (!json_is_array(texts) || json_array_size(texts) > MH_KIND_MAX_TEXTS))
        bad(c, "'texts' must be a list of at most 8 texts");
    size_t i;
    json_t *t;
    json_array_foreach(texts, i, t)
    {
        mh_kind_text *x = &k->texts[k->ntexts++];
        copy_str(c, t, "text", x->text, sizeof x->text, true);
        x->x = num(c, t, "x", 0, 0, 2000);
        x->y = num(c, t, "y", 0, 0, 2000);
        x->size = num(c, t, "size", 12, 4, 96);
        x->align = align_of(c, t);
    }
    json_t *slots = json_object_get(lay, "slots");
    if (slots && (!json_is_array(slots) || json_array_size(slots) > MH_KIND_MAX_FIELDS))
        bad(c, "'slots' must be a list of at most 16 slots");
    json_array_foreach(slots, i, t)
    {
        mh_kind_slot *s = &k->slots[k->nslots++];
        const char *f = json_string_value(json_object_get(t, "field"));
        s->field = f ? mh_kind_field_index(k, f) : -1;
        if (s->field < 0)
            bad(c, "a slot names a field the kind does not have");
        s->x = num(c, t, "x", 0, 0, 2000);
        s->y = num(c, t, "y", 0, 0, 2000);
        s->size = num(c, t, "size", 12, 4, 96);
        s->width = num(c, t, "width", 400, 10, 2000);
        s->align = align_of(c, t);
        s->label = flag(c, t, "label", false);
        s->lines = (unsigned)num(c, t, "lines", 1, 1, 40);
        const char *va = json_string_value(json_object_get(t, "valign"));
        s->middle = va && strcmp(va, "middle") == 0;
        if (va && !s->middle && strcmp(va, "top") != 0)
            bad(c, "'valign' must be top or middle");
    }
    json_t *st = json_object_get(lay, "stamp");
    json_t *sp = json_object_get(st, "page");
    if (json_is_string(sp) && strcmp(json_string_value(sp), "end") == 0) {
        k->stamp_new_page = true; /* a verification page, added when signing */
        k->stamp_page = 0;
    } else {
        k->stamp_page = (unsigned)num(c, st, "page", 1, 1, 10000);
    }
    k->stamp_x = num(c, st, "x", 40, 0, 2000);
    k->stamp_y = num(c, st, "y", 40, 0, 2000);
    k->stamp_size = num(c, st, "size", 110, 40, 400);
    json_t *sigs = json_object_get(lay, "signatures");
    if (sigs && (!json_is_array(sigs) || json_array_size(sigs) > MH_KIND_MAX_PARTIES - 1))
        bad(c, "'signatures' must list at most 3 rectangles (one per party after the first)");
    json_array_foreach(sigs, i, t)
    {
        double *r = k->party_rect[i + 1];
        r[0] = num(c, t, "x", 0, 0, 2000);
        r[1] = num(c, t, "y", 0, 0, 2000);
        r[2] = num(c, t, "width", 176, 20, 2000);
        r[3] = num(c, t, "height", 44, 10, 2000);
        k->party_rect_explicit[i + 1] = true;
    }
}

/* Parties without a rectangle in the layout sign in a box stacked above
 * the stamp, each above the one before (kept on the page by the signer). */
static void default_party_rects(mh_kind *k)
{
    double size = k->stamp_size > 20 ? k->stamp_size : 110;
    for (size_t i = 1; i < k->nparties; i++) {
        double *r = k->party_rect[i];
        if (r[2] > 0)
            continue;
        r[2] = size * 1.6;
        r[3] = size * 0.4;
        r[0] = k->stamp_x + size - r[2];
        r[1] = k->stamp_y + size + 6 + (double)(i - 1) * (r[3] + 6);
    }
}

/* Kind files read once into memory (mh_kinds_preload), for a process that
 * cannot read the directory later (mohurd's front after it dropped root). */
#define PRELOAD_MAX 64
static struct {
    char dir[1024];
    size_t n;
    struct {
        char id[40];
        char *json;
        size_t len;
    } k[PRELOAD_MAX];
} pre;

int mh_kinds_preload(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        mh_err_set(MH_ERR_IO, "the document kinds in %s cannot be read", dir);
        return MH_ERR_IO;
    }
    snprintf(pre.dir, sizeof pre.dir, "%s", dir);
    struct dirent *e;
    int rc = MH_OK;
    while (rc == MH_OK && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || n - 5 >= sizeof pre.k[0].id || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char id[40], path[1300];
        snprintf(id, sizeof id, "%.*s", (int)(n - 5), e->d_name);
        if (!valid_id(id))
            continue;
        if (pre.n == PRELOAD_MAX) {
            mh_err_set(MH_ERR_TOO_LARGE, "more than %d document kinds in %s", PRELOAD_MAX, dir);
            rc = MH_ERR_TOO_LARGE;
            break;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        char *buf = malloc(256 * 1024 + 1);
        size_t got = f && buf ? fread(buf, 1, 256 * 1024 + 1, f) : 0;
        if (f)
            fclose(f);
        if (!buf || got == 0 || got > 256 * 1024) {
            free(buf);
            continue; /* mh_kind_load says what is wrong with it, from the file */
        }
        snprintf(pre.k[pre.n].id, sizeof pre.k[0].id, "%s", id);
        pre.k[pre.n].json = buf;
        pre.k[pre.n].len = got;
        pre.n++;
    }
    closedir(d);
    return rc;
}

static int kind_parse(json_t *root, const char *path, const char *id, mh_kind *k);

/* Kinds parsed from their files, kept by their bytes: the file is read
 * every time (a few KiB) and parsed again only when its bytes changed, so
 * an edited kind counts at once however it was written. mohurd's ledger
 * process loads its kind for every request; parsing was 5% of its CPU. */
#define KIND_CACHE 16
static pthread_mutex_t kc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kind_cached {
    char path[1024];
    uint8_t *bytes;
    size_t len;
    mh_kind k;
} * kc[KIND_CACHE];
static unsigned kc_next;

static bool kind_cached_get(const char *path, const uint8_t *b, size_t n, mh_kind *k)
{
    bool hit = false;
    pthread_mutex_lock(&kc_lock);
    for (size_t i = 0; i < KIND_CACHE && !hit; i++)
        if (kc[i] && kc[i]->len == n && strcmp(kc[i]->path, path) == 0 &&
            memcmp(kc[i]->bytes, b, n) == 0) {
            *k = kc[i]->k;
            hit = true;
        }
    pthread_mutex_unlock(&kc_lock);
    return hit;
}

static void kind_cached_put(const char *path, uint8_t *b, size_t n, const mh_kind *k)
{
    struct kind_cached *e = calloc(1, sizeof *e);
    if (!e) {
        free(b);
        return;
    }
    snprintf(e->path, sizeof e->path, "%s", path);
    e->bytes = b; /* taken */
    e->len = n;
    e->k = *k;
    pthread_mutex_lock(&kc_lock);
    size_t slot = KIND_CACHE;
    for (size_t i = 0; i < KIND_CACHE && slot == KIND_CACHE; i++)
        if (kc[i] && strcmp(kc[i]->path, path) == 0)
            slot = i; /* the file changed: its entry is replaced */
    if (slot == KIND_CACHE)
        slot = kc_next++ % KIND_CACHE;
    if (kc[slot])
        free(kc[slot]->bytes);
    free(kc[slot]);
    kc[slot] = e;
    pthread_mutex_unlock(&kc_lock);
}

int mh_kind_load(const char *dir, const char *id, mh_kind *k)
{
    memset(k, 0, sizeof *k);
    if (!valid_id(id)) {
        mh_err_set(MH_ERR_NOT_FOUND, "'%s' is not a kind name (lower-case letters, digits and '-')",
                   id);
        return MH_ERR_NOT_FOUND;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.json", dir, id);
    json_error_t je;
    json_t *root = NULL;
    if (pre.dir[0] && strcmp(pre.dir, dir) == 0) {
        size_t i = 0;
        while (i < pre.n && strcmp(pre.k[i].id, id) != 0)
            i++;
        if (i == pre.n) {
            mh_err_set(MH_ERR_NOT_FOUND,
                       "there is no document kind '%s' (no file %s); 'mohur kinds' lists them", id,
                       path);
            return MH_ERR_NOT_FOUND;
        }
        root = json_loadb(pre.k[i].json, pre.k[i].len, JSON_REJECT_DUPLICATES, &je);
    } else {
        struct stat st;
        if (stat(path, &st) != 0) {
            mh_err_set(MH_ERR_NOT_FOUND,
                       "there is no document kind '%s' (no file %s); 'mohur kinds' lists them", id,
                       path);
            return MH_ERR_NOT_FOUND;
        }
        if (st.st_size > 256 * 1024) {
            mh_err_set(MH_ERR_TOO_LARGE, "the kind file %s is larger than 256 KiB", path);
            return MH_ERR_TOO_LARGE;
        }
        uint8_t *b = NULL;
        size_t n = 0;
        int rc = mh_file_read(path, 256 * 1024, MH_FILE_REGULAR, &b, &n);
        if (rc)
            return rc;
        if (kind_cached_get(path, b, n, k)) {
            free(b);
            return MH_OK;
        }
        root = json_loadb((const char *)b, n, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
            free(b);
            mh_err_set(MH_ERR_PARSE, "the kind file %s is not valid JSON (line %d: %s)", path,
                       je.line, je.text);
            return MH_ERR_PARSE;
        }
        if ((rc = kind_parse(root, path, id, k)) == 0)
            kind_cached_put(path, b, n, k); /* takes b */
        else
            free(b);
        return rc;
    }
    if (!root) {
        mh_err_set(MH_ERR_PARSE, "the kind file %s is not valid JSON (line %d: %s)", path, je.line,
                   je.text);
        return MH_ERR_PARSE;
    }
    return kind_parse(root, path, id, k);
}

/* A kind from its parsed file (root, released here). */
static int kind_parse(json_t *root, const char *path, const char *id, mh_kind *k)
{
    struct ctx c = {path, 0};
    copy_str(&c, root, "id", k->id, sizeof k->id, true);
    if (!c.rc && strcmp(k->id, id) != 0)
        bad(&c, "its 'id' differs from the file name");
    k->code = (unsigned)num(&c, root, "code", 0, 1, 65535);
    if (!k->code)
        bad(&c, "'code' (1-65535) is missing");
    three(&c, root, "names", k->names);
    const char *src = json_string_value(json_object_get(root, "source"));
    if (!src || (strcmp(src, "rendered") != 0 && strcmp(src, "supplied") != 0))
        bad(&c, "'source' must be rendered or supplied");
    k->rendered = src && strcmp(src, "rendered") == 0;
    json_t *parties = json_object_get(root, "parties");
    if (!json_is_array(parties) || json_array_size(parties) == 0 ||
        json_array_size(parties) > MH_KIND_MAX_PARTIES)
        bad(&c, "'parties' must list 1 to 4 signing parties");
    size_t i;
    json_t *p;
    json_array_foreach(parties, i, p)
    {
        if (i >= MH_KIND_MAX_PARTIES)
            break;
        copy_str(&c, p, "role", k->parties[i].role, sizeof k->parties[i].role, true);
        copy_str(&c, p, "profile", k->parties[i].profile, sizeof k->parties[i].profile, true);
        k->parties[i].optional = flag(&c, p, "optional", false);
        k->nparties++;
    }
    json_t *fields = json_object_get(root, "fields");
    if (!json_is_array(fields) || json_array_size(fields) == 0 ||
        json_array_size(fields) > MH_KIND_MAX_FIELDS)
        bad(&c, "'fields' must list 1 to 16 fields");
    json_array_foreach(fields, i, p)
    {
        if (i >= MH_KIND_MAX_FIELDS)
            break;
        mh_kind_field *f = &k->fields[k->nfields++];
        copy_str(&c, p, "id", f->id, sizeof f->id, true);
        if (!c.rc && !valid_id(f->id))
            bad(&c, "a field id must be lower-case letters, digits, '-' or '_'");
        if (!c.rc && mh_kind_field_index(k, f->id) != (int)i)
            bad(&c, "two fields have the same id");
        three(&c, p, "label", f->label);
        f->required = flag(&c, p, "required", false);
        f->printed = flag(&c, p, "printed", true);
        f->receipt = flag(&c, p, "receipt", false);
        f->max = (unsigned)num(&c, p, "max", 80, 1, 2000);
        const char *fmt = json_string_value(json_object_get(p, "format"));
        f->is_date = fmt && strcmp(fmt, "date") == 0;
        if (f->receipt && !f->printed)
            bad(&c, "a field in the receipt must be printed on the paper too");
    }
    json_t *lay = json_object_get(root, "layout");
    if (lay)
        load_layout(&c, lay, k);
    else
        k->stamp_size = 110;
    default_party_rects(k);
    json_t *qr = json_object_get(root, "qr");
    k->qr_max_version = (unsigned)num(&c, qr, "max_version", 0, 0, 40);
    const char *lvl = json_string_value(json_object_get(qr, "level"));
    k->qr_level = lvl ? lvl[0] : 'M';
    if ((lvl && (strlen(lvl) != 1 || !strchr("LMQH", lvl[0]))) || (qr && !json_is_object(qr)))
        bad(&c, "'qr' must be {\"max_version\": 1-40, \"level\": \"L\", \"M\", \"Q\" or \"H\"}");
    if (k->rendered && k->nslots == 0)
        bad(&c, "a rendered kind needs layout slots for its fields");
    json_decref(root);
    if (c.rc)
        memset(k, 0, sizeof *k);
    return c.rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mh_kind_list(const char *dir, char *buf, size_t cap, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        mh_err_set(MH_ERR_IO, "the kinds directory %s cannot be read", dir);
        return MH_ERR_IO;
    }
    size_t used = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        if (used + l - 4 > cap) {
            rc = MH_ERR_BUFFER_TOO_SMALL;
            break;
        }
        memcpy(buf + used, e->d_name, l - 5);
        buf[used + l - 5] = '\0';
        used += l - 4;
        (*n)++;
    }
    closedir(d);
    if (rc)
        return rc;
    /* readdir's order is the file system's: sort by id, so every listing
     * (mohur kinds, CSV columns) is the same everywhere */
    const char *ids[256];
    size_t k = 0;
    for (const char *p = buf; k < *n && k < 256; p += strlen(p) + 1)
        ids[k++] = p;
    qsort(ids, k, sizeof ids[0], cmp_str);
    char *sorted = malloc(used ? used : 1);
    if (!sorted)
        return MH_ERR_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        size_t l = strlen(ids[i]) + 1;
        memcpy(sorted + o, ids[i], l);
        o += l;
    }
    memcpy(buf, sorted, o);
    free(sorted);
    *n = k;
    return 0;
}

int mh_doc_utf8_decode(const char *s, uint32_t *out, size_t cap, size_t *n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t len = strlen(s), i = 0;
    *n = 0;
    while (i < len) {
        uint32_t cp = mh_utf8_next(p, len, &i);
        if (cp == MH_UTF8_BAD)
            return MH_ERR_PARSE;
        if (*n == cap)
            return MH_ERR_TOO_LARGE;
        out[(*n)++] = cp;
    }
    return 0;
}

static bool valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

int mh_kind_check(const mh_kind *k, const mh_field_value *v, size_t n)
{
    bool seen[MH_KIND_MAX_FIELDS] = {false};
    for (size_t i = 0; i < n; i++) {
        int f = mh_kind_field_index(k, v[i].id);
        if (f < 0) {
            mh_err_set(MH_ERR_INVALID_ARG, "a %s has no field '%s'", k->names[MH_LANG_EN], v[i].id);
            return MH_ERR_INVALID_ARG;
        }
        if (seen[f]) {
            mh_err_set(MH_ERR_INVALID_ARG, "the field '%s' is given twice", v[i].id);
            return MH_ERR_INVALID_ARG;
        }
        seen[f] = true;
        uint32_t cps[2048];
        size_t nc;
        int rc = mh_doc_utf8_decode(v[i].value, cps, sizeof cps / sizeof cps[0], &nc);
        if (rc == MH_ERR_PARSE) {
            mh_err_set(MH_ERR_PARSE, "the field '%s' is not valid UTF-8 text", v[i].id);
            return MH_ERR_PARSE;
        }
        if (rc || nc > k->fields[f].max) {
            mh_err_set(MH_ERR_TOO_LARGE, "the field '%s' is longer than %u characters", v[i].id,
                       k->fields[f].max);
            return MH_ERR_TOO_LARGE;
        }
        for (size_t j = 0; j < nc; j++) {
            if (cps[j] < 0x20 || (cps[j] >= 0x7f && cps[j] < 0xa0)) {
                mh_err_set(MH_ERR_PARSE, "the field '%s' contains a control character", v[i].id);
                return MH_ERR_PARSE;
            }
        }
        if (k->fields[f].is_date && !valid_date(v[i].value)) {
            mh_err_set(MH_ERR_PARSE, "the field '%s' must be a date written as YYYY-MM-DD",
                       v[i].id);
            return MH_ERR_PARSE;
        }
        if (k->fields[f].required && nc == 0) {
            mh_err_set(MH_ERR_INVALID_ARG, "the field '%s' is empty", v[i].id);
            return MH_ERR_INVALID_ARG;
        }
    }
    for (size_t f = 0; f < k->nfields; f++) {
        if (k->fields[f].required && !seen[f]) {
            mh_err_set(MH_ERR_INVALID_ARG, "the field '%s' (%s) is missing", k->fields[f].id,
                       k->fields[f].label[MH_LANG_EN]);
            return MH_ERR_INVALID_ARG;
        }
    }
    return 0;
}
