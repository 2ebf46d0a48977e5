"""Board devices seen by a guest: fw_cfg and the CMOS RTC."""

import re
import struct
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


class VirtioBlkDriverTest(QkvmTest):
    """The polling virtio-blk driver of tests/guests/virtio-blk.c (the disk
    benchmark's guest) against qkvm's virtio-blk-pci: its writes reach the
    image and its reads return them, so the benchmark measures requests
    that work."""

    def blk_args(self, image, append):
        return self.guest_args(self.guest('virtio-blk'), [
            '-drive', 'file=%s,format=raw,if=none,id=d0,cache=none' % image,
            '-device', 'virtio-blk-pci,drive=d0', '-append', append])

    def test_verify(self):
        self.require_kvm()
        image = self.write_file('disk.img', b'\xa5' * (8 << 20))
        res = self.run_qkvm(self.blk_args(image, 'verify=1'))
        self.assertLines(res, ['virtio-blk: capacity 16384 sectors, queue size 256',
                               'virtio-blk: verify ok'])
        self.assertStatus(res, debug_exit_status(0))
        # the 64 KiB run the guest wrote at sector 24: word i is 7 * 2654435761 + i
        with open(image, 'rb') as f:
            f.seek(24 * 512)
            words = struct.unpack('<16384I', f.read(65536))
        first = (7 * 2654435761) & 0xffffffff
        self.assertEqual(list(words), [(first + i) & 0xffffffff for i in range(16384)])

    def test_verify_io_uring_sandboxed(self):
        """aio=io_uring under -sandbox on: the ring is made before the
        filter, io_uring_enter is allowed, and the data round trip of
        test_verify holds (requests go through the ring, completions come
        back on the device's I/O thread)."""
        self.require_kvm()
        image = self.write_file('disk.img', b'\xa5' * (8 << 20))
        args = self.blk_args(image, 'verify=1')
        i = args.index('-drive') + 1
        args[i] += ',aio=io_uring'
        res = self.run_qkvm(['-sandbox', 'on,obsolete=deny,elevateprivileges=deny,'
                             'spawn=deny,resourcecontrol=deny'] + args)
        m = re.search(r'Unable to use io_uring: .*', res.stderr)
        if m:
            self.skipTest(m.group(0))   # the kernel refused a ring
        self.assertLines(res, ['virtio-blk: verify ok'])
        self.assertStatus(res, debug_exit_status(0))

    def test_benchmark_phases(self):
        self.require_kvm()
        image = self.write_file('disk.img', b'\0' * (8 << 20))
        res = self.run_qkvm(self.blk_args(image, 'n=40 qd=8'))
        phases = re.findall(r'^phase=(\w+) qd=(\d+) n=40 bytes=(\d+) cycles=\d+ '
                            r'errors=(\d+)$', res.serial, re.M)
        self.assertEqual(phases, [('randread', '1', '4096', '0'),
                                  ('randwrite', '1', '4096', '0'),
                                  ('seqread', '1', '65536', '0'),
                                  ('seqwrite', '1', '65536', '0'),
                                  ('randread', '8', '4096', '0'),
                                  ('randwrite', '8', '4096', '0'),
                                  ('seqread', '8', '65536', '0'),
                                  ('seqwrite', '8', '65536', '0')], res.describe())
        self.assertStatus(res, debug_exit_status(0))


if __name__ == '__main__':
    unittest.main()
