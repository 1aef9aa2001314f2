// SPDX-License-Identifier: GPL-2.0
// Guest debugging (api.rst, "KVM_SET_GUEST_DEBUG" and "KVM_EXIT_DEBUG"):
// software breakpoints (#BP exits), hardware breakpoints (the debugger's
// DR0-DR3/DR7 in the hardware while the guest runs, #DB exits), single steps
// (RFLAGS.TF set for the run and hidden from the guest, and a step reported
// after each instruction the layer completes itself), interrupts held back
// while stepping, and #DB/#BP injection. Also the pending-exception slot
// that KVM_GUESTDBG_INJECT_* and KVM_CAP_EXCEPTION_PAYLOAD share.
#include <kvmpp/uaccess.hpp>

#include "run.hpp"

namespace kvmpp::x86 {
namespace {

bool has(const VcpuState& st, uint32_t bits) { return st.debug.control & bits; }

// The DR7 the guest effectively runs with: the debugger's while it uses
// hardware breakpoints, else the guest's own.
uint64_t effective_dr7(const VcpuState& st) {
  return has(st, KVM_GUESTDBG_USE_HW_BP) ? st.debug.dr7 : st.regs.dr7;
}

Next exit_debug(Vcpu& vcpu, uint8_t vector, uint64_t dr6) {
  VcpuState& st = vcpu.arch();
  kvm_run* kr = vcpu.run();
  kr->exit_reason = KVM_EXIT_DEBUG;
  kr->debug.arch = {};
  kr->debug.arch.exception = vector;
  kr->debug.arch.pc = linear_rip(st.regs);
  if (vector == kDbVector) {
    kr->debug.arch.dr6 = dr6;
    kr->debug.arch.dr7 = effective_dr7(st);
  }
  return Next::kUser;
}

}  // namespace

kxx::Status set_guest_debug(Vcpu& vcpu, unsigned long uarg) {
  auto dbg = TRY(copy_from_user<kvm_guest_debug>(uarg));
  // Bits outside kGuestDebugControl are accepted and mean nothing, as in
  // Linux 6.12 (which checks none on x86).
  VcpuState& st = vcpu.arch();
  // The injection requests act whether or not debugging is enabled; only
  // one exception can wait (as upstream: -EBUSY).
  if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
    if (st.exception.valid || st.triple_fault_pending) return kxx::Errno::kBusy;
    st.exception = {};
    st.exception.valid = true;
    st.exception.vector = (dbg.control & KVM_GUESTDBG_INJECT_DB) ? kDbVector : kBpVector;
  }
  GuestDebug d;
  if (dbg.control & KVM_GUESTDBG_ENABLE) d.control = dbg.control;
  if (d.control & KVM_GUESTDBG_USE_HW_BP) {
    for (unsigned i = 0; i < 4; i++) d.dr[i] = dbg.arch.debugreg[i];
    d.dr7 = dbg.arch.debugreg[7];
  }
  st.debug = d;
  return kxx::OkStatus();
}

bool interrupts_held(Vcpu& vcpu) { return has(vcpu.arch(), KVM_GUESTDBG_BLOCKIRQ); }

bool debug_prepare_entry(Vcpu& vcpu, x86_run& run) {
  VcpuState& st = vcpu.arch();
  run.debug = {};
  if (has(st, KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP))
    run.debug.flags |= X86_DEBUG_INTERCEPT_DB;
  if (has(st, KVM_GUESTDBG_USE_SW_BP)) run.debug.flags |= X86_DEBUG_INTERCEPT_BP;
  if (has(st, KVM_GUESTDBG_USE_HW_BP)) {
    run.debug.flags |= X86_DEBUG_LOAD_DRS;
    for (unsigned i = 0; i < 4; i++) run.debug.dr[i] = st.debug.dr[i];
    // The hardware gets only DR7's architectural bits: a 1 in bits 63:32
    // makes MOV to DR7 fault in the host (found by ioctl_fuzz).
    // KVM_SET_GUEST_DEBUG takes any value, as upstream, and KVM_EXIT_DEBUG
    // reports it as given.
    run.debug.dr7 = (st.debug.dr7 & kDr7Writable) | kDr7Fixed1;
  }
  // The trap flag is the debugger's for this run only: the guest's own
  // RFLAGS.TF stays what it was.
  if (has(st, KVM_GUESTDBG_SINGLESTEP) && !(st.regs.rflags & kRflagsTf)) {
    st.regs.rflags |= kRflagsTf;
    return true;
  }
  return false;
}

void debug_finish_exit(Vcpu& vcpu, bool trap_flag_set) {
  if (trap_flag_set) vcpu.arch().regs.rflags &= ~kRflagsTf;
}

void deliver_payload(x86_state& s, uint8_t vector, uint64_t payload) {
  if (vector == kPfVector) {
    s.cr2 = payload;
  } else if (vector == kDbVector) {
    // The payload has the new conditions as 1s, active-low ones included
    // (bit 16: the #DB clears DR6.RTM); B0-B3 are replaced, the rest of
    // DR6 accumulates (SDM "Debug Status Register"). Bit 12 is the
    // pending-debug-exceptions field's, reserved in DR6.
    constexpr uint64_t kTrapBits = 0xf, kBit12 = 1ull << 12;
    s.dr6 = ((s.dr6 & ~kTrapBits) | kDr6ActiveLow | payload) ^ (payload & kDr6ActiveLow);
    s.dr6 &= ~kBit12;
  }
}

void inject_pending_exception(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  PendingException& ex = st.exception;
  x86_state& s = st.regs;
  if (!ex.valid || s.event.valid) return;
  if (ex.has_payload) deliver_payload(s, ex.vector, ex.payload);
  // The processor clears DR7.GD when it delivers a #DB (SDM "Debug
  // Control Register").
  if (ex.vector == kDbVector) s.dr7 &= ~kDr7Gd;
  queue_exception(s, ex.vector, ex.has_error, ex.error_code);
  // #BP and #OF are traps of the INT3/INTO at RIP: the guest's handler
  // returns after that instruction (run/exits.cpp steps over it).
  s.event_at_insn = ex.vector == kBpVector || ex.vector == kOfVector;
  ex = {};
}

void deliver_payload_for_save(Vcpu& vcpu) {
  PendingException& ex = vcpu.arch().exception;
  if (!ex.valid || !ex.has_payload || vcpu.vm().arch()->exception_payload.load()) return;
  deliver_payload(vcpu.arch().regs, ex.vector, ex.payload);
  ex.has_payload = false;
  ex.payload = 0;
}

void queue_pending_db(Vcpu& vcpu, uint64_t payload) {
  PendingException& ex = vcpu.arch().exception;
  if (ex.valid) return;  // one at a time: the first stands
  ex = {};
  ex.valid = true;
  ex.vector = kDbVector;
  ex.has_payload = true;
  ex.payload = payload;
}

Next handle_debug_exception(Vcpu& vcpu, uint64_t dr6) {
  VcpuState& st = vcpu.arch();
  if (has(st, KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP))
    return exit_debug(vcpu, kDbVector, dr6 | kDr6ActiveLow);
  // Not the debugger's: the guest's own #DB, with the conditions the
  // hardware reported.
  queue_pending_db(vcpu, dr6 ^ kDr6ActiveLow);
  return Next::kEnter;
}

Next handle_breakpoint(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  if (has(st, KVM_GUESTDBG_USE_SW_BP)) return exit_debug(vcpu, kBpVector, 0);
  // The guest's own INT3: deliver it, returning after the instruction.
  queue_exception(st.regs, kBpVector);
  st.regs.event_at_insn = 1;
  return Next::kEnter;
}

GeneralDetect general_detect(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  if (!(effective_dr7(st) & kDr7Gd)) return GeneralDetect::kNone;
  if (has(st, KVM_GUESTDBG_USE_HW_BP)) {
    exit_debug(vcpu, kDbVector, kDr6ActiveLow | kDr6Bd);
    return GeneralDetect::kUser;
  }
  queue_pending_db(vcpu, kDr6Bd);
  return GeneralDetect::kGuest;
}

bool debug_step_sti(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  if (!has(st, KVM_GUESTDBG_SINGLESTEP) || st.regs.event.valid || !step_sti(vcpu)) return false;
  exit_debug(vcpu, kDbVector, kDr6ActiveLow | kDr6Bs);
  return true;
}

bool step_completed(Vcpu& vcpu, uint64_t linear_rip_before) {
  VcpuState& st = vcpu.arch();
  if (linear_rip(st.regs) == linear_rip_before || st.regs.event.valid) return false;
  if (has(st, KVM_GUESTDBG_SINGLESTEP)) {
    exit_debug(vcpu, kDbVector, kDr6ActiveLow | kDr6Bs);
    return true;
  }
  // The guest single-steps itself: the instruction it did not run in the
  // hardware still ends with the trap.
  if (st.regs.rflags & kRflagsTf) queue_pending_db(vcpu, kDr6Bs);
  return false;
}

}  // namespace kvmpp::x86
