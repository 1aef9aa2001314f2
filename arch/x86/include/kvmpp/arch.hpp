// SPDX-License-Identifier: GPL-2.0
// What the generic core needs to know about x86 (selected by include path).
#pragma once

#include <abi/kvm_abi.h>
#include <kvmpp/x86_state.h>
#include <arch/x86/kvm/emulate/emulate.hpp>
#include <arch/x86/kvm/mmu/tdp.hpp>
#include <kvmpp/stats.hpp>
#include <kvmpp/x86_pv_state.hpp>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp::x86 {
struct VcpuApic;
}  // namespace kvmpp::x86

namespace kvmpp::arch {

// Limits, with upstream x86 KVM's values: 4096 vCPUs, ids up to 4x that.
inline constexpr unsigned kMaxVcpus = 4096;
inline constexpr unsigned kMaxVcpuIds = kMaxVcpus * 4;
// The vCPU mmap area: page 0 is kvm_run, page 1 holds port-I/O data (both
// the vCPU's own), page 2 the VM's coalesced MMIO/PIO ring (shared by all
// its vCPUs; KVM_CAP_COALESCED_MMIO answers its offset).
inline constexpr unsigned kVcpuMmapPages = 3;
inline constexpr unsigned kVcpuOwnPages = 2;
inline constexpr unsigned kPioPage = 1;
inline constexpr unsigned kCoalescedMmioPage = KVM_COALESCED_MMIO_PAGE_OFFSET;
static_assert(kCoalescedMmioPage == kVcpuOwnPages && kVcpuMmapPages == kCoalescedMmioPage + 1);
// KVM_PRE_FAULT_MEMORY is implemented (pre_fault_page()).
inline constexpr bool kHasPreFaultMemory = true;
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

// A guest RDMSR/WRMSR that exited to user space (KVM_CAP_X86_USER_SPACE_MSR),
// finished by the next KVM_RUN unless user space moved RIP.
struct PendingMsr {
  bool active = false;
  bool write = false;
  uint8_t len = 0;  // of the instruction
  uint64_t insn_linear_rip = 0;
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
  uint64_t platform_info = 0;
  uint64_t misc_features_enables = 0;
  uint64_t power_ctl = 0;
};

inline constexpr unsigned kNoCpu = ~0u;

// Statistics (KVM_GET_STATS_FD), with upstream's names where the meaning is
// the same. VM: after the generic ones; sampled from the TDP tables.
enum VmStat : unsigned {
  kVmStatPages4k = kGenericVmStats,  // 4 KiB leaves in the TDP tables now
  kVmStatPages2m,                    // 2 MiB leaves
  kNumVmStats
};
inline constexpr StatDesc kArchVmStatDescs[unsigned(kNumVmStats) - kGenericVmStats] = {
    {"pages_4k", kStatInstant},
    {"pages_2m", kStatInstant},
};
// vCPU: all counted by the x86 layer.
enum VcpuStat : unsigned {
  kVcpuStatExits,              // every exit from the guest
  kVcpuStatIoExits,            // port I/O intercepts
  kVcpuStatMmioExits,          // KVM_EXIT_MMIO returns to user space
  kVcpuStatHaltExits,          // HLT intercepts
  kVcpuStatIrqExits,           // exits for a host interrupt or NMI
  kVcpuStatSignalExits,        // KVM_RUN returns for a pending signal
  kVcpuStatPfTaken,            // nested page faults
  kVcpuStatPfFixed,            // ... that mapped guest RAM
  kVcpuStatPfEmulate,          // ... that went to the instruction emulator
  kVcpuStatInsnEmulation,      // instructions emulated (MMIO)
  kVcpuStatInsnEmulationFail,  // KVM_EXIT_INTERNAL_ERROR for emulation
  kVcpuStatTlbFlush,           // guest TLB flushes requested of this vCPU
  kVcpuStatIrqWindowExits,     // exits when the guest could take an interrupt
  kVcpuStatIrqInjections,      // interrupts from the local APIC injected
  kVcpuStatHaltWakeup,         // halted (in-kernel HLT) vCPU made runnable again
  kNumVcpuStats
};
inline constexpr StatDesc kVcpuStatDescs[kNumVcpuStats] = {
    {"exits", kStatCounter},
    {"io_exits", kStatCounter},
    {"mmio_exits", kStatCounter},
    {"halt_exits", kStatCounter},
    {"irq_exits", kStatCounter},
    {"signal_exits", kStatCounter},
    {"pf_taken", kStatCounter},
    {"pf_fixed", kStatCounter},
    {"pf_emulate", kStatCounter},
    {"insn_emulation", kStatCounter},
    {"insn_emulation_fail", kStatCounter},
    {"tlb_flush", kStatCounter},
    {"irq_window_exits", kStatCounter},
    {"irq_injections", kStatCounter},
    {"halt_wakeup", kStatCounter},
};

// Per-vCPU architecture state.
struct VcpuState {
  uint32_t mp_state = KVM_MP_STATE_RUNNABLE;
  x86_state regs{};
  PendingIo pending_io;
  PendingMmio pending_mmio;
  PendingMsr pending_msr;
  x86::emu::MmioReadCache mmio_cache;
  x86::PageCache tdp_pages;    // table pages for the next TDP fault
  void* fpu = nullptr;         // the guest's FPU state (glue handle)
  unsigned last_cpu = kNoCpu;  // where the guest last ran; kNoCpu: never
  uint64_t apic_base = 0;
  // KVM_SET_CPUID2's table (x86_cpuid.cpp), owned; empty until set.
  kvm_cpuid_entry2* cpuid = nullptr;
  unsigned cpuid_nent = 0;
  MsrState msrs;
  PvVcpuState pv;
  // The in-kernel local APIC (x86_irqchip.hpp); null without an irqchip.
  x86::VcpuApic* apic = nullptr;
  Stats<kNumVcpuStats> stats;
};

}  // namespace kvmpp::arch

#include <kvmpp/arch_api.hpp>
