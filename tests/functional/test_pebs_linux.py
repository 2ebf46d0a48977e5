"""perf record -e cycles:pp in a Linux guest with PEBS (docs/system/pebs.rst).

Runs only where the host's KVM offers guest PEBS; this is measured, not
assumed: qkvm is asked for -cpu host,pebs=on and states what it got
(-d cpu_reset "PMU: ... pebs=N"), with its warning naming the missing
piece.  On such a host it also needs a Linux guest: QKVM_PEBS_KERNEL (a
bzImage) and QKVM_PEBS_INITRD (an initrd whose init runs
"perf record -e cycles:pp -- <workload>; perf report --stdio" on ttyS0,
then powers off).  Without either it skips, printing why; run as a
script, an all-skipped run exits 77 (meson's "skipped")."""

import os
import re
import sys
import unittest

from qkvm_test import QkvmTest, BASE_ARGS


def host_facts():
    facts = []
    try:
        with open('/sys/module/kvm/parameters/enable_pmu') as f:
            facts.append('kvm.enable_pmu=' + f.read().strip())
    except OSError:
        facts.append('kvm.enable_pmu unreadable')
    try:
        with open('/proc/cpuinfo') as f:
            m = re.search(r'^vendor_id\s*:\s*(\S+)', f.read(), re.M)
            facts.append('CPU vendor ' + (m.group(1) if m else '?'))
    except OSError:
        pass
    return ', '.join(facts)


class PebsLinuxTest(QkvmTest):

    def host_pebs(self):
        """(True, '') if -cpu host,pebs=on gets PEBS here, else (False, why)."""
        self.require_kvm()
        log = os.path.join(self.workdir, 'reset.log')
        res = self.run_qkvm(['-accel', 'kvm', '-cpu', 'host,pebs=on'] +
                            BASE_ARGS + ['-kernel', self.guest('pmu'),
                                         '-d', 'cpu_reset', '-D', log])
        with open(log) as f:
            model = f.read()
        if re.search(r'^PMU: .*pebs=1', model, re.M):
            return True, ''
        warn = [l for l in res.stderr.splitlines() if 'pebs' in l]
        return False, '%s (%s)' % ('; '.join(warn) or 'pebs=0', host_facts())

    def test_perf_record_cycles_pp(self):
        ok, why = self.host_pebs()
        if not ok:
            self.skipTest('no guest PEBS on this host: ' + why)
        kernel = os.environ.get('QKVM_PEBS_KERNEL')
        initrd = os.environ.get('QKVM_PEBS_INITRD')
        if not kernel or not initrd:
            self.skipTest('the host has guest PEBS, but QKVM_PEBS_KERNEL / '
                          'QKVM_PEBS_INITRD (a Linux guest running perf) are '
                          'not set')
        res = self.run_qkvm(['-accel', 'kvm', '-cpu', 'host,pebs=on,enforce',
                             '-m', '1G', '-display', 'none', '-nodefaults',
                             '-kernel', kernel, '-initrd', initrd,
                             '-append', 'console=ttyS0 panic=-1',
                             '-no-reboot'], timeout=600)
        out = res.serial
        self.assertRegex(out, r'(?i)PEBS fmt\d', res.describe())
        self.assertIn('cycles:pp', out, res.describe())
        self.assertRegex(out, r'(?m)^# Samples: [1-9]', res.describe())
        self.assertNotIn('not supported', out, res.describe())


if __name__ == '__main__':
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if r.testsRun and len(r.skipped) == r.testsRun and r.wasSuccessful():
        for _, reason in r.skipped:
            print('skip: ' + reason)
        sys.exit(77)
    sys.exit(0 if r.wasSuccessful() else 1)
