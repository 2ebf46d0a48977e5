/* serial1: multiboot guest that writes one byte to COM1 first, then exits. */
        .section .multiboot, "a"
        .align 4
        .long   0x1badb002, 0, -0x1badb002
        .text
        .code32
        .globl _start
_start:
        mov     $0x3f8, %dx
        mov     $'X', %al
        outb    %al, %dx
        xor     %al, %al
        outb    %al, $0xf4
1:      hlt
        jmp     1b
