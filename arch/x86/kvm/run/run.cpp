// SPDX-License-Identifier: GPL-2.0
// KVM_RUN on x86: finish the previous user-space exit, then enter the guest
// until an exit needs user space, a signal arrives, or an error occurs.
#include <glue/glue.h>
#include <glue/x86.h>
#include <kvmpp/uaccess.hpp>
#include <kxx/scope_guard.hpp>

#include "../irq/irqchip.hpp"
#include "../mmu/mmu.hpp"
#include "../msr/msr.hpp"
#include "../pv/pv.hpp"
#include "../state/state.hpp"
#include "run.hpp"

namespace kvmpp::x86 {
namespace {

// One entry into the guest. Interrupts are off from the last check of
// requests and signals until the exit, so a kick cannot be missed.
kxx::Status enter_guest(Vcpu& vcpu, x86_run& run, bool irq_window) {
  int cpu = kvmg_x86_entry_begin();
  if (cpu < 0) return kxx::Errno::kIo;
  vcpu.arch().last_cpu = unsigned(cpu);
  run.cpu = unsigned(cpu);
  vcpu.enter_guest_mode(unsigned(cpu));
  run.flags = vcpu.take_request(Vcpu::kRequestTlbFlush) ? X86_RUN_FLUSH_TLB : 0;
  if (irq_window) run.flags |= X86_RUN_IRQ_WINDOW;
  if (vcpu.arch().want_iret_exit) run.flags |= X86_RUN_IRET_WINDOW;
  // An interrupt or timer request that came after prepare_interrupts()
  // looked, or a pvclock update: go round again rather than enter without it.
  if (kvmg_entry_must_wait() ||
      vcpu.has_request(Vcpu::kEntryBlockingRequests | Vcpu::kRequestClockUpdate)) {
    if (run.flags & X86_RUN_FLUSH_TLB) vcpu.make_request(Vcpu::kRequestTlbFlush);
    vcpu.exit_guest_mode();
    kvmg_x86_entry_cancel();
    run.exit = {};
    run.exit.kind = X86_EXIT_INTR;
    return kxx::OkStatus();
  }
  kvmg_guest_enter_irqoff();
  int r = vcpu.vm().backend().vcpu_run(vcpu.backend_vcpu(), &run);
  kvmg_guest_exit_irqoff();
  vcpu.exit_guest_mode();
  kvmg_x86_entry_end();
  if (r) return kxx::Errno(-r);
  auto& stats = vcpu.arch().stats;
  stats.inc(arch::kVcpuStatExits);
  if (run.exit.kind == X86_EXIT_INTR) stats.inc(arch::kVcpuStatIrqExits);
  if (run.exit.kind == X86_EXIT_IRQ_WINDOW) stats.inc(arch::kVcpuStatIrqWindowExits);
  if (run.flags & X86_RUN_FLUSH_TLB) stats.inc(arch::kVcpuStatTlbFlush);
  return kxx::OkStatus();
}

kxx::Result<Next> handle_exit(Vcpu& vcpu, const x86_exit& exit) {
  kvm_run* kr = vcpu.run();
  switch (exit.kind) {
    case X86_EXIT_NONE:
    case X86_EXIT_INTR:
    case X86_EXIT_IRQ_WINDOW: return Next::kEnter;
    case X86_EXIT_IRET: nmi_iret_exit(vcpu); return Next::kEnter;
    case X86_EXIT_IO: return handle_io(vcpu, exit);
    case X86_EXIT_TDP_FAULT: return handle_tdp_fault(vcpu, exit);
    case X86_EXIT_SHUTDOWN: kr->exit_reason = KVM_EXIT_SHUTDOWN; return Next::kUser;
    case X86_EXIT_DEBUG: return handle_debug_exception(vcpu, exit.info[0]);
    case X86_EXIT_BREAKPOINT: return handle_breakpoint(vcpu);
    case X86_EXIT_FAIL_ENTRY:
      kr->exit_reason = KVM_EXIT_FAIL_ENTRY;
      kr->fail_entry.hardware_entry_failure_reason = exit.hw_reason;
      kr->fail_entry.cpu = vcpu.arch().last_cpu;
      return Next::kUser;
    default: return handle_other_exit(vcpu, exit);
  }
}

}  // namespace

}  // namespace kvmpp::x86

namespace kvmpp::arch {

void kick_async(Vcpu& vcpu) {
  unsigned cpu;
  if (vcpu.in_guest_on(&cpu)) kvmg_x86_kick_cpu_async(cpu);
}

static long run_loop(Vcpu& vcpu) {
  using namespace x86;
  kvm_run* kr = vcpu.run();
  VcpuState& st = vcpu.arch();
  uint64_t rip_before = linear_rip(st.regs);
  if (auto s = complete_io(vcpu); !s.ok()) return s.to_ret();
  complete_msr(vcpu);
  // Finishing an MMIO read may itself need user space (a read-modify-write
  // writes next).
  if (auto next = complete_mmio(vcpu); !next.ok() || next.value() == Next::kUser)
    return next.ok() ? 0 : next.error().to_ret();
  // The instruction user space finished was the step.
  if (step_completed(vcpu, rip_before)) return 0;
  // exit_reason keeps what the last exit said (the selftest library reads
  // a completed KVM_EXIT_IO again after an immediate exit), as upstream.
  if (kr->immediate_exit) return -long(kxx::Errno::kIntr);
  // A processor waiting for INIT returns to user space after each event.
  if (st.mp_state == KVM_MP_STATE_UNINITIALIZED && vcpu_apic(vcpu)) {
    auto s = wait_uninitialized(vcpu);
    if (!s.ok() && s.error().code == kxx::Errno::kIntr) {
      st.stats.inc(arch::kVcpuStatSignalExits);
      kr->exit_reason = KVM_EXIT_INTR;
    }
    return s.to_ret();
  }

  pv_prepare_run(vcpu);
  kvmg_fpu_load_guest(st.fpu);
  auto put_fpu = kxx::defer([&] { kvmg_fpu_put_guest(st.fpu); });
  x86_run run{};
  run.state = &st.regs;
  run.host_xcr0 = kvmg_x86_host_xcr0();
  run.host_pku = kvmg_x86_host_has_pku();
  run.tdp_root = vcpu.vm().arch()->tdp.root_pa();
  if (disabled_exits(vcpu.vm()) & KVM_X86_DISABLE_EXITS_HLT) run.passthrough |= X86_PASSTHROUGH_HLT;
  for (;;) {
    if (kvmg_signal_pending()) {
      vcpu.arch().stats.inc(arch::kVcpuStatSignalExits);
      kr->exit_reason = KVM_EXIT_INTR;
      return -long(kxx::Errno::kIntr);
    }
    kvmg_cond_resched();
    // A halted vCPU, or one waiting for INIT/SIPI, sleeps here.
    if (st.mp_state != KVM_MP_STATE_RUNNABLE) {
      if (auto s = wait_until_runnable(vcpu); !s.ok()) {
        if (s.error().code == kxx::Errno::kIntr) st.stats.inc(arch::kVcpuStatSignalExits);
        kr->exit_reason = KVM_EXIT_INTR;
        return s.to_ret();
      }
    }
    if (kxx::exchange(st.triple_fault_pending, false)) {
      kr->exit_reason = KVM_EXIT_SHUTDOWN;
      return 0;
    }
    // The VMM must harvest the dirty ring (and reset it) before the guest
    // may dirty more; again on every KVM_RUN until it has.
    if (DirtyRing* ring = vcpu.dirty_ring(); ring && ring->soft_full()) {
      kr->exit_reason = KVM_EXIT_DIRTY_RING_FULL;
      return 0;
    }
    pv_prepare_entry(vcpu);
    // Events to queue before the interrupts: a machine check, a pending
    // exception, and stepping over a software interrupt's instruction
    // (which the exception may ask for). Each does nothing without its
    // condition; nearly every entry has none.
    if (st.mce.mc_pending || st.exception.valid || st.regs.event_at_insn) {
      mce_prepare_entry(vcpu);
      inject_pending_exception(vcpu);
      step_over_soft_event(vcpu);
    }
    bool irq_window = prepare_interrupts(vcpu);
    // User space's PIC wants to inject: exit as soon as the guest can take
    // an interrupt (KVM_EXIT_IRQ_WINDOW_OPEN), if it could land at all.
    bool user_window = kr->request_interrupt_window && user_interrupt_can_land(vcpu);
    const bool debugged = st.debug.control != 0;
    if (debugged && debug_step_sti(vcpu)) return 0;
    vapic_sync_to_guest(vcpu);
    bool trap_flag = false;
    if (debugged)
      trap_flag = debug_prepare_entry(vcpu, run);
    else
      run.debug.flags = 0;
    const uint64_t cr8 = st.regs.cr8;  // the TPR's, since prepare_interrupts()
    auto entered = enter_guest(vcpu, run, irq_window || user_window);
    if (trap_flag) debug_finish_exit(vcpu, trap_flag);
    if (!entered.ok()) return entered.to_ret();
    // The guest wrote CR8: the TPR follows (no lock when it did not).
    if (st.regs.cr8 != cr8) apic_cr8_to_tpr(vcpu);
    vapic_sync_from_guest(vcpu);
    rip_before = linear_rip(st.regs);
    auto next = handle_exit(vcpu, run.exit);
    if (!next.ok()) return next.error().to_ret();
    if (next.value() == Next::kUser) return 0;
    if (step_completed(vcpu, rip_before)) return 0;
    if (take_tpr_access_exit(vcpu)) return 0;
    if (st.eoi_exit_vector >= 0) {
      kr->exit_reason = KVM_EXIT_IOAPIC_EOI;
      kr->eoi.vector = uint8_t(kxx::exchange(st.eoi_exit_vector, int16_t(-1)));
      return 0;
    }
    if (user_window && ready_for_user_interrupt(vcpu)) {
      kr->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
      return 0;
    }
  }
}

// kvm_run's register fields around KVM_RUN (api.rst, "kvm_run"): CR8 comes
// in from user space unless an in-kernel local APIC owns it, and CR8, the
// APIC base and the interrupt flag go out after every return.
static long apply_run_inputs(Vcpu& vcpu) {
  if (x86::vcpu_apic(vcpu)) return 0;
  uint64_t cr8 = vcpu.run()->cr8;
  if (cr8 > 15) return to_ret(kxx::Errno::kInval);
  vcpu.arch().regs.cr8 = cr8;
  return 0;
}

static void fill_run_outputs(Vcpu& vcpu) {
  const x86_state& s = vcpu.arch().regs;
  kvm_run* kr = vcpu.run();
  constexpr uint64_t kRflagsIf = 1u << 9;
  kr->if_flag = (s.rflags & kRflagsIf) != 0;
  kr->cr8 = s.cr8;
  kr->apic_base = vcpu.arch().apic_base;
  // With the PIC in the kernel, user space never injects (upstream reports 1).
  kr->ready_for_interrupt_injection = x86::ready_for_user_interrupt(vcpu);
  kr->flags = 0;
}

long vcpu_run(Vcpu& vcpu) {
  long r = apply_run_inputs(vcpu);
  if (r == 0) {
    if (auto s = x86::sync_regs_in(vcpu); !s.ok())
      r = s.to_ret();
    else
      r = run_loop(vcpu);
  }
  x86::sync_regs_out(vcpu);
  fill_run_outputs(vcpu);
  return r;
}

}  // namespace kvmpp::arch
