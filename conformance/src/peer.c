/*
 * peer.c - the server side of one client-mode connection: set up on an accepted socket, the
 * limits of the welcome sent, pumping (see peer.h; the rest is link.c).
 */
#include "peer.h"

int cf_peer_welcome(cf_peer *p, const cJSON *w) {
    const cJSON *mf = cJSON_GetObjectItemCaseSensitive(w, "max_frame");
    const cJSON *mm = cJSON_GetObjectItemCaseSensitive(w, "max_message");
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(w, "gzip_threshold");

    return cf_link_limits(p, cJSON_IsNumber(mf) ? (uint32_t)mf->valuedouble : PLX_DEFAULT_MAX_FRAME,
                          cJSON_IsNumber(mm) ? (uint32_t)mm->valuedouble : PLX_DEFAULT_MAX_MESSAGE,
                          !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(w, "gzip")),
                          cJSON_IsNumber(gt) ? (uint32_t)gt->valuedouble
                                             : PLX_DEFAULT_GZIP_THRESHOLD);
}

int cf_peer_pollfd(const cf_peer *p) {
    return p->fd < 0 || p->remote_closed || p->broken ? -1 : p->fd;
}

int cf_peer_pump(cf_peer *p, int timeout_ms) {
    cf_link_parse(p);
    if (cf_peer_pollfd(p) < 0) return -1;
    return cf_link_read(p, timeout_ms);
}

int cf_peer_init(cf_peer *p, const char *name, int fd, int stream, const cf_buf *leftover,
                 cJSON *log, uint64_t t0) {
    cJSON *e;

    if (cf_link_init(p, name, -1, stream, 1, log, t0) ||
        (leftover && leftover->len && cf_buf_add(&p->in, leftover->data, leftover->len))) {
        cf_link_free(p);
        return -1;
    }
    p->fd = fd;
    p->open = 1;
    e = cf_link_log(p, "recv", "open");
    if (e) cJSON_AddStringToObject(e, "binding", stream ? "stream" : "websocket");
    return 0;
}
