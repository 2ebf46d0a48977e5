#!/usr/bin/env python3
"""Write the hand-made seed inputs of tests/fuzz/corpus (run once; the
output is checked in).  Kernel seeds are the built test guests:
    tests/fuzz/make-seeds.py BUILDDIR
"""
import os
import shutil
import struct
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data.encode() if isinstance(data, str) else data)


def guid(s):
    return uuid.UUID(s).bytes_le


def ovmf_tail(entries):
    """The last 4 KiB of an image: entries (guid, data) downwards from the
    footer, which sits 32 bytes before the end (OVMF ResetVector)."""
    size = 4096
    fw = bytearray(b'\xff' * size)
    foot = size - 32 - 18
    pos = foot
    for g, data in entries:
        ln = len(data) + 18
        fw[pos - 16:pos] = guid(g)
        fw[pos - 18:pos - 16] = struct.pack('<H', ln)
        fw[pos - ln:pos - ln + len(data)] = data
        pos -= ln
    fw[foot + 2:foot + 18] = guid('96b582de-1fb2-45f7-baea-a366c55a082d')
    fw[foot:foot + 2] = struct.pack('<H', foot - pos + 18)
    return bytes(fw)


def elf64(etype, entry, phdrs, interp=None):
    """A minimal x86-64 ELF: headers, then each PT_LOAD's bytes."""
    ph = []
    body = b''
    off = 64 + 56 * (len(phdrs) + (1 if interp else 0))
    if interp:
        ip = interp.encode() + b'\0'
        ph.append(struct.pack('<IIQQQQQQ', 3, 4, off, 0x400000 + off,
                              0x400000 + off, len(ip), len(ip), 1))
        body += ip
        off += len(ip)
    for vaddr, code, memsz in phdrs:
        ph.append(struct.pack('<IIQQQQQQ', 1, 5, 0, vaddr, vaddr,
                              off + len(code), max(memsz, off + len(code)),
                              0x1000))
        body += code
        off += len(code)
    eh = b'\x7fELF' + bytes([2, 1, 1, 0]) + b'\0' * 8
    eh += struct.pack('<HHIQQQIHHHHHH', etype, 62, 1, entry, 64, 0, 0, 64,
                      56, len(ph), 64, 0, 0)
    return eh + b''.join(ph) + body


def virtio_seeds():
    """Op streams for fuzz-virtio.c: enumerate and enable the devices,
    driver init, requests on each queue, MSI-X on."""
    def op(code, dev=0, sz=0):
        return bytes([code | dev << 3 | sz << 4])

    def cfg_read(dev, reg, sz=2):
        return op(1, dev, sz) + bytes([reg])

    def chain(dev, q, descs):
        """descs: (buffer offset, len, flags) in the queue's data area"""
        b = op(6, dev, q) + bytes([len(descs) - 1])
        for off, ln, fl in descs:
            b += struct.pack('<HHB', off, ln, fl)
        return b

    def ram(addr, data):
        return op(5) + struct.pack('<IB', addr, len(data) - 1) + data

    def init(dev, features=0, msix=False):
        return op(7, dev, 0) + struct.pack('<IBB', features, 1, 0 if msix else 3)

    # ring_base(dev, q) + RING_BUFS (fuzz-virtio.c)
    def bufs(dev, q):
        return 0x100000 + (dev * 2 + q) * 0x10000 + 0x4000

    enum = b''
    for dev in (0, 1):
        enum += cfg_read(dev, 0) + cfg_read(dev, 0x10) + cfg_read(dev, 0x20)
        enum += cfg_read(dev, 0x34, 0) + op(7, dev, 2) + struct.pack('<H', 6)
        enum += op(3, dev, 2) + struct.pack('<H', 0x12)    # num_queues
        enum += op(3, dev, 2) + struct.pack('<H', 0x2000)  # device config
    put('virtio', 'enumerate', enum)
    put('virtio', 'rng-read', init(0) + chain(0, 0, [(0, 64, 2)]) +
        op(3, 0, 0) + struct.pack('<H', 0x1000))
    W = 2   # VIRTQ_DESC_F_WRITE
    # virtio-blk requests (5.2.6): header at +0, data at +0x200,
    # status at +0x1000; types IN 0, OUT 1, FLUSH 4, GET_ID 8, DISCARD 11
    blk = init(1, 1 << 13 | 1 << 9 | 1 << 5)
    for typ, sector, data in ((0, 0, W), (1, 3, 0), (4, 0, None),
                              (8, 0, W), (0, 127, W), (1, 128, 0)):
        blk += ram(bufs(1, 0), struct.pack('<IIQ', typ, 0, sector))
        descs = [(0, 16, 0)]
        if data is not None:
            descs.append((0x200, 512 if typ != 8 else 20, data))
        descs.append((0x1000, 1, W))
        blk += chain(1, 0, descs)
    put('virtio', 'blk-requests', blk)
    disc = init(1, 1 << 13)
    disc += ram(bufs(1, 0), struct.pack('<IIQ', 13, 0, 0))
    disc += ram(bufs(1, 0) + 0x200, struct.pack('<QII', 2, 4, 0))
    disc += chain(1, 0, [(0, 16, 0), (0x200, 16, 0), (0x1000, 1, W)])
    put('virtio', 'blk-discard', disc)
    # MSI-X: enable, table entry 1 -> 0xfee00000/0x31 unmasked, then a
    # request that completes with a message
    msix = op(7, 1, 1) + struct.pack('<H', 0x8000)
    for i, v in enumerate((0xfee00000, 0, 0x31, 0)):
        msix += op(4, 1, 2) + struct.pack('<HB', 16 + 4 * i, 0) + struct.pack('<I', v)
    msix += init(1, 0, msix=True)
    msix += ram(bufs(1, 0), struct.pack('<IIQ', 0, 0, 1))
    msix += chain(1, 0, [(0, 16, 0), (0x200, 512, W), (0x1000, 1, W)])
    msix += op(4, 1, 2) + struct.pack('<HB', 0x800, 1)    # PBA
    put('virtio', 'msix', msix)
    # INDIRECT_DESC and EVENT_IDX (2.7.5.3, 2.7.10): a chain of one
    # indirect descriptor pointing at a two-entry table in RAM
    table = struct.pack('<QIHH', 0x201000, 16, 3, 1) + \
        struct.pack('<QIHH', 0x202000, 32, 2, 0)
    ind = init(0, 1 << 28 | 1 << 29) + ram(0x200000, table)
    ind += op(6, 0, 0) + bytes([0]) + struct.pack('<HHB', 0, 32, 0x90) + \
        struct.pack('<I', 0x200000)
    put('virtio', 'rng-indirect-event-idx', ind)


def riscv_virt_seeds():
    """fuzz-qtest.c op streams (raw qtest lines) for the riscv64 virt
    machine: PLIC set-up, claim and complete of the UART's source 10,
    UART registers, the test device's commands."""
    def lines(*ls):
        b = b''
        for l in ls:
            l = l.encode()
            b += bytes([7, len(l)]) + l
        return b
    plic = 0x0c000000
    put('riscv-virt', 'plic-uart', lines(
        'writel 0x%x 0x7' % (plic + 4 * 10),            # priority 10
        'writel 0x%x 0x400' % (plic + 0x2000),          # context 0 (hart 0
        'writel 0x%x 0x0' % (plic + 0x200000),          # S-mode): enable,
        'writeb 0x10000001 0x2',                         # threshold; UART
        'readl 0x%x' % (plic + 0x1000),                 # IER THRE; pending,
        'readl 0x%x' % (plic + 0x200004),               # claim,
        'writel 0x%x 0xa' % (plic + 0x200004),          # complete
        'readl 0x%x' % (plic + 0x200004),               # claim again
        'writel 0x%x 0x3ff' % (plic + 0x1ffffc),        # reserved
        'readl 0x%x' % (plic + 0x3ffffc)))
    put('riscv-virt', 'uart', lines(
        'writeb 0x10000003 0x80', 'writeb 0x10000000 0x1',
        'writeb 0x10000003 0x3', 'writeb 0x10000002 0xc7',
        'writeb 0x10000004 0x10', 'writeb 0x10000000 0x41',
        'readb 0x10000005', 'readb 0x10000000', 'readb 0x10000002'))
    put('riscv-virt', 'test-dev', lines(
        'writel 0x100000 0x7777', 'writel 0x100000 0x5555',
        'writel 0x100000 0x13333', 'writel 0x100000 0x1234',
        'readl 0x100000', 'writew 0x100002 0x1'))


def main():
    # option arguments: first byte picks the implied key
    for i, s in enumerate(['\0mem-lock=on,cpu-pm=off',
                           '\1pc,accel=kvm:qtest',
                           '\2isa-serial,chardev=c0,id=d0,iobase=0x3f8',
                           '\3socket,id=mon,path=/tmp/x,server=on,wait=off',
                           '\4512M',
                           '\2{"driver":"isa-debug-exit","iobase":244,"x":[1,{"a":null}]}',
                           '\0a=b,,c,d,,,e=,=f,g',
                           '\4 18446744073709551615E',
                           '\0on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny']):
        put('opts', '%d' % i, s)
    # QMP sessions
    put('qmp', 'caps-queries',
        '{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n'
        '{"execute":"query-commands","id":1}\n{"execute":"query-cpus-fast"}\n'
        '{"execute":"qom-list","arguments":{"path":"/machine"}}\n'
        '{"execute":"qom-get","arguments":{"path":"/machine","property":"type"}}\n'
        '{"execute":"query-qmp-schema"}\n')
    put('qmp', 'errors',
        '{"execute":"nope"}\n{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}\n'
        '{"execute":"qmp_capabilities"}\n{"execute":"stop","arguments":{"x":1}}\n'
        '[1,2]\n{"execute":1e999999}\n{"execute":"cont","id":{"deep":[[[[[]]]]]}}\n'
        '{"exec\xff\xfeute"\n}}}{\n"\\ud800"\n')
    put('qmp', 'hmp-run-state',
        '{"execute":"qmp_capabilities"}\n'
        '{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}\n'
        '{"execute":"cont"}\n{"execute":"stop"}\n{"execute":"system_reset"}\n'
        '{"execute":"system_powerdown"}\n{"execute":"query-cpu-model-expansion",'
        '"arguments":{"type":"full","model":{"name":"qemu64","props":{"x2apic":true}}}}\n')
    put('qmp', 'deep', '[' * 2000 + ']' * 2000 + '\n' + '{"a":' * 1100 + '1' + '}' * 1100)
    # qtest op streams (fuzz-qtest.c decodes them): a raw command line,
    # port writes, a fw_cfg DMA descriptor, clock steps
    raw = b'outb 0x3f8 0x41\nreadl 0xfee00030\nwrite 0x1000 0x4 0x01020304\n'
    put('qtest', 'raw-lines', bytes([7, len(raw)]) + raw)
    put('qtest', 'ports', bytes([1, 1, 0, 0, 0x41, 0x11, 1, 4, 0, 0x34, 0x12,
                                 0x21, 2, 0, 0, 0x80, 0, 0, 0, 0, 2, 1, 0,
                                 6, 0x40, 0x42, 0x0f]))
    put('qtest', 'fwcfg-dma', bytes([5, 0x10, 0, 0x00, 0x19, 0x00, 0x02,
                                     0, 0, 0x10, 0, 0, 0x20, 0, 0]))
    put('qtest', 'mmio', bytes([3 | 0x20, 1, 0x20, 0, 0x55, 0xaa, 0, 0,
                                2 | 0x30, 2, 0x30, 0]))
    virtio_seeds()
    riscv_virt_seeds()
    # migration (fuzz-migration.c): mode 2 with no patch, the machine's
    # own stream; seed-qtest-pc-stream is mode 0 and a stream saved by
    # QMP migrate from "qkvm-system-x86_64 -accel qtest -nodefaults -m 2M
    # -serial null" (the fuzz machine's sections, virtio blocks migration);
    # seed-kvm-counter-stream is mode 1 and the counter guest of
    # tests/functional/test_migration.py under KVM with -m 32M, saved by
    # QMP migrate (cpu and kvm-irqchip sections: refused by the machine)
    put('migration', 'own-state', bytes([2]))
    # sev (fuzz-sev.c): NUL-separated fields: sev-guest properties,
    # dh-cert-file and session-file contents, launch secret header and
    # data (base64), gpa.  A launch secret is a 52-byte header and data
    # in 16-byte units (SEV API 6.6).
    import base64
    b64 = lambda b: base64.b64encode(b).decode()
    hdr, secret = b64(bytes(range(52))), b64(bytes(range(64)))
    put('sev', 'sev-secret', '\0'.join([
        'policy=0x1,cbitpos=51,reduced-phys-bits=1', b64(b'dh-cert' * 20),
        b64(b'session' * 10) + '\n', hdr, secret]))
    put('sev', 'sev-es-hashes-gpa', '\0'.join([
        'policy=0x5,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,'
        'legacy-vm-type=off,handle=7', b64(b'dh'), b64(b'session'), hdr,
        secret, '0x3000']))
    put('sev', 'bad-props', 'policy=0x100000000,cbitpos=47')
    put('sev', 'bad-base64', '\0'.join([
        'cbitpos=51,reduced-phys-bits=1', '!!not base64', 'QUJD', 'QUJ=',
        'QUJDRA==']))
    # OVMF tails: reset block, hashes and secret areas; an entry too long
    put('ovmf', 'sev-es', ovmf_tail([
        ('00f771de-1a7e-4fcb-890e-68c77e2fb44e', struct.pack('<I', 0xffffe000)),
        ('7255371f-3a3b-4b04-927b-1da6efa8d454', struct.pack('<II', 0x80c000, 0x400)),
        ('4c2eb361-7d9b-4cc3-8081-127c90d3d294', struct.pack('<II', 0x80d000, 0x1000)),
    ]))
    put('ovmf', 'zero-reset', ovmf_tail([
        ('00f771de-1a7e-4fcb-890e-68c77e2fb44e', struct.pack('<I', 0))]))
    # user ELF programs: static, static-PIE, with an interpreter
    code = bytes([0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05])  # exit(0)
    put('elf-user', 'static', elf64(2, 0x400078, [(0x400000, code, 0)]))
    put('elf-user', 'pie', elf64(3, 0x78, [(0, code, 0x3000)]))
    put('elf-user', 'interp', elf64(2, 0x400000 + 64 + 112 + 16,
                                    [(0x400000, code, 0)],
                                    interp='/lib64/ld-linux-x86-64.so.2'))
    # user system calls: call index, then per argument a mode byte and
    # its bytes (fuzz-user-syscall.c); deterministic pseudo-random blobs,
    # the second half of each being the scratch memory
    import hashlib
    for i in range(4):
        blob = b''.join(hashlib.sha256(b'user-syscall %d %d' % (i, j)).digest()
                        for j in range(8 * (i + 1)))
        put('user-syscall', 'blob%d' % i, blob)
    # mmap(scratch, 0x1000, RW, PRIVATE|ANON|FIXED, -1, 0), then munmap
    put('user-syscall', 'mmap-munmap',
        bytes([0, 0, 0x00, 0x10, 0, 0x00, 0x10, 1, 3, 0, 0, 0, 1, 0x32, 0, 0, 0,
               3, 1, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0,
               1, 0, 0x00, 0x10, 0, 0x00, 0x10]) + bytes(36))
    if len(sys.argv) > 1:
        g = os.path.join(sys.argv[1], 'tests', 'guests')
        for name in ['multiboot.elf', 'pvh.elf', 'bzimage.bin']:
            shutil.copy(os.path.join(g, name),
                        os.path.join(HERE, 'corpus', 'x86-boot', 'seed-' + name))


if __name__ == '__main__':
    main()
