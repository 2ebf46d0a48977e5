/*
 * crash: jump to an address with no RAM behind it (the PCI hole).  KVM
 * cannot fetch instructions there and reports an internal error; qkvm
 * must print a register dump and one line, and exit 1.
 */
        .text
        .code32
        .globl main
main:
        movl    $0xfebff000, %eax
        jmp     *%eax
