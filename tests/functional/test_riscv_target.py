"""qkvm-system-riscv64 on a host whose KVM cannot run RISC-V guests.

The binary shares all architecture-neutral code with qkvm-system-x86_64
and differs in what the target tells it: its CPU models, its QAPI target
name, its machines.  Without RISC-V KVM, -accel kvm is refused with one
line and exit status 1, and -accel qtest still runs the machine.
  QKVM_RISCV_BINARY  the binary (meson sets it; default
                     build/qkvm-system-riscv64)
"""

import json
import os
import platform
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.dirname(os.path.dirname(HERE))


def riscv_binary():
    return os.environ.get('QKVM_RISCV_BINARY') or \
        os.path.join(SRC_ROOT, 'build', 'qkvm-system-riscv64')


def run(args, stdin=None, timeout=30):
    return subprocess.run([riscv_binary()] + args, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, universal_newlines=True)


def qmp(args, commands):
    """Run QMP commands over stdio; return the replies in order."""
    text = '{"execute": "qmp_capabilities"}\n' + \
        ''.join(json.dumps(c) + '\n' for c in commands) + \
        '{"execute": "quit"}\n'
    res = run(args + ['-qmp', 'stdio', '-display', 'none', '-nodefaults'],
              stdin=text)
    replies = [json.loads(line) for line in res.stdout.splitlines()
               if line.strip()]
    replies = [r for r in replies if 'return' in r or 'error' in r]
    return res, replies[1:-1]


class RiscvTargetTest(unittest.TestCase):

    def test_kvm_not_available(self):
        if platform.machine() == 'riscv64':
            self.skipTest('host is riscv64: KVM may be available')
        for machine in (['-M', 'none'], [], ['-M', 'virt']):
            res = run(machine + ['-accel', 'kvm', '-display', 'none',
                                 '-nodefaults'])
            self.assertEqual(res.returncode, 1, res.stderr)
            self.assertEqual(res.stderr.strip().splitlines(),
                             ['qkvm-system-riscv64: KVM not available for '
                              'this target'])

    def test_default_machine_is_virt(self):
        res = run(['-M', 'help'])
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout, r'(?m)^virt\s.*\(default\)$')
        self.assertNotIn('pc-i440fx', res.stdout)

    def test_cpu_help_lists_riscv_models(self):
        res = run(['-cpu', 'help'])
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn('host', res.stdout)
        self.assertIn('sstc', res.stdout)
        self.assertNotIn('qemu64', res.stdout)

    def test_bad_cpu_and_kernel_errors(self):
        """Bad input is one line naming the problem, exit status 1."""
        base = ['-accel', 'qtest', '-display', 'none', '-nodefaults']
        cases = [
            (['-cpu', 'host,nosuch=on'],
             "qkvm-system-riscv64: Property 'host-riscv64-cpu.nosuch' "
             "not found"),
            (['-cpu', 'pentium'],
             "qkvm-system-riscv64: unable to find CPU model 'pentium'"),
            (['-kernel', '/nonexistent/Image'],
             "qkvm-system-riscv64: could not open kernel file "
             "'/nonexistent/Image': No such file or directory"),
            (['-smp', '600'],
             "qkvm-system-riscv64: Invalid SMP CPUs 600. The max CPUs "
             "supported by machine 'virt' is 512"),
        ]
        for args, want in cases:
            res = run(base + args)
            self.assertEqual(res.returncode, 1, res.stderr)
            self.assertEqual(res.stderr.strip().splitlines(), [want])

    def test_qmp_target_and_cpu_types(self):
        res, replies = qmp(['-M', 'none', '-accel', 'qtest'], [
            {'execute': 'query-target'},
            {'execute': 'query-cpu-definitions'},
        ])
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(replies[0]['return'], {'arch': 'riscv64'})
        names = {d['name']: d['typename'] for d in replies[1]['return']}
        self.assertEqual(names.get('host'), 'host-riscv64-cpu')

    def test_no_x86_only_commands_or_options(self):
        """SEV is the x86 target's: its commands are not in this binary's
        table, and confidential-guest-support is refused."""
        res, replies = qmp(['-M', 'none', '-accel', 'qtest'], [
            {'execute': 'query-commands'},
            {'execute': 'query-sev'},
        ])
        self.assertEqual(res.returncode, 0, res.stderr)
        cmds = {c['name'] for c in replies[0]['return']}
        self.assertIn('query-target', cmds)
        self.assertFalse({c for c in cmds if 'sev' in c}, cmds)
        self.assertEqual(replies[1]['error']['class'], 'CommandNotFound')
        res = run(['-M', 'virt,confidential-guest-support=sev0', '-accel',
                   'qtest', '-display', 'none'])
        self.assertEqual(res.returncode, 1)
        self.assertIn('confidential-guest-support: the riscv64 target has '
                      'none', res.stderr)

    def test_migrate_is_blocked(self):
        """No riscv64 state is saved yet: migrate says so, nothing written."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'state')
            res, replies = qmp(['-M', 'virt', '-accel', 'qtest'], [
                {'execute': 'migrate', 'arguments': {'uri': 'file:' + path}},
            ])
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(replies[0]['error']['desc'],
                             'migration is blocked: the riscv64 virt machine '
                             'cannot be saved yet')
            self.assertFalse(os.path.exists(path))


if __name__ == '__main__':
    unittest.main()
