/*
 * rawkvm: the physical limit for exit cost -- the fewest KVM ioctls that run
 * the same loop as exitloop.elf.  Usage: rawkvm io|mmio N
 * One 2 MiB memory slot at GPA 0, one vCPU in 32-bit protected mode with
 * flat segments (KVM_SET_SREGS), guest code placed at 0x1000:
 *   lfence; rdtsc; mov %eax,T0; mov %edx,T0+4; mov $N, %ecx; jecxz done;
 *   1: <out %al,$0x80 | mov %eax,0xd0000000>; dec %ecx; jnz 1b;
 *   done: lfence; rdtsc; mov %eax,T1; mov %edx,T1+4; hlt
 * KVM_EXIT_IO / KVM_EXIT_MMIO are ignored; KVM_EXIT_HLT ends the run.
 * Prints "cycles=C tsc_khz=K": the guest-timed loop, as exitloop.elf
 * reports it, and the guest TSC rate (KVM_GET_TSC_KHZ) to convert it.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define MEM_SIZE  0x200000
#define CODE_ADDR 0x1000
#define TSC_ADDR  0x800         /* two u64 TSC readings, before and after */

static void die(const char *what)
{
    perror(what);
    exit(2);
}

/* lfence; rdtsc; mov %eax, addr; mov %edx, addr+4 */
static uint8_t *emit_rdtsc(uint8_t *p, uint32_t addr)
{
    uint32_t hi = addr + 4;

    *p++ = 0x0f; *p++ = 0xae; *p++ = 0xe8;  /* lfence */
    *p++ = 0x0f; *p++ = 0x31;               /* rdtsc */
    *p++ = 0xa3;                            /* mov %eax, moffs32 */
    memcpy(p, &addr, 4); p += 4;
    *p++ = 0x89; *p++ = 0x15;               /* mov %edx, disp32 */
    memcpy(p, &hi, 4); p += 4;
    return p;
}

int main(int argc, char **argv)
{
    int mmio, kvm, vm, vcpu, run_size;
    uint32_t n;
    uint8_t *mem, *p;
    struct kvm_run *run;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_segment seg;

    if (argc != 3) {
        fprintf(stderr, "usage: rawkvm io|mmio N\n");
        return 2;
    }
    mmio = !strcmp(argv[1], "mmio");
    n = strtoul(argv[2], NULL, 0);

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm");
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");
    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap");
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
        .userspace_addr = (uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    p = mem + CODE_ADDR;
    p = emit_rdtsc(p, TSC_ADDR);
    *p++ = 0xb9;                            /* mov $n, %ecx */
    memcpy(p, &n, 4); p += 4;
    *p++ = 0xe3;                            /* jecxz done */
    *p++ = mmio ? 8 : 5;
    if (mmio) {
        *p++ = 0xa3;                        /* mov %eax, 0xd0000000 */
        *p++ = 0x00; *p++ = 0x00; *p++ = 0x00; *p++ = 0xd0;
        *p++ = 0x49;                        /* dec %ecx */
        *p++ = 0x75; *p++ = 0xf8;           /* jnz -8 */
    } else {
        *p++ = 0xe6; *p++ = 0x80;           /* out %al, $0x80 */
        *p++ = 0x49;                        /* dec %ecx */
        *p++ = 0x75; *p++ = 0xfb;           /* jnz -5 */
    }
    p = emit_rdtsc(p, TSC_ADDR + 8);        /* done: */
    *p++ = 0xf4;                            /* hlt */

    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");

    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS");
    memset(&seg, 0, sizeof(seg));
    seg.limit = 0xffffffff;
    seg.present = 1;
    seg.s = 1;
    seg.db = 1;
    seg.g = 1;
    seg.type = 11;                          /* code: execute/read, accessed */
    seg.selector = 0x08;
    sregs.cs = seg;
    seg.type = 3;                           /* data: read/write, accessed */
    seg.selector = 0x10;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
    sregs.cr0 |= 1;                         /* PE */
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS");
    memset(&regs, 0, sizeof(regs));
    regs.rip = CODE_ADDR;
    regs.rflags = 2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");

    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0)
            die("KVM_RUN");
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
        case KVM_EXIT_MMIO:
            break;
        case KVM_EXIT_HLT: {
            uint64_t t[2];
            int khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);

            memcpy(t, mem + TSC_ADDR, sizeof(t));
            printf("cycles=%llu tsc_khz=%d\n",
                   (unsigned long long)(t[1] - t[0]), khz);
            return 0;
        }
        default:
            fprintf(stderr, "rawkvm: unexpected exit %u\n", run->exit_reason);
            return 1;
        }
    }
}
