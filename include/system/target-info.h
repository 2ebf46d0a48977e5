/*
 * What the architecture-neutral code (command line, QMP) asks of the
 * target it is linked into.  Each qkvm-system-<target> links exactly one
 * definition of target_info, from target/<arch>/target-info.c; the rest
 * of system_ss is built once and shared by every target.
 */
#ifndef SYSTEM_TARGET_INFO_H
#define SYSTEM_TARGET_INFO_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct MachineState MachineState;

typedef struct TargetInfo {
    /* QAPI SysEmuTarget name: query-target, "<model>-<arch>-cpu" types */
    const char *arch;
    /* -cpu when none is given (QEMU's default for the target's machines) */
    const char *default_cpu_model;
    /* -cpu help */
    void (*cpu_list)(FILE *f);
    /* The CPU model names -cpu accepts, in -cpu help order. */
    GStrv (*cpu_model_names)(void);
    /*
     * -machine confidential-guest-support=ID (x86: a sev-guest); NULL
     * where the target has none.  cgs_vm_type: the KVM VM type it needs,
     * before the VM exists; cgs_init: attach it once the VM exists;
     * cgs_machine_done: once the machine is built (launch measurement),
     * called whether or not ID was given.
     */
    bool (*cgs_vm_type)(const char *id, unsigned long *type, GError **errp);
    bool (*cgs_init)(MachineState *ms, const char *id, GError **errp);
    bool (*cgs_machine_done)(MachineState *ms, GError **errp);
} TargetInfo;

extern const TargetInfo target_info;

#endif
