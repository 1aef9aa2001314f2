// SPDX-License-Identifier: GPL-2.0
// The paravirtual interface's per-vCPU and per-VM state: kvmclock, the KVM
// MSRs and CPUID leaves, hypercalls, quirks and exits user space disabled
// (pv/pvclock.cpp, pv/msr.cpp, pv/hypercall.cpp, pv/caps.cpp).
#pragma once

#include <kvmpp/mutex.hpp>
#include <kxx/atomic.hpp>
#include <kxx/types.hpp>

namespace kvmpp::arch {

struct PvVcpuState {
  // KVM_CAP_ENFORCE_PV_FEATURE_CPUID, and the KVM features (CPUID
  // 0x40000001.EAX) of the vCPU's table, found by signature at KVM_SET_CPUID2.
  bool enforce = false;
  uint32_t features = 0;
  // MSR_KVM_SYSTEM_TIME(_NEW) as written: the pvclock structure's
  // guest-physical address, and KVM_MSR_ENABLED in bit 0.
  uint64_t system_time = 0;
  // What the pvclock structure was last written from: a different TSC
  // offset, or (unstable host TSC) another host CPU, rewrites it.
  bool clock_written = false;
  bool clock_stable = false;
  uint64_t clock_tsc_offset = 0;
  unsigned clock_cpu = ~0u;
  // KVM_KVMCLOCK_CTRL: set PVCLOCK_GUEST_STOPPED in the next update.
  bool guest_stopped = false;
  // The task that last ran the vCPU, for directed yields (0: none yet).
  kxx::Atomic<int> pid{0};
};

// kvmclock while the host TSC is stable: ref_ns + offset + the TSC ticks
// since ref_tsc, scaled; otherwise the host's kvmclock base + offset.
struct PvClock {
  bool stable = false;
  uint64_t ref_tsc = 0;
  uint64_t ref_ns = 0;
  uint64_t offset = 0;
};

struct PvVmState {
  Spinlock lock{KVMPP_LOCK_CLASS("kvm.pv.lock")};  // clock and wall_clock
  PvClock clock;
  uint64_t wall_clock = 0;  // MSR_KVM_WALL_CLOCK(_NEW) as last written
  kxx::Atomic<uint64_t> disabled_quirks{0};
  kxx::Atomic<uint32_t> disabled_exits{0};  // KVM_X86_DISABLE_EXITS_*
};

}  // namespace kvmpp::arch
