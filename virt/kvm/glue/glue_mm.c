// SPDX-License-Identifier: GPL-2.0
/* Glue: spinlocks, scheduling and interrupts, the VMM's pages, MMU notifiers. */
#include <linux/context_tracking.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/version.h>
#include <linux/vtime.h>

#include <glue/core.h>
#include <glue/glue.h>

static_assert(sizeof(spinlock_t) <= sizeof(struct kvmg_spinlock));

void kvmg_spin_init(struct kvmg_spinlock *l, struct kvmg_lock_class *c)
{
	spin_lock_init((spinlock_t *)l);
	lockdep_set_class_and_name((spinlock_t *)l, (struct lock_class_key *)c->key, c->name);
}
EXPORT_SYMBOL_GPL(kvmg_spin_init);

void kvmg_spin_lock(struct kvmg_spinlock *l)
{
	spin_lock((spinlock_t *)l);
}
EXPORT_SYMBOL_GPL(kvmg_spin_lock);

void kvmg_spin_unlock(struct kvmg_spinlock *l)
{
	spin_unlock((spinlock_t *)l);
}
EXPORT_SYMBOL_GPL(kvmg_spin_unlock);

bool kvmg_signal_pending(void)
{
	return signal_pending(current);
}
EXPORT_SYMBOL_GPL(kvmg_signal_pending);

unsigned int kvmg_sigset_size(void)
{
	return sizeof(sigset_t);
}
EXPORT_SYMBOL_GPL(kvmg_sigset_size);

void kvmg_sigmask_enter(const void *set)
{
	sigset_t s;

	memcpy(&s, set, sizeof(s));
	sigdelsetmask(&s, sigmask(SIGKILL) | sigmask(SIGSTOP));
	/* Only current changes real_blocked, and it stays a subset of blocked. */
	sigprocmask(SIG_SETMASK, &s, &current->real_blocked);
}
EXPORT_SYMBOL_GPL(kvmg_sigmask_enter);

void kvmg_sigmask_leave(void)
{
	sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
	sigemptyset(&current->real_blocked);
}
EXPORT_SYMBOL_GPL(kvmg_sigmask_leave);

bool kvmg_entry_must_wait(void)
{
	return signal_pending(current) || need_resched();
}
EXPORT_SYMBOL_GPL(kvmg_entry_must_wait);

/*
 * Halt polling's parameters, with upstream's names, meanings and x86
 * defaults (Documentation/virt/kvm/halt-polling.rst). Writable: a change
 * applies from each vCPU's next halt.
 */
static unsigned int halt_poll_ns = 200000;
module_param(halt_poll_ns, uint, 0644);
static unsigned int halt_poll_ns_grow = 2;
module_param(halt_poll_ns_grow, uint, 0644);
static unsigned int halt_poll_ns_grow_start = 10000;
module_param(halt_poll_ns_grow_start, uint, 0644);
static unsigned int halt_poll_ns_shrink = 2;
module_param(halt_poll_ns_shrink, uint, 0644);

void kvmg_halt_poll_params_get(struct kvmg_halt_poll_params *p)
{
	p->max_ns = READ_ONCE(halt_poll_ns);
	p->grow = READ_ONCE(halt_poll_ns_grow);
	p->grow_start = READ_ONCE(halt_poll_ns_grow_start);
	p->shrink = READ_ONCE(halt_poll_ns_shrink);
}
EXPORT_SYMBOL_GPL(kvmg_halt_poll_params_get);

bool kvmg_poll_must_stop(void)
{
	/* Polling only borrows a CPU nothing else wants. */
	return signal_pending(current) || need_resched() || !single_task_running();
}
EXPORT_SYMBOL_GPL(kvmg_poll_must_stop);

void kvmg_cpu_relax(void)
{
	cpu_relax();
}
EXPORT_SYMBOL_GPL(kvmg_cpu_relax);

void kvmg_cond_resched(void)
{
	cond_resched();
}
EXPORT_SYMBOL_GPL(kvmg_cond_resched);

void kvmg_guest_enter_irqoff(void)
{
	vtime_account_guest_enter();
	/* Guest mode is a quiescent state for RCU, as user mode is: a vCPU
	 * that stays in KVM_RUN must not hold up grace periods until RCU
	 * forces it off the CPU. */
	if (!context_tracking_guest_enter())
		rcu_note_context_switch(false);
}
EXPORT_SYMBOL_GPL(kvmg_guest_enter_irqoff);

void kvmg_guest_exit_irqoff(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	/* 6.12 counts the exit as a quiescent state too (its helper says
	 * whether context tracking did); 6.1 only leaves context tracking. */
	if (!context_tracking_guest_exit())
		rcu_note_context_switch(false);
#else
	context_tracking_guest_exit();
#endif
}
EXPORT_SYMBOL_GPL(kvmg_guest_exit_irqoff);

void kvmg_guest_timing_exit_irqoff(void)
{
	vtime_account_guest_exit();
}
EXPORT_SYMBOL_GPL(kvmg_guest_timing_exit_irqoff);

static void kvmg_kick_noop(void *unused)
{
}

void kvmg_kick_cpu_wait(unsigned int cpu)
{
	smp_call_function_single(cpu, kvmg_kick_noop, NULL, 1);
}
EXPORT_SYMBOL_GPL(kvmg_kick_cpu_wait);

int kvmg_get_user_page(uint64_t hva, bool write, uint64_t *pa, void **page)
{
	struct page *p;

	if (get_user_pages_unlocked(hva, 1, &p, write ? FOLL_WRITE : 0) != 1)
		return -EFAULT;
	*pa = page_to_phys(p);
	*page = p;
	return 0;
}
EXPORT_SYMBOL_GPL(kvmg_get_user_page);

int kvmg_get_user_page_fast(uint64_t hva, bool write, uint64_t *pa, void **page)
{
	struct page *p;

	if (!get_user_page_fast_only(hva, write ? FOLL_WRITE : 0, &p))
		return -EFAULT;
	*pa = page_to_phys(p);
	*page = p;
	return 0;
}
EXPORT_SYMBOL_GPL(kvmg_get_user_page_fast);

int kvmg_user_huge_mapping(uint64_t hva)
{
	struct mm_struct *mm = current->mm;
	unsigned long flags;
	pgd_t *pgd;
	p4d_t *p4d, p4dv;
	pud_t *pud, pudv;
	pmd_t pmdv;
	int r = 0;

	/* Interrupts off keep the page tables from being freed under us. */
	local_irq_save(flags);
	pgd = pgd_offset(mm, hva);
	if (pgd_none(READ_ONCE(*pgd)))
		goto out;
	p4d = p4d_offset(pgd, hva);
	p4dv = READ_ONCE(*p4d);
	if (p4d_none(p4dv) || !p4d_present(p4dv))
		goto out;
	pud = pud_offset(&p4dv, hva);
	pudv = READ_ONCE(*pud);
	if (pud_none(pudv) || !pud_present(pudv) || pud_leaf(pudv))
		goto out;
	pmdv = READ_ONCE(*pmd_offset(&pudv, hva));
	if (pmd_present(pmdv) && pmd_leaf(pmdv))
		r = pmd_write(pmdv) ? 2 : 1;
out:
	local_irq_restore(flags);
	return r;
}
EXPORT_SYMBOL_GPL(kvmg_user_huge_mapping);

void kvmg_put_page(void *page)
{
	put_page(page);
}
EXPORT_SYMBOL_GPL(kvmg_put_page);

void *kvmg_page_address(void *page)
{
	return page_address(page);
}
EXPORT_SYMBOL_GPL(kvmg_page_address);

struct kvmg_mn {
	struct mmu_notifier mn;
	struct mm_struct *mm;
	void *owner;
};

static int kvmg_mn_invalidate_start(struct mmu_notifier *mn, const struct mmu_notifier_range *r)
{
	kvm_core_mmu_invalidate_start(container_of(mn, struct kvmg_mn, mn)->owner, r->start, r->end);
	return 0;
}

static void kvmg_mn_invalidate_end(struct mmu_notifier *mn, const struct mmu_notifier_range *r)
{
	kvm_core_mmu_invalidate_end(container_of(mn, struct kvmg_mn, mn)->owner, r->start, r->end);
}

static void kvmg_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	kvm_core_mmu_release(container_of(mn, struct kvmg_mn, mn)->owner);
}

static const struct mmu_notifier_ops kvmg_mn_ops = {
	.invalidate_range_start = kvmg_mn_invalidate_start,
	.invalidate_range_end = kvmg_mn_invalidate_end,
	.release = kvmg_mn_release,
};

void *kvmg_mmu_notifier_register(void *owner)
{
	struct kvmg_mn *n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);

	if (!n)
		return NULL;
	n->mn.ops = &kvmg_mn_ops;
	n->mm = current->mm;
	n->owner = owner;
	if (mmu_notifier_register(&n->mn, n->mm)) {
		kfree(n);
		return NULL;
	}
	return n;
}
EXPORT_SYMBOL_GPL(kvmg_mmu_notifier_register);

void kvmg_mmu_notifier_unregister(void *handle)
{
	struct kvmg_mn *n = handle;

	if (!n)
		return;
	/* Waits for callbacks in flight; the VM pins the mm with mmgrab. */
	mmu_notifier_unregister(&n->mn, n->mm);
	kfree(n);
}
EXPORT_SYMBOL_GPL(kvmg_mmu_notifier_unregister);
