/*
 * serial-irq: interrupt-driven COM1 input.  8259 PIC remapped to 0x20/0x28
 * with only IRQ4 unmasked, UART receive interrupt + OUT2; every received byte
 * is echoed as "got: X"; 'q' ends the test.
 */
#include "libguest.h"

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[0x30];
volatile int quit;

/*
 * No iret: the host's instruction emulator (which runs this 32-bit guest on
 * the nested test machine) cannot emulate a protected-mode iret.  Interrupts
 * are only ever enabled at the "sti; hlt" of wait_for_quit, so a handler can
 * drop its frame, reload the loop's stack pointer and resume the loop.
 */
void wait_for_quit(void);
void irq4_stub(void);
void ignore_stub(void);
void exception_stub(void);
uint32_t wait_esp;
asm(".text\n"
    "wait_for_quit:\n"
    "   mov %esp, wait_esp\n"
    "1: cmpl $0, quit\n"
    "   jne 2f\n"
    "   sti\n"
    "   hlt\n"
    "   cli\n"
    "   jmp 1b\n"
    "2: ret\n"
    "irq4_stub:\n"
    "   mov wait_esp, %esp\n"
    "   cld\n"
    "   call serial_irq\n"
    "   jmp 1b\n"
    "ignore_stub:\n"                   /* spurious IRQ7/15: no EOI */
    "   mov wait_esp, %esp\n"
    "   jmp 1b\n"
    "exception_stub:\n"
    "   cld\n"
    "   call exception\n");

void exception(void)
{
    puts("serial-irq: unexpected exception\n");
    debug_exit(0x71);
}

void serial_irq(void)
{
    while (inb(COM1 + 5) & 0x01) {      /* LSR: data ready */
        uint8_t c = inb(COM1);
        if (c > 0x20 && c < 0x7f)
            printf("got: %c\n", c);
        else
            printf("got: \\x%02x\n", c);
        if (c == 'q')
            quit = 1;
    }
    outb(0x20, 0x20);                   /* EOI */
}

static void set_gate(int vec, void (*fn)(void))
{
    uint32_t a = (uint32_t)fn;
    idt[vec].off_lo = a & 0xffff;
    idt[vec].off_hi = a >> 16;
    idt[vec].sel = 0x08;
    idt[vec].zero = 0;
    idt[vec].type = 0x8e;               /* present, ring 0, 32-bit interrupt gate */
}

int main(void)
{
    struct {
        uint16_t pad, limit;
        uint32_t base;
    } __attribute__((packed)) idtr = { 0, sizeof(idt) - 1, (uint32_t)idt };
    int i;

    puts("serial-irq: hello\n");
    for (i = 0; i < 0x20; i++)
        set_gate(i, exception_stub);
    for (i = 0x20; i < 0x30; i++)
        set_gate(i, ignore_stub);
    set_gate(0x24, irq4_stub);
    asm volatile("lidt (%0)" : : "r"(&idtr.limit) : "memory");

    outb(0x11, 0x20);                   /* ICW1: edge, cascade, ICW4 */
    outb(0x11, 0xa0);
    outb(0x20, 0x21);                   /* ICW2: vector base */
    outb(0x28, 0xa1);
    outb(0x04, 0x21);                   /* ICW3: slave on IRQ2 */
    outb(0x02, 0xa1);
    outb(0x01, 0x21);                   /* ICW4: 8086 mode */
    outb(0x01, 0xa1);
    outb(0xef, 0x21);                   /* mask all but IRQ4 */
    outb(0xff, 0xa1);

    outb(0x0b, COM1 + 4);               /* MCR: DTR | RTS | OUT2 */
    outb(0x01, COM1 + 1);               /* IER: received data available */
    puts("serial-irq: ready\n");

    wait_for_quit();
    puts("serial-irq: bye\n");
    return 0;
}
