"""System firmware: -bios and -drive if=pflash map the image so it ends at
4 GiB and the BSP starts at the reset vector 0xfffffff0 like a real CPU;
the firmware images are made here, a few bytes of 16-bit code each."""

import json
import os
import unittest

from qkvm_test import (QkvmTest, BASE_ARGS, DEFAULT_ARGS, VmTimeout,
                       debug_exit_status)

KIB = 1024


def firmware(size, code, data=None, far=False):
    """An image of size bytes filled with HLT whose reset vector (16 bytes
    before the end) jumps to code at the start of the last 64 KiB (CS
    offset 0: CS.base is 0xffff0000 at reset).  data: {offset in that
    64 KiB: byte}.  far: jump to F000:0000 instead, that is to 0xf0000,
    the same bytes through the BIOS alias below 1 MiB."""
    img = bytearray(b'\xf4' * size)
    seg = size - 64 * KIB
    img[seg:seg + len(code)] = code
    for off, val in (data or {}).items():
        img[seg + off] = val
    if far:
        # jmp far f000:0000 (EA ptr16:16)
        img[size - 16:size - 11] = bytes([0xea, 0, 0, 0x00, 0xf0])
    else:
        # jmp near 0x0000 from 0xfff0 (E9 rel16, relative to 0xfff3)
        img[size - 16:size - 13] = b'\xe9' + ((0 - 0xfff3) & 0xffff).to_bytes(2, 'little')
    return bytes(img)


# mov al, 0x2a; out 0xf4, al
EXIT_2A = bytes([0xb0, 0x2a, 0xe6, 0xf4])
# mov byte [cs:0x100], 0x55; mov al, [cs:0x100]; out 0xf4, al
WRITE_ROM = bytes([0x2e, 0xc6, 0x06, 0x00, 0x01, 0x55,
                   0x2e, 0xa0, 0x00, 0x01, 0xe6, 0xf4])


# Flash commands from a guest under KVM.  The code cannot run from the
# flash while a command hides its array (an instruction fetch cannot be
# emulated from MMIO, as with QEMU), so the reset code in unit 0 enters
# flat 32-bit protected mode, copies a routine to RAM at 0x7000 and
# jumps there.
VARS_BASE = 0x100000000 - 256 * KIB - 128 * KIB     # unit 1 below unit 0
PM_OFF, GDT_OFF, GDTR_OFF, ROUTINE_OFF = 0x40, 0x200, 0x220, 0x300


def le32(v):
    return v.to_bytes(4, 'little')


def mem_store(addr, val):
    # mov byte [addr], val
    return bytes([0xc6, 0x05]) + le32(addr) + bytes([val])


def mem_load_al(addr):
    # mov al, [addr]
    return bytes([0xa0]) + le32(addr)


def expect_al(val, code):
    # cmp al, val; je +4; mov al, code; out 0xf4, al
    return bytes([0x3c, val, 0x74, 0x04, 0xb0, code, 0xe6, 0xf4])


def flash_guest(probe=False):
    """probe: exit 0x11 at the first protected-mode instruction instead."""
    v = VARS_BASE
    routine = b''.join([
        mem_store(v + 0x10, 0x10), mem_store(v + 0x10, 0x5a),   # program
        mem_load_al(v + 0x10), expect_al(0x80, 1),              # status ready
        mem_store(v + 0x10, 0xff),                              # read array
        mem_load_al(v + 0x10), expect_al(0x5a, 2),
        mem_store(v + 0x1000, 0x20), mem_store(v + 0x1000, 0xd0),  # erase
        mem_store(v, 0xff),
        mem_load_al(v + 0x1800), expect_al(0xff, 3),
        mem_store(v, 0x98), mem_load_al(v + 0x10), expect_al(ord('Q'), 4),
        mem_store(v, 0xff), mem_load_al(v + 0x10), expect_al(0x5a, 5),
        bytes([0xb0, 0x2a, 0xe6, 0xf4, 0xf4]),      # exit 0x2a; hlt
    ])
    boot = bytes([
        0xfa,                                       # cli
        0x66, 0x2e, 0x0f, 0x01, 0x16, GDTR_OFF & 0xff, GDTR_OFF >> 8,
        0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0,  # CR0.PE = 1
        0x66, 0xea]) + le32(0xffff0000 + PM_OFF) + bytes([0x10, 0x00])
    pm = bytes([0xb0, 0x11, 0xe6, 0xf4]) if probe else bytes([
        0xb8, 0x08, 0, 0, 0,                        # mov eax, 8
        0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0,         # ds, es, ss
        0xbe]) + le32(0xffff0000 + ROUTINE_OFF) + bytes([   # mov esi
        0xbf]) + le32(0x7000) + bytes([             # mov edi
        0xb9]) + le32(len(routine)) + bytes([       # mov ecx
        0xfc, 0xf3, 0xa4,                           # cld; rep movsb
        0xb8]) + le32(0x7000) + bytes([0xff, 0xe0])  # jmp 0x7000
    # null; 0x08 data and 0x10 32-bit code: base 0, limit 4 GiB
    gdt = bytes(8) + bytes([0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0]) + \
        bytes([0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0])
    gdtr = (23).to_bytes(2, 'little') + le32(0xffff0000 + GDT_OFF)
    data = {}
    for off, blob in ((PM_OFF, pm), (GDT_OFF, gdt), (GDTR_OFF, gdtr),
                      (ROUTINE_OFF, routine)):
        for i, b in enumerate(blob):
            data[off + i] = b
    return firmware(256 * KIB, boot, data)


class FirmwareTest(QkvmTest):

    def fw_args(self, *extra):
        return DEFAULT_ARGS + BASE_ARGS + list(extra)

    def test_bios_reset_vector(self):
        bios = self.write_file('bios.bin', firmware(128 * KIB, EXIT_2A))
        res = self.run_both(self.fw_args('-bios', bios), serial=None)
        self.assertStatus(res, debug_exit_status(0x2a))

    def test_bios_alias_below_1mib(self):
        # the last 128 KiB appear again at 0xe0000, as QEMU's isa-bios
        for size in (64 * KIB, 256 * KIB):
            with self.subTest(size=size):
                bios = self.write_file('bios.bin',
                                       firmware(size, EXIT_2A, far=True))
                res = self.run_both(self.fw_args('-bios', bios), serial=None)
                self.assertStatus(res, debug_exit_status(0x2a))

    def test_seabios_starts(self):
        # Debian's SeaBIOS gets to its banner and finds fw_cfg (it then
        # needs the i440FX's shadow RAM, which qkvm does not emulate)
        bios = '/usr/share/seabios/bios-256k.bin'
        if not os.path.exists(bios):
            self.skipTest('%s not found (Debian package seabios)' % bios)
        self.require_kvm()
        log = os.path.join(self.workdir, 'debugcon.log')
        try:
            self.run_qkvm(self.fw_args(
                '-bios', bios, '-chardev', 'file,id=dc,path=' + log,
                '-device', 'isa-debugcon,iobase=0x402,chardev=dc'),
                serial=None, timeout=5)
        except VmTimeout:
            pass        # it does not end by itself
        with open(log, errors='replace') as f:
            text = f.read()
        self.assertIn('SeaBIOS (version', text)
        self.assertIn('Found QEMU fw_cfg', text)

    def test_bios_is_read_only(self):
        # the guest's write to its ROM is dropped: it reads back 0x21
        bios = self.write_file('bios.bin',
                               firmware(64 * KIB, WRITE_ROM, {0x100: 0x21}))
        res = self.run_both(self.fw_args('-bios', bios), serial=None)
        self.assertStatus(res, debug_exit_status(0x21))

    def test_pflash_code_and_vars(self):
        code = self.write_file('code.fd', firmware(256 * KIB, EXIT_2A))
        vars_ = self.write_file('vars.fd', b'\xff' * (128 * KIB))
        res = self.run_both(self.fw_args(
            '-drive', 'if=pflash,format=raw,unit=0,file=%s,readonly=on' % code,
            '-drive', 'if=pflash,format=raw,unit=1,file=%s' % vars_),
            serial=None)
        self.assertStatus(res, debug_exit_status(0x2a))
        with open(vars_, 'rb') as f:
            self.assertEqual(f.read(), b'\xff' * (128 * KIB))

    def blockdev_args(self, code, vars_, code_ro=True):
        """libvirt 9.0's form for <loader readonly='yes' type='pflash'>
        and <nvram>: file and raw nodes, named by -machine pflash0/1."""
        args = []
        for unit, path, ro in ((0, code, code_ro), (1, vars_, False)):
            args += ['-blockdev', json.dumps({
                'driver': 'file', 'filename': path,
                'node-name': 'libvirt-pflash%d-storage' % unit,
                'auto-read-only': True, 'discard': 'unmap'})]
            args += ['-blockdev', json.dumps({
                'node-name': 'libvirt-pflash%d-format' % unit,
                'read-only': ro, 'driver': 'raw',
                'file': 'libvirt-pflash%d-storage' % unit})]
        return args + ['-machine', 'pc-i440fx-7.2,usb=off,dump-guest-core=off,'
                       'pflash0=libvirt-pflash0-format,'
                       'pflash1=libvirt-pflash1-format']

    def test_pflash_blockdev_form(self):
        # the same images through -blockdev and -machine pflash0/pflash1
        # start the same way (QEMU too) and leave the vars file alone
        code = self.write_file('code.fd', firmware(256 * KIB, EXIT_2A))
        vars_ = self.write_file('vars.fd', b'\xff' * (128 * KIB))
        res = self.run_both(self.fw_args(*self.blockdev_args(code, vars_)),
                            serial=None)
        self.assertStatus(res, debug_exit_status(0x2a))
        with open(vars_, 'rb') as f:
            self.assertEqual(f.read(), b'\xff' * (128 * KIB))

    def test_pflash_blockdev_errors(self):
        good = self.write_file('good.fd', firmware(64 * KIB, EXIT_2A))
        node = ['-blockdev', 'driver=file,filename=%s,node-name=n0' % good]
        cases = [
            (['-machine', 'pc,pflash0=nosuch'],
             "Property 'cfi.pflash01.drive' can't find value 'nosuch'"),
            (node + ['-machine', 'pc,pflash0=n0,pflash1=n0'],
             "Drive 'n0' is already in use by another device"),
            (node + ['-machine', 'pc,pflash0=n0', '-drive',
                     'if=pflash,format=raw,unit=0,readonly=on,file=' + good],
             'both give flash unit 0'),
            (node + ['-machine', 'pc,pflash1=n0'], 'needs unit 0'),
            (node + ['-machine', 'pc,pflash2=n0'],
             "Property 'pc-i440fx-7.2-machine.pflash2' not found"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                self.assertError(args, message)

    def test_pflash_commands_from_guest(self):
        # under KVM: program, status, erase and CFI query on unit 1 (the
        # array slot removed and restored around each), then the file;
        # QEMU runs the same code on the same files
        vars_ = self.write_file('vars.fd', b'\x00' * (128 * KIB))
        self.require_kvm()
        probe = self.write_file('probe.fd', flash_guest(probe=True))
        try:
            res = self.run_qkvm(self.fw_args(
                '-drive', 'if=pflash,format=raw,unit=0,file=%s,readonly=on'
                % probe), serial=None, timeout=10)
        except VmTimeout:
            # measured on the nested kvm_pvm host: QEMU 7.2 hangs there too
            self.skipTest('this host\'s KVM does not run the guest past its '
                          'far jump into 32-bit protected mode (probe '
                          'firmware timed out after 10 s)')
        self.assertStatus(res, debug_exit_status(0x11))
        code = self.write_file('code.fd', flash_guest())
        for form in ('drive', 'blockdev'):
            with self.subTest(form=form):
                if form == 'drive':
                    args = ['-drive', 'if=pflash,format=raw,unit=0,file=%s,'
                            'readonly=on' % code,
                            '-drive', 'if=pflash,format=raw,unit=1,file=' + vars_]
                else:
                    args = self.blockdev_args(code, vars_)
                res = self.run_both(self.fw_args(*args), serial=None)
                self.assertStatus(res, debug_exit_status(0x2a))
                with open(vars_, 'rb') as f:
                    img = f.read()
                expect = bytearray(128 * KIB)
                expect[0x10] = 0x5a
                expect[0x1000:0x2000] = b'\xff' * 0x1000
                self.assertEqual(img, bytes(expect))

    def assertError(self, args, message):
        res = self.run_qkvm(self.fw_args(*args), serial=None)
        self.assertStatus(res, 1)
        lines = res.stderr_lines()
        self.assertEqual(len(lines), 1, res.describe())
        self.assertIn(message, lines[0], res.describe())

    def test_errors(self):
        good = self.write_file('good.fd', firmware(64 * KIB, EXIT_2A))
        odd = self.write_file('odd.fd', b'\xf4' * 5000)
        pf = 'if=pflash,format=raw,unit=0,readonly=on,file='
        cases = [
            (['-bios', odd], "could not load PC BIOS '%s'" % odd),
            (['-bios', self.workdir + '/nonexistent'], 'nonexistent'),
            (['-drive', pf + odd], 'has invalid size 5000'),
            (['-drive', 'if=pflash,unit=2,file=' + good], 'unit 2 too big (max is 1)'),
            (['-drive', pf + good, '-drive', pf + good],
             'drive with bus=0, unit=0 (index=0) exists'),
            (['-drive', 'if=pflash,format=qcow2,file=' + good],
             "format 'qcow2' is not supported"),
            (['-drive', 'if=sd,file=' + good], "Drive interface 'sd' is not supported"),
            (['-drive', 'if=pflash,unit=1,file=' + good], 'needs unit 0'),
            (['-bios', good, '-drive', pf + good], '-bios and -drive if=pflash'),
            (['-bios', good, '-kernel', good, '-initrd', good + ',' + good],
             '-initrd: firmware takes one initrd file'),
            (['-drive', 'if=pflash,unit=0,file=%s,bogus=1' % good],
             "Invalid parameter 'bogus'"),
        ]
        big = self.write_file('big.fd', b'\xf4' * (6 * 1024 * KIB))
        cases.append((['-drive', pf + big, '-drive',
                       'if=pflash,format=raw,unit=1,file=' + big],
                      'combined size of system firmware exceeds 8388608 bytes'))
        for args, message in cases:
            with self.subTest(args=args):
                self.assertError(args, message)


if __name__ == '__main__':
    unittest.main()
