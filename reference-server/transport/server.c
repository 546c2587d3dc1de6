/*
 * server.c - the transport's core: builds store, hub and lws context, connects the hub's io
 * callbacks to connections, runs the hub's timers from an lws_sul on the service thread, opens
 * the listeners once the cluster is ready (with Redis), and drives the service loop through a
 * graceful shutdown.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "backend.h"
#include "cluster_glue.h"
#include "conn.h"
#include "log.h"
#include "server.h"

uint64_t plx_now_ms(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

plx_server *plx_server_of(struct lws *wsi) {
    return lws_context_user(lws_get_context(wsi));
}

/* The connection for a hub id, including the one being opened inside plx_hub_open. */
static plx_conn *conn_for(plx_server *s, plx_conn_id id) {
    plx_conn *c = plx_connmap_get(s->conns, id);

    if (!c && s->opening && !s->opening->id) {
        c = s->opening;
        c->id = id;
        if (plx_connmap_put(s->conns, id, c)) c->id = 0;
        if (!c->id) return NULL;
    }
    return c;
}

static int io_send(void *ud, plx_conn_id id, const cJSON *json, const plx_bytes *att, size_t natt) {
    plx_conn *c = conn_for(ud, id);

    if (!c) {
        plx_log(PLX_LOG_WARN, "hub sent to unknown connection %llu", (unsigned long long)id);
        return PLX_E_INVAL;
    }
    return plx_conn_send(c, json, att, natt);
}

static void io_close(void *ud, plx_conn_id id, int ws_code, const char *reason) {
    plx_conn *c = conn_for(ud, id);

    if (c) plx_conn_close(c, ws_code, reason);
}

/* The store's change notifications go to the hub (which exists once the store does). */
static void store_notify(void *ud, const uint8_t *key, size_t klen, const char *op) {
    plx_server *s = ud;

    if (s->hub) plx_hub_store_notify(s->hub, key, klen, op);
}

static void tick_reader(void *v, void *ud) {
    plx_conn_tick(v, *(uint64_t *)ud);
}

/* The hub's timers and the readers' expiry; reschedules itself. */
static void on_tick(lws_sorted_usec_list_t *sul) {
    plx_server *s = lws_container_of(sul, plx_server, tick_sul);
    uint64_t now;
    uint64_t next;

    plx_backend_drain(s); /* a lost wake-up strands nothing */
    now = plx_now_ms();
    next = plx_hub_tick(s->hub, now);
    if (s->glue) {
        uint64_t g = plx_glue_tick(s->glue, now);
        if (g < next) next = g;
    }
    uint64_t delay = PLX_TICK_MAX_MS;

    if (now - s->last_reader_tick >= PLX_READER_TICK_MS) {
        s->last_reader_tick = now;
        plx_connmap_each(s->conns, tick_reader, &now);
    }
    if (next <= now)
        delay = 1;
    else if (next - now < delay)
        delay = next - now;
    lws_sul_schedule(s->ctx, 0, &s->tick_sul, on_tick, (lws_usec_t)delay * LWS_US_PER_MS);
}

/* lws's log callback has no user pointer: the repeat filter of its lines is process-wide
 * (this program runs one server, on one thread). */
static plx_log_repeat lws_repeats;

static void lws_log_emit(int level, const char *line) {
    plx_log_level lvl = level & LLL_ERR ? PLX_LOG_ERROR : PLX_LOG_DEBUG;
    size_t n = strlen(line);
    unsigned long dropped;

    if (!plx_log_enabled(lvl) || !plx_log_repeat_pass(&lws_repeats, line, plx_now_ms(), &dropped))
        return;
    if (dropped) plx_log(lvl, "lws: (the line before came %lu more times)", dropped);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    plx_log(lvl, "lws: %.*s", (int)n, line);
}

static int make_hub(plx_server *s, const plx_options *o) {
    plx_hub_config hc;
    plx_hub_io io;

    if (o->storage == PLX_STORAGE_MEMORY) {
        plx_store_limits lim = {.max_keys = o->max_keys, .max_value = o->max_value};
        s->store = plx_store_new(&lim, store_notify, s);
        if (!s->store) return -1;
    } /* PLX_STORAGE_NONE: the hub answers every cmd and pipeline with STORAGE_UNAVAILABLE */
    memset(&hc, 0, sizeof(hc));
    hc.secret = o->secret;
    hc.override_key = o->override_key;
    hc.max_connections = s->max_connections;
    hc.max_frame = o->max_frame;
    hc.max_message = o->max_message;
    hc.gzip_threshold = PLX_DEFAULT_GZIP_THRESHOLD;
    hc.gzip = 1;
    hc.hello_timeout_ms = o->hello_timeout_ms;
    hc.ping_interval_ms = o->ping_interval_ms ? o->ping_interval_ms : PLX_HUB_PING_OFF;
    hc.missed_pongs = o->missed_pongs;
    hc.call_timeout_ms = o->call_timeout_ms;
    hc.max_call_timeout_ms = o->max_call_timeout_ms;
    hc.history = o->history;
    memset(&io, 0, sizeof(io));
    io.send = io_send;
    io.close = io_close;
    io.ud = s;
    if (o->storage == PLX_STORAGE_REDIS) {
        plx_hub_backend be = plx_backend_hub(s);
        s->hub = plx_hub_new_backend(&hc, &io, &be);
    } else {
        s->hub = plx_hub_new(&hc, &io, s->store);
    }
    return s->hub ? 0 : -1;
}

/* Resolves --host (a name like "localhost" or an address) to a numeric address, IPv4
 * first. 0, or -1 after logging why. */
static int resolve_host(plx_server *s, const char *host) {
    static const int families[] = {AF_INET, AF_INET6};
    struct addrinfo hints, *res;

    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = families[i];
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(host, NULL, &hints, &res) != 0) continue;
        int rc = getnameinfo(res->ai_addr, res->ai_addrlen, s->host, sizeof(s->host), NULL, 0,
                             NI_NUMERICHOST);
        freeaddrinfo(res);
        if (rc == 0) return 0;
    }
    plx_log(PLX_LOG_ERROR, "cannot resolve --host %s", host);
    return -1;
}

/* --max-connections is the hub's bound (SERVER_FULL), not the fd limit's: raises the soft
 * fd limit to max_connections + PLX_FD_RESERVE when the hard limit allows, and sets
 * s->max_connections to the bound the fds allow (plx_options_connection_cap). 0 or -1. */
static int fit_fd_limit(plx_server *s, uint32_t max_connections) {
    uint64_t want = (uint64_t)max_connections + PLX_FD_RESERVE;
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl)) {
        plx_log(PLX_LOG_ERROR, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return -1;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        struct rlimit up = rl;
        up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) rl = up;
    }
    s->fd_limit = rl.rlim_cur == RLIM_INFINITY ? want : (uint64_t)rl.rlim_cur;
    s->max_connections = plx_options_connection_cap(max_connections, s->fd_limit);
    if (s->max_connections == 0) {
        plx_log(PLX_LOG_ERROR,
                "file descriptor limit %llu leaves no room for connections "
                "(%d are reserved; raise ulimit -n)",
                (unsigned long long)s->fd_limit, PLX_FD_RESERVE);
        return -1;
    }
    if (s->max_connections < max_connections)
        plx_log(PLX_LOG_WARN,
                "file descriptor limit %llu (hard %llu): at most %lu connections "
                "(--max-connections %lu needs %llu; raise ulimit -Hn)",
                (unsigned long long)s->fd_limit, (unsigned long long)rl.rlim_max,
                (unsigned long)s->max_connections, (unsigned long)max_connections,
                (unsigned long long)want);
    return 0;
}

int plx_server_init(plx_server *s, const plx_options *o) {
    struct lws_context_creation_info info;

    memset(s, 0, sizeof(*s));
    s->opt = o;
    lws_set_log_level(LLL_ERR | (plx_log_enabled(PLX_LOG_DEBUG) ? LLL_WARN : 0), lws_log_emit);
    if (fit_fd_limit(s, o->max_connections)) return -1;
    s->conns = plx_connmap_new();
    if (!s->conns || make_hub(s, o)) {
        plx_log(PLX_LOG_ERROR, "out of memory");
        return -1;
    }
    if (resolve_host(s, o->host)) return -1;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = s;
    info.pt_serv_buf_size = PLX_WRITE_PIECE; /* lws reads this much per socket read */
    info.fd_limit_per_thread = s->max_connections + PLX_FD_RESERVE; /* <= s->fd_limit */
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        plx_log(PLX_LOG_ERROR, "cannot create the libwebsockets context");
        return -1;
    }
    if (plx_glue_server_init(s) || plx_backend_start(s)) return -1;
    plx_glue_server_attach(s);
    s->last_reader_tick = plx_now_ms();
    lws_sul_schedule(s->ctx, 0, &s->tick_sul, on_tick, 1);
    return 0;
}

/* Serves the loop (the backend's events, the cluster's timers; no listener yet) until the
 * cluster is ready, *stop, or PLX_SERVER_READY_WAIT_MS. 0, or -1 on a service failure. */
static int wait_ready(plx_server *s, volatile sig_atomic_t *stop) {
    uint64_t deadline = plx_now_ms() + PLX_SERVER_READY_WAIT_MS;

    while (!*stop && !plx_glue_ready(s->glue)) {
        if (plx_now_ms() >= deadline) {
            char why[128];
            plx_glue_waiting(s->glue, why, sizeof(why));
            plx_log(PLX_LOG_WARN, "cluster: not ready after %d ms (%s): serving anyway",
                    PLX_SERVER_READY_WAIT_MS, why);
            return 0;
        }
        if (lws_service(s->ctx, 0) < 0) {
            plx_log(PLX_LOG_ERROR, "libwebsockets service failed");
            return -1;
        }
    }
    return 0;
}

int plx_server_listen(plx_server *s, volatile sig_atomic_t *stop) {
    if (s->glue && wait_ready(s, stop)) return -1;
    if (plx_ws_listen(s)) return -1;
    return s->opt->tcp_port >= 0 ? plx_tcp_listen(s) : 0;
}

void plx_server_wake(plx_server *s) {
    if (s->ctx) lws_cancel_service(s->ctx);
}

static void drop_unsent(void *v, void *ud) {
    (void)ud;
    plx_conn_drop_unsent(v);
}

int plx_server_run(plx_server *s, volatile sig_atomic_t *stop) {
    while (1) {
        if (*stop && !s->shutting_down) {
            uint64_t now = plx_now_ms();
            plx_log(PLX_LOG_INFO, "shutting down: closing %zu connection(s)", s->live);
            s->shutting_down = 1;
            s->shutdown_deadline = now + PLX_SHUTDOWN_FLUSH_MS;
            /* SES-20: SHUTTING_DOWN and the close go out next, not behind megabytes of
             * replies a busy peer has not read yet (which could outlast the flush time) */
            plx_connmap_each(s->conns, drop_unsent, NULL);
            plx_hub_shutdown(s->hub, now);
            if (s->glue) plx_glue_stop(s->glue, now); /* the others drop our clients at once */
        }
        uint64_t now = plx_now_ms();
        if (s->shutting_down && ((s->live == 0 && (!s->glue || plx_glue_flushed(s->glue, now))) ||
                                 now >= s->shutdown_deadline))
            break;
        if (lws_service(s->ctx, 0) < 0) {
            plx_log(PLX_LOG_ERROR, "libwebsockets service failed");
            return -1;
        }
    }
    if (s->live) plx_log(PLX_LOG_WARN, "%zu connection(s) not closed in time", s->live);
    return 0;
}

void plx_server_free(plx_server *s) {
    plx_glue_free(s->glue); /* closes the proxies while the hub and connections live */
    s->glue = NULL;
    plx_backend_free(s); /* its workers wake s->ctx: stopped first */
    if (s->ctx) {
        lws_sul_cancel(&s->tick_sul);
        lws_context_destroy(s->ctx); /* closes what is left; CLOSED callbacks free conns */
        s->ctx = NULL;
    }
    plx_hub_free(s->hub);
    s->hub = NULL;
    plx_store_free(s->store);
    s->store = NULL;
    plx_connmap_free(s->conns);
    s->conns = NULL;
}
