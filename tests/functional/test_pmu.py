"""The PMU a guest sees on real KVM matches qkvm's model.

The pmu guest prints CPUID.01H pdcm/ds/dtes64, leaf 0AH, IA32_MISC_ENABLE
and (when CPUID says they exist) IA32_PERF_CAPABILITIES and IA32_DS_AREA;
qkvm states its model with -d cpu_reset ("PMU: ..." and the MSR reset
values).  The two must agree for every -cpu combination here.  What the
host offers is measured, not assumed: kvm.enable_pmu decides whether
pmu=on must give the "no vPMU" warning.  (The modeled Ice Lake / Sapphire
Rapids hosts with PEBS are covered by tests/unit/test-pmu.c.)

Not compared with QEMU 7.2: it writes IA32_MISC_ENABLE without the
BTS/PEBS-unavailable bits, which is what this work changes."""

import os
import re
import subprocess
import time
import unittest

from qkvm_test import QkvmTest, BASE_ARGS
from test_qmp import QMPClient


def host_enable_pmu():
    """True/False from /sys/module/kvm/parameters/enable_pmu, None if the
    parameter does not exist."""
    try:
        with open('/sys/module/kvm/parameters/enable_pmu') as f:
            return f.read().strip() in ('Y', 'y', '1')
    except OSError:
        return None


class PmuTest(QkvmTest):

    def run_pmu_guest(self, cpu, extra=()):
        self.require_kvm()
        log = os.path.join(self.workdir, 'cpu_reset.log')
        if os.path.exists(log):
            os.unlink(log)
        args = ['-accel', 'kvm', '-cpu', cpu] + BASE_ARGS + \
            ['-kernel', self.guest('pmu'), '-d', 'cpu_reset', '-D', log] + \
            list(extra)
        res = self.run_qkvm(args)
        with open(log) as f:
            model = f.read()
        return res, model

    def guest_values(self, res):
        seen = {}
        for line in res.serial_lines():
            for key, val in re.findall(r'(\w+)=([0-9a-f]+)', line):
                seen[key] = val
        return seen

    def check_matches_model(self, cpu):
        res, model = self.run_pmu_guest(cpu)
        desc = res.describe() + '\n--- model ---\n' + model
        m = re.search(r'^PMU: pmu=(\d) pebs=(\d) pdcm=(\d) ds=(\d) gp=(\d+) '
                      r'fixed=(\d+) perf_caps=([0-9a-f]+) '
                      r'misc_enable=([0-9a-f]+)$', model, re.M)
        self.assertIsNotNone(m, desc)
        pmu, pebs, pdcm, ds = (int(m.group(i)) for i in range(1, 5))
        gp, perf_caps, misc = int(m.group(5)), int(m.group(7), 16), \
            int(m.group(8), 16)
        msr = re.search(r'^MSR IA32_MISC_ENABLE\(1a0\)=([0-9a-f]+)$', model,
                        re.M)
        self.assertIsNotNone(msr, desc)
        self.assertEqual(int(msr.group(1), 16), misc, desc)

        g = self.guest_values(res)
        self.assertEqual(int(g['pdcm']), pdcm, desc)
        self.assertEqual(int(g['ds']), ds, desc)
        self.assertEqual(int(g['dtes64']), ds, desc)
        self.assertEqual(int(g['misc_enable'], 16), misc, desc)
        # SDM table 2-2: EMON (bit 7) with a PMU, PEBS_UNAVAIL (12) without
        # PEBS, BTS_UNAVAIL (11) always
        self.assertEqual(bool(misc & 0x80), bool(pmu), desc)
        self.assertEqual(bool(misc & 0x1000), not pebs, desc)
        self.assertTrue(misc & 0x800, desc)
        leaf0a = int(g['eax'], 16)
        self.assertEqual((leaf0a >> 8) & 0xff, gp, desc)
        if not pmu:
            self.assertEqual(leaf0a, 0, desc)
        if pdcm:
            self.assertEqual(int(g['perf_capabilities'], 16), perf_caps, desc)
        else:
            self.assertNotIn('perf_capabilities', g, desc)
        return pmu

    def test_named_model(self):
        self.assertFalse(self.check_matches_model('qemu64'))

    def test_host(self):
        pmu = self.check_matches_model('host')
        if host_enable_pmu() is not None:
            self.assertEqual(bool(pmu), host_enable_pmu())

    def test_pmu_off(self):
        self.assertFalse(self.check_matches_model('host,pmu=off,pebs=off'))

    def test_pmu_on(self):
        enabled = host_enable_pmu()
        if enabled is None:
            self.skipTest('kvm.enable_pmu not readable: cannot tell whether '
                          'this host has a vPMU')
        res, _ = self.run_pmu_guest('qemu64,pmu=on')
        warning = ('warning: host KVM has no vPMU (kvm.enable_pmu=N): '
                   'pmu disabled')
        self.assertEqual(warning in res.stderr, not enabled, res.describe())
        self.check_matches_model('qemu64,pmu=on')

    def test_pmu_on_enforce(self):
        if host_enable_pmu() is not False:
            self.skipTest('measured kvm.enable_pmu=%s: the host has a vPMU, '
                          'nothing to refuse' % host_enable_pmu())
        res, _ = self.run_pmu_guest('host,pmu=on,enforce')
        self.assertEqual(res.status, 1, res.describe())
        self.assertIn('host KVM has no vPMU (kvm.enable_pmu=N): pmu disabled',
                      res.stderr)
        self.assertIn("Host doesn't support requested features", res.stderr)
        self.assertEqual(res.serial, '', res.describe())

    def test_pebs_on_without_host_pebs(self):
        res, model = self.run_pmu_guest('host,pebs=on')
        if 'pebs=1' in model:
            self.skipTest('this host has guest PEBS')
        self.assertRegex(res.stderr, r'warning: .*: pebs disabled')
        self.check_matches_model('host,pebs=on')


    def test_model_expansion_matches(self):
        """query-cpu-model-expansion (full) reports the PMU the guest gets."""
        self.require_kvm()
        sock = os.path.join(self.workdir, 'qmp.sock')
        proc = subprocess.Popen(
            [self.binary, '-machine', 'none', '-display', 'none',
             '-nodefaults', '-qmp', 'unix:%s,server=on,wait=off' % sock],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        self.addCleanup(proc.communicate)
        self.addCleanup(proc.kill)
        end = time.monotonic() + 20
        while not os.path.exists(sock):
            self.assertIsNone(proc.poll(), 'exited early')
            self.assertLess(time.monotonic(), end)
            time.sleep(0.02)
        qmp = QMPClient.connect_unix(sock).negotiate()
        self.addCleanup(qmp.close)
        for name, props in (('qemu64', {}), ('host', {}),
                            ('qemu64', {'pmu': True}),
                            ('host', {'pebs': False})):
            spec = ','.join([name] + ['%s=%s' % (k, 'on' if v else 'off')
                                      for k, v in props.items()])
            got = qmp.cmd('query-cpu-model-expansion', type='full',
                          model={'name': name, 'props': props})['model']
            _, model = self.run_pmu_guest(spec)
            m = re.search(r'^PMU: pmu=(\d) pebs=(\d) pdcm=(\d) ds=(\d)',
                          model, re.M)
            self.assertIsNotNone(m, model)
            self.assertEqual(got['name'], name)
            p = got['props']
            self.assertEqual((p['pmu'], p['pebs'], p['pdcm'], p['ds']),
                             tuple(bool(int(m.group(i))) for i in range(1, 5)),
                             spec)
        rsp = qmp.execute('query-cpu-model-expansion',
                          {'type': 'static', 'model': {'name': 'host'}})
        self.assertEqual(rsp['error']['class'], 'GenericError')


if __name__ == '__main__':
    unittest.main()
