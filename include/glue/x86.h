/* SPDX-License-Identifier: GPL-2.0 */
/* x86-only glue: CPU features, MSRs and control registers. */
#ifndef KVMPP_GLUE_X86_H
#define KVMPP_GLUE_X86_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's view of a feature (honours clearcpuid= and similar). */
enum kvmg_x86_feature {
	KVMG_X86_SVM,
	KVMG_X86_NPT,
	KVMG_X86_NRIPS,
	KVMG_X86_VMX,
	KVMG_X86_EPT,
	KVMG_X86_VPID,
};
int kvmg_x86_has(enum kvmg_x86_feature f);

/* Return 0, or -EIO when the access faulted (#GP). */
int kvmg_rdmsr_safe(uint32_t msr, uint64_t *val);
int kvmg_wrmsr_safe(uint32_t msr, uint64_t val);

/* CR4 through the kernel's shadow, on the current CPU (preemption off). */
uint64_t kvmg_cr4_read(void);
void kvmg_cr4_set_bits(uint64_t bits);
void kvmg_cr4_clear_bits(uint64_t bits);

/* The host's paging depth: 5 with CR4.LA57, else 4. */
unsigned int kvmg_x86_host_paging_levels(void);

/* Whether the host uses protection keys (CR4.PKE): PKRU must then be
 * switched around guest execution. */
bool kvmg_x86_host_has_pku(void);

/* The host's XCR0 (constant after boot). */
uint64_t kvmg_x86_host_xcr0(void);

/*
 * CPUID on this CPU (@regs: EAX, EBX, ECX, EDX), with every feature the
 * kernel turned off (clearcpuid=, missing XSAVE support, errata) cleared
 * from the leaves the kernel tracks.
 */
void kvmg_x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/* The host's TSC now, and its frequency in kHz (0: unknown). */
uint64_t kvmg_x86_rdtsc(void);
unsigned int kvmg_x86_tsc_khz(void);

/*
 * The guest's FPU/XSAVE state, through the kernel's FPU API: load_guest
 * makes it the task's FPU state until put_guest; kvmg_x86_entry_begin()
 * puts it into the registers if a context switch took it out.
 */
void *kvmg_fpu_alloc(void);
void kvmg_fpu_free(void *fpu);
void kvmg_fpu_load_guest(void *fpu);
void kvmg_fpu_put_guest(void *fpu);

/*
 * The guest FPU state in the XSAVE layout user space sees (KVM_GET/SET_XSAVE):
 * get fills @size bytes with the components in @xfeatures (and @pkru);
 * set takes a buffer of KVM's kvm_xsave size and returns 0, or -EINVAL for
 * a state the guest may not have (@xcr0 bounds it), storing PKRU in *pkru.
 */
void kvmg_fpu_get_uabi(void *fpu, void *buf, unsigned int size, uint64_t xfeatures,
		       uint32_t pkru);
int kvmg_fpu_set_uabi(void *fpu, const void *buf, uint64_t xcr0, uint32_t *pkru);

/*
 * The bracket of one entry into the guest, one call each way since every
 * exit pays for it:
 * - kvmg_x86_entry_begin(): preemption and interrupts off, the guest's FPU
 *   state back in the registers if a context switch took it out;
 *   returns this CPU, or -1 with all of that
 *   undone when virtualization is off on it (shutdown, CPU going offline).
 * - kvmg_x86_entry_cancel(): interrupts and preemption back on, no entry.
 * - kvmg_x86_entry_end(): after the exit (and kvmg_guest_exit_irqoff):
 *   the host's breakpoints back, the interrupt that ended the guest taken
 *   while time still counts as guest time, guest time stopped, interrupts
 *   and preemption back on.
 */
int kvmg_x86_entry_begin(void);
void kvmg_x86_entry_cancel(void);
void kvmg_x86_entry_end(void);

/*
 * Another guest's VMCB/VMCS is about to run on this CPU: stop branch
 * predictions trained by the previous one from reaching it (IBPB), unless
 * the host already issues one on every VM exit. Preemption off.
 */
void kvmg_x86_ibpb_on_switch(void);

/* Make @cpu leave guest mode soon, without waiting (any context, hard
 * interrupts included; nothing happens when @cpu is the calling CPU). */
void kvmg_x86_kick_cpu_async(unsigned int cpu);

/* Run the host's machine-check handler (an #MC intercepted in a guest). */
void kvmg_x86_machine_check(void);

/* After a guest ran: put back the host's hardware breakpoints, if any. */
void kvmg_x86_restore_host_debugregs(void);

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_GLUE_X86_H */
