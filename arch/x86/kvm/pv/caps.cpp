// SPDX-License-Identifier: GPL-2.0
// Capabilities of the paravirtual interface, the quirks user space may turn
// off (KVM_CAP_DISABLE_QUIRKS2) and the exits it may spare the guest
// (KVM_CAP_X86_DISABLE_EXITS), with what this implementation honours.
#include "pv.hpp"

namespace kvmpp::x86 {
namespace {

// Only the hypercall-patching quirk exists here; the others describe
// behaviour this implementation does not have (or not yet).
constexpr uint64_t kQuirks = KVM_X86_QUIRK_FIX_HYPERCALL_INSN;
// HLT can run in the guest (the backend stops intercepting it); PAUSE never
// exits (no pause filter is used), so disabling its exit holds trivially.
// MWAIT is never offered; C-state MSRs are not passed through.
constexpr uint32_t kExits = KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE;

}  // namespace

long pv_check_extension(long cap) {
  switch (cap) {
    // The flags KVM_GET_CLOCK can return (with a TSC clocksource).
    case KVM_CAP_ADJUST_CLOCK:
      return KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
    case KVM_CAP_ENABLE_CAP:  // vCPU KVM_ENABLE_CAP
    case KVM_CAP_VCPU_ATTRIBUTES:
    case KVM_CAP_ENFORCE_PV_FEATURE_CPUID: return 1;
    case KVM_CAP_DISABLE_QUIRKS2: return long(kQuirks);
    case KVM_CAP_X86_DISABLE_EXITS: return long(kExits);
    default: return 0;
  }
}

kxx::Status pv_vm_enable_cap(Vm& vm, const kvm_enable_cap& cap) {
  arch::PvVmState& pv = vm.arch()->pv;
  switch (cap.cap) {
    case KVM_CAP_DISABLE_QUIRKS2:
      if (cap.args[0] & ~kQuirks) return kxx::Errno::kInval;
      pv.disabled_quirks.fetch_or(cap.args[0]);
      return kxx::OkStatus();
    case KVM_CAP_X86_DISABLE_EXITS:
      // Any valid set is accepted and the honoured part applied, as
      // upstream does for what the host cannot offer.
      if (cap.args[0] & ~uint64_t(KVM_X86_DISABLE_VALID_EXITS)) return kxx::Errno::kInval;
      pv.disabled_exits.fetch_or(uint32_t(cap.args[0]) & kExits);
      return kxx::OkStatus();
    default: return kxx::Errno::kInval;
  }
}

bool quirk_enabled(Vm& vm, uint64_t quirk) {
  return !(vm.arch()->pv.disabled_quirks.load() & quirk);
}

uint32_t disabled_exits(Vm& vm) { return vm.arch()->pv.disabled_exits.load(); }

}  // namespace kvmpp::x86
