/*
 * The KVM accelerator: /dev/kvm, the VM fd, memory slots, vCPU fds.
 */
#ifndef SYSTEM_KVM_H
#define SYSTEM_KVM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "accel/kvm-common.h"
#include "hw/core/cpu.h"

/*
 * Open the device, check the API version and every capability in the
 * generic and the arch table.  Errors name the missing piece.
 */
KVMState *kvm_init(const char *device, GError **errp);
KVMState *kvm_init_type(const char *device, unsigned long type, GError **errp);
/* Create the vCPU fd and map its kvm_run. */
bool kvm_create_vcpu(KVMState *s, CPUState *cpu, GError **errp);
/* Level-triggered GSI line to the in-kernel irqchip. */
void kvm_set_irq(KVMState *s, int gsi, int level);
/*
 * GSI routing (api.rst 4.52 KVM_SET_GSI_ROUTING replaces the whole table,
 * so the table is kept here): the irqchip routes the architecture sets
 * up, then one MSI route per message a device sends through an irqfd.
 */
bool kvm_irq_routes_init(KVMState *s, const struct kvm_irq_routing_entry *e,
                         unsigned n, unsigned first_free_gsi, GError **errp);
/* A new MSI route, its message not set yet; its GSI or -1. */
int kvm_msi_route_add(KVMState *s, GError **errp);
bool kvm_msi_route_update(KVMState *s, int gsi, uint64_t addr,
                          uint32_t data, GError **errp);
/* KVM_IRQFD (api.rst 4.75): a write to fd injects gsi. */
bool kvm_irqfd(KVMState *s, int fd, int gsi, bool assign, GError **errp);
/* One MSI: the write of data to addr (KVM_SIGNAL_MSI, api.rst 4.71). */
void kvm_send_msi(KVMState *s, uint64_t addr, uint32_t data);
/* KVM_IOEVENTFD (api.rst 4.59): a write of len bytes at addr signals fd. */
bool kvm_set_ioeventfd(KVMState *s, uint64_t addr, unsigned len, bool is_io,
                       int fd, bool assign, GError **errp);

/*
 * Run the vCPU until something outside KVM_RUN needs the thread: a stop
 * request, a kick, or a guest event handled by the machine (shutdown,
 * reset).  Returns 0, or -1 after a fatal guest error (already reported).
 */
int kvm_cpu_exec(CPUState *cpu);
/* Make a vCPU leave KVM_RUN soon (signal + immediate_exit). */
void kvm_cpu_kick(CPUState *cpu);
void kvm_init_kick_signal(void);

/* The architecture part (target/<arch>/kvm.c). */
extern const KVMCapability kvm_arch_required_capabilities[];
extern const size_t kvm_arch_required_capabilities_nr;
bool kvm_arch_init_vm(KVMState *s, MachineState *ms, GError **errp);
bool kvm_arch_init_vcpu(CPUState *cpu, GError **errp);
/* A machine interrupt line changed level (x86: a GSI of the in-kernel
 * irqchip; RISC-V: a hart's external interrupt). */
void kvm_arch_set_irq(MachineState *ms, int line, int level);
/* The machine stopped (running = false) or resumes: state that must not
 * move while it is stopped (the RISC-V timer) is saved and put back. */
void kvm_arch_vm_state_change(MachineState *ms, bool running);
/* Put the architectural reset state (and the boot state for the BSP). */
bool kvm_arch_reset_vcpu(CPUState *cpu, GError **errp);
/* An exit the generic loop does not handle; -1 = fatal (reported). */
int kvm_arch_handle_exit(CPUState *cpu, struct kvm_run *run);
/*
 * KVM's instruction emulator gave up (KVM_INTERNAL_ERROR_EMULATION):
 * complete the instruction if it is one we can finish with architectural
 * means, and return true to resume the guest.
 */
bool kvm_arch_complete_emulation(CPUState *cpu);
/* Register dump on stderr after a fatal exit. */
void kvm_arch_dump_state(CPUState *cpu);

#endif
