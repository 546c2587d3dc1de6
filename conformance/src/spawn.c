/*
 * spawn.c - starting, signalling and stopping the servers of `server --spawn` (see spawn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

#define MAX_ARGS 128

static void path_of(const cf_server_proc *p, const char *file, char *out, size_t n) {
    snprintf(out, n, "%s/%s", p->dir, file);
}

static void remove_files(cf_server_proc *p) {
    char f[192];

    if (!p->dir[0]) return;
    path_of(p, "stdout", f, sizeof(f));
    unlink(f);
    path_of(p, "stderr", f, sizeof(f));
    unlink(f);
    rmdir(p->dir);
    p->dir[0] = 0;
}

/* The port announced by a line "<prefix> N" of text, or 0. */
static int port_after(const char *text, const char *prefix) {
    const char *s = text;
    size_t n = strlen(prefix);

    while (s && *s) {
        if (!strncmp(s, prefix, n)) {
            long v = strtol(s + n, NULL, 10);

            return v > 0 && v < 65536 ? (int)v : 0;
        }
        s = strchr(s, '\n');
        if (s) s++;
    }
    return 0;
}

/* Appends the last bytes of the server's stderr to err. */
static void stderr_tail(cf_server_proc *p, char *err, size_t errlen) {
    char f[192], *text;
    size_t len = 0, used = strlen(err);

    path_of(p, "stderr", f, sizeof(f));
    text = cf_read_file(f, 1 << 20, &len);
    if (text && len && used + 20 < errlen) {
        const char *tail = len > 400 ? text + len - 400 : text;

        snprintf(err + used, errlen - used, "; its stderr: %s", tail);
        err[used + cf_utf8_cut(err + used, strlen(err + used))] = 0;
    }
    free(text);
}

static void child(const char *cmd, const cJSON *args, int stream, const char *out,
                  const char *errf) {
    char *argv[MAX_ARGS + 8];
    const cJSON *a;
    int n = 0, fd;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) dup2(fd, 0);
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) dup2(fd, 1);
    fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) dup2(fd, 2);
    argv[n++] = "/bin/sh";
    argv[n++] = "-c";
    argv[n++] = NULL; /* filled below */
    argv[n++] = "sh";
    cJSON_ArrayForEach(a, args) if (n < MAX_ARGS && cJSON_IsString(a)) argv[n++] = a->valuestring;
    argv[n++] = "--port";
    argv[n++] = "0";
    if (stream) {
        argv[n++] = "--tcp-port";
        argv[n++] = "0";
    }
    argv[n] = NULL;
    {
        size_t len = strlen(cmd) + 16;
        char *script = malloc(len);

        if (!script) _exit(127);
        snprintf(script, len, "exec %s \"$@\"", cmd);
        argv[2] = script;
        signal(SIGPIPE, SIG_DFL);
        execv("/bin/sh", argv);
    }
    _exit(127);
}

int cf_server_start(cf_server_proc *p, const char *cmd, const cJSON *args, int stream, char *err,
                    size_t errlen) {
    char out[192], errf[192];
    uint64_t deadline;

    memset(p, 0, sizeof(*p));
    snprintf(p->dir, sizeof(p->dir), "%s/plexus-conform-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(p->dir)) {
        snprintf(err, errlen, "cannot make a temporary folder: %s", strerror(errno));
        p->dir[0] = 0;
        return -1;
    }
    path_of(p, "stdout", out, sizeof(out));
    path_of(p, "stderr", errf, sizeof(errf));
    fflush(NULL);
    p->pid = fork();
    if (p->pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        p->pid = 0;
        remove_files(p);
        return -1;
    }
    if (p->pid == 0) child(cmd, args, stream, out, errf);
    deadline = cf_now_ms() + CF_SPAWN_START_MS;
    while (cf_now_ms() < deadline) {
        size_t len = 0;
        char *text = cf_read_file(out, 1 << 16, &len);

        if (text) {
            p->port = port_after(text, "listening on ");
            p->tcp_port = port_after(text, "listening tcp on ");
            free(text);
        }
        if (p->port && (!stream || p->tcp_port)) return 0;
        if (!cf_server_alive(p)) {
            snprintf(err, errlen, "the server exited (status %d) before printing its port",
                     WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status));
            stderr_tail(p, err, errlen);
            cf_server_stop(p);
            return -1;
        }
        cf_sleep_ms(20);
    }
    snprintf(err, errlen, "the server did not print 'listening %son N' within %d ms",
             stream ? "tcp " : "", CF_SPAWN_START_MS);
    stderr_tail(p, err, errlen);
    cf_server_stop(p);
    return -1;
}

char *cf_server_log(const cf_server_proc *p, size_t *len) {
    static const char *const files[] = {"stdout", "stderr"};
    cf_buf b = {0};
    size_t i;

    *len = 0;
    for (i = 0; i < 2; i++) {
        char f[192], *text;
        size_t n = 0;

        path_of(p, files[i], f, sizeof(f));
        text = cf_read_file(f, 64u << 20, &n);
        if (text && cf_buf_add(&b, text, n)) {
            free(text);
            cf_buf_free(&b);
            return NULL;
        }
        free(text);
    }
    if (cf_buf_add(&b, "", 0)) return NULL;
    *len = b.len;
    return (char *)b.data;
}

int cf_server_alive(cf_server_proc *p) {
    if (p->pid <= 0 || p->exited) return 0;
    if (waitpid(p->pid, &p->status, WNOHANG) == p->pid) p->exited = 1;
    return !p->exited;
}

int cf_server_signal(cf_server_proc *p, int sig) {
    if (!cf_server_alive(p)) return -1;
    return kill(p->pid, sig) ? -1 : 0;
}

void cf_server_stop(cf_server_proc *p) {
    uint64_t deadline = cf_now_ms() + CF_SPAWN_STOP_MS;

    if (cf_server_alive(p)) {
        kill(p->pid, SIGTERM);
        while (cf_server_alive(p) && cf_now_ms() < deadline)
            cf_sleep_ms(10);
        if (cf_server_alive(p)) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &p->status, 0);
            p->exited = 1;
        }
    }
    p->pid = 0;
    remove_files(p);
}
