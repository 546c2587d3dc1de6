#!/usr/bin/python3
"""run_faults.py - proof that the conformance suite catches faults.

Starts plexus-server on 127.0.0.1 (--port 0), runs the suite through the recording proxy
(`plexus-conform record`) once without a fault (the baseline) and once per fault of
`plexus-conform record --list-faults`. A fault is detected when a case that passed in the
baseline fails with the fault and that case checks a requirement the fault declares it breaks.
Prints the fault-detection table; exits 1 when the baseline ran nothing or a fault went
undetected. Every wait is bounded (process start 10 s, one suite run 600 s).
"""
import argparse, glob, json, os, subprocess, sys, tempfile, time

SLOW = 'chunk-013,session-030,session-031'  # 10-31 s each: waits of the default server timeouts


def start(cmd, what):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if line.startswith('listening on '):
            return p, int(line.split()[2])
        if not line and p.poll() is not None:
            break
    p.kill()
    sys.exit('%s did not start: %s' % (what, cmd))


def stop(p):
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def run_suite(a, port, params):
    with tempfile.NamedTemporaryFile(suffix='.json', delete=False) as f:
        report = f.name
    ids = sorted(json.load(open(f))['id'] for f in glob.glob(os.path.join(a.cases, '*', '*.json')))
    keep = ','.join(i for i in ids if i not in SLOW.split(','))
    cmd = [a.conform, 'server', 'ws://127.0.0.1:%d' % port, '--cases-dir', a.cases, '--cases', keep,
           '--json', report] + sum((['--param', p] for p in params), [])
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    with open(report, encoding='utf-8', errors='replace') as f:
        r = json.load(f)
    os.unlink(report)
    return {c['id']: c for c in r['cases']}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--server', required=True)
    ap.add_argument('--conform', required=True)
    ap.add_argument('--cases', required=True)
    ap.add_argument('--faults', default='', help='comma-separated subset (default: all)')
    a = ap.parse_args()

    faults = []
    out = subprocess.run([a.conform, 'record', '--list-faults'], capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if not line.strip():
            continue
        name, breaks = line.split()[:2]
        if not a.faults or name in a.faults.split(','):
            faults.append((name, set(breaks.split(','))))
    assert len(faults) >= 15 or a.faults, 'fewer than 15 faults: %d' % len(faults)

    srv, sport = start([a.server, '--port', '0', '--override-key', 'fault-test-key', '--history', '8',
                        '--call-timeout', '1500', '--ping-interval', '1000'], 'plexus-server')
    params = ['override_key=fault-test-key']
    try:
        def through(fault):
            cmd = [a.conform, 'record', '--listen', '127.0.0.1:0', '--upstream', 'ws://127.0.0.1:%d' % sport]
            px, pport = start(cmd + (['--fault', fault] if fault else []), 'proxy')
            try:
                return run_suite(a, pport, params)
            finally:
                stop(px)

        base = through(None)
        passed = {i for i, c in base.items() if c['verdict'] in ('pass', 'non-strict')}
        print('baseline: %d cases, %d passed, %d failed (server deviations), %d skipped'
              % (len(base), len(passed), sum(c['verdict'] == 'fail' for c in base.values()),
                 sum(c['verdict'] == 'skipped' for c in base.values())))
        if not passed:
            sys.exit('baseline: no case passed')
        rows, missed = [], []
        for name, breaks in faults:
            res = through(name)
            newly = sorted(i for i in passed if res.get(i, {}).get('verdict') == 'fail')
            hits = [i for i in newly if breaks & set(res[i]['requirements'])]
            rows.append((name, len(newly), len(hits), hits[:4]))
            if not hits:
                missed.append(name)
        print('%-20s %7s %9s %-8s %s' % ('fault', 'failed', 'checking', 'detected', 'e.g.'))
        for name, n, h, ex in rows:
            print('%-20s %7d %9d %-8s %s' % (name, n, h, 'yes' if h else 'NO', ' '.join(ex)))
        if missed:
            sys.exit('undetected faults: ' + ', '.join(missed))
        print('all %d faults detected' % len(rows))
    finally:
        stop(srv)


if __name__ == '__main__':
    main()
