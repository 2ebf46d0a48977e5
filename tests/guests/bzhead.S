/*
 * A hand-made Linux/x86 boot protocol 2.15 image ("bzImage"):
 *
 *  file 0x000  .setup  real-mode part (SETUP_SECTS + 1 sectors), header at
 *                      0x1f1, real-mode entry at 0x200 (setup_seg+0x20:0)
 *  file 0xa00  .head   protected-mode part, loaded at code32_start (1 MiB):
 *                      +0x000 32-bit entry, +0x200 64-bit entry (XLF_KERNEL_64)
 *
 * Entries and what they print first:
 *  real mode  (QEMU's linuxboot option ROM via SeaBIOS): "linux16: hello",
 *             builds boot_params (header copy + BIOS e820), enters protected
 *             mode and jumps to code32_start -> "linux32: hello"
 *  32-bit     (loaders that skip the setup code): "linux32: hello"
 *  64-bit     (qkvm, since XLF_KERNEL_64 is set): "linux64: hello"
 * The 32- and 64-bit entries both continue in 32-bit C (the 64-bit entry
 * drops to compatibility mode and switches paging/long mode off; the boot
 * protocol guarantees an identity map of the image).
 *
 * relocatable_kernel is set: if loaded elsewhere than 1 MiB, the image copies
 * itself to 1 MiB (forward copy; kernel_alignment 1 MiB keeps source and
 * destination from overlapping).
 */
#define SETUP_SECTS     4
#define BP_OFF          0x2000          /* boot_params built by the setup code */
#define BP_SCRATCH      0x1e4
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE   0x2d0
#define SMAP            0x534d4150

        .section .setup, "ax"
        .code16
        .org    0x1f1
        .byte   SETUP_SECTS             /* setup_sects */
        .word   0                       /* root_flags */
        .long   _syssize                /* syssize (16-byte units) */
        .word   0                       /* ram_size */
        .word   0xffff                  /* vid_mode: normal */
        .word   0                       /* root_dev */
        .word   0xaa55                  /* boot_flag */
        /* 0x200: real-mode entry */
        .byte   0xeb, setup16 - 1f      /* jmp setup16 */
1:      .ascii  "HdrS"                  /* header */
        .word   0x020f                  /* version */
        .long   0                       /* realmode_swtch */
        .word   0x1000                  /* start_sys_seg */
        .word   kernel_version - 0x200  /* kernel_version */
        .byte   0                       /* type_of_loader */
        .byte   0x81                    /* loadflags: LOADED_HIGH | CAN_USE_HEAP */
        .word   0x8000                  /* setup_move_size */
        .long   0x100000                /* code32_start */
        .long   0                       /* ramdisk_image */
        .long   0                       /* ramdisk_size */
        .long   0                       /* bootsect_kludge */
        .word   0                       /* heap_end_ptr */
        .byte   0                       /* ext_loader_ver */
        .byte   0                       /* ext_loader_type */
        .long   0                       /* cmd_line_ptr */
        .long   0x7fffffff              /* initrd_addr_max */
        .long   0x100000                /* kernel_alignment */
        .byte   1                       /* relocatable_kernel */
        .byte   12                      /* min_alignment (log2) */
        .word   0x0001                  /* xloadflags: XLF_KERNEL_64 */
        .long   2047                    /* cmdline_size */
        .long   0                       /* hardware_subarch */
        .quad   0                       /* hardware_subarch_data */
        .long   0                       /* payload_offset */
        .long   0                       /* payload_length */
        .quad   0                       /* setup_data */
        .quad   0x100000                /* pref_address */
        .long   _init_size              /* init_size */
        .long   0                       /* handover_offset */
        .long   0                       /* kernel_info_offset */
hdr_end:

        /* entered at setup_seg+0x20:0 with ds = es = ss = setup_seg */
setup16:
        cld
        mov     %ds, %ax
        mov     %ax, %es
        push    %ax                     /* normalize cs = ds */
        push    $2f
        lret
2:      mov     $msg16, %si
        call    puts16

        /* boot_params = zero page + copy of the header + BIOS e820 map */
        mov     $BP_OFF, %di
        mov     $2048, %cx
        xor     %ax, %ax
        rep stosw
        mov     $0x1f1, %si
        mov     $BP_OFF + 0x1f1, %di
        mov     $hdr_end - 0x1f1, %cx
        rep movsb

        xor     %ebx, %ebx
        xor     %bp, %bp                /* entry count */
        mov     $BP_OFF + BP_E820_TABLE, %di
3:      mov     $0xe820, %eax
        mov     $SMAP, %edx
        mov     $20, %ecx
        push    %di
        push    %bp
        int     $0x15
        pop     %bp
        pop     %di
        jc      4f
        cmp     $SMAP, %eax
        jne     4f
        add     $20, %di
        inc     %bp
        test    %ebx, %ebx
        jz      4f
        cmp     $128, %bp
        jb      3b
4:      mov     %bp, %ax
        mov     %al, BP_OFF + BP_E820_ENTRIES

        /* to protected mode, then code32_start with esi = &boot_params */
        cli
        xor     %ebx, %ebx
        mov     %ds, %bx
        shl     $4, %ebx                /* linear base of the setup segment */
        lea     gdt16(%ebx), %eax
        mov     %eax, gdt16_desc + 2
        lgdtl   gdt16_desc
        lea     BP_OFF(%ebx), %esi
        mov     0x214, %eax             /* code32_start */
        mov     %eax, jmp32
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        mov     $0x18, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        xor     %ebx, %ebx
        xor     %ebp, %ebp
        xor     %edi, %edi
        ljmpl   *%cs:jmp32

puts16:
        lodsb
        test    %al, %al
        jz      6f
        mov     %al, %bl
        mov     $0x3fd, %dx
5:      in      %dx, %al
        test    $0x20, %al
        jz      5b
        mov     %bl, %al
        mov     $0x3f8, %dx
        out     %al, %dx
        jmp     puts16
6:      ret

kernel_version:
        .asciz  "qkvm test bzimage"
msg16:
        .asciz  "linux16: hello\n"

        .align  8
gdt16:  .quad   0
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x10 __BOOT_CS */
        .quad   0x00cf92000000ffff      /* 0x18 __BOOT_DS */
gdt16_desc:
        .word   31
        .long   0                       /* patched: linear address of gdt16 */
jmp32:  .long   0                       /* patched: code32_start */
        .word   0x10

        .org    (SETUP_SECTS + 1) * 512

/* ---------------------------------------------------------------------- */
        .section .head, "ax"
        .code32
        .globl  startup_32
startup_32:
        /* 32-bit entry: flat segments, esi = boot_params */
        cli
        cld
        mov     $32, %edi
relocate:
        /* edi = entry kind, esi = boot_params.  BP_SCRATCH is a 4-byte stack */
        lea     BP_SCRATCH + 4(%esi), %esp
        call    1f
1:      pop     %ebp
        sub     $1b - startup_32, %ebp  /* where we run */
        cmp     $startup_32, %ebp
        je      2f
        mov     %esi, %edx
        mov     %edi, %eax
        mov     %ebp, %esi
        mov     $startup_32, %edi
        mov     $_edata - startup_32, %ecx
        rep movsb
        mov     %edx, %esi
        mov     %eax, %edi
        mov     $2f, %eax
        jmp     *%eax
2:      mov     %edi, %eax
        mov     %esi, %ebx
        jmp     start32_common          /* main(kind, boot_params) */

        .org    0x200
        .code64
startup_64:
        /* 64-bit entry: long mode, identity map, rsi = boot_params */
        cli
        cld
        lea     stack64_top(%rip), %rsp
        sub     $16, %rsp
        movw    $23, (%rsp)
        lea     gdt32(%rip), %rax
        mov     %rax, 2(%rsp)
        lgdt    (%rsp)
        lea     compat32(%rip), %rax
        pushq   $0x08                   /* gdt32: 32-bit code */
        push    %rax
        lretq
        .code32
compat32:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %eax, %fs
        mov     %eax, %gs
        mov     %cr0, %eax
        and     $0x7fffffff, %eax       /* paging off: long mode inactive */
        mov     %eax, %cr0
        mov     $0xc0000080, %ecx
        rdmsr
        and     $~0x100, %eax           /* EFER.LME off */
        wrmsr
        mov     $64, %edi
        jmp     relocate

        .align  16
        .space  64
stack64_top:
