"""Save and restore a running VM (docs/system/migration.rst).

The counter guest prints "count N" forever.  It is saved with QMP migrate
while running, the process quits, and a new process started with
-incoming must print "count N+1" next: RAM, vCPU registers and the
serial port all came back.  Bad streams (corrupt, truncated, another -m)
are refused before the guest runs at all."""

import os
import re
import subprocess
import time
import unittest

from qkvm_test import QkvmTest
from test_qmp import QMPClient


class RunningVMTest(QkvmTest):
    """Helpers: a VM with QMP on a socket and COM1 in a file."""

    def setUp(self):
        super().setUp()
        self.require_kvm()
        self.state = os.path.join(self.workdir, 'vm.state')

    def vm(self, name, extra=(), qmp=True, guest='counter'):
        sock = os.path.join(self.workdir, name + '.sock')
        serial = os.path.join(self.workdir, name + '.log')
        args = [self.binary, '-accel', 'kvm', '-cpu', 'qemu64',
                '-display', 'none', '-nodefaults',
                '-serial', 'file:' + serial,
                '-kernel', self.guest(guest)] + list(extra)
        if qmp:
            args += ['-qmp', 'unix:%s,server=on,wait=off' % sock]
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=self.workdir, start_new_session=True)
        self.addCleanup(self.reap, proc)
        client = None
        if qmp:
            end = time.monotonic() + 20
            while not os.path.exists(sock):
                if proc.poll() is not None:
                    self.fail('exited early: %s' % proc.communicate()[1])
                self.assertLess(time.monotonic(), end, 'no QMP socket')
                time.sleep(0.02)
            client = QMPClient.connect_unix(sock)
            self.addCleanup(client.close)
            client.negotiate()
        return proc, client, serial

    def reap(self, proc):
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

    def text(self, serial):
        try:
            with open(serial) as f:
                return f.read()
        except OSError:
            return ''


class MigrationTest(RunningVMTest):

    def counts(self, serial, text=None):
        text = self.text(serial) if text is None else text
        return [int(n) for n in re.findall(r'(?m)^count (\d+)$', text)]

    def wait_counts(self, serial, n, timeout=30):
        end = time.monotonic() + timeout
        while len(self.counts(serial)) < n:
            self.assertLess(time.monotonic(), end,
                            'fewer than %d counts in %s' % (n, serial))
            time.sleep(0.05)
        return self.counts(serial)

    def save_running(self, uri):
        """Run the source until it has counted a bit, migrate to uri while
        running, quit; what it printed (maybe ending in a partial line:
        the restored guest finishes it)."""
        proc, qmp, serial = self.vm('src')
        self.wait_counts(serial, 3)
        self.assertEqual(qmp.cmd('migrate', uri=uri), {})
        self.assertEqual(qmp.cmd('query-migrate'), {'status': 'completed'})
        self.assertEqual(qmp.cmd('query-status')['status'], 'postmigrate')
        statuses = [e['data']['status'] for e in qmp.events
                    if e['event'] == 'MIGRATION']
        self.assertEqual(statuses, ['setup', 'active', 'completed'])
        self.assertIn('STOP', [e['event'] for e in qmp.events])
        before = self.counts(serial)
        time.sleep(0.3)         # stopped: nothing more is printed
        self.assertEqual(self.counts(serial), before)
        text = self.text(serial)
        qmp.cmd('quit')
        proc.wait(timeout=20)
        self.assertEqual(self.text(serial), text)
        return text

    def check_continues(self, serial, before):
        """The restored guest's serial output continues the source's byte
        for byte: together they count 1, 2, 3... with nothing lost or
        repeated, and it counts on."""
        end = time.monotonic() + 30
        while True:
            counts = self.counts(None, before + self.text(serial))
            if len(counts) >= len(self.counts(None, before)) + 3:
                break
            self.assertLess(time.monotonic(), end, 'the restored guest '
                            'does not count on:\n' + self.text(serial))
            time.sleep(0.05)
        self.assertEqual(counts, list(range(1, len(counts) + 1)),
                         'the serial output does not continue:\n%r\n%r'
                         % (before[-40:], self.text(serial)[:40]))

    def test_file(self):
        before = self.save_running('file:' + self.state)
        proc, qmp, serial = self.vm('dst', ['-incoming', 'file:' + self.state])
        self.check_continues(serial, before)
        self.assertEqual(qmp.cmd('query-status')['status'], 'running')
        self.assertEqual(qmp.cmd('query-migrate'), {'status': 'completed'})

    def test_smp_and_reset_after_restore(self):
        """Two vCPUs (the second still waiting for its SIPI) come back as
        they were; a reset of the restored VM starts the guest afresh."""
        proc, qmp, serial = self.vm('src', ['-smp', '2'])
        self.wait_counts(serial, 3)
        self.assertEqual(qmp.cmd('migrate', uri='file:' + self.state), {})
        before = self.text(serial)
        qmp.cmd('cont')         # the source may go on, as with QEMU
        self.wait_counts(serial, len(self.counts(serial)) + 2)
        self.assertEqual(qmp.cmd('query-status')['status'], 'running')
        qmp.cmd('quit')
        proc.wait(timeout=20)
        proc, qmp, serial = self.vm('dst', ['-smp', '2', '-incoming',
                                            'file:' + self.state])
        self.check_continues(serial, before)
        self.assertEqual(len(qmp.cmd('query-cpus-fast')), 2)
        qmp.cmd('system_reset')
        end = time.monotonic() + 30
        while 1 not in self.counts(serial):
            self.assertLess(time.monotonic(), end, 'no fresh boot after reset')
            time.sleep(0.05)

    def test_chain_while_printing(self):
        """Saved in the middle of serial output, four times in a row: the
        guest does nothing but print, and across all the hops no byte may
        be repeated or lost.  (A stop that catches the vCPU between a
        serial exit and its re-entry must complete that OUT first; the
        window is narrow, so this is a stress check more than a proof.)"""
        extra = ['-append', 'delay=0']
        proc, qmp, serial = self.vm('src', extra)
        self.wait_counts(serial, 50)
        text = ''
        for hop in range(4):
            self.assertEqual(qmp.cmd('migrate', uri='file:' + self.state), {})
            text += self.text(serial)
            qmp.cmd('quit')
            proc.wait(timeout=20)
            proc, qmp, serial = self.vm('hop%d' % hop,
                                        extra + ['-incoming',
                                                 'file:' + self.state])
            end = time.monotonic() + 30
            while len(self.counts(serial)) < 50:
                self.assertLess(time.monotonic(), end)
                time.sleep(0.02)
        text += self.text(serial)
        counts = self.counts(None, text)
        self.assertEqual(counts, list(range(1, len(counts) + 1)),
                         'serial output repeated or lost across saves')

    def test_exec_and_defer(self):
        before = self.save_running('exec:cat > %s' % self.state)
        proc, qmp, serial = self.vm('dst', ['-incoming', 'defer'])
        self.assertEqual(qmp.cmd('query-status')['status'], 'inmigrate')
        time.sleep(0.3)
        self.assertEqual(self.counts(serial), [])
        self.assertEqual(qmp.cmd('migrate-incoming',
                                 uri='exec:cat %s' % self.state), {})
        self.check_continues(serial, before)

    def test_paused_source_and_S(self):
        proc, qmp, serial = self.vm('src')
        self.wait_counts(serial, 2)
        qmp.cmd('stop')
        self.assertEqual(qmp.cmd('migrate', uri='file:' + self.state), {})
        before = self.text(serial)
        qmp.cmd('quit')
        proc.wait(timeout=20)
        proc, qmp, serial = self.vm('dst', ['-S', '-incoming',
                                            'file:' + self.state])
        self.assertEqual(qmp.cmd('query-status')['status'], 'paused')
        qmp.cmd('cont')
        self.check_continues(serial, before)

    def test_never_started(self):
        """Saved before it ever ran (-S): the restored guest boots from
        its first instruction."""
        proc, qmp, serial = self.vm('src', ['-S'])
        self.assertEqual(qmp.cmd('migrate', uri='file:' + self.state), {})
        qmp.cmd('quit')
        proc.wait(timeout=20)
        self.assertEqual(self.counts(serial), [])
        proc, qmp, serial = self.vm('dst', ['-incoming', 'file:' + self.state])
        self.check_continues(serial, '')

    def test_failed_migrate_keeps_running(self):
        proc, qmp, serial = self.vm('src')
        self.wait_counts(serial, 2)
        rsp = qmp.execute('migrate', {'uri': 'exec:cat > /dev/null; exit 3'})
        self.assertIn("migration command 'cat > /dev/null; exit 3' failed",
                      rsp['error']['desc'])
        self.assertEqual(qmp.cmd('query-status')['status'], 'running')
        self.assertEqual(qmp.cmd('query-migrate')['status'], 'failed')
        n = len(self.counts(serial))
        self.wait_counts(serial, n + 2)

    def refused(self, extra, message):
        proc, _, serial = self.vm('bad', extra, qmp=False)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn('load of migration failed: ' + message, err.decode())
        self.assertEqual(self.counts(serial), [], 'the guest ran')

    def test_bad_streams_refused(self):
        self.save_running('file:' + self.state)
        with open(self.state, 'rb') as f:
            good = f.read()

        def variant(name, data):
            path = os.path.join(self.workdir, name)
            with open(path, 'wb') as f:
                f.write(data)
            return ['-incoming', 'file:' + path]

        flipped = bytearray(good)
        flipped[len(good) // 2] ^= 0x55
        self.refused(variant('flipped', bytes(flipped)),
                     'migration stream corrupt: checksum mismatch')
        self.refused(variant('half', good[:len(good) // 2]),
                     'migration stream truncated')
        self.refused(variant('noend', good[:-4]), 'migration stream truncated')
        self.refused(variant('magic', b'X' + good[1:]),
                     'not a qkvm migration stream (bad magic)')
        self.refused(variant('empty', b''),
                     'not a qkvm migration stream (bad magic)')
        self.refused(['-m', '256', '-incoming', 'file:' + self.state],
                     "section 'ram' instance 0: saved RAM is 134217728 bytes, "
                     "this machine has 268435456 (-m must match)")
        self.refused(['-smp', '2', '-incoming', 'file:' + self.state],
                     "migration stream has no section 'cpu' instance 1")

    def test_qmp_errors(self):
        proc, qmp, serial = self.vm('src')
        rsp = qmp.execute('migrate-incoming', {'uri': 'file:/nonexistent'})
        self.assertEqual(rsp['error']['desc'],
                         "'-incoming' was not specified on the command line")
        rsp = qmp.execute('migrate', {'uri': 'tcp:localhost:4444'})
        self.assertIn('unknown migration protocol', rsp['error']['desc'])
        rsp = qmp.execute('migrate', {'uri': 'file:/nonexistent/dir/x'})
        self.assertIn("cannot open '/nonexistent/dir/x'", rsp['error']['desc'])
        self.assertEqual(qmp.cmd('query-migrate')['status'], 'failed')
        self.assertIn('error-desc', qmp.cmd('query-migrate'))


class GuestClockTest(RunningVMTest):
    """The guest's clock (kvmclock) stands still while the machine is
    stopped, as under QEMU: the kvmclock guest prints its clock every ~50
    (2^20 ns) units, so a stop shows up as a jump between two lines unless
    it was frozen."""

    def clock(self, serial, text=None):
        text = self.text(serial) if text is None else text
        return [int(n) for n in re.findall(r'(?m)^kvmclock (\d+) ms$', text)]

    def wait_clock(self, serial, n, before=''):
        end = time.monotonic() + 30
        while len(self.clock(None, before + self.text(serial))) < n:
            self.assertLess(time.monotonic(), end, 'the guest clock stopped:\n'
                            + self.text(serial)[-200:])
            time.sleep(0.05)
        return self.clock(None, before + self.text(serial))

    def stopped(self, qmp, serial, seconds):
        qmp.cmd('stop')
        n = len(self.clock(serial))
        time.sleep(seconds)
        self.assertEqual(len(self.clock(serial)), n, 'printed while stopped')
        return n

    def assertNoJump(self, ticks, at):
        # ~50 units between lines when it runs on; a 2 s stop would be ~1900
        gap = ticks[at] - ticks[at - 1]
        self.assertLess(gap, 600, 'guest time jumped by %d units across '
                        'the stop: %r' % (gap, ticks[max(0, at - 3):at + 3]))

    def test_stop_and_cont(self):
        proc, qmp, serial = self.vm('clk', guest='kvmclock')
        self.wait_clock(serial, 3)
        n = self.stopped(qmp, serial, 2.0)
        qmp.cmd('cont')
        ticks = self.wait_clock(serial, n + 3)
        self.assertNoJump(ticks, n)
        # and the clock does run: 1.5 s of host time is >1000 units
        t0 = time.monotonic()
        ticks = self.wait_clock(serial, len(ticks) + 25)
        host = time.monotonic() - t0
        self.assertGreater(ticks[-1] - ticks[n], 1000 * host / 1.1 - 200)

    def test_saved_while_stopped(self):
        """A save after a stop records the guest time at the stop; the
        time between the processes is not the guest's either."""
        proc, qmp, serial = self.vm('src', guest='kvmclock')
        self.wait_clock(serial, 3)
        self.stopped(qmp, serial, 1.5)
        self.assertEqual(qmp.cmd('migrate', uri='file:' + self.state), {})
        before = self.text(serial)
        qmp.cmd('quit')
        proc.wait(timeout=20)
        time.sleep(1.0)
        n = len(self.clock(None, before))
        proc, qmp, serial = self.vm('dst', ['-incoming', 'file:' + self.state],
                                    guest='kvmclock')
        ticks = self.wait_clock(serial, n + 3, before)
        self.assertNoJump(ticks, n)


if __name__ == '__main__':
    unittest.main()
