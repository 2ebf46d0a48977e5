/*
 * CMOS/RTC at 0x70 (index, bit 7 = NMI mask) / 0x71 (data): the MC146818
 * data sheet for the clock registers, and the memory-size and CPU-count
 * bytes PC firmware defined (QEMU's pc_cmos_init fills the same ones).
 */
#include "libqtest.h"

#define RTC_INDEX 0x70
#define RTC_DATA  0x71

#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_REG_A         0x0a
#define RTC_REG_B         0x0b
#define RTC_REG_C         0x0c
#define RTC_REG_D         0x0d

#define REG_A_UIP   0x80   /* update in progress */
#define REG_A_RUN   0x20   /* divider: 32.768 kHz time base, running */
#define REG_A_RESET 0x70   /* divider chain held in reset */
#define REG_B_SET   0x80
#define REG_B_PIE   0x40   /* periodic interrupt enable */
#define REG_B_AIE   0x20   /* alarm interrupt enable */
#define REG_B_UIE   0x10   /* update-ended interrupt enable */
#define REG_B_DM    0x04   /* binary data mode (else BCD) */
#define REG_B_24H   0x02
#define REG_C_IRQF  0x80   /* some enabled flag is set: the IRQ line is up */
#define REG_C_PF    0x40   /* periodic flag */
#define REG_C_AF    0x20   /* alarm flag */
#define REG_C_UF    0x10   /* update-ended flag */
#define REG_D_VRT   0x80
#define ALARM_ANY   0xc0   /* "don't care" alarm value */

#define RTC_IRQ     8
#define NS_PER_MS   (1000 * 1000LL)
#define NS_PER_S    (1000 * NS_PER_MS)
/* UIP is up for the last 8 cycles of the 32.768 kHz time base (244 us) */
#define UIP_HOLD_NS (8 * NS_PER_S / 32768)

/*
 * The RTC runs on the virtual clock, which the test moves.  QEMU needs
 * "-rtc clock=vm" for that (its default follows host time); qkvm always
 * does it.
 */
#define RTC_VM_CLOCK "-rtc clock=vm"

#define NMI_DISABLE 0x80

/* CMOS bytes outside the clock that nothing assigns: free to scribble on */
#define CMOS_SCRATCH 0x48

static uint8_t cmos_read(QTestState *s, uint8_t idx)
{
    qtest_outb(s, RTC_INDEX, idx);
    return qtest_inb(s, RTC_DATA);
}

static void cmos_write(QTestState *s, uint8_t idx, uint8_t v)
{
    qtest_outb(s, RTC_INDEX, idx);
    qtest_outb(s, RTC_DATA, v);
}

static unsigned cmos_read16(QTestState *s, uint8_t lo)
{
    return cmos_read(s, lo) | cmos_read(s, lo + 1) << 8;
}

static unsigned cmos_read24(QTestState *s, uint8_t lo)
{
    return cmos_read16(s, lo) | cmos_read(s, lo + 2) << 16;
}

static bool is_bcd(uint8_t v)
{
    return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

static unsigned from_bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0x0f);
}

/*
 * The memory bytes for one RAM size: 0x15/0x16 base memory in KiB (640),
 * 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (at most 65535), 0x34/0x35
 * 64 KiB units between 16 MiB and the end of RAM below 4 GiB, 0x5b-0x5d
 * 64 KiB units above 4 GiB.
 */
typedef struct MemCase {
    const char *args;
    unsigned ext_kb, above_16m, above_4g;
} MemCase;

static void check_memory_bytes(gconstpointer data)
{
    const MemCase *c = data;
    QTestState *s = qtest_init(c->args);

    g_assert_cmphex(cmos_read16(s, 0x15), ==, 640);
    g_assert_cmphex(cmos_read16(s, 0x17), ==, c->ext_kb);
    g_assert_cmphex(cmos_read16(s, 0x30), ==, c->ext_kb);
    g_assert_cmphex(cmos_read16(s, 0x34), ==, c->above_16m);
    g_assert_cmphex(cmos_read24(s, 0x5b), ==, c->above_4g);
    g_assert_cmphex(cmos_read(s, 0x5f), ==, 0);     /* one CPU */
    qtest_quit(s);
}

static const MemCase mem_32m = {
    "-m 32", .ext_kb = 31 * 1024, .above_16m = (32 - 16) * 16, .above_4g = 0,
};
static const MemCase mem_512m = {
    "-m 512", .ext_kb = 0xffff, .above_16m = (512 - 16) * 16, .above_4g = 0,
};
/* the pc machine keeps 3 GiB below the PCI hole and moves the rest up */
static const MemCase mem_4g = {
    "-m 4G", .ext_kb = 0xffff, .above_16m = (3072 - 16) * 16,
    .above_4g = 1024 * 16,
};

/* 0x5f: the number of CPUs minus one */
static void test_cpu_count(void)
{
    QTestState *s = qtest_init("-smp 3");

    g_assert_cmphex(cmos_read(s, 0x5f), ==, 2);
    qtest_quit(s);
}

/* After reset: A = 32.768 kHz divider + 1024 Hz rate, B = 24 h BCD, D = VRT. */
static void test_status_registers(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(cmos_read(s, RTC_REG_A) & 0x7f, ==, 0x26);
    g_assert_cmphex(cmos_read(s, RTC_REG_B), ==, REG_B_24H);
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, 0x00);
    g_assert_cmphex(cmos_read(s, RTC_REG_D), ==, REG_D_VRT);
    /* D is read-only */
    cmos_write(s, RTC_REG_D, 0x00);
    g_assert_cmphex(cmos_read(s, RTC_REG_D), ==, REG_D_VRT);
    qtest_quit(s);
}

/* Freeze the clock (SET) and load hh:mm:ss given in BCD; SET stays on. */
static void set_time_bcd(QTestState *s, uint8_t h, uint8_t m, uint8_t sec)
{
    cmos_write(s, RTC_REG_B, REG_B_SET | REG_B_24H);
    cmos_write(s, RTC_HOURS, h);
    cmos_write(s, RTC_MINUTES, m);
    cmos_write(s, RTC_SECONDS, sec);
}

/*
 * REG_B bit 2 picks binary over BCD for the time registers; the clock
 * itself does not change with it.
 */
static void test_bcd_binary(void)
{
    QTestState *s = qtest_init(NULL);
    uint8_t bcd, bin;

    set_time_bcd(s, 0x10, 0x20, 0x30);
    cmos_write(s, RTC_REG_B, REG_B_24H);

    bcd = cmos_read(s, RTC_SECONDS);
    g_assert_true(is_bcd(bcd));
    g_assert_cmpuint(from_bcd(bcd), >=, 30);
    g_assert_cmpuint(from_bcd(bcd), <=, 33);   /* a few seconds of slack */

    cmos_write(s, RTC_REG_B, REG_B_24H | REG_B_DM);
    bin = cmos_read(s, RTC_SECONDS);
    g_assert_cmpuint(bin, >=, 30);
    g_assert_cmpuint(bin, <=, 33);
    g_assert_cmpuint(cmos_read(s, RTC_MINUTES), ==, 20);
    g_assert_cmpuint(cmos_read(s, RTC_HOURS), ==, 10);

    cmos_write(s, RTC_REG_B, REG_B_24H);
    g_assert_cmphex(cmos_read(s, RTC_MINUTES), ==, 0x20);
    g_assert_cmphex(cmos_read(s, RTC_HOURS), ==, 0x10);
    qtest_quit(s);
}

/*
 * Setting the time: with SET the registers hold what was written; after
 * SET is cleared the clock runs on from there.
 */
static void test_set_time(void)
{
    QTestState *s = qtest_init(NULL);

    set_time_bcd(s, 0x13, 0x45, 0x00);
    g_assert_cmphex(cmos_read(s, RTC_HOURS), ==, 0x13);
    g_assert_cmphex(cmos_read(s, RTC_MINUTES), ==, 0x45);
    g_assert_cmphex(cmos_read(s, RTC_SECONDS), ==, 0x00);
    g_assert_cmphex(cmos_read(s, RTC_REG_B), ==, REG_B_SET | REG_B_24H);

    cmos_write(s, RTC_REG_B, REG_B_24H);
    g_assert_cmphex(cmos_read(s, RTC_HOURS), ==, 0x13);
    g_assert_cmphex(cmos_read(s, RTC_MINUTES), ==, 0x45);
    g_assert_cmphex(cmos_read(s, RTC_SECONDS), <=, 0x03);

    /*
     * The same in binary mode.  The mode changes first, with the clock
     * running: the date registers must be in the new mode too when SET
     * is cleared (the data sheet wants all time registers rewritten after
     * a mode change; freezing first would leave the date in BCD).
     */
    cmos_write(s, RTC_REG_B, REG_B_24H | REG_B_DM);
    cmos_write(s, RTC_REG_B, REG_B_SET | REG_B_24H | REG_B_DM);
    cmos_write(s, RTC_HOURS, 21);
    cmos_write(s, RTC_MINUTES, 7);
    cmos_write(s, RTC_SECONDS, 0);
    cmos_write(s, RTC_REG_B, REG_B_24H | REG_B_DM);
    g_assert_cmpuint(cmos_read(s, RTC_HOURS), ==, 21);
    g_assert_cmpuint(cmos_read(s, RTC_MINUTES), ==, 7);
    qtest_quit(s);
}

/*
 * Set the clock the way QEMU's rtc-test does: hold the divider chain in
 * reset, write the time, release it.  The first update cycle then ends
 * half a second later (data sheet, "divider reset").  Flags start clear.
 */
static void set_clock(QTestState *s, uint8_t reg_b, uint8_t h, uint8_t m,
                      uint8_t sec)
{
    cmos_write(s, RTC_REG_B, reg_b);
    cmos_write(s, RTC_REG_A, REG_A_RESET | 0x06);
    cmos_write(s, RTC_HOURS, h);
    cmos_write(s, RTC_MINUTES, m);
    cmos_write(s, RTC_SECONDS, sec);
    cmos_write(s, RTC_REG_A, REG_A_RUN | 0x06);
    cmos_read(s, RTC_REG_C);
}

static void assert_time(QTestState *s, uint8_t h, uint8_t m, uint8_t sec)
{
    g_assert_cmphex(cmos_read(s, RTC_HOURS), ==, h);
    g_assert_cmphex(cmos_read(s, RTC_MINUTES), ==, m);
    g_assert_cmphex(cmos_read(s, RTC_SECONDS), ==, sec);
}

/*
 * Register C: flags that reading clears.  The update-ended flag (UF) is
 * set once a second by the update cycle whether or not its interrupt is
 * enabled (MC146818 data sheet, "Update-Ended Interrupt Flag").
 */
static void test_reg_c_read_clears(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    cmos_write(s, RTC_REG_C, 0xff);     /* read-only: ignored */
    cmos_read(s, RTC_REG_C);
    qtest_clock_step(s, 1100 * NS_PER_MS);
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, REG_C_UF);
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, 0x00);
    qtest_quit(s);
}

/*
 * The update cycle: the time moves on a second, and UF is set, exactly
 * at each second boundary, the first one half a second after the divider
 * chain leaves reset.  BCD carries across minutes and hours.
 */
static void test_update_cycle(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    set_clock(s, REG_B_24H, 0x09, 0x59, 0x58);
    qtest_clock_step(s, 500 * NS_PER_MS - 1);
    assert_time(s, 0x09, 0x59, 0x58);
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, 0x00);
    qtest_clock_step(s, 1);
    assert_time(s, 0x09, 0x59, 0x59);
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, REG_C_UF);
    qtest_clock_step(s, NS_PER_S);
    assert_time(s, 0x10, 0x00, 0x00);
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, REG_C_UF);

    /* one UF for many updates: it is a flag, not a counter */
    qtest_clock_step(s, 59 * NS_PER_S);
    assert_time(s, 0x10, 0x00, 0x59);
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, REG_C_UF);

    /* SET stops the updates, and UF with them */
    cmos_write(s, RTC_REG_B, REG_B_24H | REG_B_SET);
    qtest_clock_step(s, 2 * NS_PER_S);
    assert_time(s, 0x10, 0x00, 0x59);
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, 0x00);
    qtest_quit(s);
}

/*
 * UIP (REG_A bit 7) is set for the 244 us before each update, as QEMU
 * models the data sheet's update cycle; the registers still hold the
 * old second then.
 */
static void test_update_in_progress(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    set_clock(s, REG_B_24H, 0x02, 0x04, 0x58);
    qtest_clock_step(s, 500 * NS_PER_MS - UIP_HOLD_NS - 1);
    g_assert_cmphex(cmos_read(s, RTC_REG_A), ==, REG_A_RUN | 0x06);
    qtest_clock_step(s, 1);
    g_assert_cmphex(cmos_read(s, RTC_REG_A), ==, REG_A_UIP | REG_A_RUN | 0x06);
    assert_time(s, 0x02, 0x04, 0x58);
    qtest_clock_step(s, UIP_HOLD_NS);
    g_assert_cmphex(cmos_read(s, RTC_REG_A), ==, REG_A_RUN | 0x06);
    assert_time(s, 0x02, 0x04, 0x59);

    /* UIP is read-only, and never set while the clock is stopped */
    cmos_write(s, RTC_REG_A, REG_A_UIP | REG_A_RUN | 0x06);
    g_assert_cmphex(cmos_read(s, RTC_REG_A), ==, REG_A_RUN | 0x06);
    qtest_clock_step(s, NS_PER_S - UIP_HOLD_NS / 2);
    g_assert_cmphex(cmos_read(s, RTC_REG_A) & REG_A_UIP, ==, REG_A_UIP);
    cmos_write(s, RTC_REG_B, REG_B_24H | REG_B_SET);
    g_assert_cmphex(cmos_read(s, RTC_REG_A) & REG_A_UIP, ==, 0);
    qtest_quit(s);
}

/*
 * UIE: UF raises IRQ 8 with IRQF; reading C clears both and lowers the
 * line.  Setting SET clears UIE (data sheet, register B).
 */
static void test_update_interrupt(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    qtest_irq_intercept_in(s, "ioapic");
    set_clock(s, REG_B_24H | REG_B_UIE, 0x12, 0x00, 0x00);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    qtest_clock_step(s, 500 * NS_PER_MS);
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, REG_C_IRQF | REG_C_UF);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, 0x00);

    /* once a second */
    qtest_clock_step(s, NS_PER_S - 1);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    qtest_clock_step(s, 1);
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    cmos_read(s, RTC_REG_C);

    cmos_write(s, RTC_REG_B, REG_B_24H | REG_B_UIE | REG_B_SET);
    g_assert_cmphex(cmos_read(s, RTC_REG_B), ==, REG_B_24H | REG_B_SET);
    qtest_quit(s);
}

/*
 * An enable bit set while its flag is already up raises the interrupt at
 * once; clearing it again takes IRQF and the line down, the flag stays.
 */
static void test_interrupt_on_enable(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    qtest_irq_intercept_in(s, "ioapic");
    set_clock(s, REG_B_24H, 0x12, 0x00, 0x00);
    qtest_clock_step(s, 500 * NS_PER_MS);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    cmos_write(s, RTC_REG_B, REG_B_24H | REG_B_UIE);
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    cmos_write(s, RTC_REG_B, REG_B_24H);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, REG_C_UF);
    qtest_quit(s);
}

/* PF and IRQF every time the periodic interval passes, while PIE is set. */
static unsigned count_periodic(QTestState *s, int64_t step, int steps)
{
    unsigned n = 0;

    for (int i = 0; i < steps; i++) {
        qtest_clock_step(s, step);
        if (qtest_get_irq(s, RTC_IRQ)) {
            g_assert_cmphex(cmos_read(s, RTC_REG_C) & (REG_C_IRQF | REG_C_PF),
                            ==, REG_C_IRQF | REG_C_PF);
            n++;
        }
    }
    return n;
}

/*
 * The periodic interrupt: rate select RS in REG_A bits 3:0 gives
 * 2^(RS-1) cycles of 32.768 kHz (RS 1 and 2: 256 and 128 Hz), counted
 * from when PIE is set.
 */
static void test_periodic_interrupt(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    qtest_irq_intercept_in(s, "ioapic");
    cmos_write(s, RTC_REG_A, REG_A_RUN | 0x0f);            /* 2 Hz */
    cmos_read(s, RTC_REG_C);
    /* QEMU: without PIE no periodic timer runs, and PF stays clear */
    qtest_clock_step(s, NS_PER_S);
    g_assert_cmphex(cmos_read(s, RTC_REG_C) & REG_C_PF, ==, 0);

    cmos_write(s, RTC_REG_B, REG_B_24H | REG_B_PIE);
    qtest_clock_step(s, 500 * NS_PER_MS - 1);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    qtest_clock_step(s, 1);
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(cmos_read(s, RTC_REG_C) & (REG_C_IRQF | REG_C_PF), ==,
                    REG_C_IRQF | REG_C_PF);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    /* 20 more in the next 10 s */
    g_assert_cmpuint(count_periodic(s, 100 * NS_PER_MS, 100), ==, 20);

    /* RS 1 is 256 Hz: an interrupt each 3.90625 ms */
    cmos_write(s, RTC_REG_A, REG_A_RUN | 0x01);
    cmos_read(s, RTC_REG_C);
    g_assert_cmpuint(count_periodic(s, 1 * NS_PER_MS, 1000), ==, 256);

    /* clearing PIE stops it */
    cmos_write(s, RTC_REG_B, REG_B_24H);
    cmos_read(s, RTC_REG_C);
    qtest_clock_step(s, NS_PER_S);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(cmos_read(s, RTC_REG_C) & REG_C_PF, ==, 0);
    qtest_quit(s);
}

/*
 * The alarm: AF at the update that makes the time equal to the alarm
 * registers (1, 3, 5), a value 0xc0-0xff there matching anything; with
 * AIE it interrupts.
 */
static void test_alarm(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    qtest_irq_intercept_in(s, "ioapic");
    cmos_write(s, RTC_HOURS_ALARM, 0x10);
    cmos_write(s, RTC_MINUTES_ALARM, 0x20);
    cmos_write(s, RTC_SECONDS_ALARM, 0x33);
    set_clock(s, REG_B_24H | REG_B_AIE, 0x10, 0x20, 0x30);
    qtest_clock_step(s, 2000 * NS_PER_MS);          /* 10:20:32 */
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(cmos_read(s, RTC_REG_C) & REG_C_AF, ==, 0);
    qtest_clock_step(s, NS_PER_S);                  /* 10:20:33 */
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==,
                    REG_C_IRQF | REG_C_AF | REG_C_UF);
    qtest_clock_step(s, NS_PER_S);                  /* 10:20:34 */
    g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, REG_C_UF);

    /* any hour and minute at second 40 */
    cmos_write(s, RTC_HOURS_ALARM, ALARM_ANY);
    cmos_write(s, RTC_MINUTES_ALARM, 0xff);
    cmos_write(s, RTC_SECONDS_ALARM, 0x40);
    qtest_clock_step(s, 5 * NS_PER_S);              /* 10:20:39 */
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    qtest_clock_step(s, NS_PER_S);
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(cmos_read(s, RTC_REG_C) & REG_C_AF, ==, REG_C_AF);
    qtest_clock_step(s, 60 * NS_PER_S);             /* 10:21:40 */
    g_assert_cmphex(cmos_read(s, RTC_REG_C) & REG_C_AF, ==, REG_C_AF);

    /* all three "don't care": every second; without AIE no interrupt */
    cmos_write(s, RTC_SECONDS_ALARM, ALARM_ANY);
    cmos_write(s, RTC_REG_B, REG_B_24H);
    for (int i = 0; i < 3; i++) {
        qtest_clock_step(s, NS_PER_S);
        g_assert_cmphex(cmos_read(s, RTC_REG_C), ==, REG_C_AF | REG_C_UF);
        g_assert_false(qtest_get_irq(s, RTC_IRQ));
    }
    qtest_quit(s);
}

/*
 * In 12-hour mode the alarm hour carries the PM bit: 0x82 is 2 PM and
 * does not match 2 AM (QEMU's rtc-test "am-pm" case).
 */
static void test_alarm_12h(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    cmos_write(s, RTC_MINUTES_ALARM, ALARM_ANY);
    cmos_write(s, RTC_SECONDS_ALARM, ALARM_ANY);
    cmos_write(s, RTC_HOURS_ALARM, 0x82);
    set_clock(s, 0, 0x81, 0x59, 0x00);
    qtest_clock_step(s, 60 * NS_PER_S);
    assert_time(s, 0x82, 0x00, 0x00);
    g_assert_cmphex(cmos_read(s, RTC_REG_C) & REG_C_AF, ==, REG_C_AF);

    cmos_write(s, RTC_HOURS_ALARM, 0x02);
    set_clock(s, 0, 0x81, 0x59, 0x00);
    qtest_clock_step(s, 60 * NS_PER_S);
    assert_time(s, 0x82, 0x00, 0x00);
    g_assert_cmphex(cmos_read(s, RTC_REG_C) & REG_C_AF, ==, 0);
    qtest_quit(s);
}

/*
 * A time register written while the clock runs sets the clock at once
 * (QEMU), without moving the second boundary.
 */
static void test_write_while_running(void)
{
    QTestState *s = qtest_init(RTC_VM_CLOCK);

    set_clock(s, REG_B_24H, 0x10, 0x20, 0x30);
    qtest_clock_step(s, 600 * NS_PER_MS);           /* 10:20:31.1 */
    cmos_write(s, RTC_MINUTES, 0x45);
    assert_time(s, 0x10, 0x45, 0x31);
    qtest_clock_step(s, 900 * NS_PER_MS - 1);
    assert_time(s, 0x10, 0x45, 0x31);
    qtest_clock_step(s, 1);
    assert_time(s, 0x10, 0x45, 0x32);
    qtest_quit(s);
}

/* Bit 7 of the index is the NMI mask: it never selects a register. */
static void test_index_nmi_bit(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(cmos_read(s, NMI_DISABLE | RTC_REG_A) & 0x7f, ==, 0x26);
    g_assert_cmphex(cmos_read(s, NMI_DISABLE | RTC_REG_D), ==, REG_D_VRT);
    cmos_write(s, NMI_DISABLE | CMOS_SCRATCH, 0x5a);
    g_assert_cmphex(cmos_read(s, CMOS_SCRATCH), ==, 0x5a);
    cmos_write(s, CMOS_SCRATCH, 0xa5);
    g_assert_cmphex(cmos_read(s, NMI_DISABLE | CMOS_SCRATCH), ==, 0xa5);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/rtc/memory-32M", &mem_32m, check_memory_bytes);
    g_test_add_data_func("/rtc/memory-512M", &mem_512m, check_memory_bytes);
    g_test_add_data_func("/rtc/memory-4G", &mem_4g, check_memory_bytes);
    g_test_add_func("/rtc/cpu-count", test_cpu_count);
    g_test_add_func("/rtc/status-registers", test_status_registers);
    g_test_add_func("/rtc/bcd-binary", test_bcd_binary);
    g_test_add_func("/rtc/set-time", test_set_time);
    g_test_add_func("/rtc/reg-c-read-clears", test_reg_c_read_clears);
    g_test_add_func("/rtc/update-cycle", test_update_cycle);
    g_test_add_func("/rtc/update-in-progress", test_update_in_progress);
    g_test_add_func("/rtc/update-interrupt", test_update_interrupt);
    g_test_add_func("/rtc/interrupt-on-enable", test_interrupt_on_enable);
    g_test_add_func("/rtc/periodic-interrupt", test_periodic_interrupt);
    g_test_add_func("/rtc/alarm", test_alarm);
    g_test_add_func("/rtc/alarm-12h", test_alarm_12h);
    g_test_add_func("/rtc/write-while-running", test_write_while_running);
    g_test_add_func("/rtc/index-nmi-bit", test_index_nmi_bit);
    return g_test_run();
}
