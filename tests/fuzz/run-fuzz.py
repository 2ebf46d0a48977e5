#!/usr/bin/env python3
"""Run the libFuzzer targets of a --enable-fuzzing build, each for a time.

    tests/fuzz/run-fuzz.py BUILDDIR SECONDS [TARGET...]

SECONDS 0: no fuzzing, only the coverage of the corpora kept so far.

Each fuzz-NAME starts from the in-tree corpus tests/fuzz/corpus/NAME and
keeps what it learns in BUILDDIR/fuzz-corpus/NAME; a crash, leak, timeout
(10 s per input) or sanitizer report is saved in BUILDDIR/fuzz-artifacts/
NAME and makes the run fail.  Prints one line per target: executions,
executions/s, libFuzzer's "cov" (instrumented edges reached anywhere) and
"ft" (features), the edge coverage of the code the target is about
(SUBJECTS below; from a -print_coverage=1 replay of the corpus), and the
result.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The source files each target exists to test (path fragments).
SUBJECTS = {
    'opts': ['util/qemu-option.c', 'util/qemu-option-json.c'],
    'qmp': ['monitor/'],
    'qtest': ['hw/char/', 'hw/rtc/', 'hw/nvram/', 'hw/acpi/', 'hw/pci-host/',
              'hw/input/', 'hw/misc/', 'accel/qtest/qtest.c', 'system/iobus.c'],
    'migration': ['migration/', 'hw/rtc/', 'hw/pci-host/', 'hw/acpi/pm.c',
                  'hw/char/serial', 'hw/i386/pc.c'],
    'riscv-virt': ['hw/intc/riscv_plic.c', 'hw/char/', 'hw/misc/sifive_test.c',
                   'hw/riscv/'],
    'virtio': ['hw/virtio/', 'hw/pci/', 'block/block.c'],
    'x86-boot': ['hw/i386/x86-boot.c'],
    'ovmf': ['target/i386/sev/ovmf.c'],
    'sev': ['target/i386/sev/sev.c', 'target/i386/sev/sev-sim.c',
            'qom/object.c'],
    'elf-user': ['user/elfload.c'],
    'user-syscall': ['user/syscall', 'user/mmap.c', 'user/guest-mem.c'],
}


def subject_coverage(binary, name, corpus):
    """Covered/total edges of the target's subject files over corpus."""
    out = subprocess.run([binary, '-runs=0', '-print_coverage=1', corpus],
                         capture_output=True, text=True, errors='replace').stderr
    cov = tot = 0
    for m in re.finditer(r'(?:UN)?COVERED_FUNC: hits: \d+ edges: (\d+)/(\d+) \S+ (\S+)', out):
        if any(frag in m.group(3) for frag in SUBJECTS.get(name, [])):
            cov += int(m.group(1))
            tot += int(m.group(2))
    return '%d/%d (%d%%)' % (cov, tot, 100 * cov // tot) if tot else '?'


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    build, seconds = sys.argv[1], int(sys.argv[2])
    fuzzdir = os.path.join(build, 'tests', 'fuzz')
    names = sys.argv[3:] or sorted(
        n[len('fuzz-'):] for n in os.listdir(fuzzdir)
        if n.startswith('fuzz-') and not n.endswith('.p'))
    if not names:
        print('run-fuzz: no fuzz-* targets in %s (./configure --enable-fuzzing)'
              % fuzzdir, file=sys.stderr)
        return 1
    failed = 0
    print('%-10s %12s %9s %7s %7s %18s  %s' % ('target', 'executions', 'exec/s',
                                               'cov', 'ft', 'subject edges',
                                               'result'))
    for name in names:
        work = os.path.join(build, 'fuzz-corpus', name)
        arts = os.path.join(build, 'fuzz-artifacts', name)
        os.makedirs(work, exist_ok=True)
        os.makedirs(arts, exist_ok=True)
        cmd = [os.path.join(fuzzdir, 'fuzz-' + name),
               '-max_total_time=%d' % seconds, '-timeout=10',
               '-rss_limit_mb=3072', '-print_final_stats=1',
               '-artifact_prefix=' + arts + '/',
               work, os.path.join(HERE, 'corpus', name)]
        log = os.path.join(build, 'fuzz-artifacts', name + '.log')
        if seconds == 0:
            cmd[1] = '-runs=0'      # replay the corpora once
        with open(log, 'w') as f:
            rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT)
        text = open(log, errors='replace').read()
        execs = re.findall(r'stat::number_of_executed_units:\s*(\d+)', text)
        rate = re.findall(r'stat::average_exec_per_sec:\s*(\d+)', text)
        cov = re.findall(r'cov: (\d+) ft: (\d+)', text)
        result = 'ok' if rc == 0 else 'FAILED (rc %d, see %s)' % (rc, log)
        failed += rc != 0
        print('%-10s %12s %9s %7s %7s %18s  %s' % (
            name, execs[-1] if execs else '?', rate[-1] if rate else '?',
            cov[-1][0] if cov else '?', cov[-1][1] if cov else '?',
            subject_coverage(cmd[0], name, work), result), flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
