/* module.c - loading PKCS#11 modules: by path, by p11-kit registry name,
 * only from allowed directories. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsm_internal.h"

#define DEFAULT_MODULE_NAME "softhsm2"
#define DEFAULT_MODULE_DIRS "/usr/lib:/usr/lib64:/usr/local/lib"

/* p11-kit's registry: system config first, then the packaged one. */
static const char *const registry_dirs[] = {"/etc/pkcs11/modules", "/usr/share/p11-kit/modules"};
/* Where p11-kit looks for a module given without a directory. */
static const char *const module_base_dirs[] = {"/usr/lib/x86_64-linux-gnu/pkcs11",
                                               "/usr/lib/pkcs11", "/usr/lib64/pkcs11"};

static bool valid_name(const char *name)
{
    if (!*name || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return name[0] != '.';
}

/* Reads "module: PATH" from a p11-kit .module file. */
static int registry_lookup(const char *name, char *path, size_t cap)
{
    if (!valid_name(name)) {
        mh_err_set(MH_ERR_MODULE_LOAD, "'%s' is not a valid PKCS#11 module name", name);
        return MH_ERR_MODULE_LOAD;
    }
    for (size_t i = 0; i < sizeof registry_dirs / sizeof registry_dirs[0]; i++) {
        char file[PATH_MAX];
        snprintf(file, sizeof file, "%s/%s.module", registry_dirs[i], name);
        FILE *f = fopen(file, "r");
        if (!f)
            continue;
        char line[1024];
        int found = 0;
        while (fgets(line, sizeof line, f)) {
            char *p = line;
            while (*p == ' ' || *p == '\t')
                p++;
            if (strncmp(p, "module:", 7) != 0)
                continue;
            p += 7;
            while (*p == ' ' || *p == '\t')
                p++;
            p[strcspn(p, "\r\n")] = '\0';
            size_t n = strlen(p);
            while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                p[--n] = '\0';
            if (!n)
                break;
            if (p[0] == '/') {
                snprintf(path, cap, "%s", p);
                found = 1;
            } else {
                for (size_t j = 0; j < sizeof module_base_dirs / sizeof module_base_dirs[0]; j++) {
                    snprintf(path, cap, "%s/%s", module_base_dirs[j], p);
                    if (access(path, R_OK) == 0) {
                        found = 1;
                        break;
                    }
                }
            }
            break;
        }
        fclose(f);
        if (found)
            return 0;
    }
    mh_err_set(MH_ERR_MODULE_LOAD,
               "no PKCS#11 module named '%s' is registered with p11-kit (looked in "
               "/etc/pkcs11/modules and /usr/share/p11-kit/modules); give module-path= instead",
               name);
    return MH_ERR_MODULE_LOAD;
}

/* Is the resolved path inside one of the allowed directories? */
static bool allowed(const char *real, const char *dirs)
{
    const char *p = dirs;
    while (*p) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0 && n < PATH_MAX) {
            char dir[PATH_MAX], rdir[PATH_MAX];
            memcpy(dir, p, n);
            dir[n] = '\0';
            if (realpath(dir, rdir)) {
                size_t m = strlen(rdir);
                if (strncmp(real, rdir, m) == 0 && (real[m] == '/' || (m == 1 && rdir[0] == '/')))
                    return true;
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

const char *mh_hsm_module_path(const mh_hsm_module *mod)
{
    return mod->path;
}

int mh_hsm_module_load(const mh_p11_uri *uri, const mh_hsm_config *cfg, mh_hsm_module **out)
{
    int ret = MH_ERR_MODULE_LOAD;
    mh_hsm_module *mod = NULL;
    char path[PATH_MAX], real[PATH_MAX];
    *out = NULL;

    if (uri && uri->module_path) {
        snprintf(path, sizeof path, "%s", uri->module_path);
    } else {
        const char *name = uri && uri->module_name ? uri->module_name : DEFAULT_MODULE_NAME;
        ret = registry_lookup(name, path, sizeof path);
        if (ret && !(uri && uri->module_name)) {
            /* the embedded default, even without p11-kit's registry file */
            snprintf(path, sizeof path, "/usr/lib/softhsm/libsofthsm2.so");
            ret = 0;
        }
        if (ret)
            return ret;
        ret = MH_ERR_MODULE_LOAD;
    }
    if (!realpath(path, real)) {
        mh_err_set(MH_ERR_MODULE_LOAD, "the PKCS#11 module '%s' does not exist", path);
        return MH_ERR_MODULE_LOAD;
    }
    const char *dirs = cfg && cfg->module_dirs ? cfg->module_dirs : getenv("MOHUR_MODULE_DIRS");
    if (!dirs || !*dirs)
        dirs = DEFAULT_MODULE_DIRS;
    if (!allowed(real, dirs)) {
        mh_err_set(MH_ERR_MODULE_NOT_ALLOWED,
                   "the PKCS#11 module '%s' is outside the allowed directories (%s); install it "
                   "there or add its directory to MOHUR_MODULE_DIRS",
                   real, dirs);
        return MH_ERR_MODULE_NOT_ALLOWED;
    }

    mod = calloc(1, sizeof *mod);
    if (!mod)
        return MH_ERR_NOMEM;
    pthread_mutex_init(&mod->lock, NULL);
    if (cfg)
        mod->cfg = *cfg;
    mod->cfg.module_dirs = NULL; /* not kept: the caller owns the string */
    if (!mod->cfg.pool_max)
        mod->cfg.pool_max = 8;
    if (!mod->cfg.prompt)
        mod->cfg.prompt = mh_hsm_prompt_tty;
    mod->path = strdup(real);
    if (!mod->path) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    mod->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!mod->dl) {
        const char *e = dlerror();
        mh_err_set(ret, "the PKCS#11 module '%s' could not be loaded: %s", real, e ? e : "?");
        goto out;
    }
    CK_C_GetFunctionList gfl;
    *(void **)&gfl = dlsym(mod->dl, "C_GetFunctionList");
    if (!gfl) {
        mh_err_set(ret, "'%s' is not a PKCS#11 module (no C_GetFunctionList)", real);
        goto out;
    }
    CK_RV rv = gfl(&mod->f);
    if (rv != CKR_OK || !mod->f) {
        ret = mh_p11_err(rv, "reading the module's function list");
        if (!ret)
            ret = MH_ERR_MODULE_LOAD;
        goto out;
    }
    CK_C_INITIALIZE_ARGS args;
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    rv = mod->f->C_Initialize(&args);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        mh_err_set(ret, "the PKCS#11 module '%s' is already in use in this process", real);
        mod->f = NULL; /* someone else owns it: never finalize it */
        goto out;
    }
    if (rv != CKR_OK) {
        char doing[PATH_MAX + 32];
        snprintf(doing, sizeof doing, "starting the PKCS#11 module '%s'", real);
        ret = mh_p11_err(rv, doing);
        if (!ret)
            ret = MH_ERR_MODULE_LOAD;
        mod->f = NULL;
        goto out;
    }
    *out = mod; /* transferred */
    mod = NULL;
    ret = 0;
out:
    if (mod) {
        if (mod->dl)
            dlclose(mod->dl);
        free(mod->path);
        pthread_mutex_destroy(&mod->lock);
        free(mod);
    }
    return ret;
}

void mh_hsm_module_unload(mh_hsm_module *mod)
{
    if (!mod)
        return;
    while (mod->tokens)
        mh_hsm_token_close(mod->tokens);
    if (mod->f)
        mod->f->C_Finalize(NULL);
    /* SoftHSM2 and OpenSC register atexit handlers and thread keys; leave
     * the code mapped so those stay valid until the process exits. */
    free(mod->path);
    pthread_mutex_destroy(&mod->lock);
    free(mod);
}
