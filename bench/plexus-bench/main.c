/*
 * main.c - plexus-bench: runs the workloads (kv, rpc, fanout, bulk, connections) against a
 * plexus-server it starts, each next to the peer a user would pick instead (redis-server,
 * nats-server, mosquitto, started on free 127.0.0.1 ports and stopped after), and prints the
 * figures, the ratios and whether the targets are met.
 */
#include <libwebsockets.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

static const struct {
    const char *name;
    int (*fn)(bench *b);
    const char *doc;
} workloads[] = {
    {"kv", wl_kv, "sequential HSET+HGET round trips/s and a 10,000-command pipeline (redis)"},
    {"rpc", wl_rpc, "call round trips/s via a second client, 1 and 16 in flight (nats)"},
    {"fanout", wl_fanout, "one event to a group of 100 clients, deliveries/s (mosquitto QoS 0)"},
    {"bulk", wl_bulk, "SET then GET of an 8 MiB binary value, seconds (redis)"},
    {"connections", wl_connections, "10,000 idle connections, server RSS per connection"},
    {"cluster", wl_cluster,
     "kv and rpc across two instances sharing one Redis (vs 1 instance, redis)"},
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static void usage(FILE *f) {
    fprintf(f, "usage: plexus-bench [options]\n\n"
               "Runs Plexus workloads against a plexus-server it starts on 127.0.0.1, and the\n"
               "same workloads against a peer started alongside; prints each figure, the\n"
               "peer's, their ratio (> 1: Plexus is better) and the target, met or not.\n\n"
               "options:\n"
               "  --workload NAME     run only NAME (repeatable); default: all\n"
               "  --quick             smaller counts (a smoke run, not a measurement)\n"
               "  --server PATH       plexus-server (default: next to plexus-bench, or\n"
               "                      ../../reference-server/plexus-server in a build tree)\n"
               "  --redis-server PATH (default /usr/bin/redis-server)\n"
               "  --nats-server PATH  (default /usr/sbin/nats-server)\n"
               "  --mosquitto PATH    (default /usr/sbin/mosquitto)\n"
               "  --help              this help\n\nworkloads:\n");
    for (size_t i = 0; i < NWORKLOADS; i++)
        fprintf(f, "  %-12s %s\n", workloads[i].name, workloads[i].doc);
    fprintf(f, "\nexit codes: 0 every target met, 1 a target not met or a workload could not\n"
               "run, 2 usage error. Build in Release (-DCMAKE_BUILD_TYPE=Release) to measure.\n");
}

/* plexus-server next to this binary, or where a build tree puts it. */
static char *find_server(void) {
    static const char *rel[] = {"/plexus-server", "/../reference-server/plexus-server",
                                "/../../reference-server/plexus-server"};
    char self[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n <= 0) return NULL;
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", self, rel[i]);
        if (access(path, X_OK) == 0) return strdup(path);
    }
    return NULL;
}

static void raise_fd_limit(void) {
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv) {
    bench b;
    int chosen[NWORKLOADS] = {0}, any = 0;
    char *found = NULL;

    memset(&b, 0, sizeof(b));
    b.redis_bin = "/usr/bin/redis-server";
    b.nats_bin = "/usr/sbin/nats-server";
    b.mosquitto_bin = "/usr/sbin/mosquitto";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **target = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--quick") == 0) {
            b.quick = 1;
            continue;
        } else if (strcmp(a, "--workload") == 0 && i + 1 < argc) {
            size_t w;
            for (w = 0; w < NWORKLOADS && strcmp(workloads[w].name, argv[i + 1]); w++)
                ;
            if (w == NWORKLOADS) {
                fprintf(stderr, "plexus-bench: no workload '%s' (see --help)\n", argv[i + 1]);
                return 2;
            }
            chosen[w] = any = 1;
            i++;
            continue;
        } else if (strcmp(a, "--server") == 0) {
            target = &b.server_bin;
        } else if (strcmp(a, "--redis-server") == 0) {
            target = &b.redis_bin;
        } else if (strcmp(a, "--nats-server") == 0) {
            target = &b.nats_bin;
        } else if (strcmp(a, "--mosquitto") == 0) {
            target = &b.mosquitto_bin;
        }
        if (!target || i + 1 >= argc) {
            fprintf(stderr, "plexus-bench: bad argument '%s' (see --help)\n", a);
            return 2;
        }
        *target = argv[++i];
    }
    if (!b.server_bin && !(b.server_bin = found = find_server())) {
        fprintf(stderr, "plexus-bench: plexus-server not found: give --server PATH\n");
        return 2;
    }
    snprintf(b.tmpdir, sizeof(b.tmpdir), "/tmp/plexus-bench-XXXXXX");
    if (!mkdtemp(b.tmpdir)) {
        perror("plexus-bench: mkdtemp");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    lws_set_log_level(0, NULL);
    printf("plexus-bench: server %s%s\n", b.server_bin, b.quick ? " (quick run)" : "");
    for (size_t w = 0; w < NWORKLOADS; w++)
        if (!any || chosen[w]) workloads[w].fn(&b);
    printf("plexus-bench: %d target(s) not met, %d workload(s) not run\n", b.targets_missed,
           b.failures);
    {
        char conf[320];
        snprintf(conf, sizeof(conf), "%s/mosquitto.conf", b.tmpdir);
        unlink(conf);
        rmdir(b.tmpdir);
    }
    free(found);
    return b.targets_missed || b.failures ? 1 : 0;
}
