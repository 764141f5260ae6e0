/* chan.c - pools of IPC channels to a peer process (mohurd.h). */
#include "mohurd.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void mhd_pool_init(mhd_pool *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    for (size_t i = 0; i < MHD_CHANNELS_MAX; i++)
        p->fd[i] = -1;
}

void mhd_pool_set(mhd_pool *p, uint32_t slot, int fd)
{
    if (slot >= MHD_CHANNELS_MAX) {
        close(fd);
        return;
    }
    pthread_mutex_lock(&p->lock);
    /* a borrowed channel is closed by its borrower when it sees the new
     * generation; a free one now */
    if (p->fd[slot] >= 0 && !p->busy[slot])
        close(p->fd[slot]);
    else if (p->fd[slot] >= 0)
        shutdown(p->fd[slot], SHUT_RDWR);
    p->fd[slot] = fd;
    p->dead[slot] = false;
    p->gen[slot]++;
    if (slot + 1 > p->n)
        p->n = slot + 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

bool mhd_pool_up(mhd_pool *p)
{
    bool up = false;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n; i++)
        up = up || (p->fd[i] >= 0 && !p->dead[i]);
    pthread_mutex_unlock(&p->lock);
    return up;
}

int mhd_pool_call(mhd_pool *p, uint8_t type, const void *msg, int fd, mhd_msg *reply,
                  int timeout_ms)
{
    size_t slot = 0;
    int sock = -1;
    uint32_t gen = 0, id;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10; /* waiting for a free channel */
    pthread_mutex_lock(&p->lock);
    for (;;) {
        bool any = false;
        for (size_t i = 0; i < p->n; i++) {
            if (p->fd[i] < 0 || p->dead[i])
                continue;
            any = true;
            if (!p->busy[i]) {
                slot = i;
                sock = p->fd[i];
                break;
            }
        }
        if (sock >= 0)
            break;
        if (!any && p->n > 0) {
            /* the peer is down: the parent restarts it; wait a little */
        }
        if (pthread_cond_timedwait(&p->cond, &p->lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&p->lock);
            mh_err_set(any ? MH_ERR_TOKEN_BUSY : MH_ERR_IO,
                       "no channel to the %s process is free or up; try again shortly",
                       any ? "busy" : "restarting");
            return any ? MH_ERR_TOKEN_BUSY : MH_ERR_IO;
        }
    }
    p->busy[slot] = true;
    gen = p->gen[slot];
    id = ++p->next_id;
    pthread_mutex_unlock(&p->lock);

    int rc = mhd_ipc_send(sock, type, id, msg, fd);
    if (rc == 0) {
        for (;;) {
            rc = mhd_ipc_recv(sock, reply, timeout_ms);
            if (rc == 0 && reply->id != id) {
                /* a late reply to an earlier request that timed out */
                if (reply->fd >= 0)
                    close(reply->fd);
                continue;
            }
            break;
        }
    }
    pthread_mutex_lock(&p->lock);
    p->busy[slot] = false;
    if (p->gen[slot] != gen) {
        close(sock); /* replaced while we had it */
    } else if (rc == MH_ERR_IO || rc == MH_ERR_PARSE) {
        p->dead[slot] = true; /* until the parent hands out a new one */
    }
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    if (rc == MH_ERR_CANCELLED)
        mh_err_set(rc, "the request took too long; it may still complete: ask for its status");
    else if (rc == MH_ERR_IO)
        mh_err_set(rc, "the process serving this request stopped; it was not completed: try again");
    return rc;
}

int mhd_http_status(int err)
{
    switch (err) {
    case MH_OK:
        return 200;
    case MH_ERR_INVALID_ARG:
    case MH_ERR_PARSE:
    case MH_ERR_VERIFY_FAILED:
    case MH_ERR_URI:
    case MH_ERR_DATA_INVALID:
        return 400;
    case MH_ERR_PERMISSION:
    case MH_ERR_POLICY:
    case MH_ERR_KEY_USAGE:
    case MH_ERR_CERT_REVOKED:
    case MH_ERR_CERT_EXPIRED:
    case MH_ERR_CERT_UNTRUSTED:
        return 403;
    case MH_ERR_NOT_FOUND:
        return 404;
    case MH_ERR_ALREADY_EXISTS:
        return 409;
    case MH_ERR_TOO_LARGE:
        return 413;
    case MH_ERR_CANCELLED:
        return 504;
    case MH_ERR_CRL_MISSING:
    case MH_ERR_IO:
    case MH_ERR_LEDGER_LOCKED:
    case MH_ERR_LEDGER_FULL:
    case MH_ERR_DISK_FULL:
    case MH_ERR_TOKEN_NOT_FOUND:
    case MH_ERR_TOKEN_REMOVED:
    case MH_ERR_TOKEN_FAILED:
    case MH_ERR_TOKEN_BUSY:
    case MH_ERR_SESSION:
    case MH_ERR_PIN_INCORRECT:
    case MH_ERR_PIN_LOCKED:
    case MH_ERR_PIN_REQUIRED:
    case MH_ERR_MODULE_LOAD:
    case MH_ERR_KEY_NOT_FOUND:
        return 503;
    default:
        return 500;
    }
}
