/*
 * -object: the type table and two types libvirt uses, "secret" (data
 * or a file, raw or base64: libvirt's master key) and
 * "memory-backend-ram" (a size the machine's memory-backend= refers to).
 */
#include "qom/object.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <string.h>

static GPtrArray *types;
static GPtrArray *objects;

void object_type_register(const ObjectTypeInfo *info)
{
    if (!types) {
        types = g_ptr_array_new();
    }
    g_ptr_array_add(types, (gpointer)info);
}

GPtrArray *object_type_all(void)
{
    if (!types) {
        types = g_ptr_array_new();
    }
    return types;
}

const ObjectTypeInfo *object_type_find(const char *name)
{
    GPtrArray *all = object_type_all();

    for (guint i = 0; i < all->len; i++) {
        const ObjectTypeInfo *t = g_ptr_array_index(all, i);
        if (strcmp(t->name, name) == 0) {
            return t;
        }
    }
    return NULL;
}

void object_list(FILE *f)
{
    GPtrArray *all = object_type_all();

    fprintf(f, "List of user creatable objects:\n");
    for (guint i = 0; i < all->len; i++) {
        const ObjectTypeInfo *t = g_ptr_array_index(all, i);
        fprintf(f, "  %-24s %s\n", t->name, t->desc);
    }
}

GPtrArray *user_object_all(void)
{
    if (!objects) {
        objects = g_ptr_array_new();
    }
    return objects;
}

UserObject *user_object_find(const char *id)
{
    GPtrArray *all = user_object_all();

    for (guint i = 0; i < all->len; i++) {
        UserObject *o = g_ptr_array_index(all, i);
        if (strcmp(o->id, id) == 0) {
            return o;
        }
    }
    return NULL;
}

static void user_object_free(UserObject *obj)
{
    if (obj->priv && obj->type->free_priv) {
        obj->type->free_priv(obj->priv);
    }
    if (obj->data) {
        g_bytes_unref(obj->data);
    }
    g_free(obj->id);
    g_free(obj);
}

bool user_object_create(QemuOpts *opts, GError **errp)
{
    const char *type = qemu_opt_get(opts, "qom-type");
    const char *id = qemu_opt_get(opts, "id");
    const ObjectTypeInfo *info;
    UserObject *obj;

    if (!type) {
        error_setg(errp, "Parameter 'qom-type' is missing");
        return false;
    }
    info = object_type_find(type);
    if (!info) {
        error_setg(errp, "Parameter 'qom-type' does not accept value '%s'",
                   type);
        return false;
    }
    if (!id) {
        error_setg(errp, "Parameter 'id' is missing");
        return false;
    }
    if (user_object_find(id)) {
        error_setg(errp, "attempt to add duplicate property '%s' to object "
                   "(type 'container')", id);
        return false;
    }
    obj = g_new0(UserObject, 1);
    obj->type = info;
    obj->id = g_strdup(id);
    /* create() may succeed before an unknown property is found */
    if (!info->create(obj, opts, errp) || !qemu_opts_check_unused(opts, errp)) {
        user_object_free(obj);
        return false;
    }
    g_ptr_array_add(user_object_all(), obj);
    return true;
}

bool user_object_delete(const char *id)
{
    UserObject *obj = user_object_find(id);

    if (!obj) {
        return false;
    }
    g_ptr_array_remove(user_object_all(), obj);
    user_object_free(obj);
    return true;
}

static bool secret_create(UserObject *obj, QemuOpts *opts, GError **errp)
{
    const char *data = qemu_opt_get(opts, "data");
    const char *file = qemu_opt_get(opts, "file");
    const char *format = qemu_opt_get(opts, "format");
    g_autofree char *buf = NULL;
    size_t len;

    /* keyid/iv encrypt the secret with another one: not supported */
    if (qemu_opt_has(opts, "keyid") || qemu_opt_has(opts, "iv")) {
        error_setg(errp, "secret '%s': encrypted secrets (keyid, iv) are "
                   "not supported", obj->id);
        return false;
    }
    if (!!data == !!file) {
        error_setg(errp, "'data' and 'file' are mutually exclusive, and one "
                   "of them must be given");
        return false;
    }
    if (file) {
        if (!qemu_read_file("secret file", file, &buf, &len, errp)) {
            return false;
        }
    } else {
        buf = g_strdup(data);
        len = strlen(data);
    }
    if (format && strcmp(format, "base64") == 0) {
        g_autofree char *text = g_strndup(buf, len);
        gsize out;
        guchar *dec = g_base64_decode(g_strstrip(text), &out);
        obj->data = g_bytes_new_take(dec, out);
    } else if (!format || strcmp(format, "raw") == 0) {
        obj->data = g_bytes_new(buf, len);
    } else {
        error_setg(errp, "Parameter 'format' does not accept value '%s'",
                   format);
        return false;
    }
    return true;
}

static const ObjectTypeInfo secret_info = {
    .name = "secret",
    .desc = "a secret value (data= or file=, format=raw|base64)",
    .create = secret_create,
};
OBJECT_TYPE_REGISTER(secret_info)

static bool memory_backend_ram_create(UserObject *obj, QemuOpts *opts,
                                      GError **errp)
{
    bool dump, merge, prealloc, share;

    if (!qemu_opt_has(opts, "size")) {
        error_setg(errp, "can't create backend with size 0");
        return false;
    }
    /* guest RAM is private anonymous memory, never in core dumps and
     * never merged: dump and merge are accepted whatever they say */
    qemu_opt_get(opts, "x-use-canonical-path-for-ramblock-id");
    if (!qemu_opt_get_size(opts, "size", 0, &obj->size, errp) ||
        !qemu_opt_get_bool(opts, "dump", false, &dump, errp) ||
        !qemu_opt_get_bool(opts, "merge", false, &merge, errp) ||
        !qemu_opt_get_bool(opts, "prealloc", false, &prealloc, errp) ||
        !qemu_opt_get_bool(opts, "share", false, &share, errp)) {
        return false;
    }
    if (share) {
        error_setg(errp, "memory-backend-ram '%s': share=on is not supported",
                   obj->id);
        return false;
    }
    obj->prealloc = prealloc;   /* as -mem-prealloc (util/prealloc.c) */
    return true;
}

static const ObjectTypeInfo memory_backend_ram_info = {
    .name = "memory-backend-ram",
    .desc = "guest RAM of a given size (-machine memory-backend=id)",
    .create = memory_backend_ram_create,
};
OBJECT_TYPE_REGISTER(memory_backend_ram_info)
