#!/usr/bin/python3
"""check_runner.py - self-check of plexus-conform's server-mode features on the small case
set in tests/conformance/runner-cases: the expect `frame` matcher passes and fails, pause and
resume, send `repeat`, `signal` and `server_log_excludes` steps, server_args (as parameters, the automatic secret, a
server that cannot start) with `--spawn`, and the skips against a URL (a signal step, unmet
server_args). Each case's title says the verdict it must get. Exits 1 on any other verdict.

usage: check_runner.py PLEXUS_SERVER PLEXUS_CONFORM CASES_DIR
"""
import json, os, subprocess, sys, tempfile, time

# case id: (verdict, text the reason must contain), with --spawn and against a URL
SPAWN = {'gzip-001': ('fail', 'its frames do not'), 'gzip-002': ('pass', ''),
         'session-001': ('pass', ''), 'session-002': ('pass', ''),
         'session-003': ('fail', 'cannot start the server'), 'limits-001': ('fail', 'is paused'),
         'session-004': ('fail', 'contains a text it must not log')}
URL = {'gzip-001': ('fail', 'its frames do not'), 'gzip-002': ('pass', ''),
       'session-001': ('skipped', 'needs --spawn'),
       'session-002': ('skipped', 'needs a server started with --secret'),
       'session-003': ('skipped', 'needs a server started with --no-such-option'),
       'limits-001': ('fail', 'is paused'),
       'session-004': ('skipped', "reads the server's log")}


def run(conform, cases, target):
    with tempfile.NamedTemporaryFile(suffix='.json', delete=False) as f:
        report = f.name
    cmd = [conform, 'server'] + target + ['--cases-dir', cases, '--json', report]
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120).returncode
    with open(report, encoding='utf-8') as f:
        r = json.load(f)
    os.unlink(report)
    return rc, {c['id']: c for c in r['cases']}


def check(what, rc, got, want):
    bad = 0
    for i, (v, why) in sorted(want.items()):
        c = got.get(i, {})
        ok = c.get('verdict') == v and why in c.get('reason', '')
        print('%-7s %-12s want %-8s got %-8s %s%s' % (what, i, v, c.get('verdict'), '' if ok else 'WRONG: ',
                                                       c.get('reason', '')[:90]))
        bad += not ok
    if rc != 1:
        print('%s: exit status %d, 1 expected (cases fail)' % (what, rc))
        bad += 1
    return bad


def main():
    server, conform, cases = sys.argv[1:4]
    rc, got = run(conform, cases, ['--spawn', "'%s' --log-level error" % server])
    bad = check('spawn', rc, got, SPAWN)
    p = subprocess.Popen([server, '--port', '0', '--log-level', 'error'], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    try:
        deadline, port = time.monotonic() + 10, None
        while time.monotonic() < deadline and not port:
            line = p.stdout.readline()
            if line.startswith('listening on '):
                port = int(line.split()[2])
            elif not line:
                break
        if not port:
            sys.exit('plexus-server did not start')
        rc, got = run(conform, cases, ['ws://127.0.0.1:%d' % port])
        bad += check('url', rc, got, URL)
    finally:
        p.terminate()
        p.wait(5)
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
