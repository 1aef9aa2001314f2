// SPDX-License-Identifier: GPL-2.0
// KVM_GET/SET_VCPU_EVENTS (api.rst, "KVM_GET_VCPU_EVENTS"): the exception,
// interrupt or NMI being injected, pending NMIs and NMI blocking, and the
// interrupt shadow. There is one event in flight at a time
// (x86_state.event), as on the hardware, plus one exception raised but not
// yet delivered (VcpuState::exception). With KVM_CAP_EXCEPTION_PAYLOAD user
// space sees and sets that one as "pending", with its payload; without it,
// it reads as pending and injected both, and its payload reaches CR2 or DR6
// as soon as user space reads state that shows them (as upstream: user
// space may not carry the payload over). Exceptions the layer raises
// itself are injected at once, their CR2 or DR6 already written: that is a
// state the ABI can express with or without payloads. There is no SMM, so
// a request for it is refused (-EINVAL). A pending triple fault is exchanged
// once user space enabled KVM_CAP_X86_TRIPLE_FAULT_EVENT.
#include <kvmpp/uaccess.hpp>

#include "../run/run.hpp"
#include "../x86.hpp"
#include "state.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint8_t kNmiVector = 2;

bool vcpu_apic_present(Vcpu& vcpu) { return vcpu.arch().apic != nullptr; }

bool soft_exception(uint8_t vector) { return vector == kBpVector || vector == kOfVector; }

}  // namespace

kvm_vcpu_events read_events(Vcpu& vcpu) {
  const x86_state& s = vcpu.arch().regs;
  const bool payloads = vcpu.vm().arch()->exception_payload.load();
  deliver_payload_for_save(vcpu);
  kvm_vcpu_events e{};
  const x86_event& ev = s.event;
  if (ev.valid) {
    switch (ev.type) {
      case X86_EVENT_EXCEPTION:
        // #BP and #OF are not reported (the ABI has no instruction length
        // for them): the guest runs its INT3 or INTO again (as upstream).
        e.exception.injected = !soft_exception(ev.vector);
        e.exception.nr = ev.vector;
        e.exception.has_error_code = ev.has_error;
        e.exception.error_code = ev.error_code;
        break;
      case X86_EVENT_NMI: e.nmi.injected = 1; break;
      case X86_EVENT_INTR:
      case X86_EVENT_SOFT_INT:
        e.interrupt.injected = 1;
        e.interrupt.nr = ev.vector;
        e.interrupt.soft = ev.type == X86_EVENT_SOFT_INT;
        break;
      default: break;
    }
  }
  // KVM_INTERRUPT's vector waiting behind another event (no irqchip) is the
  // interrupt upstream reports as injected.
  if (!e.interrupt.injected && !vcpu_apic_present(vcpu) && vcpu.arch().extint_vector >= 0) {
    e.interrupt.injected = 1;
    e.interrupt.nr = uint8_t(vcpu.arch().extint_vector);
  }
  const VcpuState& st = vcpu.arch();
  // The exception not yet delivered (one behind an exception in flight has
  // no place in the ABI). Without KVM_CAP_EXCEPTION_PAYLOAD it also reads
  // as injected, as upstream conflates the two.
  const PendingException& ex = st.exception;
  if (ex.valid && !(ev.valid && ev.type == X86_EVENT_EXCEPTION)) {
    e.exception.nr = ex.vector;
    e.exception.has_error_code = ex.has_error;
    e.exception.error_code = ex.error_code;
    e.exception_has_payload = ex.has_payload;
    e.exception_payload = ex.payload;
    if (!soft_exception(ex.vector)) {
      e.exception.pending = 1;
      e.exception.injected = !payloads;
    }
  }
  e.nmi.pending = st.nmi_pending || st.nmi_queued.load() ? 1 : 0;
  e.nmi.masked = st.nmi_masked;
  // SVM has one interrupt-shadow bit; report it as the STI kind.
  e.interrupt.shadow = s.interrupt_shadow ? KVM_X86_SHADOW_INT_STI : 0;
  e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
  if (payloads) e.flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
  if (vcpu.vm().arch()->triple_fault_event.load()) {
    e.flags |= KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
    e.triple_fault.pending = st.triple_fault_pending;
  }
  return e;
}

kxx::Status write_events(Vcpu& vcpu, const kvm_vcpu_events& e) {
  constexpr uint32_t kKnown = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
                              KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM |
                              KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
  if (e.flags & ~kKnown) return kxx::Errno::kInval;
  // Payloads and pending exceptions need KVM_CAP_EXCEPTION_PAYLOAD; without
  // the flag, exception.pending and the payload are ignored (as upstream).
  bool payload_valid = e.flags & KVM_VCPUEVENT_VALID_PAYLOAD;
  if (payload_valid && !vcpu.vm().arch()->exception_payload.load()) return kxx::Errno::kInval;
  bool pending = payload_valid && e.exception.pending;
  bool exception_injected = e.exception.injected && !pending;  // pending wins
  // A triple fault needs KVM_CAP_X86_TRIPLE_FAULT_EVENT.
  bool triple = e.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
  if (triple && !vcpu.vm().arch()->triple_fault_event.load()) return kxx::Errno::kInval;
  if ((exception_injected || pending) && (e.exception.nr > 31 || e.exception.nr == kNmiVector))
    return kxx::Errno::kInval;
  // There is no SMM.
  if ((e.flags & KVM_VCPUEVENT_VALID_SMM) && (e.smi.smm || e.smi.pending))
    return kxx::Errno::kInval;
  unsigned injected = !!exception_injected + !!e.interrupt.injected + !!e.nmi.injected;
  if (injected > 1) return kxx::Errno::kInval;

  x86_state& s = vcpu.arch().regs;
  x86_event ev{};
  if (exception_injected) {
    ev = {1, e.exception.nr, X86_EVENT_EXCEPTION, e.exception.has_error_code,
          e.exception.error_code};
  } else if (e.interrupt.injected) {
    ev = {1, e.interrupt.nr, uint8_t(e.interrupt.soft ? X86_EVENT_SOFT_INT : X86_EVENT_INTR), 0, 0};
  } else if (e.nmi.injected) {
    ev = {1, kNmiVector, X86_EVENT_NMI, 0, 0};
  }
  s.event = ev;
  VcpuState& st = vcpu.arch();
  if (e.flags & KVM_VCPUEVENT_VALID_NMI_PENDING) {
    st.nmi_queued.store(0);
    st.nmi_pending = e.nmi.pending ? 1 : 0;
  }
  st.nmi_masked = e.nmi.masked;
  st.nmi_iret_seen = false;
  if (!vcpu_apic_present(vcpu)) vcpu.arch().extint_vector = -1;  // now in s.event, if any
  // User space hands over an event ready to deliver; a #BP or #OF is the
  // trap of the INT3 or INTO at RIP and returns after it (as upstream).
  s.event_at_insn = exception_injected && soft_exception(ev.vector);
  PendingException& ex = st.exception;
  ex = {};
  if (pending) {
    ex.valid = true;
    ex.vector = e.exception.nr;
    ex.has_error = e.exception.has_error_code;
    ex.error_code = e.exception.error_code;
    ex.has_payload = e.exception_has_payload;
    ex.payload = e.exception_has_payload ? e.exception_payload : 0;
  }
  if (e.flags & KVM_VCPUEVENT_VALID_SHADOW) s.interrupt_shadow = e.interrupt.shadow != 0;
  if (triple) st.triple_fault_pending = e.triple_fault.pending != 0;
  return kxx::OkStatus();
}

kxx::Status get_vcpu_events(Vcpu& vcpu, unsigned long uarg) {
  return copy_to_user(uarg, read_events(vcpu));
}

kxx::Status set_vcpu_events(Vcpu& vcpu, unsigned long uarg) {
  auto e = TRY(copy_from_user<kvm_vcpu_events>(uarg));
  return write_events(vcpu, e);
}

}  // namespace kvmpp::x86
