/*
 * stream.c - JSON lines of listen, watch and serve: printed from the client's dispatcher
 * thread under a lock, counted against --count; the main thread waits in short slices so
 * that a signal, the time bound or a lost connection ends the wait promptly.
 */
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "format.h"
#include "stream.h"

void stream_init(cli_stream *s, int limit) {
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->count = 0;
    s->limit = limit;
    s->down = 0;
}

void stream_destroy(cli_stream *s) {
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

void stream_emit(cli_stream *s, cJSON *line) {
    pthread_mutex_lock(&s->mu);
    if (s->limit == 0 || s->count < s->limit) {
        json_print_line(stdout, line);
        line = NULL;
        s->count++;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    cJSON_Delete(line);
}

void stream_count(cli_stream *s) {
    pthread_mutex_lock(&s->mu);
    s->count++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void stream_on_status(plx_client *c, const plx_status *st, void *ud) {
    cli_stream *s = ud;

    (void)c;
    if (st->kind == PLX_STATUS_DOWN) {
        pthread_mutex_lock(&s->mu);
        s->down = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    } else if (st->kind == PLX_STATUS_ERROR) {
        fprintf(stderr, "plexus-cli: server error %s: %s\n", plx_client_error_name(st->code),
                st->message ? st->message : "");
    }
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int stream_wait(cli_stream *s, int timeout_ms) {
    uint64_t end = timeout_ms > 0 ? now_ms() + (uint64_t)timeout_ms : 0;
    int rc = CLI_OK;

    pthread_mutex_lock(&s->mu);
    while (!cli_stop && !(s->limit > 0 && s->count >= s->limit)) {
        struct timespec ts;
        if (s->down) {
            fprintf(stderr, "plexus-cli: connection lost\n");
            rc = CLI_CONN;
            break;
        }
        if (end && now_ms() >= end) break;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += CLI_WAIT_SLICE_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}
