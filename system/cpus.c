/*
 * One thread per vCPU.  A vCPU runs while the machine is RUNNING and no
 * request is pending; otherwise it parks on the machine's condition
 * variable (no busy waiting) and says so in cpu->stopped, which is what
 * vm_stop() waits for.
 */
#include "hw/boards.h"
#include "system/accel.h"
#include "system/kvm.h"
#include "qemu/error-report.h"
#include "monitor/monitor.h"

#include <signal.h>
#include <unistd.h>
#include <string.h>

__thread CPUState *current_cpu;

static bool cpu_can_run(MachineState *ms)
{
    return ms->runstate == RUN_STATE_RUNNING && !machine_has_request(ms) &&
           !ms->quitting;
}

static void *cpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;
    MachineState *ms = cpu->machine;
    sigset_t set;

    current_cpu = cpu;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    g_mutex_lock(&ms->lock);
    cpu->thread_id = gettid();
    g_cond_broadcast(&ms->cond);
    for (;;) {
        while (!cpu_can_run(ms) && !ms->quitting) {
            cpu->stopped = true;
            g_cond_broadcast(&ms->cond);
            g_cond_wait(&ms->cond, &ms->lock);
        }
        if (ms->quitting) {
            break;
        }
        cpu->stopped = false;
        g_mutex_unlock(&ms->lock);

        if (cpu->reset_pending) {
            g_autoptr(GError) err = NULL;
            cpu->reset_pending = false;
            if (!kvm_arch_reset_vcpu(cpu, &err)) {
                error_report("vCPU %d reset: %s", cpu->cpu_index,
                             err->message);
                qemu_system_exit_request(ms, 1);
            }
        }
        if (!cpu->reset_pending) {
            kvm_cpu_exec(cpu);
        }
        g_mutex_lock(&ms->lock);
    }
    cpu->stopped = true;
    g_cond_broadcast(&ms->cond);
    g_mutex_unlock(&ms->lock);
    return NULL;
}

bool cpus_start(MachineState *ms, GError **errp)
{
    sigset_t set;
    int r;

    kvm_init_kick_signal();
    /* vCPU threads unblock SIG_IPI themselves; others never take it */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (unsigned i = 0; i < ms->nr_cpus; i++) {
        CPUState *cpu = ms->cpus[i];
        char name[32];

        cpu->stopped = true;
        /* protected vCPUs were set up by their launch (sev_machine_done) */
        cpu->reset_pending = !ms->cpu_state_protected;
        r = pthread_create(&cpu->thread, NULL, cpu_thread_fn, cpu);
        if (r) {
            error_setg(errp, "cannot create vCPU thread: %s", g_strerror(r));
            return false;
        }
        snprintf(name, sizeof(name), "CPU %u/KVM", i);
        pthread_setname_np(cpu->thread, name);
        cpu->thread_started = true;
    }
    /* every thread has told its tid (query-cpus-fast) before we go on */
    g_mutex_lock(&ms->lock);
    for (unsigned i = 0; i < ms->nr_cpus; i++) {
        while (!ms->cpus[i]->thread_id) {
            g_cond_wait(&ms->cond, &ms->lock);
        }
    }
    g_mutex_unlock(&ms->lock);
    return true;
}

void cpus_kick_all(MachineState *ms)
{
    for (unsigned i = 0; i < ms->nr_cpus; i++) {
        kvm_cpu_kick(ms->cpus[i]);
    }
}

/* Caller holds ms->lock. */
static void wait_all_stopped(MachineState *ms)
{
    for (;;) {
        unsigned i;
        for (i = 0; i < ms->nr_cpus; i++) {
            if (ms->cpus[i]->thread_started && !ms->cpus[i]->stopped) {
                break;
            }
        }
        if (i == ms->nr_cpus) {
            return;
        }
        cpus_kick_all(ms);
        /* a kick can land just before KVM_RUN clears immediate_exit: retry */
        g_cond_wait_until(&ms->cond, &ms->lock,
                          g_get_monotonic_time() + 10 * G_TIME_SPAN_MILLISECOND);
    }
}

void cpus_wait_stopped(MachineState *ms)
{
    g_mutex_lock(&ms->lock);
    wait_all_stopped(ms);
    g_mutex_unlock(&ms->lock);
}

void cpus_resume_after_request(MachineState *ms)
{
    g_mutex_lock(&ms->lock);
    g_cond_broadcast(&ms->cond);
    g_mutex_unlock(&ms->lock);
}

/* QEMU's vm_stop: the STOP event only when the machine was running. */
void vm_stop(MachineState *ms, RunState state)
{
    RunState old;

    g_mutex_lock(&ms->lock);
    old = ms->runstate;
    __atomic_store_n(&ms->runstate, state, __ATOMIC_RELEASE);
    wait_all_stopped(ms);
    g_mutex_unlock(&ms->lock);
    if (old == RUN_STATE_RUNNING) {
        if (ms->accel->vm_state_change) {
            ms->accel->vm_state_change(ms, false);
        }
        qapi_event_send_stop();
    }
}

bool vm_prepare_start(MachineState *ms, GError **errp)
{
    if (ms->cgs_start && !ms->cgs_started) {
        if (!ms->cgs_start(ms, errp)) {
            return false;
        }
        ms->cgs_started = true;
    }
    return true;
}

void vm_start(MachineState *ms)
{
    RunState old;

    /* the vCPUs are parked until the run state changes below */
    if (ms->runstate != RUN_STATE_RUNNING && ms->accel->vm_state_change) {
        ms->accel->vm_state_change(ms, true);
    }
    g_mutex_lock(&ms->lock);
    old = ms->runstate;
    __atomic_store_n(&ms->runstate, RUN_STATE_RUNNING, __ATOMIC_RELEASE);
    g_cond_broadcast(&ms->cond);
    g_mutex_unlock(&ms->lock);
    if (old != RUN_STATE_RUNNING) {
        qapi_event_send_resume();
    }
}

bool runstate_is_running(MachineState *ms)
{
    return __atomic_load_n(&ms->runstate, __ATOMIC_ACQUIRE) == RUN_STATE_RUNNING;
}

void cpus_stop_threads(MachineState *ms)
{
    g_mutex_lock(&ms->lock);
    __atomic_store_n(&ms->quitting, true, __ATOMIC_RELEASE);
    g_cond_broadcast(&ms->cond);
    wait_all_stopped(ms);
    g_mutex_unlock(&ms->lock);
    for (unsigned i = 0; i < ms->nr_cpus; i++) {
        if (ms->cpus[i]->thread_started) {
            pthread_join(ms->cpus[i]->thread, NULL);
            ms->cpus[i]->thread_started = false;
        }
    }
}
