/*
 * virtio-devs: what a guest sees of its virtio disk and network, for the
 * libvirt test (tests/functional/test_libvirt.py), where Linux cannot boot
 * on this host's /dev/kvm.  Enumerates PCI bus 0 and prints, on COM1:
 *
 *   virtio-devs: pci BB:DD.F VVVV:DDDD      every function
 *   virtio-devs: blk DD.F sectors N sector0 "..."
 *                                           the disk's size and the text at
 *                                           the start of its first sector
 *                                           (up to the first NUL/newline)
 *   virtio-devs: net DD.F mac XX:XX:XX:XX:XX:XX
 *                                           from the device configuration
 *                                           (VIRTIO_NET_F_MAC, 5.1.3)
 *   virtio-devs: ready                      then idles with interrupts off
 *
 * A problem prints "virtio-devs: error: ..." before "ready".  Polled, no
 * interrupts (virtio-pci.c).
 */
#include "virtio-pci.h"

#define VIRTIO_BLK_T_IN  0                /* 5.2.6 */
#define VIRTIO_NET_F_MAC 5                /* 5.1.3 */

struct blk_hdr { uint32_t type, reserved; uint64_t sector; };

static uint8_t ring[0x4000] __attribute__((aligned(4096)));
static uint8_t sector[512] __attribute__((aligned(512)));
static struct blk_hdr hdr;
static volatile uint8_t status;

static void list_pci(void)
{
    for (uint32_t bdf = 0; bdf < 32 * 8; bdf++) {
        uint32_t id = pci_cfg_read(bdf, 0);
        if ((id & 0xffff) != 0xffff)
            printf("virtio-devs: pci 00:%02x.%u %04x:%04x\n", bdf >> 3,
                   bdf & 7, id & 0xffff, id >> 16);
    }
}

static const char *read_sector0(struct virtio_pci *vp)
{
    struct virtq vq;
    const char *err;

    if ((err = virtio_pci_map(vp)) || (err = virtio_pci_negotiate(vp, 0, 0)) ||
        (err = virtio_pci_queue(vp, 0, ring, 8, &vq)))
        return err;
    virtio_pci_driver_ok(vp);
    hdr = (struct blk_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
    status = 0xff;
    vq.desc[0] = (struct vq_desc){ (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1 };
    vq.desc[1] = (struct vq_desc){ (uintptr_t)sector, sizeof(sector),
                                   VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
    vq.desc[2] = (struct vq_desc){ (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
    virtq_submit(&vq, 0);
    if (virtq_wait(&vq) != 0)
        return "used ring returned another descriptor";
    if (status != 0)
        return "read of sector 0 failed";
    size_t n = 0;
    while (n < sizeof(sector) && sector[n] && sector[n] != '\n')
        n++;
    printf("virtio-devs: blk %02x.%u sectors %llu sector0 ", vp->bdf >> 3,
           vp->bdf & 7, (unsigned long long)(*(volatile uint32_t *)vp->devcfg |
           (uint64_t)*(volatile uint32_t *)(vp->devcfg + 4) << 32));
    print_escaped(sector, n);
    putc('\n');
    virtio_pci_reset(vp);             /* leave it as found */
    return 0;
}

static const char *read_mac(struct virtio_pci *vp)
{
    uint64_t offered;
    const char *err;

    if ((err = virtio_pci_map(vp)) ||
        (err = virtio_pci_negotiate(vp, 1u << VIRTIO_NET_F_MAC, &offered)))
        return err;
    if (!(offered & (1u << VIRTIO_NET_F_MAC)))
        return "the network device offers no MAC (VIRTIO_NET_F_MAC)";
    volatile uint8_t *m = vp->devcfg;
    printf("virtio-devs: net %02x.%u mac %02x:%02x:%02x:%02x:%02x:%02x\n",
           vp->bdf >> 3, vp->bdf & 7, m[0], m[1], m[2], m[3], m[4], m[5]);
    virtio_pci_reset(vp);
    return 0;
}

static void report(const char *what, const char *err)
{
    if (err)
        printf("virtio-devs: error: %s: %s\n", what, err);
}

int main(void)
{
    struct virtio_pci vp;
    uint32_t bdf;

    serial_init();
    list_pci();
    for (bdf = 0; virtio_pci_find(&bdf, VIRTIO_TYPE_BLK, VIRTIO_BLK_TRANS, &vp) == 0; bdf++)
        report("blk", read_sector0(&vp));
    for (bdf = 0; virtio_pci_find(&bdf, VIRTIO_TYPE_NET, VIRTIO_NET_TRANS, &vp) == 0; bdf++)
        report("net", read_mac(&vp));
    puts("virtio-devs: ready\n");
    halt_forever();
}
