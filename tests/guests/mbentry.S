/* Multiboot v1 header and entry: main(magic, multiboot_info). */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003             /* page-align modules | mem + mmap info */

        .section .multiboot, "a"
        .align 4
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)

        .text
        .code32
        .globl _start
_start:
        jmp     start32_common          /* eax = magic, ebx = info */
