/* test_cms_suites.c - the RFC 4134 CMS examples and the asn1crypto CMS/TSP
 * fixtures through pki/'s CMS and TSP code, against the results documented
 * by what the files hold. RFC 4134: 4.2 and 4.5 (BER) are RSA/SHA-1 and
 * verify in legacy mode only; 4.1, 4.3, 4.4, 4.6, 4.7 and 4.10 are signed
 * with DSA (their first signer; the files say dsaWithSHA1), so they are
 * reported as unsupported, never as forged; 4.11 is certs-only.
 * Usage: test_cms_suites TESTDATA_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mh_pki.h"

static int wrong, cases;

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    *len = n;
    return buf;
}

static void expect(const char *name, int got, int want, const char *detail)
{
    cases++;
    if (got != want) {
        wrong++;
        printf("WRONG %-34s got %d, want %d (%s)\n", name, got, want, detail);
    } else {
        printf("ok    %-34s %d (%s)\n", name, got, detail);
    }
}

/* Verifies a CMS file (BER converted first) and returns mh_cms_verify's code. */
static int verify_file(const char *dir, const char *name, const uint8_t *content, size_t clen,
                       unsigned flags, const uint8_t *const *certs, const size_t *cl, size_t cn,
                       char *detail, size_t dcap)
{
    size_t len, dlen;
    uint8_t *in = slurp(dir, name, &len);
    if (!in) {
        snprintf(detail, dcap, "missing file");
        return 999;
    }
    uint8_t *der = malloc(len + len / 2 + 256);
    mh_cms_result *res = calloc(1, sizeof *res);
    int rc = mh_cms_ber_to_der(in, len, der, len + len / 2 + 256, &dlen);
    if (rc == 0) {
        mh_cms_verify_opts o = {flags, certs, cl, cn};
        mh_err_clear();
        rc = mh_cms_verify(der, dlen, content, clen, &o, res);
    }
    snprintf(detail, dcap, "%zu signer(s)%s%s", res->n_signers, rc ? ": " : "",
             rc ? mh_err_message(rc) : "");
    free(in);
    free(der);
    free(res);
    return rc;
}

int main(int argc, char **argv)
{
    char dir[900], detail[300];
    if (argc < 2) {
        fprintf(stderr, "usage: %s TESTDATA\n", argv[0]);
        return 2;
    }
    snprintf(dir, sizeof dir, "%s/cms-rfc4134/rfc4134", argv[1]);
    FILE *probe = fopen(dir, "r");
    if (!probe) {
        printf("NOTE: %s is missing: the RFC 4134 and asn1crypto suites are SKIPPED\n", dir);
        return 77;
    }
    fclose(probe);

    /* the RFC's certificates, offered to the verifier as extra certificates */
    static const char *cert_names[] = {"CarlRSASelf.cer",
                                       "AliceRSASignByCarl.cer",
                                       "BobRSASignByCarl.cer",
                                       "DianeRSASignByCarl.cer",
                                       "CarlDSSSelf.cer",
                                       "AliceDSSSignByCarlNoInherit.cer",
                                       "DianeDSSSignByCarlInherit.cer"};
    const uint8_t *certs[7];
    size_t cl[7], cn = 0;
    for (size_t i = 0; i < 7; i++) {
        uint8_t *c = slurp(dir, cert_names[i], &cl[cn]);
        if (c)
            certs[cn++] = c;
    }
    size_t exlen;
    uint8_t *ex = slurp(dir, "ExContent.bin", &exlen);
    if (!ex) {
        printf("WRONG ExContent.bin missing\n");
        return 1;
    }
    const char *valid[] = {"4.2.bin", "4.5.bin"};
    for (size_t i = 0; i < 2; i++) {
        int rc = verify_file(dir, valid[i], NULL, 0, MH_CMS_LEGACY, certs, cl, cn, detail,
                             sizeof detail);
        expect(valid[i], rc, 0, detail);
    }
    const char *dsa[] = {"4.1.bin", "4.4.bin", "4.6.bin", "4.7.bin", "4.10.bin"};
    for (size_t i = 0; i < 5; i++) {
        int rc =
            verify_file(dir, dsa[i], NULL, 0, MH_CMS_LEGACY, certs, cl, cn, detail, sizeof detail);
        expect(dsa[i], rc, MH_ERR_UNSUPPORTED_ALG, detail);
    }
    expect(
        "4.3.bin (detached DSA, ExContent)",
        verify_file(dir, "4.3.bin", ex, exlen, MH_CMS_LEGACY, certs, cl, cn, detail, sizeof detail),
        MH_ERR_UNSUPPORTED_ALG, detail);
    expect(
        "4.3.bin without its content",
        verify_file(dir, "4.3.bin", NULL, 0, MH_CMS_LEGACY, certs, cl, cn, detail, sizeof detail),
        MH_ERR_UNSUPPORTED_ALG, detail);
    expect(
        "4.11.bin (certs-only)",
        verify_file(dir, "4.11.bin", NULL, 0, MH_CMS_LEGACY, certs, cl, cn, detail, sizeof detail),
        MH_ERR_CMS, detail);
    {
        /* 4.2 with its content changed must fail: flip a byte of eContent */
        size_t n, dl;
        uint8_t *b = slurp(dir, "4.2.bin", &n);
        const uint8_t pat[] = "This is some sample content";
        int rc = 999;
        for (size_t i = 0; b && i + sizeof pat - 1 <= n; i++) {
            if (memcmp(b + i, pat, sizeof pat - 1) == 0) {
                b[i] ^= 1;
                mh_cms_result *res = calloc(1, sizeof *res);
                uint8_t *der = malloc(n + n / 2 + 256);
                mh_cms_verify_opts o = {MH_CMS_LEGACY, certs, cl, cn};
                rc = mh_cms_ber_to_der(b, n, der, n + n / 2 + 256, &dl);
                if (rc == 0)
                    rc = mh_cms_verify(der, dl, NULL, 0, &o, res);
                free(res);
                free(der);
                break;
            }
        }
        free(b);
        expect("4.2.bin with its content changed", rc, MH_ERR_VERIFY_FAILED, "message-digest");
    }
    /* the normal mode refuses SHA-1 and RSA-1024: refused by policy, not
     * "does not verify" */
    expect("4.2.bin in normal mode",
           verify_file(dir, "4.2.bin", NULL, 0, 0, certs, cl, cn, detail, sizeof detail),
           MH_ERR_ALG_REFUSED, detail);
    int r4134 = cases - wrong;
    printf("rfc4134: %d cases, %d wrong\n", cases, wrong);

    /* asn1crypto fixtures */
    int c0 = cases, w0 = wrong;
    snprintf(dir, sizeof dir, "%s/asn1crypto-fixtures/tests/fixtures", argv[1]);
    expect("cms-signed.der (RSA SHA-256)",
           verify_file(dir, "cms-signed.der", NULL, 0, 0, NULL, NULL, 0, detail, sizeof detail), 0,
           detail);
    /* the file ends before the outer SEQUENCE's end-of-contents octets */
    expect("cms-signed-indefinite-length.der (truncated BER)",
           verify_file(dir, "cms-signed-indefinite-length.der", NULL, 0, 0, NULL, NULL, 0, detail,
                       sizeof detail),
           MH_ERR_PARSE, detail);
    static const char *other[] = {"cms-compressed.der", "cms-digested.der", "cms-encrypted.der",
                                  "cms-enveloped.der"};
    for (size_t i = 0; i < 4; i++)
        expect(other[i],
               verify_file(dir, other[i], NULL, 0, 0, NULL, NULL, 0, detail, sizeof detail),
               MH_ERR_CMS, detail);
    {
        size_t n;
        uint8_t *b = slurp(dir, "cms-signed-digested.der", &n);
        int rc = b ? 0 : 999;
        if (b) {
            /* SignedData over a DigestedData without signed attributes: RFC 5652
             * 5.3 requires them for any content type but id-data */
            rc = verify_file(dir, "cms-signed-digested.der", NULL, 0, 0, NULL, NULL, 0, detail,
                             sizeof detail);
            free(b);
        }
        expect("cms-signed-digested.der", rc, MH_ERR_VERIFY_FAILED, detail);
    }
    {
        size_t n;
        mh_tsp_req r;
        uint8_t *b = slurp(dir, "tsp_request", &n);
        int rc = b ? mh_tsp_req_parse(b, n, &r) : 999;
        expect("tsp_request (SHA-1: badAlg)", rc, MH_ERR_UNSUPPORTED_ALG, "our TSA refuses SHA-1");
        free(b);
        mh_tsp_info info, ti;
        b = slurp(dir, "tsp_response", &n);
        rc = b ? mh_tsp_resp_parse(b, n, &info) : 999;
        expect("tsp_response parses", rc, 0, "status granted");
        if (rc == 0) {
            expect("tsp_response status", info.status, 0, "granted");
            mh_cms_result *res = calloc(1, sizeof *res);
            mh_cms_verify_opts o = {MH_CMS_LEGACY | MH_CMS_NO_TST, NULL, NULL, 0};
            rc = mh_cms_verify(info.token, info.token_len, NULL, 0, &o, res);
            snprintf(detail, sizeof detail, "%s",
                     rc ? mh_err_message(rc) : "token signature valid");
            /* the token carries no certificate: its signer cannot be found */
            expect("tsp_response token (no TSA cert)", rc, MH_ERR_VERIFY_FAILED, detail);
            rc = res->content ? mh_tsp_tstinfo_parse(res->content, res->content_len, &ti) : 999;
            expect("tsp_response TSTInfo", rc, 0, "parsed");
            if (rc == 0)
                expect("tsp_response TSTInfo is SHA-1", (int)ti.md, (int)MBEDTLS_MD_SHA1,
                       "imprint");
            free(res);
        }
        free(b);
    }
    printf("asn1crypto: %d cases, %d wrong\n", cases - c0, wrong - w0);
    printf("total: %d cases, %d wrong (rfc4134 ok %d)\n", cases, wrong, r4134);
    for (size_t i = 0; i < cn; i++)
        free((void *)certs[i]);
    free(ex);
    return wrong ? 1 : 0;
}
