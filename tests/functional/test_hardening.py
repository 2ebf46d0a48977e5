"""Hardening: -sandbox (seccomp) on real guests and QMP; resource and
file safety (socket modes, pidfile, oversized -m); a hostile guest
(tests/guests/hostile.c) that the VMM survives, quietly, under QMP control.

The filter itself (what kills, what doesn't, TSYNC) is tested in
tests/unit/test-seccomp.c; here: a guest and a QMP session run normally
with it, every thread of the VMM carries it, and option errors match QEMU.
"""
import os
import signal
import stat
import subprocess
import time
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
                    'query-chardev', 'query-version', 'cont']:
            rsp = qmp.execute(cmd)
            self.assertIn('return', rsp, (cmd, rsp))
        # run for a while: the RTC's once-a-second update (its first
        # gmtime_r() read /etc/localtime and was killed) and other timers
        time.sleep(2.5)
        self.assertIsNone(self.proc.poll(), 'VMM died under the filter')
        self.assertEqual(qmp.execute('query-status')['return']['status'],
                         'running')
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


class FileSafetyTest(QMPTestBase):

    def test_qmp_socket_is_0600(self):
        # whoever can connect controls the VM: owner read/write only
        self.start()
        mode = stat.S_IMODE(os.lstat(self.sock_path).st_mode)
        self.assertEqual(mode, 0o600, oct(mode))

    def test_pidfile_of_running_instance_untouched(self):
        # a second instance is refused with QEMU's message and leaves the
        # first one's pidfile as it was (no truncation before the lock)
        pidfile = os.path.join(self.workdir, 'vm.pid')
        self.start(extra=['-pidfile', pidfile])
        with open(pidfile) as f:
            first = f.read()
        self.assertEqual(first, '%d\n' % self.proc.pid)
        res = subprocess.run([self.binary, '-display', 'none', '-nodefaults',
                              '-pidfile', pidfile, '-kernel',
                              self.guest('serial-irq')],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn('cannot create PID file: Cannot lock pid file: '
                      'Resource temporarily unavailable', res.stderr)
        with open(pidfile) as f:
            self.assertEqual(f.read(), first)
        self.assertEqual(self.qmp.execute('quit'), {'return': {}})
        self.proc.communicate(timeout=20)
        self.assertFalse(os.path.exists(pidfile), 'pidfile left behind')

    def test_qmp_socket_never_replaces_a_file(self):
        # only a stale socket at the path is removed; a regular file there
        # is an error and stays as it was (QEMU 7.2 would unlink it)
        path = self.write_file('notes.txt', 'precious\n')
        res = subprocess.run([self.binary, '-display', 'none', '-nodefaults',
                              '-qmp', 'unix:%s,server=on,wait=off' % path,
                              '-kernel', self.guest('demo')],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn('Failed to bind socket to %s: Address already in use'
                      % path, res.stderr)
        with open(path) as f:
            self.assertEqual(f.read(), 'precious\n')

    def test_ram_larger_than_address_space(self):
        # 200 TiB: more than a 47-bit user address space can map, whatever
        # the host's overcommit policy; QEMU's message, status 1
        res = subprocess.run([self.binary, '-display', 'none', '-nodefaults',
                              '-m', '200T', '-kernel', self.guest('demo')],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("cannot set up guest memory 'pc.ram': Cannot allocate "
                      "memory", res.stderr)

    def vm_rss_mib(self, pid):
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) >> 10
        self.fail('no VmRSS for %d' % pid)

    def test_mem_prealloc_backs_all_ram(self):
        # RAM is MAP_NORESERVE and untouched by a paused guest; with
        # -mem-prealloc all 512 MiB are resident before the guest runs
        self.start(extra=['-m', '512', '-mem-prealloc'])
        self.assertGreaterEqual(self.vm_rss_mib(self.proc.pid), 512)
        self.qmp.execute('quit')
        self.proc.communicate(timeout=20)

    def test_memory_backend_prealloc(self):
        # libvirt's <allocation mode='immediate'/>: the backend property
        self.start(extra=['-object', '{"qom-type":"memory-backend-ram",'
                          '"id":"pc.ram","size":536870912,"prealloc":true}',
                          '-machine', 'pc,memory-backend=pc.ram'])
        self.assertGreaterEqual(self.vm_rss_mib(self.proc.pid), 512)
        self.qmp.execute('quit')
        self.proc.communicate(timeout=20)

    def test_lazy_ram_without_prealloc(self):
        self.start(extra=['-m', '512'])
        self.assertLess(self.vm_rss_mib(self.proc.pid), 256)
        self.qmp.execute('quit')
        self.proc.communicate(timeout=20)

    def test_mem_prealloc_more_than_host_has(self):
        with open('/proc/meminfo') as f:
            avail_kib = next(int(l.split()[1]) for l in f
                             if l.startswith('MemAvailable:'))
        want_g = (avail_kib >> 20) * 2 + 2
        res = subprocess.run([self.binary, '-display', 'none', '-nodefaults',
                              '-m', '%dG' % want_g, '-mem-prealloc',
                              '-kernel', self.guest('demo')],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn('cannot preallocate %d MiB of guest RAM: the host has '
                      % (want_g << 10), res.stderr)


class HostileGuestTest(QMPTestBase):
    # under -sandbox when built with it: the attack also checks that no
    # device path makes a call the filter forbids

    def has_sandbox(self):
        res = subprocess.run([self.binary, '-sandbox', 'on', '-version'],
                             capture_output=True, text=True, timeout=30)
        return 'seccomp support is disabled' not in res.stderr

    def wait_serial(self, path, text, timeout=180):
        end = time.monotonic() + timeout
        data = ''
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                self.fail('VMM exited (%s) during the attack:\n%s\nserial:\n%s'
                          % (self.proc.returncode, err.decode(), data))
            try:
                with open(path, errors='replace') as f:
                    data = f.read()
            except OSError:
                pass
            if text in data:
                return data
            time.sleep(0.2)
        self.fail('no %r on the serial port after %ss:\n%s' % (text, timeout, data))

    def test_vmm_survives_and_obeys_qmp(self):
        serial = os.path.join(self.workdir, 'serial.log')
        log = os.path.join(self.workdir, 'debug.log')
        qmp = self.start(guest='hostile',
                         extra=['-m', '128', '-no-reboot',
                                '-serial', 'file:' + serial,
                                '-d', 'guest_errors,unimp', '-D', log]
                         + (['-sandbox', LIBVIRT_SANDBOX] if self.has_sandbox()
                            else []))
        started = time.monotonic()
        self.assertIn('return', qmp.execute('cont'))
        out = self.wait_serial(serial, 'hostile: done')
        # every phase ran; fw_cfg DMA refused exactly the four requests
        # that reach outside RAM or write a read-only item
        for line in ['hostile: ports ', 'hostile: mmio ',
                     'hostile: fw_cfg dma errors 4\n',
                     'hostile: interrupts taken', 'hostile: lapic']:
            self.assertIn(line, out)
        self.assertEqual(qmp.execute('query-status')['return']['status'],
                         'running')
        self.assertIn('return', qmp.execute('stop'))
        self.assertEqual(qmp.execute('query-status')['return']['status'],
                         'paused')
        self.assertEqual(qmp.execute('quit'), {'return': {}})
        _, err = self.proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
        self.assertEqual(self.proc.returncode, 0, err)
        # quiet: nothing on stderr but start-up warnings
        lines = [l for l in err.decode().splitlines() if ': warning: ' not in l]
        self.assertLessEqual(len(lines), 5, lines)
        # the -d log of hundreds of thousands of bad accesses is held to
        # 100 lines a second plus one "suppressed" line per second
        with open(log, errors='replace') as f:
            logged = f.read().splitlines()
        self.assertTrue(any('guest-triggered log messages suppressed' in l
                            for l in logged), logged[-5:])
        self.assertLessEqual(len(logged), 101 * (int(elapsed) + 2))


if __name__ == '__main__':
    unittest.main()
