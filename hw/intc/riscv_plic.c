/*
 * RISC-V PLIC (include/hw/intc/riscv_plic.h), after the RISC-V
 * Platform-Level Interrupt Controller Specification 1.0.0.
 *
 * Each source goes through a level-triggered gateway: while the source
 * is not in service its pending bit follows the input line (as QEMU's
 * model: a request withdrawn before it is claimed is no longer pending);
 * a claim clears the pending bit and puts the source in service, so the
 * gateway forwards nothing more until the completion, after which a line
 * still high is pending again ("Interrupt Gateways").
 *
 * A context's output is raised while some source is pending, enabled for
 * it and has a priority strictly greater than its threshold ("Priority
 * Thresholds"); a claim returns the highest-priority such source, ties
 * going to the lowest ID ("Interrupt Priorities"), or 0.
 *
 * All registers are 32 bits wide; reserved ones and writes to read-only
 * ones are ignored and logged under -d guest_errors.
 */
#include "hw/intc/riscv_plic.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <inttypes.h>
#include <string.h>

#define BITS_PER_WORD 32

struct RISCVPLICState {
    GMutex lock;                /* vCPU MMIO and device lines */
    unsigned num_sources, num_words, num_contexts;
    uint32_t priority_mask;
    uint32_t *priority;         /* [num_sources] */
    uint32_t *level;            /* [num_words]: input lines */
    uint32_t *pending;          /* [num_words] */
    uint32_t *in_service;       /* [num_words]: claimed, not completed */
    uint32_t *enable;           /* [num_contexts * num_words] */
    uint32_t *threshold;        /* [num_contexts] */
    int8_t *out_level;          /* [num_contexts], -1: not yet driven */
    qemu_irq *outputs;          /* [num_contexts] */
    qemu_irq *inputs;           /* [num_sources] */
};

static bool bit_get(const uint32_t *words, unsigned n)
{
    return (words[n / BITS_PER_WORD] >> (n % BITS_PER_WORD)) & 1;
}

static void bit_set(uint32_t *words, unsigned n, bool v)
{
    uint32_t m = 1u << (n % BITS_PER_WORD);

    words[n / BITS_PER_WORD] = v ? words[n / BITS_PER_WORD] | m
                                 : words[n / BITS_PER_WORD] & ~m;
}

/* The source a claim by ctx would return, 0 if none.  Lock held. */
static unsigned best_source(RISCVPLICState *s, unsigned ctx)
{
    const uint32_t *en = &s->enable[ctx * s->num_words];
    unsigned best = 0;
    uint32_t best_prio = s->threshold[ctx];

    for (unsigned w = 0; w < s->num_words; w++) {
        uint32_t cand = s->pending[w] & en[w];

        while (cand) {
            unsigned n = w * BITS_PER_WORD + __builtin_ctz(cand);

            cand &= cand - 1;
            /* strictly greater: ties keep the lower ID found first */
            if (s->priority[n] > best_prio) {
                best = n;
                best_prio = s->priority[n];
            }
        }
    }
    return best;
}

/* Drive every context output that changed.  Lock held. */
static void update_outputs(RISCVPLICState *s)
{
    for (unsigned ctx = 0; ctx < s->num_contexts; ctx++) {
        int level = best_source(s, ctx) != 0;

        if (s->out_level[ctx] != level) {
            s->out_level[ctx] = level;
            qemu_set_irq(s->outputs[ctx], level);
        }
    }
}

static void plic_set_input(void *opaque, int n, int level)
{
    RISCVPLICState *s = opaque;

    g_mutex_lock(&s->lock);
    bit_set(s->level, n, level);
    if (!bit_get(s->in_service, n)) {
        bit_set(s->pending, n, level);
    }
    update_outputs(s);
    g_mutex_unlock(&s->lock);
}

qemu_irq riscv_plic_input(RISCVPLICState *s, unsigned n)
{
    g_assert(n > 0 && n < s->num_sources);
    return s->inputs[n];
}

static uint32_t plic_claim(RISCVPLICState *s, unsigned ctx)
{
    unsigned n = best_source(s, ctx);

    if (n) {
        bit_set(s->pending, n, false);
        bit_set(s->in_service, n, true);
        update_outputs(s);
    }
    return n;
}

static void plic_complete(RISCVPLICState *s, unsigned ctx, uint32_t n)
{
    /* "If the completion ID does not match an interrupt source that is
     * currently enabled for the target, the completion is silently
     * ignored." */
    if (n == 0 || n >= s->num_sources ||
        !bit_get(&s->enable[ctx * s->num_words], n)) {
        qemu_log_mask(LOG_GUEST_ERROR, "riscv_plic: context %u completes "
                      "source %u, which is not enabled for it\n", ctx, n);
        return;
    }
    if (bit_get(s->in_service, n)) {
        bit_set(s->in_service, n, false);
        bit_set(s->pending, n, bit_get(s->level, n));
        update_outputs(s);
    }
}

static void log_bad(const char *what, uint64_t offset)
{
    qemu_log_mask(LOG_GUEST_ERROR, "riscv_plic: %s at offset 0x%" PRIx64
                  " ignored\n", what, offset);
}

static uint64_t plic_read(void *opaque, uint64_t offset, unsigned size)
{
    RISCVPLICState *s = opaque;
    uint64_t val = 0;

    g_mutex_lock(&s->lock);
    if (offset < PLIC_PENDING_BASE) {
        unsigned n = offset / 4;
        if (n < s->num_sources) {
            val = s->priority[n];
        } else {
            log_bad("read of reserved priority", offset);
        }
    } else if (offset < PLIC_ENABLE_BASE) {
        unsigned w = (offset - PLIC_PENDING_BASE) / 4;
        if (w < s->num_words) {
            val = s->pending[w];
        } else {
            log_bad("read of reserved pending word", offset);
        }
    } else if (offset < PLIC_CONTEXT_BASE) {
        unsigned ctx = (offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE;
        unsigned w = (offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE / 4;
        if (ctx < s->num_contexts && w < s->num_words) {
            val = s->enable[ctx * s->num_words + w];
        } else {
            log_bad("read of reserved enable word", offset);
        }
    } else {
        unsigned ctx = (offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
        unsigned reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
        if (ctx >= s->num_contexts) {
            log_bad("read of a missing context", offset);
        } else if (reg == PLIC_CONTEXT_THRESHOLD) {
            val = s->threshold[ctx];
        } else if (reg == PLIC_CONTEXT_CLAIM) {
            val = plic_claim(s, ctx);
        } else {
            log_bad("read of reserved context register", offset);
        }
    }
    g_mutex_unlock(&s->lock);
    return val;
}

static void plic_write(void *opaque, uint64_t offset, uint64_t val,
                       unsigned size)
{
    RISCVPLICState *s = opaque;

    g_mutex_lock(&s->lock);
    if (offset < PLIC_PENDING_BASE) {
        unsigned n = offset / 4;
        if (n == 0 || n >= s->num_sources) {
            log_bad("write to reserved priority", offset);
        } else {
            s->priority[n] = val & s->priority_mask;     /* WARL */
            update_outputs(s);
        }
    } else if (offset < PLIC_ENABLE_BASE) {
        log_bad("write to read-only pending word", offset);
    } else if (offset < PLIC_CONTEXT_BASE) {
        unsigned ctx = (offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE;
        unsigned w = (offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE / 4;
        if (ctx < s->num_contexts && w < s->num_words) {
            uint32_t v = val;
            if (w == 0) {
                v &= ~1u;                       /* source 0 does not exist */
            }
            if (w == s->num_words - 1 && s->num_sources % BITS_PER_WORD) {
                v &= (1u << (s->num_sources % BITS_PER_WORD)) - 1;
            }
            s->enable[ctx * s->num_words + w] = v;
            update_outputs(s);
        } else {
            log_bad("write to reserved enable word", offset);
        }
    } else {
        unsigned ctx = (offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
        unsigned reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
        if (ctx >= s->num_contexts) {
            log_bad("write to a missing context", offset);
        } else if (reg == PLIC_CONTEXT_THRESHOLD) {
            s->threshold[ctx] = val & s->priority_mask;  /* WARL */
            update_outputs(s);
        } else if (reg == PLIC_CONTEXT_CLAIM) {
            plic_complete(s, ctx, val);
        } else {
            log_bad("write to reserved context register", offset);
        }
    }
    g_mutex_unlock(&s->lock);
}

/* The spec defines 32-bit registers only. */
static const IOBusOps plic_ops = {
    .read = plic_read,
    .write = plic_write,
    .min_access = 4,
    .max_access = 4,
};

void riscv_plic_reset(void *opaque)
{
    RISCVPLICState *s = opaque;

    g_mutex_lock(&s->lock);
    memset(s->priority, 0, s->num_sources * sizeof(*s->priority));
    memset(s->pending, 0, s->num_words * sizeof(*s->pending));
    memset(s->in_service, 0, s->num_words * sizeof(*s->in_service));
    memset(s->enable, 0,
           (size_t)s->num_contexts * s->num_words * sizeof(*s->enable));
    memset(s->threshold, 0, s->num_contexts * sizeof(*s->threshold));
    /* lines still high are requests again */
    memcpy(s->pending, s->level, s->num_words * sizeof(*s->pending));
    update_outputs(s);
    g_mutex_unlock(&s->lock);
}

RISCVPLICState *riscv_plic_new(IOBus *bus, uint64_t base, uint64_t size,
                               unsigned num_sources, unsigned max_priority,
                               unsigned num_contexts, qemu_irq *outputs,
                               GError **errp)
{
    RISCVPLICState *s;

    if (num_sources < 2 || num_sources > PLIC_MAX_SOURCES ||
        num_contexts < 1 || num_contexts > PLIC_MAX_CONTEXTS ||
        (max_priority & (max_priority + 1)) != 0 || max_priority == 0 ||
        size < riscv_plic_mmio_size(num_contexts)) {
        error_setg(errp, "riscv_plic: unsupported configuration (%u sources,"
                   " max priority %u, %u contexts)", num_sources,
                   max_priority, num_contexts);
        return NULL;
    }
    s = g_new0(RISCVPLICState, 1);
    g_mutex_init(&s->lock);
    s->num_sources = num_sources;
    s->num_words = (num_sources + BITS_PER_WORD - 1) / BITS_PER_WORD;
    s->num_contexts = num_contexts;
    s->priority_mask = max_priority;
    s->priority = g_new0(uint32_t, num_sources);
    s->level = g_new0(uint32_t, s->num_words);
    s->pending = g_new0(uint32_t, s->num_words);
    s->in_service = g_new0(uint32_t, s->num_words);
    s->enable = g_new0(uint32_t, (size_t)num_contexts * s->num_words);
    s->threshold = g_new0(uint32_t, num_contexts);
    s->out_level = g_new(int8_t, num_contexts);
    memset(s->out_level, -1, num_contexts);
    s->outputs = g_new(qemu_irq, num_contexts);
    memcpy(s->outputs, outputs, num_contexts * sizeof(*outputs));
    s->inputs = g_new0(qemu_irq, num_sources);
    for (unsigned n = 1; n < num_sources; n++) {
        s->inputs[n] = qemu_allocate_irq(plic_set_input, s, n);
    }
    if (!iobus_register(bus, base, size,
                        &plic_ops, s, "riscv.plic", errp)) {
        riscv_plic_free(s);
        return NULL;
    }
    riscv_plic_reset(s);
    return s;
}

void riscv_plic_free(RISCVPLICState *s)
{
    for (unsigned n = 1; n < s->num_sources; n++) {
        qemu_free_irq(s->inputs[n]);
    }
    g_free(s->inputs);
    g_free(s->outputs);
    g_free(s->out_level);
    g_free(s->threshold);
    g_free(s->enable);
    g_free(s->in_service);
    g_free(s->pending);
    g_free(s->level);
    g_free(s->priority);
    g_mutex_clear(&s->lock);
    g_free(s);
}
