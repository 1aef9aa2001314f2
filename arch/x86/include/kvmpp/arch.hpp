// SPDX-License-Identifier: GPL-2.0
// What the generic core needs to know about x86 (selected by include path).
#pragma once

#include <kvmpp/x86_state.h>
#include <uapi/kvm_abi.h>
#include <arch/x86/kvm/emulate/emulate.hpp>
#include <arch/x86/kvm/mmu/tdp.hpp>
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
inline constexpr unsigned kPioPage = 1;
// KVM_CREATE_VM types: only the default VM.
inline constexpr uint64_t kSupportedVmTypes = uint64_t(1) << KVM_X86_DEFAULT_VM;
// errno of an unknown ioctl on a VM and on a vCPU fd (upstream x86).
inline constexpr kxx::Errno kUnknownVmIoctl = kxx::Errno::kNoTty;
inline constexpr kxx::Errno kUnknownVcpuIoctl = kxx::Errno::kInval;

// An exit to user space that the next KVM_RUN must finish (the data of an
// IN, the instruction pointer of an OUT, the rest of a string I/O).
struct PendingIo {
  bool active = false;
  bool in = false;
  bool string = false;
  bool rep = false;
  uint8_t size = 0;
  uint8_t addr_size = 0;
  uint32_t count = 0;
  uint64_t next_rip = 0;
  uint64_t linear = 0;           // INS: where the data goes
  uint64_t insn_linear_rip = 0;  // CS.base + RIP of the I/O instruction
};

// An MMIO read waiting for its data from user space.
struct PendingMmio {
  bool active = false;
  uint64_t insn_linear_rip = 0;
  uint64_t gpa = 0;
  uint8_t len = 0;
};

// MSRs the x86 layer keeps itself (x86_msr.cpp, x86_tsc.cpp); those the
// hardware switches live in x86_state.
struct MsrState {
  uint64_t mtrr_def_type = 0;
  uint64_t mtrr_fixed[11] = {};
  uint64_t mtrr_var[16] = {};  // PHYSBASE0, PHYSMASK0, PHYSBASE1, ...
  uint64_t misc_enable = 0;
  uint64_t ucode_rev = 0;
  uint64_t hwcr = 0;
  uint64_t tsc_aux = 0;
  uint64_t tsc_adjust = 0;
};

inline constexpr unsigned kNoCpu = ~0u;

// Per-vCPU architecture state.
struct VcpuState {
  uint32_t mp_state = KVM_MP_STATE_RUNNABLE;
  x86_state regs{};
  PendingIo pending_io;
  PendingMmio pending_mmio;
  x86::emu::MmioReadCache mmio_cache;
  x86::PageCache tdp_pages;    // table pages for the next TDP fault
  void* fpu = nullptr;         // the guest's FPU state (glue handle)
  unsigned last_cpu = kNoCpu;  // where the guest last ran; kNoCpu: never
  uint64_t apic_base = 0;
  // KVM_SET_CPUID2's table (x86_cpuid.cpp), owned; empty until set.
  kvm_cpuid_entry2* cpuid = nullptr;
  unsigned cpuid_nent = 0;
  MsrState msrs;
};

// Per-VM architecture state (the TDP page tables), created with the VM.
struct VmState;
kxx::Result<VmState*> vm_init(Vm& vm);
void vm_destroy(VmState* state);

// vCPU set-up and tear-down (the architectural reset state, the FPU).
kxx::Status vcpu_init(Vcpu& vcpu);
void vcpu_destroy(Vcpu& vcpu);
// KVM_RUN: returns 0 with kvm_run filled in, or -errno (-EINTR for a signal).
long vcpu_run(Vcpu& vcpu);

// Capabilities the x86 layer implements; 0 for the rest. @vm is null for
// KVM_CHECK_EXTENSION on /dev/kvm.
long check_extension(const Vm* vm, long cap);
// x86 ioctls on /dev/kvm the generic core does not handle (unknown: -EINVAL).
long dev_ioctl(unsigned int cmd, unsigned long arg);
// x86 VM and vCPU ioctls the generic core does not handle itself.
long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg);
long vcpu_ioctl(Vcpu& vcpu, unsigned int cmd, unsigned long arg);
kxx::Status vm_enable_cap(Vm& vm, const kvm_enable_cap& cap);
// A memory slot was committed (slots lock held for writing, MMU lock held):
// drop every guest mapping the change makes stale.
void memslot_changed(Vm& vm, const MemslotChange& change);
// Drop the guest mappings of [start, end) (MMU lock held). Returns whether
// anything was mapped, i.e. whether TLBs need a flush.
bool zap_gfns(Vm& vm, uint64_t start, uint64_t end);

}  // namespace kvmpp::arch
