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
    if (!cf_http_header((char *)in.data, "Upgrade", value, sizeof(value)) ||
        strcasecmp(value, "websocket") != 0 ||
        !cf_http_header((char *)in.data, "Sec-WebSocket-Version", value, sizeof(value)) ||
        strcmp(value, "13") != 0 ||
        !cf_http_header((char *)in.data, "Sec-WebSocket-Key", key, sizeof(key)) || !*key) {
        rc = refuse(fd, deadline_ms, err, errlen,
                    "Upgrade, Sec-WebSocket-Version 13 or Sec-WebSocket-Key missing");
        goto out;
    }
    if (cf_http_header((char *)in.data, "Sec-WebSocket-Protocol", value, sizeof(value)))
        split_protocols(value, req);
    cf_http_header((char *)in.data, "Sec-WebSocket-Extensions", req->extensions,
                   sizeof(req->extensions));
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
