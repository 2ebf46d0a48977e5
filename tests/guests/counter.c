/*
 * counter: count forever, printing "count N" on COM1 after every step, so
 * a test can save the running guest, restore it in a new process and see
 * the count go on from where it was (RAM, registers and the serial port
 * all restored).  Each step waits on port 0x80 writes (a VM exit each).
 */
#include "libguest.h"

static volatile uint32_t count;

int main(void)
{
    for (;;) {
        count++;
        printf("count %u\n", count);
        for (int i = 0; i < 2000; i++) {
            io_delay();
        }
    }
}
