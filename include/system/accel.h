/*
 * Accelerators: what runs the guest.  The machine builds RAM, devices and
 * interrupt wiring through this small ops struct, so the same machine
 * runs under KVM (vCPUs, in-kernel irqchip) and under qtest (no vCPU:
 * a test drives memory, I/O and clocks, and sees interrupt lines).
 */
#ifndef SYSTEM_ACCEL_H
#define SYSTEM_ACCEL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct MachineState MachineState;

typedef struct AccelOps {
    const char *name;
    bool has_vcpus;
    /* Before the machine is built: open devices, check limits. */
    bool (*init)(MachineState *ms, GError **errp);
    /* Guest RAM at gpa, backed by hva. */
    bool (*map_ram)(MachineState *ms, uint64_t gpa, uint64_t size, void *hva,
                    GError **errp);
    /* Read-only guest memory at gpa (firmware ROM): guest writes are
     * dropped.  NULL: the accelerator maps nothing (qtest). */
    bool (*map_rom)(MachineState *ms, uint64_t gpa, uint64_t size, void *hva,
                    GError **errp);
    /*
     * A ROM device (flash) at gpa: shown, guest reads come from hva and
     * writes reach the MMIO bus; hidden, reads reach the bus as well.
     * *slot is -1 before the first call.  NULL: nothing is mapped (qtest
     * reaches the device through machine_gpa_to_hva and the bus).
     */
    bool (*set_romd)(MachineState *ms, int *slot, uint64_t gpa,
                     uint64_t size, void *hva, bool shown, GError **errp);
    /* Interrupt controllers and timers the accelerator provides (KVM's
     * in-kernel irqchip and PIT on x86).  May be NULL. */
    bool (*init_irqchip)(MachineState *ms, GError **errp);
    /* A machine interrupt line (GSI on x86) changed level. */
    void (*set_irq)(MachineState *ms, int line, int level);
    /* A message-signalled interrupt: the write of data to addr (PCI MSI,
     * MSI-X).  May be NULL: no MSI. */
    void (*send_msi)(MachineState *ms, uint64_t addr, uint32_t data);
    /*
     * Let a guest write of len bytes at addr (port I/O if is_io) signal
     * the eventfd fd without an exit, or stop doing so (assign false).
     * May be NULL: the write then reaches the I/O bus as any other.
     */
    bool (*set_ioeventfd)(MachineState *ms, uint64_t addr, unsigned len,
                          bool is_io, int fd, bool assign, GError **errp);
    /*
     * An MSI sent by writing to eventfd fd (an irqfd): returns a handle
     * for msi_route_set, or -1.  May be NULL: send_msi is used instead.
     */
    int (*msi_irqfd_new)(MachineState *ms, int fd, GError **errp);
    /* The message the handle's eventfd sends from now on. */
    void (*msi_route_set)(MachineState *ms, int handle, uint64_t addr,
                          uint32_t data);
    /* The vCPUs were parked by vm_stop (running = false) or are about to
     * run again after one (true).  May be NULL. */
    void (*vm_state_change)(MachineState *ms, bool running);
} AccelOps;

extern const AccelOps kvm_accel_ops;
extern const AccelOps qtest_accel_ops;

/* "kvm", "qtest"; NULL if unknown or not built. */
const AccelOps *accel_find(const char *name);

#endif
