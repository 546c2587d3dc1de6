/*
 * bench.h - what the files of plexus-bench share: the run settings, the processes it starts
 * (plexus-server and the peers: redis-server, nats-server, mosquitto), timing, and the
 * result lines every workload prints.
 */
#ifndef PLX_BENCH_H
#define PLX_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_START_MS 10000 /* a started process must accept connections within this */
#define BENCH_STOP_MS  10000 /* and exit this long after SIGTERM (then SIGKILL) */

typedef struct bench {
    const char *server_bin; /* plexus-server */
    const char *redis_bin, *nats_bin, *mosquitto_bin;
    int quick;    /* --quick: smaller counts */
    int failures; /* workloads that could not run */
    int targets_missed;
    char tmpdir[256]; /* scratch directory (mosquitto's config) */
} bench;

/* A process the bench started. */
typedef struct bench_proc {
    pid_t pid;
    int port;
    int tcp_port;
    char name[32];
} bench_proc;

/* proc.c */
/* A free TCP port on 127.0.0.1 (bound and released), or -1. */
int bench_free_port(void);
/* Starts plexus-server on --port 0 (and --tcp-port 0) with extra arguments (NULL-terminated)
 * and reads its ports. 0 or -1 (message on stderr). */
int bench_start_plexus(bench *b, bench_proc *p, ...);
/* Starts argv (NULL-terminated) with stdout/stderr to /dev/null and waits until port
 * accepts connections. 0 or -1. */
int bench_start_peer(bench_proc *p, const char *name, int port, char *const argv[]);
/* SIGTERM, bounded wait, then SIGKILL. No-op for pid 0. */
void bench_stop(bench_proc *p);
/* VmRSS of the process in KiB, or -1. */
long bench_rss_kib(pid_t pid);
/* Starts the peers on free ports. 0 or -1. */
int bench_start_redis(bench *b, bench_proc *p);
int bench_start_nats(bench *b, bench_proc *p);
int bench_start_mosquitto(bench *b, bench_proc *p);

/* time.c */
double bench_now(void); /* monotonic seconds */
void bench_sleep_ms(unsigned ms);

/* report.c: one result line. higher_better: ratio = plexus / peer, else peer / plexus.
 * target: the minimum ratio (0: no target). peer < 0: no peer figure. */
void bench_report(bench *b, const char *workload, const char *what, const char *unit, double plexus,
                  double peer, const char *peer_name, int higher_better, double target);
/* A figure without a peer, with an optional upper bound (max > 0: met when value <= max). */
void bench_report_bound(bench *b, const char *workload, const char *what, const char *unit,
                        double value, double max);
/* A workload that could not run. */
void bench_report_skip(bench *b, const char *workload, const char *why);

/* The workloads: each returns 0, or -1 when it could not run (reported). */
int wl_kv(bench *b);
int wl_rpc(bench *b);
int wl_fanout(bench *b);
int wl_bulk(bench *b);
int wl_connections(bench *b);
int wl_cluster(bench *b);

/* wl_rpc.c: call round trips/s of bench.echo, served by a client of serve_port and called by
 * a client of call_port (1 then 16 calls in flight) into out[0], out[1]. 0 or -1. */
int bench_rpc_plexus(int serve_port, int call_port, int n, double out[2]);
/* wl_cluster.c: waits (up to 10 s) until route answers a call from c. 0 or -1. */
struct plx_client;
int bench_rpc_ready(struct plx_client *c, const char *route);

#endif
