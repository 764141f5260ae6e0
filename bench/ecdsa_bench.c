/* ecdsa_bench.c - ECDSA P-256 verifications per second through pki/sig, the
 * one verifier (strict checks in front, then the backend), beside
 * `openssl speed ecdsap256` run in the same program (issue 15: at least 0.8
 * of its verify rate).
 *
 *   ecdsa_bench [SECONDS]      (default 3 per round; 3 rounds, medians)
 *
 * Like `openssl speed`, which divides by the CPU time of its process unless
 * given -elapsed, our rate is verifications per CPU second of this
 * process, so a busy second core moves both figures the same way. Rounds
 * alternate: openssl, then each backend of ours. The signature is DER, the
 * hash SHA-256, the key parsed once from its SPKI (as openssl speed keeps
 * its EVP_PKEY). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "mh_pki.h"

#define ROUNDS 3

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* `openssl speed -seconds S ecdsap256`: the verify/s column of its last
 * line; -1 when it cannot be run. */
static double openssl_speed(long secs)
{
    char cmd[128], line[512], last[512] = "";
    snprintf(cmd, sizeof cmd, "openssl speed -seconds %ld ecdsap256 2>/dev/null", secs);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p))
        if (strstr(line, "nistp256"))
            snprintf(last, sizeof last, "%s", line);
    if (pclose(p) != 0 || !last[0])
        return -1;
    /* " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  48305.9  16151.1" */
    char *end = last + strlen(last);
    while (end > last && (end[-1] == '\n' || end[-1] == ' '))
        *--end = '\0';
    char *sp = strrchr(last, ' ');
    return sp ? strtod(sp + 1, NULL) : -1;
}

static double ours(const mh_pki_pubkey *key, const uint8_t *hash, const uint8_t *sig, size_t sl,
                   double secs)
{
    long n = 0;
    double t0 = cpu_now(), t;
    do {
        for (int i = 0; i < 64; i++) {
            if (mh_pki_verify_hash(key, MH_SIG_ECDSA, MH_SIG_DER, MBEDTLS_MD_SHA256, hash, 32, sig,
                                   sl, NULL) != 0) {
                fprintf(stderr, "ecdsa_bench: a valid signature did not verify\n");
                exit(1);
            }
        }
        n += 64;
        t = cpu_now() - t0;
    } while (t < secs);
    return (double)n / t;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof v[0], cmp_d);
    return v[ROUNDS / 2];
}

int main(int argc, char **argv)
{
    long secs = argc > 1 ? strtol(argv[1], NULL, 10) : 3;
    mbedtls_pk_context pk;
    uint8_t spki[200], hash[32], sig[MBEDTLS_ECDSA_MAX_LEN];
    size_t sl = 0;
    static mh_pki_pubkey key;
    const mh_pki_ecdsa_backend *backends[] = {
#ifdef MH_PKI_HAVE_OPENSSL
        &mh_pki_ecdsa_backend_openssl,
#endif
        &mh_pki_ecdsa_backend_mbedtls};
    enum { NB = sizeof backends / sizeof backends[0] };
    double peer[ROUNDS], mine[NB][ROUNDS];

    if (secs < 1 || secs > 60) {
        fprintf(stderr, "usage: ecdsa_bench [SECONDS per round, 1-60]\n");
        return 2;
    }
    mbedtls_pk_init(&pk);
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mh_rng_mbedtls, NULL) ||
        mbedtls_sha256_ret((const uint8_t *)"mohur", 5, hash, 0) ||
        mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, &sl, mh_rng_mbedtls, NULL)) {
        fprintf(stderr, "ecdsa_bench: cannot make a key and a signature\n");
        return 1;
    }
    int l = mbedtls_pk_write_pubkey_der(&pk, spki, sizeof spki);
    if (l <= 0 || mh_pki_spki_parse(spki + sizeof spki - l, (size_t)l, &key) != 0) {
        fprintf(stderr, "ecdsa_bench: cannot parse the key\n");
        return 1;
    }
    for (int r = 0; r < ROUNDS; r++) {
        peer[r] = openssl_speed(secs);
        if (peer[r] < 0) {
            fprintf(stderr, "ecdsa_bench: 'openssl speed ecdsap256' did not run (is the openssl "
                            "CLI installed?)\n");
            return 1;
        }
        for (int b = 0; b < NB; b++) {
            mh_pki_ecdsa_backend_set(backends[b]);
            /* mbedTLS is 20x slower: a shorter run is as precise */
            mine[b][r] = ours(&key, hash, sig, sl, b == 0 ? (double)secs : 1.0);
        }
        mh_pki_ecdsa_backend_set(NULL);
        printf("round %d: openssl speed %.0f/s", r + 1, peer[r]);
        for (int b = 0; b < NB; b++)
            printf(", pki/sig (%s) %.0f/s", backends[b]->name, mine[b][r]);
        printf("\n");
    }
    double p = median(peer);
    printf("\nECDSA P-256 verify, medians of %d rounds (per CPU second, one thread):\n", ROUNDS);
    printf("  openssl speed ecdsap256 verify: %9.0f/s\n", p);
    for (int b = 0; b < NB; b++) {
        double m = median(mine[b]);
        printf("  pki/sig with %-8s backend: %9.0f/s  (%.2f of openssl speed)%s\n",
               backends[b]->name, m, m / p,
               b == 0 && backends[b] == mh_pki_ecdsa_backend_get() ? "  <- the host's default"
                                                                   : "");
    }
    double first = median(mine[0]);
    printf("target (issue 15): at least 0.80 of openssl speed through the default backend: %s\n",
           first / p >= 0.8 && backends[0] == mh_pki_ecdsa_backend_get() ? "met" : "NOT met");
    mbedtls_pk_free(&pk);
    return 0;
}
