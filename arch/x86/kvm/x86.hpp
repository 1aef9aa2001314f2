// SPDX-License-Identifier: GPL-2.0
// Declarations shared by the x86 layer's files (not seen by the core).
#pragma once

#include <kvmpp/arch.hpp>
#include <kvmpp/mutex.hpp>
#include <kxx/result.hpp>
#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include "mmu/tdp.hpp"
#include "x86_msr_filter.hpp"

namespace kvmpp::x86 {
struct Irqchip;
}  // namespace kvmpp::x86

namespace kvmpp::arch {

// The VM's TSC reference (x86_tsc.cpp): the last TSC write that vCPUs
// synchronize with, and the offset it chose.
struct TscSync {
  Spinlock lock;
  bool valid = false;
  bool user_set = false;  // user space has written a TSC
  uint64_t value = 0;     // the guest TSC at host_tsc
  uint64_t host_tsc = 0;  // when it was written
  uint64_t offset = 0;
};

// Per-VM x86 state.
struct VmState {
  x86::Tdp tdp{x86::kNptFormat};
  TscSync tsc;
  // KVM_SET_NR_MMU_PAGES: a cap on shadow-paging pages upstream. There is
  // no shadow paging here, so it limits nothing; it is kept for GET.
  unsigned long nr_mmu_pages = 0;
  // KVM_X86_SET_MSR_FILTER and the MSR capabilities (x86_msr_filter.hpp).
  x86::MsrPolicy msr_policy;
  // KVM_CAP_EXIT_ON_EMULATION_FAILURE (x86_emulation_failure.cpp).
  kxx::Atomic<bool> exit_on_emulation_failure{false};
  PvVmState pv;
  // KVM_CREATE_IRQCHIP's PIC pair and I/O APIC; set once, before any vCPU
  // exists (read with acquire: x86::irqchip()).
  x86::Irqchip* irqchip = nullptr;
  // KVM_CAP_X2APIC_API: KVM_GET/SET_LAPIC carry 32-bit x2APIC IDs; an
  // xAPIC-format 0xff does not broadcast to x2APIC destinations.
  bool x2apic_format = false;
  bool x2apic_broadcast_quirk_disabled = false;
};

}  // namespace kvmpp::arch

namespace kvmpp::x86 {

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
inline constexpr uint8_t kUdVector = 6, kGpVector = 13, kPfVector = 14;

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

// Queue an exception for the next entry.
void queue_exception(x86_state& s, uint8_t vector, bool has_error = false, uint32_t error = 0);
// Advance RIP past an instruction of @len bytes, wrapping as the code size does.
void advance_rip(x86_state& s, unsigned len);

// Guest memory by guest-physical address, through the memory slots (takes
// the slots lock for reading). -EFAULT when not backed by a slot.
kxx::Status read_gpa(Vm& vm, uint64_t gpa, void* buf, unsigned len);
kxx::Status write_gpa(Vm& vm, uint64_t gpa, const void* buf, unsigned len);

// The guest's own page tables (x86_walk.cpp).
enum Access : unsigned { kRead = 0, kWrite = 1, kFetch = 2 };
struct Translation {
  uint64_t gpa = 0;
  bool fault = false;       // a #PF the guest must see
  uint32_t error_code = 0;  // its error code
  bool writable = false;    // as far as the guest's tables allow
  bool user = false;
};
kxx::Result<Translation> translate(Vm& vm, const x86_state& s, uint64_t linear, unsigned access,
                                   bool supervisor);
// Read/write guest memory by linear address (faults become #PF for the guest
// and -EAGAIN for the caller: re-enter so the guest handles it).
kxx::Status read_linear(Vcpu& vcpu, uint64_t linear, void* buf, unsigned len, unsigned access);
kxx::Status write_linear(Vcpu& vcpu, uint64_t linear, const void* buf, unsigned len);

// Exit handling (one file each). Each returns kEnter to run the guest again,
// kUser to return from KVM_RUN with kvm_run filled in, or an error.
enum class Next { kEnter, kUser };
kxx::Result<Next> handle_io(Vcpu& vcpu, const x86_exit& exit);
kxx::Status complete_io(Vcpu& vcpu);
kxx::Result<Next> handle_tdp_fault(Vcpu& vcpu, const x86_exit& exit);
// MMIO emulation (x86_mmio.cpp): emulate the instruction at RIP; finish a
// read with the data user space put in kvm_run.
kxx::Result<Next> handle_mmio(Vcpu& vcpu);
kxx::Result<Next> complete_mmio(Vcpu& vcpu);
kxx::Result<Next> handle_other_exit(Vcpu& vcpu, const x86_exit& exit);
// Skip an instruction whose encoding the exit implies (no NRIP save on the
// emulated CPUs): @opcode must be what is at RIP, without prefixes; else
// the instruction is left for a KVM_EXIT_INTERNAL_ERROR.
kxx::Result<bool> skip_instruction(Vcpu& vcpu, const uint8_t* opcode, unsigned len);
// The segment OUTS reads from: DS or a segment-override prefix. The IOIO
// exit reports it only with decode assists, which the emulated CPU lacks.
unsigned string_source_segment(Vcpu& vcpu);
// An INTn/INT3/INTO being re-injected with RIP still on its instruction:
// move RIP past it so the event returns after it (x86_exits.cpp).
void step_over_soft_event(Vcpu& vcpu);
// Emulation failures (x86_emulation_failure.cpp), reported to user space as
// KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION with the
// instruction's bytes. report_emulation_failure: always exits, with the
// bytes at RIP (the instruction there is not the one the exit implies, or
// it runs in a mode the emulator does not handle).
Next report_emulation_failure(Vcpu& vcpu);
// The emulator could not execute @insn (@len bytes): an exit when
// KVM_CAP_EXIT_ON_EMULATION_FAILURE is enabled; otherwise #UD for the guest
// and, at CPL 0, the exit as well (as upstream).
Next emulator_failure(Vcpu& vcpu, const uint8_t* insn, unsigned len);
// Fill kvm_run with the failure and @len (at most 15) instruction bytes.
void fill_emulation_failure(Vcpu& vcpu, const uint8_t* insn, unsigned len);
kxx::Status enable_exit_on_emulation_failure(Vm& vm, uint64_t arg);

// Guest RDMSR/WRMSR of an instruction @len bytes long, at CPL 0
// (x86_msr_exit.cpp): the filter, the in-kernel MSRs, and the exits to user
// space of KVM_CAP_X86_USER_SPACE_MSR, completed by complete_msr on the next
// KVM_RUN.
kxx::Result<Next> guest_msr_access(Vcpu& vcpu, bool write, unsigned len);
void complete_msr(Vcpu& vcpu);
kxx::Status enable_user_space_msr(Vm& vm, uint64_t mask);

// CR4 bits the vCPU may not set: undefined ones and those of features its
// CPUID does not enumerate (x86_cr.cpp).
uint64_t cr4_reserved_bits(Vcpu& vcpu);

// KVM_GET/SET_REGS, KVM_GET/SET_SREGS (x86_regs.cpp).
kxx::Status get_regs(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_regs(Vcpu& vcpu, unsigned long uarg);
kxx::Status get_sregs(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_sregs(Vcpu& vcpu, unsigned long uarg);
kxx::Status get_sregs2(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_sregs2(Vcpu& vcpu, unsigned long uarg);
kxx::Status translate_ioctl(Vcpu& vcpu, unsigned long uarg);
uint64_t default_apic_base(unsigned vcpu_id);
// KVM_CAP_SYNC_REGS: the fields supported, and the copies in and out of
// kvm_run around KVM_RUN.
long sync_regs_mask();
kxx::Status sync_regs_in(Vcpu& vcpu);
void sync_regs_out(Vcpu& vcpu);

// KVM_GET/SET_DEBUGREGS (x86_debugregs.cpp).
kxx::Status get_debugregs(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_debugregs(Vcpu& vcpu, unsigned long uarg);

// KVM_GET/SET_VCPU_EVENTS (x86_events.cpp); also used by sync regs.
kvm_vcpu_events read_events(Vcpu& vcpu);
kxx::Status write_events(Vcpu& vcpu, const kvm_vcpu_events& e);
kxx::Status get_vcpu_events(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_vcpu_events(Vcpu& vcpu, unsigned long uarg);

// FPU/XSAVE/XCR ioctls (x86_fpu.cpp). guest_xcr0_mask: the XCR0 bits the
// guest may enable.
uint64_t guest_xcr0_mask(Vcpu& vcpu);
kxx::Status get_fpu(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_fpu(Vcpu& vcpu, unsigned long uarg);
kxx::Status get_xsave(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_xsave(Vcpu& vcpu, unsigned long uarg);
long xsave2_size();
kxx::Status get_xcrs(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_xcrs(Vcpu& vcpu, unsigned long uarg);

// Reset to the architectural power-on state (SDM "Processor State After
// Reset", APM "Processor Initialization State").
void reset_state(Vcpu& vcpu);

}  // namespace kvmpp::x86
