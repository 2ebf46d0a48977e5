"""qkvm-x86_64 run the way a user runs it, compared with the native run.

Each program of progs/ (and Debian's busybox-static) runs natively and
under qkvm-x86_64 with the same arguments and environment; stdout and the
exit status (signals included) must be the same.

  QKVM_USER        qkvm-x86_64 (default build/qkvm-x86_64)
  QKVM_USER_PROGS  the built programs (default build/tests/user)
  QKVM_TIMEOUT     seconds per run (default 120)

Tests that need something missing (/dev/kvm, musl-gcc, busybox-static)
are skipped with the reason; missing packages are installed with apt-get
first when running as root.
"""

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.dirname(os.path.dirname(HERE))
QKVM = os.path.abspath(os.environ.get('QKVM_USER') or
                       os.path.join(SRC_ROOT, 'build', 'qkvm-x86_64'))
PROGS = os.path.abspath(os.environ.get('QKVM_USER_PROGS') or
                        os.path.join(SRC_ROOT, 'build', 'tests', 'user'))
TIMEOUT = float(os.environ.get('QKVM_TIMEOUT', '120'))

# The same small, fixed environment for both runs.
ENV = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'LC_ALL': 'C', 'TZ': 'UTC',
       'HOME': '/nonexistent', 'QKVM_TEST': 'yes'}

PT_LOAD, PT_INTERP = 1, 3


def kvm_reason():
    if not os.path.exists('/dev/kvm'):
        return '/dev/kvm does not exist'
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        return '/dev/kvm is not accessible'
    return None


def run(argv, env=None, cwd=None, stdin=subprocess.DEVNULL):
    return subprocess.run(argv, env=dict(env or ENV), cwd=cwd, stdin=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=TIMEOUT)


def qkvm(argv, opts=(), **kw):
    return run([QKVM] + list(opts) + list(argv), **kw)


def apt_install(package):
    """Install a Debian package if we can; returns why not, or None."""
    if os.geteuid() != 0:
        return 'not root, cannot install %s' % package
    if not shutil.which('apt-get'):
        return 'no apt-get to install %s' % package
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    cmd = ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-q',
           package]
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=900)
    if r.returncode != 0:
        subprocess.run(['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update',
                        '-q'], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=900)
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=900)
    if r.returncode != 0:
        return 'apt-get install %s failed: %s' % (
            package, r.stdout.decode(errors='replace').strip()[-200:])
    return None


def elf_interp(path):
    """PT_INTERP of an ELF64 file, or None (static)."""
    with open(path, 'rb') as f:
        data = f.read(65536)
    phoff, = struct.unpack_from('<Q', data, 32)
    phentsize, phnum = struct.unpack_from('<HH', data, 54)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            '<IIQQQQ', data, phoff + i * phentsize)
        if p_type == PT_INTERP:
            return data[p_offset:p_offset + p_filesz].rstrip(b'\0')
    return None


class UserTest(unittest.TestCase):
    """Base: skip without KVM or the binary; native-vs-qkvm helpers."""

    def setUp(self):
        reason = kvm_reason()
        if reason:
            self.skipTest(reason)
        if not os.access(QKVM, os.X_OK):
            self.skipTest('%s is not built' % QKVM)
        self.tmp = tempfile.mkdtemp(prefix='qkvm-user-')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def prog(self, name):
        path = os.path.join(PROGS, name)
        if not os.access(path, os.X_OK):
            self.skipTest('%s is not built' % path)
        return path

    def compare(self, argv, opts=(), env=None, qkvm_env=None, cwd=None,
                stdout=True):
        """Run natively and under qkvm; same status (and stdout)."""
        n = run(argv, env=env, cwd=cwd)
        q = qkvm(argv, opts, env=qkvm_env or env, cwd=cwd)
        self.assertEqual(q.returncode, n.returncode,
                         'status of %s: native %d, qkvm %d; qkvm stderr: %s'
                         % (argv, n.returncode, q.returncode,
                            q.stderr.decode(errors='replace')))
        if stdout:
            self.assertEqual(q.stdout.decode(errors='replace'),
                             n.stdout.decode(errors='replace'))
        return n, q


class TestPrograms(UserTest):
    """The in-tree glibc programs, as ET_EXEC and as static-PIE."""

    VARIANTS = ('', '-pie')

    def test_hello(self):
        for v in self.VARIANTS:
            n, q = self.compare([self.prog('user-hello' + v)])
            self.assertEqual(q.stdout, b'Hello, world!\n')
            self.assertEqual(q.stderr, b'')

    def test_argv_env_auxv(self):
        for v in self.VARIANTS:
            p = self.prog('user-args' + v)
            self.compare([p, 'env', 'two words', '', '--x=1'])

    def test_set_unset_env_and_argv0(self):
        p = self.prog('user-args')
        native_env = dict(ENV, EXTRA='a=b c')
        del native_env['QKVM_TEST']
        n = run([p, 'env'], env=native_env)
        q = qkvm([p, 'env'], ['-E', 'EXTRA=a=b c', '-U', 'QKVM_TEST'])
        self.assertEqual(q.stdout, n.stdout)
        q = qkvm([p], ['-0', 'renamed'])
        self.assertIn(b'argv[0]: renamed\n', q.stdout)
        self.assertIn(('AT_EXECFN: %s\n' % p).encode(), q.stdout)

    def test_file_io_round_trip(self):
        for v in self.VARIANTS:
            dirs = [os.path.join(self.tmp, v + w) for w in ('n', 'q')]
            for d in dirs:
                os.mkdir(d)
            p = self.prog('user-fileio' + v)
            n = run([p, dirs[0]])
            q = qkvm([p, dirs[1]])
            self.assertEqual((q.returncode, q.stdout), (0, n.stdout),
                             q.stderr)
            self.assertTrue(q.stdout.endswith(b'ok\n'))

    def test_mmap_brk_growth(self):
        for v in self.VARIANTS:
            n, q = self.compare([self.prog('user-memory' + v), self.tmp])
            self.assertTrue(q.stdout.endswith(b'ok\n'), q.stdout)

    def test_large_output(self):
        p = self.prog('user-bigout')
        n = run([p, '32'])
        q = qkvm([p, '32'])
        self.assertEqual(q.returncode, 0)
        self.assertEqual(len(q.stdout), len(n.stdout))
        self.assertEqual(hashlib.sha256(q.stdout).hexdigest(),
                         hashlib.sha256(n.stdout).hexdigest())

    def test_exit_codes(self):
        p = self.prog('user-faults')
        for args in (['exit', '0'], ['exit', '1'], ['exit', '255'],
                     ['exit', '300'], ['return', '7'], ['nothing']):
            self.compare([p] + args)

    def test_fatal_signals(self):
        """Status 128+signal natively: the same signal kills qkvm."""
        p = self.prog('user-faults')
        for what, sig, name in (('segv', 11, 'Segmentation fault'),
                                ('rodata', 11, 'Segmentation fault'),
                                ('unmapped', 11, 'Segmentation fault'),
                                ('highaddr', 11, 'Segmentation fault'),
                                ('kernel', 11, 'Segmentation fault'),
                                ('stack', 11, 'Segmentation fault'),
                                ('hlt', 11, 'Segmentation fault'),
                                ('ud2', 4, 'Illegal instruction'),
                                ('int3', 5, 'Trace/breakpoint trap'),
                                ('div0', 8, 'Floating point exception'),
                                ('abort', 6, 'Aborted')):
            with self.subTest(what=what):
                n, q = self.compare([p, what])
                self.assertEqual(q.returncode, -sig)
                self.assertEqual(
                    q.stderr.decode(),
                    'qkvm: uncaught target signal %d (%s) - core dumped\n'
                    % (sig, name))

    def test_sigpipe(self):
        p = self.prog('user-faults')
        n, q = self.compare([p, 'sigpipe'])
        self.assertEqual(q.returncode, -13)
        self.compare([p, 'ignpipe'])

    def test_unsupported_syscall(self):
        p = self.prog('user-nosys')
        n, q = self.compare([p])
        self.assertIn(b'errno=38', q.stdout)
        for opts in (['-strace'], ['-d', 'strace']):
            q = qkvm([p], opts)
            self.assertIn(b' Unknown syscall 999(0x1,0x2,0x3,', q.stderr)
            self.assertIn(b'= -1 errno=38 (Function not implemented)',
                          q.stderr)
        q = qkvm([p], ['-d', 'unimp'])
        self.assertIn(b'Unsupported syscall: 999\n', q.stderr)

    def test_strace(self):
        q = qkvm([self.prog('user-hello')], ['-strace'])
        self.assertEqual(q.returncode, 0)
        err = q.stderr.decode()
        self.assertRegex(err, r'\d+ write\(1,0x[0-9a-f]+,14\) = 14\n')
        self.assertRegex(err, r'\d+ exit_group\(0\)\n')
        self.assertRegex(err, r'\d+ arch_prctl\(0x1002,0x[0-9a-f]+\) = 0\n')

    def test_syscall_overhead(self):
        """getppid round trip vs native: printed, not asserted."""
        p = self.prog('user-getppid')
        native = float(run([p, '1000000']).stdout)
        q = qkvm([p, '20000'])
        self.assertEqual(q.returncode, 0, q.stderr)
        under = float(q.stdout)
        print('\n  getppid: native %.3f us, qkvm-x86_64 %.1f us (%.0fx)'
              % (native, under, under / native), flush=True)


class TestMusl(UserTest):
    """The same programs built with musl-gcc -static."""

    built = None
    reason = None

    @classmethod
    def build(cls):
        if cls.built is not None or cls.reason:
            return
        if not shutil.which('musl-gcc'):
            cls.reason = apt_install('musl-tools')
            if not cls.reason and not shutil.which('musl-gcc'):
                cls.reason = 'musl-tools has no musl-gcc'
            if cls.reason:
                return
        out = tempfile.mkdtemp(prefix='qkvm-musl-')
        for name in ('hello', 'args', 'fileio', 'memory', 'faults', 'nosys'):
            r = subprocess.run(
                ['musl-gcc', '-static', '-O2', '-o', os.path.join(out, name),
                 os.path.join(HERE, 'progs', name + '.c')],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if r.returncode != 0:
                cls.reason = 'musl-gcc failed on %s: %s' % (
                    name, r.stdout.decode(errors='replace')[-300:])
                return
        cls.built = out

    @classmethod
    def tearDownClass(cls):
        if cls.built:
            shutil.rmtree(cls.built, True)

    def setUp(self):
        super().setUp()
        self.build()
        if self.reason:
            self.skipTest(self.reason)

    def musl(self, name):
        return os.path.join(self.built, name)

    def test_hello(self):
        self.compare([self.musl('hello')])

    def test_argv_env_auxv(self):
        self.compare([self.musl('args'), 'env', 'x y'])

    def test_file_io_round_trip(self):
        dirs = [os.path.join(self.tmp, w) for w in ('n', 'q')]
        for d in dirs:
            os.mkdir(d)
        n = run([self.musl('fileio'), dirs[0]])
        q = qkvm([self.musl('fileio'), dirs[1]])
        self.assertEqual((q.returncode, q.stdout), (0, n.stdout), q.stderr)

    def test_mmap_brk_growth(self):
        self.compare([self.musl('memory'), self.tmp])

    def test_faults_and_exit(self):
        for args in (['segv'], ['ud2'], ['abort'], ['exit', '42']):
            self.compare([self.musl('faults')] + args)

    def test_unsupported_syscall(self):
        self.compare([self.musl('nosys')])


class TestBusybox(UserTest):
    """Acceptance: Debian's busybox-static applets, same output."""

    BUSYBOX = '/bin/busybox'

    def setUp(self):
        super().setUp()
        if not os.path.exists(self.BUSYBOX) or elf_interp(self.BUSYBOX):
            reason = apt_install('busybox-static')
            if reason:
                self.skipTest(reason)
        if elf_interp(self.BUSYBOX):
            self.skipTest('%s is not busybox-static' % self.BUSYBOX)
        self.dir = os.path.join(self.tmp, 'files')
        os.mkdir(self.dir)
        for i, name in enumerate(('alpha.txt', 'beta.bin', 'gamma')):
            path = os.path.join(self.dir, name)
            with open(path, 'wb') as f:
                f.write((b'line %d of %s\n' % (i, name.encode())) * (i * 100))
            os.utime(path, (1700000000 + i, 1700000000 + i))
        os.mkdir(os.path.join(self.dir, 'subdir'))
        os.utime(os.path.join(self.dir, 'subdir'), (1700000000, 1700000000))

    def applet(self, *args):
        n, q = self.compare([self.BUSYBOX] + list(args), cwd=self.dir)
        self.assertNotEqual(q.stdout, b'')
        return q

    def test_echo(self):
        self.applet('echo', 'hello', 'from', 'busybox')
        self.applet('echo', '-e', 'tab\\there\\nnewline')

    def test_ls(self):
        self.applet('ls')
        self.applet('ls', '-la', '--color=never', self.dir)
        self.applet('ls', '-lR', '/etc/apt')

    def test_cat(self):
        q = self.applet('cat', 'alpha.txt', 'beta.bin', 'gamma')
        self.assertIn(b'line 2 of gamma', q.stdout)

    def test_sha256sum(self):
        self.applet('sha256sum', 'alpha.txt', 'beta.bin', 'gamma',
                    self.BUSYBOX)

    def test_wc(self):
        self.applet('wc', 'beta.bin', 'gamma', '/etc/passwd')


class TestDynamic(UserTest):
    """Dynamically linked programs run with their ELF interpreter."""

    def test_coreutils(self):
        for argv in (['/bin/true'], ['/bin/false'], ['/bin/echo', 'a', 'b'],
                     ['/bin/ls', '/']):
            if not os.path.exists(argv[0]) or not elf_interp(argv[0]):
                self.skipTest('%s is not a dynamic program' % argv[0])
            self.compare(argv)

    def test_ld_prefix(self):
        """-L finds the interpreter in a sysroot first."""
        interp = elf_interp('/bin/true')
        if not interp:
            self.skipTest('/bin/true is static')
        root = os.path.join(self.tmp, 'sysroot')
        target = root + interp.decode()
        os.makedirs(os.path.dirname(target))
        os.symlink(os.path.realpath(interp.decode()), target)
        q = qkvm(['/bin/true'], ['-L', root, '-strace'])
        self.assertEqual(q.returncode, 0, q.stderr)


class TestBadInput(UserTest):
    """Bad programs are one line on stderr and status 1, never a crash."""

    def load_fails(self, path, message):
        q = qkvm([path])
        self.assertEqual(q.returncode, 1, q.stderr)
        err = q.stderr.decode()
        self.assertEqual(err.count('\n'), 1, err)
        self.assertTrue(err.startswith(
            'qkvm-x86_64: Error while loading %s: ' % path), err)
        self.assertIn(message, err)

    def write(self, name, data, mode=0o755):
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def hello(self):
        with open(self.prog('user-hello'), 'rb') as f:
            return bytearray(f.read())

    def first_load(self, data):
        phoff, = struct.unpack_from('<Q', data, 32)
        phentsize, phnum = struct.unpack_from('<HH', data, 54)
        for i in range(phnum):
            off = phoff + i * phentsize
            if struct.unpack_from('<I', data, off)[0] == PT_LOAD:
                return off
        self.fail('no PT_LOAD')

    def test_not_elf(self):
        self.load_fails(self.write('script', b'#!/bin/sh\necho hi\n'),
                        'Exec format error')
        self.load_fails(self.write('empty', b''), 'Exec format error')

    def test_missing_and_directory(self):
        self.load_fails(os.path.join(self.tmp, 'missing'),
                        'No such file or directory')
        self.load_fails(self.tmp, 'Is a directory')

    def test_truncated(self):
        data = self.hello()
        self.load_fails(self.write('trunc-ph', data[:80]), 'truncated')
        self.load_fails(self.write('trunc-seg', data[:len(data) // 2]),
                        'ELF file is truncated')

    def test_wrong_architecture(self):
        data = self.hello()
        data[18:20] = struct.pack('<H', 183)        # EM_AARCH64
        self.load_fails(self.write('arm', data), 'Invalid ELF image')
        data = self.hello()
        data[4] = 1                                  # ELFCLASS32
        self.load_fails(self.write('elf32', data), 'Invalid ELF image')

    def test_huge_segment(self):
        data = self.hello()
        off = self.first_load(data)
        struct.pack_into('<Q', data, off + 40, 1 << 45)     # p_memsz
        self.load_fails(self.write('huge', data), 'guest address space')
        data = self.hello()
        struct.pack_into('<Q', data, off + 16, 2 ** 64 - 4096)  # p_vaddr
        self.load_fails(self.write('wrap', data), 'address space')

    def test_bad_program_headers(self):
        data = self.hello()
        struct.pack_into('<H', data, 56, 0xffff)    # e_phnum
        self.load_fails(self.write('phnum', data), 'program header')

    def test_missing_interpreter(self):
        src = '/bin/true'
        interp = elf_interp(src) if os.path.exists(src) else None
        if not interp:
            self.skipTest('no dynamic /bin/true')
        with open(src, 'rb') as f:
            data = bytearray(f.read())
        bogus = b'/nonexistent/ld.so'.ljust(len(interp), b'\0')
        i = data.index(interp)
        data[i:i + len(interp)] = bogus
        self.load_fails(self.write('nointerp', data),
                        'interpreter /nonexistent/ld.so')


class TestOptions(UserTest):

    def test_version(self):
        q = qkvm(['-version'])
        self.assertEqual(q.returncode, 0)
        self.assertRegex(q.stdout.decode(),
                         r'^qkvm-x86_64 version \d+\.\d+\.\d+ \(qkvm ')

    def test_help(self):
        q = qkvm(['-help'])
        self.assertEqual(q.returncode, 0)
        for opt in (b'-E var=value', b'-U var', b'-0 argv0', b'-strace',
                    b'-L path', b'QEMU_STRACE'):
            self.assertIn(opt, q.stdout)

    def test_usage_errors(self):
        q = qkvm([])
        self.assertEqual(q.returncode, 1)
        self.assertIn(b'usage: qkvm-x86_64', q.stdout)
        q = qkvm(['-bogus', 'x'])
        self.assertEqual(q.returncode, 1)
        self.assertIn(b"unknown option '-bogus'", q.stderr)
        q = qkvm(['-E'])
        self.assertEqual(q.returncode, 1)

    def test_environment_variables(self):
        env = dict(ENV, QEMU_STRACE='1')
        q = qkvm([self.prog('user-hello')], env=env)
        self.assertIn(b'exit_group(0)', q.stderr)


if __name__ == '__main__':
    unittest.main()
