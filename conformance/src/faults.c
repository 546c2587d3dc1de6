/*
 * faults.c - the faults `plexus-conform record --fault NAME` injects into what a server sends.
 * Each one imitates a plausible server bug and names the requirements it breaks; the fault
 * test (tests/conformance_faults) checks that the suite fails in cases checking them.
 */
#include <string.h>

#include "faults.h"

static const cf_fault faults[] = {
    {"drop-event", "EVT-3,EVT-4,EVT-5,EVT-10", "swallow every event message"},
    {"reorder-chunks", "CHK-1,FRM-2", "send the first two chunks of a chunked message swapped"},
    {"flip-gzip", "GZ-4,CHK-2", "clear the GZIP flag on the frames of compressed messages"},
    {"corrupt-gzip", "GZ-4", "flip a bit of the CRC-32 of compressed messages"},
    {"change-error-code", "ERR-4,ERR-5", "add 1 to the code of every error object and message"},
    {"swallow-reply", "MSG-9,STO-21,STO-22,STO-23,STO-24,STO-25,STO-26",
     "swallow every reply to a cmd request"},
    {"delay-reply", "RPC-9,RPC-12,RPC-7", "deliver replies to call requests 2.5 s late"},
    {"duplicate-event", "EVT-5,EVT-3,EVT-4", "send every event message twice"},
    {"rename-field", "PIPE-1,PIPE-2,PIPE-5", "rename result to results in pipeline replies"},
    {"drop-field", "RPC-7", "drop the from member of forwarded calls"},
    {"wrong-reply-id", "MSG-9,RPC-1,WAT-1,WAT-2,EVT-6,ADP-1,ADP-2",
     "add 1 to the id of replies to register, unregister, join, leave, watch, unwatch, adapt, "
     "unadapt"},
    {"truncate-attachment", "STO-7,BODY-1,RPC-7,EVT-3,ADP-4",
     "cut the last byte of the last attachment of every message with attachments"},
    {"swap-messages", "EVT-4,EVT-5,EVT-9", "deliver every event after the message that follows it"},
    {"change-close-code", "TRN-10,FRM-6,ERR-7,CHK-15,GZ-9,BODY-13,SES-2,SES-18,ERR-2",
     "replace the code of the server's close frames (1000 becomes 1001, others 1000)"},
    {"text-pong", "TRN-4,SES-15,TRN-7", "send pong messages as WebSocket text messages"},
    {"drop-fatal-error", "ERR-7,TRN-10,ERR-2,FRM-6",
     "swallow error messages without re before a close (fatal errors)"},
    {"welcome-limits", "SES-13,SES-11", "announce max_frame 65536 in every welcome"},
    {"drop-presence-leave", "EVT-8,EVT-9,SES-19,SES-10", "swallow presence leave messages"},
    {"change-op", "WAT-4,WAT-3", "write the op of change messages in upper case"},
    {"int-as-string", "STO-6,STO-21,STO-22,STO-23,STO-24,STO-25,STO-26",
     "send integer results of cmd replies as strings"},
};

#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

const cf_fault *cf_fault_find(const char *name) {
    for (size_t i = 0; i < NFAULTS; i++)
        if (!strcmp(faults[i].name, name)) return &faults[i];
    return NULL;
}

void cf_fault_list(FILE *f) {
    for (size_t i = 0; i < NFAULTS; i++)
        fprintf(f, "%-20s %-40s %s\n", faults[i].name, faults[i].breaks, faults[i].what);
}

static int is(const cf_fault *fault, const char *name) {
    return !strcmp(fault->name, name);
}

static const char *type_of(const cJSON *json) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "t");
    return cJSON_IsString(t) ? t->valuestring : "";
}

static int one_of(const char *s, const char *const *list) {
    for (; *list; list++)
        if (s && !strcmp(s, *list)) return 1;
    return 0;
}

/* Adds 1 to the numeric member `code` of obj, when it has one. */
static int bump_code(cJSON *obj) {
    cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, "code");
    if (!cJSON_IsNumber(c)) return 0;
    cJSON_SetNumberValue(c, c->valuedouble + 1);
    return 1;
}

/* Turns every integer inside v into its decimal string (in place). */
static int ints_to_strings(cJSON *parent, cJSON *v) {
    int changed = 0;
    if (cJSON_IsNumber(v)) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
        cJSON_ReplaceItemViaPointer(parent, v, cJSON_CreateString(buf));
        return 1;
    }
    if (cJSON_IsArray(v)) {
        cJSON *e = v->child;
        while (e) {
            cJSON *next = e->next;
            changed |= ints_to_strings(v, e);
            e = next;
        }
    }
    return changed;
}

cf_fault_action cf_fault_message(const cf_fault *fault, cJSON *json, plx_bytes *att, size_t natt,
                                 const char *req_type) {
    const char *t = type_of(json);
    static const char *const membership[] = {"register", "unregister", "join",    "leave", "watch",
                                             "unwatch",  "adapt",      "unadapt", NULL};

    if (is(fault, "drop-event")) return !strcmp(t, "event") ? CF_FA_DROP : CF_FA_PASS;
    if (is(fault, "duplicate-event")) return !strcmp(t, "event") ? CF_FA_DUP : CF_FA_PASS;
    if (is(fault, "swap-messages")) return !strcmp(t, "event") ? CF_FA_SWAP : CF_FA_PASS;
    if (is(fault, "text-pong")) return !strcmp(t, "pong") ? CF_FA_TEXT : CF_FA_PASS;
    if (is(fault, "swallow-reply"))
        return !strcmp(t, "reply") && req_type && !strcmp(req_type, "cmd") ? CF_FA_DROP
                                                                           : CF_FA_PASS;
    if (is(fault, "delay-reply"))
        return !strcmp(t, "reply") && req_type && !strcmp(req_type, "call") ? CF_FA_DELAY
                                                                            : CF_FA_PASS;
    if (is(fault, "drop-fatal-error")) {
        const cJSON *re = cJSON_GetObjectItemCaseSensitive(json, "re");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "code");
        if (strcmp(t, "error") || re || !cJSON_IsNumber(code)) return CF_FA_PASS;
        return plx_error_fatal(-(int)code->valuedouble) ? CF_FA_DROP : CF_FA_PASS;
    }
    if (is(fault, "drop-presence-leave")) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(json, "kind");
        return !strcmp(t, "presence") && cJSON_IsString(k) && !strcmp(k->valuestring, "leave")
                   ? CF_FA_DROP
                   : CF_FA_PASS;
    }
    if (is(fault, "change-error-code")) {
        if (!strcmp(t, "error")) return bump_code(json) ? CF_FA_MODIFIED : CF_FA_PASS;
        if (!strcmp(t, "reply"))
            return bump_code(cJSON_GetObjectItemCaseSensitive(json, "error")) ? CF_FA_MODIFIED
                                                                              : CF_FA_PASS;
        return CF_FA_PASS;
    }
    if (is(fault, "rename-field")) {
        cJSON *r;
        if (strcmp(t, "reply") || !req_type || strcmp(req_type, "pipeline")) return CF_FA_PASS;
        r = cJSON_DetachItemFromObjectCaseSensitive(json, "result");
        if (!r) return CF_FA_PASS;
        cJSON_AddItemToObject(json, "results", r);
        return CF_FA_MODIFIED;
    }
    if (is(fault, "drop-field")) {
        if (strcmp(t, "call") || !cJSON_HasObjectItem(json, "from")) return CF_FA_PASS;
        cJSON_DeleteItemFromObjectCaseSensitive(json, "from");
        return CF_FA_MODIFIED;
    }
    if (is(fault, "wrong-reply-id")) {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
        if (strcmp(t, "reply") || !one_of(req_type, membership) || !cJSON_IsNumber(id))
            return CF_FA_PASS;
        cJSON_SetNumberValue(id, id->valuedouble + 1);
        return CF_FA_MODIFIED;
    }
    if (is(fault, "truncate-attachment")) {
        if (natt == 0 || att[natt - 1].len == 0) return CF_FA_PASS;
        att[natt - 1].len--;
        return CF_FA_MODIFIED;
    }
    if (is(fault, "welcome-limits")) {
        cJSON *mf = cJSON_GetObjectItemCaseSensitive(json, "max_frame");
        if (strcmp(t, "welcome") || !cJSON_IsNumber(mf)) return CF_FA_PASS;
        cJSON_SetNumberValue(mf, 65536);
        return CF_FA_MODIFIED;
    }
    if (is(fault, "change-op")) {
        cJSON *op = cJSON_GetObjectItemCaseSensitive(json, "op");
        char up[64];
        size_t i;
        if (strcmp(t, "change") || !cJSON_IsString(op)) return CF_FA_PASS;
        for (i = 0; op->valuestring[i] && i < sizeof(up) - 1; i++)
            up[i] = (char)(op->valuestring[i] >= 'a' && op->valuestring[i] <= 'z'
                               ? op->valuestring[i] - 32
                               : op->valuestring[i]);
        up[i] = '\0';
        cJSON_ReplaceItemInObjectCaseSensitive(json, "op", cJSON_CreateString(up));
        return CF_FA_MODIFIED;
    }
    if (is(fault, "int-as-string")) {
        cJSON *r = cJSON_GetObjectItemCaseSensitive(json, "result");
        if (strcmp(t, "reply") || !req_type || strcmp(req_type, "cmd") || !r) return CF_FA_PASS;
        return ints_to_strings(json, r) ? CF_FA_MODIFIED : CF_FA_PASS;
    }
    return CF_FA_PASS;
}

int cf_fault_frames(const cf_fault *fault, uint8_t **frames, size_t *lens, size_t nframes,
                    int gzip) {
    if (is(fault, "reorder-chunks") && nframes >= 2) {
        uint8_t *f = frames[0];
        size_t l = lens[0];
        frames[0] = frames[1], lens[0] = lens[1];
        frames[1] = f, lens[1] = l;
        return 1;
    }
    if (is(fault, "flip-gzip") && gzip) {
        for (size_t i = 0; i < nframes; i++)
            frames[i][1] &= (uint8_t)~PLX_FLAG_GZIP;
        return 1;
    }
    if (is(fault, "corrupt-gzip") && gzip && lens[nframes - 1] >= PLX_FRAME_HEADER_LEN + 8) {
        /* the CRC-32 is the 8th to 5th last byte of the stream, in the last frame when that
         * frame holds at least 8 payload bytes */
        frames[nframes - 1][lens[nframes - 1] - 8] ^= 0x01;
        return 1;
    }
    return 0;
}

int cf_fault_close_code(const cf_fault *fault, int code) {
    if (!is(fault, "change-close-code")) return code;
    return code == 1000 ? 1001 : 1000;
}
