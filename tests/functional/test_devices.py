"""Board devices seen by a guest: fw_cfg and the CMOS RTC."""

import unittest

from qkvm_test import QkvmTest, debug_exit_status


def fwcfg_compared(res):
    # Only etc/e820 of the file directory is compared: QEMU's other files
    # (genroms/*, etc/acpi/*, etc/table-loader, bootorder, smbios...) feed
    # SeaBIOS, which a direct-boot VMM does not run.
    return '\n'.join(l for l in res.serial_lines()
                     if not (l.startswith('fwcfg: file ') and
                             l != 'fwcfg: file etc/e820')
                     and not l.endswith(' files'))


class FwCfgTest(QkvmTest):

    def test_fwcfg(self):
        def check(res):
            self.assertLines(res, [
                'fwcfg: hello',
                'fwcfg: signature "QEMU"',
                'fwcfg: id 0x00000003',         # traditional interface + DMA
                'fwcfg: cpus 2',
                'fwcfg: ram 0x10000000',
                'fwcfg: file etc/e820',
            ])
            self.assertStatus(res, debug_exit_status(0))

        self.run_both(self.guest_args(self.guest('fwcfg'), ['-m', '256', '-smp', '2']),
                      check, normalize=fwcfg_compared)


class RtcTest(QkvmTest):

    def test_rtc(self):
        def check(res):
            self.assertEqual(res.serial_lines(), [
                'rtc: hello',
                'rtc: base memory 640 KiB',
                'rtc: extended memory 65535 KiB',
                'rtc: extended memory (0x30) 65535 KiB',
                'rtc: memory above 16M 7936 x 64 KiB',
                'rtc: status A 0x26 B 0x02',
                'rtc: ticking',
            ], res.describe())
            self.assertStatus(res, debug_exit_status(0))

        self.run_both(self.guest_args(self.guest('rtc'), ['-m', '512']), check)

    def test_rtc_small_memory(self):
        def check(res):
            self.assertLines(res, [
                'rtc: extended memory 31744 KiB',
                'rtc: memory above 16M 256 x 64 KiB',
                'rtc: ticking',
            ])
            self.assertStatus(res, debug_exit_status(0))

        self.run_both(self.guest_args(self.guest('rtc'), ['-m', '32']), check)


if __name__ == '__main__':
    unittest.main()
