// SPDX-License-Identifier: GPL-2.0
// The KVM CPUID leaves and MSRs (Documentation/virt/kvm/x86/cpuid.rst and
// msr.rst): the features offered, which ones a vCPU may use
// (KVM_CAP_ENFORCE_PV_FEATURE_CPUID, api.rst), and the kvmclock MSRs. The
// other KVM MSRs (async page faults, steal time, PV EOI, poll control) are
// not implemented: they fault like any unknown MSR, and their features are
// never offered.
#include <glue/x86.h>
#include <kvmpp/uaccess.hpp>

#include "pv.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint32_t bit(unsigned b) { return 1u << b; }

constexpr uint32_t kClockFeatures = bit(KVM_FEATURE_CLOCKSOURCE) | bit(KVM_FEATURE_CLOCKSOURCE2) |
                                    bit(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
// NOP_IO_DELAY is a hint that holds for every VMM: port 0x80 delays buy
// nothing in a guest.
constexpr uint32_t kFeatures =
    kClockFeatures | bit(KVM_FEATURE_NOP_IO_DELAY) | bit(KVM_FEATURE_PV_SCHED_YIELD);

// "KVMKVMKVM\0\0\0" in EBX, ECX, EDX.
constexpr uint32_t kSignature[3] = {0x4b4d564b, 0x564b4d56, 0x4d};
// Hypervisor leaves may start at any multiple of 0x100 in this range (a VMM
// offering Hyper-V leaves moves KVM's up).
constexpr uint32_t kFirstBase = 0x40000000, kLastBase = 0x4000ff00, kBaseStep = 0x100;

// The features entry of @t's KVM leaves, or nullptr.
const kvm_cpuid_entry2* features_entry(CpuidView t) {
  for (uint32_t base = kFirstBase; base <= kLastBase; base += kBaseStep) {
    const kvm_cpuid_entry2* e = t.find(base, 0);
    if (e && e->ebx == kSignature[0] && e->ecx == kSignature[1] && e->edx == kSignature[2])
      return t.find(base | (KVM_CPUID_FEATURES & 0xff), 0);
  }
  return nullptr;
}

// kvmclock needs the TSC frequency to scale with; without it the MSRs still
// hold their values, but the clock is not offered.
bool clock_available() { return kvmg_x86_tsc_khz() != 0; }

}  // namespace

uint32_t pv_supported_features() {
  return clock_available() ? kFeatures : kFeatures & ~kClockFeatures;
}

uint32_t pv_cpuid_features(CpuidView table) {
  const kvm_cpuid_entry2* e = features_entry(table);
  return e ? e->eax : 0;
}

void pv_adjust_cpuid(Vm& vm, kvm_cpuid_entry2* entries, unsigned n) {
  // PV_UNHALT promises that a halted vCPU is woken by KVM_HC_KICK_CPU; a
  // guest whose HLT does not exit cannot be (upstream clears it as well).
  if (!(disabled_exits(vm) & KVM_X86_DISABLE_EXITS_HLT)) return;
  // The entry is one of @entries: the table being installed, owned here.
  auto* e = const_cast<kvm_cpuid_entry2*>(features_entry(CpuidView{entries, n}));
  if (e) e->eax &= ~bit(KVM_FEATURE_PV_UNHALT);
}

void pv_cpuid_changed(Vcpu& vcpu) {
  vcpu.arch().pv.features = pv_cpuid_features(guest_cpuid(vcpu));
}

bool pv_has(Vcpu& vcpu, unsigned feature) {
  const arch::PvVcpuState& pv = vcpu.arch().pv;
  return !pv.enforce || (pv.features & bit(feature));
}

kxx::Status vcpu_enable_cap(Vcpu& vcpu, unsigned long uarg) {
  auto cap = TRY(copy_from_user<kvm_enable_cap>(uarg));
  if (cap.flags) return kxx::Errno::kInval;
  switch (cap.cap) {
    case KVM_CAP_ENFORCE_PV_FEATURE_CPUID: vcpu.arch().pv.enforce = cap.args[0] != 0; break;
    default: return kxx::Errno::kInval;
  }
  return kxx::OkStatus();
}

// The same checks for the guest and for KVM_GET/SET_MSRS, as upstream: with
// enforcement on, an MSR without its CPUID feature does not exist.
static bool msr_allowed(Vcpu& vcpu, uint32_t index) {
  switch (index) {
    case MSR_KVM_WALL_CLOCK:
    case MSR_KVM_SYSTEM_TIME: return pv_has(vcpu, KVM_FEATURE_CLOCKSOURCE);
    case MSR_KVM_WALL_CLOCK_NEW:
    case MSR_KVM_SYSTEM_TIME_NEW: return pv_has(vcpu, KVM_FEATURE_CLOCKSOURCE2);
    default: return false;
  }
}

kxx::Result<uint64_t> pv_msr_read(Vcpu& vcpu, uint32_t index) {
  if (!msr_allowed(vcpu, index)) return kxx::Errno::kInval;
  switch (index) {
    case MSR_KVM_WALL_CLOCK:
    case MSR_KVM_WALL_CLOCK_NEW: {
      arch::PvVmState& pv = vcpu.vm().arch()->pv;
      SpinLockGuard guard(pv.lock);
      return pv.wall_clock;
    }
    default: return vcpu.arch().pv.system_time;
  }
}

kxx::Status pv_msr_write(Vcpu& vcpu, uint32_t index, uint64_t value) {
  if (!msr_allowed(vcpu, index)) return kxx::Errno::kInval;
  switch (index) {
    case MSR_KVM_WALL_CLOCK:
    case MSR_KVM_WALL_CLOCK_NEW: {
      // One value for the whole VM; the structure is written once, now.
      arch::PvVmState& pv = vcpu.vm().arch()->pv;
      {
        SpinLockGuard guard(pv.lock);
        pv.wall_clock = value;
      }
      write_wall_clock(vcpu, value);
      break;
    }
    default:
      // Written before the vCPU next runs, then kept up to date.
      vcpu.arch().pv.system_time = value;
      vcpu.arch().pv.clock_written = false;
      break;
  }
  return kxx::OkStatus();
}

}  // namespace kvmpp::x86
