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

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_GLUE_X86_H */
