"""System reset through port 0xcf9, the keyboard controller and a triple
fault; -no-reboot turns a reset into an exit with status 0."""

import unittest

from qkvm_test import QkvmTest, debug_exit_status


class ResetTest(QkvmTest):

    def test_reboot(self):
        # the boot counter lives in CMOS NVRAM, which survives the resets
        def check(res):
            self.assertEqual(res.serial_lines(), [
                'reset: boot 1', 'reset: via port 0xcf9',
                'reset: boot 2', 'reset: via keyboard controller',
                'reset: boot 3', 'reset: via triple fault',
                'reset: boot 4', 'reset: done',
            ], res.describe())
            self.assertStatus(res, debug_exit_status(0))

        self.run_both(self.guest_args(self.guest('reset')), check, timeout=120)

    def no_reboot(self, first, method):
        def check(res):
            self.assertEqual(res.serial_lines(),
                             ['reset: boot %d' % first, 'reset: via ' + method],
                             res.describe())
            self.assertStatus(res, 0)

        self.run_both(self.guest_args(
            self.guest('reset'), ['-no-reboot', '-append', 'first=%d' % first]),
            check)

    def test_no_reboot_cf9(self):
        self.no_reboot(1, 'port 0xcf9')

    def test_no_reboot_kbc(self):
        self.no_reboot(2, 'keyboard controller')

    def test_no_reboot_triple_fault(self):
        self.no_reboot(3, 'triple fault')


if __name__ == '__main__':
    unittest.main()
