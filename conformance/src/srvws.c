/*
 * srvws.c - listening, accepting, the server handshake and server/client WebSocket frames of
 * `plexus-conform client` (see srvws.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "srvws.h"

#define WS_GUID     "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define REQUEST_MAX 16384 /* bytes of a handshake request we accept */

int cf_listen_local(int *port, char *err, size_t errlen) {
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)&a, &al)) {
        snprintf(err, errlen, "listen on 127.0.0.1: %s", strerror(errno));
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int cf_accept_timeout(int lfd, int timeout_ms, char *err, size_t errlen) {
    struct pollfd p = {lfd, POLLIN, 0};
    int fd, rc = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);

    if (rc == 0) return -2;
    if (rc < 0) {
        snprintf(err, errlen, "poll: %s", strerror(errno));
        return -1;
    }
    fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
        snprintf(err, errlen, "accept: %s", strerror(errno));
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* The value of header `name` in request text (case-insensitive name); several headers of that
 * name are joined with ", ". Returns 1 when present. */
static int header(const char *req, const char *name, char *out, size_t outlen) {
    const char *line = strstr(req, "\r\n");
    size_t nlen = strlen(name), used = 0;
    int found = 0;

    *out = 0;
    while (line && line[2] != '\r') {
        const char *h = line + 2, *eol = strstr(h, "\r\n");

        if (!eol) break;
        if ((size_t)(eol - h) > nlen && !strncasecmp(h, name, nlen) && h[nlen] == ':') {
            const char *v = h + nlen + 1;
            size_t vlen;

            while (*v == ' ' || *v == '\t')
                v++;
            vlen = (size_t)(eol - v);
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            used += (size_t)snprintf(out + used, outlen - used, "%s%.*s", found ? ", " : "",
                                     (int)vlen, v);
            if (used >= outlen) used = outlen - 1;
            found = 1;
        }
        line = eol;
    }
    return found;
}

/* Splits a comma-separated token list into req->protocols. */
static void split_protocols(const char *list, cf_ws_request *req) {
    while (*list && req->nproto < CF_WSS_MAX_PROTOS) {
        size_t n;

        list += strspn(list, " \t,");
        n = strcspn(list, ",");
        while (n && (list[n - 1] == ' ' || list[n - 1] == '\t'))
            n--;
        if (n) {
            snprintf(req->protocols[req->nproto++], sizeof(req->protocols[0]), "%.*s", (int)n,
                     list);
        }
        list += strcspn(list, ",");
    }
}

static int refuse(int fd, uint64_t deadline_ms, char *err, size_t errlen, const char *why) {
    static const char resp[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    char e2[64];

    cf_write_all(fd, (const uint8_t *)resp, sizeof(resp) - 1, deadline_ms, NULL, 0, e2, sizeof(e2));
    snprintf(err, errlen, "handshake: %s", why);
    return -1;
}

int cf_wss_handshake(int fd, uint64_t deadline_ms, const char *select, cf_ws_request *req,
                     cf_buf *leftover, char *err, size_t errlen) {
    cf_buf in = {0}, resp = {0};
    char key[256], value[1024], accept[32];
    uint8_t digest[20];
    const char *end;
    int rc = -1;

    memset(req, 0, sizeof(*req));
    for (;;) {
        uint8_t buf[4096];
        struct pollfd p = {fd, POLLIN, 0};
        uint64_t now = cf_now_ms();
        ssize_t n;

        if (in.len && (end = strstr((char *)in.data, "\r\n\r\n")) != NULL) break;
        if (in.len > REQUEST_MAX) {
            rc = refuse(fd, deadline_ms, err, errlen, "request longer than 16 KiB");
            goto out;
        }
        if (now >= deadline_ms || poll(&p, 1, (int)(deadline_ms - now)) <= 0) {
            snprintf(err, errlen, "handshake: no complete request before the deadline");
            goto out;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            snprintf(err, errlen, "handshake: the client closed the connection");
            goto out;
        }
        if (cf_buf_add(&in, buf, (size_t)n)) goto out;
    }
    if (sscanf((char *)in.data, "GET %511s HTTP/1.1", req->path) != 1) {
        rc = refuse(fd, deadline_ms, err, errlen, "not a GET request");
        goto out;
    }
    if (!header((char *)in.data, "Upgrade", value, sizeof(value)) ||
        strcasecmp(value, "websocket") != 0 ||
        !header((char *)in.data, "Sec-WebSocket-Version", value, sizeof(value)) ||
        strcmp(value, "13") != 0 ||
        !header((char *)in.data, "Sec-WebSocket-Key", key, sizeof(key)) || !*key) {
        rc = refuse(fd, deadline_ms, err, errlen,
                    "Upgrade, Sec-WebSocket-Version 13 or Sec-WebSocket-Key missing");
        goto out;
    }
    if (header((char *)in.data, "Sec-WebSocket-Protocol", value, sizeof(value)))
        split_protocols(value, req);
    header((char *)in.data, "Sec-WebSocket-Extensions", req->extensions, sizeof(req->extensions));
    cf_buf_printf(&resp, "%s%s", key, WS_GUID);
    cf_sha1(resp.data, resp.len, digest);
    cf_base64(digest, sizeof(digest), accept);
    resp.len = 0;
    cf_buf_printf(&resp,
                  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                  "Upgrade\r\nSec-WebSocket-Accept: %s\r\n",
                  accept);
    if (select) cf_buf_printf(&resp, "Sec-WebSocket-Protocol: %s\r\n", select);
    cf_buf_str(&resp, "\r\n");
    if (cf_write_all(fd, resp.data, resp.len, deadline_ms, NULL, 0, err, errlen)) {
        if (!*err) snprintf(err, errlen, "handshake: the client closed the connection");
        goto out;
    }
    {
        size_t hdr = (size_t)(end - (char *)in.data) + 4;

        if (cf_buf_add(leftover, in.data + hdr, in.len - hdr)) goto out;
    }
    rc = 0;
out:
    cf_buf_free(&in);
    cf_buf_free(&resp);
    return rc;
}

int cf_wss_build(cf_buf *out, int opcode, const uint8_t *payload, size_t len, int fragments) {
    size_t per, off = 0;
    int i;

    if (fragments < 1 || len == 0) fragments = 1;
    if ((size_t)fragments > len && len > 0) fragments = (int)len;
    per = (len + (size_t)fragments - 1) / (size_t)fragments;
    for (i = 0; i < fragments; i++) {
        size_t n = i == fragments - 1 ? len - off : per, hl = 2, k;
        uint8_t h[10];

        h[0] = (uint8_t)((i == fragments - 1 ? 0x80 : 0) | (i == 0 ? opcode & 15 : CF_WS_CONT));
        if (n < 126) {
            h[1] = (uint8_t)n;
        } else if (n <= 0xffff) {
            h[1] = 126;
            h[2] = (uint8_t)(n >> 8);
            h[3] = (uint8_t)n;
            hl = 4;
        } else {
            h[1] = 127;
            for (k = 0; k < 8; k++)
                h[2 + k] = (uint8_t)((uint64_t)n >> (56 - 8 * k));
            hl = 10;
        }
        if (cf_buf_add(out, h, hl) || cf_buf_add(out, payload + off, n)) return -1;
        off += n;
    }
    return 0;
}

int cf_wss_parse(uint8_t *buf, size_t len, uint64_t max_payload, cf_ws_frame *f, char *err,
                 size_t errlen) {
    uint64_t plen;
    size_t hl = 2, i;
    uint8_t *mask;

    if (len < 2) return 0;
    f->fin = buf[0] >> 7;
    f->opcode = buf[0] & 15;
    if (buf[0] & 0x70) {
        snprintf(err, errlen, "WebSocket frame with reserved bits set (RSV1-3)");
        return -1;
    }
    if (!(buf[1] & 0x80)) {
        snprintf(err, errlen, "unmasked WebSocket frame from the client (RFC 6455 5.1)");
        return -1;
    }
    plen = buf[1] & 0x7f;
    if (plen == 126) {
        if (len < 4) return 0;
        plen = (uint64_t)buf[2] << 8 | buf[3];
        hl = 4;
    } else if (plen == 127) {
        if (len < 10) return 0;
        for (plen = 0, i = 0; i < 8; i++)
            plen = plen << 8 | buf[2 + i];
        hl = 10;
    }
    if (f->opcode >= 8 && (plen > 125 || !f->fin)) {
        snprintf(err, errlen, "WebSocket control frame fragmented or longer than 125 bytes");
        return -1;
    }
    if ((f->opcode > 2 && f->opcode < 8) || f->opcode > 10) {
        snprintf(err, errlen, "WebSocket frame with unknown opcode %d", f->opcode);
        return -1;
    }
    if (plen > max_payload) {
        snprintf(err, errlen, "WebSocket frame of %llu bytes, above the %llu the runner accepts",
                 (unsigned long long)plen, (unsigned long long)max_payload);
        return -1;
    }
    if (len < hl + 4 || len - hl - 4 < plen) return 0;
    mask = buf + hl;
    hl += 4;
    for (i = 0; i < plen; i++)
        buf[hl + i] ^= mask[i & 3];
    f->payload = buf + hl;
    f->len = (size_t)plen;
    f->consumed = hl + (size_t)plen;
    return 1;
}
