/* merkle_vectors.c - the verifiers against transparency-dev/merkle's probe
 * files, and the generators against the RFC 6962 reference tree.
 *   merkle_vectors TESTDATA
 * Prints "merkle vectors: N cases, W wrong" (and skipped subtree cases);
 * exits 77 with a NOTE only when the testdata folder is absent. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <mbedtls/base64.h>

#include "mh_pki.h"

static unsigned cases, wrong, skipped;

/* base64 to exactly 32 bytes; anything else is "not a hash" (-1). */
static int b64_hash(json_t *v, uint8_t out[MH_HASH_LEN])
{
    uint8_t buf[96];
    size_t n = 0;
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    if (mbedtls_base64_decode(buf, sizeof buf, &n, (const unsigned char *)s, strlen(s)) != 0 ||
        n != MH_HASH_LEN)
        return -1;
    memcpy(out, buf, MH_HASH_LEN);
    return 0;
}

/* The proof array: NULL (JSON null) is empty; -1 when an element is not a
 * 32-byte hash or there are too many. */
static int b64_proof(json_t *v, uint8_t proof[][MH_HASH_LEN], size_t cap, size_t *n)
{
    *n = 0;
    if (json_is_null(v) || !v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > cap)
        return -1;
    for (size_t i = 0; i < json_array_size(v); i++)
        if (b64_hash(json_array_get(v, i), proof[i]) != 0)
            return -1;
    *n = json_array_size(v);
    return 0;
}

/* Sizes and indices go up to 2^64 - 1, beyond jansson's integers: they are
 * read from the file's text (the probe files are flat objects). */
static uint64_t num(const char *text, const char *k)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", k);
    const char *p = strstr(text, key);
    if (!p)
        return 0;
    return strtoull(p + strlen(key), NULL, 10);
}

/* A root that Go compares as an opaque byte string (consistency with equal
 * sizes) may be any length in the probes; the API takes 32 bytes, so other
 * lengths are mapped to a digest of their bytes, which keeps (in)equality.
 * Everywhere else a hash of another length is an error, as in Go. */
static int b64_root(json_t *v, uint8_t out[MH_HASH_LEN])
{
    uint8_t buf[96];
    size_t n = 0;
    const char *s = json_string_value(v);
    if (!s || mbedtls_base64_decode(buf, sizeof buf, &n, (const unsigned char *)s, strlen(s)) != 0)
        return -1;
    if (n == MH_HASH_LEN)
        memcpy(out, buf, MH_HASH_LEN);
    else
        mh_merkle_leaf_hash(buf, n, out);
    return 0;
}

static int probe(const char *path, int kind)
{
    json_error_t jerr;
    char text[65536];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t tl = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[tl] = 0;
    json_t *o = json_loads(text, JSON_DECODE_INT_AS_REAL, &jerr);
    if (!o) {
        fprintf(stderr, "%s: %s\n", path, jerr.text);
        return -1;
    }
    uint8_t proof[MH_MERKLE_MAX_PROOF + 8][MH_HASH_LEN], a[MH_HASH_LEN], b[MH_HASH_LEN];
    size_t n;
    int want_err = json_is_true(json_object_get(o, "wantErr"));
    int err;
    if (b64_proof(json_object_get(o, "proof"), proof, MH_MERKLE_MAX_PROOF, &n) != 0) {
        err = 1;
    } else if (kind == 0) {
        if (b64_hash(json_object_get(o, "leafHash"), a) || b64_hash(json_object_get(o, "root"), b))
            err = 1;
        else
            err = mh_merkle_verify_inclusion(a, num(text, "leafIdx"), num(text, "treeSize"),
                                             (const uint8_t(*)[MH_HASH_LEN])proof, n, b) != 0;
    } else {
        if (b64_root(json_object_get(o, "root1"), a) || b64_root(json_object_get(o, "root2"), b))
            err = 1;
        else
            err = mh_merkle_verify_consistency(num(text, "size1"), num(text, "size2"),
                                               (const uint8_t(*)[MH_HASH_LEN])proof, n, a, b) != 0;
    }
    cases++;
    if (err != want_err) {
        wrong++;
        printf("WRONG %s (%s): want %s, got %s\n", path,
               json_string_value(json_object_get(o, "desc")), want_err ? "error" : "ok",
               err ? "error" : "ok");
    }
    json_decref(o);
    return 0;
}

static int walk(const char *dir, int kind)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        char p[4096];
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode))
            rc |= walk(p, kind);
        else if (strstr(e->d_name, ".json"))
            rc |= kind < 0 ? (skipped++, 0) : probe(p, kind);
    }
    closedir(d);
    return rc;
}

static int hex32(const char *s, uint8_t out[MH_HASH_LEN])
{
    if (!s || strlen(s) != 64)
        return -1;
    for (size_t i = 0; i < MH_HASH_LEN; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* The reference tree in memory: node hashes by level, as the getter. */
struct ref {
    uint8_t h[4][8][MH_HASH_LEN];
    uint64_t size;
    int bad;
};

static int ref_get(void *ctx, unsigned level, uint64_t index, uint8_t out[MH_HASH_LEN])
{
    struct ref *r = ctx;
    if (level > 3 || ((index + 1) << level) > r->size) {
        r->bad++;
        return MH_ERR_NOT_FOUND;
    }
    memcpy(out, r->h[level][index], MH_HASH_LEN);
    return 0;
}

static int reference_tree(const char *path)
{
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    static struct ref r;
    if (!o) {
        fprintf(stderr, "%s: %s\n", path, jerr.text);
        return -1;
    }
    json_t *leaves = json_object_get(o, "leafInputsHex");
    json_t *levels = json_object_get(o, "nodeHashesHexByLevel");
    json_t *roots = json_object_get(o, "rootHashesHexBySize");
    /* the leaf hashes are computed from the inputs and must match level 0 */
    for (size_t i = 0; i < 8; i++) {
        const char *hx = json_string_value(json_array_get(leaves, i));
        uint8_t data[64], want[MH_HASH_LEN];
        size_t len = hx ? strlen(hx) / 2 : 0;
        for (size_t j = 0; j < len && j < sizeof data; j++) {
            unsigned v;
            if (sscanf(hx + 2 * j, "%2x", &v) != 1)
                return -1;
            data[j] = (uint8_t)v;
        }
        mh_merkle_leaf_hash(data, len, r.h[0][i]);
        cases++;
        if (hex32(json_string_value(json_array_get(json_array_get(levels, 0), i)), want) ||
            memcmp(want, r.h[0][i], MH_HASH_LEN) != 0) {
            wrong++;
            printf("WRONG reference leaf %zu\n", i);
        }
    }
    for (unsigned l = 1; l < 4; l++)
        for (size_t i = 0; i < (8u >> l); i++)
            mh_merkle_node_hash(r.h[l - 1][2 * i], r.h[l - 1][2 * i + 1], r.h[l][i]);
    uint8_t root[9][MH_HASH_LEN];
    for (uint64_t size = 0; size <= 8; size++) {
        uint8_t want[MH_HASH_LEN];
        r.size = size;
        cases++;
        if (mh_merkle_root(ref_get, &r, size, root[size]) != 0 ||
            hex32(json_string_value(json_array_get(roots, size)), want) ||
            memcmp(want, root[size], MH_HASH_LEN) != 0) {
            wrong++;
            printf("WRONG reference root of size %llu\n", (unsigned long long)size);
        }
    }
    /* every inclusion and consistency proof of the reference tree, made by
     * the generators, verifies against the published roots */
    uint8_t proof[MH_MERKLE_MAX_PROOF][MH_HASH_LEN];
    size_t n;
    for (uint64_t size = 1; size <= 8; size++) {
        r.size = size;
        for (uint64_t i = 0; i < size; i++) {
            cases++;
            if (mh_merkle_inclusion_proof(ref_get, &r, i, size, proof, MH_MERKLE_MAX_PROOF, &n) ||
                mh_merkle_verify_inclusion(r.h[0][i], i, size, (const uint8_t(*)[MH_HASH_LEN])proof,
                                           n, root[size])) {
                wrong++;
                printf("WRONG reference inclusion %llu/%llu\n", (unsigned long long)i,
                       (unsigned long long)size);
            }
        }
        for (uint64_t s1 = 1; s1 <= size; s1++) {
            cases++;
            if (mh_merkle_consistency_proof(ref_get, &r, s1, size, proof, MH_MERKLE_MAX_PROOF,
                                            &n) ||
                mh_merkle_verify_consistency(s1, size, (const uint8_t(*)[MH_HASH_LEN])proof, n,
                                             root[s1], root[size])) {
                wrong++;
                printf("WRONG reference consistency %llu/%llu\n", (unsigned long long)s1,
                       (unsigned long long)size);
            }
        }
    }
    if (r.bad) {
        wrong++;
        printf("WRONG: the generators asked for %d incomplete subtrees\n", r.bad);
    }
    json_decref(o);
    return 0;
}

int main(int argc, char **argv)
{
    char p[4096];
    struct stat sb;
    if (argc != 2) {
        fprintf(stderr, "usage: merkle_vectors TESTDATA\n");
        return 2;
    }
    snprintf(p, sizeof p, "%s/tlog-merkle/transparency-dev-merkle", argv[1]);
    if (stat(argv[1], &sb) != 0) {
        printf("NOTE: ********* %s is absent: the Merkle vectors were NOT run *********\n",
               argv[1]);
        return 77;
    }
    int rc = 0;
    char q[4200];
    snprintf(q, sizeof q, "%s/testdata/inclusion", p);
    rc |= walk(q, 0);
    snprintf(q, sizeof q, "%s/testdata/consistency", p);
    rc |= walk(q, 1);
    unsigned probes = cases;
    snprintf(q, sizeof q, "%s/testdata/subtreeinclusion", p);
    rc |= walk(q, -1);
    snprintf(q, sizeof q, "%s/testdata/subtreeconsistency", p);
    rc |= walk(q, -1);
    snprintf(q, sizeof q, "%s/rfc6962_reference_tree.json", p);
    rc |= reference_tree(q);
    printf("merkle vectors: %u cases (%u probe files, %u reference-tree checks), %u wrong; %u "
           "subtree cases skipped (draft subtree proofs are not implemented)\n",
           cases, probes, cases - probes, wrong, skipped);
    if (probes != 196)
        printf("WRONG: expected 196 inclusion and consistency probe files, found %u\n", probes);
    return rc || wrong || probes != 196 ? 1 : 0;
}
