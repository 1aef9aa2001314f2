/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operations a vendor backend (SVM, VMX, arm64 EL2) gives the core: one
 * table, filled in by the backend with constant data and registered with
 * kvm_backend_register(). Everything the core and the glue call on a backend
 * is listed here and nowhere else. Backends never see user pointers.
 */
#ifndef KVMPP_GLUE_BACKEND_OPS_H
#define KVMPP_GLUE_BACKEND_OPS_H

#ifdef __cplusplus
extern "C" {
#endif

struct kvm_backend_ops {
	/* Short name for logs: "svm", "vmx". */
	const char *name;
	/*
	 * Turn hardware virtualization on/off on the calling CPU (preemption
	 * and interrupts off; cpu_disable may run in NMI context on an
	 * emergency reboot). cpu_enable returns 0 or -errno and leaves the
	 * CPU unchanged on failure; cpu_disable cannot fail.
	 */
	int (*cpu_enable)(unsigned int cpu);
	void (*cpu_disable)(unsigned int cpu);
	/*
	 * Per-vCPU hardware state (VMCB, VMCS): vcpu_create returns the
	 * backend's object or NULL when out of memory (it may sleep);
	 * vcpu_free releases it.
	 */
	void *(*vcpu_create)(unsigned int vcpu_id);
	void (*vcpu_free)(void *backend_vcpu);
	/*
	 * Enter the guest once and describe why it stopped. @arch_run is the
	 * architecture's run block (x86: struct x86_run in kvmpp/x86_state.h).
	 * Called with preemption and interrupts disabled, on the CPU that
	 * runs the guest. Returns 0, or -errno when the backend itself failed.
	 */
	int (*vcpu_run)(void *backend_vcpu, void *arch_run);
};

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_GLUE_BACKEND_OPS_H */
