/*
 * sig.c - SIGINT and SIGTERM set cli_stop, which long-running commands (listen, watch,
 * serve) poll; the handlers are installed without SA_RESTART so blocking reads return.
 */
#include <signal.h>
#include <string.h>

#include "cli.h"

volatile sig_atomic_t cli_stop = 0;

static void on_signal(int sig) {
    (void)sig;
    cli_stop = 1;
}

void cli_signals_install(void) {
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
