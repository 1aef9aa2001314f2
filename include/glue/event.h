/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Glue for interrupt-context callers and eventfd-based features (irqfd,
 * ioeventfd): IRQ-safe spinlocks, deferred work, and eventfds. Part of the
 * glue API (glue.h); documented in Documentation/glue.rst.
 */
#ifndef KVMPP_GLUE_EVENT_H
#define KVMPP_GLUE_EVENT_H

#include "glue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- IRQ-safe spinlocks ---------------------------------------------- */
/* A kvmg_spinlock that hard-interrupt context also takes: these disable
 * local interrupts while it is held. */
unsigned long kvmg_spin_lock_irqsave(struct kvmg_spinlock *l);
void kvmg_spin_unlock_irqrestore(struct kvmg_spinlock *l, unsigned long flags);
/* Whether the caller interrupted other code on this CPU: hard or soft
 * interrupt or NMI context, or bottom halves off (in_interrupt()). */
bool kvmg_in_interrupt(void);

/* ---- deferred work ----------------------------------------------------- */
/*
 * @fn(@arg) in process context on the system workqueue. create (sleeps)
 * returns a handle or NULL; queue (any context, hard interrupts included)
 * runs it once soon (a no-op while it is queued and not yet running);
 * flush waits until it is idle; destroy cancels it, waits for a running
 * @fn and frees it (never from @fn itself; NULL is a no-op).
 */
void *kvmg_work_create(void (*fn)(void *arg), void *arg);
void kvmg_work_queue(void *work);
void kvmg_work_flush(void *work);
void kvmg_work_destroy(void *work);

/* ---- eventfds ---------------------------------------------------------- */
/*
 * The eventfd context behind @fd, referenced until kvmg_eventfd_put:
 * 0, -EBADF (no such open fd) or -EINVAL (not an eventfd). The context
 * outlives the fd: user space may close it at any time.
 */
int kvmg_eventfd_get(int fd, void **ctx);
void kvmg_eventfd_put(void *ctx);
/* Add 1 to the counter and wake its waiters (any context). */
void kvmg_eventfd_signal(void *ctx);

/*
 * A watch on an eventfd's wait queue (irqfd): @on_signal(@arg) runs when the
 * eventfd is signalled, after its counter was consumed, and @on_hangup(@arg)
 * when the eventfd's last file reference is released. Both run in the
 * waker's context: the eventfd's wait-queue lock held, interrupts off, any
 * CPU, possibly hard-interrupt context; they must not sleep, and must not
 * call kvmg_eventfd_unwatch.
 *
 * create (sleeps) allocates the watch for @ctx (a context from
 * kvmg_eventfd_get, which the caller keeps referenced), or NULL. start hooks
 * it onto the wait queue of the eventfd open as @fd: 0, -EBADF or -EINVAL;
 * *@signalled says whether the counter was already non-zero. Callbacks may
 * run before start returns. unwatch (sleeps) unhooks a started watch,
 * waiting for a running callback to finish, and frees it (started or not);
 * afterwards no callback runs. A hangup does not unhook: the owner still
 * calls unwatch, from process context (e.g. from kvmg_work).
 */
void *kvmg_eventfd_watch_create(void *ctx, void (*on_signal)(void *arg),
				void (*on_hangup)(void *arg), void *arg);
int kvmg_eventfd_watch_start(void *watch, int fd, bool *signalled);
void kvmg_eventfd_unwatch(void *watch);

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_GLUE_EVENT_H */
