/*
 * PVH entry: XEN_ELFNOTE_PHYS32_ENTRY (type 18, name "Xen") names the 32-bit
 * entry point; it is entered in protected mode, paging off, ebx = hvm_start_info.
 */
        .section .note.Xen, "a", @note
        .align 4
        .long   4                       /* namesz */
        .long   4                       /* descsz */
        .long   18                      /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz  "Xen"
        .align 4
        .long   _start

        .text
        .code32
        .globl _start
_start:
        xor     %eax, %eax
        jmp     start32_common          /* main(0, start_info) */
