/*
 * redis_proc.c - a private redis-server for the differential test (redis_proc.h).
 */
#include "redis_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A port the kernel reports free on 127.0.0.1 (bind to port 0, read it back, close). */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int can_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static int start_once(plx_redis_proc *p, int timeout_ms) {
    int port = free_port();
    if (port <= 0) return -1;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    const char *bin = getenv("PLX_REDIS_SERVER");
    if (!bin || !*bin) bin = "redis-server";
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
#ifdef __linux__
        /* The server must not outlive this program, even when it crashes or is killed. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1) _exit(127);
#endif
        /* Quiet child: redis's log goes to /dev/null (and it keeps no pipe of ours open). */
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        char *argv[] = {(char *)bin, "--port",       portstr, "--bind",      "127.0.0.1", "--save",
                        "",          "--appendonly", "no",    "--daemonize", "no",        NULL};
        execvp(bin, argv);
        fprintf(stderr, "plx-store-diff: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) return -1; /* exited: port taken? */
        if (can_connect(port)) {
            p->pid = pid;
            p->port = port;
            return 0;
        }
        sleep_ms(20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int plx_redis_start(plx_redis_proc *p, int timeout_ms) {
    /* The port may be taken between free_port and redis's bind: try three times. */
    for (int attempt = 0; attempt < 3; attempt++)
        if (start_once(p, timeout_ms) == 0) return 0;
    fprintf(stderr, "plx-store-diff: redis-server did not start within %d ms\n", timeout_ms);
    return -1;
}

void plx_redis_stop(plx_redis_proc *p) {
    if (p->pid <= 0) return;
    kill(p->pid, SIGTERM);
    for (int waited = 0; waited < 3000; waited += 20) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return;
        }
        sleep_ms(20);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
}
