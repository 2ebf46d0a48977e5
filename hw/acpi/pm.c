/*
 * ACPI PM1a event/control blocks and PM timer (ACPI 6.4, section 4.8.3
 * "Fixed Hardware Programming Model": PM1 status/enable bits in tables
 * 4.15/4.16, PM1 control bits in table 4.17, PM timer in 4.8.3.3).
 * Layout: base+0 PM1_STS (16), base+2 PM1_EN (16), base+4 PM1_CNT (16),
 * base+8 PM_TMR (32).  There is no SMM: SCI_EN always reads 1.
 *
 * The PM timer is a function of the virtual clock; a timer on that
 * clock sets TMR_STS each time bit 23 of the counter changes (4.8.3.3),
 * every 2^23 ticks (2.34 s), whether or not TMR_EN lets it raise the SCI.
 */
#include "hw/acpi/pm.h"
#include "hw/i386/acpi-build.h"
#include "migration/vmstate.h"
#include "qemu/log.h"
#include "qemu/timer.h"

#define PM1_STS_TMR     0x0001
#define PM1_STS_PWRBTN  0x0100
#define PM1_STS_WAK     0x8000
#define PM1_CNT_SCI_EN  0x0001
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK  (7 << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN  0x2000
/* the PM timer counts at 3.579545 MHz and is 24 bits wide (table 5.34, TMR_VAL_EXT=0) */
#define PM_TIMER_FREQ   3579545ULL
#define PM_TIMER_MASK   0xffffff
#define PM_TIMER_BIT23  0x800000ULL
#define NS_PER_S        NANOSECONDS_PER_SECOND

struct ACPIPMState {
    GMutex lock;
    MachineState *ms;
    qemu_irq sci;
    uint16_t sts, en, cnt;
    QEMUTimer *tmr_timer;       /* the next change of bit 23 */
};

static void pm_update_sci(ACPIPMState *s)
{
    qemu_set_irq(s->sci, (s->sts & s->en & (PM1_STS_PWRBTN | PM1_STS_TMR)) != 0);
}

/* ticks = ns * freq / 1e9, split to stay inside 64 bits for years */
static uint64_t ns_to_ticks(uint64_t ns)
{
    return (ns / NS_PER_S) * PM_TIMER_FREQ +
           (ns % NS_PER_S) * PM_TIMER_FREQ / NS_PER_S;
}

/* The first ns at which the counter reads ticks (ns_to_ticks() inverted). */
static uint64_t ticks_to_ns(uint64_t ticks)
{
    return (ticks / PM_TIMER_FREQ) * NS_PER_S +
           ((ticks % PM_TIMER_FREQ) * NS_PER_S + PM_TIMER_FREQ - 1) /
           PM_TIMER_FREQ;
}

static uint32_t pm_timer(void)
{
    return (uint32_t)ns_to_ticks(qemu_clock_get_ns()) & PM_TIMER_MASK;
}

static void pm_tmr_arm(ACPIPMState *s)
{
    uint64_t now = ns_to_ticks(qemu_clock_get_ns());
    uint64_t next = (now | (PM_TIMER_BIT23 - 1)) + 1;   /* next multiple */

    timer_mod(s->tmr_timer, ticks_to_ns(next));
}

static void pm_tmr_fire(void *opaque)
{
    ACPIPMState *s = opaque;

    g_mutex_lock(&s->lock);
    s->sts |= PM1_STS_TMR;
    pm_update_sci(s);
    pm_tmr_arm(s);
    g_mutex_unlock(&s->lock);
}

static uint64_t pm_read(void *opaque, uint64_t addr, unsigned size)
{
    ACPIPMState *s = opaque;
    uint64_t v;

    g_mutex_lock(&s->lock);
    switch (addr) {
    case 0: v = s->sts; break;
    case 2: v = s->en; break;
    case 4: v = s->cnt | PM1_CNT_SCI_EN; break;
    case 8: v = pm_timer(); break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "acpi-pm: read at +%u size %u\n",
                      (unsigned)addr, size);
        v = ~0ULL;
    }
    g_mutex_unlock(&s->lock);
    return v;
}

static void pm_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    ACPIPMState *s = opaque;
    bool poweroff = false;

    g_mutex_lock(&s->lock);
    switch (addr) {
    case 0:
        s->sts &= ~val;             /* write 1 to clear */
        break;
    case 2:
        s->en = val;
        break;
    case 4:
        s->cnt = val & ~PM1_CNT_SLP_EN;
        if (val & PM1_CNT_SLP_EN) {
            unsigned typ = (val & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT;
            if (typ == PC_ACPI_SLP_TYP_S5) {
                poweroff = true;
            } else {
                qemu_log_mask(LOG_UNIMP, "acpi-pm: sleep type %u ignored\n", typ);
            }
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "acpi-pm: write at +%u size %u\n",
                      (unsigned)addr, size);
    }
    pm_update_sci(s);
    g_mutex_unlock(&s->lock);
    if (poweroff) {
        qemu_system_shutdown_request(s->ms, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    }
}

static const IOBusOps pm_ops = {
    .read = pm_read,
    .write = pm_write,
    .min_access = 1,
    .max_access = 4,
};

static void pm_reset(void *opaque)
{
    ACPIPMState *s = opaque;

    g_mutex_lock(&s->lock);
    s->sts = s->en = s->cnt = 0;
    pm_update_sci(s);
    g_mutex_unlock(&s->lock);
}

void acpi_pm_powerdown_request(ACPIPMState *s)
{
    g_mutex_lock(&s->lock);
    s->sts |= PM1_STS_PWRBTN;
    pm_update_sci(s);
    g_mutex_unlock(&s->lock);
}

/* ---- save/restore: the registers and the timer's next edge --------------- */

static void pm_save(void *opaque, GByteArray *out)
{
    ACPIPMState *s = opaque;

    g_mutex_lock(&s->lock);
    vms_put_u16(out, s->sts);
    vms_put_u16(out, s->en);
    vms_put_u16(out, s->cnt);
    vms_put_u64(out, timer_expire_time_ns(s->tmr_timer));
    g_mutex_unlock(&s->lock);
}

static bool pm_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    ACPIPMState *s = opaque;
    uint16_t sts = vms_get_u16(in), en = vms_get_u16(in);
    uint16_t cnt = vms_get_u16(in);
    int64_t expire = vms_get_u64(in);

    if (!vms_load_done(in, "acpi-pm", errp)) {
        return false;
    }
    if (!apply) {
        return true;
    }
    g_mutex_lock(&s->lock);
    s->sts = sts;
    s->en = en;
    s->cnt = cnt;
    if (expire >= 0) {
        timer_mod(s->tmr_timer, expire);
    } else {
        pm_tmr_arm(s);
    }
    pm_update_sci(s);
    g_mutex_unlock(&s->lock);
    return true;
}

ACPIPMState *acpi_pm_new(MachineState *ms, uint16_t base, qemu_irq sci,
                         GError **errp)
{
    ACPIPMState *s = g_new0(ACPIPMState, 1);

    g_mutex_init(&s->lock);
    s->ms = ms;
    s->sci = sci;
    if (!iobus_register(&ms->io, base, 12, &pm_ops, s, "acpi-pm", errp)) {
        g_free(s);
        return NULL;
    }
    s->tmr_timer = timer_new_ns(pm_tmr_fire, s);
    pm_tmr_arm(s);
    /* the counter and its timer run on through a reset */
    qemu_register_reset(ms, pm_reset, s);
    vmstate_register(ms, "acpi-pm", 0, 1, pm_save, pm_load, s);
    return s;
}
