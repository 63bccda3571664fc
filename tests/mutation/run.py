#!/usr/bin/env python3
"""tests/mutation/run.py: mutation testing of core/boot.

Applies each mutant of mutants.txt to a scratch copy of the source tree (one at a time),
rebuilds it, runs the default suites (unit, then sweep, each stopping at the first
failing test) and prints which mutants survived and the score: killed / (mutants that
build and are not marked equivalent).

  run.py [--scratch DIR] [--only M01,M07] [--suites unit,sweep] [--check]

--check only verifies that every mutant still applies (its text occurs exactly once in
its file); the default suite runs it so the mutants follow core/boot as it changes.
Slow otherwise: seconds per killed mutant, a few minutes per survivor, on two cores.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def parse(path):
    mutants, cur, part = [], None, None
    with open(path) as f:
        for line in f.read().split('\n'):
            if line.startswith('@@ '):
                ident, _, what = line[3:].partition(' ')
                cur = {'id': ident, 'what': what, 'equivalent': None, 'file': None,
                       'old': [], 'new': []}
                mutants.append(cur)
                part = None
            elif cur is None or (part is None and (line.startswith('#') or not line)):
                continue
            elif part is None and line.startswith('equivalent: '):
                cur['equivalent'] = line[len('equivalent: '):]
            elif part is None and line.startswith('--- '):
                cur['file'] = line[4:].strip()
                part = 'old'
            elif part == 'old' and line == '+++':
                part = 'new'
            elif part in ('old', 'new'):
                cur[part].append(line)
    for m in mutants:
        # A blank line ends a block: drop trailing blank lines of the replacement.
        while m['new'] and not m['new'][-1]:
            m['new'].pop()
        m['old'] = '\n'.join(m['old']) + '\n'
        m['new'] = '\n'.join(m['new']) + ('\n' if m['new'] else '')
    return mutants


def check(mutants, root):
    bad = 0
    seen = set()
    for m in mutants:
        if m['id'] in seen:
            print(f"{m['id']}: duplicate id")
            bad += 1
        seen.add(m['id'])
        if not m['file']:
            print(f"{m['id']}: no file")
            bad += 1
            continue
        with open(os.path.join(root, m['file'])) as f:
            n = f.read().count(m['old'])
        if n != 1:
            print(f"{m['id']}: its text occurs {n} times in {m['file']} (must be once)")
            bad += 1
    return bad


def tracked_files(root):
    try:
        out = subprocess.run(['git', '-C', root, 'ls-files', '-co', '--exclude-standard'],
                             check=True, capture_output=True, text=True).stdout
        return [p for p in out.split('\n') if p and os.path.isfile(os.path.join(root, p))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if not x.startswith(('build', '.'))]
            files += [os.path.relpath(os.path.join(d, n), root) for n in names]
        return files


def sh(cmd, cwd=None, timeout=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return -1, 'timeout'


def first_failure(out):
    for line in out.split('\n'):
        if ' FAIL ' in line or ' TIMEOUT ' in line or 'ERROR' in line.split('/')[-1][:40]:
            parts = line.split('/')
            if len(parts) > 1:
                return parts[-1].split()[0]
    return '?'


def main():
    # A terminated run still restores the mutated file (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scratch', default=os.path.join(ROOT, 'build-mutation'))
    ap.add_argument('--only', default='')
    ap.add_argument('--suites', default='unit,sweep')
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--no-baseline', action='store_true',
                    help='skip running the suites on the unmutated copy first')
    a = ap.parse_args()
    mutants = parse(os.path.join(HERE, 'mutants.txt'))
    if a.check and os.environ.get('BROWNOUT_MUTANT'):
        print('mutants-apply: skipped inside a mutation run (the tree is mutated on purpose)')
        return 77
    if a.check:
        bad = check(mutants, ROOT)
        eq = sum(1 for m in mutants if m['equivalent'])
        print(f"{len(mutants)} mutants ({eq} marked equivalent), {bad} that do not apply")
        return 1 if bad or len(mutants) < 40 else 0
    if check(mutants, ROOT):
        return 2
    only = set(x for x in a.only.split(',') if x)
    todo = [m for m in mutants if not only or m['id'] in only]

    src = os.path.join(a.scratch, 'src')
    build = os.path.join(a.scratch, 'build')
    os.makedirs(src, exist_ok=True)
    # Copy what differs with a new mtime (a copy that kept the original's mtime could
    # look older than an object built from a mutant, and ninja would not rebuild it).
    for p in tracked_files(ROOT):
        if p.startswith('build'):
            continue
        dst = os.path.join(src, p)
        with open(os.path.join(ROOT, p), 'rb') as f:
            data = f.read()
        if os.path.exists(dst):
            with open(dst, 'rb') as f:
                if f.read() == data:
                    continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, 'wb') as f:
            f.write(data)
        shutil.copymode(os.path.join(ROOT, p), dst)
    # Reconfigure every time: the sweep suite's file list is read when meson configures.
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        rc, out = sh(['meson', 'setup', build, src])
    else:
        rc, out = sh(['meson', 'setup', '--reconfigure', build, src])
        if rc:
            print(out)
            return 2
    rc, out = sh(['meson', 'compile', '-C', build])
    if rc:
        print('the unmutated scratch copy does not build:\n' + out[-3000:])
        return 2

    # The suites must pass without a mutant, or every mutant would count as killed.
    if not a.no_baseline:
        for suite in a.suites.split(','):
            rc, out = sh(['meson', 'test', '-C', build, '--no-rebuild', '--suite', suite,
                          '--maxfail', '1'])
            if rc:
                print(f"the unmutated copy fails suite {suite} ({first_failure(out)}): "
                      "fix that first")
                return 2
        print('baseline: the unmutated copy passes ' + a.suites, flush=True)

    killed, survived, stillborn, equivalent = [], [], [], []
    for m in todo:
        if m['equivalent']:
            equivalent.append(m)
            print(f"{m['id']} equivalent  {m['what']}", flush=True)
            continue
        path = os.path.join(src, m['file'])
        with open(path) as f:
            orig = f.read()
        t0 = time.time()
        try:
            with open(path, 'w') as f:
                f.write(orig.replace(m['old'], m['new'], 1))
            rc, out = sh(['meson', 'compile', '-C', build])
            if rc:
                stillborn.append(m)
                print(f"{m['id']} does not build  {m['what']}", flush=True)
                continue
            by = None
            # mutants-apply skips itself in a mutated tree (it would kill every mutant).
            os.environ['BROWNOUT_MUTANT'] = m['id']
            for suite in a.suites.split(','):
                rc, out = sh(['meson', 'test', '-C', build, '--no-rebuild', '--suite', suite,
                              '--maxfail', '1', '--timeout-multiplier', '0.5'])
                if rc:
                    by = f"{suite}/{first_failure(out)}"
                    break
            del os.environ['BROWNOUT_MUTANT']
            dt = time.time() - t0
            if by:
                killed.append(m)
                print(f"{m['id']} killed by {by} ({dt:.0f} s)  {m['what']}", flush=True)
            else:
                survived.append(m)
                print(f"{m['id']} SURVIVED ({dt:.0f} s)  {m['what']}", flush=True)
        finally:
            with open(path, 'w') as f:
                f.write(orig)
    sh(['meson', 'compile', '-C', build])
    scored = len(killed) + len(survived)
    print()
    print(f"mutants: {len(todo)}: {len(killed)} killed, {len(survived)} survived, "
          f"{len(equivalent)} equivalent (not scored), {len(stillborn)} do not build")
    if scored:
        print(f"score: {len(killed)}/{scored} = {100.0 * len(killed) / scored:.1f}% of the "
              f"non-equivalent mutants killed by suites {a.suites}")
    for m in survived:
        print(f"survivor {m['id']}: {m['what']}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
