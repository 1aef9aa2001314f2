// SPDX-License-Identifier: GPL-2.0
/* Glue: x86 CPU features, MSRs and CR4 for the C++ side. */
#include <linux/module.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>
#include <asm/pgtable.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <linux/hw_breakpoint.h>
#include <linux/thread_info.h>

#include <glue/glue.h>

#include <glue/x86.h>

int kvmg_x86_has(enum kvmg_x86_feature f)
{
	switch (f) {
	case KVMG_X86_SVM:
		return boot_cpu_has(X86_FEATURE_SVM);
	case KVMG_X86_NPT:
		return boot_cpu_has(X86_FEATURE_NPT);
	case KVMG_X86_NRIPS:
		return boot_cpu_has(X86_FEATURE_NRIPS);
	case KVMG_X86_VMX:
		return boot_cpu_has(X86_FEATURE_VMX);
	case KVMG_X86_EPT:
		return boot_cpu_has(X86_FEATURE_EPT);
	case KVMG_X86_VPID:
		return boot_cpu_has(X86_FEATURE_VPID);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(kvmg_x86_has);

int kvmg_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	unsigned long long v;

	if (rdmsrl_safe(msr, &v))
		return -EIO;
	*val = v;
	return 0;
}
EXPORT_SYMBOL_GPL(kvmg_rdmsr_safe);

int kvmg_wrmsr_safe(uint32_t msr, uint64_t val)
{
	return wrmsrl_safe(msr, val) ? -EIO : 0;
}
EXPORT_SYMBOL_GPL(kvmg_wrmsr_safe);

uint64_t kvmg_cr4_read(void)
{
	return cr4_read_shadow();
}
EXPORT_SYMBOL_GPL(kvmg_cr4_read);

void kvmg_cr4_set_bits(uint64_t bits)
{
	cr4_set_bits(bits);
}
EXPORT_SYMBOL_GPL(kvmg_cr4_set_bits);

void kvmg_cr4_clear_bits(uint64_t bits)
{
	cr4_clear_bits(bits);
}
EXPORT_SYMBOL_GPL(kvmg_cr4_clear_bits);

unsigned int kvmg_x86_host_paging_levels(void)
{
	return pgtable_l5_enabled() ? 5 : 4;
}
EXPORT_SYMBOL_GPL(kvmg_x86_host_paging_levels);

uint64_t kvmg_x86_host_xcr0(void)
{
	return boot_cpu_has(X86_FEATURE_XSAVE) ? xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
}
EXPORT_SYMBOL_GPL(kvmg_x86_host_xcr0);

void *kvmg_fpu_alloc(void)
{
	struct fpu_guest *g = kvmg_alloc(sizeof(*g), KVMG_ALLOC_ZERO);

	if (!g)
		return NULL;
	if (!fpu_alloc_guest_fpstate(g)) {
		kvmg_free(g);
		return NULL;
	}
	return g;
}
EXPORT_SYMBOL_GPL(kvmg_fpu_alloc);

void kvmg_fpu_free(void *fpu)
{
	if (!fpu)
		return;
	fpu_free_guest_fpstate(fpu);
	kvmg_free(fpu);
}
EXPORT_SYMBOL_GPL(kvmg_fpu_free);

void kvmg_fpu_load_guest(void *fpu)
{
	fpu_swap_kvm_fpstate(fpu, true);
}
EXPORT_SYMBOL_GPL(kvmg_fpu_load_guest);

void kvmg_fpu_put_guest(void *fpu)
{
	fpu_swap_kvm_fpstate(fpu, false);
}
EXPORT_SYMBOL_GPL(kvmg_fpu_put_guest);

void kvmg_fpu_prepare_entry(void)
{
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}
EXPORT_SYMBOL_GPL(kvmg_fpu_prepare_entry);

void kvmg_x86_restore_host_debugregs(void)
{
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}
EXPORT_SYMBOL_GPL(kvmg_x86_restore_host_debugregs);
