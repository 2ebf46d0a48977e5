/*
 * MC146818 RTC and CMOS NVRAM at ports 0x70 (index; bit 7 masks NMI)
 * and 0x71 (data).  Time registers follow the host clock (-rtc base=utc)
 * plus an offset the guest can change by setting the time.  The memory
 * size bytes are the ones PC firmware and guests read (QEMU's
 * pc_cmos_init layout).  No periodic/alarm interrupts yet.
 */
#include "hw/i386/pc.h"
#include "qemu/log.h"

#include <string.h>
#include <time.h>

#define RTC_SECONDS      0x00
#define RTC_MINUTES      0x02
#define RTC_HOURS        0x04
#define RTC_DAY_OF_WEEK  0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH        0x08
#define RTC_YEAR         0x09
#define RTC_REG_A        0x0a
#define RTC_REG_B        0x0b
#define RTC_REG_C        0x0c
#define RTC_REG_D        0x0d
#define RTC_CENTURY      0x32

#define REG_B_SET   0x80   /* guest is setting the clock: freeze */
#define REG_B_DM    0x04   /* binary (else BCD) */
#define REG_B_24H   0x02
#define REG_D_VRT   0x80   /* valid RAM and time */

typedef struct RTCState {
    GMutex lock;
    uint8_t index;
    uint8_t cmos[128];
    int64_t offset;        /* guest time - host time, seconds */
} RTCState;

static uint8_t to_reg(RTCState *s, int v)
{
    return (s->cmos[RTC_REG_B] & REG_B_DM) ? v : ((v / 10) << 4) | (v % 10);
}

static int from_reg(RTCState *s, uint8_t v)
{
    return (s->cmos[RTC_REG_B] & REG_B_DM) ? v : (v >> 4) * 10 + (v & 0xf);
}

static void rtc_fill_time(RTCState *s)
{
    time_t t = time(NULL) + s->offset;
    struct tm tm;
    int hour;

    gmtime_r(&t, &tm);
    hour = tm.tm_hour;
    s->cmos[RTC_SECONDS] = to_reg(s, tm.tm_sec);
    s->cmos[RTC_MINUTES] = to_reg(s, tm.tm_min);
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        s->cmos[RTC_HOURS] = to_reg(s, hour);
    } else {
        /* 12-hour mode: 12, 1..11 with bit 7 for PM */
        int h12 = hour % 12 ? hour % 12 : 12;
        s->cmos[RTC_HOURS] = to_reg(s, h12) | (hour >= 12 ? 0x80 : 0);
    }
    s->cmos[RTC_DAY_OF_WEEK] = to_reg(s, tm.tm_wday + 1);
    s->cmos[RTC_DAY_OF_MONTH] = to_reg(s, tm.tm_mday);
    s->cmos[RTC_MONTH] = to_reg(s, tm.tm_mon + 1);
    s->cmos[RTC_YEAR] = to_reg(s, tm.tm_year % 100);
    s->cmos[RTC_CENTURY] = to_reg(s, (tm.tm_year + 1900) / 100);
}

/* The guest finished setting the clock: remember its offset. */
static void rtc_take_guest_time(RTCState *s)
{
    struct tm tm = { 0 };
    uint8_t h = s->cmos[RTC_HOURS];

    tm.tm_sec = from_reg(s, s->cmos[RTC_SECONDS]);
    tm.tm_min = from_reg(s, s->cmos[RTC_MINUTES]);
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        tm.tm_hour = from_reg(s, h);
    } else {
        tm.tm_hour = from_reg(s, h & 0x7f) % 12 + ((h & 0x80) ? 12 : 0);
    }
    tm.tm_mday = from_reg(s, s->cmos[RTC_DAY_OF_MONTH]);
    tm.tm_mon = from_reg(s, s->cmos[RTC_MONTH]) - 1;
    tm.tm_year = from_reg(s, s->cmos[RTC_YEAR]) +
                 from_reg(s, s->cmos[RTC_CENTURY]) * 100 - 1900;
    s->offset = (int64_t)timegm(&tm) - (int64_t)time(NULL);
}

static bool is_time_reg(uint8_t idx)
{
    return idx <= RTC_YEAR || idx == RTC_CENTURY;
}

static uint64_t rtc_read(void *opaque, uint64_t addr, unsigned size)
{
    RTCState *s = opaque;
    uint8_t v;

    if (addr == 0) {
        return 0xff;   /* the index port is write-only */
    }
    g_mutex_lock(&s->lock);
    if (is_time_reg(s->index) && !(s->cmos[RTC_REG_B] & REG_B_SET)) {
        rtc_fill_time(s);
    }
    v = s->cmos[s->index];
    if (s->index == RTC_REG_C) {
        s->cmos[RTC_REG_C] = 0;     /* flags clear on read */
    }
    g_mutex_unlock(&s->lock);
    return v;
}

static void rtc_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    RTCState *s = opaque;

    g_mutex_lock(&s->lock);
    if (addr == 0) {
        s->index = val & 0x7f;      /* bit 7 is the NMI mask: ignored */
    } else {
        switch (s->index) {
        case RTC_REG_A:
            s->cmos[RTC_REG_A] = val & 0x7f;    /* UIP is read-only */
            break;
        case RTC_REG_B:
            if ((s->cmos[RTC_REG_B] & REG_B_SET) && !(val & REG_B_SET)) {
                s->cmos[RTC_REG_B] = val;
                rtc_take_guest_time(s);
            } else {
                if (!(s->cmos[RTC_REG_B] & REG_B_SET) && (val & REG_B_SET)) {
                    rtc_fill_time(s);   /* freeze the current time */
                }
                s->cmos[RTC_REG_B] = val;
            }
            break;
        case RTC_REG_C:
        case RTC_REG_D:
            break;                      /* read-only */
        default:
            s->cmos[s->index] = val;
        }
    }
    g_mutex_unlock(&s->lock);
}

static const IOBusOps rtc_ops = {
    .read = rtc_read,
    .write = rtc_write,
    .min_access = 1,
    .max_access = 1,
};

static void set_pair(RTCState *s, int lo_reg, uint64_t v)
{
    s->cmos[lo_reg] = v & 0xff;
    s->cmos[lo_reg + 1] = (v >> 8) & 0xff;
}

/* Memory size and CPU count bytes, in the units PC firmware defined. */
static void rtc_set_config(RTCState *s, MachineState *ms)
{
    uint64_t ext_kb = ms->below_4g_mem_size / 1024 - 1024;
    uint64_t above16m = ms->below_4g_mem_size > (16 << 20) ?
                        (ms->below_4g_mem_size - (16 << 20)) / 65536 : 0;
    uint64_t above4g = ms->above_4g_mem_size / 65536;

    set_pair(s, 0x15, 640);                     /* base memory, KiB */
    set_pair(s, 0x17, MIN(ext_kb, 65535));      /* memory above 1 MiB, KiB */
    set_pair(s, 0x30, MIN(ext_kb, 65535));
    set_pair(s, 0x34, MIN(above16m, 65535));    /* above 16 MiB, 64 KiB units */
    s->cmos[0x5b] = above4g & 0xff;             /* above 4 GiB, 64 KiB units */
    s->cmos[0x5c] = (above4g >> 8) & 0xff;
    s->cmos[0x5d] = (above4g >> 16) & 0xff;
    s->cmos[0x5f] = ms->smp_cpus - 1;
    s->cmos[0x14] = 0x06;                       /* equipment: FPU, display */
}

static void rtc_reset(void *opaque)
{
    RTCState *s = opaque;

    g_mutex_lock(&s->lock);
    s->cmos[RTC_REG_B] = REG_B_24H;     /* BCD, 24 hours, like QEMU */
    s->cmos[RTC_REG_C] = 0;
    g_mutex_unlock(&s->lock);
}

bool pc_cmos_init(MachineState *ms, GError **errp)
{
    RTCState *s = g_new0(RTCState, 1);

    g_mutex_init(&s->lock);
    s->cmos[RTC_REG_A] = 0x26;          /* 32.768 kHz base, 1024 Hz rate */
    s->cmos[RTC_REG_B] = REG_B_24H;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    rtc_set_config(s, ms);
    if (!iobus_register(&ms->io, 0x70, 2, &rtc_ops, s, "rtc", errp)) {
        g_free(s);
        return false;
    }
    /* NVRAM survives reset; only the control state goes back */
    qemu_register_reset(ms, rtc_reset, s);
    return true;
}
