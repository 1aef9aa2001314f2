// SPDX-License-Identifier: GPL-2.0
// The guest TSC: the host TSC plus a per-vCPU offset (the VMCB's TSC_OFFSET),
// at the host's frequency (no TSC scaling). IA32_TSC, IA32_TSC_ADJUST
// (SDM vol. 3B, "Time-Stamp Counter Adjustment"), and KVM_GET/SET_TSC_KHZ.
#include <glue/x86.h>

#include "msr.hpp"

namespace kvmpp::x86 {
namespace {

// Requested frequencies this close to the host's need no scaling (upstream's
// default tsc_tolerance_ppm).
constexpr uint64_t kTolerancePpm = 250;

bool host_frequency(uint64_t khz) {
  uint64_t host = kvmg_x86_tsc_khz();
  if (!host) return false;
  uint64_t slack = host * kTolerancePpm / 1000000;
  return khz >= host - slack && khz <= host + slack;
}

// A write user space makes (@user), or vCPU creation (0), that may
// synchronize the vCPU with the VM's others: VMMs set every vCPU's TSC one
// after the other, so equal values arrive a little apart. A write of 0 (a
// new vCPU), or once user space has set a TSC one within a second of where
// the last write's TSC is now, takes the same offset as that write; any
// other starts a new reference.
void synchronizing_write(Vcpu& vcpu, uint64_t value, bool user) {
  arch::TscSync& t = vcpu.vm().arch()->tsc;
  SpinLockGuard guard(t.lock);
  uint64_t now = kvmg_x86_rdtsc();
  uint64_t second = uint64_t(kvmg_x86_tsc_khz()) * 1000;
  bool match = false;
  if (t.valid) {
    uint64_t expected = t.value + (now - t.host_tsc);
    uint64_t delta = value - expected;
    match = value == 0 || (t.user_set && (delta < second || -delta < second));
  }
  t.user_set |= user;
  uint64_t offset = match ? t.offset : value - now;
  t.valid = true;
  t.offset = offset;
  t.host_tsc = now;
  t.value = now + offset;
  vcpu.arch().regs.tsc_offset = offset;
}

}  // namespace

uint64_t guest_tsc(Vcpu& vcpu) { return kvmg_x86_rdtsc() + vcpu.arch().regs.tsc_offset; }

void tsc_init(Vcpu& vcpu) { synchronizing_write(vcpu, 0, false); }

kxx::Status write_tsc(Vcpu& vcpu, uint64_t value, bool host) {
  if (host) {
    // The VMM's view of the TSC: IA32_TSC_ADJUST does not see it.
    synchronizing_write(vcpu, value, true);
    return kxx::OkStatus();
  }
  // A guest WRMSR moves IA32_TSC_ADJUST by the same amount.
  uint64_t now = kvmg_x86_rdtsc();
  x86_state& s = vcpu.arch().regs;
  vcpu.arch().msrs.tsc_adjust += value - (now + s.tsc_offset);
  s.tsc_offset = value - now;
  return kxx::OkStatus();
}

void set_tsc_offset(Vcpu& vcpu, uint64_t offset) {
  // Like a TSC value user space wrote: the VM's reference from now on.
  arch::TscSync& t = vcpu.vm().arch()->tsc;
  SpinLockGuard guard(t.lock);
  uint64_t now = kvmg_x86_rdtsc();
  t.valid = true;
  t.user_set = true;
  t.offset = offset;
  t.host_tsc = now;
  t.value = now + offset;
  vcpu.arch().regs.tsc_offset = offset;
}

kxx::Status write_tsc_adjust(Vcpu& vcpu, uint64_t value, bool host) {
  uint64_t& adjust = vcpu.arch().msrs.tsc_adjust;
  // The guest writing IA32_TSC_ADJUST moves its TSC by the change.
  if (!host) vcpu.arch().regs.tsc_offset += value - adjust;
  adjust = value;
  return kxx::OkStatus();
}

long get_tsc_khz() {
  // 0 when the host has no calibrated TSC, as upstream.
  return long(kvmg_x86_tsc_khz());
}

kxx::Status set_tsc_khz(unsigned long arg) {
  // 0 asks for the host's frequency, the only one without TSC scaling.
  uint64_t khz = uint32_t(arg);
  if (khz == 0 || host_frequency(khz)) return kxx::OkStatus();
  return kxx::Errno::kInval;
}

kxx::Status set_vm_tsc_khz(Vm& vm, unsigned long arg) {
  // The default for vCPUs created later; once they exist it is fixed.
  if (vm.online_vcpus()) return kxx::Errno::kInval;
  return set_tsc_khz(arg);
}

}  // namespace kvmpp::x86
