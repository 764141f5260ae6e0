/* wycheproof.c - runs pki/sig/sig.c over every Wycheproof signature file we
 * cover (ECDSA DER and P1363 on P-256/P-384/P-521, RSASSA-PKCS1-v1_5,
 * RSASSA-PSS with and without key parameters, and the PKCS#1 signature
 * generation files read as verification vectors).
 *
 *   wycheproof TESTDATA_DIR [-v] [--backend mbedtls|openssl]
 *
 * --backend picks pki/sig's ECDSA backend (pki_sig.h); ctest runs the suite
 * once per backend, so the strict checks in front of each are proven to
 * hold whatever does the arithmetic.
 *
 * Every "invalid" case must be rejected, every "valid" one accepted unless
 * the algorithm is outside our policy (then counted as unsupported, with
 * the reason), and every "acceptable" one rejected by our strict rules.
 * Exit 0 when nothing is wrong, 1 otherwise, 77 when the suite is absent. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <mbedtls/pk.h>

#include "mh_pki.h"

#define MAX_HEX (1u << 20)
#define MAX_FILES 256
#define MAX_REASONS 8

struct tally {
    long cases, valid_ok, invalid_rej, accept_rej, unsupported, wrong;
    long mbedtls_lax; /* invalid DER ECDSA cases mbedTLS alone accepts */
    long legacy;      /* cases outside the policy, checked in legacy mode instead */
};

enum family { FAM_ECDSA, FAM_P1363, FAM_PKCS1, FAM_PSS, FAM_SIGGEN, FAM_N };
static const char *const family_name[FAM_N] = {"ECDSA (DER)", "ECDSA (P1363)", "RSA PKCS#1 v1.5",
                                               "RSA-PSS", "RSA PKCS#1 sig_gen"};

static int verbose;

static int hex_decode(const char *hex, uint8_t **out, size_t *len)
{
    size_t n = strlen(hex);
    if (n / 2 > MAX_HEX)
        return -1;
    uint8_t *b = malloc(n / 2 + 1);
    if (!b)
        return -1;
    if (mh_hex_decode(hex, n, b, n / 2, len) != 0) {
        free(b);
        return -1;
    }
    *out = b;
    return 0;
}

static mbedtls_md_type_t md_of(const char *name)
{
    static const struct {
        const char *name;
        mbedtls_md_type_t md;
    } map[] = {{"SHA-1", MBEDTLS_MD_SHA1},
               {"SHA-224", MBEDTLS_MD_SHA224},
               {"SHA-256", MBEDTLS_MD_SHA256},
               {"SHA-384", MBEDTLS_MD_SHA384},
               {"SHA-512", MBEDTLS_MD_SHA512}};
    for (size_t i = 0; name && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i].name) == 0)
            return map[i].md;
    return MBEDTLS_MD_NONE;
}

static long json_num(json_t *v)
{
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_string(v)) {
        char *end;
        errno = 0;
        long x = strtol(json_string_value(v), &end, 10);
        if (errno == 0 && *end == '\0' && end != json_string_value(v))
            return x;
    }
    return -1;
}

/* Distinct reasons for "unsupported", printed once per file. */
struct reasons {
    char text[MAX_REASONS][200];
    int n;
};

static void note_reason(struct reasons *r, const char *msg)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->text[i], msg) == 0)
            return;
    if (r->n < MAX_REASONS)
        snprintf(r->text[r->n++], sizeof r->text[0], "%s", msg);
}

static void wrong(const char *file, json_t *t, const char *result, int rc)
{
    json_t *flags = json_object_get(t, "flags");
    char *fl = flags ? json_dumps(flags, JSON_COMPACT) : NULL;
    printf("  WRONG %s tcId %ld (%s, %s, \"%s\"): got %d: %s\n", file,
           json_num(json_object_get(t, "tcId")), result, fl ? fl : "[]",
           json_string_value(json_object_get(t, "comment")), rc, mh_err_message(rc));
    free(fl);
}

/* Does mbedTLS on its own accept this DER ECDSA signature? */
static int mbedtls_accepts(const uint8_t *spki, size_t spki_len, mbedtls_md_type_t md,
                           const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
    mbedtls_pk_context pk;
    uint8_t hash[64];
    int ok = 0;
    mbedtls_pk_init(&pk);
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    if (info && mbedtls_pk_parse_public_key(&pk, spki, spki_len) == 0 &&
        mbedtls_md(info, msg, msg_len, hash) == 0 &&
        mbedtls_pk_verify(&pk, md, hash, mbedtls_md_get_size(info), sig, sig_len) == 0)
        ok = 1;
    mbedtls_pk_free(&pk);
    return ok;
}

static int run_group(const char *file, enum family fam, json_t *g, struct tally *tl,
                     struct reasons *rs)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    const char *key_hex = json_string_value(json_object_get(g, "publicKeyDer"));
    if (!key_hex)
        key_hex = json_string_value(json_object_get(g, "keyDer"));
    const char *sha = json_string_value(json_object_get(g, "sha"));
    json_t *tests = json_object_get(g, "tests");
    if (!type || !key_hex || !json_is_array(tests)) {
        printf("  %s: a test group lacks type, key or tests\n", file);
        return -1;
    }
    enum mh_sig_alg alg;
    enum mh_sig_enc enc = MH_SIG_DER;
    int params_from_key = 0;
    if (strcmp(type, "EcdsaVerify") == 0)
        alg = MH_SIG_ECDSA;
    else if (strcmp(type, "EcdsaP1363Verify") == 0) {
        alg = MH_SIG_ECDSA;
        enc = MH_SIG_RAW;
    } else if (strcmp(type, "RsassaPkcs1Verify") == 0 || strcmp(type, "RsassaPkcs1Generate") == 0)
        alg = MH_SIG_RSA_PKCS1;
    else if (strcmp(type, "RsassaPssVerify") == 0)
        alg = MH_SIG_RSA_PSS;
    else if (strcmp(type, "RsassaPssWithParametersVerify") == 0) {
        alg = MH_SIG_RSA_PSS;
        params_from_key = 1;
    } else {
        printf("  %s: unknown test group type %s\n", file, type);
        return -1;
    }
    struct mh_pki_pss_params pss = {0};
    if (alg == MH_SIG_RSA_PSS && !params_from_key) {
        long slen = json_num(json_object_get(g, "sLen"));
        pss.mgf1_md = md_of(json_string_value(json_object_get(g, "mgfSha")));
        if (slen < 0 || pss.mgf1_md == MBEDTLS_MD_NONE ||
            strcmp(json_string_value(json_object_get(g, "mgf")), "MGF1") != 0) {
            printf("  %s: a PSS group has no usable mgf/mgfSha/sLen\n", file);
            return -1;
        }
        pss.salt_len = (size_t)slen;
    }

    uint8_t *spki = NULL;
    size_t spki_len = 0;
    mh_pki_pubkey *key = calloc(1, sizeof *key), *lkey = calloc(1, sizeof *lkey);
    if (!key || !lkey || hex_decode(key_hex, &spki, &spki_len)) {
        free(key);
        free(lkey);
        printf("  %s: bad key hex\n", file);
        return -1;
    }
    int key_rc = mh_pki_spki_parse(spki, spki_len, key);
    const char *key_msg = key_rc ? mh_err_message(key_rc) : NULL;
    char key_reason[200] = "";
    if (key_msg)
        snprintf(key_reason, sizeof key_reason, "%s", key_msg);
    mbedtls_md_type_t md = md_of(sha);
    /* the same key in legacy mode (RSA e >= 3, SHA-1): what the policy
     * refuses is still checked for correctness there */
    int lkey_rc = mh_pki_spki_parse_flags(spki, spki_len, MH_PKI_SPKI_LEGACY, lkey);

    size_t nt = json_array_size(tests);
    for (size_t i = 0; i < nt; i++) {
        json_t *t = json_array_get(tests, i);
        const char *result = json_string_value(json_object_get(t, "result"));
        const char *msg_hex = json_string_value(json_object_get(t, "msg"));
        const char *sig_hex = json_string_value(json_object_get(t, "sig"));
        if (fam == FAM_SIGGEN && result && strcmp(result, "invalid") != 0 &&
            strcmp(result, "valid") != 0 && strcmp(result, "acceptable") != 0)
            result = NULL;
        if (!result || !msg_hex || !sig_hex) {
            printf("  %s: a test lacks result, msg or sig\n", file);
            tl->wrong++;
            continue;
        }
        uint8_t *msg = NULL, *sig = NULL;
        size_t msg_len = 0, sig_len = 0;
        int rc;
        tl->cases++;
        if (hex_decode(msg_hex, &msg, &msg_len) || hex_decode(sig_hex, &sig, &sig_len)) {
            printf("  %s: bad hex in a test\n", file);
            tl->wrong++;
            free(msg);
            continue;
        }
        if (key_rc != 0)
            rc = key_rc;
        else if (md == MBEDTLS_MD_NONE) {
            rc = MH_ERR_UNSUPPORTED_ALG;
            snprintf(key_reason, sizeof key_reason, "hash %s is not in mbedTLS 2.28",
                     sha ? sha : "(none)");
        } else
            rc = mh_pki_verify_msg(key, alg, enc, md, msg, msg_len, sig, sig_len,
                                   alg == MH_SIG_RSA_PSS && !params_from_key ? &pss : NULL);
        int lrc = rc;
        if ((rc == MH_ERR_UNSUPPORTED_ALG || rc == MH_ERR_ALG_REFUSED) && md != MBEDTLS_MD_NONE) {
            lrc = lkey_rc
                      ? lkey_rc
                      : mh_pki_verify_msg(lkey, alg, enc, md, msg, msg_len, sig, sig_len,
                                          alg == MH_SIG_RSA_PSS && !params_from_key ? &pss : NULL);
            if (lrc != MH_ERR_UNSUPPORTED_ALG && lrc != MH_ERR_ALG_REFUSED)
                tl->legacy++;
        }

        if (strcmp(result, "valid") == 0) {
            if (rc == 0)
                tl->valid_ok++;
            else if (rc == MH_ERR_UNSUPPORTED_ALG || rc == MH_ERR_ALG_REFUSED) {
                tl->unsupported++;
                note_reason(rs, key_rc || md == MBEDTLS_MD_NONE ? key_reason : mh_err_message(rc));
            } else {
                tl->wrong++;
                wrong(file, t, result, rc);
            }
        } else if (strcmp(result, "invalid") == 0) {
            if (lrc == 0) {
                tl->wrong++;
                printf("  (in legacy mode)\n");
                wrong(file, t, result, lrc);
            } else if (rc != 0) {
                tl->invalid_rej++;
                if (verbose)
                    printf("  ok %s tcId %ld rejected: %s\n", file,
                           json_num(json_object_get(t, "tcId")), mh_err_message(rc));
            } else {
                tl->wrong++;
                wrong(file, t, result, rc);
            }
            if (alg == MH_SIG_ECDSA && enc == MH_SIG_DER && md != MBEDTLS_MD_NONE &&
                mbedtls_accepts(spki, spki_len, md, msg, msg_len, sig, sig_len))
                tl->mbedtls_lax++;
        } else if (strcmp(result, "acceptable") == 0) {
            if (rc != 0)
                tl->accept_rej++;
            else {
                tl->wrong++;
                wrong(file, t, result, rc);
            }
        } else {
            printf("  %s: unknown result %s\n", file, result);
            tl->wrong++;
        }
        free(msg);
        free(sig);
    }
    free(spki);
    free(key);
    free(lkey);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int starts(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int ends(const char *s, const char *p)
{
    size_t n = strlen(s), m = strlen(p);
    return n >= m && strcmp(s + n - m, p) == 0;
}

/* Which files we run, and as which family; -1 for the others. */
static int family_of(const char *name)
{
    if (!ends(name, "_test.json"))
        return -1;
    if (starts(name, "ecdsa_secp256r1_") || starts(name, "ecdsa_secp384r1_") ||
        starts(name, "ecdsa_secp521r1_"))
        return strstr(name, "_p1363_") ? FAM_P1363 : FAM_ECDSA;
    if (starts(name, "rsa_signature_"))
        return FAM_PKCS1;
    if (starts(name, "rsa_pss_"))
        return FAM_PSS;
    if (starts(name, "rsa_pkcs1_") && ends(name, "_sig_gen_test.json"))
        return FAM_SIGGEN;
    return -1;
}

int main(int argc, char **argv)
{
    char dir[4096], path[8192];
    char *names[MAX_FILES];
    int nfiles = 0, status = 0;
    struct tally fam_total[FAM_N] = {{0}}, all = {0};

    if (argc < 2) {
        fprintf(stderr, "usage: wycheproof TESTDATA_DIR [-v] [--backend mbedtls|openssl]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            const char *b = argv[++i];
            if (strcmp(b, "mbedtls") == 0)
                mh_pki_ecdsa_backend_set(&mh_pki_ecdsa_backend_mbedtls);
#ifdef MH_PKI_HAVE_OPENSSL
            else if (strcmp(b, "openssl") == 0)
                mh_pki_ecdsa_backend_set(&mh_pki_ecdsa_backend_openssl);
#endif
            else {
                fprintf(stderr, "wycheproof: no ECDSA backend '%s' in this build\n", b);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: wycheproof TESTDATA_DIR [-v] [--backend mbedtls|openssl]\n");
            return 2;
        }
    }
    printf("ECDSA backend: %s\n", mh_pki_ecdsa_backend_get()->name);
    snprintf(dir, sizeof dir, "%s/wycheproof/testvectors_v1", argv[1]);
    DIR *dp = opendir(dir);
    if (!dp) {
        printf("NOTE: *** Wycheproof vectors not found at %s: test SKIPPED ***\n", dir);
        return 77;
    }
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (family_of(de->d_name) < 0)
            continue;
        if (nfiles == MAX_FILES) {
            printf("more than %d Wycheproof files; raise MAX_FILES\n", MAX_FILES);
            status = 1;
            break;
        }
        names[nfiles] = strdup(de->d_name);
        if (!names[nfiles])
            return 1;
        nfiles++;
    }
    closedir(dp);
    if (nfiles == 0) {
        printf("no Wycheproof signature files in %s\n", dir);
        return 1;
    }
    qsort(names, (size_t)nfiles, sizeof names[0], cmp_str);

    printf("%-46s %6s %8s %8s %8s %6s %5s\n", "file", "cases", "valid-ok", "inval-rj", "accpt-rj",
           "unsup", "WRONG");
    for (int f = 0; f < nfiles; f++) {
        enum family fam = (enum family)family_of(names[f]);
        struct tally tl = {0};
        struct reasons rs = {.n = 0};
        json_error_t jerr;
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        json_t *root = json_load_file(path, 0, &jerr);
        json_t *groups = root ? json_object_get(root, "testGroups") : NULL;
        if (!json_is_array(groups)) {
            printf("%s: cannot read (%s)\n", names[f], jerr.text);
            status = 1;
            json_decref(root);
            continue;
        }
        for (size_t g = 0; g < json_array_size(groups); g++)
            if (run_group(names[f], fam, json_array_get(groups, g), &tl, &rs) != 0)
                tl.wrong++;
        long declared = json_num(json_object_get(root, "numberOfTests"));
        if (declared >= 0 && declared != tl.cases) {
            printf("  %s: ran %ld cases but the file declares %ld\n", names[f], tl.cases, declared);
            tl.wrong++;
        }
        json_decref(root);
        printf("%-46s %6ld %8ld %8ld %8ld %6ld %5ld\n", names[f], tl.cases, tl.valid_ok,
               tl.invalid_rej, tl.accept_rej, tl.unsupported, tl.wrong);
        for (int i = 0; i < rs.n; i++)
            printf("    unsupported: %s\n", rs.text[i]);
        if (tl.legacy)
            printf(
                "    legacy mode (RSA e >= 3, SHA-1) checked %ld of the cases outside the policy "
                "correctly\n",
                tl.legacy);
        if (tl.mbedtls_lax)
            printf("    (mbedTLS 2.28 alone accepts %ld of these invalid signatures)\n",
                   tl.mbedtls_lax);
        struct tally *ft = &fam_total[fam];
        ft->cases += tl.cases;
        ft->valid_ok += tl.valid_ok;
        ft->invalid_rej += tl.invalid_rej;
        ft->accept_rej += tl.accept_rej;
        ft->unsupported += tl.unsupported;
        ft->wrong += tl.wrong;
        ft->mbedtls_lax += tl.mbedtls_lax;
        ft->legacy += tl.legacy;
        free(names[f]);
    }
    printf("\nper family:\n");
    for (int f = 0; f < FAM_N; f++) {
        struct tally *ft = &fam_total[f];
        printf("  %-20s %6ld cases: %5ld valid accepted, %5ld invalid rejected, %3ld acceptable "
               "rejected, %3ld unsupported, %ld wrong",
               family_name[f], ft->cases, ft->valid_ok, ft->invalid_rej, ft->accept_rej,
               ft->unsupported, ft->wrong);
        if (ft->legacy)
            printf(" (legacy mode: %ld checked)", ft->legacy);
        if (f == FAM_ECDSA)
            printf(" (mbedTLS alone: %ld invalid accepted)", ft->mbedtls_lax);
        printf("\n");
        all.cases += ft->cases;
        all.wrong += ft->wrong;
        all.unsupported += ft->unsupported;
        all.accept_rej += ft->accept_rej;
    }
    printf("wycheproof: %ld cases, %ld wrong (%d files; %ld acceptable rejected as strict, %ld "
           "unsupported)\n",
           all.cases, all.wrong, nfiles, all.accept_rej, all.unsupported);
    return status || all.wrong ? 1 : 0;
}
