// SPDX-License-Identifier: GPL-2.0
// What the generic core needs to know about x86 (selected by include path).
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

// Limits, with upstream x86 KVM's values: 4096 vCPUs, ids up to 4x that.
inline constexpr unsigned kMaxVcpus = 4096;
inline constexpr unsigned kMaxVcpuIds = kMaxVcpus * 4;
// The vCPU mmap area: page 0 is kvm_run, page 1 holds port-I/O data.
inline constexpr unsigned kVcpuMmapPages = 2;
// KVM_CREATE_VM types: only the default VM.
inline constexpr uint64_t kSupportedVmTypes = uint64_t(1) << KVM_X86_DEFAULT_VM;
// errno of an unknown ioctl on a VM and on a vCPU fd (upstream x86).
inline constexpr kxx::Errno kUnknownVmIoctl = kxx::Errno::kNoTty;
inline constexpr kxx::Errno kUnknownVcpuIoctl = kxx::Errno::kInval;

// Per-vCPU architecture state.
struct VcpuState {
  uint32_t mp_state = KVM_MP_STATE_RUNNABLE;
};

// Capabilities the x86 layer implements; 0 for the rest. @vm is null for
// KVM_CHECK_EXTENSION on /dev/kvm.
long check_extension(const Vm* vm, long cap);
// x86 VM and vCPU ioctls the generic core does not handle itself.
long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg);
long vcpu_ioctl(Vcpu& vcpu, unsigned int cmd, unsigned long arg);
kxx::Status vm_enable_cap(Vm& vm, const kvm_enable_cap& cap);
// A memory slot was deleted, moved or changed (slots lock held for writing):
// drop every guest mapping of the old range.
void memslot_changed(Vm& vm, const MemslotChange& change);

}  // namespace kvmpp::arch
