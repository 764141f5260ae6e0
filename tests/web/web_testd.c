/*
 * web_testd.c - the test server for the verification page until mohurd
 * serves it: a thin libmicrohttpd shell over the real renderer (mh_web)
 * and a read-only appliance (mh_app). It does what mohurd's front process
 * does for these routes and nothing else: take the request's method, path,
 * query and headers, call mh_web_handle, send its answer.
 *
 *   web_testd --state DIR [--port N] [--public-host HOST] [--port-file F]
 *
 * Listens on 127.0.0.1 only (port 0: any free one, written to --port-file),
 * in the foreground, until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "mh_app.h"
#include "mh_web.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **state)
{
    mh_web *w = cls;
    mh_web_response res;
    struct MHD_Response *r;
    char query[64] = "";
    (void)version;
    (void)upload;
    if (*upload_len) /* no bodies here */
        return MHD_NO;
    if (!*state) { /* the first call carries only the headers */
        *state = w;
        return MHD_YES;
    }
    const char *lang = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    if (lang)
        snprintf(query, sizeof query, "lang=%.16s", lang);
    mh_web_request req = {
        .method = method,
        .path = url,
        .query = lang ? query : NULL,
        .host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
        .accept_language =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE),
        .cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE),
        .if_none_match =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
    };
    if (!mh_web_route(url)) {
        static const char nf[] = "not found\n";
        r = MHD_create_response_from_buffer(sizeof nf - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ok = MHD_queue_response(c, 404, r);
        MHD_destroy_response(r);
        return ok;
    }
    if (mh_web_handle(w, &req, &res) != 0) {
        fprintf(stderr, "web_testd: %s: %s\n", url, mh_err_message(MH_ERR_INTERNAL));
        return MHD_NO;
    }
    r = MHD_create_response_from_buffer(res.body_len, (void *)res.body, MHD_RESPMEM_MUST_COPY);
    for (size_t i = 0; r && i < res.nheaders; i++)
        MHD_add_response_header(r, res.headers[i].name, res.headers[i].value);
    enum MHD_Result ok = r ? MHD_queue_response(c, res.status, r) : MHD_NO;
    if (r)
        MHD_destroy_response(r);
    mh_web_response_free(&res);
    return ok;
}

int main(int argc, char **argv)
{
    const char *state = NULL, *port_file = NULL, *public_host = NULL;
    unsigned long port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--state") == 0)
            state = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
        else if (strcmp(argv[i], "--public-host") == 0)
            public_host = argv[i + 1];
        else {
            fprintf(stderr, "web_testd: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!state || port > 65535) {
        fprintf(stderr, "usage: web_testd --state DIR [--port N] [--public-host HOST] "
                        "[--port-file FILE]\n");
        return 2;
    }
    mh_app *a = NULL;
    mh_web *w = NULL;
    int rc = mh_app_open_ex(state, MH_APP_READ_ONLY, &a);
    if (rc) {
        fprintf(stderr, "web_testd: opening %s: %s\n", state, mh_err_message(rc));
        return 1;
    }
    mh_web_opts o = {.public_host = public_host};
    if ((rc = mh_web_open(a, &o, &w)) != 0) {
        fprintf(stderr, "web_testd: %s\n", mh_err_message(rc));
        mh_app_close(a);
        return 1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
                                            NULL, NULL, answer, w, MHD_OPTION_SOCK_ADDR,
                                            (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT,
                                            10u, MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "web_testd: cannot listen on 127.0.0.1:%lu\n", port);
        mh_web_close(w);
        mh_app_close(a);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info ? info->port : (unsigned)port;
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", bound) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
            fprintf(stderr, "web_testd: writing %s: %s\n", port_file, strerror(errno));
            MHD_stop_daemon(d);
            mh_web_close(w);
            mh_app_close(a);
            return 1;
        }
    }
    fprintf(stderr, "web_testd: listening on http://127.0.0.1:%u/\n", bound);
    struct sigaction sg;
    memset(&sg, 0, sizeof sg);
    sg.sa_handler = on_signal;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    sigaction(SIGTERM, &sg, NULL);
    sigaction(SIGINT, &sg, NULL);
    while (!stop)
        sigsuspend(&old);
    MHD_stop_daemon(d);
    mh_web_close(w);
    mh_app_close(a);
    return 0;
}
