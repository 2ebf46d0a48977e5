/* libguest: shared code of the qkvm test guests (see libguest.h). */
#include "libguest.h"

#define UART_LSR 5
#define UART_LSR_THRE 0x20

void serial_init(void)
{
    /*
     * 8N1, divisor 1.  The FIFO control register is left alone on purpose:
     * toggling the FIFO enable flushes received bytes that may already be
     * waiting (serial-irq test), and polled output does not need it.
     */
    outb(0x00, COM1 + 1);       /* IER: no interrupts */
    outb(0x80, COM1 + 3);       /* LCR: DLAB */
    outb(0x01, COM1 + 0);       /* DLL */
    outb(0x00, COM1 + 1);       /* DLM */
    outb(0x03, COM1 + 3);       /* LCR: 8N1 */
    outb(0x03, COM1 + 4);       /* MCR: DTR | RTS */
}

void putc(char c)
{
    int i;
    for (i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
        cpu_relax();
    outb(c, COM1);
}

void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

/* v / base, remainder in *rem: shift-subtract, so no libgcc is needed */
static unsigned long long divmod(unsigned long long v, unsigned base, unsigned *rem)
{
    unsigned long long q = 0;
    unsigned r = 0;
    int i;

    for (i = 63; i >= 0; i--) {
        r = (r << 1) | (unsigned)((v >> i) & 1);
        if (r >= base) {
            r -= base;
            q |= 1ULL << i;
        }
    }
    *rem = r;
    return q;
}

static void print_num(unsigned long long v, unsigned base, int width, char pad)
{
    char buf[24];
    int n = 0;
    do {
        unsigned d;
        v = divmod(v, base, &d);
        buf[n++] = d < 10 ? '0' + d : 'a' + d - 10;
    } while (v);
    while (n < width && n < (int)sizeof(buf))
        buf[n++] = pad;
    while (n)
        putc(buf[--n]);
}

void print_hex(uint32_t v)
{
    puts("0x");
    print_num(v, 16, 8, '0');
}

void print_dec(uint32_t v)
{
    print_num(v, 10, 0, ' ');
}

void vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        int width = 0, lng = 0;
        char pad = ' ';
        unsigned long long v;

        if (*fmt != '%') {
            putc(*fmt);
            continue;
        }
        fmt++;
        if (*fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 's':
            puts(va_arg(ap, const char *));
            break;
        case 'c':
            putc((char)va_arg(ap, int));
            break;
        case 'd': {
            long long s = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
            if (s < 0) {
                putc('-');
                s = -s;
            }
            print_num((unsigned long long)s, 10, width, pad);
            break;
        }
        case 'u':
        case 'x':
            v = lng >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
            print_num(v, *fmt == 'x' ? 16 : 10, width, pad);
            break;
        case '%':
            putc('%');
            break;
        default:
            putc('%');
            putc(*fmt);
            if (!*fmt)
                return;
        }
    }
}

void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void print_escaped(const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;

    putc('"');
    for (i = 0; i < n; i++) {
        if (s[i] == '\n') {
            puts("\\n");
        } else if (s[i] == '"' || s[i] == '\\') {
            putc('\\');
            putc(s[i]);
        } else if (s[i] >= 0x20 && s[i] < 0x7f) {
            putc(s[i]);
        } else {
            puts("\\x");
            print_num(s[i], 16, 2, '0');
        }
    }
    putc('"');
}

void halt_forever(void)
{
    for (;;)
        asm volatile("cli; hlt");
}

void debug_exit(uint32_t code)
{
    outl(code, DEBUG_EXIT_PORT);
    /* only reached without an isa-debug-exit device */
    puts("debug-exit: no isa-debug-exit device at 0xf4\n");
    halt_forever();
}

void fw_cfg_select(uint16_t key)
{
    outw(key, FW_CFG_CTL);
}

void fw_cfg_read(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n--)
        *p++ = inb(FW_CFG_DATA);
}

uint16_t fw_cfg_read16(uint16_t key)
{
    uint16_t v;
    fw_cfg_select(key);
    fw_cfg_read(&v, sizeof(v));
    return v;
}

uint32_t fw_cfg_read32(uint16_t key)
{
    uint32_t v;
    fw_cfg_select(key);
    fw_cfg_read(&v, sizeof(v));
    return v;
}

uint64_t fw_cfg_read64(uint16_t key)
{
    uint64_t v;
    fw_cfg_select(key);
    fw_cfg_read(&v, sizeof(v));
    return v;
}

uint8_t cmos_read(uint8_t idx)
{
    outb(idx, 0x70);
    return inb(0x71);
}

void cmos_write(uint8_t idx, uint8_t v)
{
    outb(idx, 0x70);
    outb(v, 0x71);
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

uint32_t cmdline_value(const char *cmdline, const char *key, uint32_t dflt)
{
    const char *s;
    size_t klen = strlen(key);
    uint32_t v = 0;
    unsigned base = 10;

    if (!cmdline)
        return dflt;
    for (s = cmdline; *s; s++) {
        /* the key at the start of a word */
        if ((s != cmdline && s[-1] != ' ') || strncmp(s, key, klen))
            continue;
        s += klen;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            base = 16;
            s += 2;
        }
        for (;; s++) {
            unsigned d;
            if (*s >= '0' && *s <= '9')
                d = *s - '0';
            else if (base == 16 && *s >= 'a' && *s <= 'f')
                d = *s - 'a' + 10;
            else if (base == 16 && *s >= 'A' && *s <= 'F')
                d = *s - 'A' + 10;
            else
                break;
            v = v * base + d;
        }
        return v;
    }
    return dflt;
}

uint32_t cmdline_exit_code(const char *cmdline)
{
    return cmdline_value(cmdline, "exit=", 0);
}
