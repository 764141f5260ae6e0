/* serve.c - the witness over HTTP with libmicrohttpd: POST /add-checkpoint
 * only, bodies capped (413 before reading, as libmicrohttpd does not cap
 * them), a thread pool, a connection limit and timeouts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "mh_witness.h"

struct req {
    char *body;
    size_t len;
    bool too_big;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *text, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_size, void **con_cls)
{
    mh_witness *w = cls;
    struct req *q = *con_cls;
    (void)version;
    if (!q) {
        const char *cl;
        if (strcmp(url, "/add-checkpoint") != 0)
            return reply(c, 404, "text/plain", "not found\n", 10);
        if (strcmp(method, "POST") != 0)
            return reply(c, 405, "text/plain", "use POST\n", 9);
        if (!(q = calloc(1, sizeof *q)))
            return MHD_NO;
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > MH_WITNESS_MAX_REQUEST)
            q->too_big = true;
        *con_cls = q;
        return MHD_YES;
    }
    if (*data_size) {
        if (!q->too_big && q->len + *data_size <= MH_WITNESS_MAX_REQUEST) {
            char *nb = realloc(q->body, q->len + *data_size + 1);
            if (!nb)
                return MHD_NO;
            q->body = nb;
            memcpy(q->body + q->len, data, *data_size);
            q->len += *data_size;
        } else {
            q->too_big = true;
        }
        *data_size = 0;
        return MHD_YES;
    }
    if (q->too_big)
        return reply(c, 413, "text/plain", "request too large\n", 18);
    {
        char resp[2048];
        size_t rl = 0;
        unsigned status = 500;
        int rc = mh_witness_add_checkpoint(w, q->body ? q->body : "", q->len, &status, resp,
                                           sizeof resp, &rl);
        if (rc) {
            fprintf(stderr, "mohur witness: %s\n", mh_err_message(rc));
            return reply(c, 500, "text/plain", "internal error\n", 15);
        }
        if (status != 200)
            fprintf(stderr, "mohur witness: refused (%u): %.*s", status, (int)rl, resp);
        return reply(c, status,
                     status == 409 && rl && resp[0] >= '0' && resp[0] <= '9' ? "text/x.tlog.size"
                                                                             : "text/plain",
                     resp, rl);
    }
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
                 enum MHD_RequestTerminationCode toe)
{
    struct req *q = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (q) {
        free(q->body);
        free(q);
        *con_cls = NULL;
    }
}

int mh_witness_serve(mh_witness *w, const char *addr, unsigned port, volatile sig_atomic_t *stop,
                     unsigned *bound, void (*ready)(void *ctx, unsigned port), void *ready_ctx)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    memset(&ss, 0, sizeof ss);
    if (port > 65535)
        return MH_ERR_INVALID_ARG;
    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in6);
        flags |= MHD_USE_IPv6;
    } else {
        mh_err_set(MH_ERR_INVALID_ARG, "'%s' is not an IPv4 or IPv6 address to listen on", addr);
        return MH_ERR_INVALID_ARG;
    }
    (void)sl;
    d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, w, MHD_OPTION_SOCK_ADDR, &ss,
                         MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_THREAD_POOL_SIZE, 2u,
                         MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!d) {
        mh_err_set(MH_ERR_IO,
                   "the witness cannot listen on %s port %u (in use, or not an address of this "
                   "host)",
                   addr, port);
        return MH_ERR_IO;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (bound)
        *bound = info ? info->port : port;
    if (ready)
        ready(ready_ctx, info ? info->port : port);
    while (!*stop)
        usleep(100000);
    MHD_stop_daemon(d);
    return MH_OK;
}
