/*
 * QEMU's object model as QMP shows it, for the objects we have.
 *
 * Types: the -device models, the -object types, the machine types
 * ("<name>-machine"), the CPU models ("<model>-x86_64-cpu") and the few
 * abstract types above them.  The object tree: /machine with its vCPUs
 * under /machine/unattached/device[N], the -device containers, and the
 * -object instances under /objects.
 *
 * We know no properties of types: qom-list-properties answers [] (never
 * DeviceNotFound: libvirt 9.0 crashes on it), device-list-properties []
 * for our devices.
 */
#include "monitor/monitor-internal.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "qom/object.h"
#include "system/target-info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct QomType {
    char *name;
    const char *parent;     /* NULL: the root, "object" */
    bool abstract;
    bool is_device;
} QomType;

static void qom_type_free(gpointer p)
{
    QomType *t = p;

    g_free(t->name);
    g_free(t);
}

static void add_type(GPtrArray *types, char *name, const char *parent,
                     bool abstract, bool is_device)
{
    QomType *t = g_new0(QomType, 1);

    t->name = name;
    t->parent = parent;
    t->abstract = abstract;
    t->is_device = is_device;
    g_ptr_array_add(types, t);
}

/* The -device models. */
static void add_device_types(GPtrArray *types)
{
    GPtrArray *all = device_all();

    for (guint i = 0; i < all->len; i++) {
        const DeviceInfo *d = g_ptr_array_index(all, i);

        if (!d->create) {
            continue;       /* built by the machine, not by -device */
        }
        add_type(types, g_strdup(d->name),
                 strcmp(d->bus, "isa") == 0 ? "isa-device" : "device",
                 false, true);
    }
}

/* Every type, abstract ones first; free with g_ptr_array_unref(). */
static GPtrArray *qom_types(void)
{
    GPtrArray *types = g_ptr_array_new_with_free_func(qom_type_free);
    GPtrArray *machines = machine_all();
    g_auto(GStrv) cpus = qmp_cpu_model_names();

    add_type(types, g_strdup("object"), NULL, true, false);
    add_type(types, g_strdup("device"), "object", true, true);
    add_type(types, g_strdup("machine"), "object", true, false);
    add_type(types, g_strdup("isa-device"), "device", true, true);
    add_type(types, g_strdup("cpu"), "device", true, true);
    add_type(types, g_strdup(qmp_cpu_base_type()), "cpu", true, true);
    add_device_types(types);
    /* the pc machine's COM ports are isa-serial (libvirt needs the name) */
    if (!device_find("isa-serial")) {
        add_type(types, g_strdup("isa-serial"), "isa-device", false, true);
    }
    for (guint i = 0; i < object_type_all()->len; i++) {
        const ObjectTypeInfo *o = g_ptr_array_index(object_type_all(), i);
        if (!o->host_supports || o->host_supports()) {
            add_type(types, g_strdup(o->name), "object", false, false);
        }
    }
    for (guint i = 0; i < machines->len; i++) {
        const MachineClass *mc = g_ptr_array_index(machines, i);
        add_type(types, g_strdup_printf("%s-machine", mc->name), "machine",
                 false, false);
    }
    for (char **c = cpus; *c; c++) {
        add_type(types, qmp_cpu_type_name(*c), qmp_cpu_base_type(),
                 false, true);
    }
    return types;
}

static const QomType *find_type(GPtrArray *types, const char *name)
{
    for (guint i = 0; name && i < types->len; i++) {
        const QomType *t = g_ptr_array_index(types, i);
        if (strcmp(t->name, name) == 0) {
            return t;
        }
    }
    return NULL;
}

static bool implements(GPtrArray *types, const QomType *t, const char *what)
{
    for (; t; t = find_type(types, t->parent)) {
        if (strcmp(t->name, what) == 0) {
            return true;
        }
    }
    return false;
}

QMP_HANDLER(qmp_qom_list_types)
{
    g_autoptr(GPtrArray) types = qom_types();
    const char *what = qmp_arg_str(args, "implements");
    bool abstract = qmp_arg_bool(args, "abstract", false);
    g_autoptr(JsonArray) list = json_array_new();

    for (guint i = 0; i < types->len; i++) {
        const QomType *t = g_ptr_array_index(types, i);
        JsonObject *o;

        if ((t->abstract && !abstract) ||
            (what && !implements(types, t, what))) {
            continue;
        }
        o = json_object_new();
        json_object_set_string_member(o, "name", t->name);
        if (t->abstract) {
            json_object_set_boolean_member(o, "abstract", true);
        }
        if (t->parent) {
            json_object_set_string_member(o, "parent", t->parent);
        }
        json_array_add_object_element(list, o);
    }
    return qmp_node_array(g_steal_pointer(&list));
}

QMP_HANDLER(qmp_qom_list_properties)
{
    return qmp_node_array(json_array_new());
}

QMP_HANDLER(qmp_device_list_properties)
{
    g_autoptr(GPtrArray) types = qom_types();
    const char *name = qmp_arg_str(args, "typename");
    const QomType *t = find_type(types, name);

    if (!t) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "Device '%s' not found", name);
        return NULL;
    }
    if (!t->is_device || t->abstract) {
        error_setg(errp, "Parameter 'typename' expects a non-abstract device "
                   "type");
        return NULL;
    }
    return qmp_node_array(json_array_new());
}

/* ---- the object tree ------------------------------------------------------ */

typedef struct QomChild {
    char *name;
    char *type;
} QomChild;

static void qom_child_free(gpointer p)
{
    QomChild *c = p;

    g_free(c->name);
    g_free(c->type);
    g_free(c);
}

static void add_child(GPtrArray *children, char *name, char *type)
{
    QomChild *c = g_new(QomChild, 1);

    c->name = name;
    c->type = type;
    g_ptr_array_add(children, c);
}

static char *cpu_type(MachineState *ms)
{
    return qmp_cpu_type_name(ms->cpu_model ? ms->cpu_model :
                             target_info.default_cpu_model);
}

/* /objects: the -object instances */
static char *qom_resolve_objects(const char *path, GPtrArray *children)
{
    GPtrArray *all = user_object_all();
    UserObject *o;

    if (strcmp(path, "/objects") == 0) {
        for (guint i = 0; i < all->len; i++) {
            o = g_ptr_array_index(all, i);
            add_child(children, g_strdup(o->id), g_strdup(o->type->name));
        }
        return g_strdup("container");
    }
    o = user_object_find(path + strlen("/objects/"));
    return o ? g_strdup(o->type->name) : NULL;
}

/*
 * /machine, its containers, its vCPUs, and under /machine/peripheral the
 * -device instances given an id (libvirt lists them after start).
 */
static char *qom_resolve_machine(MachineState *ms, const char *path,
                                 GPtrArray *children)
{
    static const char *const containers[] = {
        "peripheral", "peripheral-anon", "unattached",
    };
    unsigned idx;
    int end = 0;

    if (strcmp(path, "/machine") == 0) {
        for (size_t i = 0; i < G_N_ELEMENTS(containers); i++) {
            add_child(children, g_strdup(containers[i]), g_strdup("container"));
        }
        return g_strdup_printf("%s-machine", ms->mc->name);
    }
    if (strcmp(path, "/machine/peripheral") == 0) {
        for (guint i = 0; ms->peripherals && i < ms->peripherals->len; i++) {
            const MachinePeripheral *p = g_ptr_array_index(ms->peripherals, i);
            add_child(children, g_strdup(p->id), g_strdup(p->type));
        }
        return g_strdup("container");
    }
    if (strcmp(path, "/machine/peripheral-anon") == 0) {
        return g_strdup("container");
    }
    if (g_str_has_prefix(path, "/machine/peripheral/") &&
        machine_peripheral_find(ms, path + strlen("/machine/peripheral/"))) {
        return g_strdup(machine_peripheral_find(
            ms, path + strlen("/machine/peripheral/"))->type);
    }
    if (strcmp(path, "/machine/unattached") == 0) {
        for (unsigned i = 0; i < ms->nr_cpus; i++) {
            add_child(children, g_strdup_printf("device[%u]", i), cpu_type(ms));
        }
        return g_strdup("container");
    }
    if (sscanf(path, "/machine/unattached/device[%u]%n", &idx, &end) == 1 &&
        path[end] == '\0' && idx < ms->nr_cpus) {
        return cpu_type(ms);
    }
    return NULL;
}

/* The object at path: its type (NULL: no such object), and its children. */
static char *qom_resolve(MachineState *ms, const char *path,
                         GPtrArray *children)
{
    if (strcmp(path, "/") == 0) {
        add_child(children, g_strdup("machine"),
                  g_strdup_printf("%s-machine", ms->mc->name));
        add_child(children, g_strdup("objects"), g_strdup("container"));
        return g_strdup("container");
    }
    if (strcmp(path, "/objects") == 0 || g_str_has_prefix(path, "/objects/")) {
        return qom_resolve_objects(path, children);
    }
    if (strcmp(path, "/machine") == 0 || g_str_has_prefix(path, "/machine/")) {
        return qom_resolve_machine(ms, path, children);
    }
    return NULL;
}

static JsonObject *property_info(const char *name, const char *type)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "name", name);
    json_object_set_string_member(o, "type", type);
    return o;
}

QMP_HANDLER(qmp_qom_list)
{
    const char *path = qmp_arg_str(args, "path");
    g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func(qom_child_free);
    g_autofree char *type = qom_resolve(mon->ms, path, children);
    g_autoptr(JsonArray) list = json_array_new();

    if (!type) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "Device '%s' not found", path);
        return NULL;
    }
    json_array_add_object_element(list, property_info("type", "string"));
    for (guint i = 0; i < children->len; i++) {
        QomChild *c = g_ptr_array_index(children, i);
        g_autofree char *t = g_strdup_printf("child<%s>", c->type);
        json_array_add_object_element(list, property_info(c->name, t));
    }
    return qmp_node_array(g_steal_pointer(&list));
}

QMP_HANDLER(qmp_qom_get)
{
    const char *path = qmp_arg_str(args, "path");
    const char *prop = qmp_arg_str(args, "property");
    g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func(qom_child_free);
    g_autofree char *type = qom_resolve(mon->ms, path, children);

    if (!type) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "Device '%s' not found", path);
        return NULL;
    }
    if (strcmp(prop, "type") == 0) {
        return qmp_node_string(type);
    }
    for (guint i = 0; i < children->len; i++) {
        QomChild *c = g_ptr_array_index(children, i);
        if (strcmp(c->name, prop) == 0) {
            /* a child property reads as the child's path */
            g_autofree char *p = g_strdup_printf("%s/%s",
                                                 strcmp(path, "/") ? path : "",
                                                 c->name);
            return qmp_node_string(p);
        }
    }
    error_setg(errp, "Property '%s.%s' not found", type, prop);
    return NULL;
}
