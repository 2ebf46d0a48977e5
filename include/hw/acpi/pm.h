/*
 * ACPI fixed-hardware power management registers of the pc machine:
 * PM1a event and control blocks and the PM timer (the FADT in
 * hw/i386/acpi-build.c points at them).
 */
#ifndef HW_ACPI_PM_H
#define HW_ACPI_PM_H

#include "hw/boards.h"
#include "hw/irq.h"

typedef struct ACPIPMState ACPIPMState;

ACPIPMState *acpi_pm_new(MachineState *ms, uint16_t base, qemu_irq sci,
                         GError **errp);
/* Press the power button: PWRBTN_STS, SCI if the guest enabled it. */
void acpi_pm_powerdown_request(ACPIPMState *pm);

#endif
