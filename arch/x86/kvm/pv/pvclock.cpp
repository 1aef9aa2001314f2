// SPDX-License-Identifier: GPL-2.0
// kvmclock (Documentation/virt/kvm/x86/msr.rst, "MSR_KVM_SYSTEM_TIME_NEW" and
// "MSR_KVM_WALL_CLOCK_NEW"; api.rst, "KVM_GET_CLOCK" and "KVM_SET_CLOCK"):
// the VM's clock in nanoseconds, and the pvclock structure through which
// each vCPU reads it with its own TSC.
//
// While the host's clocksource is the TSC (stable and synchronized across
// CPUs), the clock is one line in host TSC ticks: ref_ns + offset at host
// TSC ref_tsc, advancing by pvclock_scale_delta(). Each vCPU's structure
// holds the same line moved by that vCPU's TSC offset, so every vCPU and
// KVM_GET_CLOCK compute the same value at the same instant: that is what
// PVCLOCK_TSC_STABLE_BIT and KVM_CLOCK_TSC_STABLE promise. Otherwise the
// clock is the host's kvmclock base plus offset, and a structure is a fresh
// (TSC, time) pair from when it was written, rewritten when the vCPU runs
// on another host CPU; the guest keeps its clock monotonic itself.
#include <glue/clock.h>
#include <glue/glue.h>
#include <glue/x86.h>
#include <kvmpp/uaccess.hpp>

#include "../mmu/mmu.hpp"
#include "pv.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint64_t kNsPerSec = 1000000000;
constexpr uint32_t kValidFlags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;

uint64_t tsc_hz() { return uint64_t(kvmg_x86_tsc_khz()) * 1000; }

kvmg_host_clock read_host() {
  kvmg_host_clock h;
  kvmg_host_clock_read(&h);
  return h;
}

uint64_t clock_at(const arch::PvClock& c, const kvmg_host_clock& h) {
  if (!c.stable) return h.base_ns + c.offset;
  uint64_t ticks = h.tsc > c.ref_tsc ? h.tsc - c.ref_tsc : 0;
  return c.ref_ns + c.offset + pvclock_scale_delta(ticks, pvclock_scale(tsc_hz()));
}

// A new reference at @h at which the clock reads @value.
void rebase(arch::PvClock& c, const kvmg_host_clock& h, uint64_t value) {
  c.stable = h.tsc_exact && tsc_hz() != 0;
  c.ref_tsc = h.tsc;
  c.ref_ns = h.base_ns;
  c.offset = value - h.base_ns;
}

// The host stopped using the TSC as its clocksource: the line no longer
// holds, so continue from where it is now without it. Lock held.
bool follow_host(arch::PvClock& c, const kvmg_host_clock& h) {
  if (!c.stable || h.tsc_exact) return false;
  rebase(c, h, clock_at(c, h));
  return true;
}

void request_all(Vm& vm) {
  for (unsigned i = 0; i < vm.online_vcpus(); i++)
    if (Vcpu* v = vm.vcpu_at(i)) request_clock_update(*v);
}

// The odd/even version protocol: odd while the rest is being written.
// Returns false when the structure is not in guest RAM.
bool write_versioned(Vcpu& vcpu, uint64_t gpa, const void* body, unsigned len) {
  uint32_t version;
  if (!read_gpa(vcpu.vm(), gpa, &version, sizeof(version)).ok()) return false;
  version = (version + 1) | 1;
  if (!write_gpa(vcpu, gpa, &version, sizeof(version)).ok()) return false;
  // Stores are not reordered with other stores on x86; the calls are
  // compiler barriers.
  bool ok =
      write_gpa(vcpu, gpa + sizeof(version), static_cast<const uint8_t*>(body) + sizeof(version),
                len - unsigned(sizeof(version)))
          .ok();
  version++;
  return write_gpa(vcpu, gpa, &version, sizeof(version)).ok() && ok;
}

void write_pvclock(Vcpu& vcpu) {
  arch::PvVcpuState& pv = vcpu.arch().pv;
  arch::PvVmState& vm_pv = vcpu.vm().arch()->pv;
  uint64_t gpa = pv.system_time & ~uint64_t(KVM_MSR_ENABLED);
  uint64_t offset = vcpu.arch().regs.tsc_offset;
  pv.clock_written = true;
  pv.clock_tsc_offset = offset;
  pv.clock_cpu = vcpu.arch().last_cpu;
  // Like upstream, a structure that crosses a page boundary is not kept;
  // without the TSC frequency there is no scale to give.
  if ((gpa & (KVMG_PAGE_SIZE - 1)) + sizeof(pvclock_vcpu_time_info) > KVMG_PAGE_SIZE) return;
  if (!tsc_hz()) return;
  kvmg_host_clock h = read_host();
  arch::PvClock c;
  bool rebased;
  {
    SpinLockGuard guard(vm_pv.lock);
    rebased = follow_host(vm_pv.clock, h);
    c = vm_pv.clock;
  }
  if (rebased) request_all(vcpu.vm());
  PvclockScale scale = pvclock_scale(tsc_hz());
  pvclock_vcpu_time_info t{};
  if (c.stable) {
    t.tsc_timestamp = c.ref_tsc + offset;
    t.system_time = c.ref_ns + c.offset;
    t.flags = PVCLOCK_TSC_STABLE_BIT;
  } else {
    t.tsc_timestamp = h.tsc + offset;
    t.system_time = h.base_ns + c.offset;
  }
  if (kxx::exchange(pv.guest_stopped, false)) t.flags |= PVCLOCK_GUEST_STOPPED;
  t.tsc_to_system_mul = scale.mul;
  t.tsc_shift = scale.shift;
  pv.clock_stable = c.stable;
  write_versioned(vcpu, gpa, &t, sizeof(t));
}

}  // namespace

PvclockScale pvclock_scale(uint64_t hz) {
  if (!hz) return {};
  // mul / 2^32 * 2^shift must be kNsPerSec / hz. First make the fraction
  // num / den less than 1 (a TSC slower than 1 GHz shifts left), then at
  // least 1/2 for precision (a bounded right shift: num << 34 still fits).
  uint64_t num = kNsPerSec, den = hz;
  int shift = 0;
  while (num >= den) {
    den <<= 1;
    shift++;
  }
  while (shift > -2 && (num << 1) < den) {
    num <<= 1;
    shift--;
  }
  return {uint32_t((num << 32) / den), int8_t(shift)};
}

uint64_t pvclock_scale_delta(uint64_t delta, PvclockScale s) {
  if (s.shift >= 0)
    delta <<= s.shift;
  else
    delta >>= -s.shift;
  return uint64_t((static_cast<unsigned __int128>(delta) * s.mul) >> 32);
}

void pvclock_vm_init(arch::PvVmState& pv) {
  SpinLockGuard guard(pv.lock);
  rebase(pv.clock, read_host(), 0);
}

kxx::Status get_clock(Vm& vm, unsigned long uarg) {
  arch::PvVmState& pv = vm.arch()->pv;
  kvmg_host_clock h = read_host();
  kvm_clock_data d{};
  bool rebased, stable;
  {
    SpinLockGuard guard(pv.lock);
    rebased = follow_host(pv.clock, h);
    d.clock = clock_at(pv.clock, h);
    stable = pv.clock.stable;
  }
  if (rebased) request_all(vm);
  // The host's real time and TSC of that same reading.
  if (stable) {
    d.flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
    d.realtime = h.real_ns;
    d.host_tsc = h.tsc;
  }
  return copy_to_user(uarg, d);
}

kxx::Status set_clock(Vm& vm, unsigned long uarg) {
  auto d = TRY(copy_from_user<kvm_clock_data>(uarg));
  // What KVM_GET_CLOCK returned may be passed back; only REALTIME matters.
  if (d.flags & ~kValidFlags) return kxx::Errno::kInval;
  arch::PvVmState& pv = vm.arch()->pv;
  kvmg_host_clock h = read_host();
  uint64_t value = d.clock;
  // Time that passed since user space read the clock, never backwards.
  if ((d.flags & KVM_CLOCK_REALTIME) && h.real_ns > d.realtime) value += h.real_ns - d.realtime;
  {
    SpinLockGuard guard(pv.lock);
    rebase(pv.clock, h, value);
  }
  request_all(vm);
  return kxx::OkStatus();
}

void request_clock_update(Vcpu& vcpu) {
  vcpu.make_request(Vcpu::kRequestClockUpdate);
  vcpu.kick();
}

void pv_prepare_run(Vcpu& vcpu) {
  arch::PvVcpuState& pv = vcpu.arch().pv;
  int pid = kvmg_current_pid();
  if (pv.pid.load_relaxed() != pid) pv.pid.store(pid);
}

void pv_prepare_entry(Vcpu& vcpu) {
  arch::PvVcpuState& pv = vcpu.arch().pv;
  bool update = vcpu.take_request(Vcpu::kRequestClockUpdate);
  if (!(pv.system_time & KVM_MSR_ENABLED)) return;
  update |= !pv.clock_written || pv.clock_tsc_offset != vcpu.arch().regs.tsc_offset;
  update |= !pv.clock_stable && pv.clock_cpu != vcpu.arch().last_cpu;
  if (update) write_pvclock(vcpu);
}

kxx::Status kvmclock_ctrl(Vcpu& vcpu) {
  arch::PvVcpuState& pv = vcpu.arch().pv;
  // Only a guest that uses kvmclock can be told (-EINVAL, as upstream).
  if (!(pv.system_time & KVM_MSR_ENABLED)) return kxx::Errno::kInval;
  pv.guest_stopped = true;
  vcpu.make_request(Vcpu::kRequestClockUpdate);
  return kxx::OkStatus();
}

void write_wall_clock(Vcpu& vcpu, uint64_t gpa) {
  arch::PvVmState& pv = vcpu.vm().arch()->pv;
  kvmg_host_clock h = read_host();
  uint64_t now;
  {
    SpinLockGuard guard(pv.lock);
    now = clock_at(pv.clock, h);
  }
  // The real time at which kvmclock read 0.
  uint64_t boot = h.real_ns > now ? h.real_ns - now : 0;
  pvclock_wall_clock w{};
  w.sec = uint32_t(boot / kNsPerSec);
  w.nsec = uint32_t(boot % kNsPerSec);
  write_versioned(vcpu, gpa, &w, sizeof(w));
}

}  // namespace kvmpp::x86
