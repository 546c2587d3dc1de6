/*
 * backoff.c - reconnect delays: exponential from backoff_initial_ms, bounded by
 * backoff_max_ms, each drawn uniformly from [d/2, d] ("equal jitter") with the client's
 * own random state, so many clients dropped at once do not reconnect in lockstep.
 */
#include <stdlib.h>

#include "internal.h"

uint32_t plx_backoff_delay(const plx_client_options *o, unsigned attempt, unsigned *rand_state) {
    uint64_t d = o->backoff_initial_ms;
    uint32_t half;

    for (unsigned i = 0; i < attempt && d < o->backoff_max_ms; i++)
        d *= 2;
    if (d > o->backoff_max_ms) d = o->backoff_max_ms;
    half = (uint32_t)(d / 2);
    return half + (uint32_t)((uint64_t)rand_r(rand_state) % ((uint64_t)(d - half) + 1));
}
