"""SMP: APs started by the guest with INIT-SIPI-SIPI (xAPIC)."""

import unittest

from qkvm_test import QkvmTest, debug_exit_status


class SmpTest(QkvmTest):

    def check_smp(self, n):
        def check(res):
            self.assertLines(res, [
                'smp: hello',
                'smp: fw_cfg reports %d cpus' % n,
                'smp: %d cpus up' % n,
                'smp: apic ids: ' + ' '.join(str(i) for i in range(n)),
            ])
            self.assertStatus(res, debug_exit_status(0))

        self.run_both(self.guest_args(self.guest('smp'), ['-smp', str(n)]), check)

    def test_smp1(self):
        self.check_smp(1)

    def test_smp2(self):
        self.check_smp(2)

    def test_smp4(self):
        self.check_smp(4)


if __name__ == '__main__':
    unittest.main()
