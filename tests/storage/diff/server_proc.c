/*
 * server_proc.c - a private plexus-server for the differential test (server_proc.h).
 */
#include "server_proc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 256 /* bound on what is read before the listening line */

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads fd until a full "listening on N" line or the deadline; the port, or -1. */
static int read_port(int fd, int timeout_ms) {
    char buf[LINE_MAX_BYTES + 1];
    size_t n = 0;
    long long end = mono_ms() + timeout_ms;
    while (n < LINE_MAX_BYTES) {
        long long left = end - mono_ms();
        if (left <= 0) return -1;
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return -1;
        ssize_t got = read(fd, buf + n, 1); /* byte by byte: nothing past the line is taken */
        if (got <= 0) return -1;            /* the server exited */
        if (buf[n++] != '\n') continue;
        buf[n] = 0;
        int port;
        if (sscanf(buf, "listening on %d", &port) == 1 && port > 0 && port < 65536) return port;
        n = 0; /* some other line: keep reading */
    }
    return -1;
}

int plx_server_start(plx_server_proc *p, const char *bin, int timeout_ms) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
#ifdef __linux__
        /* The server must not outlive this program, even when it crashes or is killed. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1) _exit(127);
#endif
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        char *argv[] = {(char *)bin, "--port",      "0",    "--host",
                        "127.0.0.1", "--log-level", "warn", NULL};
        execv(bin, argv);
        fprintf(stderr, "plx-store-diff: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    p->pid = pid;
    p->out = fds[0];
    p->port = read_port(fds[0], timeout_ms);
    if (p->port > 0) return 0;
    fprintf(stderr, "plx-store-diff: %s printed no 'listening on N' within %d ms\n", bin,
            timeout_ms);
    plx_server_stop(p);
    return -1;
}

int plx_server_stop(plx_server_proc *p) {
    int status = -1;
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        long long end = mono_ms() + 3000;
        pid_t w = 0;
        while ((w = waitpid(p->pid, &status, WNOHANG)) == 0 && mono_ms() < end) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (w != p->pid) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
            status = -1;
        }
    }
    if (p->out > 0) close(p->out);
    p->pid = 0;
    p->out = -1;
    return status;
}
