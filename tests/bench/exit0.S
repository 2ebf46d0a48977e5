/* exit0: multiboot guest whose first instruction exits (isa-debug-exit, code 0). */
        .section .multiboot, "a"
        .align 4
        .long   0x1badb002, 0, -0x1badb002
        .text
        .code32
        .globl _start
_start:
        outb    %al, $0xf4              /* status (al << 1) | 1 */
1:      hlt
        jmp     1b
