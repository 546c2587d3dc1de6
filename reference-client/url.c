/*
 * url.c - the client's URLs: ws://host:port[/path] (WebSocket binding) and plexus://host:port
 * (stream binding over raw TCP). IPv6 hosts are written in brackets: ws://[::1]:7700/.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Splits "host:port" (or "[v6]:port") at the end of the authority. 0 or PLX_E_BAD_URL. */
static int parse_authority(const char *s, size_t n, plx_url *u) {
    const char *colon;
    size_t hlen;
    char digits[8];
    char *end;
    long port;

    if (n == 0) return PLX_E_BAD_URL;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || (size_t)(close - s) + 1 >= n || close[1] != ':') return PLX_E_BAD_URL;
        hlen = (size_t)(close - s) - 1;
        if (hlen == 0 || hlen >= sizeof(u->host)) return PLX_E_BAD_URL;
        memcpy(u->host, s + 1, hlen);
        colon = close + 1;
    } else {
        colon = NULL;
        for (size_t i = 0; i < n; i++)
            if (s[i] == ':') colon = s + i;
        if (!colon) return PLX_E_BAD_URL;
        hlen = (size_t)(colon - s);
        if (hlen == 0 || hlen >= sizeof(u->host)) return PLX_E_BAD_URL;
        memcpy(u->host, s, hlen);
    }
    u->host[hlen] = 0;
    n -= (size_t)(colon + 1 - s);
    if (n == 0 || n >= sizeof(digits)) return PLX_E_BAD_URL;
    memcpy(digits, colon + 1, n);
    digits[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (digits[i] < '0' || digits[i] > '9') return PLX_E_BAD_URL;
    port = strtol(digits, &end, 10);
    if (*end || port < 1 || port > 65535) return PLX_E_BAD_URL;
    u->port = (int)port;
    return 0;
}

int plx_url_parse(const char *url, plx_url *u) {
    const char *rest, *slash;
    size_t alen;

    if (!url || !u) return PLX_E_BAD_URL;
    memset(u, 0, sizeof(*u));
    if (strncmp(url, "ws://", 5) == 0) {
        u->kind = PLX_URL_WS;
        rest = url + 5;
    } else if (strncmp(url, "plexus://", 9) == 0) {
        u->kind = PLX_URL_TCP;
        rest = url + 9;
    } else {
        return PLX_E_BAD_URL;
    }
    slash = strchr(rest, '/');
    alen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (parse_authority(rest, alen, u)) return PLX_E_BAD_URL;
    if (!slash || (u->kind == PLX_URL_TCP && strcmp(slash, "/") == 0)) {
        strcpy(u->path, "/");
        return 0;
    }
    if (u->kind == PLX_URL_TCP) return PLX_E_BAD_URL; /* no path on the stream binding */
    if (strlen(slash) >= sizeof(u->path)) return PLX_E_BAD_URL;
    for (const char *p = slash; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) return PLX_E_BAD_URL;
    strcpy(u->path, slash);
    return 0;
}
