/*
 * faults.h - the fault catalogue of `plexus-conform record --fault NAME`: each fault breaks one
 * thing in what a server sends (a dropped event, a wrong error code, a text frame, ...) so the
 * suite can be shown to catch it. Each fault names the requirement IDs it breaks.
 */
#ifndef CF_FAULTS_H
#define CF_FAULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>
#include <plexus/codec.h>

/* What the proxy does with one server-to-client message after a fault looked at it. */
typedef enum cf_fault_action {
    CF_FA_PASS,     /* forward unchanged */
    CF_FA_MODIFIED, /* forward the modified json/attachments (re-encoded) */
    CF_FA_DROP,     /* swallow it */
    CF_FA_DUP,      /* forward it twice */
    CF_FA_DELAY,    /* forward it CF_FAULT_DELAY_MS later */
    CF_FA_TEXT,     /* forward its JSON text as a WebSocket text message */
    CF_FA_SWAP      /* hold it and forward it after the next message (or after 300 ms) */
} cf_fault_action;

#define CF_FAULT_DELAY_MS 2500

typedef struct cf_fault {
    const char *name;
    const char *breaks; /* comma-separated requirement IDs the fault breaks */
    const char *what;   /* one line for --list-faults */
} cf_fault;

/* The fault named name, or NULL. */
const cf_fault *cf_fault_find(const char *name);
/* Prints every fault (name, requirements, description) to f. */
void cf_fault_list(FILE *f);

/* Applies fault to one decoded server message. req_type is the `t` of the client request the
 * message answers (replies only; NULL otherwise). json is modified in place; *att (owned by the
 * caller, natt entries) may be shortened in place. Returns the action. */
cf_fault_action cf_fault_message(const cf_fault *fault, cJSON *json, plx_bytes *att, size_t natt,
                                 const char *req_type);

/* Frame-level faults on the frames of one server message (frames[i] points to nframes owned
 * buffers of lens[i] bytes, header included; gzip tells whether the message is compressed).
 * May reorder the array or change bytes in place. Returns 1 when something was changed. */
int cf_fault_frames(const cf_fault *fault, uint8_t **frames, size_t *lens, size_t nframes,
                    int gzip);

/* Maps the close code of a server close frame. */
int cf_fault_close_code(const cf_fault *fault, int code);

#endif
