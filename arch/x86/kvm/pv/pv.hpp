// SPDX-License-Identifier: GPL-2.0
// The paravirtual interface KVM offers x86 guests (Documentation/virt/kvm/
// x86/cpuid.rst, msr.rst, hypercalls.rst) and the ioctls around it: the KVM
// CPUID features, kvmclock and KVM_GET/SET_CLOCK, the KVM MSRs and their
// enforcement, hypercalls (VMMCALL, and VMCALL patched into it), quirks,
// disabled exits and the vCPU TSC attributes.
#pragma once

#include "../cpuid/cpuid.hpp"
#include "../x86.hpp"

namespace kvmpp::x86 {

// ---- KVM CPUID leaves (pv/msr.cpp) ----
// KVM_CPUID_FEATURES.EAX as KVM_GET_SUPPORTED_CPUID reports it: only what is
// implemented here.
uint32_t pv_supported_features();
// KVM_SET_CPUID(2): adjust a table before it is compared or installed (no
// PV_UNHALT while HLT does not exit), and cache its KVM features after.
void pv_adjust_cpuid(Vm& vm, kvm_cpuid_entry2* entries, unsigned n);
void pv_cpuid_changed(Vcpu& vcpu);
// The KVM_CPUID_FEATURES.EAX of @table, found through the "KVMKVMKVM"
// signature at 0x40000000 + n * 0x100; 0 without KVM leaves.
uint32_t pv_cpuid_features(CpuidView table);
// Whether the guest may use KVM feature @bit: always, unless user space
// enabled KVM_CAP_ENFORCE_PV_FEATURE_CPUID and the vCPU's CPUID lacks it.
bool pv_has(Vcpu& vcpu, unsigned bit);
// vCPU KVM_ENABLE_CAP.
kxx::Status vcpu_enable_cap(Vcpu& vcpu, unsigned long uarg);

// ---- KVM MSRs (pv/msr.cpp) ----
// -EINVAL (#GP for the guest) for an MSR that is not one of them or that
// the vCPU's CPUID does not allow.
kxx::Result<uint64_t> pv_msr_read(Vcpu& vcpu, uint32_t index);
kxx::Status pv_msr_write(Vcpu& vcpu, uint32_t index, uint64_t value);

// ---- kvmclock (pv/pvclock.cpp) ----
// tsc_to_system_mul and tsc_shift for a TSC of @tsc_hz (msr.rst):
// ns = ((delta << shift, or >> -shift) * mul) >> 32.
struct PvclockScale {
  uint32_t mul = 0;
  int8_t shift = 0;
};
PvclockScale pvclock_scale(uint64_t tsc_hz);
uint64_t pvclock_scale_delta(uint64_t delta, PvclockScale s);
// kvmclock starts at 0 when the VM is created.
void pvclock_vm_init(arch::PvVmState& pv);
// VM ioctls KVM_GET_CLOCK and KVM_SET_CLOCK.
kxx::Status get_clock(Vm& vm, unsigned long uarg);
kxx::Status set_clock(Vm& vm, unsigned long uarg);
// Rewrite the vCPU's pvclock structure before it next runs.
void request_clock_update(Vcpu& vcpu);
// Before each entry (may sleep): write the pvclock structure if it is
// stale, and note the task running the vCPU.
void pv_prepare_entry(Vcpu& vcpu);
// At the start of KVM_RUN: note the thread that runs the vCPU (the target
// of a directed yield, KVM_HC_SCHED_YIELD).
void pv_prepare_run(Vcpu& vcpu);
// MSR_KVM_WALL_CLOCK(_NEW): write the wall-clock time of kvmclock 0 at @gpa.
void write_wall_clock(Vcpu& vcpu, uint64_t gpa);

// ---- hypercalls (pv/hypercall.cpp) ----
// VMMCALL (or the vendor's hypercall instruction) at RIP.
kxx::Result<Next> handle_hypercall(Vcpu& vcpu);
// The guest raised #UD: patch the other vendor's hypercall instruction into
// this one's (KVM_X86_QUIRK_FIX_HYPERCALL_INSN), or give the guest its #UD.
kxx::Result<Next> handle_ud_fault(Vcpu& vcpu);

// ---- capabilities, quirks, disabled exits (pv/caps.cpp) ----
long pv_check_extension(long cap);
kxx::Status pv_vm_enable_cap(Vm& vm, const kvm_enable_cap& cap);
bool quirk_enabled(Vm& vm, uint64_t quirk);
// KVM_X86_DISABLE_EXITS_* the VM asked for and the backend honours.
uint32_t disabled_exits(Vm& vm);

// ---- vCPU device attributes (msr/tsc_attr.cpp) ----
// KVM_HAS/GET/SET_DEVICE_ATTR on a vCPU fd: group KVM_VCPU_TSC_CTRL.
kxx::Status vcpu_device_attr(Vcpu& vcpu, unsigned int cmd, unsigned long uarg);

// KVM_KVMCLOCK_CTRL: the guest was paused (PVCLOCK_GUEST_STOPPED).
kxx::Status kvmclock_ctrl(Vcpu& vcpu);

}  // namespace kvmpp::x86
