// SPDX-License-Identifier: GPL-2.0
// What the generic core needs to know about arm64 (selected by include path).
// The EL2 backend does not exist yet: this is the generic core's arm64 build,
// and no arm64 /dev/kvm is ever registered.
#pragma once

#include <abi/kvm_abi.h>
#include <kvmpp/stats.hpp>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp::arch {

inline constexpr unsigned kMaxVcpus = 512;
inline constexpr unsigned kMaxVcpuIds = kMaxVcpus;
inline constexpr unsigned kVcpuMmapPages = 1;  // kvm_run only
inline constexpr unsigned kVcpuOwnPages = 1;
inline constexpr unsigned kCoalescedMmioPage = 0;  // none: no run loop to record writes
inline constexpr bool kHasPreFaultMemory = false;
inline constexpr bool kHasDirtyLog = false;       // no stage-2 tables to protect yet
inline constexpr uint64_t kSupportedVmTypes = 1;  // type 0 (default IPA size)
inline constexpr kxx::Errno kUnknownVmIoctl = kxx::Errno::kInval;
inline constexpr kxx::Errno kUnknownVcpuIoctl = kxx::Errno::kInval;

// Statistics: the generic VM ones only, no vCPU ones.
enum VmStat : unsigned { kNumVmStats = kGenericVmStats };
inline constexpr StatDesc kArchVmStatDescs[1] = {};
enum VcpuStat : unsigned { kNumVcpuStats = 0 };
inline constexpr StatDesc kVcpuStatDescs[1] = {};

struct VcpuState;
kxx::Result<VcpuState*> vcpu_state_create();
void vcpu_state_destroy(VcpuState* state);
uint64_t vcpu_stat(const VcpuState& state, unsigned index);

}  // namespace kvmpp::arch

#include <kvmpp/arch_api.hpp>
