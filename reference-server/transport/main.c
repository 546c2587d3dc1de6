/*
 * main.c - plexus-server: parses the command line, builds the server (store, hub,
 * WebSocket and optional raw-TCP listeners, opened once the cluster is ready with Redis),
 * prints the ports it listens on, serves until SIGTERM or SIGINT, then closes every peer with
 * 1001 and exits 0.
 *
 * Exit codes: 0 clean shutdown, --help, --version; 1 runtime failure; 2 usage error.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "server.h"

#ifndef PLX_VERSION_STRING
#define PLX_VERSION_STRING "0.0.0"
#endif

/* Process-wide by nature: a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_requested;
static plx_server *running_server;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
    if (running_server) plx_server_wake(running_server);
}

static void install_signals(void) {
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv) {
    plx_options opt;
    plx_server srv;
    char err[512];
    int rc;

    switch (plx_options_parse(argc, argv, &opt, err, sizeof(err))) {
    case PLX_OPTIONS_HELP:
        plx_options_usage(stdout);
        return PLX_EXIT_OK;
    case PLX_OPTIONS_VERSION:
        printf("plexus-server %s (protocol %d, subprotocol %s)\n", PLX_VERSION_STRING,
               PLX_PROTOCOL_VERSION, PLX_SUBPROTOCOL);
        return PLX_EXIT_OK;
    case PLX_OPTIONS_ERROR:
        fprintf(stderr, "plexus-server: %s\n", err);
        fprintf(stderr, "usage: plexus-server [options]   (see --help)\n");
        return PLX_EXIT_USAGE;
    case PLX_OPTIONS_RUN:
        break;
    }
    plx_log_set_level(opt.log_level);
    install_signals();
    int failed = plx_server_init(&srv, &opt);
    running_server = failed ? NULL : &srv; /* a signal while waiting for the cluster wakes it */
    if (failed || plx_server_listen(&srv, &stop_requested)) {
        running_server = NULL;
        plx_server_free(&srv);
        plx_options_free(&opt);
        return PLX_EXIT_RUNTIME;
    }
    printf("listening on %d\n", lws_get_vhost_listen_port(srv.ws_vhost));
    if (srv.tcp_vhost) printf("listening tcp on %d\n", lws_get_vhost_listen_port(srv.tcp_vhost));
    fflush(stdout);
    plx_log(PLX_LOG_INFO, "plexus-server %s on %s port %d", PLX_VERSION_STRING, opt.host,
            lws_get_vhost_listen_port(srv.ws_vhost));
    rc = plx_server_run(&srv, &stop_requested);
    running_server = NULL;
    plx_server_free(&srv);
    plx_options_free(&opt);
    if (rc == 0) plx_log(PLX_LOG_INFO, "stopped");
    return rc ? PLX_EXIT_RUNTIME : PLX_EXIT_OK;
}
