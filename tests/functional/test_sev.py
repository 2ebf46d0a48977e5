"""SEV-ES launch: the sev-guest object, the launch sequence through the
simulated SEV firmware (x-sim-firmware=on, test only) with Debian's OVMF,
and QMP's query-sev / query-sev-launch-measure / sev-inject-launch-secret.

The measurement the VMM's launch produces (query-sev-launch-measure: the
simulated PSP's HMAC over the launch digest of the firmware and the VMSAs
KVM holds for the vCPUs) must be the one qkvm-sev-measure predicts offline
for the same firmware, vCPU count and CPU type.  On this host (no SEV)
a real sev-guest must fail with "SEV not available: ...".
"""

import base64
import os
import random
import struct
import subprocess
import unittest
import uuid

from test_qmp import QMPClient, QMPTestBase

OVMF_DIRS = ('/usr/share/OVMF', '/usr/share/ovmf')
SIM = 'x-sim-firmware=on'
SEV_ES = 'sev-guest,id=sev0,policy=0x5,cbitpos=51,reduced-phys-bits=1'


def measure_tool():
    return os.environ.get('QKVM_SEV_MEASURE') or os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), 'build', 'tools', 'qkvm-sev-measure')


def ovmf(name):
    for d in OVMF_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def footer_table_image(size, entries):
    """A firmware image of random bytes whose OVMF footer table (read
    backwards from 32 bytes before the end: each entry is data, le16
    length, GUID) holds entries, a list of (GUID, data)."""
    rnd = random.Random(size)
    img = bytearray(rnd.getrandbits(8) for _ in range(size))
    body = b''
    for guid, data in entries:
        body += data + struct.pack('<H', len(data) + 18) + \
            uuid.UUID(guid).bytes_le
    table = body + struct.pack('<H', len(body) + 18) + \
        uuid.UUID('96b582de-1fb2-45f7-baea-a366c55a082d').bytes_le
    img[size - 32 - len(table):size - 32] = table
    return bytes(img)


SEV_ES_RESET_BLOCK = '00f771de-1a7e-4fcb-890e-68c77e2fb44e'
SEV_HASH_TABLE_RV = '7255371f-3a3b-4b04-927b-1da6efa8d454'


class SevTest(QMPTestBase):

    def setUp(self):
        super().setUp()
        if not self.is_qkvm():
            self.skipTest('x-sim-firmware is qkvm\'s own test backend')
        self.tik = self.write_file('tik.bin', bytes(range(16)))

    launches = 0

    def launch(self, fw_args, smp=1, cpu='EPYC', sev=SEV_ES, extra=()):
        # one socket per VM: a failed subtest leaves its VM to the cleanup
        SevTest.launches += 1
        self.sock_path = os.path.join(self.workdir,
                                      'qmp%d.sock' % SevTest.launches)
        args = ['-accel', 'kvm', '-cpu', cpu, '-smp', str(smp),
                '-display', 'none', '-nodefaults', '-S',
                '-qmp', 'unix:%s,server=on,wait=off' % self.sock_path,
                '-machine', 'pc,confidential-guest-support=sev0',
                '-object', '%s,%s,x-sim-tik-file=%s' % (sev, SIM, self.tik)]
        self.proc = self.spawn(self.binary, args + fw_args + list(extra))
        self.qmp = QMPClient.connect_unix(self.sock_path)
        self.addCleanup(self.qmp.close)
        return self.qmp.negotiate()

    def predict(self, fw, mode, smp, cpu_opts, info, data, legacy=True):
        """qkvm-sev-measure checks data against its own prediction."""
        tool = measure_tool()
        if not os.access(tool, os.X_OK):
            self.skipTest('qkvm-sev-measure not built: %s' % tool)
        argv = [tool, '--mode', mode, '--vcpus', str(smp), '--ovmf', fw,
                '--tik', self.tik, '--policy', str(info['policy']),
                '--api-major', str(info['api-major']),
                '--api-minor', str(info['api-minor']),
                '--build-id', str(info['build-id']),
                '--launch-measure', data, '-v'] + cpu_opts
        if legacy:
            argv.append('--legacy-vm-type')
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def check_launch(self, image, smp, cpu, cpu_opts, pflash=True,
                     sev=SEV_ES, mode='seves'):
        fw = ovmf(image)
        if not fw:
            self.skipTest('%s not found in %s (Debian package ovmf)'
                          % (image, ' or '.join(OVMF_DIRS)))
        fw_args = (['-drive', 'if=pflash,format=raw,unit=0,readonly=on,'
                    'file=' + fw] if pflash else ['-bios', fw])
        qmp = self.launch(fw_args, smp, cpu, sev)
        info = qmp.cmd('query-sev')
        self.assertEqual(info['state'], 'launch-secret')
        self.assertTrue(info['enabled'])
        data = qmp.cmd('query-sev-launch-measure')['data']
        self.assertEqual(len(base64.b64decode(data)), 48)
        res = self.predict(fw, mode, smp, cpu_opts, info, data)
        self.assertEqual(res.returncode, 0, '%s\n%s' % (res.stdout, res.stderr))
        self.assertIn('Launch measurement matches', res.stdout)
        # a different prediction (SEV-ES: one more vCPU; SEV: another
        # policy) must not match
        if mode == 'seves':
            wrong = self.predict(fw, mode, smp + 1, cpu_opts, info, data)
        else:
            wrong = self.predict(fw, mode, smp, cpu_opts,
                                 dict(info, policy=info['policy'] ^ 2), data)
        self.assertEqual(wrong.returncode, 1, wrong.stdout)
        return qmp

    def test_launch_matches_prediction(self):
        cases = [
            ('OVMF_CODE.fd', 1, 'EPYC', ['--vcpu-type', 'EPYC'], True),
            ('OVMF_CODE.fd', 2, 'EPYC-Rome', ['--vcpu-type', 'EPYC-Rome'], True),
            ('OVMF_CODE_4M.fd', 4, 'EPYC-Milan', ['--vcpu-type', 'EPYC-Milan'], True),
            ('OVMF.fd', 2, 'EPYC', ['--vcpu-sig', '0x800f12'], False),
            # qemu64: family 15, model 107, stepping 1
            ('OVMF_CODE_4M.fd', 2, 'qemu64',
             ['--vcpu-family', '15', '--vcpu-model', '107',
              '--vcpu-stepping', '1'], True),
        ]
        for image, smp, cpu, opts, pflash in cases:
            with self.subTest(image=image, smp=smp, cpu=cpu):
                self.check_launch(image, smp, cpu, opts, pflash)
                self.qmp.cmd('quit')
                self.proc.wait(timeout=30)

    def test_sev_without_es(self):
        # policy without ES: plain SEV, no VMSA measured
        self.check_launch('OVMF_CODE.fd', 1, 'EPYC', [],
                          sev='sev-guest,id=sev0,policy=0x1,cbitpos=51,'
                              'reduced-phys-bits=1', mode='sev')

    def test_finish_secret_reset(self):
        qmp = self.check_launch('OVMF_CODE.fd', 2, 'EPYC',
                                ['--vcpu-type', 'EPYC'])
        hdr = base64.b64encode(bytes(52)).decode()
        secret = base64.b64encode(bytes(range(32))).decode()
        # Debian's OVMF has no secret area: the address must be given
        rsp = qmp.execute('sev-inject-launch-secret',
                          {'packet-header': hdr, 'secret': secret})
        self.assertError(rsp, 'GenericError',
                         'SEV: no secret area found in OVMF, gpa must be '
                         'specified.')
        rsp = qmp.execute('sev-inject-launch-secret',
                          {'packet-header': 'not base64!', 'secret': secret,
                           'gpa': 0x100000})
        self.assertError(rsp, 'GenericError', 'SEV: Failed to decode header')
        rsp = qmp.execute('sev-inject-launch-secret',
                          {'packet-header': hdr, 'secret': secret,
                           'gpa': 0xffffffff00})
        self.assertError(rsp, 'GenericError',
                         'SEV: Failed to calculate guest address')
        # the simulated firmware checks the packet's lengths
        rsp = qmp.execute('sev-inject-launch-secret',
                          {'packet-header': secret, 'secret': secret,
                           'gpa': 0x100000})
        self.assertError(rsp, 'GenericError',
                         'SEV: LAUNCH_SECRET failed: firmware error 0x4 '
                         '(INVALID_LENGTH)')
        qmp.cmd('sev-inject-launch-secret', **{'packet-header': hdr,
                                               'secret': secret,
                                               'gpa': 0x100000})
        # the simulated firmware has no key to sign a report with
        rsp = qmp.execute('query-sev-attestation-report',
                          {'mnonce': base64.b64encode(bytes(16)).decode()})
        self.assertError(rsp, 'GenericError',
                         'SEV: the simulated firmware cannot make an '
                         'attestation report')
        # cont: LAUNCH_FINISH, then the simulation cannot run the guest
        rsp = qmp.execute('cont')
        self.assertError(rsp, 'GenericError',
                         'SEV: the simulated firmware finished the launch; '
                         'the guest cannot run without SEV hardware')
        self.assertEqual(qmp.cmd('query-sev')['state'], 'running')
        self.assertFalse(qmp.cmd('query-status')['running'])
        # an encrypted guest cannot be saved
        rsp = qmp.execute('migrate', {'uri': 'file:/dev/null'})
        self.assertError(rsp, 'GenericError', 'migration is blocked: '
                         'SEV: Migration is not implemented')
        # LAUNCH_SECRET is refused once the launch has finished
        rsp = qmp.execute('sev-inject-launch-secret',
                          {'packet-header': hdr, 'secret': secret,
                           'gpa': 0x100000})
        self.assertError(rsp, 'GenericError', 'SEV: Not in correct state')
        # SEV-ES vCPUs cannot be reset: the machine terminates
        qmp.cmd('system_reset')
        self.proc.wait(timeout=30)
        err = self.proc.stderr.read().decode()
        self.assertIn('cpus are not resettable, terminating', err)

    def test_init2_vm_type(self):
        # legacy-vm-type=off: KVM_SEV_INIT2, whose VMSAs carry FCW 0x37f
        # and MXCSR 0x1f80: qkvm-sev-measure's default (sev-snp-measure
        # since its PR #48), not --legacy-vm-type
        fw = ovmf('OVMF_CODE.fd')
        if not fw:
            self.skipTest('OVMF_CODE.fd not found (Debian package ovmf)')
        qmp = self.launch(['-drive', 'if=pflash,format=raw,unit=0,'
                           'readonly=on,file=' + fw], 2, 'EPYC-Milan',
                          SEV_ES + ',legacy-vm-type=off')
        info = qmp.cmd('query-sev')
        data = qmp.cmd('query-sev-launch-measure')['data']
        cpu = ['--vcpu-type', 'EPYC-Milan']
        res = self.predict(fw, 'seves', 2, cpu, info, data, legacy=False)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        res = self.predict(fw, 'seves', 2, cpu, info, data, legacy=True)
        self.assertEqual(res.returncode, 1, res.stdout)

    def test_kernel_hashes(self):
        # measured direct boot: the firmware gets the kernel over fw_cfg,
        # the hashes table is written to its area and measured
        fw = self.write_file('hashes.fd', footer_table_image(0x40000, [
            (SEV_ES_RESET_BLOCK, struct.pack('<I', 0xffff8004)),
            (SEV_HASH_TABLE_RV, struct.pack('<II', 0x80c000, 0x400))]))
        kernel = self.write_file('vmlinuz', bytes(range(256)) * 300)
        initrd = self.write_file('initrd', b'initrd' * 1000)
        sev = SEV_ES + ',kernel-hashes=on'
        for extra, opts in (
                ([], ['--kernel', kernel]),
                (['-initrd', initrd, '-append', 'console=ttyS0 quiet'],
                 ['--kernel', kernel, '--initrd', initrd,
                  '--append', 'console=ttyS0 quiet'])):
            with self.subTest(extra=extra):
                qmp = self.launch(['-bios', fw, '-kernel', kernel] + extra,
                                  2, 'EPYC-Milan', sev)
                info = qmp.cmd('query-sev')
                data = qmp.cmd('query-sev-launch-measure')['data']
                cpu = ['--vcpu-type', 'EPYC-Milan']
                res = self.predict(fw, 'seves', 2, cpu + opts, info, data)
                self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
                # the same launch predicted without the kernel differs
                res = self.predict(fw, 'seves', 2, cpu, info, data)
                self.assertEqual(res.returncode, 1, res.stdout)
                qmp.cmd('quit')
                self.proc.wait(timeout=30)

    def assertError(self, rsp, cls, desc=None):
        super().assertError(rsp, cls)
        if desc is not None:
            self.assertEqual(rsp['error']['desc'], desc, rsp)

    def start_error(self, args):
        res = subprocess.run([self.binary, '-accel', 'kvm', '-display', 'none',
                              '-nodefaults'] + args,
                             capture_output=True, text=True, timeout=60)
        lines = [l for l in res.stderr.splitlines() if ': warning: ' not in l]
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertEqual(len(lines), 1, res.stderr)
        return lines[0]

    def test_errors(self):
        fw = ovmf('OVMF_CODE.fd')
        if not fw:
            self.skipTest('OVMF_CODE.fd not found (Debian package ovmf)')
        pf = ['-drive', 'if=pflash,format=raw,unit=0,readonly=on,file=' + fw]
        m = ['-machine', 'pc,confidential-guest-support=sev0']
        sim = ',' + SIM
        no_reset = self.write_file('noreset.fd', b'\xf4' * 65536)
        cases = [
            (m + ['-object', SEV_ES.replace('cbitpos=51', 'cbitpos=47') + sim]
             + pf, "cbitpos check failed, host '51' requested '47'"),
            (m + ['-object', SEV_ES.replace('reduced-phys-bits=1',
                                            'reduced-phys-bits=0') + sim] + pf,
             'reduced_phys_bits check failed, it should be in the range of '
             "1 to 1, requested '0'"),
            (m + ['-object', SEV_ES + sim, '-bios', no_reset],
             'SEV: firmware: '),
            (m + ['-object', SEV_ES + sim, '-kernel', self.guest('serial-irq')],
             'SEV needs firmware (-bios or -drive if=pflash)'),
            (['-machine', 'pc,confidential-guest-support=nope'] + pf,
             "no sev-guest object with id 'nope'"),
            (m + ['-object', SEV_ES + ',session-file=/nonexistent' + sim] + pf,
             'nonexistent'),
            (m + ['-object', SEV_ES + ',x-sim-tik-file=' + self.tik] + pf,
             'x-sim-tik-file needs x-sim-firmware=on'),
            (m + ['-object', SEV_ES + ',legacy-vm-type=maybe' + sim] + pf,
             "Parameter 'legacy-vm-type' does not accept value 'maybe'"),
            # Debian's OVMF has no hashes area (base 0)
            (m + ['-object', SEV_ES + ',kernel-hashes=on' + sim, '-kernel',
                  self.guest('serial-irq')] + pf,
             'SEV: firmware does not support kernel hashes'),
        ]
        for args, msg in cases:
            with self.subTest(msg=msg):
                self.assertIn(msg, self.start_error(args))

    def test_query_without_sev(self):
        qmp = self.start()
        self.assertError(qmp.execute('query-sev'), 'GenericError',
                         'SEV feature is not available')
        self.assertError(qmp.execute('query-sev-launch-measure'),
                         'GenericError',
                         'SEV launch measurement is not available')
        self.assertError(qmp.execute('query-sev-attestation-report',
                                     {'mnonce': 'AAAAAAAAAAAAAAAAAAAAAA=='}),
                         'GenericError', 'SEV feature is not available')


class SevHostTest(SevTest):
    """The real backend on this host."""

    def test_not_available(self):
        if os.path.exists('/dev/sev'):
            self.skipTest('/dev/sev exists: this host may run SEV guests')
        line = self.start_error(['-object', SEV_ES])
        self.assertIn('SEV not available: ', line)
        self.assertIn('/dev/sev: No such file or directory', line)

    def test_qom_list_types(self):
        # libvirt decides SEV support from qom-list-types, then
        # query-sev-capabilities
        if os.path.exists('/dev/sev'):
            self.skipTest('/dev/sev exists: this host may run SEV guests')
        qmp = self.start()
        types = {t['name'] for t in qmp.cmd('qom-list-types')}
        self.assertIn('secret', types)
        self.assertNotIn('sev-guest', types)
        self.assertError(qmp.execute('query-sev-capabilities'),
                         'GenericError', 'SEV is not enabled in KVM')

    # the inherited simulated-firmware tests run once, in SevTest
    test_launch_matches_prediction = None
    test_sev_without_es = None
    test_finish_secret_reset = None
    test_errors = None
    test_query_without_sev = None


if __name__ == '__main__':
    unittest.main()
