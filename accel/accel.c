/*
 * The accelerator table.
 */
#include "system/accel.h"

#include <string.h>

static const AccelOps *const accels[] = {
    &kvm_accel_ops,
    &qtest_accel_ops,
};

const AccelOps *accel_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(accels); i++) {
        if (strcmp(accels[i]->name, name) == 0) {
            return accels[i];
        }
    }
    return NULL;
}
