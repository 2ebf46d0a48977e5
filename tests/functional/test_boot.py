"""Direct kernel boot: multiboot, PVH, Linux bzImage; -append and -initrd
delivery; isa-debug-exit codes."""

import unittest

from qkvm_test import QkvmTest, debug_exit_status


class MultibootTest(QkvmTest):

    def boot(self, append, check, initrd=None, extra=()):
        args = ['-append', append]
        if initrd:
            args += ['-initrd', initrd]
        return self.run_both(self.guest_args(self.guest('multiboot'),
                                             args + list(extra)), check)

    def test_multiboot(self):
        kernel = self.guest('multiboot')
        self.write_file('mod1', 'module one\nline2\n')
        self.write_file('mod2', b'\x01\x02binary\xff')

        def check(res):
            self.assertLines(res, [
                'multiboot: hello',
                'magic: 0x2badb002',
                # QEMU's loader puts the kernel file name before -append
                'cmdline: "%s exit=0 foo=bar"' % kernel,
                'mods: 2',
                'mod0: "mod1 arg" size=17 aligned=yes data="module one\\nline2"',
                'mod1: "mod2" size=9 aligned=yes data="\\x01\\x02binary\\xff"',
                'exit: 0',
            ])
            self.assertTrue(any(l.startswith('mmap: base=0x0000000000100000 ')
                                for l in res.serial_lines()), res.describe())
            self.assertStatus(res, debug_exit_status(0))

        self.boot('exit=0 foo=bar', check, initrd='mod1 arg,mod2')

    def test_memory_size(self):
        def check(res):
            # one RAM entry from 1 MiB to (nearly: firmware may reserve the
            # top) 256 MiB
            ram = [l for l in res.serial_lines()
                   if l.startswith('mmap: base=0x0000000000100000 ')
                   and l.endswith(' type=1')]
            self.assertEqual(len(ram), 1, res.describe())
            length = int(ram[0].split('len=')[1].split()[0], 16)
            self.assertTrue(255 << 20 >= length >= 254 << 20, res.describe())
            self.assertStatus(res, debug_exit_status(0))

        self.boot('exit=0', check, extra=['-m', '256'])

    def test_exit_codes(self):
        self.assertEqual(debug_exit_status(0x7f), 255)
        for code, text in ((1, 'exit=1'), (0x7f, 'exit=0x7f')):
            with self.subTest(code=code):
                def check(res):
                    self.assertLine(res, 'exit: %d' % code)
                    self.assertStatus(res, debug_exit_status(code))
                self.boot(text, check)


class PvhTest(QkvmTest):

    def test_pvh(self):
        self.write_file('initrd.txt', 'pvh initrd data\n')

        def check(res):
            self.assertLines(res, [
                'pvh: hello',
                'magic: 0x336ec578',
                'cmdline: "exit=5 pvh command line"',
                'modules: 1',
                'mod0: size=16 data="pvh initrd data\\n"',
                'rsdp: ok',
                'exit: 5',
            ])
            self.assertTrue(any(l.startswith('memmap: addr=0x0000000000100000 ')
                                for l in res.serial_lines()), res.describe())
            self.assertStatus(res, debug_exit_status(5))

        self.run_both(self.guest_args(
            self.guest('pvh'),
            ['-append', 'exit=5 pvh command line', '-initrd', 'initrd.txt']),
            check)


# Which entry of the hand-made bzImage each VMM takes, and what it prints
# first.  QEMU 7.2 always boots a bzImage through its linuxboot option ROM
# under SeaBIOS, in real mode at setup_seg+0x20:0, so the image's setup code
# runs ("linux16: hello"), builds boot_params with the BIOS e820 map and
# enters the 32-bit entry ("linux32: hello").  qkvm loads the image directly
# and enters at the 64-bit entry (startup_32 + 0x200) when the header has
# XLF_KERNEL_64 ("linux64: hello"), else at the 32-bit entry.  Everything
# printed after the entry lines must be identical.
BZIMAGE_ENTRY = {
    ('qemu', True): ['linux16: hello', 'linux32: hello'],
    ('qemu', False): ['linux16: hello', 'linux32: hello'],
    ('qkvm', True): ['linux64: hello'],
    ('qkvm', False): ['linux32: hello'],
}
BZIMAGE_ENTRY_LINES = {l for lines in BZIMAGE_ENTRY.values() for l in lines}
XLOADFLAGS = 0x236


def without_entry_lines(res):
    return '\n'.join(l for l in res.serial_lines()
                     if l not in BZIMAGE_ENTRY_LINES)


class BzImageTest(QkvmTest):

    def check_entry(self, res, kernel64=True):
        entry = BZIMAGE_ENTRY[(res.flavor, kernel64)]
        self.assertEqual(res.serial_lines()[:len(entry)], entry, res.describe())

    def test_bzimage(self):
        self.write_file('initrd.img', b'INITRD\x00\x01rest of it')

        def check(res):
            self.check_entry(res)
            self.assertLines(res, [
                'version: 0x020f',
                'cmdline: "exit=0x2a console=ttyS0 root=/dev/x"',
                'initrd: size=18 data="INITRD\\x00\\x01rest of "',
                'exit: 42',
            ])
            self.assertTrue(any(l.startswith('e820: addr=0x0000000000100000 ')
                                for l in res.serial_lines()), res.describe())
            self.assertStatus(res, debug_exit_status(42))

        self.run_both(
            self.guest_args(self.guest('bzimage'),
                            ['-append', 'exit=0x2a console=ttyS0 root=/dev/x',
                             '-initrd', 'initrd.img']),
            check, normalize=without_entry_lines)

    def test_bzimage_no_initrd(self):
        def check(res):
            self.check_entry(res)
            self.assertLine(res, 'initrd: none')
            self.assertStatus(res, debug_exit_status(3))

        self.run_both(
            self.guest_args(self.guest('bzimage'), ['-append', 'exit=3']),
            check, normalize=without_entry_lines)

    def test_bzimage_32bit_entry(self):
        # the same image with XLF_KERNEL_64 cleared: no 64-bit entry offered
        with open(self.guest('bzimage'), 'rb') as f:
            image = bytearray(f.read())
        image[XLOADFLAGS] &= ~1
        kernel = self.write_file('bzimage32.bin', bytes(image))

        def check(res):
            self.check_entry(res, kernel64=False)
            self.assertLine(res, 'cmdline: "exit=4"')
            self.assertStatus(res, debug_exit_status(4))

        self.run_both(self.guest_args(kernel, ['-append', 'exit=4']),
                      check, normalize=without_entry_lines)


if __name__ == '__main__':
    unittest.main()
