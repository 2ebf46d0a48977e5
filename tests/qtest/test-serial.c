/*
 * COM1: the 16550A UART at 0x3f8 on ISA IRQ 4.  Expected values are the
 * PC16550D data sheet's (register summary, reset table) and, where the
 * sheet leaves room, what QEMU's serial device does.
 */
#include "libqtest.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define COM1      0x3f8
#define COM1_IRQ  4

/* register offsets */
#define RBR 0   /* DLAB=0, read */
#define THR 0   /* DLAB=0, write */
#define DLL 0   /* DLAB=1 */
#define IER 1   /* DLAB=0 */
#define DLM 1   /* DLAB=1 */
#define IIR 2   /* read */
#define FCR 2   /* write */
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define IER_RDI   0x01
#define IER_THRI  0x02
#define IIR_NONE  0x01
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_CTI   0x0c
#define IIR_FIFO  0xc0   /* both bits set while FCR bit 0 is */
#define FCR_FE    0x01
#define FCR_RFR   0x02
#define FCR_XFR   0x04
#define FCR_ITL14 0xc0
#define LCR_8N1   0x03
#define LCR_DLAB  0x80
#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define LSR_DR    0x01
#define LSR_OE    0x02
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

static uint8_t uart_in(QTestState *s, unsigned reg)
{
    return qtest_inb(s, COM1 + reg);
}

static void uart_out(QTestState *s, unsigned reg, uint8_t v)
{
    qtest_outb(s, COM1 + reg, v);
}

/* A temporary file for a file: chardev; the caller frees and unlinks. */
static char *make_temp_file(const char *tmpl)
{
    g_autoptr(GError) err = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp(tmpl, &path, &err);

    g_assert_no_error(err);
    close(fd);
    return path;
}

static char *file_contents(const char *path, gsize *len)
{
    g_autoptr(GError) err = NULL;
    char *data = NULL;

    g_assert_true(g_file_get_contents(path, &data, len, &err));
    g_assert_no_error(err);
    return data;
}

static void test_scratch(void)
{
    QTestState *s = qtest_init(NULL);
    static const uint8_t values[] = { 0x00, 0x55, 0xaa, 0xff, 0x5a };

    g_assert_cmphex(uart_in(s, SCR), ==, 0x00);
    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        uart_out(s, SCR, values[i]);
        g_assert_cmphex(uart_in(s, SCR), ==, values[i]);
    }
    qtest_quit(s);
}

/* Reset values from the data sheet's reset table (MCR: QEMU sets OUT2). */
static void test_reset_state(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(uart_in(s, LSR), ==, LSR_THRE | LSR_TEMT);   /* 0x60 */
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_NONE);
    g_assert_cmphex(uart_in(s, IER), ==, 0x00);
    g_assert_cmphex(uart_in(s, LCR), ==, 0x00);
    g_assert_cmphex(uart_in(s, MCR), ==, MCR_OUT2);
    g_assert_cmphex(uart_in(s, MSR), ==, MSR_DCD | MSR_DSR | MSR_CTS);
    qtest_quit(s);
}

/*
 * With DLAB set, offsets 0 and 1 are the divisor latch, not RBR/THR and
 * IER: nothing is transmitted and IER keeps its value.
 */
static void test_divisor_latch(void)
{
    g_autofree char *path = make_temp_file("qtest-serial-XXXXXX");
    g_autofree char *out = NULL;
    QTestState *s = qtest_initf("-serial file:%s", path);
    gsize len;

    uart_out(s, IER, 0x05);
    uart_out(s, LCR, LCR_DLAB | LCR_8N1);
    g_assert_cmphex(uart_in(s, LCR), ==, LCR_DLAB | LCR_8N1);
    /* QEMU's reset divisor is 12: 9600 baud from 1.8432 MHz */
    g_assert_cmphex(uart_in(s, DLL), ==, 0x0c);
    g_assert_cmphex(uart_in(s, DLM), ==, 0x00);

    uart_out(s, DLL, 0x01);     /* 115200 baud */
    uart_out(s, DLM, 0x00);
    g_assert_cmphex(uart_in(s, DLL), ==, 0x01);
    g_assert_cmphex(uart_in(s, DLM), ==, 0x00);
    uart_out(s, DLL, 0x34);
    uart_out(s, DLM, 0x12);
    g_assert_cmphex(uart_in(s, DLL), ==, 0x34);
    g_assert_cmphex(uart_in(s, DLM), ==, 0x12);

    uart_out(s, LCR, LCR_8N1);
    g_assert_cmphex(uart_in(s, IER), ==, 0x05);
    g_assert_cmphex(uart_in(s, LCR), ==, LCR_8N1);
    /* and the latch survives DLAB going away and back */
    uart_out(s, LCR, LCR_DLAB | LCR_8N1);
    g_assert_cmphex(uart_in(s, DLL), ==, 0x34);
    g_assert_cmphex(uart_in(s, DLM), ==, 0x12);
    qtest_quit(s);

    out = file_contents(path, &len);
    g_assert_cmpuint(len, ==, 0);   /* divisor writes are not data */
    g_unlink(path);
}

/*
 * THR-empty interrupt: enabling it while THR is empty raises IRQ 4 at
 * once; reading IIR (which then says THRI) acknowledges it; the next
 * byte written to THR empties at once here and raises it again.
 */
static void test_thri_interrupt(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    uart_out(s, IER, IER_THRI);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_THRI);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_NONE);

    uart_out(s, THR, 'x');
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, LSR) & (LSR_THRE | LSR_TEMT), ==,
                    LSR_THRE | LSR_TEMT);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_THRI);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    /* a pending THRI goes away with its enable bit */
    uart_out(s, THR, 'y');
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    uart_out(s, IER, 0);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_NONE);
    qtest_quit(s);
}

/* Loopback wires RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD (MCR bit 4). */
static void test_loopback_msr(void)
{
    static const struct {
        uint8_t mcr, msr;
    } cases[] = {
        { 0, 0 },
        { MCR_DTR, MSR_DSR },
        { MCR_RTS, MSR_CTS },
        { MCR_OUT1, MSR_RI },
        { MCR_OUT2, MSR_DCD },
        { MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2,
          MSR_DSR | MSR_CTS | MSR_RI | MSR_DCD },
        { MCR_RTS | MCR_OUT2, MSR_CTS | MSR_DCD },
    };
    QTestState *s = qtest_init(NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uart_out(s, MCR, MCR_LOOP | cases[i].mcr);
        g_assert_cmphex(uart_in(s, MCR), ==, MCR_LOOP | cases[i].mcr);
        /* the low nibble holds delta bits; the mirror is the high one */
        g_assert_cmphex(uart_in(s, MSR) & 0xf0, ==, cases[i].msr);
    }
    qtest_quit(s);
}

/*
 * Loopback data: THR comes back in RBR with LSR.DR set, raises the
 * received-data interrupt if enabled, and never reaches the chardev.
 */
static void test_loopback_data(void)
{
    g_autofree char *path = make_temp_file("qtest-serial-XXXXXX");
    g_autofree char *out = NULL;
    QTestState *s = qtest_initf("-serial file:%s", path);
    gsize len;

    qtest_irq_intercept_in(s, "ioapic");
    uart_out(s, MCR, MCR_LOOP | MCR_OUT2);
    uart_out(s, IER, IER_RDI);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);

    uart_out(s, THR, 0x5a);
    g_assert_cmphex(uart_in(s, LSR), ==, LSR_THRE | LSR_TEMT | LSR_DR);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_RDI);
    g_assert_cmphex(uart_in(s, RBR), ==, 0x5a);
    g_assert_cmphex(uart_in(s, LSR), ==, LSR_THRE | LSR_TEMT);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_NONE);

    /* leaving loopback: output goes out again */
    uart_out(s, MCR, MCR_OUT2);
    uart_out(s, THR, 'k');
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);
    qtest_quit(s);

    out = file_contents(path, &len);
    g_assert_cmpmem(out, len, "k", 1);
    g_unlink(path);
}

/* FCR bit 0 shows as IIR bits 7:6 (0xc0), whatever else FCR says. */
static void test_fifo_iir_bits(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_cmphex(uart_in(s, IIR), ==, IIR_NONE);
    uart_out(s, FCR, FCR_FE);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    uart_out(s, FCR, FCR_FE | FCR_RFR | FCR_XFR);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    uart_out(s, FCR, FCR_FE | FCR_ITL14);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    uart_out(s, FCR, 0);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_NONE);
    /* and with an interrupt pending */
    uart_out(s, FCR, FCR_FE);
    uart_out(s, IER, IER_THRI);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_THRI);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    qtest_quit(s);
}

/*
 * The 16-byte receive FIFO, filled through loopback: bytes come out in
 * order; a 17th is an overrun that sets LSR.OE (cleared by reading LSR)
 * and is dropped, the FIFO keeping what it had.
 */
static void test_fifo_loopback(void)
{
    QTestState *s = qtest_init(NULL);

    uart_out(s, FCR, FCR_FE | FCR_RFR | FCR_XFR);
    uart_out(s, MCR, MCR_LOOP);
    for (int i = 0; i < 17; i++) {
        uart_out(s, THR, 0x40 + i);
    }
    g_assert_cmphex(uart_in(s, LSR) & (LSR_DR | LSR_OE), ==, LSR_DR | LSR_OE);
    g_assert_cmphex(uart_in(s, LSR) & LSR_OE, ==, 0);
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, LSR_DR);
        g_assert_cmphex(uart_in(s, RBR), ==, 0x40 + i);
    }
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);

    /* FCR bit 1 empties the receive FIFO */
    uart_out(s, THR, 0x11);
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, LSR_DR);
    uart_out(s, FCR, FCR_FE | FCR_RFR);
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);
    qtest_quit(s);
}

/*
 * Receive trigger level (FCR bits 7:6 = 14 bytes): the received-data
 * interrupt waits for 14 bytes; fewer bytes left alone for four character
 * times give a character-timeout interrupt (IIR 0x0c) instead.
 */
static void test_fifo_trigger_level(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    uart_out(s, FCR, FCR_FE | FCR_RFR | FCR_XFR | FCR_ITL14);
    uart_out(s, MCR, MCR_LOOP | MCR_OUT2);
    uart_out(s, IER, IER_RDI);
    uart_out(s, THR, 0x01);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    /* 4 character times at 9600 baud 8N1 are about 4.2 ms */
    qtest_clock_step(s, 10 * 1000 * 1000);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_CTI);
    /* reading the byte ends the timeout interrupt */
    g_assert_cmphex(uart_in(s, RBR), ==, 0x01);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    for (int i = 0; i < 14; i++) {
        uart_out(s, THR, 0x20 + i);
    }
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_RDI);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    qtest_quit(s);
}

static void uart_set_divisor(QTestState *s, uint16_t div)
{
    uart_out(s, LCR, LCR_DLAB | LCR_8N1);
    uart_out(s, DLL, div & 0xff);
    uart_out(s, DLM, div >> 8);
    uart_out(s, LCR, LCR_8N1);
}

/* FCR bits 7:6 pick 1, 4, 8 or 14 bytes for the received-data interrupt. */
static void test_fifo_trigger_levels(void)
{
    static const struct {
        uint8_t fcr;
        unsigned level;
    } cases[] = { { 0x00, 1 }, { 0x40, 4 }, { 0x80, 8 }, { 0xc0, 14 } };
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    uart_out(s, MCR, MCR_LOOP | MCR_OUT2);
    uart_out(s, IER, IER_RDI);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uart_out(s, FCR, FCR_FE | FCR_RFR | cases[i].fcr);
        for (unsigned n = 1; n <= cases[i].level; n++) {
            uart_out(s, THR, n);
            g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO |
                            (n == cases[i].level ? IIR_RDI : IIR_NONE));
        }
        g_assert_true(qtest_get_irq(s, COM1_IRQ));
        /* below the level again after one read */
        g_assert_cmphex(uart_in(s, RBR), ==, 1);
        g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    }
    qtest_quit(s);
}

/*
 * The character timeout is 4 character times of 10 bits at
 * 115200 / divisor baud, counted from the last byte received or read.
 */
static void test_char_timeout_timing(void)
{
    /* 4 * 10 bits at 115200 and at 9600 baud, in ns (rounded down) */
    static const struct {
        uint16_t div;
        int64_t timeout_ns;
    } cases[] = { { 1, 4 * 86805 }, { 12, 4 * 1041666 } };
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    uart_out(s, FCR, FCR_FE | FCR_RFR | FCR_ITL14);
    uart_out(s, MCR, MCR_LOOP | MCR_OUT2);
    uart_out(s, IER, IER_RDI);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int64_t t = cases[i].timeout_ns;

        uart_set_divisor(s, cases[i].div);
        uart_out(s, THR, 0x41);
        qtest_clock_step(s, t - 1);
        g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
        /* a second byte starts the count again */
        uart_out(s, THR, 0x42);
        qtest_clock_step(s, t - 1);
        g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
        qtest_clock_step(s, 1);
        g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_CTI);
        g_assert_true(qtest_get_irq(s, COM1_IRQ));

        /* so does a read that leaves data behind */
        g_assert_cmphex(uart_in(s, RBR), ==, 0x41);
        g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
        qtest_clock_step(s, t - 1);
        g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
        qtest_clock_step(s, 1);
        g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_CTI);

        /* an empty FIFO never times out */
        g_assert_cmphex(uart_in(s, RBR), ==, 0x42);
        qtest_clock_step(s, 10 * t);
        g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
        g_assert_false(qtest_get_irq(s, COM1_IRQ));
    }
    qtest_quit(s);
}

/*
 * IER.RDI masks the timeout interrupt as well (QEMU; real parts agree);
 * enabling it later shows the pending timeout.  FCR bit 1 clears it with
 * the FIFO, and without the FIFO there is no timeout at all.
 */
static void test_char_timeout_mask_and_clear(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    uart_out(s, FCR, FCR_FE | FCR_RFR | FCR_ITL14);
    uart_out(s, MCR, MCR_LOOP | MCR_OUT2);
    uart_out(s, THR, 0x01);
    qtest_clock_step(s, 10 * 1000 * 1000);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    uart_out(s, IER, IER_RDI);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_CTI);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));

    uart_out(s, FCR, FCR_FE | FCR_RFR | FCR_ITL14);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_FIFO | IIR_NONE);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);

    /* FIFO off: each byte interrupts at once, and that is all */
    uart_out(s, FCR, 0);
    uart_out(s, THR, 0x02);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_RDI);
    qtest_clock_step(s, 10 * 1000 * 1000);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_RDI);
    g_assert_cmphex(uart_in(s, RBR), ==, 0x02);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_NONE);
    qtest_quit(s);
}

/*
 * Switching the FIFO on or off empties the receiver (data sheet, FCR
 * bit 0), even without FCR bit 1.
 */
static void test_fifo_toggle_clears(void)
{
    QTestState *s = qtest_init(NULL);

    uart_out(s, MCR, MCR_LOOP);
    uart_out(s, FCR, FCR_FE);
    uart_out(s, THR, 0x10);
    uart_out(s, THR, 0x11);
    uart_out(s, FCR, 0);
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);
    uart_out(s, THR, 0x12);
    uart_out(s, FCR, FCR_FE);
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);
    g_assert_cmphex(uart_in(s, RBR), ==, 0x00);
    qtest_quit(s);
}

/*
 * Non-FIFO overrun: a byte arriving while RBR is full sets OE and, as the
 * data sheet puts it, destroys the previous character (QEMU keeps the
 * newest byte too).
 */
static void test_overrun_no_fifo(void)
{
    QTestState *s = qtest_init(NULL);

    uart_out(s, MCR, MCR_LOOP);
    uart_out(s, THR, 'a');
    uart_out(s, THR, 'b');
    g_assert_cmphex(uart_in(s, LSR) & (LSR_DR | LSR_OE), ==, LSR_DR | LSR_OE);
    g_assert_cmphex(uart_in(s, RBR), ==, 'b');
    g_assert_cmphex(uart_in(s, LSR) & (LSR_DR | LSR_OE), ==, 0);
    qtest_quit(s);
}

/*
 * Reading RBR with nothing received: 0 after reset, no DR, no interrupt,
 * nothing else disturbed.  In non-FIFO mode RBR is a holding register: a
 * second read returns the last byte again (data sheet; QEMU likewise).
 */
static void test_rbr_empty(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_irq_intercept_in(s, "ioapic");
    g_assert_cmphex(uart_in(s, RBR), ==, 0x00);
    g_assert_cmphex(uart_in(s, LSR), ==, LSR_THRE | LSR_TEMT);
    g_assert_cmphex(uart_in(s, IIR), ==, IIR_NONE);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    uart_out(s, MCR, MCR_LOOP);
    uart_out(s, THR, 'Q');
    g_assert_cmphex(uart_in(s, RBR), ==, 'Q');
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);
    g_assert_cmphex(uart_in(s, RBR), ==, 'Q');
    g_assert_cmphex(uart_in(s, LSR), ==, LSR_THRE | LSR_TEMT);

    /* in FIFO mode an empty FIFO reads 0 (QEMU) */
    uart_out(s, FCR, FCR_FE | FCR_RFR);
    g_assert_cmphex(uart_in(s, RBR), ==, 0x00);
    g_assert_cmphex(uart_in(s, LSR) & LSR_DR, ==, 0);
    qtest_quit(s);
}

/* Bytes written to THR reach a -serial file: chardev, in order. */
static void test_file_output(void)
{
    g_autofree char *path = make_temp_file("qtest-serial-XXXXXX");
    g_autofree char *out = NULL;
    static const char msg[] = "hello, qtest\r\n\x01\xff";
    QTestState *s = qtest_initf("-serial file:%s", path);
    gsize len;

    uart_out(s, LCR, LCR_8N1);
    for (size_t i = 0; i < sizeof(msg) - 1; i++) {
        uart_out(s, THR, (uint8_t)msg[i]);
        g_assert_cmphex(uart_in(s, LSR) & LSR_THRE, ==, LSR_THRE);
    }
    qtest_quit(s);

    out = file_contents(path, &len);
    g_assert_cmpmem(out, len, msg, sizeof(msg) - 1);
    g_unlink(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/serial/scratch", test_scratch);
    g_test_add_func("/serial/reset-state", test_reset_state);
    g_test_add_func("/serial/divisor-latch", test_divisor_latch);
    g_test_add_func("/serial/thri-interrupt", test_thri_interrupt);
    g_test_add_func("/serial/loopback-msr", test_loopback_msr);
    g_test_add_func("/serial/loopback-data", test_loopback_data);
    g_test_add_func("/serial/fifo-iir-bits", test_fifo_iir_bits);
    g_test_add_func("/serial/fifo-loopback", test_fifo_loopback);
    g_test_add_func("/serial/fifo-trigger-level", test_fifo_trigger_level);
    g_test_add_func("/serial/fifo-trigger-levels", test_fifo_trigger_levels);
    g_test_add_func("/serial/char-timeout-timing", test_char_timeout_timing);
    g_test_add_func("/serial/char-timeout-mask-and-clear",
                    test_char_timeout_mask_and_clear);
    g_test_add_func("/serial/fifo-toggle-clears", test_fifo_toggle_clears);
    g_test_add_func("/serial/overrun-no-fifo", test_overrun_no_fifo);
    g_test_add_func("/serial/rbr-empty", test_rbr_empty);
    g_test_add_func("/serial/file-output", test_file_output);
    return g_test_run();
}
