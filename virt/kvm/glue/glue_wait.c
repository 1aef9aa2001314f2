// SPDX-License-Identifier: GPL-2.0
/* Glue: wait queues (a halted vCPU), the monotonic clock and hrtimers. */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

#include <glue/glue.h>

static_assert(sizeof(wait_queue_head_t) <= sizeof(struct kvmg_waitq));
static_assert(__alignof__(wait_queue_head_t) <= __alignof__(struct kvmg_waitq));

void kvmg_waitq_init(struct kvmg_waitq *q)
{
	init_waitqueue_head((wait_queue_head_t *)q);
}
EXPORT_SYMBOL_GPL(kvmg_waitq_init);

void kvmg_waitq_wake(struct kvmg_waitq *q)
{
	wake_up_interruptible((wait_queue_head_t *)q);
}
EXPORT_SYMBOL_GPL(kvmg_waitq_wake);

int kvmg_waitq_wait(struct kvmg_waitq *q, bool (*done)(void *arg), void *arg)
{
	return wait_event_interruptible(*(wait_queue_head_t *)q, done(arg)) ? -EINTR : 0;
}
EXPORT_SYMBOL_GPL(kvmg_waitq_wait);

uint64_t kvmg_monotonic_ns(void)
{
	return ktime_get_ns();
}
EXPORT_SYMBOL_GPL(kvmg_monotonic_ns);

struct kvmg_timer {
	struct hrtimer timer;
	void (*fn)(void *arg);
	void *arg;
};

static enum hrtimer_restart kvmg_timer_fire(struct hrtimer *t)
{
	struct kvmg_timer *kt = container_of(t, struct kvmg_timer, timer);

	kt->fn(kt->arg);
	return HRTIMER_NORESTART;
}

void *kvmg_timer_create(void (*fn)(void *arg), void *arg)
{
	struct kvmg_timer *kt = kvmg_alloc(sizeof(*kt), KVMG_ALLOC_ZERO);

	if (!kt)
		return NULL;
	hrtimer_init(&kt->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	kt->timer.function = kvmg_timer_fire;
	kt->fn = fn;
	kt->arg = arg;
	return kt;
}
EXPORT_SYMBOL_GPL(kvmg_timer_create);

void kvmg_timer_start(void *timer, uint64_t expires_ns)
{
	struct kvmg_timer *kt = timer;

	hrtimer_start(&kt->timer, ns_to_ktime(expires_ns), HRTIMER_MODE_ABS_HARD);
}
EXPORT_SYMBOL_GPL(kvmg_timer_start);

void kvmg_timer_cancel(void *timer)
{
	struct kvmg_timer *kt = timer;

	hrtimer_cancel(&kt->timer);
}
EXPORT_SYMBOL_GPL(kvmg_timer_cancel);

void kvmg_timer_destroy(void *timer)
{
	if (!timer)
		return;
	kvmg_timer_cancel(timer);
	kvmg_free(timer);
}
EXPORT_SYMBOL_GPL(kvmg_timer_destroy);
