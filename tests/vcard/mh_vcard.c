/*
 * mh_vcard: a virtual CAC smart card for tests.
 *
 * The card is emulated by libcacard from an NSS database that holds one or
 * more RSA keys with certificates.  The program connects as a client to the
 * TCP socket of vpcd (the vsmartcard reader driver loaded by pcscd) and
 * answers vpcd's requests.  While the connection is up, the reader reports a
 * card; when this program exits, the card is "pulled out".
 *
 * vpcd protocol: every message in either direction is a 2-byte big-endian
 * length followed by that many bytes.  A 1-byte message from vpcd is a
 * control code (0 power off, 1 power on, 2 reset, 4 get ATR; only "get ATR"
 * is answered, with the ATR); any longer message is a command APDU that is
 * answered with the response APDU.
 *
 * The card PIN is the password of the NSS database (libcacard checks the PIN
 * with the NSS token's user password).  NSS has no PIN retry counter, and
 * libcacard answers a wrong PIN with SW 6985 and a PIN status query with
 * SW 6A88, which OpenSC reports as CKR_GENERAL_ERROR.  To behave like a real
 * card, this program keeps its own retry counter (--pin-tries, default 3) and
 * rewrites those answers to VERIFY: 63Cx (x tries left; OpenSC reports
 * CKR_PIN_INCORRECT) and, once the counter reaches 0, 6983 (PIN blocked;
 * CKR_PIN_LOCKED) without asking NSS any more.  The counter lives in this
 * process: a restart ("re-insertion") unblocks the card.  --pin-tries 0
 * passes libcacard's answers through unchanged.
 *
 * --apdu-delay MS delays every APDU response, to behave like a slow USB token.
 *
 * Stops on SIGTERM/SIGINT (exit 0) or when vpcd closes the socket (exit 0).
 * Any error exits 1 with a message on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <libcacard.h>

#define PROG "mh_vcard"

/* vpcd control codes */
enum { VPCD_CTRL_OFF = 0, VPCD_CTRL_ON = 1, VPCD_CTRL_RESET = 2, VPCD_CTRL_ATR = 4 };

/*
 * The length prefix is 16 bits, so no message can exceed this.  Every read
 * of the socket is bounded by it (and by the announced length).
 */
#define MSG_MAX 65535u
#define MAX_CERTS 3
#define ATR_MAX 64
#define READER_NAME "mh-vreader"
#define OPTS_MAX 4096

struct config {
    const char *db;
    const char *host;
    uint16_t port;
    const char *certs[MAX_CERTS];
    int ncerts;
    long connect_timeout_ms;
    int pin_tries;
    long apdu_delay_ms;
    bool verbose;
};

/* ISO 7816 VERIFY instruction (CAC: P1 = 00, P2 = 00 for the card PIN). */
#define INS_VERIFY 0x20u

struct pin_state {
    int max_tries; /* 0: no retry counter emulation */
    int tries_left;
};

static volatile sig_atomic_t g_stop_signal;
static bool g_verbose;

static void on_signal(int sig)
{
    g_stop_signal = sig;
}

static void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
    va_list ap;
    if (!g_verbose)
        return;
    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void hexdump(const char *what, const unsigned char *buf, size_t len)
{
    if (!g_verbose)
        return;
    fprintf(stderr, PROG ": %s (%zu):", what, len);
    for (size_t i = 0; i < len && i < 64; i++)
        fprintf(stderr, " %02X", buf[i]);
    if (len > 64)
        fprintf(stderr, " ...");
    fputc('\n', stderr);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " --db DIR --port PORT [options]\n"
            "  -d, --db DIR            NSS database directory (sql: format)\n"
            "  -p, --port PORT         vpcd TCP port (vpcd default 35963)\n"
            "  -H, --host ADDR         vpcd IPv4 address (default 127.0.0.1)\n"
            "  -c, --cert NICK         certificate nickname to put on the card\n"
            "                          (up to %d, default \"mh-card\")\n"
            "  -t, --connect-timeout S seconds to keep retrying the connection\n"
            "                          (default 10)\n"
            "  -r, --pin-tries N       PIN retry counter to emulate, 0..15; 0 passes\n"
            "                          libcacard's answers through (default 3)\n"
            "  -D, --apdu-delay MS     wait MS milliseconds before each APDU response\n"
            "                          (emulates a slow token; default 0)\n"
            "  -v, --verbose           log control codes and APDUs to stderr\n"
            "  -h, --help              this help\n"
            "The card PIN is the NSS database password.\n",
            MAX_CERTS);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    if (s == NULL || *s == '\0')
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Characters that would break libcacard's option string parser. */
static bool safe_token(const char *s, bool allow_path)
{
    if (s == NULL || *s == '\0')
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (allow_path && (c == '/' || c == ':' || c == '+' || c == '@'))
            ok = true;
        if (!ok)
            return false;
    }
    return true;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"port", required_argument, NULL, 'p'},
        {"host", required_argument, NULL, 'H'},
        {"cert", required_argument, NULL, 'c'},
        {"connect-timeout", required_argument, NULL, 't'},
        {"pin-tries", required_argument, NULL, 'r'},
        {"apdu-delay", required_argument, NULL, 'D'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool have_port = false;
    long v;
    int opt;

    memset(cfg, 0, sizeof(*cfg));
    cfg->host = "127.0.0.1";
    cfg->connect_timeout_ms = 10000;
    cfg->pin_tries = 3;

    while ((opt = getopt_long(argc, argv, "d:p:H:c:t:r:D:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            cfg->db = optarg;
            break;
        case 'p':
            if (!parse_long(optarg, 1, 65535, &v)) {
                err("invalid port '%s' (expected 1..65535)", optarg);
                return -1;
            }
            cfg->port = (uint16_t)v;
            have_port = true;
            break;
        case 'H':
            cfg->host = optarg;
            break;
        case 'c':
            if (cfg->ncerts >= MAX_CERTS) {
                err("at most %d --cert options", MAX_CERTS);
                return -1;
            }
            if (!safe_token(optarg, false)) {
                err("invalid certificate nickname '%s' (use [A-Za-z0-9._-])", optarg);
                return -1;
            }
            cfg->certs[cfg->ncerts++] = optarg;
            break;
        case 't':
            if (!parse_long(optarg, 0, 3600, &v)) {
                err("invalid connect timeout '%s' (expected 0..3600 seconds)", optarg);
                return -1;
            }
            cfg->connect_timeout_ms = v * 1000;
            break;
        case 'r':
            if (!parse_long(optarg, 0, 15, &v)) {
                err("invalid PIN try count '%s' (expected 0..15)", optarg);
                return -1;
            }
            cfg->pin_tries = (int)v;
            break;
        case 'D':
            if (!parse_long(optarg, 0, 60000, &v)) {
                err("invalid APDU delay '%s' (expected 0..60000 ms)", optarg);
                return -1;
            }
            cfg->apdu_delay_ms = v;
            break;
        case 'v':
            cfg->verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        err("unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return -1;
    }
    if (cfg->db == NULL || !have_port) {
        err("--db and --port are required");
        usage(stderr);
        return -1;
    }
    if (!safe_token(cfg->db, true)) {
        err("NSS database path '%s' contains characters libcacard cannot parse "
            "(use [A-Za-z0-9/._+@-])",
            cfg->db);
        return -1;
    }
    if (cfg->ncerts == 0)
        cfg->certs[cfg->ncerts++] = "mh-card";
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Wait until fd is readable.  Termination signals are blocked except while
 * waiting here, so a signal is never lost between a check and a wait.
 * Returns 1 if readable, 0 if a stop signal arrived, -1 on error.
 */
static int wait_readable(int fd, const sigset_t *waitmask)
{
    for (;;) {
        fd_set rfds;
        int rc;

        if (g_stop_signal)
            return 0;
        FD_ZERO(&rfds);
        FD_SET(fd, &rfds);
        rc = pselect(fd + 1, &rfds, NULL, NULL, NULL, waitmask);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR) {
            err("select on the vpcd socket failed: %s", strerror(errno));
            return -1;
        }
    }
}

/*
 * Read exactly len bytes (handles short reads).
 * Returns 1 on success, 0 on orderly close / stop signal before any byte,
 * -1 on error (including a close in the middle of a message).
 */
static int read_full(int fd, unsigned char *buf, size_t len, const sigset_t *waitmask,
                     const char *what)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n;
        int w;
        int one = 1;

        /*
         * vpcd writes the length and the APDU with two send() calls and
         * Nagle's algorithm on: the APDU waits for our ACK of the length.
         * Linux delays ACKs by up to 40 ms unless quick-ACK mode is on, and
         * that mode switches itself off, so ask for it before every read.
         */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
        w = wait_readable(fd, waitmask);
        if (w <= 0)
            return w;
        n = recv(fd, buf + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            err("reading %s from vpcd failed: %s", what, strerror(errno));
            return -1;
        }
        if (n == 0) {
            if (got == 0)
                return 0;
            err("vpcd closed the connection in the middle of %s (%zu of %zu bytes)", what, got,
                len);
            return -1;
        }
        got += (size_t)n;
    }
    return 1;
}

static int write_full(int fd, const unsigned char *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err("writing to vpcd failed: %s", strerror(errno));
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

static int send_msg(int fd, const unsigned char *payload, size_t len)
{
    static unsigned char msg[2 + MSG_MAX];

    if (len > MSG_MAX) {
        err("response of %zu bytes does not fit vpcd's 16-bit length", len);
        return -1;
    }
    /* One write for header and payload: no extra small TCP segment. */
    msg[0] = (unsigned char)((len >> 8) & 0xffu);
    msg[1] = (unsigned char)(len & 0xffu);
    memcpy(msg + 2, payload, len);
    return write_full(fd, msg, len + 2);
}

/* Sleep ms milliseconds; a stop signal cuts it short. */
static void sleep_ms(long ms, const sigset_t *waitmask)
{
    long deadline = now_ms() + ms;
    long left;

    while (!g_stop_signal && (left = deadline - now_ms()) > 0) {
        struct timespec ts = {left / 1000L, (left % 1000L) * 1000000L};
        pselect(0, NULL, NULL, NULL, &ts, waitmask);
    }
}

static int connect_vpcd(const struct config *cfg, const sigset_t *waitmask)
{
    struct sockaddr_in sa;
    long deadline = now_ms() + cfg->connect_timeout_ms;
    int last_errno = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(cfg->port);
    if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1) {
        err("invalid IPv4 address '%s'", cfg->host);
        return -1;
    }

    for (;;) {
        int one = 1;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err("socket() failed: %s", strerror(errno));
            return -1;
        }
        if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0) {
            /* APDUs are small request/response messages: no Nagle delay. */
            if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
                info("TCP_NODELAY not set: %s", strerror(errno));
            return fd;
        }
        last_errno = errno;
        close(fd);
        if (last_errno != ECONNREFUSED && last_errno != EINTR && last_errno != ETIMEDOUT &&
            last_errno != ECONNRESET)
            break;
        if (now_ms() >= deadline)
            break;
        sleep_ms(100, waitmask);
        if (g_stop_signal)
            return -2;
    }
    err("cannot connect to vpcd at %s:%u: %s (is pcscd running with a vpcd reader "
        "on that port?)",
        cfg->host, (unsigned)cfg->port, strerror(last_errno));
    return -1;
}

static int init_card(const struct config *cfg, VReader **reader_out)
{
    char opts[OPTS_MAX];
    char certs[OPTS_MAX];
    size_t off = 0;
    const char *prefix;
    const char *dir;
    VCardEmulOptions *emul_opts;
    VCardEmulError rc;
    VReader *reader;
    int n;

    certs[0] = '\0';
    for (int i = 0; i < cfg->ncerts; i++) {
        n = snprintf(certs + off, sizeof(certs) - off, ",%s", cfg->certs[i]);
        if (n < 0 || (size_t)n >= sizeof(certs) - off) {
            err("certificate nicknames too long");
            return -1;
        }
        off += (size_t)n;
    }
    /* libcacard hands the path to NSS: default to the sql: format. */
    prefix = (strncmp(cfg->db, "sql:", 4) == 0 || strncmp(cfg->db, "dbm:", 4) == 0) ? "" : "sql:";
    n = snprintf(opts, sizeof(opts), "db=\"%s%s\" use_hw=no soft=(," READER_NAME ",CAC,%s)", prefix,
                 cfg->db, certs);
    if (n < 0 || (size_t)n >= sizeof(opts)) {
        err("NSS database path too long");
        return -1;
    }
    info("libcacard options: %s", opts);

    emul_opts = vcard_emul_options(opts);
    if (emul_opts == NULL) {
        err("libcacard rejected the options '%s'", opts);
        return -1;
    }
    dir = cfg->db + (prefix[0] == '\0' ? 4 : 0);
    if (access(dir, R_OK | X_OK) != 0) {
        err("cannot read the NSS database directory '%s': %s", dir, strerror(errno));
        return -1;
    }
    rc = vcard_emul_init(emul_opts);
    if (rc != VCARD_EMUL_OK) {
        err("libcacard could not make a card from the NSS database '%s' (error %d): is it "
            "an NSS (sql) database holding certificate(s) %s with their private keys?",
            cfg->db, (int)rc, certs + 1);
        return -1;
    }
    reader = vreader_get_reader_by_name(READER_NAME);
    if (reader == NULL) {
        err("libcacard created no virtual reader (are the certificates in %s?)", cfg->db);
        return -1;
    }
    if (vreader_card_is_present(reader) != VREADER_OK) {
        err("no card in the virtual reader: certificate(s) %s or their private keys were "
            "not found in %s",
            certs + 1, cfg->db);
        vreader_free(reader);
        return -1;
    }
    *reader_out = reader;
    return 0;
}

/* Discard libcacard's event queue (we have a single fixed reader). */
static void drain_events(void)
{
    VEvent *ev;
    while ((ev = vevent_get_next_vevent()) != NULL)
        vevent_delete(ev);
}

static int power_on(VReader *reader, unsigned char *atr, int *atr_len)
{
    VReaderStatus st;

    *atr_len = ATR_MAX;
    st = vreader_power_on(reader, atr, atr_len);
    if (st != VREADER_OK || *atr_len <= 0 || *atr_len > ATR_MAX) {
        err("virtual card did not power on (status %d)", (int)st);
        *atr_len = 0;
        return -1;
    }
    hexdump("ATR", atr, (size_t)*atr_len);
    return 0;
}

/* Is this APDU a VERIFY of the card PIN?  *with_pin: does it carry a PIN? */
static bool is_pin_verify(const unsigned char *apdu, size_t len, bool *with_pin)
{
    if (len < 4 || (apdu[0] & 0xfcu) != 0x00u || apdu[1] != INS_VERIFY || apdu[2] != 0x00u ||
        apdu[3] != 0x00u)
        return false;
    *with_pin = len > 5 && apdu[4] != 0x00u;
    return true;
}

static void set_sw(unsigned char *rsp, int *rsp_len, unsigned sw)
{
    rsp[0] = (unsigned char)((sw >> 8) & 0xffu);
    rsp[1] = (unsigned char)(sw & 0xffu);
    *rsp_len = 2;
}

/*
 * Before the card sees a VERIFY: refuse it while the PIN is blocked.
 * Returns true if the response has been made here.
 */
static bool pin_pre(struct pin_state *ps, const unsigned char *apdu, size_t len, unsigned char *rsp,
                    int *rsp_len)
{
    bool with_pin;

    if (ps->max_tries == 0 || !is_pin_verify(apdu, len, &with_pin) || ps->tries_left > 0)
        return false;
    info("PIN is blocked: VERIFY refused");
    set_sw(rsp, rsp_len, 0x6983u);
    return true;
}

/* After the card answered a VERIFY: keep the retry counter, rewrite the SW. */
static void pin_post(struct pin_state *ps, const unsigned char *apdu, size_t len,
                     unsigned char *rsp, int *rsp_len)
{
    bool with_pin;
    unsigned sw;

    if (ps->max_tries == 0 || !is_pin_verify(apdu, len, &with_pin) || *rsp_len != 2)
        return;
    sw = ((unsigned)rsp[0] << 8) | (unsigned)rsp[1];
    if (with_pin && sw == 0x9000u) {
        ps->tries_left = ps->max_tries;
    } else if (with_pin && sw == 0x6985u) {
        ps->tries_left--;
        info("wrong PIN: %d tries left", ps->tries_left);
        set_sw(rsp, rsp_len, 0x63c0u | (unsigned)ps->tries_left);
    } else if (!with_pin && sw == 0x6a88u) {
        /* PIN status query while not logged in: report the tries left. */
        set_sw(rsp, rsp_len, 0x63c0u | (unsigned)ps->tries_left);
    }
}

/* Serve vpcd until the connection closes (0), a stop signal (0) or error (-1). */
static int serve(int fd, VReader *reader, const struct config *cfg, const sigset_t *waitmask)
{
    struct pin_state ps = {cfg->pin_tries, cfg->pin_tries};
    static unsigned char req[MSG_MAX];
    static unsigned char rsp[MSG_MAX];
    unsigned char atr[ATR_MAX];
    int atr_len = 0;

    for (;;) {
        unsigned char hdr[2];
        size_t len;
        int r;

        drain_events();
        r = read_full(fd, hdr, sizeof(hdr), waitmask, "a message header");
        if (r == 0) {
            if (!g_stop_signal)
                info("vpcd closed the connection");
            return 0;
        }
        if (r < 0)
            return -1;
        len = ((size_t)hdr[0] << 8) | (size_t)hdr[1];
        if (len == 0 || len > MSG_MAX) {
            err("bad message length %zu from vpcd", len);
            return -1;
        }
        r = read_full(fd, req, len, waitmask, "a message body");
        if (r == 0 && g_stop_signal)
            return 0;
        if (r <= 0) {
            if (r == 0)
                err("vpcd closed the connection after a message header");
            return -1;
        }

        if (len == 1) {
            switch (req[0]) {
            case VPCD_CTRL_OFF:
                info("power off");
                vreader_power_off(reader);
                atr_len = 0;
                break;
            case VPCD_CTRL_ON:
                info("power on");
                if (power_on(reader, atr, &atr_len) != 0)
                    return -1;
                break;
            case VPCD_CTRL_RESET:
                info("reset");
                vreader_power_off(reader);
                if (power_on(reader, atr, &atr_len) != 0)
                    return -1;
                break;
            case VPCD_CTRL_ATR:
                info("get ATR");
                if (atr_len == 0 && power_on(reader, atr, &atr_len) != 0)
                    return -1;
                if (send_msg(fd, atr, (size_t)atr_len) != 0)
                    return -1;
                break;
            default:
                err("unknown vpcd control code %u (ignored)", (unsigned)req[0]);
                break;
            }
            continue;
        }

        {
            int rsp_len = (int)sizeof(rsp);
            VReaderStatus st;

            hexdump("C-APDU", req, len);
            if (!pin_pre(&ps, req, len, rsp, &rsp_len)) {
                st = vreader_xfr_bytes(reader, req, (int)len, rsp, &rsp_len);
                if (st != VREADER_OK || rsp_len < 2 || rsp_len > (int)sizeof(rsp)) {
                    /* Answer like a card that failed: SW 6F00 (no precise diagnosis). */
                    err("virtual card failed to process an APDU (status %d)", (int)st);
                    set_sw(rsp, &rsp_len, 0x6f00u);
                }
                pin_post(&ps, req, len, rsp, &rsp_len);
            }
            hexdump("R-APDU", rsp, (size_t)rsp_len);
            if (cfg->apdu_delay_ms > 0) {
                sleep_ms(cfg->apdu_delay_ms, waitmask);
                if (g_stop_signal)
                    return 0;
            }
            if (send_msg(fd, rsp, (size_t)rsp_len) != 0)
                return -1;
        }
    }
}

int main(int argc, char **argv)
{
    struct config cfg;
    struct sigaction sa;
    sigset_t block, waitmask;
    VReader *reader = NULL;
    int fd;
    int rc = 1;

    if (parse_args(argc, argv, &cfg) != 0)
        return 2;
    g_verbose = cfg.verbose;

    /*
     * Block the stop signals before NSS starts any thread, so that they are
     * only ever taken by the main thread inside pselect().
     */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
        err("cannot install signal handlers: %s", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    if (sigprocmask(SIG_BLOCK, &block, &waitmask) != 0) {
        err("cannot block signals: %s", strerror(errno));
        return 1;
    }
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);

    if (init_card(&cfg, &reader) != 0)
        goto out_emul;

    fd = connect_vpcd(&cfg, &waitmask);
    if (fd == -2) {
        rc = 0;
        goto out_reader;
    }
    if (fd < 0)
        goto out_reader;
    info("connected to vpcd at %s:%u", cfg.host, (unsigned)cfg.port);

    rc = serve(fd, reader, &cfg, &waitmask) == 0 ? 0 : 1;
    if (g_stop_signal)
        info("stopping on signal %d", (int)g_stop_signal);
    close(fd);

out_reader:
    vreader_power_off(reader);
    vreader_free(reader);
out_emul:
    drain_events();
    vcard_emul_finalize();
    return rc;
}
