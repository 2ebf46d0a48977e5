"""Functional test harness for qkvm (QEMU's avocado-style tests, stdlib only).

Runs the binary the way a user does, on the tiny guests of tests/guests, and
compares with QEMU 7.2 (the reference) when it is installed:

  QKVM_BINARY       the binary under test (meson sets it; default
                    build/qkvm-system-x86_64).  Pointing it at
                    qemu-system-x86_64 runs the suite against QEMU itself,
                    which is how the guests and expectations are validated.
  QKVM_GUESTS_DIR   where the built guests are (default build/tests/guests)
  QKVM_REFERENCE    the reference binary (default: qemu-system-x86_64 in PATH);
                    set to "none" to skip the comparisons
  QKVM_TIMEOUT      seconds per VM run (default 60)
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.dirname(os.path.dirname(HERE))

# What a test "wants by default": KVM with the CPU model that both support.
DEFAULT_ARGS = ['-accel', 'kvm', '-cpu', 'qemu64']
# Every guest run: no display, no default devices, isa-debug-exit at 0xf4.
BASE_ARGS = ['-display', 'none', '-nodefaults',
             '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']

# stderr lines that are never compared (QEMU's "host doesn't support
# requested feature" and friends)
WARNING_RE = re.compile(r'^\S+: warning: ')


def qkvm_binary():
    return os.environ.get('QKVM_BINARY') or \
        os.path.join(SRC_ROOT, 'build', 'qkvm-system-x86_64')


def guests_dir():
    return os.environ.get('QKVM_GUESTS_DIR') or \
        os.path.join(SRC_ROOT, 'build', 'tests', 'guests')


def reference_binary():
    ref = os.environ.get('QKVM_REFERENCE')
    if ref == 'none':
        return None
    return ref or shutil.which('qemu-system-x86_64')


def default_timeout():
    return float(os.environ.get('QKVM_TIMEOUT', '60'))


def kvm_problem():
    """None if /dev/kvm can be opened read-write, else why not."""
    try:
        fd = os.open('/dev/kvm', os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return '/dev/kvm not usable: %s' % e.strerror
    os.close(fd)
    return None


def flavor(binary):
    """'qemu' for the reference, 'qkvm' otherwise (guests may take other
    boot paths, see test_boot.BzImageTest)."""
    return 'qemu' if os.path.basename(binary).startswith('qemu') else 'qkvm'


def program_name(binary):
    return os.path.basename(binary)


def short_name(binary):
    """The prefix of the few messages QEMU starts with a literal 'qemu:'
    instead of its program name; qkvm uses its program name in every
    message."""
    return 'qemu' if flavor(binary) == 'qemu' else program_name(binary)


def filter_stderr(text):
    return '\n'.join(l for l in text.splitlines() if not WARNING_RE.match(l))


class Result:
    """One finished VM run."""

    def __init__(self, binary, argv, status, stdout, stderr, serial):
        self.binary = binary
        self.argv = argv
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.serial = serial

    @property
    def flavor(self):
        return flavor(self.binary)

    def serial_lines(self):
        return self.serial.splitlines()

    def stderr_lines(self):
        return filter_stderr(self.stderr).splitlines()

    def describe(self):
        return ('command: %s\nexit status: %s\n--- serial ---\n%s'
                '--- stdout ---\n%s--- stderr ---\n%s' %
                (' '.join(self.argv), self.status, self.serial,
                 self.stdout, self.stderr))


class VmTimeout(AssertionError):
    pass


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def run_vm(binary, args, serial='file', stdin_data=None, timeout=None,
           cwd=None, interact=None):
    """Run binary with args; return a Result.

    serial: 'file' adds -serial file:PATH and returns what the guest wrote
            there; 'stdio' adds -serial stdio (Result.serial = stdout);
            None adds nothing (the caller's args say where the serial goes;
            Result.serial = stdout).
    interact(proc, read_until): called with the running process; read_until
            (text, timeout) reads stdout until text appears, returns all read.
    On timeout the process group is killed and VmTimeout is raised.
    """
    timeout = default_timeout() if timeout is None else timeout
    tmpdir = tempfile.mkdtemp(prefix='qkvm-test-')
    try:
        argv = [binary] + list(args)
        serial_path = None
        if serial == 'file':
            serial_path = os.path.join(tmpdir, 'serial.log')
            argv += ['-serial', 'file:' + serial_path]
        elif serial == 'stdio':
            argv += ['-serial', 'stdio']
        stdin = subprocess.PIPE if (stdin_data is not None or interact) \
            else subprocess.DEVNULL
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=cwd,
                                start_new_session=True)
        deadline = time.monotonic() + timeout
        early_out = b''
        try:
            if interact:
                early_out = _interact(proc, interact, deadline)
            out, err = proc.communicate(
                input=stdin_data if not interact else None,
                timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill(proc)
            out, err = proc.communicate()
            res = Result(binary, argv, None,
                         (early_out + out).decode(errors='replace'),
                         err.decode(errors='replace'),
                         _read(serial_path))
            raise VmTimeout('timed out after %ss\n%s' % (timeout, res.describe()))
        except BaseException:
            _kill(proc)
            proc.communicate()
            raise
        stdout = (early_out + out).decode(errors='replace')
        text = _read(serial_path) if serial_path else stdout
        return Result(binary, argv, proc.returncode, stdout,
                      err.decode(errors='replace'), text)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _read(path):
    if not path:
        return ''
    try:
        with open(path, 'rb') as f:
            return f.read().decode(errors='replace')
    except OSError:
        return ''


def _interact(proc, interact, deadline):
    """Give interact() a read_until() over proc.stdout; return what it read."""
    import selectors
    buf = bytearray()
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)

    def read_until(text, timeout=None):
        want = text.encode()
        end = deadline if timeout is None else min(deadline, time.monotonic() + timeout)
        while want not in buf:
            left = end - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            if not sel.select(left):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError('EOF waiting for %r; output so far:\n%s'
                                     % (text, buf.decode(errors='replace')))
            buf.extend(chunk)
        return buf.decode(errors='replace')

    try:
        interact(proc, read_until)
    finally:
        sel.close()
    if proc.stdin:
        try:
            proc.stdin.close()
        except OSError:
            pass
        proc.stdin = None
    return bytes(buf)


# Lines of guest output that differ from QEMU by design, each with why.
# Everything else a guest prints must be identical.
DIFFERS_BY_DESIGN = [
    # The multiboot boot loader name: qkvm says "qkvm" and does not claim
    # to be QEMU's loader (docs/system/invocation.rst).
    re.compile(r'^bootloader: "(qkvm|qemu)"$'),
]


def compared_serial(res):
    """The serial output as compared with QEMU's."""
    return '\n'.join(l for l in res.serial_lines()
                     if not any(p.match(l) for p in DIFFERS_BY_DESIGN))


class QkvmTest(unittest.TestCase):
    """Base class: finds the binaries and guests, runs and compares VMs."""

    maxDiff = None
    timeout = None          # per run; None = default_timeout()

    def setUp(self):
        self.binary = qkvm_binary()
        if not os.access(self.binary, os.X_OK):
            self.skipTest('binary not found: %s (set QKVM_BINARY)' % self.binary)
        self.workdir = tempfile.mkdtemp(prefix='qkvm-func-')
        self.addCleanup(shutil.rmtree, self.workdir, True)

    # -- requirements ------------------------------------------------------
    def require_kvm(self):
        why = kvm_problem()
        if why:
            print('skip: ' + why, file=sys.stderr)
            self.skipTest(why)

    def guest(self, name):
        """Path of a built guest (tests/guests/meson.build)."""
        for ext in ('.elf', '.bin'):
            path = os.path.join(guests_dir(), name + ext)
            if os.path.exists(path):
                return path
        self.skipTest('guest %s not built in %s (set QKVM_GUESTS_DIR)'
                      % (name, guests_dir()))

    def write_file(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, 'wb') as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return path

    # -- running -----------------------------------------------------------
    def run_vm(self, binary, args, **kw):
        kw.setdefault('timeout', self.timeout)
        kw.setdefault('cwd', self.workdir)
        return run_vm(binary, args, **kw)

    def run_qkvm(self, args, **kw):
        return self.run_vm(self.binary, args, **kw)

    _reference_note_printed = False

    def reference(self):
        """The reference binary, or None (reason printed once) if there is
        none or it is the binary under test."""
        ref = reference_binary()
        why = None
        if os.environ.get('QKVM_REFERENCE') == 'none':
            why = 'QKVM_REFERENCE=none'
        elif not ref or not os.access(ref, os.X_OK):
            why = 'qemu-system-x86_64 not found'
        elif os.path.realpath(ref) == os.path.realpath(self.binary):
            why = 'the binary under test is QEMU itself'
        if why:
            if not QkvmTest._reference_note_printed:
                print('\nnote: comparison with QEMU skipped: ' + why,
                      file=sys.stderr)
                QkvmTest._reference_note_printed = True
            return None
        return ref

    def guest_args(self, kernel, extra=(), default=True):
        return (DEFAULT_ARGS if default else []) + BASE_ARGS + \
            ['-kernel', kernel] + list(extra)

    def run_both(self, args, check=None, normalize=None, **kw):
        """Run qkvm with args and apply check(result) (the test's own
        expectations); then run QEMU with the SAME args, apply check to its
        result too, and assert the same serial output and exit status.
        normalize(result) -> what is compared (default: the serial output).
        Returns the qkvm result."""
        self.require_kvm()
        res = self.run_qkvm(args, **kw)
        if check:
            check(res)
        ref = self.reference()
        if ref is None:
            return res
        qres = self.run_vm(ref, args, **kw)
        if check:
            check(qres)
        norm = normalize or compared_serial
        self.assertEqual(norm(res), norm(qres),
                         'serial output differs from QEMU\n== qkvm ==\n%s\n'
                         '== QEMU ==\n%s' % (res.describe(), qres.describe()))
        self.assertEqual(res.status, qres.status,
                         'exit status differs from QEMU\n== qkvm ==\n%s\n'
                         '== QEMU ==\n%s' % (res.describe(), qres.describe()))
        return res

    # -- checks ------------------------------------------------------------
    def assertStatus(self, res, status):
        self.assertEqual(res.status, status, res.describe())

    def assertLine(self, res, line):
        self.assertIn(line, res.serial_lines(), res.describe())

    def assertLines(self, res, lines):
        """lines appear in the serial output in this order (others may be
        in between)."""
        got = res.serial_lines()
        pos = 0
        for line in lines:
            try:
                pos = got.index(line, pos) + 1
            except ValueError:
                self.fail('missing line %r (in order)\n%s' % (line, res.describe()))


def debug_exit_status(code):
    """Exit status of a VM whose guest wrote code to isa-debug-exit."""
    return ((code << 1) | 1) & 0xff
