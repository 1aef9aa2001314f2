// SPDX-License-Identifier: GPL-2.0
/* Glue: user copies, mutexes, processes and CPUs, logging. */
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include <glue/glue.h>

int kvmg_copy_from_user(void *dst, uint64_t user_src, size_t n)
{
	return copy_from_user(dst, u64_to_user_ptr(user_src), n) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(kvmg_copy_from_user);

int kvmg_read_user_u32(uint32_t *dst, uint64_t user_src)
{
	return get_user(*dst, (u32 __user *)u64_to_user_ptr(user_src)) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(kvmg_read_user_u32);

int kvmg_read_user_u64(uint64_t *dst, uint64_t user_src)
{
	return get_user(*dst, (u64 __user *)u64_to_user_ptr(user_src)) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(kvmg_read_user_u64);

int kvmg_copy_to_user(uint64_t user_dst, const void *src, size_t n)
{
	return copy_to_user(u64_to_user_ptr(user_dst), src, n) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(kvmg_copy_to_user);

bool kvmg_user_range_ok(uint64_t addr, uint64_t size)
{
	return access_ok(u64_to_user_ptr(addr), size);
}
EXPORT_SYMBOL_GPL(kvmg_user_range_ok);

static_assert(sizeof(struct rw_semaphore) <= sizeof(struct kvmg_rwsem));
static_assert(__alignof__(struct rw_semaphore) <= __alignof__(struct kvmg_rwsem));

static_assert(sizeof(struct lock_class_key) <= sizeof(((struct kvmg_lock_class *)0)->key));

void kvmg_rwsem_init(struct kvmg_rwsem *s, struct kvmg_lock_class *c)
{
	init_rwsem((struct rw_semaphore *)s);
	lockdep_set_class_and_name((struct rw_semaphore *)s, (struct lock_class_key *)c->key, c->name);
}
EXPORT_SYMBOL_GPL(kvmg_rwsem_init);

void kvmg_rwsem_down_read(struct kvmg_rwsem *s)
{
	down_read((struct rw_semaphore *)s);
}
EXPORT_SYMBOL_GPL(kvmg_rwsem_down_read);

void kvmg_rwsem_up_read(struct kvmg_rwsem *s)
{
	up_read((struct rw_semaphore *)s);
}
EXPORT_SYMBOL_GPL(kvmg_rwsem_up_read);

void kvmg_rwsem_down_write(struct kvmg_rwsem *s)
{
	down_write((struct rw_semaphore *)s);
}
EXPORT_SYMBOL_GPL(kvmg_rwsem_down_write);

void kvmg_rwsem_up_write(struct kvmg_rwsem *s)
{
	up_write((struct rw_semaphore *)s);
}
EXPORT_SYMBOL_GPL(kvmg_rwsem_up_write);

static_assert(sizeof(struct mutex) <= sizeof(struct kvmg_mutex));
static_assert(__alignof__(struct mutex) <= __alignof__(struct kvmg_mutex));

void kvmg_mutex_init(struct kvmg_mutex *m, struct kvmg_lock_class *c)
{
	mutex_init((struct mutex *)m);
	lockdep_set_class_and_name((struct mutex *)m, (struct lock_class_key *)c->key, c->name);
}
EXPORT_SYMBOL_GPL(kvmg_mutex_init);

void kvmg_mutex_lock(struct kvmg_mutex *m)
{
	mutex_lock((struct mutex *)m);
}
EXPORT_SYMBOL_GPL(kvmg_mutex_lock);

void kvmg_mutex_unlock(struct kvmg_mutex *m)
{
	mutex_unlock((struct mutex *)m);
}
EXPORT_SYMBOL_GPL(kvmg_mutex_unlock);

void kvmg_mutex_destroy(struct kvmg_mutex *m)
{
	mutex_destroy((struct mutex *)m);
}
EXPORT_SYMBOL_GPL(kvmg_mutex_destroy);

void *kvmg_mm_grab_current(void)
{
	struct mm_struct *mm = current->mm;

	if (!mm)
		return NULL;
	mmgrab(mm);
	return mm;
}
EXPORT_SYMBOL_GPL(kvmg_mm_grab_current);

void kvmg_mm_drop(void *mm)
{
	if (mm)
		mmdrop(mm);
}
EXPORT_SYMBOL_GPL(kvmg_mm_drop);

const void *kvmg_current_mm(void)
{
	return current->mm;
}
EXPORT_SYMBOL_GPL(kvmg_current_mm);

unsigned int kvmg_num_online_cpus(void)
{
	return num_online_cpus();
}
EXPORT_SYMBOL_GPL(kvmg_num_online_cpus);

unsigned int kvmg_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}
EXPORT_SYMBOL_GPL(kvmg_nr_cpu_ids);

unsigned int kvmg_this_cpu(void)
{
	return smp_processor_id();
}
EXPORT_SYMBOL_GPL(kvmg_this_cpu);

int kvmg_current_pid(void)
{
	return task_pid_nr(current);
}
EXPORT_SYMBOL_GPL(kvmg_current_pid);

void kvmg_log(int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	switch (level) {
	case KVMG_LOG_ERR:
		pr_err("%pV\n", &vaf);
		break;
	case KVMG_LOG_WARN:
		pr_warn("%pV\n", &vaf);
		break;
	default:
		pr_info("%pV\n", &vaf);
		break;
	}
	va_end(args);
}
EXPORT_SYMBOL_GPL(kvmg_log);

void kvmg_warn_once(const char *what)
{
	WARN_ONCE(1, "kvm: internal error: %s\n", what);
}
EXPORT_SYMBOL_GPL(kvmg_warn_once);

void kvmg_rcu_read_lock(void)
{
	rcu_read_lock();
}
EXPORT_SYMBOL_GPL(kvmg_rcu_read_lock);

void kvmg_rcu_read_unlock(void)
{
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(kvmg_rcu_read_unlock);

void kvmg_synchronize_rcu(void)
{
	synchronize_rcu_expedited();
}
EXPORT_SYMBOL_GPL(kvmg_synchronize_rcu);
