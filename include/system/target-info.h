/*
 * What the architecture-neutral code (command line, QMP) asks of the
 * target it is linked into.  Each qkvm-system-<target> links exactly one
 * definition of target_info, from target/<arch>/target-info.c; the rest
 * of system_ss is built once and shared by every target.
 */
#ifndef SYSTEM_TARGET_INFO_H
#define SYSTEM_TARGET_INFO_H

#include <glib.h>
#include <stdio.h>

typedef struct TargetInfo {
    /* QAPI SysEmuTarget name: query-target, "<model>-<arch>-cpu" types */
    const char *arch;
    /* -cpu when none is given (QEMU's default for the target's machines) */
    const char *default_cpu_model;
    /* -cpu help */
    void (*cpu_list)(FILE *f);
    /* The CPU model names -cpu accepts, in -cpu help order. */
    GStrv (*cpu_model_names)(void);
} TargetInfo;

extern const TargetInfo target_info;

#endif
