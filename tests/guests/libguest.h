/*
 * libguest: the small freestanding library shared by all qkvm test guests.
 * 32-bit protected mode, no paging, no libc.  COM1 polled output,
 * isa-debug-exit, fw_cfg (I/O port interface), CMOS.
 */
#ifndef LIBGUEST_H
#define LIBGUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define COM1            0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define FW_CFG_CTL      0x510
#define FW_CFG_DATA     0x511

/* fw_cfg keys */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID        0x01
#define FW_CFG_RAM_SIZE  0x03
#define FW_CFG_NB_CPUS   0x05
#define FW_CFG_FILE_DIR  0x19

static inline void outb(uint8_t v, uint16_t port)
{
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t v, uint16_t port)
{
    asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint32_t v, uint16_t port)
{
    asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
/*
 * A delay that costs about the same whether the guest runs natively or in an
 * instruction emulator: each write to port 0x80 (the POST port Linux uses for
 * io_delay) is a VM exit.  Use these, not plain spin counts, to bound waits.
 */
static inline void io_delay(void)
{
    outb(0, 0x80);
}
static inline void cpu_relax(void)
{
    asm volatile("" ::: "memory");
}

/* serial (COM1, polled) */
void serial_init(void);
void putc(char c);
void puts(const char *s);                 /* no newline added */
void print_hex(uint32_t v);               /* 0x%08x */
void print_dec(uint32_t v);
void printf(const char *fmt, ...);        /* %s %c %d %u %x %lx %llx %llu, width, '0' */
void vprintf(const char *fmt, va_list ap);
void print_escaped(const void *p, size_t n); /* "..." with \n, \xNN escapes */

/* isa-debug-exit: process exit status becomes (code << 1) | 1 */
void debug_exit(uint32_t code) __attribute__((noreturn));
void halt_forever(void) __attribute__((noreturn));

/* fw_cfg */
void fw_cfg_select(uint16_t key);
void fw_cfg_read(void *buf, size_t n);
uint16_t fw_cfg_read16(uint16_t key);     /* little-endian items */
uint32_t fw_cfg_read32(uint16_t key);
uint64_t fw_cfg_read64(uint16_t key);
static inline uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
static inline uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }

/* CMOS / RTC */
uint8_t cmos_read(uint8_t idx);
void cmos_write(uint8_t idx, uint8_t v);

/* strings */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
/* value of the word "NAME=N" (key = "NAME=") in a command line, decimal or 0x hex */
uint32_t cmdline_value(const char *cmdline, const char *key, uint32_t dflt);
/* the "exit=N" value; 0 if absent */
uint32_t cmdline_exit_code(const char *cmdline);

#endif
