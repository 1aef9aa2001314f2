// SPDX-License-Identifier: GPL-2.0
// The x86 layer's per-VM and per-vCPU state and the declarations every group
// of it shares (not seen by the core). Each folder has its own header:
// run/run.hpp, state/state.hpp, mmu/mmu.hpp, cpuid/cpuid.hpp, msr/msr.hpp,
// pv/pv.hpp, irq/irqchip.hpp.
#pragma once

#include <kvmpp/arch.hpp>
#include <kvmpp/mutex.hpp>
#include <kxx/result.hpp>
#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include "emulate/decode.hpp"
#include "mmu/tdp.hpp"
#include "msr/filter.hpp"
#include "pv/state.hpp"

namespace kvmpp::x86 {
struct Irqchip;
struct PitDevice;
struct VcpuApic;
}  // namespace kvmpp::x86

namespace kvmpp::arch {

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

// MSRs the x86 layer keeps itself (msr/msr.cpp, msr/tsc.cpp); those the
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

// Machine-check banks (msr/mce.cpp, api.rst "KVM_X86_SETUP_MCE"): MCG_CAP
// gives the number of banks and the features; each bank has CTL, STATUS,
// ADDR and MISC (banks[4 * i + 0..3]) and CTL2. Kept across INIT, as on
// the hardware; a new vCPU has every bank and no feature until user space
// sets MCG_CAP.
struct MceState {
  static constexpr unsigned kMaxBanks = 32;
  uint64_t mcg_cap = kMaxBanks;
  uint64_t mcg_status = 0;
  uint64_t mcg_ctl = 0;
  uint64_t banks[kMaxBanks * 4] = {};
  uint64_t ctl2[kMaxBanks] = {};
  // An uncorrected error's #MC, waiting for the event in flight to go.
  bool mc_pending = false;
};

// The VM's TSC reference (msr/tsc.cpp): the last TSC write that vCPUs
// synchronize with, and the offset it chose.
struct TscSync {
  Spinlock lock{KVMPP_LOCK_CLASS("kvm.x86.lock")};
  bool valid = false;
  bool user_set = false;  // user space has written a TSC
  uint64_t value = 0;     // the guest TSC at host_tsc
  uint64_t host_tsc = 0;  // when it was written
  uint64_t offset = 0;
};

// KVM_SET_GUEST_DEBUG (run/debug.cpp): what the debugger asked for. The
// guest's own debug registers stay in x86_state, untouched.
struct GuestDebug {
  uint32_t control = 0;  // KVM_GUESTDBG_*; 0 while debugging is off
  uint64_t dr[4] = {};   // KVM_GUESTDBG_USE_HW_BP: the debugger's DR0-DR3, DR7
  uint64_t dr7 = 0;
};

// An exception raised but not yet being delivered ("pending" in api.rst,
// KVM_GET_VCPU_EVENTS): from user space with KVM_CAP_EXCEPTION_PAYLOAD,
// from KVM_GUESTDBG_INJECT_DB/BP, or a #DB passed on to the guest. Its
// payload (a #PF's CR2, a #DB's DR6 bits) reaches the guest's registers only
// when it moves into the injection slot (x86_state.event) before an entry.
// Exceptions the layer raises itself go straight into that slot.
struct PendingException {
  bool valid = false;
  uint8_t vector = 0;
  bool has_error = false;
  uint32_t error_code = 0;
  bool has_payload = false;
  uint64_t payload = 0;
};

// Per-VM x86 state.
struct VmState {
  x86::Tdp tdp{x86::kNptFormat};
  TscSync tsc;
  // KVM_SET_NR_MMU_PAGES: a cap on shadow-paging pages upstream. There is
  // no shadow paging here, so it limits nothing (KVM_GET_NR_MMU_PAGES is
  // gone from 6.12, as here: -ENOTTY).
  unsigned long nr_mmu_pages = 0;
  // KVM_SET_TSS_ADDR / KVM_SET_IDENTITY_MAP_ADDR: regions VMX's emulation
  // of real mode uses; SVM needs neither, but keeps what user space set.
  uint64_t tss_addr = 0;
  uint64_t identity_map_addr = 0;
  // KVM_X86_SET_MSR_FILTER and the MSR capabilities (msr/filter.hpp).
  x86::MsrPolicy msr_policy;
  // KVM_CAP_EXIT_ON_EMULATION_FAILURE (run/emulation_failure.cpp).
  kxx::Atomic<bool> exit_on_emulation_failure{false};
  PvVmState pv;
  // KVM_CREATE_IRQCHIP's PIC pair and I/O APIC; set once, before any vCPU
  // exists (read with acquire: x86::irqchip()).
  x86::Irqchip* irqchip = nullptr;
  // KVM_CREATE_PIT2's PIT (irq/pit_device.cpp); published once.
  x86::PitDevice* pit = nullptr;
  // KVM_CAP_X2APIC_API: KVM_GET/SET_LAPIC carry 32-bit x2APIC IDs; an
  // xAPIC-format 0xff does not broadcast to x2APIC destinations.
  bool x2apic_format = false;
  // KVM_CAP_X86_TRIPLE_FAULT_EVENT: vCPU events report and accept a
  // pending triple fault.
  kxx::Atomic<bool> triple_fault_event{false};
  // KVM_CAP_EXCEPTION_PAYLOAD: vCPU events tell pending exceptions from
  // injected ones and carry payloads.
  kxx::Atomic<bool> exception_payload{false};
  // KVM_SET_BOOT_CPU_ID: the vCPU id that starts as the BSP.
  unsigned bsp_vcpu_id = 0;
  bool x2apic_broadcast_quirk_disabled = false;
};

// Per-vCPU architecture state.
struct VcpuState {
  uint32_t mp_state = KVM_MP_STATE_RUNNABLE;
  x86_state regs{};
  PendingIo pending_io;
  PendingMmio pending_mmio;
  PendingMsr pending_msr;
  x86::emu::MmioReadCache mmio_cache;
  x86::emu::DecodeCache decode_cache;  // instructions emulated before
  x86::PageCache tdp_pages;            // table pages for the next TDP fault
  void* fpu = nullptr;                 // the guest's FPU state (glue handle)
  unsigned last_cpu = kNoCpu;          // where the guest last ran; kNoCpu: never
  uint64_t apic_base = 0;
  // KVM_SET_CPUID2's table (cpuid/cpuid.cpp), owned; empty until set.
  kvm_cpuid_entry2* cpuid = nullptr;
  unsigned cpuid_nent = 0;
  MsrState msrs;
  MceState mce;
  // A triple fault to report as KVM_EXIT_SHUTDOWN before the next entry
  // (an uncorrected machine check the guest cannot take, or user space's
  // KVM_SET_VCPU_EVENTS with KVM_CAP_X86_TRIPLE_FAULT_EVENT).
  bool triple_fault_pending = false;
  PendingException exception;
  GuestDebug debug;
  PvVcpuState pv;
  // The in-kernel local APIC (irq/irqchip.hpp); null without an irqchip.
  x86::VcpuApic* apic = nullptr;
  // NMIs (irq/inject.cpp): queued by other threads (KVM_NMI, APIC
  // messages) and folded into nmi_pending before each entry; at most two
  // wait. nmi_masked: an NMI is in service until its IRET, which the run
  // loop sees coming (X86_EXIT_IRET) and then sees completed (RIP moved).
  kxx::Atomic<uint32_t> nmi_queued{0};
  uint8_t nmi_pending = 0;
  bool nmi_masked = false;
  bool nmi_iret_seen = false;
  uint64_t nmi_iret_rip = 0;
  bool want_iret_exit = false;
  // KVM_TPR_ACCESS_REPORTING (irq/vapic.cpp): after a guest access to the
  // xAPIC's TPR, KVM_RUN returns KVM_EXIT_TPR_ACCESS with its RIP.
  bool tpr_access_reporting = false;
  bool tpr_access_pending = false;
  bool tpr_access_write = false;
  uint64_t tpr_access_rip = 0;
  // KVM_INTERRUPT's vector until it is injected (-1: none).
  int16_t extint_vector = -1;
  // A split irqchip's EOI for user space's I/O APIC (-1: none).
  int16_t eoi_exit_vector = -1;
  Stats<kNumVcpuStats> stats;
};

}  // namespace kvmpp::arch

namespace kvmpp::x86 {

using arch::GuestDebug;
using arch::PendingException;
using arch::PendingIo;
using arch::VcpuState;

// Architectural constants used across files (SDM vol. 3A, "Control Registers").
inline constexpr uint64_t kCr0Pe = 1ull << 0, kCr0Mp = 1ull << 1, kCr0Em = 1ull << 2;
inline constexpr uint64_t kCr0Ts = 1ull << 3, kCr0Et = 1ull << 4, kCr0Ne = 1ull << 5;
inline constexpr uint64_t kCr0Wp = 1ull << 16, kCr0Am = 1ull << 18, kCr0Nw = 1ull << 29;
inline constexpr uint64_t kCr0Cd = 1ull << 30, kCr0Pg = 1ull << 31;
inline constexpr uint64_t kCr4Pse = 1ull << 4, kCr4Pae = 1ull << 5, kCr4La57 = 1ull << 12;
inline constexpr uint64_t kCr4Osxsave = 1ull << 18;
inline constexpr uint64_t kEferSce = 1ull << 0, kEferLme = 1ull << 8, kEferLma = 1ull << 10;
inline constexpr uint64_t kEferNxe = 1ull << 11;
inline constexpr uint64_t kRflagsFixed = 1ull << 1, kRflagsDf = 1ull << 10;

// Exception vectors.
inline constexpr uint8_t kDbVector = 1, kBpVector = 3, kOfVector = 4;
inline constexpr uint8_t kUdVector = 6, kGpVector = 13, kPfVector = 14;
inline constexpr uint64_t kRflagsTf = 1ull << 8, kRflagsOf = 1ull << 11;
// DR6 and DR7 bits (SDM vol. 3B, "Debug Registers"). kDr6ActiveLow: the
// bits that read as 1 when no condition is reported (RTM is active low).
inline constexpr uint64_t kDr6ActiveLow = 0xffff0ff0, kDr6Bd = 1ull << 13, kDr6Bs = 1ull << 14;
inline constexpr uint64_t kDr7Gd = 1ull << 13;
// DR7's bits a MOV can set, and the one that reads as 1 (SDM vol. 3B,
// "Debug Control Register (DR7)"; bits 63:32 must be 0).
inline constexpr uint64_t kDr7Writable = 0xffff2bff;
inline constexpr uint64_t kDr7Fixed1 = 0x400;

inline bool long_mode(const x86_state& s) { return s.efer & kEferLma; }
// The current privilege level: 0 in real mode, 3 in virtual-8086 mode.
inline unsigned cpl(const x86_state& s) {
  constexpr uint64_t kRflagsVm = 1ull << 17;
  if (!(s.cr0 & kCr0Pe)) return 0;
  return (s.rflags & kRflagsVm) ? 3 : s.seg[X86_SS].dpl;
}
inline bool code64(const x86_state& s) { return long_mode(s) && s.seg[X86_CS].l; }
// Where the current instruction is: a pending completion only applies if
// user space left RIP there (as upstream).
inline uint64_t linear_rip(const x86_state& s) { return s.seg[X86_CS].base + s.rip; }

// What an exit handler decided: kEnter kEnter to run the guest again,
// kUser to return from KVM_RUN with kvm_run filled in, or an error.
enum class Next { kEnter, kUser };

// Whether @vcpu is the bootstrap processor (KVM_SET_BOOT_CPU_ID).
inline bool is_bsp(Vcpu& vcpu) { return vcpu.id() == vcpu.vm().arch()->bsp_vcpu_id; }

// Queue an exception for the next entry.
void queue_exception(x86_state& s, uint8_t vector, bool has_error = false, uint32_t error = 0);
// Advance RIP past an instruction of @len bytes, wrapping as the code size does.
void advance_rip(x86_state& s, unsigned len);

}  // namespace kvmpp::x86
