// SPDX-License-Identifier: GPL-2.0
// Interrupt controllers in user space (api.rst, "KVM_INTERRUPT",
// "KVM_CAP_SPLIT_IRQCHIP", and kvm_run's request_interrupt_window /
// ready_for_interrupt_injection): with no in-kernel irqchip, user space's
// PIC injects through KVM_INTERRUPT; with a split irqchip, the local APICs
// are the kernel's, KVM_INTERRUPT is the PIC's output on LINT0, MSIs
// (user space's I/O APIC sends those too) are routed in the kernel, and an
// EOI of a level-triggered vector of user space's I/O APIC exits with
// KVM_EXIT_IOAPIC_EOI.
#include <kvmpp/rcu.hpp>
#include <kvmpp/uaccess.hpp>
#include <kxx/new.hpp>
#include <kxx/unique_ptr.hpp>

#include "irqchip.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint64_t kRflagsIf = 1u << 9;

}  // namespace

kxx::Status enable_split_irqchip(Vm& vm, uint64_t pins) {
  if (pins > KVM_MAX_IRQ_ROUTES) return kxx::Errno::kInval;
  return vm.configure([&](bool have_vcpus) -> kxx::Status {
    // -EEXIST also once a vCPU exists (as upstream, unlike CREATE_IRQCHIP).
    if (irqchip(vm) || have_vcpus) return kxx::Errno::kExist;
    kxx::UniquePtr<Irqchip> chip(new (kxx::Alloc::kSleep) Irqchip);
    if (!chip) return kxx::Errno::kNoMem;
    chip->split = true;
    chip->reserved_ioapic_pins = uint32_t(pins);
    // No PIC or I/O APIC routes; nothing on the buses but the APICs' pages.
    chip->routing.store(TRY(RoutingTable::create(nullptr, 0, {true, false})));
    __atomic_store_n(&vm.arch()->irqchip, chip.release(), __ATOMIC_RELEASE);
    return kxx::OkStatus();
  });
}

kxx::Status interrupt_ioctl(Vcpu& vcpu, unsigned long uarg) {
  auto req = TRY(copy_from_user<kvm_interrupt>(uarg));
  if (req.irq >= 256) return kxx::Errno::kInval;
  VcpuState& st = vcpu.arch();
  Irqchip* chip = irqchip(vcpu.vm());
  if (chip && !chip->split) return kxx::Errno::kNxio;  // the PIC is the kernel's
  if (chip) {
    // Split: the PIC's output, taken when LINT0 accepts it.
    if (st.extint_vector >= 0) return kxx::Errno::kExist;
    st.extint_vector = int16_t(req.irq);
    vcpu.make_request(Vcpu::kRequestEvent);
    return kxx::OkStatus();
  }
  // No irqchip: injected at the next entry, whatever RFLAGS.IF says (user
  // space asked ready_for_interrupt_injection first); a second call before
  // that replaces the vector, as stock does.
  st.extint_vector = int16_t(req.irq);
  return kxx::OkStatus();
}

bool apic_accepts_extint(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return true;
  SpinLockGuard g(a->lock);
  uint32_t lvt0 = a->lapic.reg(apic::kLvtLint0);
  bool extint = ((lvt0 >> 8) & 7) == uint32_t(ApicDeliveryMode::kExtInt);
  return !a->lapic.hw_enabled() || (extint && !(lvt0 & apic::kLvtMasked));
}

bool user_interrupt_can_land(Vcpu& vcpu) {
  if (pic_in_kernel(vcpu.vm())) return false;
  return vcpu.arch().extint_vector < 0 && apic_accepts_extint(vcpu);
}

bool ready_for_user_interrupt(Vcpu& vcpu) {
  if (pic_in_kernel(vcpu.vm())) return true;
  const x86_state& s = vcpu.arch().regs;
  if (!(s.rflags & kRflagsIf) || s.interrupt_shadow || s.event.valid) return false;
  if (!user_interrupt_can_land(vcpu)) return false;
  // Split: nothing of the APIC's own waiting either.
  return !vcpu_apic(vcpu) || apic_pending_interrupt(vcpu) < 0;
}

void split_eoi(Vcpu& vcpu, uint8_t vector) {
  Irqchip* chip = irqchip(vcpu.vm());
  // Is @vector a level-triggered MSI of one of user space's I/O APIC pins
  // (the GSIs below reserved_ioapic_pins)?
  RcuReadGuard rcu;
  const RoutingTable* t = chip->routing.load();
  bool x2 = vcpu.vm().arch()->x2apic_format;
  for (uint32_t gsi = 0; gsi < chip->reserved_ioapic_pins; gsi++) {
    unsigned n;
    const Route* r = t->routes(gsi, &n);
    for (unsigned i = 0; i < n; i++) {
      if (r[i].type != KVM_IRQ_ROUTING_MSI) continue;
      MsiMessage m = decode_msi(r[i].address_lo, r[i].address_hi, r[i].data, x2);
      if (m.level_trigger && m.vector == vector) {
        vcpu.arch().eoi_exit_vector = vector;
        return;
      }
    }
  }
}

}  // namespace kvmpp::x86
