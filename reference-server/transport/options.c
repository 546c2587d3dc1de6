/*
 * options.c - parses plexus-server's command line into plx_options, strictly: every value is
 * range-checked and every mistake is a one-line message for a usage error (exit code 2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <plexus/codec.h>

#include "options.h"
#include "rstore.h"

typedef enum opt_kind { OPT_FLAG, OPT_STRING, OPT_UINT } opt_kind;

typedef struct opt_def {
    const char *name;
    opt_kind kind;
    uint64_t min, max; /* OPT_UINT range */
    int zero_off;      /* OPT_UINT: 0 is also accepted, meaning "off" */
    const char *arg;   /* placeholder in --help */
    const char *help;
} opt_def;

enum {
    O_HOST,
    O_PORT,
    O_TCP_PORT,
    O_SECRET,
    O_SECRET_FILE,
    O_OVERRIDE_KEY,
    O_MAX_CONNECTIONS,
    O_MAX_MESSAGE,
    O_MAX_FRAME,
    O_HISTORY,
    O_PING_INTERVAL,
    O_MISSED_PONGS,
    O_HELLO_TIMEOUT,
    O_CALL_TIMEOUT,
    O_MAX_CALL_TIMEOUT,
    O_MAX_QUEUE,
    O_LOG_LEVEL,
    O_STORAGE,
    O_MAX_KEYS,
    O_MAX_VALUE,
    O_HELP,
    O_VERSION,
    O_COUNT
};

#define CONT "\n                         " /* continues a help line under the text column */

static const opt_def defs[O_COUNT] = {
    [O_HOST] = {"host", OPT_STRING, 0, 0, 0, "ADDR", "address to listen on (default 127.0.0.1)"},
    [O_PORT] = {"port", OPT_UINT, 0, 65535, 0, "N",
                "WebSocket and /healthz port, 0..65535 (default 7700); 0 picks a free port." CONT
                "Once listening, prints 'listening on <port>' on stdout"},
    [O_TCP_PORT] = {"tcp-port", OPT_UINT, 0, 65535, 0, "N",
                    "also serve the stream binding over raw TCP on this port, 0..65535" CONT
                    "(default: off); 0 picks a free port, printed as 'listening tcp on <port>'"},
    [O_SECRET] = {"secret", OPT_STRING, 0, 0, 0, "TEXT",
                  "shared secret every hello must carry, 1..4096 bytes (default: no auth)"},
    [O_SECRET_FILE] = {"secret-file", OPT_STRING, 0, 0, 0, "PATH",
                       "read the secret from a file (first line, 1..4096 bytes)"},
    [O_OVERRIDE_KEY] = {"override-key", OPT_STRING, 0, 0, 0, "TEXT",
                        "key that lets a hello take a name in use (default: disabled)"},
    [O_MAX_CONNECTIONS] =
        {"max-connections", OPT_UINT, 1, PLX_OPT_MAX_CONNECTIONS_MAX, 0, "N",
         "connections at once, 1..1000000 (default 1024); one more gets" CONT
         "SERVER_FULL. Needs N + 64 file descriptors: the server raises its" CONT
         "soft limit up to the hard one (ulimit -Hn); when that is lower, the" CONT
         "bound in effect is the hard limit - 64 (logged at start-up)"},
    [O_MAX_MESSAGE] = {"max-message", OPT_UINT, PLX_MIN_MAX_MESSAGE, PLX_MAX_MAX_MESSAGE, 0,
                       "BYTES", "largest message, 65536..1073741824 (default 67108864)"},
    [O_MAX_FRAME] = {"max-frame", OPT_UINT, PLX_MIN_MAX_FRAME, PLX_MAX_MAX_FRAME, 0, "BYTES",
                     "largest frame payload, 512..16777216 (default 1048576)"},
    [O_HISTORY] = {"history", OPT_UINT, 0, PLX_OPT_HISTORY_MAX, 0, "N",
                   "events kept per group for plexus.history, 0..10000 (default 0: off)"},
    [O_PING_INTERVAL] = {"ping-interval", OPT_UINT, PLX_OPT_PING_MIN, PLX_OPT_PING_MAX, 1, "MS",
                         "server ping period, 0 (off) or 1000..3600000 (default 20000)"},
    [O_MISSED_PONGS] = {"missed-pongs", OPT_UINT, 1, PLX_OPT_MISSED_PONGS_MAX, 0, "N",
                        "unanswered pings before PING_TIMEOUT, 1..100 (default 2)"},
    [O_HELLO_TIMEOUT] = {"hello-timeout", OPT_UINT, PLX_OPT_HELLO_MIN, PLX_OPT_HELLO_MAX, 0, "MS",
                         "time allowed before hello, 1000..300000 (default 10000)"},
    [O_CALL_TIMEOUT] = {"call-timeout", OPT_UINT, 1, PLX_OPT_CALL_TIMEOUT_MAX, 0, "MS",
                        "default call timeout, 1..max-call-timeout (default 30000, or" CONT
                        "max-call-timeout when that is lower)"},
    [O_MAX_CALL_TIMEOUT] = {"max-call-timeout", OPT_UINT, 1, PLX_OPT_CALL_TIMEOUT_MAX, 0, "MS",
                            "largest call timeout a call may ask for, call-timeout.." CONT
                            "4294967295 (default 300000); larger requests are clamped"},
    [O_MAX_QUEUE] = {"max-queue", OPT_UINT, 65536, UINT64_MAX, 0, "BYTES",
                     "per-connection send queue bound, max-message + 65536.." CONT
                     "18446744073709551615 (default 2 x max-message); a peer that falls" CONT
                     "behind it is closed with SLOW_READER"},
    [O_LOG_LEVEL] = {"log-level", OPT_STRING, 0, 0, 0, "LEVEL",
                     "error, warn, info or debug (default info); logs go to stderr"},
    [O_STORAGE] = {"storage", OPT_STRING, 0, 0, 0, "KIND",
                   "memory (default): the embedded store; none: no store, every cmd and" CONT
                   "pipeline is answered STORAGE_UNAVAILABLE (SPEC STO-20);" CONT
                   "redis://HOST[:PORT][/DB]: commands run on that Redis server, pipelined" CONT
                   "(HOST a name or IPv4 address of 1..253 bytes, PORT 1..65535, default" CONT
                   "6379, DB 0..15, default 0; SPEC 11.11). While Redis is unreachable" CONT
                   "commands fail with STORAGE_UNAVAILABLE within 5 s and the server" CONT
                   "reconnects by itself (backoff 100 ms to 2 s); /healthz answers 503." CONT
                   "--max-keys and --max-value are refused with it: Redis's own limits" CONT
                   "apply (maxmemory, proto-max-bulk-len). Instances on one Redis act as" CONT
                   "one server; each opens its ports once it holds the others' directories" CONT
                   "(at most 2 s after start, spec/CLUSTER.md)"},
    [O_MAX_KEYS] = {"max-keys", OPT_UINT, 1, PLX_OPT_MAX_KEYS_MAX, 0, "N",
                    "keys the in-memory store holds, 1..4294967295 (default 1000000); a write" CONT
                    "creating one more fails with Redis's OOM text (COMMAND_ERROR)"},
    [O_MAX_VALUE] = {"max-value", OPT_UINT, PLX_OPT_MAX_VALUE_MIN, PLX_OPT_MAX_VALUE_MAX, 0,
                     "BYTES",
                     "bytes of one stored string or element and of any argument," CONT
                     "1024..4294967295 (default 536870912); past it: COMMAND_ERROR" CONT
                     "'ERR string exceeds maximum allowed size (proto-max-bulk-len)'"},
    [O_HELP] = {"help", OPT_FLAG, 0, 0, 0, NULL, "print this help and exit 0"},
    [O_VERSION] = {"version", OPT_FLAG, 0, 0, 0, NULL, "print the version and exit 0"},
};

void plx_options_usage(FILE *f) {
    fprintf(f, "usage: plexus-server [options]\n\n"
               "The Plexus v1 reference server: WebSocket (subprotocol plexus.v1) and,\n"
               "optionally, the stream binding over raw TCP, with in-memory storage\n"
               "(or none: --storage none, or a Redis server: --storage redis://...).\n"
               "GET /healthz on the WebSocket port answers 200 \"ok\" (503 while the\n"
               "Redis server of --storage redis://... is unreachable).\n\noptions:\n");
    for (int i = 0; i < O_COUNT; i++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", defs[i].name, defs[i].arg ? " " : "",
                 defs[i].arg ? defs[i].arg : "");
        fprintf(f, "  %-22s %s\n", left, defs[i].help);
    }
    fprintf(f, "\nValues may also be given as --name=value.\n"
               "SIGTERM or SIGINT closes every connection with 1001 and exits 0.\n\n"
               "exit codes:\n"
               "  0  clean shutdown, --help, --version\n"
               "  1  runtime failure (cannot bind, out of memory at start-up)\n"
               "  2  usage error (unknown option, bad or missing value)\n");
}

static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
    char *end;
    unsigned long long v;

    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

/* An argument as error messages show it: control characters as \\xNN (the message stays
 * one line), cut after SHOWN_MAX - 8 bytes. Returns out. */
#define SHOWN_MAX 96
static const char *show(const char *s, char out[SHOWN_MAX]) {
    size_t n = 0;

    for (; *s && n + 8 < SHOWN_MAX; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f)
            n += (size_t)snprintf(out + n, SHOWN_MAX - n, "\\x%02x", ch);
        else
            out[n++] = (char)ch;
    }
    snprintf(out + n, SHOWN_MAX - n, "%s", *s ? "..." : "");
    return out;
}

/* An OPT_UINT value: an integer in def's range, or 0 when def->zero_off. */
static int parse_value(const opt_def *def, const char *s, uint64_t *out) {
    if (def->zero_off && parse_uint(s, 0, 0, out) == 0) return 0;
    return parse_uint(s, def->min, def->max, out);
}

static int read_secret_file(const char *path, char **out, char *err, size_t errlen) {
    char buf[PLX_SECRET_MAX + 2], shown[SHOWN_MAX];
    size_t got, n = 0;
    FILE *f = fopen(path, "rb");

    if (!f) {
        snprintf(err, errlen, "--secret-file: cannot open '%s': %s", show(path, shown),
                 strerror(errno));
        return -1;
    }
    got = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n < got && buf[n] != '\r' && buf[n] != '\n')
        n++;
    if (n > PLX_SECRET_MAX)
        snprintf(err, errlen, "--secret-file: the secret is longer than %d bytes", PLX_SECRET_MAX);
    else if (n == 0)
        snprintf(err, errlen, "--secret-file: '%s' holds no secret on its first line",
                 show(path, shown));
    else if (memchr(buf, '\0', n))
        snprintf(err, errlen, "--secret-file: the first line of '%s' holds a NUL byte",
                 show(path, shown));
    else {
        buf[n] = '\0';
        *out = strdup(buf);
        if (!*out) snprintf(err, errlen, "out of memory");
    }
    memset(buf, 0, sizeof(buf));
    return *out ? 0 : -1;
}

static void set_defaults(plx_options *o) {
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->port = PLX_DEFAULT_PORT;
    o->tcp_port = -1;
    o->max_connections = 1024;
    o->max_message = PLX_DEFAULT_MAX_MESSAGE;
    o->max_frame = PLX_DEFAULT_MAX_FRAME;
    o->ping_interval_ms = 20000;
    o->missed_pongs = 2;
    o->hello_timeout_ms = 10000;
    o->call_timeout_ms = 30000;
    o->max_call_timeout_ms = 300000;
    o->log_level = PLX_LOG_INFO;
    o->storage = PLX_STORAGE_MEMORY;
    o->max_keys = PLX_OPT_MAX_KEYS_DEFAULT;
    o->max_value = PLX_OPT_MAX_VALUE_DEFAULT;
}

/* --storage memory|none|redis://HOST[:PORT][/DB]. 0 or -1 with err set. */
static int parse_storage(plx_options *o, const char *val, char *err, size_t errlen) {
    char shown[SHOWN_MAX], why[160], host[256];
    int port, db;

    if (strcmp(val, "memory") == 0) {
        o->storage = PLX_STORAGE_MEMORY;
    } else if (strcmp(val, "none") == 0) {
        o->storage = PLX_STORAGE_NONE;
    } else if (strncmp(val, "redis://", 8) == 0) {
        if (plx_rstore_parse_url(val, host, sizeof(host), &port, &db, why, sizeof(why))) {
            snprintf(err, errlen, "--storage: '%s': %s", show(val, shown), why);
            return -1;
        }
        o->storage = PLX_STORAGE_REDIS;
        o->storage_url = val;
    } else {
        snprintf(err, errlen, "--storage: '%s' is not memory, none or redis://HOST[:PORT][/DB]",
                 show(val, shown));
        return -1;
    }
    return 0;
}

/* Stores one option's value into o. 0 or -1 with err set. */
static int apply(plx_options *o, int which, const char *val, uint64_t num, char *err,
                 size_t errlen) {
    char shown[SHOWN_MAX];

    switch (which) {
    case O_HOST:
        if (!*val) {
            snprintf(err, errlen, "--host: must not be empty");
            return -1;
        }
        o->host = val;
        break;
    case O_PORT:
        o->port = (int)num;
        break;
    case O_TCP_PORT:
        o->tcp_port = (int)num;
        break;
    case O_SECRET:
    case O_SECRET_FILE:
        if (o->secret) {
            snprintf(err, errlen, "--%s: the secret was already given", defs[which].name);
            return -1;
        }
        if (which == O_SECRET_FILE) return read_secret_file(val, &o->secret, err, errlen);
        if (!*val || strlen(val) > PLX_SECRET_MAX) {
            snprintf(err, errlen, "--secret: must be 1..%d bytes", PLX_SECRET_MAX);
            return -1;
        }
        o->secret = strdup(val);
        if (!o->secret) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        break;
    case O_OVERRIDE_KEY:
        if (!*val) {
            snprintf(err, errlen, "--override-key: must not be empty");
            return -1;
        }
        o->override_key = val;
        break;
    case O_MAX_CONNECTIONS:
        o->max_connections = (uint32_t)num;
        break;
    case O_MAX_MESSAGE:
        o->max_message = (uint32_t)num;
        break;
    case O_MAX_FRAME:
        o->max_frame = (uint32_t)num;
        break;
    case O_HISTORY:
        o->history = (uint32_t)num;
        break;
    case O_PING_INTERVAL:
        o->ping_interval_ms = (uint32_t)num;
        break;
    case O_MISSED_PONGS:
        o->missed_pongs = (uint32_t)num;
        break;
    case O_HELLO_TIMEOUT:
        o->hello_timeout_ms = (uint32_t)num;
        break;
    case O_CALL_TIMEOUT:
        o->call_timeout_ms = (uint32_t)num;
        break;
    case O_MAX_CALL_TIMEOUT:
        o->max_call_timeout_ms = (uint32_t)num;
        break;
    case O_MAX_QUEUE:
        o->max_queue = num;
        break;
    case O_LOG_LEVEL:
        if (plx_log_parse_level(val, &o->log_level)) {
            snprintf(err, errlen, "--log-level: '%s' is not one of error, warn, info, debug",
                     show(val, shown));
            return -1;
        }
        break;
    case O_STORAGE:
        return parse_storage(o, val, err, errlen);
    case O_MAX_KEYS:
        o->max_keys = (uint32_t)num;
        break;
    case O_MAX_VALUE:
        o->max_value = (uint32_t)num;
        break;
    }
    return 0;
}

static int find_option(const char *name, size_t len) {
    for (int i = 0; i < O_COUNT; i++)
        if (strlen(defs[i].name) == len && memcmp(defs[i].name, name, len) == 0) return i;
    return -1;
}

plx_options_result plx_options_parse(int argc, char **argv, plx_options *o, char *err,
                                     size_t errlen) {
    int seen[O_COUNT] = {0};
    char shown[SHOWN_MAX];

    set_defaults(o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq, *val = NULL;
        uint64_t num = 0;
        int which;

        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%s' (options start with --)",
                     show(a, shown));
            goto fail;
        }
        a += 2;
        eq = strchr(a, '=');
        which = find_option(a, eq ? (size_t)(eq - a) : strlen(a));
        if (which < 0) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", show(argv[i], shown));
            goto fail;
        }
        if (seen[which]++ && which != O_HELP && which != O_VERSION) {
            snprintf(err, errlen, "--%s given twice", defs[which].name);
            goto fail;
        }
        if (defs[which].kind == OPT_FLAG) {
            if (eq) {
                snprintf(err, errlen, "--%s takes no value", defs[which].name);
                goto fail;
            }
            continue;
        }
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            snprintf(err, errlen, "--%s needs a value (%s)", defs[which].name, defs[which].arg);
            goto fail;
        }
        if (defs[which].kind == OPT_UINT && parse_value(&defs[which], val, &num)) {
            snprintf(err, errlen, "--%s: '%s' is not %san integer in %llu..%llu", defs[which].name,
                     show(val, shown), defs[which].zero_off ? "0 (off) or " : "",
                     (unsigned long long)defs[which].min, (unsigned long long)defs[which].max);
            goto fail;
        }
        if (apply(o, which, val, num, err, errlen)) goto fail;
    }
    if (seen[O_HELP]) {
        plx_options_free(o);
        return PLX_OPTIONS_HELP;
    }
    if (seen[O_VERSION]) {
        plx_options_free(o);
        return PLX_OPTIONS_VERSION;
    }
    if (!seen[O_CALL_TIMEOUT] && o->call_timeout_ms > o->max_call_timeout_ms)
        o->call_timeout_ms = o->max_call_timeout_ms; /* the default follows a lower maximum */
    if (o->call_timeout_ms > o->max_call_timeout_ms) {
        snprintf(err, errlen, "--call-timeout: %lu is above max-call-timeout (%lu)",
                 (unsigned long)o->call_timeout_ms, (unsigned long)o->max_call_timeout_ms);
        goto fail;
    }
    if (o->storage != PLX_STORAGE_MEMORY && (seen[O_MAX_KEYS] || seen[O_MAX_VALUE])) {
        snprintf(err, errlen,
                 o->storage == PLX_STORAGE_NONE
                     ? "--%s: there is no store with --storage none"
                     : "--%s: applies to the in-memory store only; with --storage redis:// "
                       "Redis's own limits apply (maxmemory, proto-max-bulk-len)",
                 defs[seen[O_MAX_KEYS] ? O_MAX_KEYS : O_MAX_VALUE].name);
        goto fail;
    }
    if (o->max_queue == 0) o->max_queue = 2 * (uint64_t)o->max_message;
    if (o->max_queue < (uint64_t)o->max_message + 65536) {
        snprintf(err, errlen, "--max-queue: %llu is below max-message + 65536 (%llu)",
                 (unsigned long long)o->max_queue, (unsigned long long)o->max_message + 65536);
        goto fail;
    }
    return PLX_OPTIONS_RUN;

fail:
    plx_options_free(o);
    return PLX_OPTIONS_ERROR;
}

void plx_options_free(plx_options *o) {
    if (o->secret) {
        volatile char *p = o->secret;
        while (*p)
            *p++ = 0;
        free(o->secret);
        o->secret = NULL;
    }
}

uint32_t plx_options_connection_cap(uint32_t max_connections, uint64_t fd_limit) {
    if (fd_limit <= PLX_FD_RESERVE) return 0;
    if (fd_limit - PLX_FD_RESERVE < max_connections) return (uint32_t)(fd_limit - PLX_FD_RESERVE);
    return max_connections;
}
