/*
 * User-creatable objects (-object TYPE,id=ID,...): a small table of
 * types, each parsing its own properties.  Devices are not objects here
 * (-device has its own registry); these are the non-device things
 * management tools create: secrets, memory backends, later sev-guest.
 */
#ifndef QOM_OBJECT_H
#define QOM_OBJECT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qemu/option.h"

typedef struct UserObject UserObject;

typedef struct ObjectTypeInfo {
    const char *name;
    const char *desc;
    /* Take the properties this type knows from opts (id is handled). */
    bool (*create)(UserObject *obj, QemuOpts *opts, GError **errp);
    /* NULL, or false when this host cannot use the type: it is then left
     * out of qom-list-types (libvirt probes SEV support that way). */
    bool (*host_supports)(void);
    /* NULL, or what frees obj->priv (a failed create, a deletion). */
    void (*free_priv)(void *priv);
} ObjectTypeInfo;

struct UserObject {
    const ObjectTypeInfo *type;
    char *id;
    /* memory-backend-*: the size; secret: the decoded data */
    uint64_t size;
    bool prealloc;          /* memory-backend-*: prealloc=on */
    GBytes *data;
    void *priv;             /* type-specific state */
};

/* -object: create from parsed options ("qom-type" names the type). */
bool user_object_create(QemuOpts *opts, GError **errp);
UserObject *user_object_find(const char *id);
/* Remove and free object id (nothing may use it any more); false: none. */
bool user_object_delete(const char *id);
/* Every object, in creation order (QMP). */
GPtrArray *user_object_all(void);
void object_type_register(const ObjectTypeInfo *info);
#define OBJECT_TYPE_REGISTER(info) \
    static void __attribute__((constructor)) register_##info(void) \
    { object_type_register(&info); }
const ObjectTypeInfo *object_type_find(const char *name);
GPtrArray *object_type_all(void);
void object_list(FILE *f);

#endif
