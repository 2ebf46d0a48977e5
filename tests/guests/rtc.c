/* rtc: CMOS memory size bytes, status registers, and a ticking clock. */
#include "libguest.h"

static uint32_t cmos16(uint8_t lo)
{
    return cmos_read(lo) | (uint32_t)cmos_read(lo + 1) << 8;
}

static uint8_t rtc_seconds(void)
{
    int i;
    for (i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++)    /* update in progress */
        ;
    return cmos_read(0x00);
}

int main(void)
{
    uint32_t i;
    uint8_t s0;

    puts("rtc: hello\n");
    printf("rtc: base memory %u KiB\n", cmos16(0x15));
    printf("rtc: extended memory %u KiB\n", cmos16(0x17));
    printf("rtc: extended memory (0x30) %u KiB\n", cmos16(0x30));
    printf("rtc: memory above 16M %u x 64 KiB\n", cmos16(0x34));
    printf("rtc: status A 0x%02x B 0x%02x\n", cmos_read(0x0a), cmos_read(0x0b));
    s0 = rtc_seconds();
    for (i = 0; i < 300000; i++) {       /* >= 1.2 s: 4 port accesses each */
        if (rtc_seconds() != s0) {
            puts("rtc: ticking\n");
            return 0;
        }
    }
    puts("rtc: not ticking\n");
    return 1;
}
