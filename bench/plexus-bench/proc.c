/*
 * proc.c - the processes plexus-bench starts on 127.0.0.1 and stops: plexus-server (its
 * ports read from its stdout), redis-server, nats-server and mosquitto (free ports, waited
 * for until they accept), and their resident memory. Every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int bench_free_port(void) {
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd < 0) return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int accepts(int port) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    if (fd < 0) return 0;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static pid_t spawn(char *const argv[], int out_fd) {
    pid_t pid = fork();

    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* a bench that dies leaves no server behind */
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(out_fd >= 0 ? out_fd : null, 1);
    dup2(null, 2);
    execv(argv[0], argv);
    _exit(127);
}

int bench_start_peer(bench_proc *p, const char *name, int port, char *const argv[]) {
    double end = bench_now() + BENCH_START_MS / 1000.0;

    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->port = port;
    if ((p->pid = spawn(argv, -1)) < 0) return -1;
    while (bench_now() < end) {
        if (accepts(port)) return 0;
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) break;
        bench_sleep_ms(20);
    }
    fprintf(stderr, "plexus-bench: %s (%s) did not start on port %d\n", name, argv[0], port);
    bench_stop(p);
    return -1;
}

int bench_start_plexus(bench *b, bench_proc *p, ...) {
    char *argv[32], buf[1024];
    int fds[2], n = 0;
    size_t len = 0;
    double end = bench_now() + BENCH_START_MS / 1000.0;
    va_list ap;
    char *a;

    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "plexus-server");
    argv[n++] = (char *)b->server_bin;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--tcp-port";
    argv[n++] = "0";
    argv[n++] = "--log-level";
    argv[n++] = "error";
    va_start(ap, p);
    while ((a = va_arg(ap, char *)) && n < 30)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    if (pipe(fds)) return -1;
    p->pid = spawn(argv, fds[1]);
    close(fds[1]);
    while ((p->port == 0 || p->tcp_port == 0) && bench_now() < end) {
        struct pollfd pf = {fds[0], POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0) continue;
        ssize_t r = read(fds[0], buf + len, sizeof(buf) - 1 - len);
        if (r <= 0) break;
        len += (size_t)r;
        buf[len] = '\0';
        char *s = strstr(buf, "listening on ");
        if (s) p->port = atoi(s + 13);
        s = strstr(buf, "listening tcp on ");
        if (s) p->tcp_port = atoi(s + 17);
    }
    close(fds[0]);
    if (p->port > 0 && p->tcp_port > 0) return 0;
    fprintf(stderr, "plexus-bench: %s did not print its ports\n", b->server_bin);
    bench_stop(p);
    return -1;
}

void bench_stop(bench_proc *p) {
    double end = bench_now() + BENCH_STOP_MS / 1000.0;

    if (p->pid <= 0) return;
    kill(p->pid, SIGTERM);
    while (bench_now() < end) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return;
        }
        bench_sleep_ms(10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
}

long bench_rss_kib(pid_t pid) {
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (!(f = fopen(path, "r"))) return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

int bench_start_redis(bench *b, bench_proc *p) {
    char port[16];
    int n = bench_free_port();

    snprintf(port, sizeof(port), "%d", n);
    char *argv[] = {(char *)b->redis_bin,
                    "--port",
                    port,
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--maxclients",
                    "10100",
                    "--protected-mode",
                    "no",
                    NULL};
    return n < 0 ? -1 : bench_start_peer(p, "redis-server", n, argv);
}

int bench_start_nats(bench *b, bench_proc *p) {
    char port[16];
    int n = bench_free_port();

    snprintf(port, sizeof(port), "%d", n);
    char *argv[] = {(char *)b->nats_bin, "-a", "127.0.0.1", "-p", port, NULL};
    return n < 0 ? -1 : bench_start_peer(p, "nats-server", n, argv);
}

int bench_start_mosquitto(bench *b, bench_proc *p) {
    char conf[320];
    int n = bench_free_port();
    FILE *f;

    snprintf(conf, sizeof(conf), "%s/mosquitto.conf", b->tmpdir);
    if (n < 0 || !(f = fopen(conf, "w"))) return -1;
    /* QoS 0 to 100 subscribers: no persistence, no per-client queue limit in the way. */
    fprintf(f,
            "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 0\nmax_inflight_messages 0\n",
            n);
    fclose(f);
    char *argv[] = {(char *)b->mosquitto_bin, "-c", conf, NULL};
    return bench_start_peer(p, "mosquitto", n, argv);
}
