/*
 * query-block and query-named-block-nodes, in QEMU's BlockInfo and
 * BlockDeviceInfo layout (the fields libvirt reads: device, qdev,
 * inserted.file/node-name/ro/drv/image).
 */
#include "monitor-internal.h"
#include "block/block.h"

#include <sys/stat.h>

static JsonObject *block_device_info(const BlockNode *bs)
{
    JsonObject *o = json_object_new();
    JsonObject *cache = json_object_new();
    JsonObject *image = json_object_new();
    struct stat st;

    json_object_set_string_member(o, "file", bs->filename);
    json_object_set_string_member(o, "node-name", bs->node_name);
    json_object_set_boolean_member(o, "ro", bs->read_only);
    json_object_set_string_member(o, "drv", bs->driver);
    json_object_set_int_member(o, "backing_file_depth", 0);
    json_object_set_boolean_member(o, "encrypted", false);
    json_object_set_string_member(o, "detect_zeroes", "off");
    static const char *const throttles[] = {
        "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(throttles); i++) {
        json_object_set_int_member(o, throttles[i], 0);
    }
    json_object_set_int_member(o, "write_threshold", 0);
    json_object_set_boolean_member(cache, "writeback", bs->writeback);
    json_object_set_boolean_member(cache, "direct", bs->direct);
    json_object_set_boolean_member(cache, "no-flush", false);
    json_object_set_object_member(o, "cache", cache);
    json_object_set_string_member(image, "filename", bs->filename);
    json_object_set_string_member(image, "format", bs->driver);
    json_object_set_int_member(image, "virtual-size", bs->size);
    if (fstat(bs->fd, &st) == 0) {
        json_object_set_int_member(image, "actual-size",
                                   (int64_t)st.st_blocks * 512);
    }
    json_object_set_boolean_member(image, "dirty-flag", false);
    json_object_set_object_member(o, "image", image);
    return o;
}

QMP_HANDLER(qmp_query_block)
{
    GPtrArray *all = block_all();
    g_autoptr(JsonArray) list = json_array_new();

    for (guint i = 0; i < all->len; i++) {
        const BlockNode *bs = g_ptr_array_index(all, i);
        JsonObject *o;

        /* backends: every -drive, and nodes a device uses directly
         * (QEMU's anonymous backends, "device": "") */
        if (!bs->drive_id && (!bs->attached_to || block_find(bs->attached_to))) {
            continue;
        }
        o = json_object_new();
        json_object_set_string_member(o, "device",
                                      bs->drive_id ? bs->drive_id : "");
        if (bs->attached_to) {
            g_autofree char *qdev = g_strdup_printf(
                "/machine/peripheral/%s/virtio-backend", bs->attached_to);
            json_object_set_string_member(o, "qdev", qdev);
        }
        json_object_set_boolean_member(o, "locked", false);
        json_object_set_boolean_member(o, "removable", false);
        json_object_set_string_member(o, "type", "unknown");
        json_object_set_string_member(o, "io-status", "ok");
        json_object_set_object_member(o, "inserted", block_device_info(bs));
        json_array_add_object_element(list, o);
    }
    return qmp_node_array(g_steal_pointer(&list));
}

QMP_HANDLER(qmp_query_named_block_nodes)
{
    GPtrArray *all = block_all();
    g_autoptr(JsonArray) list = json_array_new();

    for (guint i = 0; i < all->len; i++) {
        json_array_add_object_element(list,
            block_device_info(g_ptr_array_index(all, i)));
    }
    return qmp_node_array(g_steal_pointer(&list));
}
