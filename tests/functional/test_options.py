"""Command line errors, -version and -help, worded as QEMU's (the program
name aside)."""

import os
import unittest

from qkvm_test import (QkvmTest, filter_stderr, program_name, short_name,
                       kvm_problem)


class OptionsTest(QkvmTest):

    def run_opts(self, binary, args):
        return self.run_vm(binary, args, serial=None, timeout=30)

    def check_error(self, args, expected, needs_kvm=False, kernel=True):
        """First non-warning stderr line == expected (with {prog} and {short}
        filled in for the binary), exit status 1; the same for QEMU.
        needs_kvm: the error comes at machine creation, after the
        accelerator started; a valid -kernel is given (qkvm has no BIOS, so
        it needs one to get that far)."""
        if needs_kvm:
            self.require_kvm()
            args = ['-accel', 'kvm'] + \
                (['-kernel', self.guest('multiboot')] if kernel else []) + args
        args = ['-display', 'none', '-nodefaults'] + args
        binaries = [self.binary]
        ref = self.reference()
        if ref:
            binaries.append(ref)
        for binary in binaries:
            res = self.run_opts(binary, args)
            want = expected.format(prog=program_name(binary),
                                   short=short_name(binary))
            lines = filter_stderr(res.stderr).splitlines()
            self.assertTrue(lines, res.describe())
            self.assertEqual(lines[0], want, res.describe())
            self.assertStatus(res, 1)

    def test_bad_memory_size(self):
        self.check_error(['-m', 'foo'],
                         "{prog}: -m foo: Parameter 'size' expects a "
                         "non-negative number below 2^64")

    def test_bogus_option(self):
        self.check_error(['-bogus'], '{prog}: -bogus: invalid option')

    def test_bogus_cpu(self):
        self.check_error(['-cpu', 'bogus'],
                         "{prog}: unable to find CPU model 'bogus'",
                         needs_kvm=True)

    def test_bogus_machine(self):
        self.check_error(['-machine', 'bogus'],
                         '{prog}: unsupported machine type')

    def test_bogus_device(self):
        self.check_error(['-device', 'bogus'],
                         "{prog}: -device bogus: 'bogus' is not a valid "
                         "device model name", needs_kvm=True)

    def test_missing_kernel(self):
        path = os.path.join(self.workdir, 'no-such-kernel')
        self.check_error(['-kernel', path],
                         "{short}: could not open kernel file '%s': "
                         "No such file or directory" % path, needs_kvm=True,
                         kernel=False)

    def test_version(self):
        res = self.run_opts(self.binary, ['-version'])
        self.assertStatus(res, 0)
        self.assertTrue(res.stdout.startswith('QEMU emulator version '),
                        res.describe())

    def test_help(self):
        res = self.run_opts(self.binary, ['-help'])
        self.assertStatus(res, 0)
        # QEMU: "usage: qemu-system-x86_64 [options] [disk_image]"
        self.assertTrue(any(l.startswith('usage: %s [options]'
                                         % program_name(self.binary))
                            for l in res.stdout.splitlines()), res.describe())


if __name__ == '__main__':
    unittest.main()
