// SPDX-License-Identifier: GPL-2.0
// The guest's RDMSR and WRMSR (api.rst, "KVM_EXIT_X86_RDMSR",
// "KVM_CAP_X86_USER_SPACE_MSR"): the MSR filter decides first, then the
// in-kernel MSRs (msr/msr.cpp). An access that fails goes to user space
// when the VM enabled its reason, and raises #GP(0) otherwise:
//  - KVM_MSR_EXIT_REASON_FILTER: the filter denied it;
//  - KVM_MSR_EXIT_REASON_UNKNOWN: the MSR is not one this layer emulates;
//  - KVM_MSR_EXIT_REASON_INVAL: a known MSR refused the access (a reserved
//    bit, a read-only MSR, a feature the vCPU's CPUID lacks).
// The instruction completes on the next KVM_RUN with what user space left
// in kvm_run->msr: error != 0 raises #GP(0), otherwise a read loads
// EDX:EAX from data, and RIP moves past the instruction.
#include "../x86.hpp"
#include "msr.hpp"

namespace kvmpp::x86 {
namespace {

// RIP past the instruction; a read also loads EDX:EAX (upper halves cleared).
void finish(x86_state& s, bool write, uint64_t value, unsigned len) {
  if (!write) {
    s.gpr[X86_RAX] = uint32_t(value);
    s.gpr[X86_RDX] = value >> 32;
  }
  advance_rip(s, len);
}

uint32_t failure_reason(const kxx::Error& e) {
  return e.code == kUnknownMsr ? KVM_MSR_EXIT_REASON_UNKNOWN : KVM_MSR_EXIT_REASON_INVAL;
}

}  // namespace

kxx::Result<Next> guest_msr_access(Vcpu& vcpu, bool write, unsigned len) {
  x86_state& s = vcpu.arch().regs;
  uint32_t index = uint32_t(s.gpr[X86_RCX]);
  uint64_t value = write ? (s.gpr[X86_RDX] << 32) | uint32_t(s.gpr[X86_RAX]) : 0;
  uint32_t reason = KVM_MSR_EXIT_REASON_FILTER;
  if (msr_allowed(vcpu.vm(), index, write)) {
    kxx::Status st =
        write ? set_msr(vcpu, index, value, false) : get_msr(vcpu, index, &value, false);
    if (st.ok()) {
      finish(s, write, value, len);
      return Next::kEnter;
    }
    reason = failure_reason(st.error());
  }
  if (!(vcpu.vm().arch()->msr_policy.user_exit_mask.load_relaxed() & reason)) {
    queue_exception(s, kGpVector, true, 0);
    return Next::kEnter;
  }
  kvm_run* kr = vcpu.run();
  kr->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
  kr->msr.error = 0;
  __builtin_memset(kr->msr.pad, 0, sizeof(kr->msr.pad));
  kr->msr.reason = reason;
  kr->msr.index = index;
  kr->msr.data = value;  // 0 for a read
  vcpu.arch().pending_msr = {true, write, uint8_t(len), linear_rip(s)};
  return Next::kUser;
}

void complete_msr(Vcpu& vcpu) {
  arch::PendingMsr& p = vcpu.arch().pending_msr;
  if (!p.active) return;
  p.active = false;
  x86_state& s = vcpu.arch().regs;
  if (linear_rip(s) != p.insn_linear_rip) return;  // user space moved RIP: abandoned
  const kvm_run* kr = vcpu.run();
  if (kr->msr.error) {
    queue_exception(s, kGpVector, true, 0);
    return;
  }
  finish(s, p.write, kr->msr.data, p.len);
}

kxx::Status enable_user_space_msr(Vm& vm, uint64_t mask) {
  if (mask & ~uint64_t(KVM_MSR_EXIT_REASON_VALID_MASK)) return kxx::Errno::kInval;
  vm.arch()->msr_policy.user_exit_mask.store(uint32_t(mask));
  return kxx::OkStatus();
}

}  // namespace kvmpp::x86
