/* sign_bench.c - signatures per second through hsm/, beside a raw C_Sign
 * loop on the same SoftHSM2 token in the same run (the ceiling).
 *
 *   bench/sign_bench [seconds-per-measurement]   (default 1; 3 rounds each)
 *
 * Makes a throwaway SoftHSM2 token under /tmp, ECDSA P-256 and RSA-2048
 * keys, then measures one thread and two threads for each. The raw loop is
 * the only code outside hsm/ that calls PKCS#11: it is the peer we compare
 * against, so it must not go through our code. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "mh_hsm.h"
#include "../tests/common/test_hsm_sign.h"
#include "../tests/unit/softhsm_fixture.h"

static double seconds = 1.0;
static CK_FUNCTION_LIST_PTR f;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct job {
    bool raw;
    mh_hsm_key *key;
    const char *label;
    CK_MECHANISM_TYPE mech;
    long count;
    int err;
};

static CK_OBJECT_HANDLE raw_find(CK_SESSION_HANDLE s, const char *label)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls},
                        {CKA_LABEL, (void *)(uintptr_t)label, strlen(label)}};
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_ULONG n = 0;
    f->C_FindObjectsInit(s, t, 2);
    f->C_FindObjects(s, &h, 1, &n);
    f->C_FindObjectsFinal(s);
    return n == 1 ? h : CK_INVALID_HANDLE;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    uint8_t d[32], sig[MH_SIG_MAX];
    /* RSA PKCS#1 v1.5 over a SHA-256 DigestInfo, as hsm/ builds it */
    static const uint8_t di_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    uint8_t di[sizeof di_prefix + 32];
    memset(d, 0x5a, sizeof d);
    memcpy(di, di_prefix, sizeof di_prefix);
    memcpy(di + sizeof di_prefix, d, 32);
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    if (j->raw) {
        CK_SLOT_ID slots[8];
        CK_ULONG ns = 8;
        f->C_GetSlotList(CK_TRUE, slots, &ns);
        for (CK_ULONG i = 0; i < ns && h == CK_INVALID_HANDLE; i++) {
            if (s != CK_INVALID_HANDLE)
                f->C_CloseSession(s);
            if (f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK)
                h = raw_find(s, j->label);
        }
        if (h == CK_INVALID_HANDLE) {
            j->err = 1;
            return NULL;
        }
    }
    double end = now() + seconds;
    long n = 0;
    while (now() < end) {
        for (int k = 0; k < 16; k++) {
            if (j->raw) {
                CK_MECHANISM m = {j->mech, NULL, 0};
                CK_ULONG sl = sizeof sig;
                bool rsa = j->mech == CKM_RSA_PKCS;
                if (f->C_SignInit(s, &m, h) != CKR_OK ||
                    f->C_Sign(s, rsa ? di : d, rsa ? sizeof di : sizeof d, sig, &sl) != CKR_OK)
                    j->err = 1;
            } else {
                size_t sl;
                if (hsm_sign_digest(j->key, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, sig, sizeof sig,
                                    &sl) != 0)
                    j->err = 1;
            }
            n++;
        }
    }
    j->count = n;
    if (j->raw)
        f->C_CloseSession(s);
    return NULL;
}

static double measure(bool raw, mh_hsm_key *key, const char *label, CK_MECHANISM_TYPE mech,
                      int threads)
{
    pthread_t th[2];
    struct job jobs[2];
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct job){raw, key, label, mech, 0, 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].err) {
            fprintf(stderr, "sign_bench: a signature failed\n");
            exit(1);
        }
        total += jobs[i].count;
    }
    return (double)total / (now() - t0);
}

static double median3(const double v[3])
{
    double a = v[0], b = v[1], c = v[2];
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b > c)
        b = c;
    return a > b ? a : b;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        seconds = strtod(argv[1], NULL);
    if (seconds <= 0.1 || seconds > 600)
        seconds = 1.0;
    struct fixture fx;
    fx_setup(&fx);
    mh_p11_uri u;
    memset(&u, 0, sizeof u);
    mh_hsm_module *mod = NULL;
    mh_hsm_token *tok = NULL;
    mh_hsm_key *ec = NULL, *rsa = NULL;
    char uri[512];
    int rc = mh_hsm_module_load(&u, NULL, &mod);
    if (!rc)
        rc = mh_hsm_token_init(mod, "bench", "12345678", "1234", NULL);
    snprintf(uri, sizeof uri, "pkcs11:token=bench?pin-source=file:%s", fx.pinfile);
    if (!rc)
        rc = mh_p11_uri_parse(uri, &u);
    if (!rc)
        rc = mh_hsm_token_open(mod, &u, &tok);
    if (!rc)
        rc = mh_hsm_login(tok);
    if (!rc)
        rc = mh_hsm_key_generate(tok, MH_KEY_EC_P256, "ec", NULL, 0, &ec);
    if (!rc)
        rc = mh_hsm_key_generate(tok, MH_KEY_RSA_2048, "rsa", NULL, 0, &rsa);
    if (rc) {
        fprintf(stderr, "sign_bench: %s\n", mh_err_message(rc));
        return 1;
    }
    /* the same module, already initialised and logged in by hsm/ */
    void *dl = dlopen(mh_hsm_module_path(mod), RTLD_NOW | RTLD_NOLOAD);
    CK_C_GetFunctionList gfl;
    *(void **)&gfl = dl ? dlsym(dl, "C_GetFunctionList") : NULL;
    if (!gfl || gfl(&f) != CKR_OK) {
        fprintf(stderr, "sign_bench: cannot reach the module\n");
        return 1;
    }
    printf("signatures per second, SoftHSM2 %s, %.1f s per figure\n", mh_hsm_module_path(mod),
           seconds);
    printf("%-16s %8s %12s %12s %7s\n", "key", "threads", "raw C_Sign", "mohur hsm/", "ratio");
    struct {
        const char *name;
        mh_hsm_key *key;
        const char *label;
        CK_MECHANISM_TYPE mech;
    } rows[] = {{"ECDSA P-256", ec, "ec", CKM_ECDSA}, {"RSA-2048", rsa, "rsa", CKM_RSA_PKCS}};
    /* raw and ours alternate, three rounds each; the median of each is
     * printed, so a burst of load elsewhere does not decide the ratio */
    for (size_t r = 0; r < 2; r++) {
        for (int t = 1; t <= 2; t++) {
            double raw[3], ours[3];
            for (int k = 0; k < 3; k++) {
                raw[k] = measure(true, NULL, rows[r].label, rows[r].mech, t);
                ours[k] = measure(false, rows[r].key, rows[r].label, rows[r].mech, t);
            }
            double rm = median3(raw), om = median3(ours);
            printf("%-16s %8d %12.0f %12.0f %7.2f\n", rows[r].name, t, rm, om, om / rm);
            fflush(stdout);
        }
    }
    dlclose(dl);
    mh_hsm_key_free(ec);
    mh_hsm_key_free(rsa);
    mh_p11_uri_free(&u);
    mh_hsm_module_unload(mod);
    fx_teardown(&fx);
    return 0;
}
