/*
 * record.h - `plexus-conform record`: a WebSocket proxy between clients and a Plexus server
 * that writes the sessions it carries as a trace (a FORMAT.md case), and that can inject one
 * fault (faults.h) into what the server sends.
 */
#ifndef CF_RECORD_H
#define CF_RECORD_H

/* Entry point: argv[0] is "record". Options: --listen HOST:PORT (port 0 picks one, printed as
 * "listening on N"), --upstream ws://host:port, --out FILE (trace written after every closed
 * connection and at exit), --fault NAME, --list-faults. Runs until SIGINT/SIGTERM; returns the
 * exit status (0, 1 runtime failure, 2 usage error). */
int plx_conform_record_main(int argc, char **argv);

#endif
