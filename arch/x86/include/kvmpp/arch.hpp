// SPDX-License-Identifier: GPL-2.0
// What the generic core needs to know about x86 (selected by include path).
#pragma once

#include <abi/kvm_abi.h>
#include <kvmpp/x86_state.h>
#include <kvmpp/stats.hpp>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

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
// Dirty page tracking (KVM_MEM_LOG_DIRTY_PAGES): write_protect_gfns().
inline constexpr bool kHasDirtyLog = true;
// KVM_CREATE_VM types: only the default VM.
inline constexpr uint64_t kSupportedVmTypes = uint64_t(1) << KVM_X86_DEFAULT_VM;
// errno of an unknown ioctl on a VM and on a vCPU fd (upstream x86).
inline constexpr kxx::Errno kUnknownVmIoctl = kxx::Errno::kNoTty;
inline constexpr kxx::Errno kUnknownVcpuIoctl = kxx::Errno::kInval;

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
  kVcpuStatExits,               // every exit from the guest
  kVcpuStatIoExits,             // port I/O intercepts
  kVcpuStatMmioExits,           // KVM_EXIT_MMIO returns to user space
  kVcpuStatHaltExits,           // HLT intercepts
  kVcpuStatIrqExits,            // exits for a host interrupt or NMI
  kVcpuStatSignalExits,         // KVM_RUN returns for a pending signal
  kVcpuStatPfTaken,             // nested page faults
  kVcpuStatPfFixed,             // ... that mapped guest RAM
  kVcpuStatPfEmulate,           // ... that went to the instruction emulator
  kVcpuStatInsnEmulation,       // instructions emulated (MMIO)
  kVcpuStatInsnEmulationFail,   // KVM_EXIT_INTERNAL_ERROR for emulation
  kVcpuStatTlbFlush,            // guest TLB flushes requested of this vCPU
  kVcpuStatIrqWindowExits,      // exits when the guest could take an interrupt
  kVcpuStatIrqInjections,       // interrupts from the local APIC injected
  kVcpuStatHaltWakeup,          // halted (in-kernel HLT) vCPU made runnable again
  kVcpuStatNmiInjections,       // NMIs injected
  kVcpuStatHaltAttemptedPoll,   // halts that polled (virt/kvm/halt_poll.hpp)
  kVcpuStatHaltSuccessfulPoll,  // ... and were woken while polling
  kVcpuStatHaltPollSuccessNs,   // time polled by those
  kVcpuStatHaltPollFailNs,      // time polled by the others
  kVcpuStatHaltWaitNs,          // time asleep in halts
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
    {"nmi_injections", kStatCounter},
    {"halt_attempted_poll", kStatCounter},
    {"halt_successful_poll", kStatCounter},
    {"halt_poll_success_ns", kStatCounter},
    {"halt_poll_fail_ns", kStatCounter},
    {"halt_wait_ns", kStatCounter},
};

// Per-vCPU architecture state: private to the x86 layer (arch/x86/kvm/x86.hpp);
// the core holds it by pointer.
struct VcpuState;
kxx::Result<VcpuState*> vcpu_state_create();
void vcpu_state_destroy(VcpuState* state);
// Statistic @index (a VcpuStat) of a vCPU, for its stats file.
uint64_t vcpu_stat(const VcpuState& state, unsigned index);

}  // namespace kvmpp::arch

#include <kvmpp/arch_api.hpp>
