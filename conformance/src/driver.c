/*
 * driver.c - starting, feeding, reading and ending a client-mode driver process (see
 * driver.h, DRIVERS.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"
#include "json.h"

#define WRITE_TIMEOUT_MS 10000 /* a command line must be taken within this */
#define LOG_MAX_ENTRIES  5000
#define STDERR_LINE_MAX  2000 /* characters of one stderr line kept in the log */

static void dlog(cf_driver *d, const char *dir, const char *kind, const char *key,
                 const char *text) {
    cJSON *e;

    if (!d->log || cJSON_GetArraySize(d->log) >= LOG_MAX_ENTRIES) return;
    e = cJSON_CreateObject();
    if (!e) return;
    cJSON_AddNumberToObject(e, "ms", (double)(cf_now_ms() - d->t0));
    cJSON_AddStringToObject(e, "conn", "driver");
    cJSON_AddStringToObject(e, "dir", dir);
    cJSON_AddStringToObject(e, "kind", kind);
    if (text) cJSON_AddStringToObject(e, key, text);
    cJSON_AddItemToArray(d->log, e);
}

int cf_driver_start(cf_driver *d, const char *cmd, cJSON *log, uint64_t t0, char *err,
                    size_t errlen) {
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};

    memset(d, 0, sizeof(*d));
    d->in_fd = d->out_fd = d->err_fd = -1;
    d->log = log;
    d->t0 = t0;
    d->answers = cJSON_CreateArray();
    d->events = cJSON_CreateArray();
    if (!d->answers || !d->events || pipe(in) || pipe(out) || pipe(er)) {
        snprintf(err, errlen, "cannot start the driver: %s", strerror(errno));
        goto fail;
    }
    d->pid = fork();
    if (d->pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        goto fail;
    }
    if (d->pid == 0) {
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(er[1], 2);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        close(er[0]);
        close(er[1]);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(d->pid, d->pid);
    close(in[0]);
    close(out[1]);
    close(er[1]);
    d->in_fd = in[1];
    d->out_fd = out[0];
    d->err_fd = er[0];
    fcntl(d->in_fd, F_SETFD, FD_CLOEXEC);
    fcntl(d->out_fd, F_SETFD, FD_CLOEXEC);
    fcntl(d->err_fd, F_SETFD, FD_CLOEXEC);
    fcntl(d->in_fd, F_SETFL, fcntl(d->in_fd, F_GETFL) | O_NONBLOCK);
    fcntl(d->out_fd, F_SETFL, fcntl(d->out_fd, F_GETFL) | O_NONBLOCK);
    fcntl(d->err_fd, F_SETFL, fcntl(d->err_fd, F_GETFL) | O_NONBLOCK);
    dlog(d, "send", "start", "text", cmd);
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0) close(in[i]);
        if (out[i] >= 0) close(out[i]);
        if (er[i] >= 0) close(er[i]);
    }
    cJSON_Delete(d->answers);
    cJSON_Delete(d->events);
    d->answers = d->events = NULL;
    return -1;
}

/* Writes all of b to the pipe fd before deadline_ms. 0, or -1 with err. */
static int write_pipe(int fd, const uint8_t *b, size_t n, uint64_t deadline_ms, char *err,
                      size_t errlen) {
    while (n) {
        ssize_t w = write(fd, b, n);
        struct pollfd p = {fd, POLLOUT, 0};
        uint64_t now = cf_now_ms();

        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, errno == EPIPE ? "the driver closed its stdin" : "write: %s",
                     strerror(errno));
            return -1;
        }
        if (now >= deadline_ms || poll(&p, 1, (int)(deadline_ms - now)) < 0) {
            snprintf(err, errlen, "the driver took no input for %d ms", WRITE_TIMEOUT_MS);
            return -1;
        }
    }
    return 0;
}

int cf_driver_send(cf_driver *d, const cJSON *cmd, char *err, size_t errlen) {
    cJSON *copy = cJSON_Duplicate(cmd, 1);
    char *text;
    cf_buf line = {0};
    int rc;

    if (d->in_fd < 0) {
        snprintf(err, errlen, "the driver's stdin is closed");
        cJSON_Delete(copy);
        return -1;
    }
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    cf_json_raw_numbers(copy);
    text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    if (!text || cf_buf_str(&line, text) || cf_buf_str(&line, "\n")) {
        free(text);
        cf_buf_free(&line);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dlog(d, "send", "command", "json", text);
    free(text);
    rc = write_pipe(d->in_fd, line.data, line.len, cf_now_ms() + WRITE_TIMEOUT_MS, err, errlen);
    cf_buf_free(&line);
    return rc;
}

/* Handles one complete stdout line. */
static void stdout_line(cf_driver *d, const char *text, size_t len) {
    cJSON *v = cf_json_parse(text, len, NULL);
    char *shown = strndup(text, len > 4000 ? 4000 : len);

    dlog(d, "recv", "line", "json", shown ? shown : "?");
    free(shown);
    if (!cJSON_IsObject(v)) {
        if (!d->bad) d->bad = strndup(text, len > 1000 ? 1000 : len);
        cJSON_Delete(v);
        return;
    }
    if (cJSON_GetArraySize(d->answers) + cJSON_GetArraySize(d->events) >= CF_DRIVER_QUEUE) {
        cJSON_Delete(v);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(v, "id"))
        cJSON_AddItemToArray(d->answers, v);
    else
        cJSON_AddItemToArray(d->events, v);
}

static void stderr_line(cf_driver *d, const char *text, size_t len) {
    char *shown = strndup(text, len > STDERR_LINE_MAX ? STDERR_LINE_MAX : len);

    dlog(d, "recv", "stderr", "text", shown ? shown : "?");
    free(shown);
}

/* Reads from *fd into b and hands out complete lines; closes *fd at EOF. */
static int read_lines(cf_driver *d, int *fd, cf_buf *b,
                      void (*line)(cf_driver *, const char *, size_t)) {
    uint8_t buf[65536];
    ssize_t n = read(*fd, buf, sizeof(buf));
    size_t start = 0, i;

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) {
        if (b->len) line(d, (const char *)b->data, b->len);
        b->len = 0;
        close(*fd);
        *fd = -1;
        return -1;
    }
    if (cf_buf_add(b, buf, (size_t)n)) return 0;
    for (i = 0; i < b->len; i++) {
        if (b->data[i] != '\n') continue;
        line(d, (const char *)b->data + start, i - start);
        start = i + 1;
    }
    cf_buf_consume(b, start);
    if (b->len > CF_DRIVER_LINE_MAX) {
        line(d, (const char *)b->data, 200);
        b->len = 0;
    }
    return 0;
}

void cf_driver_pollfds(const cf_driver *d, int fds[2]) {
    fds[0] = d->out_fd;
    fds[1] = d->err_fd;
}

int cf_driver_pump(cf_driver *d, int timeout_ms) {
    struct pollfd p[2];
    int n = 0;

    if (d->out_fd >= 0) p[n++] = (struct pollfd){d->out_fd, POLLIN, 0};
    if (d->err_fd >= 0) p[n++] = (struct pollfd){d->err_fd, POLLIN, 0};
    if (!n) return -1;
    if (poll(p, (nfds_t)n, timeout_ms) <= 0) return 0;
    for (int i = 0; i < n; i++) {
        if (!p[i].revents) continue;
        if (p[i].fd == d->out_fd)
            read_lines(d, &d->out_fd, &d->out, stdout_line);
        else
            read_lines(d, &d->err_fd, &d->err, stderr_line);
    }
    return d->out_fd >= 0 ? 0 : -1;
}

cJSON *cf_driver_take_answer(cf_driver *d, const char *id) {
    cJSON *a;
    int i = 0;

    cJSON_ArrayForEach(a, d->answers) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "id");

        if (cJSON_IsString(v) && !strcmp(v->valuestring, id))
            return cJSON_DetachItemFromArray(d->answers, i);
        i++;
    }
    return NULL;
}

cJSON *cf_driver_take_event(cf_driver *d) {
    return cJSON_GetArraySize(d->events) ? cJSON_DetachItemFromArray(d->events, 0) : NULL;
}

void cf_driver_stop(cf_driver *d, int grace_ms) {
    uint64_t end = cf_now_ms() + (uint64_t)grace_ms;

    if (d->in_fd >= 0) close(d->in_fd);
    d->in_fd = -1;
    while (d->pid > 0 && !d->exited) {
        pid_t r = waitpid(d->pid, &d->status, WNOHANG);

        if (r == d->pid) {
            d->exited = 1;
            break;
        }
        if (cf_now_ms() >= end) {
            kill(-d->pid, SIGKILL);
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &d->status, 0);
            d->exited = 1;
            d->killed = 1;
            dlog(d, "send", "kill", "what", "the driver did not exit after its stdin closed");
            break;
        }
        if (d->out_fd >= 0 || d->err_fd >= 0)
            cf_driver_pump(d, 20);
        else
            cf_sleep_ms(10);
    }
    if (d->pid > 0) kill(-d->pid, SIGKILL); /* anything it left running */
    end = cf_now_ms() + 500;
    while ((d->out_fd >= 0 || d->err_fd >= 0) && cf_now_ms() < end)
        cf_driver_pump(d, 20);
    if (d->out_fd >= 0) close(d->out_fd);
    if (d->err_fd >= 0) close(d->err_fd);
    d->out_fd = d->err_fd = -1;
    cf_buf_free(&d->out);
    cf_buf_free(&d->err);
    cJSON_Delete(d->answers);
    cJSON_Delete(d->events);
    d->answers = d->events = NULL;
    free(d->bad);
    d->bad = NULL;
}
