/*
 * smp: the AP side.  ap_tramp..ap_tramp_end is copied to TRAMP_BASE (the SIPI
 * vector is TRAMP_BASE >> 12); it enters protected mode and jumps to
 * ap_entry32, which records the APIC id and counts itself in.
 */
#define TRAMP_BASE 0x8000

        .text
        .code16
        .globl ap_tramp, ap_tramp_end
ap_tramp:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        lgdtl   TRAMP_BASE + (tramp_gdt_desc - ap_tramp)
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $ap_entry32
        .align  4
        .word   0
tramp_gdt_desc:
        .word   23
        .long   gdt32
ap_tramp_end:

        .code32
ap_entry32:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     0xfee00020, %eax        /* local APIC id register */
        shr     $24, %eax
        mov     $1, %ecx
        lock xadd %ecx, ap_next
        cmp     $64, %ecx
        jae     1f
        mov     %al, ap_ids(%ecx)
1:      lock incl ap_count
2:      cli
        hlt
        jmp     2b
