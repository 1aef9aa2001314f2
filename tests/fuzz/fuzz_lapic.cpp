// SPDX-License-Identifier: GPL-2.0
// The local APIC. The first input byte picks one of two scripts:
//  - the model alone (irq/lapic.hpp): xAPIC register and x2APIC MSR
//    accesses, IA32_APIC_BASE transitions, interrupts accepted and
//    acknowledged, time and the timer, KVM_GET/SET_LAPIC state with hostile
//    registers; checked after each step against the model's own rules
//    (priorities, the timer count, what a state round trip keeps);
//  - a VM with an in-kernel (full or split) irqchip and vCPUs, weighted
//    towards the APICs: the xAPIC page on the MMIO bus, APIC MSRs from the
//    guest and from KVM_SET_MSRS, KVM_SET_LAPIC, IPIs, MSIs, the timer and
//    the run loop's injection (irq_vm.hpp).
#include <arch/x86/kvm/irq/lapic.hpp>

#include "core_session.hpp"
#include "irq_vm.hpp"

namespace {

using kvmpp::x86::ApicWriteEffect;
using kvmpp::x86::Lapic;
namespace apic = kvmpp::x86::apic;

constexpr unsigned kNumRegs = sizeof(apic::kRegOffsets) / sizeof(apic::kRegOffsets[0]);

uint32_t reg_of(const kvm_lapic_state& s, uint32_t off) {
  uint32_t v;
  memcpy(&v, &s.regs[off], 4);
  return v;
}

// What the model must keep whatever was done to it.
void check_model(Lapic& l) {
  FUZZ_CHECK(!l.x2apic_mode() || l.hw_enabled());
  int irr = l.highest_irr(), isr = l.highest_isr(), p = l.highest_pending_irr();
  FUZZ_CHECK(irr >= -1 && irr <= 255 && isr >= -1 && isr <= 255);
  FUZZ_CHECK(p == -1 || p == irr);
  if (p >= 0) FUZZ_CHECK((uint32_t(p) & 0xf0) > (l.ppr() & 0xf0));
  // PPR is TPR or the in-service class, whichever is higher.
  uint32_t tpr = l.reg(apic::kTpr) & 0xff;
  FUZZ_CHECK(l.ppr() == tpr || l.ppr() == (uint32_t(isr) & 0xf0));
  FUZZ_CHECK(l.ppr() >= (tpr & 0xf0));
  // The current count never exceeds the initial count.
  FUZZ_CHECK(l.current_count() <= l.reg(apic::kTmict));
}

// KVM_GET_LAPIC then KVM_SET_LAPIC of the same state changes nothing but
// the running count (restarted from the initial count).
void check_round_trip(Lapic& l) {
  auto* a = new kvm_lapic_state();
  auto* b = new kvm_lapic_state();
  l.get_state(a);
  l.set_state(*a);
  l.get_state(b);
  memcpy(&a->regs[apic::kTmcct], &b->regs[apic::kTmcct], 4);
  FUZZ_CHECK(memcmp(a, b, sizeof(*a)) == 0);
  delete a;
  delete b;
}

uint32_t pick_offset(fuzz::Input& in) {
  uint8_t how = in.u8();
  if (how < 200) return apic::kRegOffsets[how % kNumRegs];
  if (how < 240) return (in.u16() & 0x3ff) & ~0xfu;
  return in.u16();
}

uint64_t pick_base(fuzz::Input& in) {
  uint8_t b = in.u8();
  uint64_t bits = ((b & 1) ? apic::kBaseBsp : 0) | ((b & 2) ? apic::kBaseExtd : 0) |
                  ((b & 4) ? apic::kBaseEnable : 0);
  return (b & 0x80) ? in.value64() : apic::kDefaultBase | bits;
}

void check_effect(const ApicWriteEffect& e) {
  if (e.ipi) {
    auto m = uint8_t(e.ipi_msg.mode);
    FUZZ_CHECK(m <= 7 && m != 3);
    // Fixed and lowest-priority IPIs with vectors 0-15 are never sent.
    if (m <= 1) FUZZ_CHECK(e.ipi_msg.vector >= 16);
  }
}

void fuzz_model(fuzz::Input& in) {
  uint32_t bus_cycle = in.u8() % 4;
  Lapic l(bus_cycle);
  uint64_t now = 1000000000;
  l.set_now(now);
  for (int step = 0; step < 200 && !in.empty(); step++) {
    switch (in.u8() % 16) {
      case 0: {
        uint32_t id = in.value32();
        l.reset(id, in.flag());
        break;
      }
      case 1: l.init(); break;
      case 2: (void)l.set_apic_base(pick_base(in)); break;
      case 3: {
        uint32_t off = pick_offset(in);
        off += in.u8() % 4;
        auto r = l.read(off, in.u8() % 5);
        (void)r;
        break;
      }
      case 4:
      case 5: {
        uint32_t off = pick_offset(in);
        auto r = l.write(off, in.value32());
        if (r.ok()) check_effect(r.value());
        break;
      }
      case 6: {
        auto r = l.read_msr(in.flag() ? apic::kX2apicMsrBase + in.u8() : in.value32());
        (void)r;
        break;
      }
      case 7: {
        uint32_t msr = in.flag() ? apic::kX2apicMsrBase + (pick_offset(in) >> 4) : in.value32();
        auto r = l.write_msr(msr, in.value64());
        if (r.ok()) check_effect(r.value());
        break;
      }
      case 8:
      case 9: {
        uint8_t v = in.u8();
        bool took = l.accept_interrupt(v, in.flag());
        if (took) FUZZ_CHECK(l.irr_test(v));
        break;
      }
      case 10: {
        int v = l.ack();
        if (v >= 0) FUZZ_CHECK(l.isr_test(uint8_t(v)) && !l.irr_test(uint8_t(v)));
        break;
      }
      case 11: {
        uint8_t how = in.u8();
        uint64_t delta = how < 128 ? in.u16() : how < 250 ? in.u32() : in.value64() >> 8;
        now += delta;
        l.set_now(now);
        break;
      }
      case 12: {
        uint64_t expiry = l.next_timer_expiry();
        bool fired = l.poll_timer();
        if (fired) FUZZ_CHECK(expiry && expiry <= now);
        break;
      }
      case 13: l.set_tsc_deadline(in.flag() ? now + in.u32() : in.value64()); break;
      case 14: {
        // KVM_SET_LAPIC with some registers changed.
        auto* s = new kvm_lapic_state();
        l.get_state(s);
        unsigned changes = in.u8() % 8;
        for (unsigned k = 0; k < changes; k++) {
          uint32_t off = in.flag() ? apic::kRegOffsets[in.u8() % kNumRegs]
                                   : in.u16() % (KVM_APIC_REG_SIZE - 3);
          uint32_t v = in.value32();
          memcpy(&s->regs[off], &v, 4);
        }
        l.set_state(*s);
        // The version register is the model's.
        auto* t = new kvm_lapic_state();
        l.get_state(t);
        FUZZ_CHECK(reg_of(*t, apic::kVersion) == apic::kVersionValue);
        delete t;
        delete s;
        break;
      }
      default:
        if (in.flag())
          l.set_virtual_wire();
        else
          check_round_trip(l);
        break;
    }
    check_model(l);
  }
}

// Operation weights for the VM script, in irq_vm.hpp's order.
constexpr uint8_t kWeights[fuzz::IrqVm::kNumOps] = {
    30,  // kApicMmio
    3,   // kIoapicMmio
    3,   // kPort
    20,  // kGuestMsr
    8,   // kHostMsr
    14,  // kSetLapic
    6,   // kIrqLine
    10,  // kSignalMsi
    8,   // kEvents
    12,  // kRun
    10,  // kTime
    6,   // kTpr
    3,   // kSetIrqchip
    1,   // kPitState
    3,   // kRouting
    1,   // kFillBus
    3,   // kAllocFailure
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::run_irq_target(data, size, fuzz_model, kWeights);
}
