// SPDX-License-Identifier: GPL-2.0
// Statistics a VM or vCPU counts for KVM_GET_STATS_FD (api.rst,
// "KVM_GET_STATS_FD"). Each statistic is one 64-bit value with a descriptor;
// the tables of names live with the layer that counts them: the generic VM
// statistics here, the rest in the arch header (kvmpp/arch.hpp).
#pragma once

#include <abi/kvm_abi.h>
#include <kxx/types.hpp>

namespace kvmpp {

struct StatDesc {
  const char* name;
  uint32_t flags;  // KVM_STATS_TYPE_* | KVM_STATS_UNIT_* | KVM_STATS_BASE_*
};

// An event count (only grows) and a current amount (goes up and down).
inline constexpr uint32_t kStatCounter =
    KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10;
inline constexpr uint32_t kStatInstant =
    KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10;

// VM statistics the generic core counts; the arch layer's follow them.
enum GenericVmStat : unsigned {
  kVmStatRemoteTlbFlush,  // Vm::flush_tlbs(): every vCPU told to flush
  kGenericVmStats
};
inline constexpr StatDesc kGenericVmStatDescs[kGenericVmStats] = {
    {"remote_tlb_flush", kStatCounter},
};

// N statistics, updated by any thread without a lock and read at any time
// by a stats file (each value on its own: a read is not a snapshot).
template <unsigned N>
class Stats {
 public:
  void inc(unsigned i) { add(i, 1); }
  void add(unsigned i, uint64_t delta) { __atomic_fetch_add(&v_[i], delta, __ATOMIC_RELAXED); }
  void sub(unsigned i, uint64_t delta) { __atomic_fetch_sub(&v_[i], delta, __ATOMIC_RELAXED); }
  void set(unsigned i, uint64_t value) { __atomic_store_n(&v_[i], value, __ATOMIC_RELAXED); }
  uint64_t get(unsigned i) const { return __atomic_load_n(&v_[i], __ATOMIC_RELAXED); }
  static constexpr unsigned size() { return N; }

 private:
  uint64_t v_[N ? N : 1] = {};
};

}  // namespace kvmpp
