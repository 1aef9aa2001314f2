// SPDX-License-Identifier: GPL-2.0
/* Glue: process ids and directed yield (include/glue/clock.h). */
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include <glue/clock.h>

bool kvmg_yield_to(int pid)
{
	struct task_struct *task;
	int r;

	if (pid <= 0)
		return false;
	rcu_read_lock();
	task = pid_task(find_pid_ns(pid, &init_pid_ns), PIDTYPE_PID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	if (!task)
		return false;
	/* A task that is running, or not runnable, is not boosted (-ESRCH). */
	r = yield_to(task, true);
	put_task_struct(task);
	return r > 0;
}
EXPORT_SYMBOL_GPL(kvmg_yield_to);
