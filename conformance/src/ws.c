/*
 * ws.c - URLs, TCP connect, deadline writes and a minimal RFC 6455 client (see ws.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws.h"

#define WS_GUID       "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define HANDSHAKE_MAX 16384 /* bytes of a handshake response we accept */

int cf_url_parse(const char *s, cf_url *u, char *err, size_t errlen) {
    const char *rest, *colon, *slash;
    size_t hlen;
    char *end;
    long port;

    memset(u, 0, sizeof(*u));
    if (!strncmp(s, "ws://", 5))
        rest = s + 5;
    else if (!strncmp(s, "plexus://", 9)) {
        rest = s + 9;
        u->stream = 1;
    } else {
        snprintf(err, errlen,
                 "'%s': the URL must start with ws:// or plexus:// (wss:// is not "
                 "supported)",
                 s);
        return -1;
    }
    slash = strchr(rest, '/');
    colon = strchr(rest, ':');
    if (!colon || (slash && colon > slash)) {
        snprintf(err, errlen, "'%s': the URL needs a port (host:port)", s);
        return -1;
    }
    hlen = (size_t)(colon - rest);
    if (hlen == 0 || hlen >= sizeof(u->host)) {
        snprintf(err, errlen, "'%s': bad host", s);
        return -1;
    }
    memcpy(u->host, rest, hlen);
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || port < 1 || port > 65535 || (*end && *end != '/')) {
        snprintf(err, errlen, "'%s': bad port", s);
        return -1;
    }
    u->port = (int)port;
    if (*end == '/' && u->stream) {
        snprintf(err, errlen, "'%s': plexus:// URLs have no path", s);
        return -1;
    }
    snprintf(u->path, sizeof(u->path), "%s", *end == '/' ? end : "/");
    return 0;
}

int cf_tcp_connect(const char *host, int port, int timeout_ms, char *err, size_t errlen) {
    struct addrinfo hints, *res = NULL, *ai;
    char ports[16];
    int fd = -1, rc;

    if (errlen) *err = 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(ports, sizeof(ports), "%d", port);
    rc = getaddrinfo(host, ports, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        struct pollfd p;
        int soerr = 0;
        socklen_t sl = sizeof(soerr);

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc && errno == EINPROGRESS) {
            p.fd = fd;
            p.events = POLLOUT;
            rc = poll(&p, 1, timeout_ms) == 1 ? 0 : -1;
            if (rc == 0 && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr)) {
                errno = soerr ? soerr : errno;
                rc = -1;
            } else if (rc) {
                errno = ETIMEDOUT;
            }
        }
        if (rc == 0) break;
        snprintf(err, errlen, "connect %s:%d: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0 && !*err) snprintf(err, errlen, "connect %s:%d: no address", host, port);
    return fd;
}

static int remaining(uint64_t deadline_ms) {
    uint64_t now = cf_now_ms();

    return now >= deadline_ms ? 0 : (int)(deadline_ms - now > 60000 ? 60000 : deadline_ms - now);
}

int cf_write_all(int fd, const uint8_t *data, size_t len, uint64_t deadline_ms, cf_buf *in,
                 size_t in_max, char *err, size_t errlen) {
    size_t off = 0;

    while (off < len) {
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
        struct pollfd p;

        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return 1;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errlen, "send: %s", strerror(errno));
            return -1;
        }
        p.fd = fd;
        p.events = POLLOUT | (in && in->len < in_max ? POLLIN : 0);
        if (poll(&p, 1, remaining(deadline_ms)) <= 0) {
            if (remaining(deadline_ms) == 0) {
                snprintf(err, errlen, "send: the peer took no data before the deadline");
                return -1;
            }
            continue;
        }
        if (p.revents & POLLIN) {
            uint8_t buf[65536];
            ssize_t r = recv(fd, buf, sizeof(buf), 0);

            if (r > 0 && cf_buf_add(in, buf, (size_t)r)) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
        if ((p.revents & (POLLERR | POLLHUP)) && !(p.revents & POLLOUT)) return 1;
    }
    return 0;
}

int cf_http_header(const char *req, const char *name, char *out, size_t outlen) {
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

int cf_ws_handshake(int fd, const cf_url *u, const char *const *protocols, size_t nproto,
                    uint64_t deadline_ms, int *status, char *selected, size_t sellen,
                    cf_buf *leftover, char *err, size_t errlen) {
    uint8_t rawkey[16], digest[20];
    char key[32], accept[32], got[128];
    cf_buf req = {0}, resp = {0};
    uint64_t seed = cf_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&req;
    const char *end;
    size_t i;
    int rc = -1;

    *status = 0;
    if (errlen) *err = 0;
    if (sellen) *selected = 0;
    for (i = 0; i < sizeof(rawkey); i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        rawkey[i] = (uint8_t)seed;
    }
    cf_base64(rawkey, sizeof(rawkey), key);
    cf_buf_printf(&req,
                  "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
                  u->path, u->host, u->port, key);
    if (nproto) {
        cf_buf_str(&req, "Sec-WebSocket-Protocol: ");
        for (i = 0; i < nproto; i++)
            cf_buf_printf(&req, "%s%s", i ? ", " : "", protocols[i]);
        cf_buf_str(&req, "\r\n");
    }
    cf_buf_str(&req, "\r\n");
    if (cf_write_all(fd, req.data, req.len, deadline_ms, NULL, 0, err, errlen)) {
        if (!*err) snprintf(err, errlen, "handshake: the server closed the connection");
        goto out;
    }
    for (;;) {
        uint8_t buf[4096];
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;

        if (resp.len && (end = strstr((char *)resp.data, "\r\n\r\n")) != NULL) break;
        if (resp.len > HANDSHAKE_MAX) {
            snprintf(err, errlen, "handshake: response longer than %d bytes", HANDSHAKE_MAX);
            goto out;
        }
        if (poll(&p, 1, remaining(deadline_ms)) <= 0) {
            snprintf(err, errlen, "handshake: no response before the deadline");
            goto out;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            snprintf(err, errlen, "handshake: the server closed the connection");
            goto out;
        }
        cf_buf_add(&resp, buf, (size_t)n);
    }
    if (sscanf((char *)resp.data, "HTTP/1.%*d %d", status) != 1) {
        snprintf(err, errlen, "handshake: not an HTTP response");
        goto out;
    }
    if (*status != 101) {
        rc = 1;
        goto out;
    }
    req.len = 0;
    cf_buf_printf(&req, "%s%s", key, WS_GUID);
    cf_sha1(req.data, req.len, digest);
    cf_base64(digest, sizeof(digest), accept);
    if (!cf_http_header((char *)resp.data, "Sec-WebSocket-Accept", got, sizeof(got)) ||
        strcmp(got, accept) != 0) {
        snprintf(err, errlen, "handshake: missing or wrong Sec-WebSocket-Accept");
        goto out;
    }
    if (cf_http_header((char *)resp.data, "Sec-WebSocket-Protocol", got, sizeof(got)) && sellen)
        snprintf(selected, sellen, "%s", got);
    {
        size_t hdr = (size_t)(end - (char *)resp.data) + 4;

        if (cf_buf_add(leftover, resp.data + hdr, resp.len - hdr)) goto out;
    }
    rc = 0;
out:
    cf_buf_free(&req);
    cf_buf_free(&resp);
    return rc;
}

static uint32_t next_rand(uint64_t *rng) {
    uint64_t x = *rng ? *rng : 0x9e3779b97f4a7c15ull;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    return (uint32_t)(x >> 16);
}

static int build_frame(cf_buf *out, int fin, int opcode, const uint8_t *p, size_t len,
                       uint64_t *mask_rng) {
    uint8_t h[14], mask[4];
    size_t hl = 2, i, start;
    uint8_t bit = mask_rng ? 0x80 : 0;

    h[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 15));
    if (len < 126) {
        h[1] = (uint8_t)(bit | len);
    } else if (len <= 0xffff) {
        h[1] = bit | 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        hl = 4;
    } else {
        h[1] = bit | 127;
        for (i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        hl = 10;
    }
    if (mask_rng) {
        uint32_t m = next_rand(mask_rng);

        mask[0] = (uint8_t)(m >> 24);
        mask[1] = (uint8_t)(m >> 16);
        mask[2] = (uint8_t)(m >> 8);
        mask[3] = (uint8_t)m;
        memcpy(h + hl, mask, 4);
        hl += 4;
    }
    if (cf_buf_add(out, h, hl)) return -1;
    start = out->len;
    if (cf_buf_add(out, p, len)) return -1;
    for (i = 0; mask_rng && i < len; i++)
        out->data[start + i] ^= mask[i & 3];
    return 0;
}

int cf_ws_build(cf_buf *out, int opcode, const uint8_t *payload, size_t len, int fragments,
                uint64_t *mask_rng) {
    size_t per, off = 0;
    int i;

    if (fragments < 1) fragments = 1;
    if ((size_t)fragments > len && len > 0) fragments = (int)len;
    if (len == 0) fragments = 1;
    per = (len + (size_t)fragments - 1) / (size_t)fragments;
    for (i = 0; i < fragments; i++) {
        size_t n = i == fragments - 1 ? len - off : per;

        if (build_frame(out, i == fragments - 1, i == 0 ? opcode : CF_WS_CONT, payload + off, n,
                        mask_rng))
            return -1;
        off += n;
    }
    return 0;
}

int cf_ws_parse(uint8_t *buf, size_t len, int masked, uint64_t max_payload, cf_ws_frame *f,
                char *err, size_t errlen) {
    uint64_t plen;
    size_t hl = 2, i;

    if (len < 2) return 0;
    f->fin = buf[0] >> 7;
    f->opcode = buf[0] & 15;
    if (buf[0] & 0x70) {
        snprintf(err, errlen, "WebSocket frame with reserved bits set (RSV1-3)");
        return -1;
    }
    if (!(buf[1] & 0x80) != !masked) {
        snprintf(err, errlen, "%s",
                 masked ? "unmasked WebSocket frame from the client (RFC 6455 5.1)"
                        : "masked WebSocket frame from the server (RFC 6455 5.1)");
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
    if (masked) {
        if (len < hl + 4 || len - hl - 4 < plen) return 0;
        for (i = 0; i < plen; i++)
            buf[hl + 4 + i] ^= buf[hl + (i & 3)];
        hl += 4;
    } else if (len - hl < plen) {
        return 0;
    }
    f->payload = buf + hl;
    f->len = (size_t)plen;
    f->consumed = hl + (size_t)plen;
    return 1;
}
