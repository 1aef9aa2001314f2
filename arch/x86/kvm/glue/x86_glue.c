// SPDX-License-Identifier: GPL-2.0
/* Glue: x86 CPU features, MSRs and CR4 for the C++ side. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tsc.h>
#include <asm/tlbflush.h>
#include <asm/pgtable.h>
#include <asm/nospec-branch.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <linux/hw_breakpoint.h>
#include <linux/smp.h>
#include <trace/events/ipi.h>
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

bool kvmg_x86_host_has_pku(void)
{
	return cpu_feature_enabled(X86_FEATURE_OSPKE);
}
EXPORT_SYMBOL_GPL(kvmg_x86_host_has_pku);

uint64_t kvmg_x86_host_xcr0(void)
{
	return boot_cpu_has(X86_FEATURE_XSAVE) ? xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
}
EXPORT_SYMBOL_GPL(kvmg_x86_host_xcr0);

/* The kernel's feature word for a CPUID register it tracks, else all ones. */
static u32 kernel_cpuid_word(u32 leaf, u32 subleaf, int reg)
{
	int word = -1;

	switch (leaf) {
	case 0x1:
		word = reg == 3 ? CPUID_1_EDX : reg == 2 ? CPUID_1_ECX : -1;
		break;
	case 0x6:
		word = reg == 0 ? CPUID_6_EAX : -1;
		break;
	case 0x7:
		if (subleaf == 0)
			word = reg == 1 ? CPUID_7_0_EBX : reg == 2 ? CPUID_7_ECX :
			       reg == 3 ? CPUID_7_EDX : -1;
		else if (subleaf == 1)
			word = reg == 0 ? CPUID_7_1_EAX : -1;
		break;
	case 0xd:
		word = subleaf == 1 && reg == 0 ? CPUID_D_1_EAX : -1;
		break;
	case 0x80000001:
		word = reg == 3 ? CPUID_8000_0001_EDX : reg == 2 ? CPUID_8000_0001_ECX : -1;
		break;
	case 0x80000007:
		word = reg == 1 ? CPUID_8000_0007_EBX : -1;
		break;
	case 0x80000008:
		word = reg == 1 ? CPUID_8000_0008_EBX : -1;
		break;
	case 0x8000000a:
		word = reg == 3 ? CPUID_8000_000A_EDX : -1;
		break;
	case 0x8000001f:
		word = reg == 0 ? CPUID_8000_001F_EAX : -1;
		break;
	case 0x80000021:
		word = reg == 0 ? CPUID_8000_0021_EAX : -1;
		break;
	}
	return word < 0 ? ~0u : boot_cpu_data.x86_capability[word];
}

void kvmg_x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	int i;

	cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]);
	for (i = 0; i < 4; i++)
		regs[i] &= kernel_cpuid_word(leaf, subleaf, i);
}
EXPORT_SYMBOL_GPL(kvmg_x86_cpuid);

uint64_t kvmg_x86_rdtsc(void)
{
	return rdtsc_ordered();
}
EXPORT_SYMBOL_GPL(kvmg_x86_rdtsc);

unsigned int kvmg_x86_tsc_khz(void)
{
	return tsc_khz;
}
EXPORT_SYMBOL_GPL(kvmg_x86_tsc_khz);

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

/* The guest's FPU state back in the registers if a context switch took it
 * out (preemption off). */
static void kvmg_fpu_prepare_entry(void)
{
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

int kvmg_x86_entry_begin(void)
{
	preempt_disable();
	local_irq_disable();
	/* With interrupts off: a softirq's kernel_fpu_begin() can no longer
	 * take the guest's state out of the registers before the entry. */
	kvmg_fpu_prepare_entry();
	/* Shutdown (or a CPU going offline) turns virtualization off with an
	 * interrupt, which cannot arrive between this check and the exit. */
	if (!kvmg_virt_enabled_this_cpu()) {
		kvmg_x86_entry_cancel();
		return -1;
	}
	return smp_processor_id();
}
EXPORT_SYMBOL_GPL(kvmg_x86_entry_begin);

void kvmg_x86_entry_cancel(void)
{
	local_irq_enable();
	preempt_enable();
}
EXPORT_SYMBOL_GPL(kvmg_x86_entry_cancel);

void kvmg_x86_entry_end(void)
{
	kvmg_x86_restore_host_debugregs();
	/* The interrupt that ended the guest (a timer tick) is taken here,
	 * still billed to the guest; then guest time stops. */
	local_irq_enable();
	local_irq_disable();
	kvmg_guest_timing_exit_irqoff();
	local_irq_enable();
	preempt_enable();
}
EXPORT_SYMBOL_GPL(kvmg_x86_entry_end);

void kvmg_fpu_get_uabi(void *fpu, void *buf, unsigned int size, uint64_t xfeatures,
		       uint32_t pkru)
{
	fpu_copy_guest_fpstate_to_uabi(fpu, buf, size, xfeatures, pkru);
}
EXPORT_SYMBOL_GPL(kvmg_fpu_get_uabi);

int kvmg_fpu_set_uabi(void *fpu, const void *buf, uint64_t xcr0, uint32_t *pkru)
{
	return fpu_copy_uabi_to_guest_fpstate(fpu, buf, xcr0, pkru);
}
EXPORT_SYMBOL_GPL(kvmg_fpu_set_uabi);

void kvmg_x86_ibpb_on_switch(void)
{
	if (!cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT))
		indirect_branch_prediction_barrier();
}
EXPORT_SYMBOL_GPL(kvmg_x86_ibpb_on_switch);

void kvmg_x86_kick_cpu_async(unsigned int cpu)
{
	/* Any interrupt makes a CPU leave guest mode; the reschedule IPI is
	 * the one that may be sent from any context. */
	if (cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);
}
EXPORT_SYMBOL_GPL(kvmg_x86_kick_cpu_async);

void kvmg_x86_machine_check(void)
{
	/* As the hardware would have: vector 18 through the host's IDT. */
	if (IS_ENABLED(CONFIG_X86_MCE))
		asm volatile("int $0x12");
}
EXPORT_SYMBOL_GPL(kvmg_x86_machine_check);

void kvmg_x86_restore_host_debugregs(void)
{
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}
EXPORT_SYMBOL_GPL(kvmg_x86_restore_host_debugregs);

/*
 * kvm.ko's x86 module parameters, with upstream names and meanings: tools
 * and the upstream selftests read them. Read-only, because each describes
 * what this implementation does.
 */
/* The forced-emulation prefix (ud2; .ascii "kvm") is not implemented. */
static int force_emulation_prefix;
module_param(force_emulation_prefix, int, 0444);
/* There is no virtual PMU. */
static bool enable_pmu;
module_param(enable_pmu, bool, 0444);
/* The only MMU is a two-dimensional-paging one (no shadow paging). */
static bool tdp_mmu = true;
module_param(tdp_mmu, bool, 0444);
/* Enabling dirty logging zaps the slot's mappings: no huge page is split eagerly. */
static bool eager_page_split;
module_param(eager_page_split, bool, 0444);
