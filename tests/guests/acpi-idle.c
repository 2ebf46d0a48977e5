/*
 * acpi-idle: wait for the ACPI power button (QMP system_powerdown, or
 * libvirt's "virsh shutdown"), then power off.  Polls PM1_STS with port
 * 0x80 delays; no interrupt handler (this host's KVM cannot emulate a
 * protected-mode iret).
 */
#include "libguest.h"

#define PM1_STS     0x600
#define PM1_EN      0x602
#define PM1A_CNT    0x604
#define PWRBTN      (1 << 8)
#define SLP_TYP(t)  ((t) << 10)
#define SLP_EN      (1 << 13)

int main(void)
{
    int i;

    puts("acpi-idle: hello\n");
    outw(PWRBTN, PM1_STS);              /* write 1 to clear */
    outw(PWRBTN, PM1_EN);
    puts("acpi-idle: ready\n");
    while (!(inw(PM1_STS) & PWRBTN)) {
        io_delay();
    }
    outw(PWRBTN, PM1_STS);
    puts("acpi-idle: power button, powering off\n");
    outw(SLP_TYP(0) | SLP_EN, PM1A_CNT);    /* \_S5: PIIX4 soft-off */
    for (i = 0; i < 100000; i++) {
        io_delay();
    }
    puts("acpi-idle: power-off did not happen\n");
    return 1;
}
