// SPDX-License-Identifier: GPL-2.0
// The file KVM_GET_STATS_FD returns (api.rst, "KVM_GET_STATS_FD"): a header,
// an id string, the descriptors and the values, read with pread(). The
// layout here: the four blocks back to back, in that order, each starting
// at a multiple of 8 (24-byte header, 48-byte id, 64-byte descriptors).
#pragma once

#include <kvmpp/stats.hpp>
#include <kxx/result.hpp>

namespace kvmpp {

class Vm;
class Vcpu;

// Upstream's KVM_STATS_NAME_SIZE: the id and each name, with their NUL.
inline constexpr unsigned kStatsNameSize = 48;

// What one stats file shows, at the time of a read.
struct StatsView {
  char id[kStatsNameSize];
  unsigned count;
  const StatDesc& (*desc)(unsigned i);
  uint64_t values[32];
};

// Copy bytes [pos, pos + size) of the file @view describes to the user
// buffer @ubuf: the number of bytes copied (0 at or past the end), or
// -EFAULT.
kxx::Result<long> read_stats(const StatsView& view, uint64_t ubuf, uint64_t size, int64_t pos);

// The file's contents now, for a VM or a vCPU.
void view_vm_stats(Vm& vm, StatsView* view);
void view_vcpu_stats(Vcpu& vcpu, StatsView* view);

// KVM_GET_STATS_FD: a new read-only fd holding a reference on the VM.
kxx::Result<long> get_vm_stats_fd(Vm& vm);
kxx::Result<long> get_vcpu_stats_fd(Vcpu& vcpu);

}  // namespace kvmpp
