/*
 * QMP: the input is the byte stream a client sends (partial lines, huge
 * numbers, deep nesting, invalid UTF-8 included), fed to a QMP monitor
 * of the pc machine through its chardev: the JSON streamer, the argument
 * checks against the command table and every command handler.  Each
 * input starts with a new session (greeting, then capabilities
 * negotiation is up to the input).  "quit" and the run state requests
 * only post requests that fuzz_machine_settle() clears: there is no main
 * loop to act on them.
 */
#include "fuzz.h"
#include "fuzz-machine.h"
#include "monitor/monitor.h"

#include <glib.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Chardev *chr;
    MachineState *ms = fuzz_machine();

    if (!chr) {
        g_autoptr(GError) err = NULL;
        chr = fuzz_chardev("qmp");
        if (!monitor_init_qmp(chr, ms, false, &err)) {
            fprintf(stderr, "fuzz: qmp: %s\n", err->message);
            abort();
        }
    }
    /* a new client: the monitor forgets the old session */
    qemu_chr_be_event(chr, CHR_EVENT_CLOSED);
    qemu_chr_be_event(chr, CHR_EVENT_OPENED);
    fuzz_chardev_feed(chr, data, size);
    fuzz_machine_settle(ms);
    return 0;
}
