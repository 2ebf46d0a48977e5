/*
 * MC146818A RTC and CMOS NVRAM at ports 0x70 (index; bit 7 masks NMI)
 * and 0x71 (data), interrupting on ISA IRQ 8.  The memory size bytes
 * are the ones PC firmware and guests read (QEMU's pc_cmos_init layout).
 *
 * The clock runs on the virtual clock from the host's time at start-up
 * (-rtc base sets the offset): under KVM that is host time, under qtest
 * the test moves it (what QEMU calls -rtc clock=vm).  While the clock
 * runs, the time registers are computed from it when read; while it is
 * stopped (REG_B.SET, or the divider chain held in reset by REG_A) the
 * registers themselves are the time, and starting again takes them.
 *
 * Interrupts (data sheet, "Interrupts" and register C): the update
 * cycle ends once a second (UF, and AF when the time matches the alarm
 * registers), the periodic interrupt comes at the REG_A rate (PF), and
 * IRQF with the IRQ line follow PF.PIE | AF.AIE | UF.UIE until register
 * C is read.
 */
#include "hw/i386/pc.h"
#include "migration/vmstate.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/timer.h"

#include <string.h>
#include <time.h>

#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09
#define RTC_REG_A         0x0a
#define RTC_REG_B         0x0b
#define RTC_REG_C         0x0c
#define RTC_REG_D         0x0d
#define RTC_CENTURY       0x32

#define REG_A_UIP   0x80   /* update in progress (read-only) */
#define REG_A_DV    0x70   /* divider chain: 010 runs on 32.768 kHz */
#define REG_A_RS    0x0f   /* periodic rate select */
#define REG_B_SET   0x80   /* guest is setting the clock: freeze */
#define REG_B_PIE   0x40
#define REG_B_AIE   0x20
#define REG_B_UIE   0x10
#define REG_B_DM    0x04   /* binary (else BCD) */
#define REG_B_24H   0x02
#define REG_C_IRQF  0x80
#define REG_C_PF    0x40
#define REG_C_AF    0x20
#define REG_C_UF    0x10
/* the flags sit at the same bits as their enables in B */
#define REG_C_FLAGS (REG_C_PF | REG_C_AF | REG_C_UF)
#define REG_D_VRT   0x80   /* valid RAM and time */

#define RTC_ISA_IRQ     8
#define RTC_BASE_HZ     32768
/* an alarm byte with both top bits set matches any value */
#define ALARM_DONT_CARE 0xc0
/* UIP is up for the last 8 base-clock cycles (244 us) before an update (QEMU) */
#define UIP_HOLD_NS     (8 * NANOSECONDS_PER_SECOND / RTC_BASE_HZ)

typedef struct RTCState {
    GMutex lock;
    uint8_t index;
    uint8_t cmos[128];
    /*
     * Guest time in ns since 1970 (in the guest's zone) minus the
     * virtual clock.  While the clock is stopped only its sub-second
     * part matters: the phase of the divider chain, which SET does not
     * stop.
     */
    int64_t base_ns;
    qemu_irq irq;
    bool irq_level;                 /* what the line was last set to */
    QEMUTimer *update_timer;        /* the end of each update cycle */
    QEMUTimer *periodic_timer;
    uint32_t period;                /* base-clock cycles; 0: none */
    int64_t next_periodic;          /* base-clock cycles of the virtual clock */
} RTCState;

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* ---- the clock ---------------------------------------------------------- */

static uint8_t to_reg(RTCState *s, int v)
{
    return (s->cmos[RTC_REG_B] & REG_B_DM) ? v : ((v / 10) << 4) | (v % 10);
}

static int from_reg(RTCState *s, uint8_t v)
{
    return (s->cmos[RTC_REG_B] & REG_B_DM) ? v : (v >> 4) * 10 + (v & 0xf);
}

/* Updates happen unless SET is on or the divider is not in a run mode. */
static bool rtc_running(RTCState *s)
{
    return !(s->cmos[RTC_REG_B] & REG_B_SET) &&
           (s->cmos[RTC_REG_A] & REG_A_DV) <= 0x20;
}

static bool divider_in_reset(uint8_t reg_a)
{
    return (reg_a & 0x60) == 0x60;
}

/* Where the divider chain is within the current second. */
static int64_t rtc_subsecond(RTCState *s, int64_t now)
{
    return floor_mod(s->base_ns + now, NANOSECONDS_PER_SECOND);
}

/* The time registers from the running clock. */
static void rtc_fill_time(RTCState *s)
{
    time_t t = floor_div(s->base_ns + qemu_clock_get_ns(),
                         NANOSECONDS_PER_SECOND);
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

/* The time the registers hold, in seconds since 1970. */
static int64_t rtc_regs_seconds(RTCState *s)
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
    return timegm(&tm);
}

/* Run from the registers' time, keeping the divider chain's phase. */
static void rtc_take_regs_time(RTCState *s)
{
    int64_t now = qemu_clock_get_ns();
    /*
     * The guest may write any date from the year 0 to 25599 (century 0x99
     * and non-BCD garbage): saturate at 1900 (the registers cannot show
     * earlier years: to_reg() of a negative value) and at 146 years after
     * 1970, so that the nanosecond clock arithmetic cannot overflow with
     * the clock itself at most QEMU_CLOCK_MAX_NS, 73 years (fuzz
     * findings).
     */
    const int64_t min_s = -2208988800LL;    /* 1900-01-01T00:00:00Z */
    const int64_t max_s = INT64_MAX / NANOSECONDS_PER_SECOND / 2;
    int64_t secs = CLAMP(rtc_regs_seconds(s), min_s, max_s);

    s->base_ns = secs * NANOSECONDS_PER_SECOND +
                 rtc_subsecond(s, now) - now;
}

static bool rtc_update_in_progress(RTCState *s)
{
    return rtc_running(s) &&
           rtc_subsecond(s, qemu_clock_get_ns()) >=
           NANOSECONDS_PER_SECOND - UIP_HOLD_NS;
}

/* ---- interrupts ------------------------------------------------------- */

/* IRQF and the line: any flag whose enable bit (same position in B) is set. */
static void rtc_update_irq(RTCState *s)
{
    bool irqf = s->cmos[RTC_REG_C] & s->cmos[RTC_REG_B] & REG_C_FLAGS;

    if (irqf) {
        s->cmos[RTC_REG_C] |= REG_C_IRQF;
    } else {
        s->cmos[RTC_REG_C] &= ~REG_C_IRQF;
    }
    if (irqf != s->irq_level) {
        s->irq_level = irqf;
        qemu_set_irq(s->irq, irqf);
    }
}

static void rtc_set_flags(RTCState *s, uint8_t flags)
{
    s->cmos[RTC_REG_C] |= flags;
    rtc_update_irq(s);
}

/* Each alarm byte is compared as stored with its time byte (data sheet). */
static bool rtc_alarm_matches(RTCState *s)
{
    static const uint8_t regs[] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS };

    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++) {
        uint8_t alarm = s->cmos[regs[i] + 1];

        if ((alarm & ALARM_DONT_CARE) != ALARM_DONT_CARE &&
            alarm != s->cmos[regs[i]]) {
            return false;
        }
    }
    return true;
}

/* The next update ends at the next whole second of the running clock. */
static void rtc_arm_update(RTCState *s)
{
    int64_t now = qemu_clock_get_ns();

    if (rtc_running(s)) {
        timer_mod(s->update_timer,
                  now + NANOSECONDS_PER_SECOND - rtc_subsecond(s, now));
    } else {
        timer_del(s->update_timer);
    }
}

static void rtc_update_fire(void *opaque)
{
    RTCState *s = opaque;
    uint8_t flags = REG_C_UF;

    g_mutex_lock(&s->lock);
    /* the guest may have stopped or restarted the clock since it expired */
    if (!timer_pending(s->update_timer) && rtc_running(s)) {
        rtc_fill_time(s);
        if (rtc_alarm_matches(s)) {
            flags |= REG_C_AF;
        }
        rtc_set_flags(s, flags);
        rtc_arm_update(s);
    }
    g_mutex_unlock(&s->lock);
}

/* The clock started or stopped: freeze the registers or take them. */
static void rtc_run_state_changed(RTCState *s, bool was_running)
{
    bool running = rtc_running(s);

    if (running == was_running) {
        return;
    }
    if (running) {
        rtc_take_regs_time(s);
    } else {
        rtc_fill_time(s);
    }
    rtc_arm_update(s);
}

/*
 * The periodic rate in base-clock cycles: 2^(RS-1), where RS 1 and 2
 * repeat 8 and 9 (256 and 128 Hz) with the 32.768 kHz time base.  Like
 * QEMU, the timer only runs while PIE is set, so PF is only ever seen
 * with PIE (the data sheet sets PF whatever PIE says).
 */
static uint32_t rtc_period(RTCState *s)
{
    int rs = s->cmos[RTC_REG_A] & REG_A_RS;

    if (!(s->cmos[RTC_REG_B] & REG_B_PIE) || !rs) {
        return 0;
    }
    return 1u << ((rs <= 2 ? rs + 7 : rs) - 1);
}

static int64_t ns_to_cycles(int64_t ns)
{
    return ns / NANOSECONDS_PER_SECOND * RTC_BASE_HZ +
           ns % NANOSECONDS_PER_SECOND * RTC_BASE_HZ / NANOSECONDS_PER_SECOND;
}

/* The first ns at which ns_to_cycles() reaches cycles. */
static int64_t cycles_to_ns(int64_t cycles)
{
    return cycles / RTC_BASE_HZ * NANOSECONDS_PER_SECOND +
           (cycles % RTC_BASE_HZ * NANOSECONDS_PER_SECOND + RTC_BASE_HZ - 1) /
           RTC_BASE_HZ;
}

/* PIE or the rate changed. */
static void rtc_periodic_update(RTCState *s)
{
    uint32_t old = s->period;
    int64_t now = ns_to_cycles(qemu_clock_get_ns());

    s->period = rtc_period(s);
    if (s->period == old) {
        return;
    }
    if (!s->period) {
        timer_del(s->periodic_timer);
        return;
    }
    if (old) {
        /* a new rate counts from the last interrupt (QEMU) */
        s->next_periodic = MAX(s->next_periodic - old + s->period, now);
    } else {
        s->next_periodic = now + s->period;
    }
    timer_mod(s->periodic_timer, cycles_to_ns(s->next_periodic));
}

static void rtc_periodic_fire(void *opaque)
{
    RTCState *s = opaque;
    int64_t now = ns_to_cycles(qemu_clock_get_ns());

    g_mutex_lock(&s->lock);
    if (!timer_pending(s->periodic_timer) && s->period) {
        s->next_periodic += s->period;
        if (s->next_periodic <= now) {
            /* a whole period late (a busy host): drop the lost ones */
            s->next_periodic = now + s->period;
        }
        timer_mod(s->periodic_timer, cycles_to_ns(s->next_periodic));
        rtc_set_flags(s, REG_C_PF);
    }
    g_mutex_unlock(&s->lock);
}

/* ---- registers ---------------------------------------------------------- */

static bool is_time_reg(uint8_t idx)
{
    return idx == RTC_SECONDS || idx == RTC_MINUTES || idx == RTC_HOURS ||
           (idx >= RTC_DAY_OF_WEEK && idx <= RTC_YEAR) || idx == RTC_CENTURY;
}

static void rtc_write_reg_a(RTCState *s, uint8_t val)
{
    bool was_running = rtc_running(s);

    if (divider_in_reset(s->cmos[RTC_REG_A]) && !divider_in_reset(val)) {
        /* the chain restarts: the first update is half a second away */
        s->base_ns = NANOSECONDS_PER_SECOND / 2 - qemu_clock_get_ns();
    }
    s->cmos[RTC_REG_A] = val & ~REG_A_UIP;
    rtc_run_state_changed(s, was_running);
    rtc_periodic_update(s);
}

static void rtc_write_reg_b(RTCState *s, uint8_t val)
{
    bool was_running = rtc_running(s);

    if (val & REG_B_SET) {
        val &= ~REG_B_UIE;          /* SET clears UIE (data sheet) */
    }
    s->cmos[RTC_REG_B] = val;
    rtc_run_state_changed(s, was_running);
    /* enabling an interrupt whose flag is already up raises it now */
    rtc_update_irq(s);
    rtc_periodic_update(s);
}

/* A time register written while the clock runs sets it at once (QEMU). */
static void rtc_write_time_reg(RTCState *s, uint8_t val)
{
    if (!rtc_running(s)) {
        s->cmos[s->index] = val;
        return;
    }
    rtc_fill_time(s);
    s->cmos[s->index] = val;
    rtc_take_regs_time(s);
}

static uint64_t rtc_read(void *opaque, uint64_t addr, unsigned size)
{
    RTCState *s = opaque;
    uint8_t v;

    if (addr == 0) {
        return 0xff;   /* the index port is write-only */
    }
    g_mutex_lock(&s->lock);
    if (is_time_reg(s->index) && rtc_running(s)) {
        rtc_fill_time(s);
    }
    v = s->cmos[s->index];
    if (s->index == RTC_REG_A && rtc_update_in_progress(s)) {
        v |= REG_A_UIP;
    } else if (s->index == RTC_REG_C) {
        s->cmos[RTC_REG_C] = 0;     /* flags clear on read, IRQ goes down */
        rtc_update_irq(s);
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
    } else if (s->index == RTC_REG_A) {
        rtc_write_reg_a(s, val);
    } else if (s->index == RTC_REG_B) {
        rtc_write_reg_b(s, val);
    } else if (is_time_reg(s->index)) {
        rtc_write_time_reg(s, val);
    } else if (s->index != RTC_REG_C && s->index != RTC_REG_D) {
        s->cmos[s->index] = val;    /* alarm, NVRAM; C and D are read-only */
    }
    g_mutex_unlock(&s->lock);
}

static const IOBusOps rtc_ops = {
    .read = rtc_read,
    .write = rtc_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- set-up ----------------------------------------------------------- */

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
    bool was_running;

    g_mutex_lock(&s->lock);
    was_running = rtc_running(s);
    s->cmos[RTC_REG_B] = REG_B_24H;     /* BCD, 24 hours, like QEMU */
    s->cmos[RTC_REG_C] = 0;
    rtc_run_state_changed(s, was_running);
    rtc_periodic_update(s);
    rtc_update_irq(s);
    g_mutex_unlock(&s->lock);
}

/* ---- save/restore: the CMOS, the clock's base and both timers ------------ */

static void rtc_save(void *opaque, GByteArray *out)
{
    RTCState *s = opaque;

    g_mutex_lock(&s->lock);
    vms_put_u8(out, s->index);
    vms_put_bytes(out, s->cmos, sizeof(s->cmos));
    vms_put_u64(out, s->base_ns);
    vms_put_u8(out, s->irq_level);
    vms_put_u32(out, s->period);
    vms_put_u64(out, s->next_periodic);
    vms_put_u64(out, timer_expire_time_ns(s->update_timer));
    vms_put_u64(out, timer_expire_time_ns(s->periodic_timer));
    g_mutex_unlock(&s->lock);
}

static void rearm(QEMUTimer *t, int64_t expire)
{
    if (expire >= 0) {
        timer_mod(t, expire);
    } else {
        timer_del(t);
    }
}

static bool rtc_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    RTCState *s = opaque;
    uint8_t index = vms_get_u8(in);
    uint8_t cmos[sizeof(s->cmos)];
    int64_t base_ns, next_periodic, update_at, periodic_at;
    bool irq_level;
    uint32_t period;

    vms_get_bytes(in, cmos, sizeof(cmos));
    base_ns = vms_get_u64(in);
    irq_level = vms_get_bool(in);
    period = vms_get_u32(in);
    next_periodic = vms_get_u64(in);
    update_at = vms_get_u64(in);
    periodic_at = vms_get_u64(in);
    if (!vms_load_done(in, "rtc", errp)) {
        return false;
    }
    if (index >= sizeof(cmos)) {
        error_setg(errp, "CMOS index %u out of range", index);
        return false;
    }
    if (!apply) {
        return true;
    }
    g_mutex_lock(&s->lock);
    s->index = index;
    memcpy(s->cmos, cmos, sizeof(cmos));
    s->base_ns = base_ns;
    s->period = period;
    s->next_periodic = next_periodic;
    rearm(s->update_timer, update_at);
    rearm(s->periodic_timer, periodic_at);
    /* the new process's line is low: drive it as it was */
    s->irq_level = irq_level;
    qemu_set_irq(s->irq, irq_level);
    g_mutex_unlock(&s->lock);
    return true;
}

bool pc_cmos_init(MachineState *ms, GError **errp)
{
    RTCState *s = g_new0(RTCState, 1);

    g_mutex_init(&s->lock);
    s->base_ns = g_get_real_time() * 1000 +
                 ms->rtc_offset * NANOSECONDS_PER_SECOND - qemu_clock_get_ns();
    s->irq = ms->isa_irqs ? ms->isa_irqs[RTC_ISA_IRQ] : NULL;
    s->cmos[RTC_REG_A] = 0x26;          /* 32.768 kHz base, 1024 Hz rate */
    s->cmos[RTC_REG_B] = REG_B_24H;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    rtc_set_config(s, ms);
    if (!iobus_register(&ms->io, 0x70, 2, &rtc_ops, s, "rtc", errp)) {
        g_free(s);
        return false;
    }
    s->update_timer = timer_new_ns(rtc_update_fire, s);
    s->periodic_timer = timer_new_ns(rtc_periodic_fire, s);
    rtc_arm_update(s);
    /* NVRAM survives reset; only the control state goes back */
    qemu_register_reset(ms, rtc_reset, s);
    vmstate_register(ms, "rtc", 0, 1, rtc_save, rtc_load, s);
    return true;
}
