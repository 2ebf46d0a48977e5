/*
 * smp: start the APs with INIT-SIPI-SIPI (xAPIC MMIO, broadcast to all but
 * self), wait until they all checked in, print their sorted APIC ids.
 */
#include "libguest.h"

#define LAPIC       0xfee00000
#define TRAMP_BASE  0x8000
#define WAIT_DELAYS 1000000u            /* bounded wait: >= 1 s, no timer needed */

extern char ap_tramp[], ap_tramp_end[];
volatile uint32_t ap_count, ap_next;
volatile uint8_t ap_ids[64];

static uint32_t lapic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(LAPIC + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(LAPIC + reg) = v;
}

static void send_ipi(uint32_t icr, uint32_t delay)
{
    uint32_t i;

    lapic_write(0x310, 0);
    lapic_write(0x300, icr);
    for (i = 0; i < 1000 && (lapic_read(0x300) & (1 << 12)); i++)
        io_delay();                     /* delivery pending */
    while (delay--)
        io_delay();
}

int main(void)
{
    uint32_t ncpus, up, i, j, spins;
    uint8_t ids[65];

    puts("smp: hello\n");
    ncpus = fw_cfg_read16(FW_CFG_NB_CPUS);
    printf("smp: fw_cfg reports %u cpus\n", ncpus);
    ids[0] = lapic_read(0x20) >> 24;
    if (ncpus > 1) {
        memcpy((void *)TRAMP_BASE, ap_tramp, ap_tramp_end - ap_tramp);
        lapic_write(0xf0, lapic_read(0xf0) | 0x100);    /* APIC software enable */
        send_ipi(0x000c4500, 100);                      /* INIT, all excluding self */
        send_ipi(0x000c4600 | (TRAMP_BASE >> 12), 20);  /* SIPI */
        send_ipi(0x000c4600 | (TRAMP_BASE >> 12), 20);  /* SIPI */
        for (spins = 0; ap_count < ncpus - 1 && spins < WAIT_DELAYS; spins++)
            io_delay();
    }
    up = 1 + ap_count;
    if (up != ncpus) {
        printf("smp: timeout: %u of %u cpus up\n", up, ncpus);
        return 1;
    }
    for (i = 1; i < up && i < 65; i++)
        ids[i] = ap_ids[i - 1];
    for (i = 1; i < up; i++)            /* insertion sort */
        for (j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint8_t t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    printf("smp: %u cpus up\n", up);
    puts("smp: apic ids:");
    for (i = 0; i < up; i++)
        printf(" %u", ids[i]);
    putc('\n');
    return 0;
}
