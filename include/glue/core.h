/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry points the glue calls in the C++ core (implemented in
 * virt/kvm/entry.cpp), and the backend registration the vendor modules call.
 * Handles are opaque to C: a VM or vCPU pointer the core handed out.
 */
#ifndef KVMPP_GLUE_CORE_H
#define KVMPP_GLUE_CORE_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kvm_backend_ops; /* include/kvmpp/backend.hpp */

/* Module init/exit of kvm.ko. */
int kvm_core_init(void);
void kvm_core_exit(void);

/* ioctl entry points: return >= 0 or -errno, exactly what user space sees. */
long kvm_core_dev_ioctl(unsigned int cmd, unsigned long arg);
long kvm_core_vm_ioctl(void *vm, unsigned int cmd, unsigned long arg);
long kvm_core_vcpu_ioctl(void *vcpu, unsigned int cmd, unsigned long arg);
/* The file of a VM or vCPU was released: drop the reference it owned. */
void kvm_core_vm_release(void *vm);
void kvm_core_vcpu_release(void *vcpu);
/*
 * read() of a stats fd (KVM_GET_STATS_FD) at *@pos into the user buffer
 * @ubuf: bytes read (advancing *@pos) or -errno. release: the stats file
 * is gone, drop the reference it owned.
 */
long kvm_core_stats_read(void *object, bool vcpu, uint64_t ubuf, uint64_t size, int64_t *pos);
void kvm_core_stats_release(void *object, bool vcpu);
/* The kernel address of page @pgoff of a vCPU's mmap area, or NULL. */
void *kvm_core_vcpu_mmap_page(void *vcpu, unsigned long pgoff);
/* Whether a mapping of @npages from @pgoff may be made (0 or -errno). */
int kvm_core_vcpu_mmap_check(void *vcpu, unsigned long pgoff, unsigned long npages, bool shared,
			     bool exec);

/*
 * The VMM's address space is changing ([start, end) of user addresses):
 * drop every guest mapping of it until invalidate_end. May be called in
 * atomic context; must not sleep. release: the address space is going away.
 */
void kvm_core_mmu_invalidate_start(void *owner, uint64_t start, uint64_t end);
void kvm_core_mmu_invalidate_end(void *owner, uint64_t start, uint64_t end);
void kvm_core_mmu_release(void *owner);

/* Backend registration (C++ side of it): 0 or -EBUSY. */
int kvm_core_set_backend(const struct kvm_backend_ops *ops);
void kvm_core_clear_backend(const struct kvm_backend_ops *ops);

/*
 * Exported by kvm.ko for kvm-amd.ko / kvm-intel.ko. Registering enables
 * virtualization on every online CPU (and on CPUs that come online later),
 * then creates /dev/kvm. @owner is the vendor module (struct module *): open
 * files pin it, so it cannot be unloaded while a VM exists.
 */
int kvm_backend_register(const struct kvm_backend_ops *ops, void *owner);
void kvm_backend_unregister(const struct kvm_backend_ops *ops);

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_GLUE_CORE_H */
