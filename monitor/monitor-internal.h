/*
 * The QMP monitor's insides: sessions, the JSON stream, the command
 * table and the types it is described with.
 *
 * One table (qmp-cmds.c) names every command with its argument and
 * return types; the dispatcher checks arguments against it before a
 * handler runs, and query-commands / query-qmp-schema are generated
 * from it.  Handlers live by area: qmp-cmds-*.c, hmp.c, and
 * target/<arch>/monitor.c for what only the target knows.
 */
#ifndef MONITOR_MONITOR_INTERNAL_H
#define MONITOR_MONITOR_INTERNAL_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "monitor/monitor.h"

/* ---- types (QEMU's QAPI, the part introspection shows) ------------------- */

typedef enum QAPIMeta {
    QAPI_META_BUILTIN,
    QAPI_META_ENUM,
    QAPI_META_OBJECT,
    QAPI_META_ARRAY,
} QAPIMeta;

typedef struct QAPIType QAPIType;

typedef struct QAPIMember {
    const char *name;
    const QAPIType *type;
    bool optional;
} QAPIMember;

struct QAPIType {
    QAPIMeta meta;
    const char *name;           /* builtins: "str", "int", ... */
    const char *json_type;      /* builtins: "string", "int", "boolean", ... */
    const QAPIMember *members;  /* objects: up to a { NULL } entry */
    const char *const *values;  /* enums: NULL-terminated, or ... */
    const char *(*value)(int i);/* ... enums of a C enum: NULL past the end */
    const QAPIType *element;    /* arrays */
};

extern const QAPIType qapi_str, qapi_int, qapi_bool, qapi_number, qapi_any;
extern const QAPIType qapi_empty;   /* the object without members */

/* Anonymous types for the tables: objects, arrays, enums. */
#define QAPI_MEMBERS(...) ((const QAPIMember[]){ __VA_ARGS__, { NULL } })
#define QAPI_OBJECT(...) \
    (&(const QAPIType){ .meta = QAPI_META_OBJECT, \
                        .members = QAPI_MEMBERS(__VA_ARGS__) })
#define QAPI_ARRAY(elem) \
    (&(const QAPIType){ .meta = QAPI_META_ARRAY, .element = (elem) })
#define QAPI_ENUM(...) \
    (&(const QAPIType){ .meta = QAPI_META_ENUM, \
                        .values = (const char *const[]){ __VA_ARGS__, NULL } })
#define QAPI_ENUM_FN(fn) \
    (&(const QAPIType){ .meta = QAPI_META_ENUM, .value = (fn) })
/* { name, type } is mandatory; QAPI_OPT marks an optional member. */
#define QAPI_OPT(name, type) { (name), (type), true }

/* The i-th value of an enum, NULL past the last. */
const char *qapi_enum_value(const QAPIType *t, int i);

/* ---- sessions ------------------------------------------------------------- */

typedef struct JSONMessageParser JSONMessageParser;

typedef struct MonitorQMP {
    Chardev *chr;
    MachineState *ms;
    bool pretty;
    bool negotiated;        /* qmp_capabilities done (monitor_lock) */
    JSONMessageParser *parser;
} MonitorQMP;

/* Send one reply or event as a line (serialized here, "\r\n" ended). */
void monitor_qmp_send(MonitorQMP *mon, JsonNode *msg);
/* s with every "\n" as "\r\n", the monitor's line end. */
char *monitor_crlf(const char *s);

/* ---- the JSON stream ---------------------------------------------------- */

/*
 * Cuts a byte stream into JSON values (several per read, or one over
 * many reads) by tracking strings and brackets, as QEMU's lexer does.
 * emit() gets each value, or err (a "JSON parse error, ..." message)
 * for one that is not JSON, too big or too deep; the stream goes on
 * after the bad value.  emit() owns neither.
 */
typedef void JSONMessageEmit(void *opaque, JsonNode *msg, const GError *err);

#define JSON_MAX_MESSAGE_SIZE   (1u << 20)
#define JSON_MAX_NESTING        1024

JSONMessageParser *json_message_parser_new(JSONMessageEmit *emit,
                                           void *opaque);
void json_message_parser_feed(JSONMessageParser *p, const char *buf,
                              size_t len);
/* Forget a partial value (the peer went away mid-message). */
void json_message_parser_reset(JSONMessageParser *p);
void json_message_parser_free(JSONMessageParser *p);

/*
 * QEMU's JSON spelling: ", " and ": " separators, non-ASCII and control
 * characters as \uXXXX, so that a message is always one line.  pretty:
 * 4-space indentation over several lines.
 */
void json_append(GString *out, JsonNode *node, bool pretty);

/* ---- commands ------------------------------------------------------------- */

/*
 * A handler gets its arguments already checked against the table (args
 * is never NULL: no "arguments" is an empty object) and returns the
 * "return" value, or NULL with *errp set.
 */
typedef JsonNode *QmpCommandFunc(MonitorQMP *mon, JsonObject *args,
                                 GError **errp);

typedef struct QmpCommand {
    const char *name;
    QmpCommandFunc *fn;
    const QAPIType *args;       /* an object type; NULL: no arguments */
    const QAPIType *ret;
} QmpCommand;

typedef struct QmpEvent {
    const char *name;
    const QAPIType *data;       /* NULL: no data */
    /* at most one per this many ms per "id" (qmp-throttle.c); 0: none */
    unsigned throttle_ms;
} QmpEvent;

/*
 * One command table in two parts: the generic commands (qmp-cmds.c) and
 * the target's own (target/<arch>/monitor.c, e.g. SEV on x86).  Lookup,
 * query-commands and query-qmp-schema see them as one, through
 * qmp_command_nth().
 */
extern const QmpCommand qmp_commands[];
extern const size_t qmp_commands_nr;
extern const QmpCommand qmp_target_commands[];
extern const size_t qmp_target_commands_nr;
/* The i-th command of both parts; NULL past the end. */
const QmpCommand *qmp_command_nth(size_t i);
extern const QmpEvent qmp_events[];
extern const size_t qmp_events_nr;

const QmpCommand *qmp_find_command(const char *name);
const QmpEvent *qmp_find_event(const char *name);
/* Send an event to the clients now, without rate limit (qmp.c). */
void qapi_event_emit(const char *name, JsonObject *data);
/* A rate-limited event (ev->throttle_ms) held for later: true, and it
 * owns data; false: the caller sends it now (qmp-throttle.c). */
bool qmp_event_throttle(const QmpEvent *ev, const char *name,
                        JsonObject *data);

/* Check a value against a type; path names it in errors ("x", "a[0].b"). */
bool qapi_check(JsonNode *value, const QAPIType *type, const char *path,
                GError **errp);
/* A request ({"execute": ...}) in, the reply out (never NULL). */
JsonNode *qmp_dispatch(MonitorQMP *mon, JsonNode *request);
/* {"error": {"class": ..., "desc": ...}} */
JsonNode *qmp_error_reply(const GError *err);

/* ---- building replies ------------------------------------------------- */

JsonNode *qmp_node_object(JsonObject *obj);    /* takes obj */
JsonNode *qmp_node_array(JsonArray *arr);      /* takes arr */
JsonNode *qmp_node_string(const char *s);
JsonNode *qmp_return_empty(void);              /* {} */
/* Optional arguments of a checked object (absent: NULL / def). */
const char *qmp_arg_str(JsonObject *args, const char *name);
bool qmp_arg_bool(JsonObject *args, const char *name, bool def);

/* ---- handlers (one per command, named after it) ---------------------- */

#define QMP_HANDLER(fn) \
    JsonNode *fn(MonitorQMP *mon, JsonObject *args, GError **errp)

/* qapi-schema.c */
QMP_HANDLER(qmp_query_qmp_schema);
QMP_HANDLER(qmp_query_commands);
/* qmp-cmds.c: the protocol and the program */
QMP_HANDLER(qmp_qmp_capabilities);
QMP_HANDLER(qmp_query_version);
QMP_HANDLER(qmp_query_kvm);
QMP_HANDLER(qmp_query_chardev);
QMP_HANDLER(qmp_query_command_line_options);
QMP_HANDLER(qmp_query_empty_list);
QMP_HANDLER(qmp_migrate_set_capabilities);
/* target/i386/sev/sev-qmp.c */
QMP_HANDLER(qmp_query_sev_capabilities);
QMP_HANDLER(qmp_query_sev);
QMP_HANDLER(qmp_query_sev_launch_measure);
QMP_HANDLER(qmp_sev_inject_launch_secret);
QMP_HANDLER(qmp_query_sev_attestation_report);
/* qmp-cmds-pci.c */
QMP_HANDLER(qmp_query_pci);
/* qmp-cmds-block.c */
QMP_HANDLER(qmp_query_block);
QMP_HANDLER(qmp_query_named_block_nodes);
/* qmp-cmds-machine.c: run state and vCPUs */
QMP_HANDLER(qmp_query_status);
QMP_HANDLER(qmp_stop);
QMP_HANDLER(qmp_cont);
QMP_HANDLER(qmp_system_reset);
QMP_HANDLER(qmp_system_powerdown);
QMP_HANDLER(qmp_quit);
QMP_HANDLER(qmp_query_machines);
QMP_HANDLER(qmp_query_cpus_fast);
QMP_HANDLER(qmp_query_hotpluggable_cpus);
/* qmp-cmds-qom.c: types and the object tree */
QMP_HANDLER(qmp_qom_list_types);
QMP_HANDLER(qmp_qom_list_properties);
QMP_HANDLER(qmp_device_list_properties);
QMP_HANDLER(qmp_qom_list);
QMP_HANDLER(qmp_qom_get);
/* hmp.c */
QMP_HANDLER(qmp_human_monitor_command);
/* qmp-cmds-migration.c */
QMP_HANDLER(qmp_migrate);
QMP_HANDLER(qmp_migrate_incoming);
QMP_HANDLER(qmp_query_migrate);
QMP_HANDLER(qmp_query_target);
/* target/<arch>/monitor.c */
QMP_HANDLER(qmp_query_cpu_definitions);
QMP_HANDLER(qmp_query_cpu_model_expansion);

/* ---- the target (system/target-info.h) ---------------------------------- */

/* "qemu64" -> "qemu64-x86_64-cpu" (options after a ',' are dropped). */
char *qmp_cpu_type_name(const char *cpu_model);
/* The CPU model names -cpu accepts, in -cpu help order. */
GStrv qmp_cpu_model_names(void);
/* "x86_64-cpu": the abstract parent of the target's CPU types. */
const char *qmp_cpu_base_type(void);
/* The one-value enum of the target's name (QAPI SysEmuTarget here). */
const char *qmp_target_arch_value(int i);

#endif
