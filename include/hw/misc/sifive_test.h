#ifndef HW_MISC_SIFIVE_TEST_H
#define HW_MISC_SIFIVE_TEST_H

#include "hw/boards.h"

/* The poweroff/reset register of QEMU's riscv virt (hw/misc/sifive_test.c). */
bool sifive_test_create(MachineState *ms, uint64_t base, uint64_t size,
                        GError **errp);

#endif
