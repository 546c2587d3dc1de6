/*
 * help.c - plexus-cli's help texts (the overview and one per subcommand), the --help test
 * and the one-line usage error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char overview[] =
    "usage: plexus-cli [options] [COMMAND [ARG...]]\n"
    "\n"
    "A command-line client of Plexus v1 servers (plexus-server). Without COMMAND it reads\n"
    "commands from stdin: a REPL with line editing and history (~/.plexus_cli_history) when\n"
    "stdin is a terminal, else one command per line (quoting as in redis-cli: \"a b\\n\", 'a').\n"
    "\n"
    "options (before COMMAND):\n"
    "  -u, --url URL     ws://host:port[/path] or plexus://host:port (default " CLI_DEFAULT_URL
    ")\n"
    "  --name NAME       client name to ask for (default: the server assigns one)\n"
    "  --secret TEXT     the server's shared secret\n"
    "  --timeout MS      request timeout, also bounds connecting (default: the server's call\n"
    "                    timeout; connecting 10000)\n"
    "  --json            machine-readable output: one JSON value per line\n"
    "  --raw             storage replies raw even when stdout is a terminal\n"
    "  --no-raw          storage replies formatted even when stdout is not a terminal\n"
    "  -h, --help        this help (COMMAND --help, or help COMMAND: a command's)\n"
    "  --version         print the version\n"
    "\n"
    "commands:\n"
    "  CMD [ARG...]                    a storage command as in redis-cli (help storage)\n"
    "  call ROUTE [JSON]               call a route, print its result\n"
    "  call-all ROUTE [JSON]           call a route on every client serving it\n"
    "  send --to TARGET EVENT [JSON]   send an event to client:NAME, group:G or all\n"
    "  listen                          print received events as JSON lines\n"
    "  watch PATTERN...                print change notifications as JSON lines\n"
    "  serve ROUTE -- CMD [ARG...]     answer calls of ROUTE by running CMD\n"
    "  decode FILE|-                   print recorded frames and messages as JSON lines\n"
    "  help [COMMAND]                  help on a command\n"
    "\n"
    "output: storage replies are printed as redis-cli prints them, formatted on a terminal\n"
    "((integer) 1, \"v\", (nil), 1) \"a\", (error) ERR ...) and raw otherwise; results of\n"
    "call, call-all and send are one JSON line; errors other than storage errors read\n"
    "\"(error) NAME message [detail]\". With --json every reply is one JSON value: storage\n"
    "replies mapped as the wire does (null, integers, strings, {\"$status\": \"OK\"}, arrays),\n"
    "bytes that are not UTF-8 as {\"$base64\": \"...\"}, errors as\n"
    "{\"error\": {\"code\", \"name\", \"message\", \"detail\"}}. Diagnostics go to stderr.\n"
    "\n"
    "exit codes:\n"
    "  0  success\n"
    "  1  an error reply, or the command failed\n"
    "  2  usage error\n"
    "  3  cannot connect (refused, handshake, auth, name taken), or the connection was lost\n";

static const struct {
    const char *name;
    const char *text;
} topics[] = {
    {"storage",
     "usage: plexus-cli [options] CMD [ARG...]\n"
     "\n"
     "Runs one storage command (SET, GET, HSET, LRANGE, ZADD, ...: the commands of SPEC.md\n"
     "section 11) and prints the reply as redis-cli does. Arguments are byte strings; the\n"
     "command name is not case-sensitive. Example: plexus-cli -u ws://127.0.0.1:7700 HSET k f "
     "v\n"
     "Exit code 1 when the reply is an error.\n"},
    {"call",
     "usage: plexus-cli [options] call ROUTE [JSON] [--to NAME]\n"
     "\n"
     "Calls ROUTE with JSON as its args (absent: no args) and prints the result as one JSON\n"
     "line. Built-in routes: plexus.info, plexus.clients, plexus.groups, plexus.routes,\n"
     "plexus.history ({\"group\": G}).\n"
     "  --to NAME   call the route on this client\n"
     "Exit code 1 on an error reply (e.g. UNKNOWN_ROUTE, ROUTE_FAILED, CALL_TIMEOUT).\n"},
    {"call-all",
     "usage: plexus-cli [options] call-all ROUTE [JSON] [--group G]\n"
     "\n"
     "Calls ROUTE on every client serving it (only members of G with --group) and prints\n"
     "{name: {\"result\": v} | {\"error\": {...}}} as one JSON line.\n"},
    {"send", "usage: plexus-cli [options] send --to client:NAME|group:G|all EVENT [JSON] [--echo]\n"
             "                                 [--no-wait]\n"
             "\n"
             "Sends EVENT with JSON as its data and prints {\"delivered\": n}.\n"
             "  --to TARGET   client:NAME, group:G or all (required)\n"
             "  --echo        deliver to this client too when it is a target\n"
             "  --no-wait     do not wait for the delivery count (prints nothing)\n"},
    {"listen",
     "usage: plexus-cli [options] listen [--group G]... [--presence] [--count N]\n"
     "                                   [--timeout MS]\n"
     "\n"
     "Prints each event received as a JSON line {\"t\": \"event\", \"from\", \"to\", \"event\",\n"
     "\"data\", \"seq\"} (with --presence also {\"t\": \"presence\", \"kind\", \"name\", ...})\n"
     "until SIGINT or SIGTERM (exit 0), N lines were printed, or MS milliseconds passed.\n"
     "Attachments in data appear as their bytes. Prints \"listening as NAME\" on stderr once\n"
     "ready. Use --name to receive client:NAME events.\n"
     "  --group G     join group G (repeatable, at most 64)\n"
     "  --presence    also print presence events (join, leave, rename, regroup)\n"
     "  --count N     stop after N lines\n"
     "  --timeout MS  stop after MS milliseconds (exit 0)\n"},
    {"watch",
     "usage: plexus-cli [options] watch PATTERN... [--count N] [--timeout MS]\n"
     "\n"
     "Watches keys matching the glob patterns and prints each change notification as a JSON\n"
     "line {\"t\": \"change\", \"key\", \"op\", \"by\", \"pattern\"} until SIGINT or SIGTERM,\n"
     "N lines, or MS milliseconds. Prints \"watching as NAME\" on stderr once ready.\n"},
    {"serve",
     "usage: plexus-cli [options] serve ROUTE [--cmd-timeout MS] [--max-output BYTES]\n"
     "                                  [--count N] [--timeout MS] -- CMD [ARG...]\n"
     "\n"
     "Serves ROUTE: each call runs CMD (no shell; use sh -c '...' for one) with the call's\n"
     "args as JSON on stdin (null when absent), one call at a time. The reply is CMD's stdout\n"
     "parsed as JSON, or as a string when it is not JSON (bytes that are not UTF-8 as an\n"
     "attachment). A non-zero exit is an error reply carrying CMD's stderr (the caller sees\n"
     "ROUTE_FAILED with it as detail). Runs until SIGINT or SIGTERM, N calls, or MS ms.\n"
     "  --cmd-timeout MS     kill CMD after MS (default: the time the caller waits, at most\n"
     "                       30000); the reply is then CALL_TIMEOUT\n"
     "  --max-output BYTES   bound of CMD's stdout (default 8388608); past it CMD is killed\n"
     "                       and the reply is LIMIT_REACHED. stderr keeps its first 65536\n"
     "                       bytes\n"
     "Prints one line per call on stderr: route, exit status, milliseconds.\n"},
    {"decode",
     "usage: plexus-cli decode FILE|- [--stream|--frames] [--dir c2s|s2c|both]\n"
     "                            [--max-message BYTES]\n"
     "\n"
     "Reads frames from FILE (- for stdin), without connecting: a stream-bound recording\n"
     "(each frame preceded by its u32 big-endian length) or bare frames one after another.\n"
     "The format is guessed from the first byte (1: bare frames) unless forced. Prints one\n"
     "JSON object per frame: {\"frame\": n, \"at\": file offset, \"version\", \"flags\": [..],\n"
     "\"msg_id\", \"offset\", \"length\"} and, for a frame completing a message,\n"
     "\"message\" (the JSON object) and \"attachments\" ([{\"length\", \"head\": hex of the\n"
     "first 16 bytes}]). A decoding error is printed as {\"frame\": n, \"error\": {\"code\",\n"
     "\"name\", \"message\", \"field\"?}} and ends decoding (exit 1) unless it is a message-level\n"
     "(5xx) error. Messages are validated for direction --dir (default both). --max-message\n"
     "bounds a reassembled message (default 67108864).\n"},
    {"help", "usage: plexus-cli help [COMMAND]\n\nPrints the help of COMMAND, or the overview.\n"},
};

int cli_help(FILE *f, const char *command) {
    if (!command) {
        fputs(overview, f);
        return 0;
    }
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        if (strcmp(topics[i].name, command) == 0) {
            fputs(topics[i].text, f);
            return 0;
        }
    }
    return -1;
}

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    }
    return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;

    fprintf(stderr, "plexus-cli: %s%s", cmd ? cmd : "", cmd ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see plexus-cli %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
    return CLI_USAGE;
}

int cli_cmd_help(cli *c, int argc, char **argv) {
    (void)c;
    if (argc > 2) return cli_usage_error("help", "takes at most one command name");
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return cli_help(stdout, "help"), CLI_OK;
    if (cli_help(stdout, argc == 2 ? argv[1] : NULL) < 0)
        return cli_usage_error("help", "no command '%s'", argv[1]);
    return CLI_OK;
}
