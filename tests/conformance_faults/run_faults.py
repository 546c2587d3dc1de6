#!/usr/bin/python3
"""run_faults.py - proof that the conformance suite catches faults.

Starts plexus-server on 127.0.0.1 (--port 0) and, for each fault of
`plexus-conform record --list-faults`, runs through the recording proxy
(`plexus-conform record --fault NAME`) only the cases that check a requirement the fault
declares it breaks. One baseline run without a fault covers the union of those subsets, so
every case's verdict without the fault is known. A fault is detected when the run fails
(plexus-conform exits 1) and a case that passed in the baseline fails with the fault; such a
case checks a broken requirement by construction. Cases slow by nature (case_timeout_ms) are
left out. Prints the fault-detection table and the time taken; exits 1 when the baseline ran
nothing or a fault went undetected. Every wait is bounded (process start 10 s, one run 600 s).
"""
import argparse, glob, json, os, subprocess, sys, tempfile, time

SERVER_ARGS = ['--override-key', 'fault-test-key', '--history', '8', '--call-timeout', '1500',
               '--ping-interval', '1000']
PARAMS = ['override_key=fault-test-key']


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


def load_cases(cases_dir):
    """{id: set of requirement IDs} of the cases that are not slow by nature."""
    out = {}
    for f in glob.glob(os.path.join(cases_dir, '*', '*.json')):
        with open(f, encoding='utf-8') as fh:
            c = json.load(fh)
        if 'case_timeout_ms' not in c:
            out[c['id']] = set(c['requirements'])
    return out


def run_suite(a, port, ids):
    """Runs the cases ids through the proxy at port: (exit status, {id: case report})."""
    with tempfile.NamedTemporaryFile(suffix='.json', delete=False) as f:
        report = f.name
    cmd = [a.conform, 'server', 'ws://127.0.0.1:%d' % port, '--cases-dir', a.cases,
           '--cases', ','.join(sorted(ids)), '--json', report] + sum((['--param', p] for p in PARAMS), [])
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600).returncode
    with open(report, encoding='utf-8') as f:
        r = json.load(f)
    os.unlink(report)
    return rc, {c['id']: c for c in r['cases']}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--server', required=True)
    ap.add_argument('--conform', required=True)
    ap.add_argument('--cases', required=True)
    ap.add_argument('--faults', default='', help='comma-separated subset (default: all)')
    a = ap.parse_args()
    t0 = time.monotonic()

    faults = []
    out = subprocess.run([a.conform, 'record', '--list-faults'], capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if not line.strip():
            continue
        name, breaks = line.split()[:2]
        if not a.faults or name in a.faults.split(','):
            faults.append((name, set(breaks.split(','))))
    assert len(faults) >= 15 or a.faults, 'fewer than 15 faults: %d' % len(faults)

    cases = load_cases(a.cases)
    subset = {name: {i for i, reqs in cases.items() if reqs & breaks} for name, breaks in faults}
    union = set().union(*subset.values())

    srv, sport = start([a.server, '--port', '0'] + SERVER_ARGS, 'plexus-server')
    try:
        def through(fault, ids):
            cmd = [a.conform, 'record', '--listen', '127.0.0.1:0', '--upstream', 'ws://127.0.0.1:%d' % sport]
            px, pport = start(cmd + (['--fault', fault] if fault else []), 'proxy')
            try:
                return run_suite(a, pport, ids)
            finally:
                stop(px)

        tb = time.monotonic()
        _, base = through(None, union)
        passed = {i for i, c in base.items() if c['verdict'] in ('pass', 'non-strict')}
        print('baseline: %d cases (the union of the faults\' subsets, of %d), %d passed, %d failed '
              '(server deviations), %d skipped, %.0f s'
              % (len(base), len(cases), len(passed), sum(c['verdict'] == 'fail' for c in base.values()),
                 sum(c['verdict'] == 'skipped' for c in base.values()), time.monotonic() - tb))
        for i in sorted(base):
            if base[i]['verdict'] == 'fail':
                print('  baseline failure %s: %s' % (i, base[i].get('reason', '')[:150]))
        if not passed:
            sys.exit('baseline: no case passed')
        rows, missed = [], []
        for name, breaks in faults:
            tf = time.monotonic()
            rc, res = through(name, subset[name])
            newly = sorted(i for i in subset[name] & passed if res.get(i, {}).get('verdict') == 'fail')
            rows.append((name, len(subset[name]), len(newly), rc, time.monotonic() - tf, newly[:4]))
            if not newly or rc == 0:
                missed.append(name)
        print('%-20s %6s %7s %-8s %5s  %s' % ('fault', 'cases', 'failed', 'detected', 's', 'e.g.'))
        for name, n, failed, rc, secs, ex in rows:
            print('%-20s %6d %7d %-8s %5.1f  %s' % (name, n, failed, 'yes' if failed and rc else 'NO',
                                                    secs, ' '.join(ex)))
        print('total %.0f s' % (time.monotonic() - t0))
        if missed:
            sys.exit('undetected faults: ' + ', '.join(missed))
        print('all %d faults detected' % len(rows))
    finally:
        stop(srv)


if __name__ == '__main__':
    main()
