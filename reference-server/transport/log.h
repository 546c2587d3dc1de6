/*
 * log.h - plexus-server's log lines on stderr, filtered by --log-level.
 *
 * One process-wide level, set once at start-up by main before any other thread or callback
 * runs; lines are written whole with one fprintf each.
 */
#ifndef PLX_LOG_H
#define PLX_LOG_H

#include <stdint.h>

typedef enum plx_log_level {
    PLX_LOG_ERROR = 0,
    PLX_LOG_WARN = 1,
    PLX_LOG_INFO = 2,
    PLX_LOG_DEBUG = 3
} plx_log_level;

/* Sets the most verbose level written (default PLX_LOG_INFO). */
void plx_log_set_level(plx_log_level level);
/* 1 if lines of this level are written. */
int plx_log_enabled(plx_log_level level);
/* Parses "error", "warn", "info" or "debug". Returns 0 and sets *out, or -1. */
int plx_log_parse_level(const char *s, plx_log_level *out);
/* Repeat filter for a noisy source (libwebsockets's "accept: errno 24" while file
 * descriptors are exhausted comes thousands of times a second). Zero it to start. */
#define PLX_LOG_REPEAT_MS   1000 /* a line equal to the last printed one is dropped this long */
#define PLX_LOG_REPEAT_SPAN 256  /* bytes of a line compared (longer lines: their start) */

typedef struct plx_log_repeat {
    char last[PLX_LOG_REPEAT_SPAN]; /* the last line let through */
    uint64_t since_ms;              /* when it was let through */
    unsigned long dropped;          /* repeats of it dropped since */
    int used;                       /* last holds a line */
} plx_log_repeat;

/* 1 if line (at now_ms, a monotonic clock) should be printed, 0 if it repeats the last line
 * printed less than PLX_LOG_REPEAT_MS ago (it is counted). On 1, *dropped is the number of
 * repeats of the previous line that were dropped: print that first when non-zero. */
int plx_log_repeat_pass(plx_log_repeat *r, const char *line, uint64_t now_ms,
                        unsigned long *dropped);

/* Writes "plexus-server: <level>: <message>\n" to stderr when level is enabled. */
void plx_log(plx_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
