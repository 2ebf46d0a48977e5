/*
 * The machine: RAM layout, vCPUs, buses, devices, boot.  It owns
 * everything below it; no device state lives in globals.
 */
#ifndef HW_BOARDS_H
#define HW_BOARDS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/core/cpu.h"
#include "hw/irq.h"
#include "system/iobus.h"
#include "system/runstate.h"

typedef struct KVMState KVMState;
typedef struct MachineState MachineState;

typedef struct MachineClass {
    const char *name;
    const char *alias;          /* "pc" for the versioned name */
    const char *desc;
    bool is_default;
    unsigned max_cpus;
    /* Build RAM, devices and vCPUs. */
    bool (*init)(MachineState *ms, GError **errp);
    /* Put the machine back at its power-on state (boot images reloaded). */
    bool (*reset)(MachineState *ms, GError **errp);
    void (*destroy)(MachineState *ms);
    /* Press the power button (QMP system_powerdown); NULL: none. */
    void (*powerdown)(MachineState *ms);
    /* Guest memory besides RAM that loaders and DMA address (firmware
     * flash and its aliases), looked up before RAM.  NULL: none. */
    void *(*rom_gpa_to_hva)(MachineState *ms, uint64_t gpa, uint64_t len);
    /* Interrupt controllers qtest's irq_intercept_* may name ("ioapic"). */
    const char *const *qtest_intc_names;
    /* qtest set_irq_in: input line n of that controller when it is a
     * device model (the RISC-V PLIC); NULL: the accelerator's line n. */
    qemu_irq (*qtest_irq_in)(MachineState *ms, unsigned n);
    /* How many -machine pflashN=NODE properties the machine has. */
    unsigned pflash_units;
} MachineClass;

typedef void QEMUResetHandler(void *opaque);

/* A slice of the machine's RAM mapping seen by the guest at gpa. */
typedef struct MachineRAMRange {
    uint64_t gpa, size;
    uint64_t offset;            /* into ms->ram */
} MachineRAMRange;
#define MACHINE_MAX_RAM_RANGES 4

/* A -device created with id=ID: QOM's /machine/peripheral/ID. */
typedef struct MachinePeripheral {
    char *id;
    const char *type;
} MachinePeripheral;

struct MachineState {
    const MachineClass *mc;

    /* configuration, from the command line */
    uint64_t ram_size;
    unsigned smp_cpus, sockets, cores, threads;
    char *cpu_model;            /* -cpu argument, e.g. "qemu64,+x2apic" */
    char *kernel_filename;
    char *initrd_filename;
    char *kernel_cmdline;
    char *firmware;             /* -bios FILE (pflash units: system/drive) */
    char *dumpdtb;              /* -machine dumpdtb=FILE (FDT machines) */
    char *pflash_nodes[2];      /* -machine pflash0=,pflash1=: -blockdev
                                 * nodes (libvirt's firmware form) */
    bool no_reboot;
    bool no_shutdown;
    struct Chardev *serial_hds[4];   /* -serial, in order: COM1.. */
    uint8_t uuid[16];           /* -uuid */
    bool has_uuid;
    int64_t rtc_offset;         /* -rtc base: seconds from host UTC */

    /* guest memory: one host mapping, laid out by the machine */
    uint8_t *ram;
    uint64_t below_4g_mem_size, above_4g_mem_size;
    MachineRAMRange ram_ranges[MACHINE_MAX_RAM_RANGES];
    unsigned nr_ram_ranges;

    const struct AccelOps *accel;
    qemu_irq *isa_irqs;         /* ISA IRQ 0-15, NULL without an ISA bus */
    IOBus io;                   /* port I/O */
    IOBus mmio;                 /* memory-mapped I/O */
    KVMState *kvm;
    CPUState **cpus;
    unsigned nr_cpus;

    /* run state and requests (system/runstate.c, system/cpus.c) */
    GMutex lock;
    GCond cond;
    RunState runstate;
    ShutdownCause reset_request;
    ShutdownCause shutdown_request;
    bool exit_request;
    int exit_status;
    bool quitting;              /* vCPU threads leave their loop */
    int wakeup_fd;              /* eventfd: wakes the main loop */

    GArray *reset_handlers;     /* {handler, opaque}, called in order */
    GArray *vmstate;            /* VMStateEntry: saved/loaded in order */
    GPtrArray *migration_blockers;  /* why "migrate" is refused */
    GPtrArray *peripherals;     /* MachinePeripheral: -device with an id */
    void *arch;                 /* e.g. PCMachineState */

    /* -machine confidential-guest-support (x86: SevGuest), or NULL */
    void *cgs;
    unsigned long kvm_vm_type;  /* KVM_CREATE_VM type (SEV: 0 or SEV(-ES)) */
    /* Before the vCPUs first run (SEV: LAUNCH_FINISH); false keeps the
     * machine stopped with the error. */
    bool (*cgs_start)(MachineState *ms, GError **errp);
    bool cgs_started;
    /* SEV-ES: vCPU registers are encrypted; no vCPU reset is possible */
    bool cpu_state_protected;
};

/* Guest physical -> host pointer, NULL unless [gpa, gpa+len) is RAM. */
void *machine_gpa_to_hva(MachineState *ms, uint64_t gpa, uint64_t len);
/* The same for RAM only: what a write may go to (ROM and flash take
 * writes as MMIO, the way KVM's read-only slots exit). */
void *machine_ram_gpa_to_hva(MachineState *ms, uint64_t gpa, uint64_t len);
/* Show ms->ram[offset, offset+size) to the guest at gpa (accel map_ram). */
bool machine_map_ram(MachineState *ms, uint64_t gpa, uint64_t offset,
                     uint64_t size, GError **errp);

void qemu_register_reset(MachineState *ms, QEMUResetHandler *fn, void *opaque);
void qemu_devices_reset(MachineState *ms);

/* The machine table: each machine file registers its class. */
void machine_register(const MachineClass *mc);
#define MACHINE_REGISTER(mc) \
    static void __attribute__((constructor)) register_##mc(void) \
    { machine_register(&mc); }
const MachineClass *machine_find(const char *name);
/* Every machine, in registration order (QMP query-machines). */
GPtrArray *machine_all(void);
const MachineClass *machine_default(void);
void machine_list(FILE *f);

/* vCPU threads (system/cpus.c) */
bool cpus_start(MachineState *ms, GError **errp);
void cpus_stop_threads(MachineState *ms);
void cpus_kick_all(MachineState *ms);
/* Wait until every vCPU is parked (they are, or will be, because a
 * request is pending); then let them go again once it is cleared. */
void cpus_wait_stopped(MachineState *ms);
void cpus_resume_after_request(MachineState *ms);
/* Whatever must happen before the vCPUs first run (cgs_start). */
bool vm_prepare_start(MachineState *ms, GError **errp);

#endif
