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

/* The host's XCR0 (constant after boot). */
uint64_t kvmg_x86_host_xcr0(void);

/*
 * The guest's FPU/XSAVE state, through the kernel's FPU API: load_guest
 * makes it the task's FPU state until put_guest; prepare_entry (preemption
 * off) puts it into the registers if a context switch took it out.
 */
void *kvmg_fpu_alloc(void);
void kvmg_fpu_free(void *fpu);
void kvmg_fpu_load_guest(void *fpu);
void kvmg_fpu_put_guest(void *fpu);
void kvmg_fpu_prepare_entry(void);

/* After a guest ran: put back the host's hardware breakpoints, if any. */
void kvmg_x86_restore_host_debugregs(void);

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_GLUE_X86_H */
