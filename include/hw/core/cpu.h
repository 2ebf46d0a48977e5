/*
 * A vCPU as the generic code sees it: a KVM vCPU fd, its mmap'ed
 * kvm_run, and the thread that runs it.  Architecture state lives in
 * the arch struct (X86CPU) that embeds this one.
 */
#ifndef HW_CORE_CPU_H
#define HW_CORE_CPU_H

#include <glib.h>
#include <pthread.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm_run;
typedef struct MachineState MachineState;

typedef struct CPUState {
    MachineState *machine;
    int cpu_index;
    unsigned long vcpu_id;      /* KVM vCPU id (the APIC id on x86) */
    int kvm_fd;
    struct kvm_run *kvm_run;
    size_t kvm_run_size;
    pthread_t thread;
    pid_t thread_id;            /* the host thread's tid (query-cpus-fast) */
    bool thread_started;
    /* Set by the vCPU thread when it is parked outside KVM_RUN (cpus.c). */
    bool stopped;
    /* The vCPU registers need a reset before it runs again. */
    bool reset_pending;
} CPUState;

/* The vCPU the calling thread runs, or NULL on other threads. */
extern __thread CPUState *current_cpu;

#endif
