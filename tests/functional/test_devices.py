"""Board devices seen by a guest: fw_cfg and the CMOS RTC; the benchmark
guests' virtio-blk and virtio-net drivers."""

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


class VirtioNetDriverTest(QkvmTest):
    """The polling virtio-net driver of tests/guests/virtio-net.c (the
    network benchmark's guest) against qkvm's virtio-net-pci on -netdev
    user: its MTU-sized UDP frames reach a host socket whole and in order,
    and datagrams sent to the hostfwd port reach it, acknowledged."""

    N = 20

    def test_udp_both_ways(self):
        import socket
        import threading
        self.require_kvm()
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ack = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for so in (sink, ack, probe):
            so.bind(('127.0.0.1', 0))
            self.addCleanup(so.close)
        sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        fwd = probe.getsockname()[1]
        probe.close()       # a free port for hostfwd
        stop = threading.Event()

        def feed():
            # until the guest is done: a datagram to the hostfwd port every
            # 10 ms (those before its receive phase wait in its ring)
            out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            while not stop.wait(0.01):
                out.sendto(b'\x5a' * 1472, ('127.0.0.1', fwd))
            out.close()

        feeder = threading.Thread(target=feed)
        feeder.start()
        try:
            res = self.run_qkvm(self.guest_args(self.guest('virtio-net'), [
                '-netdev', 'user,id=n0,hostfwd=udp:127.0.0.1:%d-:%d' % (fwd, fwd),
                '-device', 'virtio-net-pci,netdev=n0', '-append',
                'n=%d port=%d rxport=%d ackport=%d' % (
                    self.N, sink.getsockname()[1], fwd, ack.getsockname()[1])]))
        finally:
            stop.set()
            feeder.join()
        if 'not built' in res.describe() or 'libslirp' in res.describe():
            self.skipTest('-netdev user is not built in: ' + res.describe())
        self.assertRegex(res.serial, r'phase=tx n=%d bytes=1514 cycles=\d+' % self.N)
        self.assertRegex(res.serial, r'phase=rx n=%d bytes=1514 cycles=\d+' % self.N)
        self.assertStatus(res, debug_exit_status(0))
        sink.settimeout(2)
        seqs = []
        for _ in range(self.N):
            data = sink.recv(65536)
            self.assertEqual(len(data), 1472)
            seqs.append(struct.unpack('<I', data[:4])[0])
        self.assertEqual(seqs, list(range(self.N)))
        ack.settimeout(2)
        self.assertEqual(struct.unpack('<I', ack.recv(64))[0], self.N)


if __name__ == '__main__':
    unittest.main()
