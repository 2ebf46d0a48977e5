"""The VMM process as a user drives it: start-up, pausing, signals,
daemonizing, fatal guest errors, the demo guest, -help against the docs.
These are qkvm's own behaviour; where QEMU 7.2 on this host cannot run
the guest at all (long-mode int3), that is said in the test."""

import os
import re
import signal
import subprocess
import time
import unittest

from qkvm_test import QkvmTest, debug_exit_status, filter_stderr

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class GuestErrorTest(QkvmTest):

    def test_int3_in_long_mode(self):
        # On hosts whose KVM emulates guest code (this CI host's kvm_pvm),
        # long-mode int3 is an emulation failure that stops QEMU 7.2;
        # qkvm completes it.  On other hosts the CPU runs it natively.
        # Either way the guest's #BP handler must run exactly once.
        self.require_kvm()
        res = self.run_qkvm(self.guest_args(self.guest('int3')))
        self.assertEqual(res.serial_lines(), [
            'int3: long mode, before int3',
            'int3: in the #BP handler',
            'int3: after int3',
        ], res.describe())
        self.assertStatus(res, debug_exit_status(0))

    def test_fatal_guest_error(self):
        # Executing from the PCI hole: KVM reports an internal error; qkvm
        # prints the registers and one line naming it, and exits 1.
        self.require_kvm()
        res = self.run_qkvm(self.guest_args(self.guest('crash')))
        self.assertStatus(res, 1)
        self.assertRegex(res.stderr, r'(?m)^RIP=00000000febff000 ')
        lines = filter_stderr(res.stderr).splitlines()
        self.assertRegex(lines[-1], r'^qkvm-system-x86_64: vCPU 0: KVM internal '
                         r'error\. Suberror: 1 \(emulation failure\)$',
                         res.describe())


class DemoTest(QkvmTest):

    def test_demo_powers_off(self):
        # README command 1: the demo guest prints and powers off via ACPI
        self.require_kvm()
        res = self.run_qkvm(['-nographic', '-no-reboot', '-kernel',
                             self.guest('demo'), '-append', 'from the test'],
                            serial=None)
        self.assertStatus(res, 0)
        self.assertIn('qkvm demo guest: hello', res.stdout, res.describe())
        self.assertIn('from the test', res.stdout, res.describe())
        self.assertIn('powering off', res.stdout, res.describe())
        self.assertNotIn('did not happen', res.stdout, res.describe())

    def test_cpu_host(self):
        # QEMU 7.2 fails here with -cpu host (MSR 0x10a); qkvm sets only
        # the MSRs of its table that the host lists.
        self.require_kvm()
        res = self.run_qkvm(['-cpu', 'host', '-nographic', '-no-reboot',
                             '-kernel', self.guest('demo')], serial=None)
        self.assertStatus(res, 0)
        self.assertIn('powering off', res.stdout, res.describe())


class ProcessTest(QkvmTest):

    def spawn(self, args):
        proc = subprocess.Popen([self.binary] + args, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=self.workdir)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc

    def test_paused_start_then_sigterm(self):
        # -S: vCPUs never run, so the guest prints nothing; SIGTERM ends
        # the process with status 0 and QEMU's message.
        self.require_kvm()
        proc = self.spawn(['-S', '-display', 'none', '-serial', 'stdio',
                           '-kernel', self.guest('demo')])
        time.sleep(1.0)
        self.assertIsNone(proc.poll(), 'qkvm exited while paused')
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out, b'', 'a paused guest printed something')
        self.assertRegex(err.decode(), r'terminating on signal 15 from pid %d '
                         % os.getpid())

    def test_sigint_while_guest_waits(self):
        # the serial-irq guest halts waiting for input: a signal still ends it
        self.require_kvm()
        proc = self.spawn(['-display', 'none', '-serial', 'file:' +
                           os.path.join(self.workdir, 's.log'),
                           '-kernel', self.guest('serial-irq')])
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b'terminating on signal 2', err)

    def test_daemonize_and_pidfile(self):
        self.require_kvm()
        pidfile = os.path.join(self.workdir, 'qkvm.pid')
        args = ['-daemonize', '-pidfile', pidfile, '-display', 'none',
                '-nodefaults', '-kernel', self.guest('serial-irq')]
        res = subprocess.run([self.binary] + args, capture_output=True,
                             timeout=30, cwd=self.workdir)
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(pidfile) as f:
            pid = int(f.read().strip())
        try:
            os.kill(pid, 0)      # the daemon is alive
            # a second instance with the same pidfile is refused
            second = subprocess.run([self.binary] + args, capture_output=True,
                                    timeout=30, cwd=self.workdir)
            self.assertEqual(second.returncode, 1)
            # QEMU's wording
            self.assertIn(b'cannot create PID file: Cannot lock pid file: '
                          b'Resource temporarily unavailable', second.stderr)
        finally:
            os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists(pidfile):
                break
            time.sleep(0.1)
        self.assertFalse(os.path.exists(pidfile), 'pidfile left behind')

    def test_daemonize_reports_startup_error(self):
        # the parent waits for the child: a bad kernel is reported, status 1
        res = subprocess.run([self.binary, '-daemonize', '-display', 'none',
                              '-kernel', os.path.join(self.workdir, 'nope')],
                             capture_output=True, timeout=30, cwd=self.workdir)
        self.assertEqual(res.returncode, 1)
        self.assertIn(b"could not open kernel file", res.stderr)


class DeviceIdTest(QkvmTest):

    def test_duplicate_device_id(self):
        self.require_kvm()
        res = self.run_qkvm(['-display', 'none', '-nodefaults',
                             '-chardev', 'null,id=c0',
                             '-device', 'isa-serial,chardev=c0,id=d0',
                             '-device', 'isa-debugcon,id=d0',
                             '-kernel', self.guest('demo')], serial=None)
        self.assertStatus(res, 1)
        self.assertIn("-device isa-debugcon,id=d0: Duplicate device ID 'd0'",
                      res.stderr, res.describe())


class HelpTest(QkvmTest):

    def test_help_matches_docs(self):
        res = subprocess.run([self.binary, '-help'], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(res.returncode, 0)
        in_help = set(re.findall(r'(?m)^-([A-Za-z][\w-]*)', res.stdout))
        with open(os.path.join(SRCDIR, 'docs', 'system', 'invocation.rst')) as f:
            doc = f.read()
        in_doc = set(re.findall(r'``-([A-Za-z][\w-]*)', doc))
        self.assertTrue(in_help)
        self.assertEqual(in_help - in_doc, set(), 'options missing from the docs')
        self.assertEqual(in_doc - in_help, set(), 'documented options -help lacks')


if __name__ == '__main__':
    unittest.main()
