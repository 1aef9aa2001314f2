/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C glue API: every kernel service the C++ side uses, and nothing else.
 * Builtin types and opaque handles only, so that C++ never includes a kernel
 * header and the same C++ compiles in user space against a fake glue
 * (tests/unit/fake_glue.cpp). Implemented in virt/kvm/glue/ and exported from
 * kvm.ko for the vendor modules. Documented in Documentation/glue.rst.
 */
#ifndef KVMPP_GLUE_H
#define KVMPP_GLUE_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- memory ---------------------------------------------------------- */
#define KVMG_PAGE_SIZE 4096UL
enum kvmg_alloc_flags {
	KVMG_ALLOC_ATOMIC = 1, /* may not sleep (lock held, preemption off) */
	KVMG_ALLOC_ZERO = 2,
};
/* Small or large objects; kvmg_free(NULL) is a no-op. */
void *kvmg_alloc(size_t size, unsigned int flags);
void kvmg_free(void *p);
/* One zeroed, page-aligned, physically contiguous page (sleeping). */
void *kvmg_page_alloc(void);
void kvmg_page_free(void *va);
/* 2^order zeroed, physically contiguous pages (sleeping). */
void *kvmg_pages_alloc(unsigned int order);
void kvmg_pages_free(void *va, unsigned int order);
uint64_t kvmg_virt_to_phys(const void *va);
/* Kernel address of a page that kvmg_page_alloc returned (by its physical address). */
void *kvmg_phys_to_virt(uint64_t pa);
/* Outstanding allocations made through this API (leak accounting). */
long kvmg_alloc_outstanding(void);

/* ---- user memory ----------------------------------------------------- */
/* Both return 0, or -EFAULT when any byte could not be copied. */
int kvmg_copy_from_user(void *dst, uint64_t user_src, size_t n);
int kvmg_copy_to_user(uint64_t user_dst, const void *src, size_t n);
/* One naturally sized word (4 or 8 bytes, any alignment) from user memory:
 * guest page-table entries and instruction bytes, read on every exit that
 * decodes. Cheaper than kvmg_copy_from_user, whose size is not a
 * compile-time constant (the kernel checks such copies against the
 * destination object). 0, or -EFAULT. */
int kvmg_read_user_u32(uint32_t *dst, uint64_t user_src);
int kvmg_read_user_u64(uint64_t *dst, uint64_t user_src);

/* Whether [addr, addr + size) is a valid user-space range (access_ok). */
bool kvmg_user_range_ok(uint64_t addr, uint64_t size);

/* ---- locks ----------------------------------------------------------- */
/*
 * The opaque storage below holds the kernel's own lock objects; the glue
 * checks each size at build time. Lockdep (KVMG_LOCKDEP, set by Kbuild for
 * a kernel with CONFIG_LOCKDEP: the debug test kernel) makes every lock
 * carry a lockdep map: 144 bytes for a mutex, 152 for a rw_semaphore, 64
 * for a spinlock and 80 for a wait queue head on 6.12.
 */
#ifdef KVMG_LOCKDEP
#define KVMG_LOCK_BYTES(plain, lockdep) (lockdep)
#else
#define KVMG_LOCK_BYTES(plain, lockdep) (plain)
#endif
/*
 * A lock class for the kernel's lock validator (lockdep), in static storage:
 * the locks that play one role share one, and lockdep checks the order in
 * which the roles nest. The key is a struct lock_class_key (checked by the
 * glue); it is unused without lockdep. C++: KVMPP_LOCK_CLASS (mutex.hpp).
 */
struct kvmg_lock_class {
	unsigned char key[16] __attribute__((aligned(8)));
	const char *name;
};
/* Opaque storage for a kernel mutex. */
struct kvmg_mutex {
	unsigned char opaque[KVMG_LOCK_BYTES(128, 192)] __attribute__((aligned(8)));
};
void kvmg_mutex_init(struct kvmg_mutex *m, struct kvmg_lock_class *c);
void kvmg_mutex_lock(struct kvmg_mutex *m);
void kvmg_mutex_unlock(struct kvmg_mutex *m);
void kvmg_mutex_destroy(struct kvmg_mutex *m);

/* Opaque storage for a kernel rw_semaphore (sleeping reader/writer lock). */
struct kvmg_rwsem {
	unsigned char opaque[KVMG_LOCK_BYTES(128, 192)] __attribute__((aligned(8)));
};
void kvmg_rwsem_init(struct kvmg_rwsem *s, struct kvmg_lock_class *c);
void kvmg_rwsem_down_read(struct kvmg_rwsem *s);
void kvmg_rwsem_up_read(struct kvmg_rwsem *s);
void kvmg_rwsem_down_write(struct kvmg_rwsem *s);
void kvmg_rwsem_up_write(struct kvmg_rwsem *s);

/* Opaque storage for a kernel spinlock (no sleeping while held). */
struct kvmg_spinlock {
	unsigned char opaque[KVMG_LOCK_BYTES(64, 96)] __attribute__((aligned(8)));
};
void kvmg_spin_init(struct kvmg_spinlock *l, struct kvmg_lock_class *c);
void kvmg_spin_lock(struct kvmg_spinlock *l);
void kvmg_spin_unlock(struct kvmg_spinlock *l);

/* ---- RCU ------------------------------------------------------------- */
/* A read-side critical section (nestable; no sleeping inside), and waiting
 * for every section that began before the call to end (sleeps). The wait
 * is an expedited grace period: VMMs replace routing tables and bus maps
 * while guests run (QEMU's split irqchip: on every I/O APIC write), and a
 * normal grace period costs each such ioctl tens of milliseconds. */
void kvmg_rcu_read_lock(void);
void kvmg_rcu_read_unlock(void);
void kvmg_synchronize_rcu(void);

/* ---- processes and CPUs ---------------------------------------------- */
/* The calling task's address space, pinned (mmgrab) until kvmg_mm_drop. */
void *kvmg_mm_grab_current(void);
void kvmg_mm_drop(void *mm);
/* The calling task's address space, for comparison only. */
const void *kvmg_current_mm(void);
unsigned int kvmg_num_online_cpus(void);
unsigned int kvmg_nr_cpu_ids(void);
unsigned int kvmg_this_cpu(void); /* caller has preemption disabled */
int kvmg_current_pid(void);      /* the calling thread's pid */
bool kvmg_signal_pending(void);
/* KVM_SET_SIGNAL_MASK: the size of the kernel's sigset_t; block exactly
 * @set (less SIGKILL and SIGSTOP) for the calling task until
 * kvmg_sigmask_leave() restores what it blocked before. */
unsigned int kvmg_sigset_size(void);
void kvmg_sigmask_enter(const void *set);
void kvmg_sigmask_leave(void);
void kvmg_cond_resched(void);
/*
 * Guest context around the world switch, interrupts off throughout:
 * kvmg_guest_enter_irqoff() just before entering, kvmg_guest_exit_irqoff()
 * just after the exit. Between them RCU treats the CPU as it treats user
 * mode (a quiescent state), and time counts as guest time (PF_VCPU), which
 * goes on until kvmg_guest_timing_exit_irqoff(): call that after enabling
 * and disabling interrupts once, so that the host interrupt that ended the
 * guest (the timer tick) is billed to the guest (x86: kvmg_x86_entry_end()
 * does all of that).
 */
void kvmg_guest_enter_irqoff(void);
void kvmg_guest_exit_irqoff(void);
void kvmg_guest_timing_exit_irqoff(void);
/* A signal or a reschedule is pending: leave the run loop or yield. */
bool kvmg_entry_must_wait(void);
/* Halt polling's module parameters, with upstream's names and defaults
 * (kvm.halt_poll_ns, halt_poll_ns_grow, halt_poll_ns_grow_start,
 * halt_poll_ns_shrink; Documentation/virt/kvm/halt-polling.rst), as they
 * are now (they are writable). */
struct kvmg_halt_poll_params {
	uint32_t max_ns, grow, grow_start, shrink;
};
void kvmg_halt_poll_params_get(struct kvmg_halt_poll_params *p);
/* Stop busy-waiting: a signal, a reschedule, or another runnable task. */
bool kvmg_poll_must_stop(void);
/* A busy-wait loop's pause (cpu_relax). */
void kvmg_cpu_relax(void);
/* Whether the backend has virtualization on on this CPU (interrupts off):
 * false while a CPU goes offline, and after shutdown turned it off. */
bool kvmg_virt_enabled_this_cpu(void);
/* Interrupt @cpu and wait until it has taken the interrupt: a CPU that was
 * running a guest has left guest mode when this returns. */
void kvmg_kick_cpu_wait(unsigned int cpu);

/* ---- waiting and timers ---------------------------------------------- */
/* Opaque storage for a kernel wait queue head. */
struct kvmg_waitq {
	unsigned char opaque[KVMG_LOCK_BYTES(64, 128)] __attribute__((aligned(8)));
};
void kvmg_waitq_init(struct kvmg_waitq *q);
/* Wake the waiters of @q (any context, hard interrupts included). */
void kvmg_waitq_wake(struct kvmg_waitq *q);
/*
 * Sleep on @q until @done(@arg) is true or a signal is pending: returns 0 or
 * -EINTR. @done runs with the task's state set: it must not sleep.
 */
int kvmg_waitq_wait(struct kvmg_waitq *q, bool (*done)(void *arg), void *arg);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t kvmg_monotonic_ns(void);
/*
 * A one-shot high-resolution timer on CLOCK_MONOTONIC whose @fn(@arg) runs in
 * hard interrupt context. create (may sleep) returns a handle or NULL; start
 * (re)arms it for the absolute time @expires_ns; cancel disarms it and waits
 * for a running @fn (never from @fn itself); destroy cancels and frees.
 */
void *kvmg_timer_create(void (*fn)(void *arg), void *arg);
void kvmg_timer_start(void *timer, uint64_t expires_ns);
void kvmg_timer_cancel(void *timer);
void kvmg_timer_destroy(void *timer);

/* ---- the VMM's memory --------------------------------------------------- */
/*
 * Get the page backing user address @hva in the calling process, faulting it
 * in (breaking copy-on-write when @write). Returns 0 with its physical
 * address and a reference (*page, dropped with kvmg_put_page), or -EFAULT.
 */
int kvmg_get_user_page(uint64_t hva, bool write, uint64_t *pa, void **page);
void kvmg_put_page(void *page);
/* The same without faulting anything in: -EFAULT unless the VMM's page
 * table already maps @hva (writable, when @write). Never breaks CoW. */
int kvmg_get_user_page_fast(uint64_t hva, bool write, uint64_t *pa, void **page);
/*
 * Whether the VMM maps @hva with a 2 MiB page-table leaf (a huge page):
 * 0 no, 1 read-only, 2 writable. A lockless look: the caller validates it
 * with the MMU notifier sequence like any other lookup.
 */
int kvmg_user_huge_mapping(uint64_t hva);
/* Kernel address of a page returned by kvmg_get_user_page (for copies). */
void *kvmg_page_address(void *page);

/*
 * MMU notifier on the calling process's address space. The glue calls
 * kvm_core_mmu_invalidate_start/end and kvm_core_mmu_release (glue/core.h)
 * with @owner. Register returns a handle or NULL.
 */
void *kvmg_mmu_notifier_register(void *owner);
void kvmg_mmu_notifier_unregister(void *handle);

/* ---- file descriptors ------------------------------------------------ */
/* Install an fd for a VM or vCPU object. On success the file owns one
 * reference that the core's release entry point drops; on failure (-errno)
 * nothing was installed and the caller keeps its reference. */
int kvmg_fd_create_vm(void *vm);
int kvmg_fd_create_vcpu(void *vcpu, unsigned int vcpu_id);
/* A read-only statistics fd (KVM_GET_STATS_FD) for a VM or (@vcpu) a vCPU:
 * reads call kvm_core_stats_read, the release kvm_core_stats_release.
 * Same ownership rule as above. */
int kvmg_fd_create_stats(void *object, bool vcpu, unsigned int vcpu_id);

/* ---- logging --------------------------------------------------------- */
enum kvmg_log_level { KVMG_LOG_ERR = 3, KVMG_LOG_WARN = 4, KVMG_LOG_INFO = 6 };
void kvmg_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An internal inconsistency: a one-time kernel WARN with this text. */
void kvmg_warn_once(const char *what);

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_GLUE_H */
