"""A user-only build links no system-mode code and needs no stubs.

Configures `./configure --disable-system --enable-user` in a temporary
build directory, builds it, and checks:
  - no compiled source lies under hw/, monitor/, system/, qom/, chardev/,
    accel/qtest/, target/i386/sev/, or is one of target/i386's system
    files (the vCPU/machine KVM code, QMP commands), and none is a stub
    file (target/i386/kvm-cpuid.c, the host CPUID query, is shared);
  - `nm qkvm-x86_64` shows no system-mode symbol (machines, devices, the
    monitor/QMP, qtest, SEV, irqchip, fw_cfg, serial, the I/O bus, the
    system-mode KVM vCPU loop) and no stub.
Set QKVM_USER_BUILD_DIR to keep (and reuse) the build directory.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.dirname(os.path.dirname(HERE))

SYSTEM_DIRS = ('hw/', 'monitor/', 'system/', 'qom/', 'chardev/',
               'accel/qtest/', 'target/i386/sev/', 'target/i386/kvm.c',
               'target/i386/monitor.c', 'target/i386/cpu.c')
# Words that only system-mode code uses in its symbol names.
FORBIDDEN = re.compile(
    r'machine|device|qmp|monitor|qtest|(^|_)sev(_|$)|irqchip|fw_?cfg|'
    r'serial|iobus|chardev|qemu_chr|runstate|qemu_system_|acpi|mptable|'
    r'kvm_arch_|kvm_cpu_exec|kvm_set_irq|kvm_create_vcpu|cpu_thread|'
    r'stub', re.I)


def nm_symbols(binary):
    out = subprocess.run(['nm', binary], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=True).stdout
    syms = []
    for line in out.decode().splitlines():
        parts = line.split()
        if parts:
            syms.append(parts[-1])
    return syms


class TestUserOnlyBuild(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        for tool in ('meson', 'ninja', 'nm'):
            if not shutil.which(tool):
                raise unittest.SkipTest('%s is not installed' % tool)
        keep = os.environ.get('QKVM_USER_BUILD_DIR')
        cls.builddir = keep or tempfile.mkdtemp(prefix='build-user-only-')
        cls.cleanup = not keep
        cfg = subprocess.run(
            [os.path.join(SRC_ROOT, 'configure'),
             '--builddir=' + cls.builddir, '--disable-system',
             '--enable-user'],
            cwd=SRC_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        cls.configure_log = cfg.stdout.decode(errors='replace')
        cls.configured = cfg.returncode == 0
        cls.build_log = ''
        cls.built = False
        if cls.configured:
            b = subprocess.run(['ninja', '-C', cls.builddir],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            cls.build_log = b.stdout.decode(errors='replace')
            cls.built = b.returncode == 0

    @classmethod
    def tearDownClass(cls):
        if cls.cleanup:
            shutil.rmtree(cls.builddir, True)

    def test_1_configures_and_builds(self):
        self.assertTrue(self.configured, self.configure_log[-3000:])
        self.assertTrue(self.built, self.build_log[-3000:])
        self.assertTrue(os.access(os.path.join(self.builddir, 'qkvm-x86_64'),
                                  os.X_OK))
        self.assertFalse(os.path.exists(
            os.path.join(self.builddir, 'qkvm-system-x86_64')))

    def test_2_no_system_sources(self):
        if not self.built:
            self.skipTest('the build failed (see test_1)')
        with open(os.path.join(self.builddir, 'compile_commands.json')) as f:
            commands = json.load(f)
        files = set()
        for c in commands:
            path = os.path.normpath(os.path.join(c['directory'], c['file']))
            files.add(os.path.relpath(path, SRC_ROOT))
        bad = sorted(f for f in files
                     if f.startswith(SYSTEM_DIRS) or 'stub' in
                     os.path.basename(f))
        self.assertEqual(bad, [], 'system-mode or stub sources compiled')
        self.assertIn('accel/kvm/kvm-common.c', files)
        print('\n  %d sources compiled, none system-mode' % len(files))

    def test_3_nm_no_system_symbols(self):
        if not self.built:
            self.skipTest('the build failed (see test_1)')
        binary = os.path.join(self.builddir, 'qkvm-x86_64')
        syms = nm_symbols(binary)
        self.assertIn('kvm_state_new', syms)
        self.assertIn('cpu_loop', syms)
        bad = sorted(s for s in syms if FORBIDDEN.search(s))
        self.assertEqual(bad, [], 'system-mode symbols in qkvm-x86_64')
        print('\n  nm: %d symbols, no system-mode one' % len(syms))


if __name__ == '__main__':
    unittest.main()
