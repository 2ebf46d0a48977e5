"""COM1: output to stdio, to a file, through -chardev; interrupt-driven input."""

import unittest

from qkvm_test import QkvmTest, debug_exit_status


class SerialOutputTest(QkvmTest):

    def args(self):
        return self.guest_args(self.guest('multiboot'), ['-append', 'exit=0'])

    def check(self, res):
        self.assertTrue(res.serial_lines(), res.describe())
        self.assertEqual(res.serial_lines()[0], 'multiboot: hello', res.describe())
        self.assertLine(res, 'exit: 0')
        self.assertStatus(res, debug_exit_status(0))

    def test_stdio(self):
        self.run_both(self.args(), self.check, serial='stdio')

    def test_file(self):
        self.run_both(self.args(), self.check, serial='file')

    def test_chardev_stdio(self):
        self.run_both(
            self.args() + ['-chardev', 'stdio,id=s0', '-serial', 'chardev:s0'],
            self.check, serial=None)


class SerialInterruptTest(QkvmTest):
    """serial-irq guest: 8259 PIC + UART receive interrupts (IRQ4)."""

    EXPECTED = ['serial-irq: hello', 'serial-irq: ready', 'got: H', 'got: i',
                'got: !', 'got: \\x0a', 'got: q', 'serial-irq: bye']

    def check(self, res):
        self.assertEqual(res.serial_lines(), self.EXPECTED, res.describe())
        self.assertStatus(res, debug_exit_status(0))

    def test_input_after_ready(self):
        def interact(proc, read_until):
            read_until('serial-irq: ready\n')
            proc.stdin.write(b'Hi!\nq')
            proc.stdin.flush()

        self.run_both(self.guest_args(self.guest('serial-irq')), self.check,
                      serial='stdio', interact=interact)

    def test_input_before_ready(self):
        # written at once, before the guest enabled interrupts: the UART must
        # hold it back (receive buffer full) rather than drop it
        self.run_both(self.guest_args(self.guest('serial-irq')), self.check,
                      serial='stdio', stdin_data=b'Hi!\nq')


if __name__ == '__main__':
    unittest.main()
