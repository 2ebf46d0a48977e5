/*
 * File descriptors the VMM keeps for itself (/dev/kvm, the VM, the vCPU)
 * live at the top of the first 1024 descriptors, out of the way of the
 * program's, and the program may not close or replace them.
 */
#ifndef USER_FDS_H
#define USER_FDS_H

#include <stdbool.h>

/* Move fd up out of the program's way; returns the new fd (or fd). */
int user_fd_reserve(int fd);
bool user_fd_is_reserved(int fd);

#endif
