/*
 * hostile: a guest that attacks its VMM through every device interface;
 * the VMM must survive it, stay quiet (no flood on stderr) and still obey
 * QMP (tests/functional/test_hardening.py).
 *
 *  1. every I/O port: boundary and random values, every size, then reads;
 *  2. MMIO: every 1 MiB above RAM up to 4 GiB, and every register of the
 *     IOAPIC and HPET range pages at every size (the local APIC's after
 *     step 4);
 *  3. fw_cfg DMA: descriptors outside RAM, data outside RAM, addresses
 *     that wrap, a transfer that overwrites its own descriptor (a loop),
 *     writes to read-only items, and 20000 back-to-back requests;
 *  4. an interrupt storm: every PIC line unmasked, the PIT at its highest
 *     rate, the RTC periodic interrupt at 8 kHz, the UART's interrupts on;
 *  5. "hostile: done", then halted with interrupts off, for QMP to stop.
 *
 * Skipped, because a guest may legitimately end or reset its machine
 * through them (the test would end early, not find a bug): isa-debug-exit
 * (0xf4-0xf7), the i8042 command port (0x64: reset pulse), port A (0x92),
 * the PIIX reset control (0xcf9), PM1a control (0x604: sleep/power-off),
 * the local APIC's ICR, LVTs, timer and SVR (0x300-0x3ff, 0xf0: INIT or
 * NMI to itself stops the vCPU or needs an NMI handler, which this guest
 * without iret cannot have), and COM1 (0x3f8-0x3ff) which carries this
 * guest's report.  Before the MMIO phase the interrupt sources are
 * quiesced, and after it every IOAPIC pin is masked, so that redirection
 * entries the attack left (NMI, INIT, SMI delivery) fire nothing.
 * MMIO accesses are 1, 2 and 4 bytes (8 are two 4-byte accesses in
 * 32-bit code).
 */
#include "libguest.h"

#define RAM_TOP         (128u << 20)    /* the test runs with -m 128 */
#define FW_CFG_DMA_HI   0x514
#define FW_CFG_DMA_LO   0x518
#define DMA_CTL_ERROR   0x01
#define DMA_CTL_READ    0x02
#define DMA_CTL_SKIP    0x04
#define DMA_CTL_SELECT  0x08
#define DMA_CTL_WRITE   0x10

static uint32_t rng = 0x2545f491;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static const uint32_t boundary[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};
#define NB (sizeof(boundary) / sizeof(boundary[0]))

static int skip_port(uint32_t p)
{
    return (p >= 0xf4 && p <= 0xf7) || p == 0x64 || p == 0x92 ||
           (p >= 0xcf9 && p <= 0xcf9) || (p >= 0x604 && p <= 0x605) ||
           (p >= COM1 && p <= COM1 + 7);
}

static void attack_ports(void)
{
    uint32_t p, n = 0;

    for (p = 0; p <= 0xffff; p++) {
        uint32_t v = (p & 1) ? rnd() : boundary[p % NB];
        if (skip_port(p) || skip_port(p + 1) || skip_port(p + 2) ||
            skip_port(p + 3)) {
            continue;   /* outw/outl at p reach p+1..p+3 too */
        }
        outb(v, p);
        outw(v >> 8, p);
        outl(v ^ 0xa5a5a5a5, p);
        (void)inb(p);
        (void)inw(p);
        (void)inl(p);
        n++;
    }
    printf("hostile: ports %u\n", n);
}

static void mmio_all_sizes(uint32_t a, uint32_t v)
{
    *(volatile uint8_t *)a = v;
    *(volatile uint16_t *)(a & ~1u) = v >> 3;
    *(volatile uint32_t *)(a & ~3u) = v ^ 0x5a5a5a5a;
    *(volatile uint64_t *)(a & ~7u) = ((uint64_t)v << 32) | rnd();
    (void)*(volatile uint8_t *)a;
    (void)*(volatile uint16_t *)(a & ~1u);
    (void)*(volatile uint32_t *)(a & ~3u);
    (void)*(volatile uint64_t *)(a & ~7u);
}

/*
 * The local APIC (KVM's, in the kernel) last: its garbled state (ID,
 * destination format...) stops the PIC's interrupts from reaching the
 * vCPU, which would leave the storm below without interrupts.
 */
static void attack_lapic(void)
{
    uint32_t a;

    for (a = 0; a < 0x300; a += 4) {
        if (a != 0xf0) {                /* not SVR; ICR, LVTs, timer above */
            mmio_all_sizes(0xfee00000u + a, a & 4 ? rnd() : boundary[a % NB]);
        }
    }
    puts("hostile: lapic\n");
}

/* No interrupt source active: PIT stopped, RTC and UART interrupts off. */
static void quiesce(void)
{
    outb(0xff, 0x21);
    outb(0xff, 0xa1);
    outb(0x30, 0x43);                   /* PIT ch0 mode 0, no count: stopped */
    cmos_write(0x0b, 0x02);
    (void)cmos_read(0x0c);
    outb(0x00, COM1 + 1);
}

static void ioapic_mask_all(void)
{
    uint32_t pin;

    for (pin = 0; pin < 24; pin++) {
        *(volatile uint32_t *)0xfec00000u = 0x10 + 2 * pin;
        *(volatile uint32_t *)0xfec00010u = 0x00010000;     /* masked */
        *(volatile uint32_t *)0xfec00000u = 0x11 + 2 * pin;
        *(volatile uint32_t *)0xfec00010u = 0;
    }
}

static void attack_mmio(void)
{
    uint32_t a, n = 0;

    /* above RAM (32-bit, paging off: every physical address below 4G) */
    for (a = RAM_TOP; a >= RAM_TOP && a < 0xfe000000u; a += 1u << 20) {
        mmio_all_sizes(a + (rnd() & 0xff8), boundary[n++ % NB]);
    }
    /* IOAPIC, HPET range and local APIC, register by register */
    for (a = 0; a < 0x1000; a += 4) {
        mmio_all_sizes(0xfec00000u + a, a & 4 ? rnd() : boundary[a % NB]);
        mmio_all_sizes(0xfed00000u + a, rnd());
        n += 2;
    }
    /* the top of the address space, where firmware would be */
    for (a = 0xfff00000u; a >= 0xfff00000u; a += 0x1000) {
        mmio_all_sizes(a, rnd());
        n++;
    }
    printf("hostile: mmio %u\n", n);
}

struct dma_desc {
    uint32_t control, length;           /* big-endian */
    uint64_t address;                   /* big-endian */
} __attribute__((packed));

static struct dma_desc desc __attribute__((aligned(16)));
static uint8_t buf[256];

static uint64_t be64(uint64_t v)
{
    return __builtin_bswap64(v);
}

/* Start the DMA descriptor at addr (high word first, low word starts it). */
static void dma_kick(uint64_t addr)
{
    outl(be32(addr >> 32), FW_CFG_DMA_HI);
    outl(be32((uint32_t)addr), FW_CFG_DMA_LO);
    asm volatile("" ::: "memory");      /* the VMM wrote the descriptor */
}

static uint32_t dma(uint32_t control, uint32_t length, uint64_t address)
{
    desc.control = be32(control);
    desc.length = be32(length);
    desc.address = be64(address);
    dma_kick((uint32_t)&desc);
    return be32(desc.control);
}

static void attack_fw_cfg_dma(void)
{
    uint32_t i, errors = 0;

    /* the descriptor itself outside RAM, past 4G, or wrapping */
    dma_kick(0xfffffff0u);
    dma_kick(0xfffffffffffffff8ull);
    dma_kick(0x100000000ull);
    dma_kick(RAM_TOP - 8);              /* straddles the end of RAM */
    /* data outside RAM, huge, wrapping */
    errors += !!(dma(DMA_CTL_SELECT | (FW_CFG_FILE_DIR << 16) | DMA_CTL_READ,
                     0xffffffffu, 0xfffff000u) & DMA_CTL_ERROR);
    errors += !!(dma(DMA_CTL_READ, 0x200, 0xffffffffffffff00ull) & DMA_CTL_ERROR);
    errors += !!(dma(DMA_CTL_READ, 0x1000, RAM_TOP - 0x800) & DMA_CTL_ERROR);
    errors += !!(dma(DMA_CTL_SKIP, 0xffffffffu, 0) & DMA_CTL_ERROR);
    /* writes to read-only items, and to no item at all */
    errors += !!(dma(DMA_CTL_SELECT | (FW_CFG_SIGNATURE << 16) | DMA_CTL_WRITE,
                     sizeof(buf), (uint32_t)buf) & DMA_CTL_ERROR);
    errors += !!(dma(DMA_CTL_SELECT | (0x7fffu << 16) | DMA_CTL_READ,
                     sizeof(buf), (uint32_t)buf) & DMA_CTL_ERROR);
    /* a transfer onto its own descriptor: the control word it reads back
     * is whatever the item held */
    (void)dma(DMA_CTL_SELECT | (FW_CFG_FILE_DIR << 16) | DMA_CTL_READ,
              sizeof(desc), (uint32_t)&desc);
    /* every control bit pattern, random lengths and addresses */
    for (i = 0; i < 20000; i++) {
        uint32_t r = rnd();
        (void)dma((r & 0x1f) | (i & 1 ? (r & 0xffff0000u) : (FW_CFG_FILE_DIR << 16)),
                  rnd() & (i & 2 ? 0xffffffffu : 0xff),
                  i & 4 ? ((uint64_t)rnd() << 32 | rnd()) : (rnd() % RAM_TOP));
        if ((i & 255) == 0) {
            dma_kick(((uint64_t)rnd() << 32) | rnd());
        }
    }
    printf("hostile: fw_cfg dma errors %u\n", errors);
}

/* ---- interrupt storm: handlers never iret (see serial_irq.c) ---------- */

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[0x100];
volatile uint32_t irqs, spins;
uint32_t storm_esp;
void storm_loop(void);
void irq_stub(void);
void exception_stub(void);
asm(".text\n"
    "storm_loop:\n"
    "   mov %esp, storm_esp\n"
    "1: cmpl $0, spins\n"
    "   je 2f\n"
    "   decl spins\n"
    "   sti\n"
    "   outb %al, $0x80\n"            /* exits: time for an interrupt */
    "   nop\n"
    "   outb %al, $0x80\n"
    "   cli\n"
    "   jmp 1b\n"
    "2: ret\n"
    "irq_stub:\n"
    "   mov storm_esp, %esp\n"
    "   cld\n"
    "   call storm_irq\n"
    "   jmp 1b\n"
    "exception_stub:\n"
    "   cld\n"
    "   call exception\n");

void exception(void)
{
    puts("hostile: unexpected exception\n");
    debug_exit(0x71);
}

void storm_irq(void)
{
    irqs++;
    (void)cmos_read(0x0c);              /* RTC: acknowledge */
    (void)inb(COM1 + 2);                /* UART: IIR */
    outb(0x20, 0xa0);                   /* EOI both PICs */
    outb(0x20, 0x20);
}

static void set_gate(int vec, void (*fn)(void))
{
    uint32_t a = (uint32_t)fn;

    idt[vec].off_lo = a & 0xffff;
    idt[vec].off_hi = a >> 16;
    idt[vec].sel = 0x08;
    idt[vec].zero = 0;
    idt[vec].type = 0x8e;
}

static void interrupt_storm(void)
{
    struct {
        uint16_t pad, limit;
        uint32_t base;
    } __attribute__((packed)) idtr = { 0, sizeof(idt) - 1, (uint32_t)idt };
    int i;

    for (i = 0; i < 0x20; i++) {
        set_gate(i, exception_stub);
    }
    for (i = 0x20; i < 0x100; i++) {
        set_gate(i, irq_stub);          /* whatever the ports above left */
    }
    asm volatile("lidt (%0)" : : "r"(&idtr.limit) : "memory");
    outb(0x11, 0x20);                   /* PICs: vectors 0x20/0x28 */
    outb(0x11, 0xa0);
    outb(0x20, 0x21);
    outb(0x28, 0xa1);
    outb(0x04, 0x21);
    outb(0x02, 0xa1);
    outb(0x01, 0x21);
    outb(0x01, 0xa1);
    outb(0x00, 0x4d0);                  /* ELCR: every line edge-triggered */
    outb(0x00, 0x4d1);
    outb(0x00, 0x21);                   /* every line unmasked */
    outb(0x00, 0xa1);
    outb(0x34, 0x43);                   /* PIT ch0 mode 2, divisor 2 */
    outb(2, 0x40);
    outb(0, 0x40);
    cmos_write(0x0a, 0x23);             /* RTC: 8192 Hz periodic */
    cmos_write(0x0b, cmos_read(0x0b) | 0x40);
    *(volatile uint32_t *)0xfee00080u = 0;  /* APIC TPR: accept all */
    outb(0x0f, COM1 + 1);               /* UART: every interrupt */
    outb(0x0b, COM1 + 4);
    spins = 20000;
    storm_loop();
    outb(0xff, 0x21);                   /* quiet again */
    outb(0xff, 0xa1);
    outb(0x00, COM1 + 1);
    cmos_write(0x0b, cmos_read(0x0b) & ~0x40);
    printf("hostile: interrupts %s\n", irqs ? "taken" : "none");
}

int main(void)
{
    puts("hostile: start\n");
    attack_ports();
    serial_init();                      /* its divisor may have been hit */
    quiesce();
    attack_mmio();
    ioapic_mask_all();
    attack_fw_cfg_dma();
    interrupt_storm();
    attack_lapic();
    serial_init();
    puts("hostile: done\n");
    halt_forever();
}
