// SPDX-License-Identifier: GPL-2.0
/*
 * Glue: kvm.ko's module entry, the /dev/kvm misc device, the VM and vCPU file
 * operations, and backend registration with per-CPU virtualization enabling
 * (CPU hotplug, suspend/resume, shutdown, emergency reboot). No hypervisor
 * logic here: every decision is made by the C++ core or the backend.
 */
#include <linux/anon_inodes.h>
#include <linux/cpuhotplug.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/syscore_ops.h>
#ifdef CONFIG_X86
#include <asm/reboot.h>
#endif

#include <glue/core.h>
#include <glue/glue.h>
#include <glue/backend_ops.h>

MODULE_AUTHOR("kvmpp authors");
MODULE_DESCRIPTION("Kernel-based Virtual Machine, reimplemented in C++: core");
MODULE_LICENSE("GPL");

/* ---- files ------------------------------------------------------------- */

static long kvm_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	return kvm_core_dev_ioctl(cmd, arg);
}

static long kvm_vm_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	return kvm_core_vm_ioctl(filp->private_data, cmd, arg);
}

static int kvm_vm_release(struct inode *inode, struct file *filp)
{
	kvm_core_vm_release(filp->private_data);
	return 0;
}

static long kvm_vcpu_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	return kvm_core_vcpu_ioctl(filp->private_data, cmd, arg);
}

static int kvm_vcpu_release(struct inode *inode, struct file *filp)
{
	kvm_core_vcpu_release(filp->private_data);
	return 0;
}

static vm_fault_t kvm_vcpu_fault(struct vm_fault *vmf)
{
	void *va = kvm_core_vcpu_mmap_page(vmf->vma->vm_file->private_data, vmf->pgoff);
	struct page *page;

	if (!va)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(va);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvm_vcpu_vm_ops = {
	.fault = kvm_vcpu_fault,
};

static int kvm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	int r = kvm_core_vcpu_mmap_check(filp->private_data, vma->vm_pgoff, vma_pages(vma),
					 vma->vm_flags & VM_SHARED, vma->vm_flags & VM_EXEC);

	if (r)
		return r;
	vma->vm_ops = &kvm_vcpu_vm_ops;
	return 0;
}

/* Statistics fds: read-only, read with pread() (api.rst, KVM_GET_STATS_FD). */
static ssize_t kvm_stats_read(struct file *filp, char __user *buf, size_t size, loff_t *pos,
			      bool vcpu)
{
	int64_t p = *pos;
	long r = kvm_core_stats_read(filp->private_data, vcpu, (uint64_t)(unsigned long)buf, size, &p);

	if (r >= 0)
		*pos = p;
	return r;
}

static ssize_t kvm_vm_stats_read(struct file *filp, char __user *buf, size_t size, loff_t *pos)
{
	return kvm_stats_read(filp, buf, size, pos, false);
}

static ssize_t kvm_vcpu_stats_read(struct file *filp, char __user *buf, size_t size, loff_t *pos)
{
	return kvm_stats_read(filp, buf, size, pos, true);
}

static int kvm_vm_stats_release(struct inode *inode, struct file *filp)
{
	kvm_core_stats_release(filp->private_data, false);
	return 0;
}

static int kvm_vcpu_stats_release(struct inode *inode, struct file *filp)
{
	kvm_core_stats_release(filp->private_data, true);
	return 0;
}

/* .owner is the vendor module, set at registration: open files pin it. */
static struct file_operations kvm_chardev_fops = {
	.unlocked_ioctl = kvm_dev_ioctl,
	.llseek = noop_llseek,
};

static struct file_operations kvm_vm_fops = {
	.release = kvm_vm_release,
	.unlocked_ioctl = kvm_vm_ioctl,
	.llseek = noop_llseek,
};

static struct file_operations kvm_vcpu_fops = {
	.release = kvm_vcpu_release,
	.unlocked_ioctl = kvm_vcpu_ioctl,
	.mmap = kvm_vcpu_mmap,
	.llseek = noop_llseek,
};

static struct file_operations kvm_vm_stats_fops = {
	.read = kvm_vm_stats_read,
	.release = kvm_vm_stats_release,
	.llseek = default_llseek,
};

static struct file_operations kvm_vcpu_stats_fops = {
	.read = kvm_vcpu_stats_read,
	.release = kvm_vcpu_stats_release,
	.llseek = default_llseek,
};

static struct miscdevice kvm_dev = {
	.minor = KVM_MINOR,
	.name = "kvm",
	.fops = &kvm_chardev_fops,
};

int kvmg_fd_create_vm(void *vm)
{
	return anon_inode_getfd("kvm-vm", &kvm_vm_fops, vm, O_RDWR | O_CLOEXEC);
}
EXPORT_SYMBOL_GPL(kvmg_fd_create_vm);

int kvmg_fd_create_vcpu(void *vcpu, unsigned int vcpu_id)
{
	char name[8 + 1 + 10 + 1];

	snprintf(name, sizeof(name), "kvm-vcpu:%u", vcpu_id);
	return anon_inode_getfd(name, &kvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
}
EXPORT_SYMBOL_GPL(kvmg_fd_create_vcpu);

int kvmg_fd_create_stats(void *object, bool vcpu, unsigned int vcpu_id)
{
	char name[15 + 10 + 1];
	struct file *file;
	int fd;

	if (vcpu)
		snprintf(name, sizeof(name), "kvm-vcpu-stats:%u", vcpu_id);
	else
		strscpy(name, "kvm-vm-stats", sizeof(name));
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile(name, vcpu ? &kvm_vcpu_stats_fops : &kvm_vm_stats_fops, object,
				  O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* pread() needs it; anon-inode files do not get it by default. */
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}
EXPORT_SYMBOL_GPL(kvmg_fd_create_stats);

/* ---- per-CPU virtualization -------------------------------------------- */

static DEFINE_MUTEX(kvm_backend_lock);
static const struct kvm_backend_ops *kvm_backend;
static int kvm_cpuhp_state;
static DEFINE_PER_CPU(bool, kvm_virt_enabled);

/* On the current CPU, preemption off. */
static int kvm_enable_this_cpu(void)
{
	int r;

	if (__this_cpu_read(kvm_virt_enabled))
		return 0;
	r = kvm_backend->cpu_enable(smp_processor_id());
	if (!r)
		__this_cpu_write(kvm_virt_enabled, true);
	return r;
}

static void kvm_disable_this_cpu(void)
{
	if (!__this_cpu_read(kvm_virt_enabled))
		return;
	kvm_backend->cpu_disable(smp_processor_id());
	__this_cpu_write(kvm_virt_enabled, false);
}

bool kvmg_virt_enabled_this_cpu(void)
{
	return __this_cpu_read(kvm_virt_enabled);
}
EXPORT_SYMBOL_GPL(kvmg_virt_enabled_this_cpu);

static void kvm_disable_this_cpu_ipi(void *unused)
{
	kvm_disable_this_cpu();
}

/* CPU hotplug (AP_ONLINE_DYN): called on the CPU coming up or going down. */
static int kvm_cpu_online(unsigned int cpu)
{
	unsigned long flags;
	int r;

	local_irq_save(flags);
	r = kvm_enable_this_cpu();
	local_irq_restore(flags);
	return r;
}

static int kvm_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	kvm_disable_this_cpu();
	local_irq_restore(flags);
	return 0;
}

/* Suspend and resume run on the last CPU standing, interrupts off. */
static int kvm_suspend(void)
{
	kvm_disable_this_cpu();
	return 0;
}

static void kvm_resume(void)
{
	if (kvm_enable_this_cpu())
		pr_err("kvm: cannot re-enable virtualization on CPU %d after resume\n",
		       smp_processor_id());
}

/* Reboot and power-off: leave no CPU in a virtualization-enabled state. */
static void kvm_shutdown(void)
{
	on_each_cpu(kvm_disable_this_cpu_ipi, NULL, 1);
}

/*
 * Debian's 6.12 has the syscore API that takes a data pointer (struct
 * syscore); 6.1 has the older one. Kbuild detects which (KVMPP_SYSCORE_DATA).
 */
#ifdef KVMPP_SYSCORE_DATA
static int kvm_suspend_data(void *data) { return kvm_suspend(); }
static void kvm_resume_data(void *data) { kvm_resume(); }
static void kvm_shutdown_data(void *data) { kvm_shutdown(); }
static const struct syscore_ops kvm_syscore_ops = {
	.suspend = kvm_suspend_data,
	.resume = kvm_resume_data,
	.shutdown = kvm_shutdown_data,
};
static struct syscore kvm_syscore = { .ops = &kvm_syscore_ops };
#define kvm_register_syscore() register_syscore(&kvm_syscore)
#define kvm_unregister_syscore() unregister_syscore(&kvm_syscore)
#else
static struct syscore_ops kvm_syscore_ops = {
	.suspend = kvm_suspend,
	.resume = kvm_resume,
	.shutdown = kvm_shutdown,
};
#define kvm_register_syscore() register_syscore_ops(&kvm_syscore_ops)
#define kvm_unregister_syscore() unregister_syscore_ops(&kvm_syscore_ops)
#endif

#ifdef CONFIG_X86
/* Emergency reboot (panic, kexec): may run in NMI context, takes no locks. */
static void kvm_emergency_disable(void)
{
	kvm_disable_this_cpu();
}
#endif

int kvm_backend_register(const struct kvm_backend_ops *ops, void *owner)
{
	int r;

	mutex_lock(&kvm_backend_lock);
	r = kvm_core_set_backend(ops);
	if (r) {
		if (r == -EBUSY)
			pr_err("kvm: another backend is already registered\n");
		goto out;
	}
	kvm_backend = ops;
	kvm_chardev_fops.owner = owner;
	kvm_vm_fops.owner = owner;
	kvm_vcpu_fops.owner = owner;
	kvm_vm_stats_fops.owner = owner;
	kvm_vcpu_stats_fops.owner = owner;

	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kvm/cpu:online", kvm_cpu_online,
			      kvm_cpu_offline);
	if (r < 0) {
		pr_err("kvm: cannot enable virtualization on every CPU (%d)\n", r);
		goto clear;
	}
	kvm_cpuhp_state = r;
	kvm_register_syscore();
#ifdef CONFIG_X86
	cpu_emergency_register_virt_callback(kvm_emergency_disable);
#endif

	r = misc_register(&kvm_dev);
	if (r) {
		pr_err("kvm: cannot register /dev/kvm (misc minor %d): %d%s\n", KVM_MINOR, r,
		       r == -EBUSY ? ", another KVM owns it" : "");
		goto disable;
	}
	mutex_unlock(&kvm_backend_lock);
	return 0;

disable:
#ifdef CONFIG_X86
	cpu_emergency_unregister_virt_callback(kvm_emergency_disable);
#endif
	kvm_unregister_syscore();
	cpuhp_remove_state(kvm_cpuhp_state);
clear:
	kvm_core_clear_backend(ops);
	kvm_backend = NULL;
out:
	mutex_unlock(&kvm_backend_lock);
	return r;
}
EXPORT_SYMBOL_GPL(kvm_backend_register);

void kvm_backend_unregister(const struct kvm_backend_ops *ops)
{
	mutex_lock(&kvm_backend_lock);
	if (WARN_ON_ONCE(kvm_backend != ops))
		goto out;
	misc_deregister(&kvm_dev);
#ifdef CONFIG_X86
	cpu_emergency_unregister_virt_callback(kvm_emergency_disable);
#endif
	kvm_unregister_syscore();
	cpuhp_remove_state(kvm_cpuhp_state);
	kvm_core_clear_backend(ops);
	kvm_backend = NULL;
out:
	mutex_unlock(&kvm_backend_lock);
}
EXPORT_SYMBOL_GPL(kvm_backend_unregister);

/* ---- module ------------------------------------------------------------ */

static int __init kvm_init(void)
{
	return kvm_core_init();
}

static void __exit kvm_exit(void)
{
	long leaked;

	kvm_core_exit();
	leaked = kvmg_alloc_outstanding();
	WARN(leaked, "kvm: %ld allocations leaked\n", leaked);
}

module_init(kvm_init);
module_exit(kvm_exit);
