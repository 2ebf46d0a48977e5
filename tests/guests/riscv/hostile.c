/*
 * hostile (RISC-V): a guest that attacks qkvm-system-riscv64 through SBI
 * calls and MMIO; the VMM must survive it, keep its log rate-limited and
 * still obey QMP (tests/functional/linux/riscv-linux-nested.sh, which
 * cross-builds this file and runs it under qkvm with nested KVM).
 *
 *  1. DBCN (forwarded to qkvm by KVM): writes outside RAM, crossing its
 *     end, with base_addr_hi != 0, of the whole RAM in one call (qkvm
 *     writes at most a bounded part: SBI v2.0 12.1 allows partial
 *     writes), reads, unknown functions; each answer is checked here;
 *  2. a PRNG-driven storm of ecalls: boundary and random extension ids
 *     (a7), function ids (a6) and arguments a0-a5 (0, ~0, RAM end, beyond
 *     RAM, random), over the extensions KVM answers itself (BASE, TIME,
 *     IPI, RFENCE, HSM, SRST, STA, SUSP) and those it forwards to
 *     qkvm (legacy console, DBCN, the experimental and vendor ranges,
 *     which qkvm answers SBI_ERR_NOT_SUPPORTED: counted and checked);
 *  3. random values at random offsets of the PLIC, the UART and the
 *     virtio-mmio slots, every access size, then reads of them, and of
 *     random unmapped addresses below RAM;
 *  4. the UART is set back to a sane line mode and the counts are printed
 *     on it (with the number of access faults taken, which under KVM
 *     must be 0), then "HOSTILE-RISCV-DONE"; the hart waits (wfi) for
 *     QMP.
 *
 * Left out because a guest may legitimately end its machine or its only
 * hart through them (the test would end early, not find a bug): SRST
 * reset types 0-2 (shutdown, cold and warm reboot: SBI v2.0 10.1; the
 * type is 32 bits wide, so its low 32 bits are kept >= 3), HSM hart_stop
 * (fid 1) and hart_suspend (fid 3), SUSP sleep type 0 (suspend to RAM),
 * the legacy v0.1 shutdown (eid 8), and the sifive_test power-off device
 * at 0x100000.  Addresses that KVM writes to (STA shared memory) come from
 * a pool that never points into this image.  PMU is left out too:
 * OpenSBI 1.1, the outer firmware of the nested test, dies on garbage PMU
 * calls (seen running this guest directly under qemu-system-riscv64
 * -bios default: "sbi_trap_error", a7=0x504d55), and KVM passes counter
 * operations on to that firmware; a failure there is not the VMM's.
 */
#include <stdint.h>

#define RAM_BASE        0x80000000ul
#define RAM_SIZE        (64ul << 20)            /* run with -m 64 */
#define RAM_END         (RAM_BASE + RAM_SIZE)
#define SCRATCH         RAM_BASE                /* the image is at +2 MiB */
#define UART            0x10000000ul
#define PLIC            0x0c000000ul
#define PLIC_SIZE       0x4000000ul
#define VIRTIO          0x10001000ul
#define VIRTIO_SIZE     0x8000ul
#define TEST_DEV        0x100000ul              /* sifive_test: power-off */

/* SBI v2.0: extension ids (chapter 3 and each extension's chapter) */
#define EXT_BASE        0x10
#define EXT_TIME        0x54494D45
#define EXT_IPI         0x735049
#define EXT_RFENCE      0x52464E43
#define EXT_HSM         0x48534D
#define EXT_SRST        0x53525354
#define EXT_DBCN        0x4442434E
#define EXT_STA         0x535441
#define EXT_SUSP        0x53555350
#define EXT_EXPERIMENTAL 0x08000000             /* .. 0x08FFFFFF */
#define EXT_VENDOR      0x09000000              /* .. 0x09FFFFFF */
#define SBI_SUCCESS             0
#define SBI_ERR_NOT_SUPPORTED   (-2)
#define SBI_ERR_INVALID_PARAM   (-3)

#define SBI_CALLS       3000
#define MMIO_ACCESSES   3000

struct sbiret {
    long error;
    long value;
};

static struct sbiret ecall(unsigned long eid, unsigned long fid,
                           unsigned long a0, unsigned long a1,
                           unsigned long a2, unsigned long a3,
                           unsigned long a4, unsigned long a5)
{
    register unsigned long r0 asm("a0") = a0, r1 asm("a1") = a1;
    register unsigned long r2 asm("a2") = a2, r3 asm("a3") = a3;
    register unsigned long r4 asm("a4") = a4, r5 asm("a5") = a5;
    register unsigned long r6 asm("a6") = fid, r7 asm("a7") = eid;

    asm volatile("ecall"
                 : "+r"(r0), "+r"(r1)
                 : "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
                 : "memory");
    return (struct sbiret){ (long)r0, (long)r1 };
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* --- MMIO and the UART ---------------------------------------------- */

static void mmio_write(unsigned long addr, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *(volatile uint8_t *)addr = v; break;
    case 2: *(volatile uint16_t *)addr = v; break;
    case 4: *(volatile uint32_t *)addr = v; break;
    default: *(volatile uint64_t *)addr = v; break;
    }
}

static uint64_t mmio_read(unsigned long addr, unsigned size)
{
    switch (size) {
    case 1: return *(volatile uint8_t *)addr;
    case 2: return *(volatile uint16_t *)addr;
    case 4: return *(volatile uint32_t *)addr;
    default: return *(volatile uint64_t *)addr;
    }
}

static void uart_putc(char c)
{
    /* LSR bit 5: THR empty; bounded, so a broken UART cannot hang us */
    for (int i = 0; i < 100000 && !(mmio_read(UART + 5, 1) & 0x20); i++) {
    }
    mmio_write(UART, 1, (uint8_t)c);
}

static void puts_(const char *s)
{
    while (*s) {
        if (*s == '\n') {
            uart_putc('\r');
        }
        uart_putc(*s++);
    }
}

static void putu(uint64_t v)
{
    char buf[21];
    int i = 20;

    buf[i] = 0;
    do {
        buf[--i] = '0' + v % 10;
        v /= 10;
    } while (v);
    puts_(buf + i);
}

static void puth(uint64_t v)
{
    puts_("0x");
    for (int s = 60; s >= 0; s -= 4) {
        uart_putc("0123456789abcdef"[(v >> s) & 15]);
    }
}

static void uart_sane(void)
{
    mmio_write(UART + 3, 1, 0x03);      /* LCR: 8N1, DLAB off */
    mmio_write(UART + 1, 1, 0x00);      /* IER: no interrupts */
    mmio_write(UART + 2, 1, 0x07);      /* FCR: FIFOs on and cleared */
    mmio_write(UART + 4, 1, 0x00);      /* MCR: loopback off */
}

/* --- 1. DBCN, answers checked ---------------------------------------- */

static unsigned dbcn_bad;

static void expect(const char *what, struct sbiret r, long err, long maxval)
{
    if (r.error != err || (err == 0 && (r.value < 0 || r.value > maxval))) {
        dbcn_bad++;
        puts_("HOSTILE-RISCV dbcn unexpected: ");
        puts_(what);
        puts_(" error=");
        puth(r.error);
        puts_(" value=");
        puth(r.value);
        puts_("\n");
    }
}

/*
 * The markers the test waits for are never one string in this image:
 * a DBCN write of all RAM that the VMM did not bound would put the
 * image itself on the console, and a marker there must not count.
 */
static char dbcn_msg[32];

static void attack_dbcn(void)
{
    static const char *const parts[] = { "HOSTILE-RISCV-", "DBCN-", "WRITE\n" };
    unsigned n = 0;
    struct sbiret r;

    for (unsigned i = 0; i < 3; i++) {
        for (const char *c = parts[i]; *c; c++) {
            dbcn_msg[n++] = *c;
        }
    }

    r = ecall(EXT_DBCN, 0, n, (unsigned long)dbcn_msg, 0, 0, 0, 0);
    /* qkvm's bound is far above this message: all of it is written */
    if (r.error == SBI_SUCCESS && r.value != (long)n) {
        r.error = 1;
    }
    expect("write of a message", r, SBI_SUCCESS, n);
    expect("write below RAM",
           ecall(EXT_DBCN, 0, 16, 0x1000, 0, 0, 0, 0),
           SBI_ERR_INVALID_PARAM, 0);
    expect("write beyond RAM",
           ecall(EXT_DBCN, 0, 16, RAM_END, 0, 0, 0, 0),
           SBI_ERR_INVALID_PARAM, 0);
    expect("write crossing the end of RAM",
           ecall(EXT_DBCN, 0, 64, RAM_END - 32, 0, 0, 0, 0),
           SBI_ERR_INVALID_PARAM, 0);
    expect("write of ~0 bytes",
           ecall(EXT_DBCN, 0, ~0ul, SCRATCH, 0, 0, 0, 0),
           SBI_ERR_INVALID_PARAM, 0);
    expect("write wrapping around",
           ecall(EXT_DBCN, 0, 0x100, ~0ul - 0x10, 0, 0, 0, 0),
           SBI_ERR_INVALID_PARAM, 0);
    expect("write with base_addr_hi",
           ecall(EXT_DBCN, 0, 16, (unsigned long)dbcn_msg, 1, 0, 0, 0),
           SBI_ERR_INVALID_PARAM, 0);
    /* all of RAM in one call: valid, but the VMM writes a bounded part
     * (scratch RAM is zeroes: NUL bytes on the console) */
    expect("write of all RAM",
           ecall(EXT_DBCN, 0, RAM_SIZE, RAM_BASE, 0, 0, 0, 0),
           SBI_SUCCESS, 4096);
    expect("read into RAM",
           ecall(EXT_DBCN, 1, 4096, SCRATCH, 0, 0, 0, 0),
           SBI_SUCCESS, 4096);
    expect("unknown function 3",
           ecall(EXT_DBCN, 3, 0, 0, 0, 0, 0, 0),
           SBI_ERR_NOT_SUPPORTED, 0);
    expect("unknown function ~0",
           ecall(EXT_DBCN, ~0ul, 0, 0, 0, 0, 0, 0),
           SBI_ERR_NOT_SUPPORTED, 0);
}

/* --- 2. the ecall storm ----------------------------------------------- */

/* an address-like or arbitrary argument; what KVM may write through (STA
 * shared memory) lands in scratch RAM below the image, or outside RAM */
static unsigned long garbage(void)
{
    switch (rnd() % 12) {
    case 0: return 0;
    case 1: return ~0ul;
    case 2: return RAM_END;
    case 3: return RAM_END + 0x1000;
    case 4: return RAM_BASE;
    case 5: return SCRATCH + (rnd() % 0x100000 & ~0x3ful);
    case 6: return 1ul << (rnd() % 64);
    case 7: return (1ul << 63) - 1;
    case 8: return rnd() % 16;
    case 9: return 0x100000000ul;
    default: return rnd();
    }
}

static unsigned long long calls, forwarded_unknown, forwarded_notsupp;

static void storm_one(void)
{
    static const unsigned long known[] = {
        EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM, EXT_SRST,
        EXT_DBCN, EXT_STA, EXT_SUSP, 0x1, 0x2,
    };
    unsigned long a[6], eid, fid;
    int unknown_forwarded = 0;
    struct sbiret r;

    for (int i = 0; i < 6; i++) {
        a[i] = garbage();
    }
    fid = rnd() % 4 ? rnd() % 10 : garbage();
    switch (rnd() % 4) {
    case 0:     /* experimental and vendor ranges: KVM forwards them */
        eid = (rnd() & 1 ? EXT_EXPERIMENTAL : EXT_VENDOR) +
              (rnd() & 1 ? rnd() % 0x1000000 : (rnd() & 1) * 0xffffff);
        unknown_forwarded = 1;
        break;
    case 1:     /* random and boundary ids: nobody's extension */
        eid = rnd() & 1 ? rnd() | (1ul << 40) : ~0ul - rnd() % 4;
        break;
    default:
        eid = known[rnd() % (sizeof(known) / sizeof(known[0]))];
        break;
    }
    switch (eid) {
    case EXT_SRST:      /* only invalid reset types: low 32 bits >= 3 */
        if ((uint32_t)a[0] < 3) {
            a[0] += 3;
        }
        break;
    case EXT_HSM:       /* no hart_stop, no hart_suspend */
        if (fid == 1 || fid == 3) {
            fid = 2;
        }
        break;
    case EXT_SUSP:      /* no suspend to RAM (sleep type 0) */
        if ((uint32_t)a[0] == 0) {
            a[0] |= 0x10;
        }
        break;
    case EXT_DBCN:      /* a huge read/write of RAM: at most 1 MiB */
        if (fid <= 1 && a[1] >= RAM_BASE && a[1] < RAM_END) {
            a[0] &= 0xfffff;
        }
        break;
    }
    r = ecall(eid, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
    calls++;
    if (unknown_forwarded) {
        forwarded_unknown++;
        forwarded_notsupp += r.error == SBI_ERR_NOT_SUPPORTED;
    }
}

/* --- 3. MMIO -------------------------------------------------------- */

static unsigned long long mmio_writes, mmio_reads;

static void mmio_one(int write)
{
    unsigned size = 1u << (rnd() % 4);
    unsigned long addr;

    switch (rnd() % 8) {
    case 0: case 1: case 2:
        addr = PLIC + rnd() % PLIC_SIZE;
        break;
    case 3: case 4:
        addr = UART + rnd() % 0x100;
        break;
    case 5:
        addr = VIRTIO + rnd() % VIRTIO_SIZE;
        break;
    default:    /* anywhere below RAM but the power-off device */
        addr = rnd() % RAM_BASE;
        if (addr >= TEST_DEV && addr < TEST_DEV + 0x1000) {
            addr += 0x1000;
        }
        break;
    }
    addr &= ~(unsigned long)(size - 1);         /* aligned: no trap */
    if (write) {
        mmio_write(addr, size, rnd());
        mmio_writes++;
    } else {
        mmio_read(addr, size);
        mmio_reads++;
    }
}

/* --- entry, traps --------------------------------------------------- */

void hostile_main(void);
unsigned long hostile_trap(unsigned long cause, unsigned long epc,
                           unsigned long tval);

static unsigned long long access_faults;

/*
 * Under KVM every access to an address without RAM reaches the VMM as an
 * MMIO exit, so a load or store access fault (scause 5, 7) means the VMM
 * or KVM refused one: counted and skipped (under TCG, where unmapped
 * addresses fault, this lets the guest run to its end too).  Anything
 * else is fatal and reported.
 */
unsigned long hostile_trap(unsigned long cause, unsigned long epc,
                           unsigned long tval)
{
    if (cause == 5 || cause == 7) {
        access_faults++;
        return epc + ((*(volatile uint16_t *)epc & 3) == 3 ? 4 : 2);
    }
    uart_sane();
    puts_("HOSTILE-RISCV-");
    puts_("TRAP scause=");
    puth(cause);
    puts_(" sepc=");
    puth(epc);
    puts_(" stval=");
    puth(tval);
    puts_("\n");
    for (;;) {
        asm volatile("wfi");
    }
}

void hostile_main(void)
{
    puts_("HOSTILE-RISCV-START\n");
    attack_dbcn();
    for (int i = 0; i < SBI_CALLS; i++) {
        storm_one();
    }
    for (int i = 0; i < MMIO_ACCESSES; i++) {
        mmio_one(i % 2 == 0);
    }
    /* the attack may have left timers, IPIs and interrupts pending:
     * none of them may wake the final wfi loop */
    asm volatile("csrw sie, zero; csrw sip, zero");
    ecall(EXT_TIME, 0, ~0ul, 0, 0, 0, 0, 0);
    uart_sane();
    puts_("\nHOSTILE-RISCV dbcn-unexpected=");
    putu(dbcn_bad);
    puts_("\nHOSTILE-RISCV sbi-calls=");
    putu(calls);
    puts_(" forwarded-unknown=");
    putu(forwarded_unknown);
    puts_(" not-supported=");
    putu(forwarded_notsupp);
    puts_("\nHOSTILE-RISCV mmio-writes=");
    putu(mmio_writes);
    puts_(" mmio-reads=");
    putu(mmio_reads);
    puts_(" access-faults=");
    putu(access_faults);
    puts_("\nHOSTILE-RISCV-");
    puts_("DONE\n");
    for (;;) {
        asm volatile("wfi");
    }
}

/* referenced from the entry code only */
uint8_t stack[16384] __attribute__((aligned(16), used));

/* the trap entry saves every register the C handler may clobber (a
 * fault can hit in the middle of any function) and returns with sret */
asm(".section .text.entry, \"ax\"\n"
    ".globl _start\n"
    "_start:\n"
    "    la sp, stack + 16384\n"
    "    la t0, trap_entry\n"
    "    csrw stvec, t0\n"
    "    csrw sie, zero\n"
    "    call hostile_main\n"
    "1:  wfi\n"
    "    j 1b\n"
    ".balign 4\n"
    "trap_entry:\n"
    "    addi sp, sp, -128\n"
    "    sd ra, 0(sp);   sd t0, 8(sp);   sd t1, 16(sp);  sd t2, 24(sp)\n"
    "    sd a0, 32(sp);  sd a1, 40(sp);  sd a2, 48(sp);  sd a3, 56(sp)\n"
    "    sd a4, 64(sp);  sd a5, 72(sp);  sd a6, 80(sp);  sd a7, 88(sp)\n"
    "    sd t3, 96(sp);  sd t4, 104(sp); sd t5, 112(sp); sd t6, 120(sp)\n"
    "    csrr a0, scause\n"
    "    csrr a1, sepc\n"
    "    csrr a2, stval\n"
    "    call hostile_trap\n"
    "    csrw sepc, a0\n"
    "    ld ra, 0(sp);   ld t0, 8(sp);   ld t1, 16(sp);  ld t2, 24(sp)\n"
    "    ld a0, 32(sp);  ld a1, 40(sp);  ld a2, 48(sp);  ld a3, 56(sp)\n"
    "    ld a4, 64(sp);  ld a5, 72(sp);  ld a6, 80(sp);  ld a7, 88(sp)\n"
    "    ld t3, 96(sp);  ld t4, 104(sp); ld t5, 112(sp); ld t6, 120(sp)\n"
    "    addi sp, sp, 128\n"
    "    sret\n"
    ".text\n");
