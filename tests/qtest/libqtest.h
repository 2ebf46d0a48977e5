/*
 * libqtest: drive qkvm-system-x86_64 (or QEMU) over the qtest line
 * protocol from a GTest program.
 *
 * qtest_init() starts the VMM named by $QTEST_QEMU_BINARY with
 * "-accel qtest -qtest stdio -qtest-log none -display none" plus the
 * caller's arguments, talking over a pair of pipes.  Every helper sends
 * one command and waits (bounded by $QTEST_TIMEOUT seconds, default 10)
 * for its reply; a reply other than the expected "OK ..." , a timeout or
 * the VMM going away fails the running test.  "IRQ raise N" / "IRQ lower N"
 * lines may arrive before any reply; they are recorded for qtest_get_irq().
 *
 * Any live VMM is killed if the test program aborts (a failed assertion),
 * and each VMM dies with the test program (PR_SET_PDEATHSIG).
 */
#ifndef TESTS_QTEST_LIBQTEST_H
#define TESTS_QTEST_LIBQTEST_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct QTestState QTestState;

/* Start a VMM; extra_args is split like a shell would (may be NULL). */
QTestState *qtest_init(const char *extra_args);
QTestState *qtest_initf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/*
 * Start $QTEST_QEMU_BINARY -accel qtest -display none ARGS and expect it
 * to refuse at start-up: exit status 1 and msg in what it printed.
 */
void qtest_expect_startup_error(const char *args, const char *msg);

/*
 * Stop the VMM with SIGTERM and reap it (SIGKILL after the timeout); the
 * test fails unless it exited with status 0, as a VMM must on SIGTERM.
 * Frees s.
 */
void qtest_quit(QTestState *s);

/*
 * The VMM is expected to exit by itself (debug-exit, guest power-off):
 * drain its output, wait for it (bounded) and check its exit status.
 * Frees s.
 */
void qtest_wait_exit(QTestState *s, int expected_status);

/* ---- raw protocol --------------------------------------------------- */

/* Send one command line (the newline is added); do not wait. */
void qtest_sendf(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The next reply line (async IRQ lines are consumed), without newline. */
char *qtest_recv_line(QTestState *s);
/* Send a command and return its reply line, whatever it is. */
char *qtest_raw(QTestState *s, const char *cmd);

/* ---- port I/O -------------------------------------------------------- */

void qtest_outb(QTestState *s, uint16_t addr, uint8_t value);
void qtest_outw(QTestState *s, uint16_t addr, uint16_t value);
void qtest_outl(QTestState *s, uint16_t addr, uint32_t value);
uint8_t qtest_inb(QTestState *s, uint16_t addr);
uint16_t qtest_inw(QTestState *s, uint16_t addr);
uint32_t qtest_inl(QTestState *s, uint16_t addr);

/* ---- guest memory (little-endian values, as the guest CPU sees them) -- */

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t value);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t value);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value);
uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);
/* Bulk transfers ("read"/"write" with hex data, "memset"). */
void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size);
void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size);

/* ---- virtual clock ---------------------------------------------------- */

/* Advance the virtual clock by ns; returns the new clock value. */
int64_t qtest_clock_step(QTestState *s, int64_t ns);
/* Set the virtual clock (forward only); returns the new clock value. */
int64_t qtest_clock_set(QTestState *s, int64_t ns);

/* ---- interrupts --------------------------------------------------------- */

/* Report the input lines of an interrupt controller ("ioapic"). */
void qtest_irq_intercept_in(QTestState *s, const char *qom_path);
/* Report the output lines of an interrupt controller ("plic": harts). */
void qtest_irq_intercept_out(QTestState *s, const char *qom_path);
/* Drive input line num of an interrupt controller (name: the GPIO list). */
void qtest_set_irq_in(QTestState *s, const char *qom_path, const char *name,
                      int num, int level);
/* Level of intercepted line n after everything sent so far took effect. */
bool qtest_get_irq(QTestState *s, int n);

/* ---- reporting ------------------------------------------------------------ */

/*
 * For behaviour known to differ from the data sheet or QEMU: unless ok,
 * mark the running test incomplete (TAP "not ok ... # TODO <message>")
 * so the suite stays green while the bug is open, and the message says
 * what was expected and what came back.  Returns ok.
 */
bool qtest_todo_unless(bool ok, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
