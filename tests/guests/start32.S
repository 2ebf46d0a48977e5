/*
 * Common 32-bit start code of the test guests: our own flat GDT, segment
 * reload, stack, zeroed .bss, then  main(eax, ebx); main's return value is
 * the isa-debug-exit code.  Entered in 32-bit protected mode, paging off,
 * with flat 4G segments (selectors unknown), interrupts off.
 */
        .text
        .code32
        .globl start32_common
start32_common:
        cli
        cld
        mov     %eax, %esi
        mov     %ebx, %ebp
        lgdt    gdt32_desc
        ljmp    $0x08, $1f
1:      mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        mov     $__bss_start, %edi
        mov     $__bss_end, %ecx
        sub     %edi, %ecx
        xor     %eax, %eax
        rep stosb
        mov     $stack_top, %esp
        push    %ebp
        push    %esi
        call    serial_init
        call    main
        push    %eax
        call    debug_exit

        .section .rodata
        .align 8
        .globl gdt32
gdt32:
        .quad   0                       /* 0x00 null */
        .quad   0x00cf9a000000ffff      /* 0x08 code32, flat */
        .quad   0x00cf92000000ffff      /* 0x10 data, flat */
gdt32_end:
        .align 4
        .word   0
        .globl gdt32_desc
gdt32_desc:
        .word   gdt32_end - gdt32 - 1
        .long   gdt32

        .bss
        .align 16
        .space  16384
        .globl stack_top
stack_top:
