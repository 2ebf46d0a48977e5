#!/usr/bin/env python3
"""Run the meson test suites and end with one summary line.

    scripts/run-tests.py BUILDDIR [--suite NAME] [meson test options...]

Prints meson's per-test results, the reason of every skipped test case
(from the unittest/TAP output in the log), and as the last line
"N passed, N failed, N skipped" counting test cases inside each suite.
Exits non-zero if anything failed.
"""
import json
import os
import re
import subprocess
import sys


def count_cases(test):
    """Count (passed, failed, skipped) test cases from one test's output."""
    # unittest reports on stderr, TAP on stdout
    out = (test.get("stdout") or "") + "\n" + (test.get("stderr") or "")
    p = f = s = 0
    reasons = []
    if test.get("protocol") == "tap" or re.search(r"^1\.\.\d+", out, re.M):
        for line in out.splitlines():
            m = re.match(r"(not ok|ok)\b.*?(# SKIP(.*))?$", line)
            if not m:
                continue
            if m.group(2):
                s += 1
                reasons.append(line.strip())
            elif m.group(1) == "ok":
                p += 1
            else:
                f += 1
        return p, f, s, reasons
    # Python unittest -v: "test_x (mod.Class) ... ok|FAIL|ERROR|skipped 'why'"
    found = False
    for line in out.splitlines():
        m = re.search(r"^(\S+ \([^)]*\)).*\.\.\. (ok|FAIL|ERROR|skipped (.*)|expected failure)$", line)
        if not m:
            continue
        found = True
        if m.group(2) == "ok" or m.group(2) == "expected failure":
            p += 1
        elif m.group(2).startswith("skipped"):
            s += 1
            reasons.append(f"{m.group(1)}: skipped {m.group(3)}")
        else:
            f += 1
    if found:
        return p, f, s, reasons
    result = test.get("result")
    if result == "OK":
        return 1, 0, 0, []
    if result == "SKIP":
        return 0, 0, 1, [f"{test.get('name')}: skipped"]
    return 0, 1, 0, []


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = sys.argv[1]
    extra = sys.argv[2:]
    cmd = ["meson", "test", "-C", build, "--print-errorlogs", "--num-processes", "2"] + extra
    print("+ " + " ".join(cmd), flush=True)
    rc = subprocess.call(cmd)
    log = os.path.join(build, "meson-logs", "testlog.json")
    passed = failed = skipped = 0
    reasons = []
    try:
        with open(log) as fh:
            for n, line in enumerate(fh, 1):
                try:
                    t = json.loads(line)
                except ValueError:
                    # another "meson test" writing the same build dir
                    print(f"run-tests: unreadable line {n} of {log}", file=sys.stderr)
                    failed += 1
                    continue
                p, f, s, r = count_cases(t)
                if t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and f == 0:
                    f = 1   # the executable itself failed (crash, timeout)
                passed += p
                failed += f
                skipped += s
                reasons += [f"[{t.get('name')}] {x}" for x in r]
    except OSError as e:
        print(f"run-tests: cannot read {log}: {e}", file=sys.stderr)
        return 1
    if reasons:
        print("\nSkipped, with reasons:")
        for r in reasons:
            print("  " + r)
    if rc != 0 and failed == 0:
        failed = 1
    print(f"\n{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
