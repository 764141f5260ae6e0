/* cms_bench.c - CMS SignedData sign and verify per second (pki/cms/cms.c),
 * ECDSA P-256 with a software key, beside the openssl CLI doing the same
 * work in the same run.
 *
 * Usage: cms_bench KEY.pem CERT.pem CA.pem [SECONDS]
 * (make them with openssl; see bench/README.md). The openssl figures time N
 * runs of `openssl cms -sign` / `-verify` (one process each, so they
 * include process start-up and reading the files; the output says so). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/pem.h>
#include <mbedtls/pk.h>

#include "mh_pki.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *read_pem_cert(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    static char text[65536];
    if (!f)
        return NULL;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    mbedtls_pem_context pem;
    size_t used;
    mbedtls_pem_init(&pem);
    if (mbedtls_pem_read_buffer(&pem, "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----",
                                (const unsigned char *)text, NULL, 0, &used)) {
        mbedtls_pem_free(&pem);
        return NULL;
    }
    uint8_t *der = malloc(pem.buflen);
    if (der)
        memcpy(der, pem.buf, pem.buflen);
    *len = pem.buflen;
    mbedtls_pem_free(&pem);
    return der;
}

static double openssl_rate(const char *cmd, int n)
{
    double t0 = now();
    for (int i = 0; i < n; i++)
        if (system(cmd) != 0)
            return -1;
    return n / (now() - t0);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s KEY.pem CERT.pem CA.pem [SECONDS]\n", argv[0]);
        return 2;
    }
    double secs = argc > 4 ? strtod(argv[4], NULL) : 2.0;
    if (secs <= 0 || secs > 60)
        secs = 2.0;
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    if (mbedtls_pk_parse_keyfile(&pk, argv[1], NULL)) {
        fprintf(stderr, "cms_bench: cannot read the key %s\n", argv[1]);
        return 1;
    }
    size_t cert_len = 0;
    uint8_t *cert = read_pem_cert(argv[2], &cert_len);
    if (!cert) {
        fprintf(stderr, "cms_bench: cannot read the certificate %s\n", argv[2]);
        return 1;
    }
    static const uint8_t content[1024] = {1};
    static uint8_t out[16384];
    size_t out_len = 0;
    mh_pki_soft_signer soft;
    if (mh_pki_soft_signer_init(&soft, &pk, MH_SIG_AUTO)) {
        fprintf(stderr, "cms_bench: the key cannot sign: %s\n", mh_err_message(MH_ERR_KEY_TYPE));
        return 1;
    }
    mh_cms_signer s;
    memset(&s, 0, sizeof s);
    s.key = &soft.signer;
    s.cert = cert;
    s.cert_len = cert_len;
    s.md = MBEDTLS_MD_SHA256;
    s.flags = MH_CMS_DETACHED;
    s.signing_time = (int64_t)time(NULL);

    long n = 0;
    double t0 = now(), t;
    do {
        if (mh_cms_sign(&s, content, sizeof content, out, sizeof out, &out_len)) {
            fprintf(stderr, "cms_bench: signing failed: %s\n", mh_err_message(MH_ERR_INTERNAL));
            return 1;
        }
        n++;
    } while ((t = now() - t0) < secs);
    double sign_rate = (double)n / t;

    static mh_cms_result res;
    n = 0;
    t0 = now();
    do {
        if (mh_cms_verify(out, out_len, content, sizeof content, NULL, &res)) {
            fprintf(stderr, "cms_bench: verification failed\n");
            return 1;
        }
        n++;
    } while ((t = now() - t0) < secs);
    double verify_rate = (double)n / t;

    /* openssl CLI over the same kind of input, in the same run */
    FILE *f = fopen("/tmp/cms_bench.content", "wb");
    if (!f || fwrite(content, 1, sizeof content, f) != sizeof content || fclose(f)) {
        fprintf(stderr, "cms_bench: cannot write /tmp/cms_bench.content\n");
        return 1;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "openssl cms -sign -binary -md sha256 -signer '%s' -inkey '%s' "
             "-in /tmp/cms_bench.content -outform DER -out /tmp/cms_bench.p7s",
             argv[2], argv[1]);
    double os_sign = openssl_rate(cmd, 20);
    snprintf(cmd, sizeof cmd,
             "openssl cms -verify -binary -inform DER -in /tmp/cms_bench.p7s "
             "-content /tmp/cms_bench.content -CAfile '%s' -out /dev/null 2>/dev/null",
             argv[3]);
    double os_verify = openssl_rate(cmd, 20);
    remove("/tmp/cms_bench.content");
    remove("/tmp/cms_bench.p7s");

    printf("CMS SignedData, detached, 1 KiB content, ECDSA P-256 + SHA-256, one core\n");
    printf("%-44s %10s\n", "operation", "per second");
    printf("%-44s %10.0f\n", "mohur mh_cms_sign (mbedTLS software key)", sign_rate);
    printf("%-44s %10.0f\n", "mohur mh_cms_verify", verify_rate);
    printf("%-44s %10.1f\n", "openssl cms -sign (20 CLI runs, incl. start-up)", os_sign);
    printf("%-44s %10.1f\n", "openssl cms -verify (20 CLI runs, incl. start-up)", os_verify);
    free(cert);
    mbedtls_pk_free(&pk);
    return 0;
}
