// SPDX-License-Identifier: GPL-2.0
// The run loop and the exits it handles: port I/O, MMIO emulation, the
// other intercepts, and emulation failures.
#pragma once

#include "../x86.hpp"

namespace kvmpp::x86 {

kxx::Result<Next> handle_io(Vcpu& vcpu, const x86_exit& exit);
kxx::Status complete_io(Vcpu& vcpu);
// MMIO emulation (x86_mmio.cpp): emulate the instruction at RIP; finish a
// read with the data user space put in kvm_run.
// Emulate the instruction at RIP, which faulted on @gpa (a @write found no
// writable RAM there).
kxx::Result<Next> handle_mmio(Vcpu& vcpu, uint64_t gpa, bool write);
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
// STI at RIP, where it cannot fault (real mode, or CPL <= IOPL outside
// virtual-8086 mode): execute it here (x86_exits.cpp). Returns whether it did.
bool step_sti(Vcpu& vcpu);
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

// Guest debugging (run/debug.cpp). set_guest_debug: KVM_SET_GUEST_DEBUG;
// kGuestDebugControl: the control bits it implements (KVM_CAP_SET_GUEST_DEBUG2).
inline constexpr uint32_t kGuestDebugControl = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
                                               KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP |
                                               KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP |
                                               KVM_GUESTDBG_BLOCKIRQ;
kxx::Status set_guest_debug(Vcpu& vcpu, unsigned long uarg);
// KVM_GUESTDBG_BLOCKIRQ: no interrupt or NMI is injected (or wakes a halt).
bool interrupts_held(Vcpu& vcpu);
// Fill run.debug for the next entry; returns whether RFLAGS.TF was set for
// the debugger, to be cleared again by debug_finish_exit after the run.
bool debug_prepare_entry(Vcpu& vcpu, x86_run& run);
void debug_finish_exit(Vcpu& vcpu, bool trap_flag_set);
// Move the pending exception (VcpuState::exception) into the injection
// slot if that is free, delivering its payload.
void inject_pending_exception(Vcpu& vcpu);
// Put a #PF's or #DB's payload into CR2 or DR6.
void deliver_payload(x86_state& s, uint8_t vector, uint64_t payload);
// Without KVM_CAP_EXCEPTION_PAYLOAD, before user space reads CR2, DR6 or
// the events: the pending exception's payload goes into its register now,
// since user space may not carry it over (as upstream).
void deliver_payload_for_save(Vcpu& vcpu);
// A #DB for the guest with @payload (DR6 bits), unless one already waits.
void queue_pending_db(Vcpu& vcpu, uint64_t payload);
// The #DB (X86_EXIT_DEBUG; @dr6 as the hardware left it) and #BP exits:
// KVM_EXIT_DEBUG for the debugger's, the guest's own passed on.
Next handle_debug_exception(Vcpu& vcpu, uint64_t dr6);
Next handle_breakpoint(Vcpu& vcpu);
// A MOV to or from a debug register with DR7.GD set (SDM "Debug Control
// Register"): KVM_EXIT_DEBUG when the debugger set it, else a #DB (DR6.BD)
// for the guest; the access does not happen either way.
enum class GeneralDetect { kNone, kUser, kGuest };
GeneralDetect general_detect(Vcpu& vcpu);
// Before an entry with nothing to inject, while the debugger single-steps:
// an STI is executed by the layer and its step reported (KVM_EXIT_DEBUG
// filled in, returns true), because QEMU 7.2's TCG drops the single-step
// trap after STI; on hardware the result is the same.
bool debug_step_sti(Vcpu& vcpu);
// After the layer completed an instruction itself (RIP moved from
// @linear_rip_before, no event raised): the single-step trap the hardware
// would have taken. Returns true with KVM_EXIT_DEBUG filled in when the
// debugger is stepping; queues the guest's #DB when the guest is.
bool step_completed(Vcpu& vcpu, uint64_t linear_rip_before);

}  // namespace kvmpp::x86
