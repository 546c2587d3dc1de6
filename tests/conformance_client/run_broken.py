#!/usr/bin/python3
"""run_broken.py - proof that the client suite catches a misbehaving client.

Runs the client cases (conformance/client-cases, the slow expiry case left out) against
libplexus-client through plexus-conform-driver-c once as it is (the baseline) and once per
fault of `plexus-conform-driver-c --broken FAULT` (a proxy inside the driver breaks one thing
in what the client sends). For each fault: plexus-conform must exit non-zero, and every case
that passed in the baseline and lists a requirement the fault breaks must fail. Prints the
detection table; exits 1 when a fault is not caught. Every run is bounded (600 s).
"""
import argparse, json, os, subprocess, sys, tempfile

FAULTS = {  # fault -> the requirements it breaks (each must have a case that catches it)
    'chunk-offsets': ['CHK-1'],
    'no-pong': ['SES-15'],
    'no-reply': ['RPC-8', 'ADP-4'],
}
SLOW = 'cl-chunk-010'


def run(a, driver):
    fd, report = tempfile.mkstemp(suffix='.json')
    os.close(fd)
    cmd = [a.conform, 'client', '--driver', driver, '--exclude', SLOW, '--json', report]
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        timeout=600).returncode
    with open(report, encoding='utf-8', errors='replace') as f:
        r = json.load(f)
    os.unlink(report)
    return rc, {c['id']: c for c in r['cases']}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--conform', required=True)
    p.add_argument('--driver', required=True)
    a = p.parse_args()
    rc, base = run(a, a.driver)
    passed = {i for i, c in base.items() if c['verdict'] == 'pass'}
    if not passed:
        sys.exit('the baseline run passed no case')
    ok = True
    print('%-14s %-22s %s' % ('fault', 'breaks', 'cases that caught it'))
    for fault, reqs in FAULTS.items():
        frc, res = run(a, '%s --broken %s' % (a.driver, fault))
        checking = sorted(i for i in passed
                          if set(base[i]['requirements']) & set(reqs))
        missed = [i for i in checking if res.get(i, {}).get('verdict') != 'fail']
        caught = [i for i in checking if i not in missed]
        print('%-14s %-22s %s' % (fault, ','.join(reqs), ' '.join(caught) or '-'))
        if frc == 0:
            print('FAIL: plexus-conform exited 0 with fault %s' % fault)
            ok = False
        if not checking:
            print('FAIL: no passing case checks %s' % ','.join(reqs))
            ok = False
        for i in missed:
            print('FAIL: %s checks %s but passed with fault %s' % (i, ','.join(reqs), fault))
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
