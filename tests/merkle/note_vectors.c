/* note_vectors.c - signed notes and verifier keys against the C2SP, Go
 * (golang.org/x/mod/sumdb/note) and transparency-dev/formats vectors.
 *   note_vectors TESTDATA
 * Prints "signed-note vectors: N cases, W wrong"; exits 77 with a NOTE only
 * when the testdata folder is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "mh_pki.h"

static const char *category(int ret)
{
    switch (ret) {
    case 0:
        return "verified";
    case MH_ERR_PARSE:
    case MH_ERR_TOO_LARGE:
        return "error:malformed";
    case MH_ERR_NOT_FOUND:
        return "error:unverified";
    case MH_ERR_VERIFY_FAILED:
        return "error:bad-signature";
    default:
        return "error:other";
    }
}

int main(int argc, char **argv)
{
    char path[4096];
    struct stat sb;
    json_error_t jerr;
    unsigned cases = 0, wrong = 0, by_type[256] = {0};
    if (argc != 2) {
        fprintf(stderr, "usage: note_vectors TESTDATA\n");
        return 2;
    }
    if (stat(argv[1], &sb) != 0) {
        printf("NOTE: ********* %s is absent: the signed-note vectors were NOT run *********\n",
               argv[1]);
        return 77;
    }
    snprintf(path, sizeof path, "%s/tlog-merkle/signed-notes/signed_note_vectors.json", argv[1]);
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "%s: %s\n", path, jerr.text);
        return 1;
    }
    json_t *vs = json_object_get(root, "vectors");
    for (size_t i = 0; i < json_array_size(vs); i++) {
        json_t *v = json_array_get(vs, i);
        const char *id = json_string_value(json_object_get(v, "id"));
        const char *expect = json_string_value(json_object_get(v, "expect"));
        const char *comment = json_string_value(json_object_get(v, "comment"));
        json_t *vkeys = json_object_get(v, "vkeys");
        json_t *jnote = json_object_get(v, "note");
        static mh_note_vkey keys[8];
        mh_note_status st[8];
        size_t nk = 0;
        const char *got = NULL;
        int ok = 1;
        for (size_t k = 0; k < json_array_size(vkeys) && k < 8; k++) {
            const char *s = json_string_value(json_array_get(vkeys, k));
            if (mh_note_vkey_parse(s, strlen(s), &keys[nk]) != 0) {
                got = "error:bad-vkey";
                break;
            }
            by_type[keys[nk].type]++;
            nk++;
        }
        if (!got && json_is_null(jnote))
            got = "vkey-ok";
        if (!got) {
            /* JSON cannot carry Go's raw 0xFF byte: the vector says so and
             * writes U+00FF; put the raw byte back */
            char note[8192];
            const char *s = json_string_value(jnote);
            size_t n = 0;
            int raw_ff = comment && strstr(comment, "raw 0xFF");
            for (size_t j = 0; s[j] && n < sizeof note; j++) {
                if (raw_ff && (unsigned char)s[j] == 0xc3 && (unsigned char)s[j + 1] == 0xbf) {
                    note[n++] = (char)0xff;
                    j++;
                } else {
                    note[n++] = s[j];
                }
            }
            int ret = mh_note_verify(note, n, keys, nk, st, NULL);
            got = category(ret);
            if (ret != 0)
                printf("  %s: %s\n", id, mh_err_message(ret));
            if (ret == 0) {
                /* exactly the keys named in verifiedBy verified */
                json_t *vb = json_object_get(v, "verifiedBy");
                size_t count = 0;
                for (size_t k = 0; k < nk; k++) {
                    int want = 0;
                    for (size_t j = 0; j < json_array_size(vb); j++)
                        want |= strcmp(json_string_value(json_array_get(vb, j)), keys[k].name) == 0;
                    if (want != st[k].verified)
                        ok = 0;
                    count += st[k].verified;
                }
                if (count != json_array_size(vb))
                    ok = 0;
            }
        }
        /* "error" is any error; the specific ones must match */
        if (strcmp(expect, "error") == 0)
            ok = ok && strncmp(got, "error", 5) == 0;
        else
            ok = ok && strcmp(expect, got) == 0;
        cases++;
        if (!ok)
            wrong++;
        printf("%s %-40s expect %-18s got %s\n", ok ? "ok   " : "WRONG", id, expect, got);
    }
    printf("signed-note vectors: %u cases, %u wrong (keys parsed: %u Ed25519, %u ECDSA P-256, %u "
           "RFC 6962)\n",
           cases, wrong, by_type[1], by_type[2], by_type[5]);
    json_decref(root);
    if (cases != 28)
        printf("WRONG: expected 28 vectors, found %u\n", cases);
    return wrong || cases != 28 ? 1 : 0;
}
