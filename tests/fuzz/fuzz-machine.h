/*
 * An in-process machine under the qtest accelerator (no vCPU, no
 * /dev/kvm) for the fuzz targets that drive devices and QMP, built from
 * the same objects as qkvm-system-x86_64 (the pc machine) or
 * qkvm-system-riscv64 (virt), all but system/vl.c.  Nothing
 * runs a main loop: requests (reset, shutdown, exit) are handled by
 * fuzz_machine_settle() after each input.
 */
#ifndef TESTS_FUZZ_MACHINE_H
#define TESTS_FUZZ_MACHINE_H

#include "hw/boards.h"
#include "chardev/char.h"

/*
 * Its guest RAM (-m): 32 MiB unless a target sets less before its first
 * fuzz_machine() (migration: every refused stream saves the whole RAM).
 */
extern uint64_t fuzz_machine_ram_size;
/* The machine, created on first use; aborts if that fails. */
MachineState *fuzz_machine(void);
/* A "null" chardev named label (input is fed to its frontend directly). */
Chardev *fuzz_chardev(const char *label);
/* Feed bytes to chr's frontend as if read from its backend. */
void fuzz_chardev_feed(Chardev *chr, const uint8_t *buf, size_t len);
/* Start the qtest server on ms (once); its chardev, to feed commands. */
Chardev *fuzz_qtest_server(MachineState *ms);
/* Reset devices (as after a reset request) and clear pending requests. */
void fuzz_machine_settle(MachineState *ms);

#endif
