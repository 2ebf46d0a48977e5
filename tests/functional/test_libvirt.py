"""libvirt 9.0 end to end: a qkvm domain defined, started, shut down,
destroyed and reconnected by Debian 12's libvirtd (docs/system/libvirt.rst).

  QKVM_LIBVIRT_EMULATOR  the emulator in the domain's <emulator> (default:
                         QKVM_BINARY, i.e. qkvm).  /usr/bin/qemu-system-x86_64
                         runs the same test against QEMU 7.2, which is how
                         the test itself is validated.
  QKVM_GUESTS_DIR        the test guests (serial-irq; acpi-idle for the
                         shutdown test, skipped while it is not built;
                         virtio-devs for the disk+network domain)
  QKVM_LIBVIRT_TIMEOUT   seconds for each wait (default 60)
  QKVM_LIBVIRT_PRIVATE   1 (default when unshare works): libvirtd runs in a
                         private mount namespace with its own /etc/libvirt,
                         /var/lib/libvirt, /run/libvirt, /var/log/libvirt
                         and /var/cache/libvirt (libvirt/libvirtd-private.sh),
                         so nothing of the host's libvirt is changed.
                         0: the host's directories, with /etc/libvirt/qemu.conf
                         replaced for the run and restored afterwards.
  QKVM_LIBVIRT_FORCE     1: run even when the emulator has no -qmp option
                         (libvirt's probe then fails; see the skip reason)
  QKVM_LIBVIRT_KEEP      1: keep the state directory (logs, XML) afterwards

Needs root and /dev/kvm.  Installs libvirt-daemon, libvirt-daemon-driver-qemu
and libvirt-clients with apt-get when they are missing (skipped, with the
reason, when that is impossible) and creates the libvirt-qemu user that
libvirtd's QEMU driver resolves before reading qemu.conf.  libvirtd is
started by hand (no systemd) with --pid-file and stopped by its pid; every
wait is bounded, and every failure shows the tail of libvirtd's log, the
domain log (/var/log/libvirt/qemu/NAME.log) and the serial output.
"""

import atexit
import grp
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

from qkvm_test import guests_dir, kvm_problem, qkvm_binary

HERE = os.path.dirname(os.path.abspath(__file__))
LVDIR = os.path.join(HERE, 'libvirt')
HELPER = os.path.join(LVDIR, 'libvirtd-private.sh')

PACKAGES = ['libvirt-daemon', 'libvirt-daemon-driver-qemu', 'libvirt-clients']
# private directory (under the state dir) -> the host path it replaces
MOUNTS = [('etc', '/etc/libvirt'), ('lib', '/var/lib/libvirt'),
          ('run', '/run/libvirt'), ('log', '/var/log/libvirt'),
          ('cache', '/var/cache/libvirt')]
HOST_QEMU_CONF = '/etc/libvirt/qemu.conf'
# the name libvirt looks up on libvirtd's PATH for `virsh capabilities`
EMULATOR_NAME = 'qemu-system-x86_64'
NAME_PREFIX = 'qkvm-functest-'
SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'


def wait_timeout():
    return float(os.environ.get('QKVM_LIBVIRT_TIMEOUT', '60'))


def libvirt_emulator():
    return os.path.abspath(os.environ.get('QKVM_LIBVIRT_EMULATOR') or
                           qkvm_binary())


def note(msg):
    print('test_libvirt: ' + msg, file=sys.stderr, flush=True)


def tail(path, lines=40, width=400, grep=None):
    """The last lines of a text file (each cut to width), or why not."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 4 * 1024 * 1024))
            text = f.read().decode(errors='replace')
    except OSError as e:
        return '(%s: %s)\n' % (path, e.strerror)
    got = text.splitlines()
    if grep:
        got = [l for l in got if re.search(grep, l)]
    got = got[-lines:]
    return ''.join((l if len(l) <= width else l[:width] + ' [...]') + '\n'
                   for l in got) or '(empty)\n'


def read_text(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode(errors='replace')
    except OSError:
        return ''


# -- host setup ------------------------------------------------------------

def missing_packages():
    out = []
    for p in PACKAGES:
        r = subprocess.run(['dpkg-query', '-W', '-f=${Status}', p],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        if 'install ok installed' not in r.stdout:
            out.append(p)
    return out


def install_packages(timeout=600):
    """Install the missing libvirt packages; None, or why it failed."""
    missing = missing_packages()
    if not missing:
        return None
    if not shutil.which('apt-get'):
        return 'libvirt is not installed and there is no apt-get'
    note('installing ' + ' '.join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    deadline = time.monotonic() + timeout
    updated = False
    out = ''
    while time.monotonic() < deadline:
        try:
            r = subprocess.run(
                ['apt-get', 'install', '-y', '--no-install-recommends'] + missing,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, env=env,
                timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return 'apt-get install timed out'
        out = r.stdout
        if r.returncode == 0 and not missing_packages():
            return None
        if re.search(r'Could not get lock|is another process using it|'
                     r'dpkg frontend lock', out):
            time.sleep(5)           # someone else's apt/dpkg: wait for it
            continue
        if updated:
            break
        updated = True
        try:
            subprocess.run(['apt-get', 'update'], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=env, timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return 'apt-get update timed out'
    return 'apt-get could not install %s:\n%s' % (
        ' '.join(missing), '\n'.join(out.splitlines()[-8:]))


def ensure_libvirt_qemu_user():
    """libvirtd's QEMU driver resolves its built-in default user
    libvirt-qemu before it reads qemu.conf, and fails without it
    (libvirt-daemon-system would create it)."""
    try:
        grp.getgrnam('libvirt-qemu')
    except KeyError:
        subprocess.run(['groupadd', '--system', 'libvirt-qemu'], check=True)
        note('created group libvirt-qemu')
    try:
        pwd.getpwnam('libvirt-qemu')
    except KeyError:
        subprocess.run(['useradd', '--system', '-g', 'libvirt-qemu',
                        '-d', '/var/lib/libvirt', '-M',
                        '-s', '/usr/sbin/nologin', 'libvirt-qemu'], check=True)
        note('created user libvirt-qemu')


def namespace_problem():
    """None if libvirtd can run in a private mount namespace, else why."""
    if not shutil.which('unshare'):
        return 'unshare not found'
    try:
        r = subprocess.run(['unshare', '--mount', '--propagation', 'private',
                            'true'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return 'unshare timed out'
    if r.returncode:
        return 'unshare --mount failed: ' + r.stdout.strip()
    return None


def emulator_problem(emulator):
    """None if the emulator can be probed by libvirt, else why not."""
    if not os.access(emulator, os.X_OK):
        return 'emulator not found: %s (set QKVM_LIBVIRT_EMULATOR)' % emulator
    if os.environ.get('QKVM_LIBVIRT_FORCE') == '1':
        return None
    try:
        r = subprocess.run([emulator, '-help'], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return '%s -help failed: %s' % (emulator, e)
    if not re.search(r'^-qmp\b', r.stdout, re.M):
        return ('%s has no -qmp option (no QMP monitor yet), so libvirt\'s '
                'capability probe cannot work; QKVM_LIBVIRT_FORCE=1 runs the '
                'test anyway' % emulator)
    return None


# -- the daemon --------------------------------------------------------------

class LibvirtFailure(AssertionError):
    pass


class Libvirtd:
    """A libvirtd of our own: private state directory, private sockets."""

    def __init__(self, emulator, private):
        self.emulator = emulator
        self.private = private
        self.state = tempfile.mkdtemp(prefix='qkvm-libvirt-')
        os.chmod(self.state, 0o755)
        self.root = os.path.join(self.state, 'root') if private else None
        self.conf = os.path.join(self.state, 'libvirtd.conf')
        self.pidfile = os.path.join(self.state, 'libvirtd.pid')
        self.log = os.path.join(self.state, 'libvirtd.log')
        self.out = os.path.join(self.state, 'libvirtd.out')
        self.socket = os.path.join(self.state, 'sock', 'libvirt-sock')
        self.uri = 'qemu+unix:///system?socket=' + self.socket
        self.bindir = os.path.join(self.state, 'bin')
        self.proc = None
        self.created_dirs = []
        self.qemu_conf_backup = None    # host mode: (existed, saved path)
        self.domains = set()
        self.messages = []
        self.hung = False           # a virsh call timed out
        self.cleaned = False

    # host paths as the daemon sees them
    def path(self, host_path):
        if self.private:
            for sub, mnt in MOUNTS:
                if host_path == mnt or host_path.startswith(mnt + '/'):
                    return os.path.join(self.root, sub) + host_path[len(mnt):]
        return host_path

    def domain_log(self, name):
        return self.path('/var/log/libvirt/qemu/%s.log' % name)

    def setup(self):
        os.makedirs(os.path.join(self.state, 'sock'))
        with open(os.path.join(LVDIR, 'libvirtd.conf')) as f:
            conf = f.read().replace('@STATE@', self.state)
        with open(self.conf, 'w') as f:
            f.write(conf)
        # `virsh capabilities` lists the qemu-system-* found on libvirtd's
        # PATH: put the emulator under test first on it
        os.makedirs(self.bindir)
        os.symlink(self.emulator, os.path.join(self.bindir, EMULATOR_NAME))
        qemu_conf = os.path.join(LVDIR, 'qemu.conf')
        if self.private:
            for sub, mnt in MOUNTS:
                os.makedirs(os.path.join(self.root, sub), exist_ok=True)
                if not os.path.isdir(mnt):
                    os.makedirs(mnt)
                    self.created_dirs.append(mnt)
            shutil.copy(qemu_conf, os.path.join(self.root, 'etc', 'qemu.conf'))
        else:
            saved = os.path.join(self.state, 'qemu.conf.host')
            existed = os.path.exists(HOST_QEMU_CONF)
            if existed:
                shutil.copy2(HOST_QEMU_CONF, saved)
            self.qemu_conf_backup = (existed, saved)
            os.makedirs(os.path.dirname(HOST_QEMU_CONF), exist_ok=True)
            shutil.copy(qemu_conf, HOST_QEMU_CONF)
            note('replaced %s for the test (restored afterwards)'
                 % HOST_QEMU_CONF)

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('LIBVIRT_', 'VIRSH_'))}
        env['PATH'] = self.bindir + ':' + SYSTEM_PATH
        env['LC_ALL'] = 'C'
        return env

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=None):
        timeout = timeout or wait_timeout()
        self.hung = False
        if os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        argv = ['-f', self.conf, '--verbose', '--pid-file', self.pidfile]
        argv = ([HELPER, self.root] if self.private else ['libvirtd']) + argv
        with open(self.out, 'ab') as out:
            out.write(('--- %s: %s\n' % (time.strftime('%H:%M:%S'),
                                         ' '.join(argv))).encode())
            out.flush()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         cwd=self.state, env=self.env(),
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise LibvirtFailure('libvirtd exited with status %s at start'
                                     '\n%s' % (self.proc.returncode,
                                               self.diagnostics()))
            if os.path.exists(self.socket) and self.pid():
                r = self.virsh('uri', check=False, timeout=30)
                if r.returncode == 0:
                    return
            if time.monotonic() > deadline:
                raise LibvirtFailure('libvirtd did not answer on %s within '
                                     '%ss\n%s' % (self.socket, timeout,
                                                  self.diagnostics()))
            time.sleep(0.25)

    def pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self, timeout=30):
        """SIGTERM by the pid file's pid, SIGKILL after timeout."""
        if not self.proc:
            return
        pid = self.pid() or self.proc.pid
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                # not printed now: it would split unittest's result line
                self.messages.append('libvirtd (pid %d) did not exit on %s'
                                     % (pid, signal.Signals(sig).name))
        self.proc = None

    def virsh(self, *args, check=True, timeout=120):
        argv = ['virsh', '-c', self.uri] + list(args)
        if self.hung:
            # fail fast: each call would wait for the timeout again
            raise LibvirtFailure('%s: not run, libvirtd stopped answering '
                                 'earlier\n%s' % (' '.join(argv[3:]),
                                                  self.diagnostics()))
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=timeout, env=self.env())
        except subprocess.TimeoutExpired:
            self.hung = True
            raise LibvirtFailure('%s: no answer within %ss\n%s'
                                 % (' '.join(argv), timeout,
                                    self.diagnostics()))
        if check and r.returncode:
            raise LibvirtFailure('%s: exit status %d\n--- stdout ---\n%s'
                                 '--- stderr ---\n%s%s'
                                 % (' '.join(argv[3:]), r.returncode,
                                    r.stdout, r.stderr, self.diagnostics()))
        return r

    def emulator_pid(self, name):
        try:
            with open(self.path('/run/libvirt/qemu/%s.pid' % name)) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def diagnostics(self, domain=None, serial=None):
        parts = ['', '=== libvirtd: errors (%s) ===' % self.log,
                 tail(self.log, 15, grep=r' (error|warning) : '),
                 '=== libvirtd: last lines ===', tail(self.log, 40),
                 '=== libvirtd stdout/stderr (%s) ===' % self.out,
                 tail(self.out, 20)]
        for name in sorted({domain} if domain else self.domains):
            parts += ['=== domain log (%s) ===' % self.domain_log(name),
                      tail(self.domain_log(name), 30, width=2000)]
        if serial:
            parts += ['=== serial (%s) ===' % serial, tail(serial, 20)]
        return '\n'.join(parts)

    def cleanup(self, fast=False):
        """Domains gone, daemon stopped, host directories as they were.
        fast (on SIGTERM and at exit): no virsh, kill by pid at once."""
        if self.cleaned:
            return
        self.cleaned = True
        if self.running() and not fast:
            for name in sorted(self.domains):
                try:
                    self.virsh('destroy', name, check=False, timeout=60)
                    self.virsh('undefine', name, check=False, timeout=60)
                except LibvirtFailure:
                    break
        self.stop(timeout=2 if fast else 30)
        for m in self.messages:
            note(m)
        for name in sorted(self.domains):      # emulators libvirt left
            pid = self.emulator_pid(name)
            if pid and ('guest=' + name) in read_text('/proc/%d/cmdline' % pid
                                                      ).replace('\0', ' '):
                note('killing the emulator of %s (pid %d)' % (name, pid))
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.qemu_conf_backup:
            existed, saved = self.qemu_conf_backup
            if existed:
                shutil.copy2(saved, HOST_QEMU_CONF)
            else:
                os.unlink(HOST_QEMU_CONF)
            self.qemu_conf_backup = None
            note('restored %s' % HOST_QEMU_CONF)
        for d in reversed(self.created_dirs):
            try:
                os.rmdir(d)
            except OSError as e:
                note('left %s: %s' % (d, e.strerror))
        self.created_dirs = []
        if os.environ.get('QKVM_LIBVIRT_KEEP') == '1':
            note('state kept in ' + self.state)
        else:
            shutil.rmtree(self.state, ignore_errors=True)


# -- the tests ---------------------------------------------------------------

class LibvirtTest(unittest.TestCase):
    """One libvirtd for the class; each test defines its own domain."""

    maxDiff = None
    lv = None
    notes = []

    @classmethod
    def skip_class(cls, why):
        note('skip: ' + why)
        raise unittest.SkipTest(why)

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            cls.skip_class('libvirt\'s system daemon needs root')
        why = kvm_problem()
        if why:
            cls.skip_class(why)
        cls.emulator = libvirt_emulator()
        why = emulator_problem(cls.emulator)
        if why:
            cls.skip_class(why)
        why = install_packages()
        if why:
            cls.skip_class(why)
        for tool in ('libvirtd', 'virsh'):
            if not shutil.which(tool, path=os.environ.get('PATH', '') +
                                ':/usr/sbin:/sbin'):
                cls.skip_class(tool + ' not found after installing libvirt')
        ensure_libvirt_qemu_user()
        private = os.environ.get('QKVM_LIBVIRT_PRIVATE')
        if private != '0':
            why = namespace_problem()
            if why and private == '1':
                cls.skip_class('QKVM_LIBVIRT_PRIVATE=1 but ' + why)
            if why:
                note('no private mount namespace (%s): using the host\'s '
                     '/etc/libvirt' % why)
            private = why is None
        else:
            private = False
        if not private and shutil.which('pgrep') and subprocess.run(
                ['pgrep', '-x', 'libvirtd'],
                stdout=subprocess.DEVNULL).returncode == 0:
            cls.skip_class('another libvirtd is running and the host\'s '
                           '/run/libvirt would be shared with it')
        cls.lv = Libvirtd(cls.emulator, private)
        # killed (meson's timeout) or interrupted: still no daemon, no VM and
        # no changed host file left behind
        atexit.register(cls.lv.cleanup, fast=True)
        cls.old_sigterm = signal.signal(signal.SIGTERM, cls.on_sigterm)
        try:
            cls.lv.setup()
            cls.lv.start()
        except BaseException:
            cls.lv.cleanup()
            cls.lv = None
            signal.signal(signal.SIGTERM, cls.old_sigterm)
            cls.old_sigterm = None
            raise

    @staticmethod
    def on_sigterm(signum, frame):
        if LibvirtTest.lv:
            note('terminated: cleaning up')
            LibvirtTest.lv.cleanup(fast=True)
        os._exit(128 + signum)

    @classmethod
    def tearDownClass(cls):
        if cls.lv:
            cls.lv.cleanup()
            cls.lv = None
        if getattr(cls, 'old_sigterm', None) is not None:
            signal.signal(signal.SIGTERM, cls.old_sigterm)
            cls.old_sigterm = None
        for n in cls.notes:
            note(n)

    # -- helpers -------------------------------------------------------------
    def _formatMessage(self, msg, standardMsg):
        # every failed assertion shows libvirtd's log, the domain log and
        # the serial output
        text = super()._formatMessage(msg, standardMsg)
        return text + self.diag() if self.lv else text

    def virsh(self, *args, **kw):
        try:
            return self.lv.virsh(*args, **kw)
        except LibvirtFailure as e:
            failure = str(e)
        self.fail(failure)          # outside except: no chained traceback

    def diag(self):
        return self.lv.diagnostics(getattr(self, 'domain', None),
                                   getattr(self, 'serial', None))

    def guest_path(self, name):
        path = os.path.join(guests_dir(), name + '.elf')
        if not os.path.exists(path):
            self.skipTest('guest %s not built: %s' % (name, path))
        return path

    def define(self, guest, cmdline='console=ttyS0', devices=''):
        """Define a domain booting guest, with extra <devices> XML; its name
        and serial file are self.domain and self.serial."""
        self.domain = NAME_PREFIX + guest
        self.serial = os.path.join(self.lv.state, self.domain + '.serial')
        with open(os.path.join(LVDIR, 'domain.xml')) as f:
            xml = f.read()
        for k, v in (('NAME', self.domain), ('EMULATOR', self.emulator),
                     ('KERNEL', self.guest_path(guest)),
                     ('CMDLINE', cmdline), ('SERIAL', self.serial)):
            xml = xml.replace('@%s@' % k, v)
        xml = xml.replace('  </devices>', devices + '  </devices>')
        path = os.path.join(self.lv.state, self.domain + '.xml')
        with open(path, 'w') as f:
            f.write(xml)
        # a leftover of an interrupted run (host mode only)
        if self.lv.virsh('dominfo', self.domain, check=False).returncode == 0:
            self.lv.virsh('destroy', self.domain, check=False)
            self.lv.virsh('undefine', self.domain, check=False)
        self.lv.domains.add(self.domain)
        self.addCleanup(self.lv.virsh, 'undefine', self.domain, check=False)
        self.addCleanup(self.lv.virsh, 'destroy', self.domain, check=False)
        r = self.virsh('define', path)
        self.assertIn("Domain '%s' defined" % self.domain, r.stdout)
        return path

    def state(self):
        r = self.virsh('domstate', '--reason', self.domain, check=False)
        return r.stdout.strip() if r.returncode == 0 else \
            'error: ' + r.stderr.strip()

    def wait_state(self, want, timeout=None):
        """Wait until `virsh domstate --reason` is want ('running', or
        'shut off (destroyed)': without a reason in want, any reason)."""
        timeout = timeout or wait_timeout()
        deadline = time.monotonic() + timeout
        while True:
            got = self.state()
            if got == want or got.startswith(want + ' ('):
                LibvirtTest.notes.append('%s: %s' % (self.domain, got))
                return got
            if time.monotonic() > deadline:
                self.fail('domain %s is %r after %ss, expected %r\n%s'
                          % (self.domain, got, timeout, want, self.diag()))
            time.sleep(0.25)

    def wait_serial(self, line, timeout=None):
        timeout = timeout or wait_timeout()
        deadline = time.monotonic() + timeout
        while line not in read_text(self.serial).splitlines():
            if time.monotonic() > deadline:
                self.fail('no line %r on the serial port of %s within %ss '
                          '(state %r)\n%s' % (line, self.domain, timeout,
                                              self.state(), self.diag()))
            time.sleep(0.25)

    def wait_gone(self, pid, timeout=None):
        timeout = timeout or wait_timeout()
        deadline = time.monotonic() + timeout
        while os.path.exists('/proc/%d' % pid) and \
                read_text('/proc/%d/stat' % pid).split(') ')[-1][:1] != 'Z':
            if time.monotonic() > deadline:
                self.fail('emulator pid %d still there %ss after the domain '
                          'stopped\n%s' % (pid, timeout, self.diag()))
            time.sleep(0.25)

    def start(self, banner):
        """virsh start; running; the guest's banner on the serial port."""
        if os.path.exists(self.serial):
            os.unlink(self.serial)
        self.virsh('start', self.domain)
        self.assertEqual(self.wait_state('running'), 'running (booted)')
        self.wait_serial(banner)
        pid = self.lv.emulator_pid(self.domain)
        self.assertTrue(pid, 'no pid file for %s' % self.domain)
        return pid

    def command_line(self):
        """The emulator's last command line, from the domain log (libvirt
        writes one argument a line, continued with backslashes)."""
        lines = read_text(self.lv.domain_log(self.domain)).splitlines()
        starts = [i for i, l in enumerate(lines)
                  if l.rstrip(' \\') == self.emulator]
        if not starts:
            return None
        args = []
        for l in lines[starts[-1]:]:
            args.append(l.rstrip(' \\'))
            if not l.endswith('\\'):
                break
        return ' '.join(args)

    # -- tests ---------------------------------------------------------------
    def test_00_capabilities(self):
        # virsh capabilities and domcapabilities list the emulator.
        on_path = os.path.join(self.lv.bindir, EMULATOR_NAME)
        caps = ET.fromstring(self.virsh('capabilities').stdout)
        guests = [g for g in caps.findall('guest')
                  if g.find('arch').get('name') == 'x86_64' and
                  g.findtext('arch/emulator') == on_path]
        self.assertEqual(len(guests), 1, 'virsh capabilities has no x86_64 '
                         'guest with emulator %s' % on_path)
        arch = guests[0].find('arch')
        self.assertIn('kvm', [d.get('type') for d in arch.findall('domain')],
                      'no kvm domain type for %s' % on_path)
        self.assertIn('pc', [m.text for m in arch.findall('machine')],
                      'no machine pc for %s' % on_path)

        dc = ET.fromstring(self.virsh(
            'domcapabilities', '--emulatorbin', self.emulator, '--arch',
            'x86_64', '--machine', 'pc', '--virttype', 'kvm').stdout)
        self.assertEqual(dc.findtext('path'), self.emulator)
        self.assertEqual(dc.findtext('domain'), 'kvm')
        self.assertEqual(dc.findtext('arch'), 'x86_64')
        self.assertTrue(dc.findtext('machine', '').startswith('pc-i440fx-'),
                        dc.findtext('machine'))
        custom = dc.find("cpu/mode[@name='custom']")
        self.assertIsNotNone(custom, 'no custom CPU mode')
        self.assertEqual(custom.get('supported'), 'yes')
        self.assertIn('qemu64', [m.text for m in custom.findall('model')])
        LibvirtTest.notes.append('domcapabilities: machine pc is %s'
                                 % dc.findtext('machine'))

    def test_10_lifecycle(self):
        # define, start, serial output, daemon restart with reconnect,
        # destroy, start again, destroy, undefine (serial-irq idles forever
        # with interrupts on).
        self.define('serial-irq')
        self.assertTrue(self.state().startswith('shut off'), self.state())
        pid = self.start('serial-irq: ready')
        self.assertIn('serial-irq: hello', read_text(self.serial).splitlines())
        self.assertIn(self.domain, self.virsh('list', '--name').stdout.split())

        live = ET.fromstring(self.virsh('dumpxml', self.domain).stdout)
        self.assertEqual(live.findtext('devices/emulator'), self.emulator)
        self.assertEqual(live.find('devices/serial').get('type'), 'file')
        console = live.find('devices/console')
        self.assertIsNotNone(console, 'no console in the live XML')
        self.assertEqual(console.get('type'), 'file')
        cmd = self.command_line()
        self.assertTrue(cmd, 'no command line in %s'
                        % self.lv.domain_log(self.domain))
        LibvirtTest.notes.append('command line: ' + cmd)

        # libvirtd restart: the domain keeps running and is reconnected
        self.lv.stop()
        self.assertTrue(os.path.exists('/proc/%d' % pid),
                        'the emulator died with libvirtd')
        self.lv.start()
        LibvirtTest.notes.append('%s: libvirtd restarted' % self.domain)
        self.assertIn(self.domain, self.virsh('list', '--name').stdout.split(),
                      'not running after the libvirtd restart')
        self.wait_state('running')
        self.assertEqual(self.lv.emulator_pid(self.domain), pid)
        # the monitor works after the reconnect
        r = self.virsh('qemu-monitor-command', self.domain,
                       '{"execute":"query-status"}')
        self.assertIn('"running"', r.stdout)

        self.virsh('destroy', self.domain)
        self.assertEqual(self.wait_state('shut off'), 'shut off (destroyed)')
        self.wait_gone(pid)

        pid = self.start('serial-irq: ready')
        self.virsh('destroy', self.domain)
        self.assertEqual(self.wait_state('shut off'), 'shut off (destroyed)')
        self.wait_gone(pid)

        self.virsh('undefine', self.domain)
        self.assertNotIn(self.domain,
                         self.virsh('list', '--all', '--name').stdout.split())

    def test_20_shutdown(self):
        # virsh shutdown: ACPI power button, the guest powers off (S5),
        # on_poweroff destroy; then start again, destroy, undefine.
        self.define('acpi-idle')
        pid = self.start('acpi-idle: ready')
        r = self.virsh('shutdown', self.domain)
        self.assertIn('is being shutdown', r.stdout)
        self.assertEqual(self.wait_state('shut off'), 'shut off (shutdown)')
        self.wait_gone(pid)
        self.assertIn('acpi-idle: power button, powering off',
                      read_text(self.serial).splitlines())

        pid = self.start('acpi-idle: ready')
        self.virsh('destroy', self.domain)
        self.assertEqual(self.wait_state('shut off'), 'shut off (destroyed)')
        self.wait_gone(pid)
        self.virsh('undefine', self.domain)


    def test_30_disk_and_network(self):
        # a raw virtio disk and a user-mode network: libvirt's command line
        # for them starts, QMP shows both devices on PCI and the disk behind
        # query-block, and the guest sees both: tests/guests/virtio-devs.c
        # (Linux cannot boot on this host's /dev/kvm; the nested Linux test
        # covers Linux) reads the disk's first sector and the NIC's MAC at
        # the PCI addresses of the domain XML
        img = os.path.join(self.lv.state, 'disk-test.raw')
        marker = 'qkvm-libvirt-disk-%s' % uuid.uuid4()
        with open(img, 'wb') as f:
            f.write(marker.encode() + b'\n')
            f.truncate(1 << 20)
        self.addCleanup(os.unlink, img)
        self.define('virtio-devs', devices=(
            "    <disk type='file' device='disk'>\n"
            "      <driver name='qemu' type='raw'/>\n"
            "      <source file='%s'/>\n"
            "      <target dev='vda' bus='virtio'/>\n"
            "    </disk>\n"
            "    <interface type='user'>\n"
            "      <mac address='52:54:00:aa:bb:cc'/>\n"
            "      <model type='virtio'/>\n"
            "    </interface>\n" % self.lv.path(img)))
        pid = self.start('virtio-devs: ready')
        cmd = self.command_line()
        LibvirtTest.notes.append('disk+net command line: ' + str(cmd))
        self.assertIn('virtio-blk-pci', cmd)
        self.assertIn('virtio-net-pci', cmd)
        r = self.virsh('qemu-monitor-command', self.domain,
                       '{"execute":"query-pci"}')
        devs = json.loads(r.stdout)['return'][0]['devices']
        ids = sorted((d['id']['vendor'], d['id']['device']) for d in devs)
        self.assertIn((0x1af4, 0x1041), ids, r.stdout)
        self.assertIn((0x1af4, 0x1042), ids, r.stdout)
        r = self.virsh('qemu-monitor-command', self.domain,
                       '{"execute":"query-block"}')
        files = [b['inserted']['image']['filename']
                 for b in json.loads(r.stdout)['return'] if 'inserted' in b]
        self.assertIn(img, files, r.stdout)
        self.assertEqual(self.virsh('domblklist', self.domain).stdout.count(
            'vda'), 1)

        # what the guest printed, against the live domain XML
        live = ET.fromstring(self.virsh('dumpxml', self.domain).stdout)

        def where(dev):
            a = live.find('devices/%s/address' % dev)
            self.assertIsNotNone(a, 'no PCI address for %s in the XML' % dev)
            self.assertEqual(int(a.get('bus'), 16), 0, 'not on bus 0')
            return '%02x.%d' % (int(a.get('slot'), 16),
                                int(a.get('function'), 16))
        mac = live.find('devices/interface/mac').get('address')
        lines = read_text(self.serial).splitlines()
        LibvirtTest.notes.append('virtio-devs: ' + ' | '.join(
            l for l in lines if ' blk ' in l or ' net ' in l))
        self.assertEqual([l for l in lines if 'virtio-devs: error' in l], [],
                         self.diag())
        self.assertIn('virtio-devs: blk %s sectors 2048 sector0 "%s"'
                      % (where('disk'), marker), lines, self.diag())
        self.assertIn('virtio-devs: net %s mac %s' % (where('interface'), mac),
                      lines, self.diag())
        self.virsh('destroy', self.domain)
        self.assertEqual(self.wait_state('shut off'), 'shut off (destroyed)')
        self.wait_gone(pid)
        self.virsh('undefine', self.domain)

    def test_40_virtio_console(self):
        # <console type='pty'><target type='virtio'/>: libvirt adds a
        # virtio-serial controller and writes virtio-serial-pci plus
        # virtconsole on a pty chardev; the domain starts, query-pci shows
        # the console device (0x1043) and virsh knows the pty
        self.define('serial-irq', devices=(
            "    <console type='pty'>\n"
            "      <target type='virtio' port='1'/>\n"
            "    </console>\n"))
        pid = self.start('serial-irq: ready')
        cmd = self.command_line()
        LibvirtTest.notes.append('virtio console command line: ' + str(cmd))
        self.assertIn('virtio-serial-pci', str(cmd))
        self.assertIn('virtconsole', str(cmd))
        r = self.virsh('qemu-monitor-command', self.domain,
                       '{"execute":"query-pci"}')
        devs = json.loads(r.stdout)['return'][0]['devices']
        ids = [(d['id']['vendor'], d['id']['device']) for d in devs]
        self.assertIn((0x1af4, 0x1043), ids, r.stdout)
        r = self.virsh('dumpxml', self.domain)
        # (libvirt learns the pty's path from query-chardev)
        self.assertRegex(r.stdout, r"<console type='pty'>\s*"
                         r"<source path='/dev/pts/\d+'/>\s*"
                         r"<target type='virtio' port='1'/>")
        self.virsh('destroy', self.domain)
        self.assertEqual(self.wait_state('shut off'), 'shut off (destroyed)')
        self.wait_gone(pid)
        self.virsh('undefine', self.domain)

    def test_50_guest_agent_channel(self):
        # libvirt's guest-agent channel (<channel type='unix'> bound by
        # libvirt, virtio target org.qemu.guest_agent.0): libvirt adds the
        # virtio-serial controller and writes a virtserialport on nr 1 with
        # its fd-passed socket chardev; the domain starts, the channel is
        # 'disconnected' (libvirt takes the state from query-chardev's
        # frontend-open: the guest has not opened the port, this guest has
        # no virtio driver), and the socket libvirt bound is there
        sock = os.path.join(self.lv.state, 'agent.sock')
        self.define('serial-irq', devices=(
            "    <channel type='unix'>\n"
            "      <source mode='bind' path='%s'/>\n"
            "      <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
            "    </channel>\n" % sock))
        pid = self.start('serial-irq: ready')
        cmd = str(self.command_line())
        LibvirtTest.notes.append('guest agent channel command line: ' + cmd)
        self.assertIn('virtio-serial-pci', cmd)
        self.assertRegex(cmd, r'-chardev socket,id=charchannel0,fd=\d+,'
                         r'server=on,wait=off')
        # (the legacy -device syntax: the probe finds no JSON -device)
        self.assertIn('-device virtserialport,bus=virtio-serial0.0,nr=1,'
                      'chardev=charchannel0,id=channel0,'
                      'name=org.qemu.guest_agent.0', cmd)
        r = self.virsh('qemu-monitor-command', self.domain,
                       '{"execute":"query-chardev"}')
        chardevs = {c['label']: c for c in json.loads(r.stdout)['return']}
        self.assertIn('charchannel0', chardevs, r.stdout)
        self.assertFalse(chardevs['charchannel0']['frontend-open'], r.stdout)
        r = self.virsh('dumpxml', self.domain)
        self.assertRegex(r.stdout, r"<target type='virtio' "
                         r"name='org.qemu.guest_agent.0' "
                         r"state='disconnected'/>")
        self.assertTrue(os.path.exists(sock), 'no agent socket ' + sock)
        self.virsh('destroy', self.domain)
        self.assertEqual(self.wait_state('shut off'), 'shut off (destroyed)')
        self.wait_gone(pid)
        self.virsh('undefine', self.domain)

if __name__ == '__main__':
    unittest.main()
