/*
 * test_signer.c - mohurd's signer process alone, as the ledger process sees
 * it: the real binary (`mohurd --child signer`) on a real state directory,
 * driven over a real socketpair with the real IPC codec. The permit table
 * must refuse every signature it does not allow (no ledger entry, another
 * issuer's key, a kind the issuer may not issue, a purpose the key is not
 * for, a digest of the wrong size, a checkpoint that is not the ledger's),
 * must sign what it allows, and a message type it is not permitted must end
 * the process (exit 72: "the ledger process broke the protocol").
 *
 *   test_signer MOHURD STATE-DIR LOG-INDEX ISSUER KIND
 * (LOG-INDEX: an issue entry of ISSUER and KIND that the ledger holds)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"

static int checks;
static pid_t child = -1;

static void fail(const char *what)
{
    fprintf(stderr, "FAIL %3d - %s\n", ++checks, what);
    if (child > 0)
        kill(child, SIGKILL);
    exit(1);
}

static void pass(const char *what)
{
    printf("ok %3d - %s\n", ++checks, what);
}

/* Starts the signer with its parent channel on fd 3; returns the channel
 * the test plays the ledger process on. */
static int start(const char *mohurd, const char *state)
{
    int parent[2], ledger[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, parent) != 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ledger) != 0)
        fail("socketpair");
    child = fork();
    if (child < 0)
        fail("fork");
    if (child == 0) {
        if (dup2(parent[1], 3) < 0)
            _exit(127);
        execl(mohurd, "mohurd", "--child", "signer", "--state", state, (char *)NULL);
        _exit(127);
    }
    close(parent[1]);
    static mhd_msg m;
    if (mhd_ipc_recv(parent[0], &m, 30000) != 0 || m.type != MHD_M_READY)
        fail("the signer says READY to its parent");
    pass("the signer started and said READY");
    mhd_connect cn = {MHD_ROLE_LEDGER, 0};
    if (mhd_ipc_send(parent[0], MHD_M_CONNECT, 0, &cn, ledger[1]) != 0)
        fail("handing the signer its channel");
    close(ledger[1]);
    /* the parent channel stays open (closing it would stop the signer) */
    return ledger[0];
}

static mhd_msg reply;

static uint8_t call(int ch, uint8_t type, const void *msg)
{
    static uint32_t id;
    if (mhd_ipc_send(ch, type, ++id, msg, -1) != 0 || mhd_ipc_recv(ch, &reply, 30000) != 0 ||
        reply.id != id)
        fail("a request and its reply");
    return reply.type;
}

static void sign_req(mhd_sign_req *q, uint8_t purpose, const char *key, const char *issuer,
                     const char *kind, uint64_t index)
{
    memset(q, 0, sizeof *q);
    q->purpose = purpose;
    snprintf(q->key, sizeof q->key, "%s", key);
    snprintf(q->issuer, sizeof q->issuer, "%s", issuer);
    snprintf(q->kind, sizeof q->kind, "%s", kind);
    q->log_index = index;
    q->md = 6; /* MBEDTLS_MD_SHA256 */
    q->alg = 1;
    q->hash_len = 32;
    memset(q->hash, 0x5a, 32);
}

static void refused(int ch, const mhd_sign_req *q, const char *what)
{
    mhd_error e;
    if (call(ch, MHD_M_SIGN_REQ, q) != MHD_M_ERROR ||
        mhd_ipc_decode(reply.type, reply.buf, reply.len, &e) != 0 || !strstr(e.message, "refused"))
        fail(what);
    char line[700];
    snprintf(line, sizeof line, "%s (%s)", what, e.message);
    pass(line);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: test_signer MOHURD STATE LOG-INDEX ISSUER KIND\n");
        return 2;
    }
    const char *mohurd = argv[1], *state = argv[2], *issuer = argv[4], *kind = argv[5];
    uint64_t idx = strtoull(argv[3], NULL, 10);
    int ch = start(mohurd, state);
    mhd_sign_req q;

    mhd_empty e = {0};
    mhd_pong pong;
    if (call(ch, MHD_M_PING, &e) != MHD_M_PONG ||
        mhd_ipc_decode(reply.type, reply.buf, reply.len, &pong) != 0 || !pong.token_ok)
        fail("PING: the token is there");
    pass("PING: the token is there");
    mhd_key_req kq;
    memset(&kq, 0, sizeof kq);
    snprintf(kq.label, sizeof kq.label, "registry");
    if (call(ch, MHD_M_KEY_REQ, &kq) != MHD_M_KEY)
        fail("KEY: the registry key's certificate");
    pass("KEY: the registry key's certificate");

    /* what the permit table refuses */
    sign_req(&q, MHD_P_RECEIPT, "registry", issuer, kind, idx + 1000);
    refused(ch, &q, "a receipt for an entry the ledger does not have");
    sign_req(&q, MHD_P_DOCUMENT, "registry", issuer, kind, idx);
    refused(ch, &q, "a document signature with the registry key");
    sign_req(&q, MHD_P_DOCUMENT, "bdu", "agency", kind, idx);
    refused(ch, &q, "an issuer's signature with another issuer's key");
    sign_req(&q, MHD_P_DOCUMENT, issuer, issuer, "diploma", idx);
    refused(ch, &q, "a kind the issuer may not issue");
    sign_req(&q, MHD_P_RECEIPT, issuer, issuer, kind, idx);
    refused(ch, &q, "a receipt with an issuer's key");
    sign_req(&q, MHD_P_TIMESTAMP, "registry", issuer, kind, idx);
    refused(ch, &q, "a timestamp with the registry key");
    sign_req(&q, MHD_P_RECEIPT, "registry", issuer, kind, idx);
    q.hash_len = 20;
    refused(ch, &q, "a digest that is not SHA-256's size");
    sign_req(&q, 9, "registry", issuer, kind, idx);
    refused(ch, &q, "an unknown purpose");
    mhd_note_req nq;
    memset(&nq, 0, sizeof nq);
    snprintf(nq.body, sizeof nq.body,
             "verify.mohur.test/log\n99\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
    mhd_error er;
    if (call(ch, MHD_M_NOTE_REQ, &nq) != MHD_M_ERROR ||
        mhd_ipc_decode(reply.type, reply.buf, reply.len, &er) != 0 ||
        !strstr(er.message, "refused"))
        fail("a checkpoint that is not the ledger's");
    pass("a checkpoint that is not the ledger's is refused");

    /* what it allows: the registry key, for the entry the ledger holds */
    sign_req(&q, MHD_P_RECEIPT, "registry", issuer, kind, idx);
    mhd_sign_ok ok;
    if (call(ch, MHD_M_SIGN_REQ, &q) != MHD_M_SIGN_OK ||
        mhd_ipc_decode(reply.type, reply.buf, reply.len, &ok) != 0 || ok.sig_len < 64)
        fail("a receipt for the entry the ledger holds is signed");
    pass("a receipt for the entry the ledger holds is signed");
    sign_req(&q, MHD_P_DOCUMENT, issuer, issuer, kind, idx);
    if (call(ch, MHD_M_SIGN_REQ, &q) != MHD_M_SIGN_OK)
        fail("the issuer's own key signs for its entry");
    pass("the issuer's own key signs for its entry");

    /* a type the signer never takes: the conversation, and the process, end */
    mhd_revoke_req rq;
    memset(&rq, 0, sizeof rq);
    snprintf(rq.doc_id, sizeof rq.doc_id, "x");
    if (mhd_ipc_send(ch, MHD_M_REVOKE_REQ, 99, &rq, -1) != 0)
        fail("sending a forbidden type");
    int st = 0;
    alarm(20);
    if (waitpid(child, &st, 0) != child)
        fail("waiting for the signer");
    child = -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 72)
        fail("a forbidden message type ends the signer with status 72");
    pass("a forbidden message type (revoke-req) ends the signer (exit 72: the ledger broke the "
         "protocol)");

    /* and a datagram that is not a message at all */
    ch = start(mohurd, state);
    static const uint8_t junk[] = {30, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 99, 1, 2, 3};
    if (send(ch, junk, sizeof junk, 0) != (ssize_t)sizeof junk)
        fail("sending junk");
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 72)
        fail("a malformed datagram ends the signer with status 72");
    child = -1;
    pass("a malformed datagram (length past its end) ends the signer too");
    printf("test_signer: %d checks passed\n", checks);
    return 0;
}
