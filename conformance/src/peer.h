/*
 * peer.h - one connection of `plexus-conform client`, seen from the server side: the server
 * side of a link (link.h) on a socket the runner accepted from the client under test, with
 * the limits of the welcome the runner sends. Sending (unmasked WebSocket frames or the stream
 * binding), events (each client message with the frames that carried it, so cases can check
 * how the client chunked and compressed) and closing are link.h's.
 */
#ifndef CF_PEER_H
#define CF_PEER_H

#include <cjson/cJSON.h>

#include "link.h"

typedef cf_link cf_peer;

/* Sets up a peer on an accepted socket (the handshake done); leftover holds bytes already read
 * after the handshake. Before welcome it receives with max_frame 65536 and no gzip (SES-3).
 * 0, or -1 when out of memory (then the socket is still the caller's). Free p with
 * cf_link_free. */
int cf_peer_init(cf_peer *p, const char *name, int fd, int stream, const cf_buf *leftover,
                 cJSON *log, uint64_t t0);

/* Switches to the limits of a welcome we send (max_frame, max_message, gzip, gzip_threshold;
 * the defaults where absent), for receiving and as the default for sending. 0 or -1. */
int cf_peer_welcome(cf_peer *p, const cJSON *welcome);

/* Reads what is available within timeout_ms and decodes it into events. 0, or -1 when nothing
 * more can come. */
int cf_peer_pump(cf_peer *p, int timeout_ms);
/* The fd to poll for input, or -1 when the peer can produce nothing more. */
int cf_peer_pollfd(const cf_peer *p);

#endif
