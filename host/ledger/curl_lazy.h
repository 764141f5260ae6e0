/* curl_lazy.h - internal to host/ledger: libcurl, loaded the first time a
 * mirror or a witness is reached over http(s).
 *
 * Linking libcurl pulls about twenty libraries into every mohur process
 * (Kerberos, LDAP, SSH, RTMP, ...), and the dynamic loader's relocations
 * of them cost every `mohur verify` a few milliseconds of CPU although
 * verifying never fetches anything (docs/performance.md). So libcurl is
 * opened with dlopen on first use; the package depends on it by name
 * (packaging/CMakeLists.txt). */
#ifndef MH_CURL_LAZY_H
#define MH_CURL_LAZY_H

#include <curl/curl.h>

struct mh_curl_fns {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
};

/* Filled by mh_curl_load(); use only after it returned 0. */
extern struct mh_curl_fns mh_curl;

/* Opens libcurl once per process (thread-safe). 0, or MH_ERR_UNSUPPORTED
 * with a sentence saying it cannot be loaded and what to install. */
int mh_curl_load(void);

#endif
