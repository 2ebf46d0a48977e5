/*
 * SEV / SEV-ES guests in the VMM: the sev-guest object (-object
 * sev-guest,...), selected with -machine confidential-guest-support=ID,
 * and the launch, in QEMU's order:
 *
 *   sev_machine_init       after KVM_CREATE_VM: check the host and the
 *                          C-bit, KVM_SEV(_ES)_INIT, LAUNCH_START
 *   sev_ram_added          REG_REGION for guest RAM
 *   sev_firmware_added     footer table, SEV-ES reset block,
 *                          LAUNCH_UPDATE_DATA over the whole unit 0 image
 *   sev_kernel_added       kernel-hashes=on: the hashes table, measured
 *   sev_cpuid_adjust       CPUID 0x8000001F for the guest
 *   sev_machine_done       SEV-ES: vCPUs reset to their launch state,
 *                          LAUNCH_UPDATE_VMSA; LAUNCH_MEASURE
 *   sev_start              first run: LAUNCH_FINISH
 *
 * The firmware behind it is a SevBackend (sev-backend.h): the real one
 * through KVM, or the simulated one with the test-only property
 * x-sim-firmware=on.
 */
#ifndef TARGET_I386_SEV_SEV_H
#define TARGET_I386_SEV_SEV_H

#include "target/i386/sev/sev-backend.h"

typedef struct MachineState MachineState;
typedef struct SevGuest SevGuest;

/* Before KVM_CREATE_VM: the VM type sev-guest ID needs (legacy-vm-type). */
bool sev_kvm_vm_type(const char *id, unsigned long *type, GError **errp);
/* -machine confidential-guest-support=ID: attach the sev-guest ID. */
bool sev_machine_init(MachineState *ms, const char *id, GError **errp);
bool sev_ram_added(MachineState *ms, void *hva, uint64_t size, GError **errp);
bool sev_firmware_added(MachineState *ms, uint8_t *fw, size_t size,
                        GError **errp);
/*
 * -kernel with firmware and kernel-hashes=on: the padded hashes table
 * (sev-hashes.c) written to the firmware's hashes area in guest RAM and
 * measured with LAUNCH_UPDATE_DATA, as QEMU's
 * sev_add_kernel_loader_hashes.  Nothing without kernel-hashes.
 */
bool sev_kernel_added(MachineState *ms, const void *kernel, size_t kernel_size,
                      const void *initrd, size_t initrd_size,
                      const char *cmdline, GError **errp);
void sev_cpuid_adjust(MachineState *ms, struct kvm_cpuid2 **cpuid);
/* Where an AP starts (SEV-ES reset block), 0 when not SEV-ES. */
uint32_t sev_ap_reset_eip(MachineState *ms);
bool sev_machine_done(MachineState *ms, GError **errp);

/* ---- QMP ---- */

/* The guest's SEV object, NULL (with QEMU's error) if SEV is off. */
SevGuest *sev_guest_of(MachineState *ms, GError **errp);
typedef struct SevGuestInfo {
    uint8_t api_major, api_minor, build;
    uint32_t policy, handle;
    SevGuestState state;
} SevGuestInfo;
void sev_guest_info(SevGuest *sev, SevGuestInfo *info);
/* base64 of MEASURE || MNONCE; NULL before LAUNCH_MEASURE. g_free() it. */
char *sev_guest_measurement(SevGuest *sev);
/* The attestation report for mnonce (base64, 16 bytes); g_free() it. */
char *sev_guest_attestation_report(SevGuest *sev, const char *mnonce_b64,
                                   GError **errp);
/* LAUNCH_SECRET; gpa < 0: the firmware's secret area. */
bool sev_inject_launch_secret(SevGuest *sev, const char *header_b64,
                              const char *secret_b64, int64_t gpa,
                              GError **errp);

#endif
