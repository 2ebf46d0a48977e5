/*
 * The qtest accelerator and its line protocol (QEMU's system/qtest.c
 * documents it): a test drives memory, I/O, interrupts and the clock of
 * a machine whose vCPUs never run.
 */
#ifndef SYSTEM_QTEST_H
#define SYSTEM_QTEST_H

#include <glib.h>
#include <stdbool.h>

typedef struct MachineState MachineState;

/* -qtest SPEC (stdio, unix:PATH, chardev:ID), -qtest-log FILE|none. */
bool qtest_server_init(MachineState *ms, const char *spec, const char *log,
                       GError **errp);

#endif
