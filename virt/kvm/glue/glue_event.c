// SPDX-License-Identifier: GPL-2.0
/* Glue: IRQ-safe spinlocks, deferred work, eventfds (include/glue/event.h). */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <glue/event.h>

unsigned long kvmg_spin_lock_irqsave(struct kvmg_spinlock *l)
{
	unsigned long flags;

	spin_lock_irqsave((spinlock_t *)l, flags);
	return flags;
}
EXPORT_SYMBOL_GPL(kvmg_spin_lock_irqsave);

void kvmg_spin_unlock_irqrestore(struct kvmg_spinlock *l, unsigned long flags)
{
	spin_unlock_irqrestore((spinlock_t *)l, flags);
}
EXPORT_SYMBOL_GPL(kvmg_spin_unlock_irqrestore);

struct kvmg_work {
	struct work_struct work;
	void (*fn)(void *arg);
	void *arg;
};

static void kvmg_work_run(struct work_struct *work)
{
	struct kvmg_work *w = container_of(work, struct kvmg_work, work);

	w->fn(w->arg);
}

void *kvmg_work_create(void (*fn)(void *arg), void *arg)
{
	struct kvmg_work *w = kvmg_alloc(sizeof(*w), KVMG_ALLOC_ZERO);

	if (!w)
		return NULL;
	INIT_WORK(&w->work, kvmg_work_run);
	w->fn = fn;
	w->arg = arg;
	return w;
}
EXPORT_SYMBOL_GPL(kvmg_work_create);

bool kvmg_in_interrupt(void)
{
	return in_interrupt();
}
EXPORT_SYMBOL_GPL(kvmg_in_interrupt);

void kvmg_work_queue(void *work)
{
	schedule_work(&((struct kvmg_work *)work)->work);
}
EXPORT_SYMBOL_GPL(kvmg_work_queue);

void kvmg_work_flush(void *work)
{
	flush_work(&((struct kvmg_work *)work)->work);
}
EXPORT_SYMBOL_GPL(kvmg_work_flush);

void kvmg_work_destroy(void *work)
{
	struct kvmg_work *w = work;

	if (!w)
		return;
	cancel_work_sync(&w->work);
	kvmg_free(w);
}
EXPORT_SYMBOL_GPL(kvmg_work_destroy);

int kvmg_eventfd_get(int fd, void **ctx)
{
	struct eventfd_ctx *c = eventfd_ctx_fdget(fd);

	if (IS_ERR(c))
		return PTR_ERR(c);
	*ctx = c;
	return 0;
}
EXPORT_SYMBOL_GPL(kvmg_eventfd_get);

void kvmg_eventfd_put(void *ctx)
{
	eventfd_ctx_put(ctx);
}
EXPORT_SYMBOL_GPL(kvmg_eventfd_put);

void kvmg_eventfd_signal(void *ctx)
{
#ifdef KVMPP_EVENTFD_SIGNAL_N
	eventfd_signal(ctx, 1);
#else
	eventfd_signal(ctx);
#endif
}
EXPORT_SYMBOL_GPL(kvmg_eventfd_signal);

struct kvmg_eventfd_watch {
	wait_queue_entry_t wait;
	poll_table pt;
	wait_queue_head_t *wqh; /* set once hooked */
	struct eventfd_ctx *ctx;
	void (*on_signal)(void *arg);
	void (*on_hangup)(void *arg);
	void *arg;
};

/* The eventfd's wake-up: its wait-queue lock held, interrupts off. */
static int kvmg_watch_wake(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct kvmg_eventfd_watch *w = container_of(wait, struct kvmg_eventfd_watch, wait);
	__poll_t flags = key_to_poll(key);

	if (flags & EPOLLIN) {
		u64 count;

		eventfd_ctx_do_read(w->ctx, &count);
		w->on_signal(w->arg);
	}
	if (flags & EPOLLHUP)
		w->on_hangup(w->arg);
	return 0;
}

static void kvmg_watch_queue(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct kvmg_eventfd_watch *w = container_of(pt, struct kvmg_eventfd_watch, pt);

	w->wqh = wqh;
	add_wait_queue(wqh, &w->wait);
}

void *kvmg_eventfd_watch_create(void *ctx, void (*on_signal)(void *arg),
				void (*on_hangup)(void *arg), void *arg)
{
	struct kvmg_eventfd_watch *w = kvmg_alloc(sizeof(*w), KVMG_ALLOC_ZERO);

	if (!w)
		return NULL;
	init_waitqueue_func_entry(&w->wait, kvmg_watch_wake);
	init_poll_funcptr(&w->pt, kvmg_watch_queue);
	w->ctx = ctx;
	w->on_signal = on_signal;
	w->on_hangup = on_hangup;
	w->arg = arg;
	return w;
}
EXPORT_SYMBOL_GPL(kvmg_eventfd_watch_create);

int kvmg_eventfd_watch_start(void *watch, int fd, bool *signalled)
{
	struct kvmg_eventfd_watch *w = watch;
	struct file *file = fget(fd);
	struct eventfd_ctx *ctx;
	int r = 0;

	if (!file)
		return -EBADF;
	/* The same eventfd the context came from, still open as @fd. */
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		r = -EINVAL;
	} else {
		if (ctx != w->ctx)
			r = -EINVAL;
		eventfd_ctx_put(ctx);
	}
	if (!r) {
		*signalled = vfs_poll(file, &w->pt) & EPOLLIN;
		if (!w->wqh)
			r = -EINVAL;
	}
	fput(file);
	return r;
}
EXPORT_SYMBOL_GPL(kvmg_eventfd_watch_start);

void kvmg_eventfd_unwatch(void *watch)
{
	struct kvmg_eventfd_watch *w = watch;
	u64 count;

	if (!w)
		return;
	if (w->wqh)
		eventfd_ctx_remove_wait_queue(w->ctx, &w->wait, &count);
	kvmg_free(w);
}
EXPORT_SYMBOL_GPL(kvmg_eventfd_unwatch);
