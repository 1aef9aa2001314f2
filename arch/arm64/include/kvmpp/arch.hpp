// SPDX-License-Identifier: GPL-2.0
// What the generic core needs to know about arm64 (selected by include path).
// The EL2 backend does not exist yet: this is the generic core's arm64 build.
#pragma once

#include <uapi/kvm_abi.h>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp {
class Vm;
class Vcpu;
struct MemslotChange;
}  // namespace kvmpp

namespace kvmpp::arch {

inline constexpr unsigned kMaxVcpus = 512;
inline constexpr unsigned kMaxVcpuIds = kMaxVcpus;
inline constexpr unsigned kVcpuMmapPages = 1;     // kvm_run only
inline constexpr uint64_t kSupportedVmTypes = 1;  // type 0 (default IPA size)
inline constexpr kxx::Errno kUnknownVmIoctl = kxx::Errno::kInval;
inline constexpr kxx::Errno kUnknownVcpuIoctl = kxx::Errno::kInval;

struct VcpuState {};

long check_extension(const Vm* vm, long cap);
long dev_ioctl(unsigned int cmd, unsigned long arg);
long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg);
long vcpu_ioctl(Vcpu& vcpu, unsigned int cmd, unsigned long arg);
kxx::Status vm_enable_cap(Vm& vm, const kvm_enable_cap& cap);
// A memory slot was deleted, moved or changed (slots lock held for writing):
// drop every guest mapping of the old range.
void memslot_changed(Vm& vm, const MemslotChange& change);

}  // namespace kvmpp::arch
