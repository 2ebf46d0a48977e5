/*
 * Migration to and from a stream: QMP migrate uri=file:PATH|exec:CMD,
 * -incoming file:PATH|exec:CMD|defer and migrate-incoming, query-migrate.
 * The stream is migration/savevm.c's file format.
 */
#ifndef MIGRATION_MIGRATION_H
#define MIGRATION_MIGRATION_H

#include <glib.h>
#include <stdbool.h>

typedef struct MachineState MachineState;

/* Before the machine is built: registers the clock and RAM sections. */
void migration_init(MachineState *ms);

/* Stop the VM if running and write its state to uri. */
bool migration_save(MachineState *ms, const char *uri, GError **errp);
/* Read and check the whole of uri, then put its state into the machine. */
bool migration_load(MachineState *ms, const char *uri, GError **errp);

/*
 * -incoming uri: the run state becomes "inmigrate"; "defer" waits for
 * migrate-incoming, any other uri is loaded now.  Once loaded the VM runs
 * (start) or stays paused (-S).
 */
bool migration_incoming_start(MachineState *ms, const char *uri, bool start,
                              GError **errp);
/* QMP migrate-incoming: only after -incoming defer. */
bool migration_incoming_deferred(MachineState *ms, const char *uri,
                                 GError **errp);

/* "file:PATH", "exec:CMD" (or "defer" where incoming allows it). */
bool migration_uri_valid(const char *uri, GError **errp);

/* query-migrate's status: "none", "active", "completed", "failed". */
const char *migration_status(void);
const char *migration_error(void);      /* NULL unless failed */

#endif
