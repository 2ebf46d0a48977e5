/*
 * ACPI fixed hardware at 0x600 (ACPI 6.4, 4.8.3): PM1_STS, PM1_EN,
 * PM1_CNT at 0x604 and the 24-bit 3.579545 MHz PM timer at 0x608, with
 * the SCI on ISA IRQ 9; and the tables that tell a guest so (RSDP copy
 * at 0xf0000, the rest in the top 128 KiB of RAM below 4 GiB).
 */
#include "libqtest.h"

#include <string.h>

#define PM_BASE     0x600
#define PM1_STS     (PM_BASE + 0)
#define PM1_EN      (PM_BASE + 2)
#define PM1_CNT     (PM_BASE + 4)
#define PM_TMR      (PM_BASE + 8)
#define SCI_IRQ     9

#define PM1_TMR_STS     0x0001
#define PM1_TMR_EN      0x0001
#define PM1_PWRBTN_EN   0x0100
#define PM1_CNT_SCI_EN  0x0001
#define PM1_CNT_SLP_EN  0x2000
#define SLP_TYP(n)      ((n) << 10)

#define PM_TIMER_HZ     3579545
#define PM_TIMER_MASK   0xffffff
#define NS_PER_S        1000000000LL

#define RSDP_GPA        0xf0000
#define HIGH_TABLES     0x20000   /* the top 128 KiB of RAM below 4 GiB */
#define RAM_SIZE        (256 << 20)

/* The one SLP_TYP that means S5 (soft off) here: what the DSDT declares. */
#define SLP_TYP_S5      0

static void test_sci_enabled(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(qtest_inw(s, PM1_CNT) & PM1_CNT_SCI_EN, ==, PM1_CNT_SCI_EN);
    /*
     * The FADT has no SMI_CMD, so there is no legacy mode to go back to:
     * SCI_EN stays set whatever is written.
     */
    qtest_outw(s, PM1_CNT, 0);
    g_assert_cmphex(qtest_inw(s, PM1_CNT) & PM1_CNT_SCI_EN, ==, PM1_CNT_SCI_EN);
    qtest_quit(s);
}

static void test_pm1_status_enable(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(qtest_inw(s, PM1_STS), ==, 0);
    g_assert_cmphex(qtest_inw(s, PM1_EN), ==, 0);
    qtest_outw(s, PM1_EN, PM1_PWRBTN_EN);
    g_assert_cmphex(qtest_inw(s, PM1_EN), ==, PM1_PWRBTN_EN);
    /* status bits are write-1-to-clear: writing ones to clear bits is a no-op */
    qtest_outw(s, PM1_STS, 0xffff);
    g_assert_cmphex(qtest_inw(s, PM1_STS), ==, 0);
    qtest_outw(s, PM1_EN, 0);
    g_assert_cmphex(qtest_inw(s, PM1_EN), ==, 0);
    qtest_quit(s);
}

/*
 * PWRBTN_STS is set by pressing the power button, which only QMP's
 * system_powerdown can do; qtest cannot, so the SCI it raises with
 * PWRBTN_EN is left to the QMP tests.
 */
static void test_power_button(void)
{
    g_test_skip("the power button is pressed over QMP (system_powerdown), "
                "which qtest cannot reach");
}

static uint32_t pm_timer(QTestState *s)
{
    uint32_t t = qtest_inl(s, PM_TMR);

    g_assert_cmphex(t & ~PM_TIMER_MASK, ==, 0);   /* 24 bits wide */
    return t;
}

/* The timer follows the qtest virtual clock and nothing else. */
static void test_pm_timer(void)
{
    QTestState *s = qtest_init(NULL);
    uint32_t t0, t1;

    t0 = pm_timer(s);
    g_usleep(20 * 1000);
    g_assert_cmphex(pm_timer(s), ==, t0);     /* host time does not count */

    qtest_clock_step(s, NS_PER_S);
    t1 = pm_timer(s);
    g_assert_cmpuint((t1 - t0) & PM_TIMER_MASK, ==, PM_TIMER_HZ);

    /* 5 s is 17897725 ticks: the counter wraps at 2^24 */
    qtest_clock_step(s, 5 * NS_PER_S);
    g_assert_cmpuint((pm_timer(s) - t1) & PM_TIMER_MASK, ==,
                     (5ULL * PM_TIMER_HZ) & PM_TIMER_MASK);

    /* 1 us is 3.58 ticks */
    t1 = pm_timer(s);
    qtest_clock_step(s, 1000);
    g_assert_cmpuint((pm_timer(s) - t1) & PM_TIMER_MASK, >=, 3);
    g_assert_cmpuint((pm_timer(s) - t1) & PM_TIMER_MASK, <=, 4);
    qtest_quit(s);
}

/*
 * TMR_STS is set whenever bit 23 of the counter changes (ACPI 6.4,
 * table 4.15), and with TMR_EN raises the SCI.  The counter starts at 0
 * with the qtest clock, so bit 23 changes after 2^23 ticks (2.34 s) and
 * again 2^23 ticks later.
 */
static void test_pm_timer_status(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    qtest_outw(s, PM1_EN, PM1_TMR_EN);
    qtest_clock_step(s, 2300 * 1000 * 1000LL);
    g_assert_cmphex(pm_timer(s) & 0x800000, ==, 0);
    g_assert_cmphex(qtest_inw(s, PM1_STS) & PM1_TMR_STS, ==, 0);
    g_assert_false(qtest_get_irq(s, SCI_IRQ));

    qtest_clock_step(s, 100 * 1000 * 1000LL);
    g_assert_cmphex(pm_timer(s) & 0x800000, ==, 0x800000);
    g_assert_cmphex(qtest_inw(s, PM1_STS) & PM1_TMR_STS, ==, PM1_TMR_STS);
    g_assert_true(qtest_get_irq(s, SCI_IRQ));
    qtest_outw(s, PM1_STS, PM1_TMR_STS);
    g_assert_cmphex(qtest_inw(s, PM1_STS) & PM1_TMR_STS, ==, 0);
    g_assert_false(qtest_get_irq(s, SCI_IRQ));

    /* the status is set without TMR_EN too; enabling it then raises the SCI */
    qtest_outw(s, PM1_EN, 0);
    qtest_clock_step(s, 2400 * 1000 * 1000LL);
    g_assert_cmphex(pm_timer(s) & 0x800000, ==, 0);
    g_assert_cmphex(qtest_inw(s, PM1_STS) & PM1_TMR_STS, ==, PM1_TMR_STS);
    g_assert_false(qtest_get_irq(s, SCI_IRQ));
    qtest_outw(s, PM1_EN, PM1_TMR_EN);
    g_assert_true(qtest_get_irq(s, SCI_IRQ));
    qtest_quit(s);
}

/*
 * "clock_step" with no argument goes to the next timer deadline.  The
 * PM timer's is the one at 2^23 ticks, unless the RTC's once-a-second
 * update comes first; stepping on reaches it either way.
 */
static void test_step_to_deadline(void)
{
    QTestState *s = qtest_init(NULL);
    int64_t bit23_ns = (0x800000LL * NS_PER_S + PM_TIMER_HZ - 1) / PM_TIMER_HZ;
    int64_t now = 0, prev;

    while (!(qtest_inw(s, PM1_STS) & PM1_TMR_STS)) {
        g_autofree char *r = qtest_raw(s, "clock_step");

        prev = now;
        g_assert_true(g_str_has_prefix(r, "OK "));
        now = g_ascii_strtoll(r + 3, NULL, 10);
        g_assert_cmpint(now, >, prev);
        g_assert_cmpint(now, <=, bit23_ns);
        g_assert_cmpint(now - prev, <=, NS_PER_S);
    }
    g_assert_cmpint(now, ==, bit23_ns);
    qtest_quit(s);
}

/*
 * Writing SLP_TYP(S5) with SLP_EN is a guest power-off: with no monitor
 * and no -no-shutdown the VMM exits with status 0.
 */
static void test_poweroff(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    qtest_sendf(s, "outw 0x%x 0x%x", PM1_CNT,
                SLP_TYP(SLP_TYP_S5) | PM1_CNT_SLP_EN);
    qtest_wait_exit(s, 0);
}

/*
 * With -no-shutdown the same power-off stops the guest but keeps the
 * process (libvirt's way): qtest still answers, SIGTERM still ends it.
 */
static void test_poweroff_no_shutdown(void)
{
    QTestState *s = qtest_init("-no-shutdown");
    g_autofree char *r = NULL;

    qtest_outw(s, PM1_CNT, SLP_TYP(SLP_TYP_S5) | PM1_CNT_SLP_EN);
    g_usleep(200 * 1000);   /* the request is handled on the main loop */
    r = qtest_raw(s, "endianness");
    g_assert_cmpstr(r, ==, "OK little");
    qtest_quit(s);
}

/* ---- the tables ------------------------------------------------------- */

static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--) {
        sum += *p++;
    }
    return sum;
}

static uint32_t le32_at(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_in_high_tables(uint64_t gpa)
{
    g_assert_cmphex(gpa, >=, RAM_SIZE - HIGH_TABLES);
    g_assert_cmphex(gpa, <, RAM_SIZE);
}

/* A whole table at gpa, its signature and checksum checked. */
static uint8_t *read_table(QTestState *s, uint32_t gpa, const char *sig,
                           uint32_t *len)
{
    uint8_t hdr[36];
    uint8_t *t;

    check_in_high_tables(gpa);
    qtest_memread(s, gpa, hdr, sizeof(hdr));
    g_assert_cmpmem(hdr, 4, sig, 4);
    *len = le32_at(hdr + 4);
    g_assert_cmpuint(*len, >=, sizeof(hdr));
    g_assert_cmpuint(*len, <=, HIGH_TABLES);
    t = g_malloc(*len);
    qtest_memread(s, gpa, t, *len);
    g_assert_cmphex(sum8(t, *len), ==, 0);
    return t;
}

/* The first element of the \_S5 package in the DSDT: its SLP_TYP value. */
static int dsdt_s5_slp_typ(const uint8_t *dsdt, uint32_t len)
{
    for (uint32_t i = 36; i + 8 < len; i++) {
        const uint8_t *p = dsdt + i;

        /* "_S5_" PackageOp PkgLength(1 byte) NumElements element... */
        if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12 || (p[5] & 0xc0)) {
            continue;
        }
        switch (p[7]) {
        case 0x00: return 0;        /* ZeroOp */
        case 0x01: return 1;        /* OneOp */
        case 0x0a: return p[8];     /* BytePrefix */
        default: return -1;
        }
    }
    return -1;
}

static void test_tables(void)
{
    QTestState *s = qtest_initf("-m %d", RAM_SIZE >> 20);
    uint8_t rsdp[36];
    g_autofree uint8_t *rsdt = NULL;
    g_autofree uint8_t *fadt = NULL;
    g_autofree uint8_t *dsdt = NULL;
    uint32_t rsdt_len, fadt_len = 0, dsdt_len;

    qtest_memread(s, RSDP_GPA, rsdp, sizeof(rsdp));
    g_assert_cmpmem(rsdp, 8, "RSD PTR ", 8);
    g_assert_cmphex(sum8(rsdp, 20), ==, 0);
    if (rsdp[15] >= 2) {
        g_assert_cmpuint(le32_at(rsdp + 20), ==, 36);
        g_assert_cmphex(sum8(rsdp, 36), ==, 0);
    }

    rsdt = read_table(s, le32_at(rsdp + 16), "RSDT", &rsdt_len);
    for (uint32_t off = 36; off + 4 <= rsdt_len && !fadt; off += 4) {
        uint32_t gpa = le32_at(rsdt + off);
        char sig[4];

        check_in_high_tables(gpa);
        qtest_memread(s, gpa, sig, 4);
        if (memcmp(sig, "FACP", 4) == 0) {
            fadt = read_table(s, gpa, "FACP", &fadt_len);
        }
    }
    g_assert_nonnull(fadt);
    g_assert_cmpuint(fadt_len, >=, 116);

    /* the FADT points at the registers this file tests */
    g_assert_cmpuint(fadt[46] | fadt[47] << 8, ==, SCI_IRQ);   /* SCI_INT */
    g_assert_cmphex(le32_at(fadt + 48), ==, 0);                /* SMI_CMD */
    g_assert_cmphex(le32_at(fadt + 56), ==, PM1_STS);   /* PM1a_EVT_BLK */
    g_assert_cmphex(le32_at(fadt + 64), ==, PM1_CNT);   /* PM1a_CNT_BLK */
    g_assert_cmphex(le32_at(fadt + 76), ==, PM_TMR);    /* PM_TMR_BLK */
    g_assert_cmpuint(fadt[88], ==, 4);                  /* PM1_EVT_LEN */
    g_assert_cmpuint(fadt[89], ==, 2);                  /* PM1_CNT_LEN */
    g_assert_cmpuint(fadt[91], ==, 4);                  /* PM_TMR_LEN */
    g_assert_cmphex(le32_at(fadt + 112) & (1 << 8), ==, 0);  /* 24-bit timer */

    dsdt = read_table(s, le32_at(fadt + 40), "DSDT", &dsdt_len);
    g_assert_cmpint(dsdt_s5_slp_typ(dsdt, dsdt_len), ==, SLP_TYP_S5);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi-pm/sci-enabled", test_sci_enabled);
    g_test_add_func("/acpi-pm/pm1-status-enable", test_pm1_status_enable);
    g_test_add_func("/acpi-pm/power-button", test_power_button);
    g_test_add_func("/acpi-pm/pm-timer", test_pm_timer);
    g_test_add_func("/acpi-pm/pm-timer-status", test_pm_timer_status);
    g_test_add_func("/acpi-pm/step-to-deadline", test_step_to_deadline);
    g_test_add_func("/acpi-pm/poweroff", test_poweroff);
    g_test_add_func("/acpi-pm/poweroff-no-shutdown", test_poweroff_no_shutdown);
    g_test_add_func("/acpi-pm/tables", test_tables);
    return g_test_run();
}
