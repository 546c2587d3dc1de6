/*
 * run.c - runs one command for serve: a child in its own process group, its stdin fed and
 * its stdout and stderr drained through non-blocking pipes in one poll loop (no deadlock
 * whatever order the child reads and writes in), with a time bound and an output bound that
 * both end in SIGKILL to the group.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct sink {
    char *buf;
    size_t len, cap, max;
    int drop; /* keep the first max bytes, drop the rest (stderr) rather than overflow */
    int overflow;
} sink;

/* Reads what fd has into s; returns 0 at EOF, 1 when more may come, -1 on overflow. */
static int drain(int fd, sink *s) {
    char tmp[65536];

    for (;;) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n == 0) return 0;
        if (n < 0) return errno == EAGAIN || errno == EINTR ? 1 : 0;
        size_t keep = (size_t)n;
        if (s->len + keep > s->max) {
            if (!s->drop) {
                s->overflow = 1;
                return -1;
            }
            keep = s->max - s->len;
        }
        if (s->len + keep + 1 > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + keep + 1)
                cap *= 2;
            char *b = realloc(s->buf, cap);
            if (!b) {
                s->overflow = 1;
                return -1;
            }
            s->buf = b;
            s->cap = cap;
        }
        memcpy(s->buf + s->len, tmp, keep);
        s->len += keep;
    }
}

/* A pipe whose ends other commands started in parallel do not inherit. */
static int cloexec_pipe(int p[2]) {
    if (pipe(p)) return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static void child(char *const argv[], int in, int out, int err) {
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execvp(argv[0], argv);
    {
        const char *m = strerror(errno);
        (void)!write(2, "cannot run ", 11);
        (void)!write(2, argv[0], strlen(argv[0]));
        (void)!write(2, ": ", 2);
        (void)!write(2, m, strlen(m));
        (void)!write(2, "\n", 1);
    }
    _exit(127);
}

static char *terminated(sink *s) {
    if (!s->buf)
        s->buf = calloc(1, 1);
    else
        s->buf[s->len] = '\0';
    return s->buf;
}

int run_command(char *const argv[], const char *in, size_t in_len, int timeout_ms, size_t max_out,
                run_result *r) {
    int pin[2], pout[2], perr[2], st = 0, open_out = 1, open_err = 1;
    sink out = {NULL, 0, 0, max_out, 0, 0}, err = {NULL, 0, 0, RUN_MAX_ERR, 1, 0};
    size_t written = 0;
    long long deadline = mono_ms() + timeout_ms;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    if (cloexec_pipe(pin)) return -1;
    if (cloexec_pipe(pout)) goto fail_in;
    if (cloexec_pipe(perr)) goto fail_out;
    if ((pid = fork()) < 0) goto fail_err;
    if (pid == 0) child(argv, pin[0], pout[1], perr[1]);
    setpgid(pid, pid);
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    fcntl(pout[0], F_SETFL, O_NONBLOCK);
    fcntl(perr[0], F_SETFL, O_NONBLOCK);
    if (in_len == 0) {
        close(pin[1]);
        pin[1] = -1;
    }
    while (open_out || open_err) {
        struct pollfd p[3] = {{pout[0], open_out ? POLLIN : 0, 0},
                              {perr[0], open_err ? POLLIN : 0, 0},
                              {pin[1], POLLOUT, 0}};
        long long left = deadline - mono_ms();
        if (left <= 0) {
            r->timed_out = 1;
            break;
        }
        if (poll(p, pin[1] >= 0 ? 3 : 2, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
            break;
        if (pin[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(pin[1], in + written, in_len - written);
            if (n > 0) written += (size_t)n;
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == in_len) {
                close(pin[1]);
                pin[1] = -1;
            }
        }
        if (open_out && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            int d = drain(pout[0], &out);
            if (d < 0) {
                r->overflow = 1;
                break;
            }
            open_out = d;
        }
        if (open_err && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            open_err = drain(perr[0], &err) != 0;
    }
    if (r->timed_out || r->overflow) kill(-pid, SIGKILL);
    /* The pipes are drained; the child may still run with them closed: wait for it within
     * the deadline, then kill it. */
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (mono_ms() >= deadline) {
            r->timed_out = 1;
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (pin[1] >= 0) close(pin[1]);
    close(pout[0]);
    close(perr[0]);
    r->exited = WIFEXITED(st);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
    r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    r->out = terminated(&out);
    r->out_len = out.len;
    r->err = terminated(&err);
    r->err_len = err.len;
    return 0;
fail_err:
    close(perr[0]);
    close(perr[1]);
fail_out:
    close(pout[0]);
    close(pout[1]);
fail_in:
    close(pin[0]);
    close(pin[1]);
    return -1;
}

void run_free(run_result *r) {
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}
