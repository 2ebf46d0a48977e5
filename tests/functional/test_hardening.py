"""Hardening: -sandbox (seccomp) on real guests and QMP.

The filter itself (what kills, what doesn't, TSYNC) is tested in
tests/unit/test-seccomp.c; here: a guest and a QMP session run normally
with it, every thread of the VMM carries it, and option errors match QEMU.
"""
import os
import signal
import subprocess
import unittest

from qkvm_test import QkvmTest, debug_exit_status
from test_qmp import QMPTestBase

LIBVIRT_SANDBOX = ('on,obsolete=deny,elevateprivileges=deny,spawn=deny,'
                   'resourcecontrol=deny')


def seccomp_modes(pid):
    """{tid: Seccomp mode} for every thread of pid (2 = filter)."""
    modes = {}
    for tid in os.listdir('/proc/%d/task' % pid):
        with open('/proc/%d/task/%s/status' % (pid, tid)) as f:
            for line in f:
                if line.startswith('Seccomp:'):
                    modes[int(tid)] = int(line.split()[1])
    return modes


class SandboxGuestTest(QkvmTest):

    def setUp(self):
        super().setUp()
        res = subprocess.run([self.binary, '-sandbox', 'on', '-version'],
                             capture_output=True, text=True, timeout=30)
        if 'seccomp support is disabled' in res.stderr:
            self.skipTest('built without libseccomp')

    def test_guest_runs_under_sandbox(self):
        # the multiboot guest checks its boot information and exits through
        # isa-debug-exit: same serial output and status as without the filter
        self.require_kvm()
        base = self.guest_args(self.guest('multiboot'))
        plain = self.run_qkvm(base)
        boxed = self.run_qkvm(base + ['-sandbox', LIBVIRT_SANDBOX])
        self.assertEqual(plain.status, debug_exit_status(0), plain.describe())
        self.assertEqual(boxed.status, plain.status, boxed.describe())
        self.assertEqual(boxed.serial_lines(), plain.serial_lines())

    def test_invalid_arguments(self):
        for arg, msg in [('on,spawn=maybe', 'invalid argument for spawn'),
                         ('on,obsolete=x', 'invalid argument for obsolete'),
                         ('on,foo=1', "Invalid parameter 'foo'"),
                         ('maybe', "Parameter 'enable' expects 'on' or 'off'")]:
            res = subprocess.run([self.binary, '-sandbox', arg, '-display',
                                  'none'], capture_output=True, text=True,
                                 timeout=30)
            self.assertEqual(res.returncode, 1, res.stderr)
            self.assertIn('-sandbox %s: %s' % (arg, msg), res.stderr)


class SandboxQMPTest(QMPTestBase):

    def setUp(self):
        super().setUp()
        res = subprocess.run([self.binary, '-sandbox', 'on', '-version'],
                             capture_output=True, text=True, timeout=30)
        if 'seccomp support is disabled' in res.stderr:
            self.skipTest('built without libseccomp')

    def test_filter_on_every_thread_and_qmp_quit(self):
        qmp = self.start(extra=['-smp', '2', '-sandbox', LIBVIRT_SANDBOX])
        self.assertIn('return', qmp.execute('query-status'))
        modes = seccomp_modes(self.proc.pid)
        # main thread + 2 vCPU threads at least, every one filtered
        self.assertGreaterEqual(len(modes), 3, modes)
        self.assertEqual(set(modes.values()), {2}, modes)
        for cmd in ['cont', 'query-cpus-fast', 'stop', 'system_reset',
                    'query-chardev', 'query-version']:
            rsp = qmp.execute(cmd)
            self.assertIn('return', rsp, (cmd, rsp))
        self.assertEqual(qmp.execute('quit'), {'return': {}})
        out, err = self.proc.communicate(timeout=20)
        self.assertEqual(self.proc.returncode, 0, err)
        self.assertFalse(os.path.exists(self.sock_path), 'socket left behind')

    def test_sigterm_under_sandbox(self):
        self.start(extra=['-sandbox', LIBVIRT_SANDBOX])
        self.qmp.execute('cont')
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=20)
        self.assertEqual(self.proc.returncode, 0, err)
        self.assertIn(b'terminating on signal 15', err)


if __name__ == '__main__':
    unittest.main()
