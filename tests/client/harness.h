/*
 * harness.h - what the client tests share: starting a real plexus-server on port 0 (WebSocket
 * and raw TCP) and reading its ports from stdout, stopping it, URLs, connecting clients,
 * and bounded waits for things handlers observe. Every wait here has a timeout.
 */
#ifndef PLX_TEST_HARNESS_H
#define PLX_TEST_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <plexus/client.h>

#define SERVER_START_MS 10000 /* a server must print its ports within this */
#define SERVER_STOP_MS  10000 /* and exit this long after SIGTERM (then SIGKILL) */
#define WAIT_MS         10000 /* bound of every wait for a handler's effect */

typedef struct test_server {
    pid_t pid;
    int port;
    int tcp_port;
} test_server;

static inline uint64_t test_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void test_sleep_ms(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A scripted server's side of the WebSocket handshake on fd: reads the request (5 s at
 * most), answers 101 with the key's accept value and, when protocol is not NULL, selects
 * it. Returns 1 when the request had a key (and asked for protocol, if given) and the answer
 * went out, else 0. */
static inline int test_ws_accept(int fd, const char *protocol) {
    char req[4096], resp[512], key[128] = "", acc[64], proto[64] = "";
    unsigned char md[20];
    struct pollfd pf = {fd, POLLIN, 0};
    ssize_t n = 0, r;
    const char *k;

    req[0] = 0;
    while (n < (ssize_t)sizeof(req) - 1 && !strstr(req, "\r\n\r\n") && poll(&pf, 1, 5000) > 0 &&
           (r = read(fd, req + n, sizeof(req) - 1 - (size_t)n)) > 0) {
        n += r;
        req[n] = 0;
    }
    k = strstr(req, "Sec-WebSocket-Key:");
    if (!k || sscanf(k + 18, " %60s", key) != 1 || (protocol && !strstr(req, protocol))) return 0;
    strcat(key, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    lws_SHA1((const unsigned char *)key, strlen(key), md);
    lws_b64_encode_string((const char *)md, 20, acc, sizeof(acc));
    if (protocol) snprintf(proto, sizeof(proto), "Sec-WebSocket-Protocol: %s\r\n", protocol);
    snprintf(resp, sizeof(resp),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
             "Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
             acc, proto);
    return write(fd, resp, strlen(resp)) == (ssize_t)strlen(resp);
}

/* A listening socket on 127.0.0.1 at a free port, for scripted servers: *lfd, and the
 * ws:// URL to reach it in url. 0, or -1 when the socket could not be made. */
static inline int test_listen_ws(int *lfd, char *url, size_t len) {
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (*lfd < 0 || bind(*lfd, (struct sockaddr *)&a, sizeof(a)) || listen(*lfd, 1) ||
        getsockname(*lfd, (struct sockaddr *)&a, &alen))
        return -1;
    snprintf(url, len, "ws://127.0.0.1:%d/", ntohs(a.sin_port));
    return 0;
}

/* Starts plexus-server with --port port --tcp-port tcp_port (0: any) plus the extra
 * arguments (NULL-terminated). Returns 0 once both ports were printed, -1 otherwise. */
static inline int test_server_start(test_server *s, int port, int tcp_port, ...) {
    char p[16], tp[16], line[256], buf[1024];
    const char *argv[40];
    int fds[2], n = 0;
    size_t len = 0;
    uint64_t deadline;
    va_list ap;
    const char *a;

    memset(s, 0, sizeof(*s));
    snprintf(p, sizeof(p), "%d", port);
    snprintf(tp, sizeof(tp), "%d", tcp_port);
    argv[n++] = PLX_SERVER_BIN;
    argv[n++] = "--port";
    argv[n++] = p;
    argv[n++] = "--tcp-port";
    argv[n++] = tp;
    argv[n++] = "--log-level";
    argv[n++] = "error";
    va_start(ap, tcp_port);
    while ((a = va_arg(ap, const char *)) && n < 38)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    if (pipe(fds)) return -1;
    s->pid = fork();
    if (s->pid < 0) return -1;
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a test that fails midway leaves no server */
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(PLX_SERVER_BIN, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    deadline = test_now_ms() + SERVER_START_MS;
    while ((!s->port || !s->tcp_port) && test_now_ms() < deadline) {
        struct pollfd pf = {fds[0], POLLIN, 0};
        ssize_t r;
        char *nl;
        if (poll(&pf, 1, 100) <= 0) continue;
        r = read(fds[0], buf + len, sizeof(buf) - 1 - len);
        if (r <= 0) break;
        len += (size_t)r;
        buf[len] = 0;
        while ((nl = strchr(buf, '\n'))) {
            size_t l = (size_t)(nl - buf);
            memcpy(line, buf, l < sizeof(line) - 1 ? l : sizeof(line) - 1);
            line[l < sizeof(line) - 1 ? l : sizeof(line) - 1] = 0;
            sscanf(line, "listening on %d", &s->port);
            sscanf(line, "listening tcp on %d", &s->tcp_port);
            memmove(buf, nl + 1, len - l);
            len -= l + 1;
        }
    }
    close(fds[0]);
    if (!s->port || !s->tcp_port) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
        return -1;
    }
    return 0;
}

/* SIGTERM, wait (bounded), SIGKILL if needed. Returns the exit status or -1. */
static inline int test_server_stop(test_server *s) {
    uint64_t deadline = test_now_ms() + SERVER_STOP_MS;
    int status = -1;

    if (s->pid <= 0) return -1;
    kill(s->pid, SIGTERM);
    while (test_now_ms() < deadline) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return status;
        }
        test_sleep_ms(10);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    return -1;
}

static inline void test_url(const test_server *s, int tcp, char *buf, size_t len) {
    if (tcp)
        snprintf(buf, len, "plexus://127.0.0.1:%d", s->tcp_port);
    else
        snprintf(buf, len, "ws://127.0.0.1:%d/", s->port);
}

/* Connects a client named name (NULL: assigned) over ws (tcp = 0) or raw TCP. */
static inline plx_client *test_connect(const test_server *s, int tcp, const char *name,
                                       plx_client_options *o) {
    plx_client_options d;
    plx_client *c = NULL;
    char url[64], err[256];
    int rc;

    if (!o) {
        plx_client_options_init(&d);
        o = &d;
    }
    o->name = name;
    test_url(s, tcp, url, sizeof(url));
    rc = plx_client_connect(url, o, &c, err, sizeof(err));
    if (rc) fprintf(stderr, "connect %s as %s: %s (%d)\n", url, name ? name : "-", err, rc);
    return c;
}

/* A counter handlers bump and tests wait on (bounded). */
typedef struct test_counter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
} test_counter;

static inline void counter_init(test_counter *k) {
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    k->n = 0;
}

static inline void counter_bump(test_counter *k) {
    pthread_mutex_lock(&k->mu);
    k->n++;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
}

/* Waits until the counter reaches n or WAIT_MS pass. Returns the counter. */
static inline int counter_wait(test_counter *k, int n) {
    uint64_t deadline = test_now_ms() + WAIT_MS;
    int v;

    pthread_mutex_lock(&k->mu);
    while (k->n < n && test_now_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&k->cv, &k->mu, &ts);
    }
    v = k->n;
    pthread_mutex_unlock(&k->mu);
    return v;
}

static inline int counter_get(test_counter *k) {
    int v;
    pthread_mutex_lock(&k->mu);
    v = k->n;
    pthread_mutex_unlock(&k->mu);
    return v;
}

static inline void test_quiet_lws(void) {
    lws_set_log_level(LLL_ERR, NULL);
}

/* The server a group of tests shares: started by server_setup, stopped by server_teardown
 * (cmocka group fixtures). */
static test_server srv;

static inline int server_setup(void **state) {
    (void)state;
    test_quiet_lws();
    return test_server_start(&srv, 0, 0, NULL);
}

static inline int server_teardown(void **state) {
    (void)state;
    return test_server_stop(&srv) == 0 ? 0 : -1;
}

#endif
