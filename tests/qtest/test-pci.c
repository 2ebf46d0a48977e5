/*
 * PCI configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2):
 * CONFIG_ADDRESS at 0xcf8 (32-bit: enable bit 31, bus 23:16, device
 * 15:11, function 10:8, register 7:2), CONFIG_DATA at 0xcfc-0xcff; the
 * i440FX host bridge at 00:00.0; the PIIX reset control register, a byte
 * at 0xcf9 inside the same range.
 */
#include "libqtest.h"

#define PCI_CONFIG_ADDR 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_RCR         0xcf9
#define CONFIG_ENABLE   0x80000000u

#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04

#define COM1_SCR 0x3ff   /* any register that reset clears will do */

static uint32_t pci_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return CONFIG_ENABLE | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t pci_read32(QTestState *s, unsigned bus, unsigned dev,
                           unsigned fn, unsigned reg)
{
    qtest_outl(s, PCI_CONFIG_ADDR, pci_addr(bus, dev, fn, reg));
    return qtest_inl(s, PCI_CONFIG_DATA);
}

static void test_config_address(void)
{
    QTestState *s = qtest_init(NULL);
    static const uint32_t values[] = {
        0x80000000, 0x80001234 & ~3u, 0x80fff8fc, 0x00000000, 0x7ffffffc,
    };

    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        qtest_outl(s, PCI_CONFIG_ADDR, values[i]);
        g_assert_cmphex(qtest_inl(s, PCI_CONFIG_ADDR), ==, values[i]);
    }
    qtest_quit(s);
}

static void test_host_bridge_id(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(pci_read32(s, 0, 0, 0, 0x00), ==, 0x12378086);
    /* narrower reads pick bytes by the low address bits */
    qtest_outl(s, PCI_CONFIG_ADDR, pci_addr(0, 0, 0, 0));
    g_assert_cmphex(qtest_inw(s, PCI_CONFIG_DATA), ==, 0x8086);
    g_assert_cmphex(qtest_inw(s, PCI_CONFIG_DATA + 2), ==, 0x1237);
    g_assert_cmphex(qtest_inb(s, PCI_CONFIG_DATA + 1), ==, 0x80);
    g_assert_cmphex(qtest_inb(s, PCI_CONFIG_DATA + 3), ==, 0x12);
    /* vendor and device ID are read-only */
    qtest_outl(s, PCI_CONFIG_DATA, 0);
    g_assert_cmphex(pci_read32(s, 0, 0, 0, 0x00), ==, 0x12378086);
    qtest_quit(s);
}

/* Class 06 (bridge), subclass 00 (host), header type 0, single function. */
static void test_host_bridge_class(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(pci_read32(s, 0, 0, 0, 0x08) >> 16, ==, 0x0600);
    qtest_outl(s, PCI_CONFIG_ADDR, pci_addr(0, 0, 0, 0x08));
    g_assert_cmphex(qtest_inw(s, PCI_CONFIG_DATA + 2), ==, 0x0600);
    qtest_outl(s, PCI_CONFIG_ADDR, pci_addr(0, 0, 0, 0x0c));
    g_assert_cmphex(qtest_inb(s, PCI_CONFIG_DATA + 2), ==, 0x00);
    qtest_quit(s);
}

/* No device answers: all ones, whatever the access size. */
static void test_absent_device(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(pci_read32(s, 0, 1, 0, 0x00), ==, 0xffffffff);
    g_assert_cmphex(pci_read32(s, 0, 0x1f, 0, 0x00), ==, 0xffffffff);
    g_assert_cmphex(pci_read32(s, 0, 0, 1, 0x00), ==, 0xffffffff);
    g_assert_cmphex(pci_read32(s, 1, 0, 0, 0x00), ==, 0xffffffff);
    qtest_outl(s, PCI_CONFIG_ADDR, pci_addr(0, 1, 0, 0));
    g_assert_cmphex(qtest_inw(s, PCI_CONFIG_DATA + 2), ==, 0xffff);
    g_assert_cmphex(qtest_inb(s, PCI_CONFIG_DATA + 1), ==, 0xff);
    qtest_quit(s);
}

/* With bit 31 clear, CONFIG_DATA is not a configuration access. */
static void test_config_disabled(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_outl(s, PCI_CONFIG_ADDR, pci_addr(0, 0, 0, 0) & ~CONFIG_ENABLE);
    g_assert_cmphex(qtest_inl(s, PCI_CONFIG_DATA), ==, 0xffffffff);
    g_assert_cmphex(qtest_inw(s, PCI_CONFIG_DATA), ==, 0xffff);
    g_assert_cmphex(qtest_inb(s, PCI_CONFIG_DATA), ==, 0xff);
    qtest_quit(s);
}

/*
 * 0xcf9 as a byte is the reset control register, not part of
 * CONFIG_ADDRESS: it keeps the system-reset bit, and writing it leaves
 * the 32-bit register alone.
 */
static void test_reset_control_register(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_outl(s, PCI_CONFIG_ADDR, 0x80000000);
    g_assert_cmphex(qtest_inb(s, PCI_RCR), ==, 0x00);
    qtest_outb(s, PCI_RCR, RCR_SYS_RST);
    g_assert_cmphex(qtest_inb(s, PCI_RCR), ==, RCR_SYS_RST);
    g_assert_cmphex(qtest_inl(s, PCI_CONFIG_ADDR), ==, 0x80000000);
    qtest_outb(s, PCI_RCR, 0);
    g_assert_cmphex(qtest_inb(s, PCI_RCR), ==, 0x00);
    qtest_quit(s);
}

/*
 * RST_CPU (bit 2) resets the machine: device state goes back to reset
 * values (the reset runs on the main loop, so poll for it).
 */
static void test_reset_via_cf9(void)
{
    QTestState *s = qtest_init(NULL);
    bool reset = false;

    qtest_outb(s, COM1_SCR, 0x5a);
    qtest_outb(s, PCI_RCR, RCR_SYS_RST | RCR_RST_CPU);
    for (int i = 0; i < 200 && !reset; i++) {
        reset = qtest_inb(s, COM1_SCR) == 0;
        if (!reset) {
            g_usleep(10 * 1000);
        }
    }
    g_assert_true(reset);
    g_assert_cmphex(qtest_inb(s, PCI_RCR), ==, 0x00);
    /* and the machine still works */
    g_assert_cmphex(pci_read32(s, 0, 0, 0, 0x00), ==, 0x12378086);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pci/config-address", test_config_address);
    g_test_add_func("/pci/host-bridge-id", test_host_bridge_id);
    g_test_add_func("/pci/host-bridge-class", test_host_bridge_class);
    g_test_add_func("/pci/absent-device", test_absent_device);
    g_test_add_func("/pci/config-disabled", test_config_disabled);
    g_test_add_func("/pci/reset-control-register", test_reset_control_register);
    g_test_add_func("/pci/reset-via-cf9", test_reset_via_cf9);
    return g_test_run();
}
