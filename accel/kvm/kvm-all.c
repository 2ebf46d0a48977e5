/*
 * KVM accelerator, system-mode part: the capabilities a machine needs,
 * vCPUs as CPUState, interrupts.  The device, VM, slots and vCPU fds are
 * in kvm-common.c, shared with the user-mode emulator.
 */
#include "system/kvm.h"
#include "hw/boards.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

static const KVMCapability kvm_required_capabilities[] = {
    KVM_CAP_INFO(USER_MEMORY, "guest RAM is mapped from our address space"),
    KVM_CAP_INFO(IMMEDIATE_EXIT, "vCPUs are stopped without races"),
    KVM_CAP_INFO(MP_STATE, "APs wait for INIT/SIPI and vCPUs are reset"),
    KVM_CAP_INFO(INTERNAL_ERROR_DATA, "emulation failures are reported"),
    KVM_CAP_INFO(SIGNAL_MSI, "PCI devices send MSI-X messages"),
    KVM_CAP_INFO(IOEVENTFD, "virtqueue kicks reach the I/O thread directly"),
    KVM_CAP_INFO(IRQFD, "device threads interrupt the guest through an eventfd"),
    KVM_CAP_INFO(IRQ_ROUTING, "MSI-X messages have GSI routes"),
};

KVMState *kvm_init(const char *device, GError **errp)
{
    return kvm_init_type(device, 0, errp);
}

KVMState *kvm_init_type(const char *device, unsigned long type, GError **errp)
{
    KVMState *s = kvm_state_new_type(device, type, errp);

    if (s &&
        (!kvm_require_capabilities(s, kvm_required_capabilities,
                                   G_N_ELEMENTS(kvm_required_capabilities),
                                   errp) ||
         !kvm_require_capabilities(s, kvm_arch_required_capabilities,
                                   kvm_arch_required_capabilities_nr,
                                   errp))) {
        kvm_destroy(s);
        return NULL;
    }
    return s;
}

bool kvm_create_vcpu(KVMState *s, CPUState *cpu, GError **errp)
{
    struct kvm_run *run;

    cpu->kvm_fd = kvm_vcpu_open(s, cpu->vcpu_id, &run, errp);
    if (cpu->kvm_fd < 0) {
        return false;
    }
    cpu->kvm_run = run;
    cpu->kvm_run_size = s->vcpu_mmap_size;
    return true;
}

void kvm_set_irq(KVMState *s, int gsi, int level)
{
    struct kvm_irq_level irq = { .irq = gsi, .level = level };

    if (ioctl(s->vmfd, KVM_IRQ_LINE, &irq) < 0) {
        /* Not fatal for the VM: name it once per call site. */
        error_report("KVM_IRQ_LINE gsi %d level %d failed: %s", gsi, level,
                     g_strerror(errno));
    }
}

void kvm_send_msi(KVMState *s, uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = addr >> 32,
        .data = data,
    };

    /* 0: the guest blocked it (masked in the LAPIC); <0: an error */
    if (ioctl(s->vmfd, KVM_SIGNAL_MSI, &msi) < 0) {
        error_report("KVM_SIGNAL_MSI address 0x%" G_GINT64_MODIFIER "x data "
                     "0x%x failed: %s", addr, data, g_strerror(errno));
    }
}

bool kvm_set_ioeventfd(KVMState *s, uint64_t addr, unsigned len, bool is_io,
                       int fd, bool assign, GError **errp)
{
    struct kvm_ioeventfd e = {
        .addr = addr,
        .len = len,
        .fd = fd,
        .flags = (is_io ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };

    if (ioctl(s->vmfd, KVM_IOEVENTFD, &e) < 0) {
        error_setg_errno(errp, errno, "KVM_IOEVENTFD %s 0x%" G_GINT64_MODIFIER
                         "x failed", assign ? "at" : "removal at", addr);
        return false;
    }
    return true;
}

/* Called with routes_lock held (or before any device runs). */
static bool commit_routes(KVMState *s, GError **errp)
{
    g_autofree struct kvm_irq_routing *r =
        QEMU_FLEX_NEW0(struct kvm_irq_routing, entries, s->nr_routes);

    r->nr = s->nr_routes;
    memcpy(r->entries, s->routes, s->nr_routes * sizeof(s->routes[0]));
    if (ioctl(s->vmfd, KVM_SET_GSI_ROUTING, r) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_GSI_ROUTING failed");
        return false;
    }
    return true;
}

bool kvm_irq_routes_init(KVMState *s, const struct kvm_irq_routing_entry *e,
                         unsigned n, unsigned first_free_gsi, GError **errp)
{
    g_mutex_init(&s->routes_lock);
    s->routes = g_new0(struct kvm_irq_routing_entry, n);
    memcpy(s->routes, e, n * sizeof(*e));
    s->nr_routes = n;
    s->next_gsi = first_free_gsi;
    return commit_routes(s, errp);
}

int kvm_msi_route_add(KVMState *s, GError **errp)
{
    int gsi;

    g_mutex_lock(&s->routes_lock);
    s->routes = g_renew(struct kvm_irq_routing_entry, s->routes,
                        s->nr_routes + 1);
    gsi = s->next_gsi++;
    s->routes[s->nr_routes++] = (struct kvm_irq_routing_entry){
        .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
    };
    if (!commit_routes(s, errp)) {
        s->nr_routes--;
        gsi = -1;
    }
    g_mutex_unlock(&s->routes_lock);
    return gsi;
}

bool kvm_msi_route_update(KVMState *s, int gsi, uint64_t addr,
                          uint32_t data, GError **errp)
{
    bool ok = false;

    g_mutex_lock(&s->routes_lock);
    for (unsigned i = 0; i < s->nr_routes; i++) {
        struct kvm_irq_routing_entry *e = &s->routes[i];
        if (e->gsi == (uint32_t)gsi && e->type == KVM_IRQ_ROUTING_MSI) {
            if (e->u.msi.address_lo == (uint32_t)addr &&
                e->u.msi.address_hi == addr >> 32 && e->u.msi.data == data) {
                ok = true;      /* unchanged: no ioctl */
                break;
            }
            e->u.msi.address_lo = addr;
            e->u.msi.address_hi = addr >> 32;
            e->u.msi.data = data;
            ok = commit_routes(s, errp);
            break;
        }
    }
    g_mutex_unlock(&s->routes_lock);
    return ok;
}

bool kvm_irqfd(KVMState *s, int fd, int gsi, bool assign, GError **errp)
{
    struct kvm_irqfd irqfd = {
        .fd = fd,
        .gsi = gsi,
        .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
    };

    if (ioctl(s->vmfd, KVM_IRQFD, &irqfd) < 0) {
        error_setg_errno(errp, errno, "KVM_IRQFD for GSI %d failed", gsi);
        return false;
    }
    return true;
}
