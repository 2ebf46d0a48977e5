/*
 * 16550A UART (National Semiconductor PC16550D data sheet; register
 * numbers and bits below are from its "Register Summary" table).
 *
 * Transmit is synchronous: a byte written to THR goes to the chardev at
 * once and THR is empty again, as QEMU does.  Receive is either the
 * one-byte holding register RBR (FIFO disabled) or the 16-byte FIFO
 * with its trigger level and character timeout.  The interrupt line
 * follows IIR: asserted while any enabled condition is pending.  QEMU
 * ignores MCR.OUT2 for the ISA IRQ; so do we.
 *
 * The character timeout runs on the virtual clock.  Under KVM it is
 * what delivers typed input: Linux sets an 8-byte trigger level, so a
 * lone key press only ever raises the timeout interrupt.
 */
#include "hw/char/serial.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/timer.h"

#include <string.h>

#define UART_RBR 0   /* read, DLAB=0 */
#define UART_THR 0   /* write, DLAB=0 */
#define UART_IER 1
#define UART_IIR 2   /* read */
#define UART_FCR 2   /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI  0x01   /* received data available */
#define IER_THRI 0x02   /* THR empty */
#define IER_RLSI 0x04   /* receiver line status */
#define IER_MSI  0x08   /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_CTI    0x0c
#define IIR_FIFO   0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_ITL_SHIFT 6     /* bits 7:6, the receive trigger level */

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_INT_ANY 0x1e

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_ANY_DELTA 0x0f

#define FIFO_SIZE 16

/*
 * The divisor divides the 1.8432 MHz clock by 16: 115200 baud for 1.  A
 * character is 10 bits (8N1), as QEMU counts it; divisor 0 is about 3500
 * baud in QEMU.
 */
#define BAUD_BASE       115200
#define BAUD_DIVISOR_0  3500
#define CHAR_BITS       10
/* The data sheet's character timeout: 4 character times without activity. */
#define TIMEOUT_CHARS   4

struct SerialState {
    GMutex lock;
    uint16_t divider;
    uint8_t ier, iir, fcr, lcr, mcr, lsr, msr, scr;
    uint8_t rbr;                /* holding register, FIFO disabled */
    bool thr_ipending;          /* THR-empty interrupt not yet acknowledged */
    bool timeout_ipending;      /* character timeout, until RBR is read */
    uint8_t rx_fifo[FIFO_SIZE];
    unsigned rx_head, rx_count;
    QEMUTimer *timeout_timer;
    qemu_irq irq;
    Chardev *chr;
};

static bool fifo_enabled(SerialState *s)
{
    return s->fcr & FCR_ENABLE;
}

static unsigned rx_trigger_level(SerialState *s)
{
    static const uint8_t level[4] = { 1, 4, 8, 14 };

    return level[s->fcr >> FCR_ITL_SHIFT];
}

/* Received data counts for RDI in FIFO mode only once at the trigger level. */
static bool rx_data_interrupt(SerialState *s)
{
    if (!(s->lsr & LSR_DR)) {
        return false;
    }
    return !fifo_enabled(s) || s->rx_count >= rx_trigger_level(s);
}

static void serial_update_irq(SerialState *s)
{
    uint8_t iir = IIR_NO_INT;

    if ((s->ier & IER_RLSI) && (s->lsr & LSR_INT_ANY)) {
        iir = IIR_RLSI;
    } else if ((s->ier & IER_RDI) && s->timeout_ipending) {
        iir = IIR_CTI;          /* IER.RDI masks it too (QEMU, real parts) */
    } else if ((s->ier & IER_RDI) && rx_data_interrupt(s)) {
        iir = IIR_RDI;
    } else if ((s->ier & IER_THRI) && s->thr_ipending) {
        iir = IIR_THRI;
    } else if ((s->ier & IER_MSI) && (s->msr & MSR_ANY_DELTA)) {
        iir = IIR_MSI;
    }
    s->iir = iir | ((s->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
    qemu_set_irq(s->irq, !(iir & IIR_NO_INT));
}

static int64_t char_time_ns(SerialState *s)
{
    if (!s->divider) {
        return CHAR_BITS * NANOSECONDS_PER_SECOND / BAUD_DIVISOR_0;
    }
    return CHAR_BITS * NANOSECONDS_PER_SECOND * s->divider / BAUD_BASE;
}

/* Data arrived or was read: the timeout counts from now again. */
static void rx_timeout_restart(SerialState *s)
{
    timer_mod(s->timeout_timer,
              qemu_clock_get_ns() + TIMEOUT_CHARS * char_time_ns(s));
}

static void rx_timeout_fire(void *opaque)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    /* a byte or a read may have moved the timeout since it expired */
    if (!timer_pending(s->timeout_timer) && fifo_enabled(s) && s->rx_count) {
        s->timeout_ipending = true;
        serial_update_irq(s);
    }
    g_mutex_unlock(&s->lock);
}

/*
 * Without the FIFO a byte arriving before the last one was read
 * overwrites it ("the previous character is destroyed"); a full FIFO
 * keeps what it has and drops the new byte.  Both set OE.
 */
static void rx_push(SerialState *s, uint8_t byte)
{
    if (!fifo_enabled(s)) {
        if (s->lsr & LSR_DR) {
            s->lsr |= LSR_OE;
        }
        s->rbr = byte;
        s->lsr |= LSR_DR;
        return;
    }
    if (s->rx_count >= FIFO_SIZE) {
        s->lsr |= LSR_OE;
    } else {
        s->rx_fifo[(s->rx_head + s->rx_count) % FIFO_SIZE] = byte;
        s->rx_count++;
        s->lsr |= LSR_DR;
    }
    rx_timeout_restart(s);
}

/*
 * A read of RBR.  The holding register keeps its byte, so reading it
 * again returns the same byte; an empty FIFO reads 0 (QEMU).
 */
static uint8_t rx_pop(SerialState *s)
{
    uint8_t byte = 0;

    if (!fifo_enabled(s)) {
        s->lsr &= ~(LSR_DR | LSR_BI);
        return s->rbr;
    }
    if (s->rx_count) {
        byte = s->rx_fifo[s->rx_head];
        s->rx_head = (s->rx_head + 1) % FIFO_SIZE;
        s->rx_count--;
    }
    s->timeout_ipending = false;
    if (s->rx_count) {
        rx_timeout_restart(s);
    } else {
        s->lsr &= ~(LSR_DR | LSR_BI);
        timer_del(s->timeout_timer);
    }
    return byte;
}

static void rx_clear(SerialState *s)
{
    s->rx_head = s->rx_count = 0;
    s->lsr &= ~(LSR_DR | LSR_BI);
    s->timeout_ipending = false;
    timer_del(s->timeout_timer);
}

/* Loopback wires MCR outputs to MSR inputs (data sheet, MCR bit 4). */
static void update_msr_loopback(SerialState *s)
{
    uint8_t old = s->msr;
    uint8_t m = 0;

    if (s->mcr & MCR_RTS) m |= MSR_CTS;
    if (s->mcr & MCR_DTR) m |= MSR_DSR;
    if (s->mcr & MCR_OUT1) m |= MSR_RI;
    if (s->mcr & MCR_OUT2) m |= MSR_DCD;
    if ((m ^ old) & MSR_CTS) m |= MSR_DCTS;
    if ((m ^ old) & MSR_DSR) m |= MSR_DDSR;
    if ((old & MSR_RI) && !(m & MSR_RI)) m |= MSR_TERI;
    if ((m ^ old) & MSR_DCD) m |= MSR_DDCD;
    s->msr = m | (old & MSR_ANY_DELTA);
}

static void serial_transmit(SerialState *s, uint8_t byte)
{
    if (s->mcr & MCR_LOOP) {
        rx_push(s, byte);
    } else {
        qemu_chr_write_all(s->chr, &byte, 1);
    }
    s->lsr |= LSR_THRE | LSR_TEMT;
    s->thr_ipending = true;
}

static uint64_t serial_read(void *opaque, uint64_t addr, unsigned size)
{
    SerialState *s = opaque;
    uint8_t ret = 0;
    bool room = false;

    g_mutex_lock(&s->lock);
    switch (addr) {
    case UART_RBR:
        if (s->lcr & LCR_DLAB) {
            ret = s->divider & 0xff;
            break;
        }
        room = (s->lsr & LSR_DR) && !(s->mcr & MCR_LOOP);
        ret = rx_pop(s);
        serial_update_irq(s);
        break;
    case UART_IER:
        ret = (s->lcr & LCR_DLAB) ? s->divider >> 8 : s->ier;
        break;
    case UART_IIR:
        ret = s->iir;
        /* reading IIR acknowledges a THR-empty interrupt */
        if ((ret & 0x0f) == IIR_THRI) {
            s->thr_ipending = false;
            serial_update_irq(s);
        }
        break;
    case UART_LCR:
        ret = s->lcr;
        break;
    case UART_MCR:
        ret = s->mcr;
        break;
    case UART_LSR:
        ret = s->lsr;
        /* reading LSR clears the error bits */
        if (s->lsr & (LSR_BI | LSR_OE)) {
            s->lsr &= ~(LSR_BI | LSR_OE);
            serial_update_irq(s);
        }
        break;
    case UART_MSR:
        ret = s->msr;
        if (s->msr & MSR_ANY_DELTA) {
            s->msr &= ~MSR_ANY_DELTA;
            serial_update_irq(s);
        }
        break;
    case UART_SCR:
        ret = s->scr;
        break;
    }
    g_mutex_unlock(&s->lock);
    if (room && s->chr) {
        qemu_chr_fe_accept_input(s->chr);
    }
    return ret;
}

static void serial_write(void *opaque, uint64_t addr, uint64_t val,
                         unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = val;

    g_mutex_lock(&s->lock);
    switch (addr) {
    case UART_THR:
        if (s->lcr & LCR_DLAB) {
            s->divider = (s->divider & 0xff00) | v;
            break;
        }
        s->thr_ipending = false;
        serial_transmit(s, v);
        serial_update_irq(s);
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->divider = (s->divider & 0x00ff) | (v << 8);
            break;
        }
        /* enabling THRI while THR is empty raises it at once */
        if ((v & IER_THRI) && !(s->ier & IER_THRI) && (s->lsr & LSR_THRE)) {
            s->thr_ipending = true;
        }
        s->ier = v & 0x0f;
        serial_update_irq(s);
        break;
    case UART_FCR:
        /* switching the FIFOs on or off empties them (data sheet, FCR0) */
        if ((v & FCR_CLEAR_RX) || ((v ^ s->fcr) & FCR_ENABLE)) {
            rx_clear(s);
        }
        s->fcr = v & 0xc9;   /* enable, DMA mode, trigger level */
        serial_update_irq(s);
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;
        if (s->mcr & MCR_LOOP) {
            update_msr_loopback(s);
        } else {
            s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
        }
        serial_update_irq(s);
        break;
    case UART_LSR:
    case UART_MSR:
        break;   /* read-only */
    case UART_SCR:
        s->scr = v;
        break;
    }
    g_mutex_unlock(&s->lock);
}

const IOBusOps serial_io_ops = {
    .read = serial_read,
    .write = serial_write,
    .min_access = 1,
    .max_access = 1,
};

static size_t serial_can_receive(void *opaque)
{
    SerialState *s = opaque;
    size_t room;

    g_mutex_lock(&s->lock);
    if (s->mcr & MCR_LOOP) {
        room = 0;               /* loopback: the line is disconnected */
    } else if (fifo_enabled(s)) {
        room = FIFO_SIZE - s->rx_count;
    } else {
        room = !(s->lsr & LSR_DR);
    }
    g_mutex_unlock(&s->lock);
    return room;
}

static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    for (size_t i = 0; i < len; i++) {
        rx_push(s, buf[i]);
    }
    serial_update_irq(s);
    g_mutex_unlock(&s->lock);
}

void serial_reset(void *opaque)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    s->divider = 12;        /* 9600 baud from the 1.8432 MHz clock */
    s->ier = 0;
    s->fcr = 0;
    s->lcr = 0;
    s->mcr = MCR_OUT2;
    s->lsr = LSR_TEMT | LSR_THRE;
    s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
    s->scr = 0;
    s->rbr = 0;
    s->thr_ipending = false;
    rx_clear(s);
    serial_update_irq(s);
    g_mutex_unlock(&s->lock);
}

/* ---- save/restore ------------------------------------------------------- */

void serial_save(void *opaque, GByteArray *out)
{
    SerialState *s = opaque;

    g_mutex_lock(&s->lock);
    vms_put_u16(out, s->divider);
    vms_put_u8(out, s->ier);
    vms_put_u8(out, s->fcr);
    vms_put_u8(out, s->lcr);
    vms_put_u8(out, s->mcr);
    vms_put_u8(out, s->lsr);
    vms_put_u8(out, s->msr);
    vms_put_u8(out, s->scr);
    vms_put_u8(out, s->rbr);
    vms_put_u8(out, s->thr_ipending);
    vms_put_u8(out, s->timeout_ipending);
    vms_put_bytes(out, s->rx_fifo, FIFO_SIZE);
    vms_put_u8(out, s->rx_head);
    vms_put_u8(out, s->rx_count);
    vms_put_u64(out, timer_expire_time_ns(s->timeout_timer));
    g_mutex_unlock(&s->lock);
}

bool serial_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    SerialState *s = opaque;
    uint16_t divider = vms_get_u16(in);
    uint8_t ier = vms_get_u8(in), fcr = vms_get_u8(in), lcr = vms_get_u8(in);
    uint8_t mcr = vms_get_u8(in), lsr = vms_get_u8(in), msr = vms_get_u8(in);
    uint8_t scr = vms_get_u8(in), rbr = vms_get_u8(in);
    bool thr_ipending = vms_get_bool(in), timeout_ipending = vms_get_bool(in);
    uint8_t fifo[FIFO_SIZE];
    unsigned head, count;
    int64_t expire;

    vms_get_bytes(in, fifo, FIFO_SIZE);
    head = vms_get_u8(in);
    count = vms_get_u8(in);
    expire = vms_get_u64(in);
    if (!vms_load_done(in, "serial", errp)) {
        return false;
    }
    if (head >= FIFO_SIZE || count > FIFO_SIZE) {
        error_setg(errp, "receive FIFO head %u / count %u out of range",
                   head, count);
        return false;
    }
    if (!apply) {
        return true;
    }
    g_mutex_lock(&s->lock);
    s->divider = divider;
    s->ier = ier;
    s->fcr = fcr;
    s->lcr = lcr;
    s->mcr = mcr;
    s->lsr = lsr;
    s->msr = msr;
    s->scr = scr;
    s->rbr = rbr;
    s->thr_ipending = thr_ipending;
    s->timeout_ipending = timeout_ipending;
    memcpy(s->rx_fifo, fifo, FIFO_SIZE);
    s->rx_head = head;
    s->rx_count = count;
    if (expire >= 0) {
        timer_mod(s->timeout_timer, expire);
    } else {
        timer_del(s->timeout_timer);
    }
    serial_update_irq(s);       /* IIR and the line from the registers */
    g_mutex_unlock(&s->lock);
    return true;
}

SerialState *serial_new(IOBus *bus, uint64_t base, qemu_irq irq,
                        Chardev *chr, GError **errp)
{
    SerialState *s = g_new0(SerialState, 1);

    g_mutex_init(&s->lock);
    s->irq = irq;
    s->chr = chr;
    s->timeout_timer = timer_new_ns(rx_timeout_fire, s);
    if (bus && !iobus_register(bus, base, 8, &serial_io_ops, s, "serial",
                               errp)) {
        serial_free(s);
        return NULL;
    }
    serial_reset(s);
    if (chr) {
        qemu_chr_fe_set_handlers(chr, serial_can_receive, serial_receive, s);
    }
    return s;
}

void serial_free(SerialState *s)
{
    timer_free(s->timeout_timer);
    g_mutex_clear(&s->lock);
    g_free(s);
}
