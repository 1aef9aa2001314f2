// SPDX-License-Identifier: GPL-2.0
// Interrupts in the run loop with an in-kernel local APIC: injection when the
// guest can take one, an interrupt window when it cannot yet, halting, and
// the INIT/SIPI start-up protocol (SDM vol. 3A, "MP Initialization").
#include <glue/glue.h>

#include "../run/run.hpp"
#include "../state/state.hpp"
#include "irqchip.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint64_t kRflagsIf = 1u << 9;
constexpr uint8_t kNmiVector = 2;

bool interrupts_enabled(const x86_state& s) {
  return (s.rflags & kRflagsIf) && !s.interrupt_shadow;
}

// INIT: the processor state of an INIT (APIC base and MSRs kept), then wait
// for a SIPI; SIPI: start in real mode at vector * 4096.
void accept_init_sipi(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  // Senders set these under the lock before posting the request that
  // brings the vCPU here; taking the request (an atomic exchange) orders
  // this peek after the stores, and a request still to come blocks the
  // entry. Nearly every entry finds neither: no lock for them.
  if (!a || (!__atomic_load_n(&a->init_pending, __ATOMIC_RELAXED) &&
             !__atomic_load_n(&a->sipi_pending, __ATOMIC_RELAXED)))
    return;
  bool init, sipi;
  uint8_t vector;
  {
    SpinLockGuard g(a->lock);
    init = a->init_pending;
    sipi = a->sipi_pending;
    vector = a->sipi_vector;
    a->init_pending = a->sipi_pending = false;
    if (init) {
      a->lapic.init();
      if (is_bsp(vcpu)) a->lapic.set_virtual_wire();  // the BSP, as at reset
    }
  }
  VcpuState& st = vcpu.arch();
  if (init) {
    uint64_t apic_base = st.apic_base;
    reset_state(vcpu);
    st.apic_base = apic_base;
    st.mp_state = KVM_MP_STATE_INIT_RECEIVED;
    kvmg_timer_cancel(a->timer);
  }
  // A SIPI only starts a processor that waits for one.
  if (sipi && st.mp_state == KVM_MP_STATE_INIT_RECEIVED) {
    x86_state& s = st.regs;
    s.seg[X86_CS].selector = uint16_t(vector) << 8;
    s.seg[X86_CS].base = uint64_t(vector) << 12;
    s.rip = 0;
    st.mp_state = KVM_MP_STATE_RUNNABLE;
  }
}

// Take the requests other threads posted: timer expiry, new interrupts.
void take_events(Vcpu& vcpu) {
  if (vcpu.take_request(Vcpu::kRequestTimer)) apic_service_timer(vcpu);
  vcpu.take_request(Vcpu::kRequestEvent);
  accept_init_sipi(vcpu);
}

void count_halt(Stats<arch::kNumVcpuStats>& stats, const HaltOutcome& h) {
  if (h.polled) {
    stats.inc(arch::kVcpuStatHaltAttemptedPoll);
    if (h.woke_in_poll) stats.inc(arch::kVcpuStatHaltSuccessfulPoll);
    stats.add(h.woke_in_poll ? arch::kVcpuStatHaltPollSuccessNs : arch::kVcpuStatHaltPollFailNs,
              h.poll_ns);
  }
  stats.add(arch::kVcpuStatHaltWaitNs, h.wait_ns);
}

// What ends a halt: an interrupt the guest would take, or an event queued
// for delivery.
bool halt_ends(Vcpu& vcpu) {
  const x86_state& s = vcpu.arch().regs;
  if (s.event.valid || vcpu.arch().exception.valid) return true;
  if (vcpu.arch().nmi_pending || vcpu.arch().nmi_queued.load()) return true;
  return interrupts_enabled(s) && apic_pending_interrupt(vcpu) >= 0;
}

// NMIs before the entry: fold in what other threads queued (at most two
// wait, as on x86: one latched behind one in service), end the blocking
// once the guest's IRET has run, and inject one when nothing blocks it.
// Returns whether to open the interrupt window to come back soon.
bool prepare_nmi(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  x86_state& s = st.regs;
  st.want_iret_exit = false;
  // One NMI can wait behind one in service (or being injected); two when
  // none is.
  if (uint32_t q = st.nmi_queued.exchange(0)) {
    bool in_service = st.nmi_masked || (s.event.valid && s.event.type == X86_EVENT_NMI);
    st.nmi_pending = uint8_t(kxx::min(in_service ? 1u : 2u, st.nmi_pending + q));
  }
  // The IRET that was about to run has run when RIP moved on.
  if (st.nmi_iret_seen && linear_rip(s) != st.nmi_iret_rip) {
    st.nmi_iret_seen = false;
    st.nmi_masked = false;
  }
  if (!st.nmi_pending) return false;
  if (st.nmi_masked) {
    // Blocked until the IRET: see it coming, then come back after it.
    if (st.nmi_iret_seen) return true;
    st.want_iret_exit = true;
    return false;
  }
  if (s.event.valid || s.interrupt_shadow) return true;
  s.event = {1, kNmiVector, X86_EVENT_NMI, 0, 0};
  st.nmi_pending--;
  st.nmi_masked = true;
  st.stats.inc(arch::kVcpuStatNmiInjections);
  return false;
}

}  // namespace

void nmi_iret_exit(Vcpu& vcpu) {
  // The IRET runs when the guest resumes; the next entry checks it ran.
  VcpuState& st = vcpu.arch();
  st.nmi_iret_seen = true;
  st.nmi_iret_rip = linear_rip(st.regs);
}

void queue_nmi(Vcpu& vcpu) {
  vcpu.arch().nmi_queued.fetch_add(1);
  vcpu.post_request(Vcpu::kRequestEvent);
}

bool prepare_interrupts(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  // A debugger stepping with KVM_GUESTDBG_BLOCKIRQ: no NMI or interrupt is
  // injected and no window opens; what arrives waits for the end of the
  // stepping (a halt still ends, as upstream). KVM_INTERRUPT's vector is
  // one user space already injected: it goes in regardless, as upstream.
  const bool held = interrupts_held(vcpu);
  if (held && vcpu_apic(vcpu)) {
    take_events(vcpu);
    apic_tpr_to_cr8(vcpu);
    return false;
  }
  if (!vcpu_apic(vcpu)) {
    vcpu.take_request(Vcpu::kRequestEvent);  // KVM_NMI's; nothing else posts it here
    bool nmi_window = held ? false : prepare_nmi(vcpu);
    // No irqchip: KVM_INTERRUPT's vector goes in as soon as no other event
    // occupies the injection slot.
    if (st.extint_vector >= 0 && !st.regs.event.valid) {
      st.regs.event = {1, uint8_t(st.extint_vector), X86_EVENT_INTR, 0, 0};
      st.extint_vector = -1;
    }
    return nmi_window;
  }
  take_events(vcpu);
  // An NMI goes before any interrupt.
  if (prepare_nmi(vcpu)) return true;
  x86_state& s = vcpu.arch().regs;
  if (apic_prepare_entry(vcpu) < 0) return false;
  // One event per entry: an exception (or a re-injected event) goes first,
  // and the window exit comes right after it is delivered.
  if (s.event.valid || !interrupts_enabled(s)) return true;
  int vector = apic_ack_interrupt(vcpu);
  if (vector < 0) return false;
  s.event = {1, uint8_t(vector), X86_EVENT_INTR, 0, 0};
  vcpu.arch().stats.inc(arch::kVcpuStatIrqInjections);
  return false;
}

kxx::Status wait_until_runnable(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  for (;;) {
    take_events(vcpu);
    if (st.mp_state == KVM_MP_STATE_HALTED && halt_ends(vcpu)) {
      st.mp_state = KVM_MP_STATE_RUNNABLE;
      st.stats.inc(arch::kVcpuStatHaltWakeup);
    }
    if (st.mp_state == KVM_MP_STATE_RUNNABLE) return kxx::OkStatus();
    HaltOutcome h;
    kxx::Status s = st.mp_state == KVM_MP_STATE_HALTED
                        ? vcpu.halt(Vcpu::kEntryBlockingRequests, h)
                        : vcpu.wait_for_request(Vcpu::kEntryBlockingRequests);
    count_halt(st.stats, h);
    TRY_STATUS(s);
  }
}

kxx::Status wait_uninitialized(Vcpu& vcpu) {
  TRY_STATUS(vcpu.wait_for_request(Vcpu::kEntryBlockingRequests));
  take_events(vcpu);
  return kxx::Errno::kAgain;
}

kxx::Status set_mp_state_apic(Vcpu& vcpu, uint32_t state) {
  VcpuState& st = vcpu.arch();
  switch (state) {
    case KVM_MP_STATE_RUNNABLE:
    case KVM_MP_STATE_UNINITIALIZED:
    case KVM_MP_STATE_INIT_RECEIVED:
    case KVM_MP_STATE_HALTED: st.mp_state = state; return kxx::OkStatus();
    case KVM_MP_STATE_SIPI_RECEIVED: {
      // A SIPI that arrived and was not yet handled (as upstream: the
      // vector is the one last latched).
      VcpuApic* a = vcpu_apic(vcpu);
      {
        SpinLockGuard g(a->lock);
        a->sipi_pending = true;
      }
      st.mp_state = KVM_MP_STATE_INIT_RECEIVED;
      return kxx::OkStatus();
    }
    default: return kxx::Errno::kInval;
  }
}

}  // namespace kvmpp::x86
