/*
 * log.h - plexus-server's log lines on stderr, filtered by --log-level.
 *
 * One process-wide level, set once at start-up by main before any other thread or callback
 * runs; lines are written whole with one fprintf each.
 */
#ifndef PLX_LOG_H
#define PLX_LOG_H

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
/* Writes "plexus-server: <level>: <message>\n" to stderr when level is enabled. */
void plx_log(plx_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
