/* curl_lazy.c - libcurl through dlopen on first use (curl_lazy.h). */
#include "curl_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "mh_common.h"

#define CURL_SONAME "libcurl.so.4"

struct mh_curl_fns mh_curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_err[256];

static void load(void)
{
    void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(load_err, sizeof load_err, "%s", e ? e : "not found");
        load_rc = MH_ERR_UNSUPPORTED;
        return;
    }
    struct mh_curl_fns f;
    /* POSIX: a function pointer may be copied out of dlsym's void * */
    *(void **)&f.easy_init = dlsym(h, "curl_easy_init");
    *(void **)&f.easy_setopt = dlsym(h, "curl_easy_setopt");
    *(void **)&f.easy_perform = dlsym(h, "curl_easy_perform");
    *(void **)&f.easy_getinfo = dlsym(h, "curl_easy_getinfo");
    *(void **)&f.easy_cleanup = dlsym(h, "curl_easy_cleanup");
    *(void **)&f.easy_strerror = dlsym(h, "curl_easy_strerror");
    if (!f.easy_init || !f.easy_setopt || !f.easy_perform || !f.easy_getinfo || !f.easy_cleanup ||
        !f.easy_strerror) {
        snprintf(load_err, sizeof load_err, "%s lacks a function mohur uses", CURL_SONAME);
        load_rc = MH_ERR_UNSUPPORTED;
        dlclose(h);
        return;
    }
    mh_curl = f; /* the handle stays open for the process */
    load_rc = 0;
}

int mh_curl_load(void)
{
    pthread_once(&once, load);
    if (load_rc)
        mh_err_set(load_rc,
                   "libcurl cannot be loaded (%s): reaching a mirror or witness over http(s) "
                   "needs it; install the package libcurl4",
                   load_err);
    return load_rc;
}
