/*
 * redis_fixture.h - starts and stops a real /usr/bin/redis-server for tests, on a free TCP port
 * of 127.0.0.1 (header-only: static inline functions, no hiredis needed).
 *
 *   plx_redis_fixture f;
 *   if (plx_redis_start(&f) != 0) fail();   // free port, no persistence, waits for PING
 *   ... redis://127.0.0.1:<f.port> ...
 *   plx_redis_stop(&f);
 *
 * The server dies with the test process (PR_SET_PDEATHSIG). Every wait here is bounded.
 */
#ifndef PLX_REDIS_FIXTURE_H
#define PLX_REDIS_FIXTURE_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PLX_REDIS_SERVER         "/usr/bin/redis-server"
#define PLX_REDIS_START_MS       5000 /* longest wait for a started server to answer PING */
#define PLX_REDIS_STOP_MS        5000 /* longest wait for SIGTERM before SIGKILL */
#define PLX_REDIS_START_ATTEMPTS 5    /* ports tried before giving up */

typedef struct plx_redis_fixture {
    pid_t pid; /* 0 when not running */
    int port;
} plx_redis_fixture;

static inline void plx_redis_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A TCP port of 127.0.0.1 free right now (bound to port 0, then closed); 0 on failure. */
static inline int plx_redis_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Sends one inline command (e.g. "PING") to 127.0.0.1:port and reads the first reply line
 * into out (NUL-terminated, without CRLF). 0, or -1 on no connection / no reply in timeout_ms. */
static inline int plx_redis_inline(int port, const char *cmd, char *out, size_t outlen,
                                   int timeout_ms) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s\r\n", cmd);
    size_t got = 0;
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && write(fd, buf, (size_t)n) == n) {
        while (got + 1 < sizeof(buf)) {
            ssize_t k = read(fd, buf + got, sizeof(buf) - 1 - got);
            if (k <= 0) break;
            got += (size_t)k;
            buf[got] = 0;
            char *eol = strstr(buf, "\r\n");
            if (eol) {
                *eol = 0;
                snprintf(out, outlen, "%s", buf);
                rc = 0;
                break;
            }
        }
    }
    close(fd);
    return rc;
}

/* 1 when the server on port answers PING with +PONG within timeout_ms. */
static inline int plx_redis_ping(int port, int timeout_ms) {
    char line[64];
    return plx_redis_inline(port, "PING", line, sizeof(line), timeout_ms) == 0 &&
           strcmp(line, "+PONG") == 0;
}

/* Starts redis-server on port (0: pick a free one, retrying with other ports when it does not
 * come up) and waits for PING. 0, or -1. */
static inline int plx_redis_start_on(plx_redis_fixture *f, int port) {
    int attempts = port ? 1 : PLX_REDIS_START_ATTEMPTS;
    f->pid = 0;
    for (int i = 0; i < attempts; i++) {
        int p = port ? port : plx_redis_free_port();
        if (!p) continue;
        char ports[16];
        snprintf(ports, sizeof(ports), "%d", p);
        pid_t pid = fork();
        if (pid < 0) return -1;
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            int null = open("/dev/null", O_RDWR);
            if (null >= 0) {
                dup2(null, 1);
                dup2(null, 2);
            }
            execl(PLX_REDIS_SERVER, "redis-server", "--port", ports, "--bind", "127.0.0.1",
                  "--save", "", "--appendonly", "no", "--dir", "/tmp", "--daemonize", "no",
                  (char *)NULL);
            _exit(127);
        }
        for (int waited = 0; waited < PLX_REDIS_START_MS; waited += 20) {
            if (plx_redis_ping(p, 200)) {
                f->pid = pid;
                f->port = p;
                return 0;
            }
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                pid = 0; /* exited (port taken?): try another */
                break;
            }
            plx_redis_sleep_ms(20);
        }
        if (pid) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
    }
    return -1;
}

static inline int plx_redis_start(plx_redis_fixture *f) {
    return plx_redis_start_on(f, 0);
}

/* Stops the server: SIGTERM (SIGCONT first, in case a test stopped it), SIGKILL after
 * PLX_REDIS_STOP_MS. The port stays in f->port for a restart with plx_redis_start_on. */
static inline void plx_redis_stop(plx_redis_fixture *f) {
    if (!f->pid) return;
    kill(f->pid, SIGCONT);
    kill(f->pid, SIGTERM);
    for (int waited = 0; waited < PLX_REDIS_STOP_MS; waited += 10) {
        if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
            f->pid = 0;
            return;
        }
        plx_redis_sleep_ms(10);
    }
    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
    f->pid = 0;
}

/* Kills the server at once (SIGKILL), as a crash would. */
static inline void plx_redis_kill(plx_redis_fixture *f) {
    if (!f->pid) return;
    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
    f->pid = 0;
}

#endif
