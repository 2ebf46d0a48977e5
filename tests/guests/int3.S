/*
 * int3: enter long mode, install a #BP handler in a 64-bit IDT, execute
 * int3, and check the handler ran and execution continued after it.
 * (Some hosts' KVM cannot emulate long-mode int3; qkvm completes it, see
 * target/i386/kvm.c.)  Exit code 0 on success.
 */
        .text
        .code32
        .globl main
main:
        /* identity map the first 1 GiB with 2 MiB pages */
        movl    $pdpt + 3, pml4
        movl    $pd + 3, pdpt
        xorl    %ecx, %ecx
1:      movl    %ecx, %eax
        shll    $21, %eax
        orl     $0x83, %eax
        movl    %eax, pd(,%ecx,8)
        incl    %ecx
        cmpl    $512, %ecx
        jne     1b
        movl    $pml4, %eax
        movl    %eax, %cr3
        movl    %cr4, %eax
        orl     $0x20, %eax             /* PAE */
        movl    %eax, %cr4
        movl    $0xc0000080, %ecx       /* EFER.LME */
        rdmsr
        orl     $0x100, %eax
        wrmsr
        movl    %cr0, %eax
        orl     $0x80000001, %eax       /* PG | PE */
        movl    %eax, %cr0
        lgdt    gdtr
        ljmp    $0x08, $long_mode

        .code64
long_mode:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        leaq    stack_top(%rip), %rsp
        /* IDT vector 3: 64-bit interrupt gate to bp_handler */
        leaq    idt(%rip), %rdi
        leaq    bp_handler(%rip), %rax
        movw    %ax, 3*16(%rdi)
        movw    $0x08, 3*16+2(%rdi)
        movw    $0x8e00, 3*16+4(%rdi)
        shrq    $16, %rax
        movw    %ax, 3*16+6(%rdi)
        shrq    $16, %rax
        movl    %eax, 3*16+8(%rdi)
        movq    %rdi, idtr_base(%rip)
        lidt    idtr(%rip)
        leaq    msg_before(%rip), %rsi
        call    puts64
        int3
        leaq    msg_after(%rip), %rsi
        call    puts64
        cmpl    $1, bp_count(%rip)
        jne     fail
        movl    $0, %eax                /* debug-exit code 0 */
        jmp     exit
fail:   movl    $1, %eax
exit:   movw    $0xf4, %dx
        outl    %eax, %dx
2:      hlt
        jmp     2b

bp_handler:
        incl    bp_count(%rip)
        leaq    msg_handler(%rip), %rsi
        call    puts64
        iretq

puts64: movw    $0x3f8, %dx
3:      lodsb
        testb   %al, %al
        jz      4f
        outb    %al, %dx
        jmp     3b
4:      ret

        .data
        .align  8
gdt:    .quad   0
        .quad   0x00af9b000000ffff      /* 0x08: 64-bit code */
        .quad   0x00cf93000000ffff      /* 0x10: data */
gdtr:   .word   3*8 - 1
        .long   gdt
idtr:   .word   256*16 - 1
idtr_base:
        .quad   0
bp_count:
        .long   0
msg_before:  .asciz "int3: long mode, before int3\n"
msg_handler: .asciz "int3: in the #BP handler\n"
msg_after:   .asciz "int3: after int3\n"

        .bss
        .align  4096
pml4:   .skip   4096
pdpt:   .skip   4096
pd:     .skip   4096
idt:    .skip   4096
        .skip   4096
stack_top:
