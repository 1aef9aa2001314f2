// SPDX-License-Identifier: GPL-2.0
// The 8259A pair. The first input byte picks one of two scripts:
//  - the model alone (irq/pic.hpp): port writes and reads (ICWs, OCWs,
//    polls, ELCRs), line levels, INTA cycles and KVM_GET/SET_IRQCHIP state
//    with hostile fields; checked after each step: requests and vectors in
//    range, INTA putting what it returns in service, the ELCR within its
//    mask, a state round trip changing nothing;
//  - a VM with the in-kernel irqchip, weighted towards the PIC: its ports
//    on the port bus, KVM_IRQ_LINE on GSIs 0-15, KVM_SET_IRQCHIP, the run
//    loop's INTA through LINT0 in ExtINT mode (irq_vm.hpp).
#include <arch/x86/kvm/irq/pic.hpp>

#include "core_session.hpp"
#include "irq_vm.hpp"

namespace {

using kvmpp::x86::Pic8259;
using kvmpp::x86::PicPair;

void check_chip(const Pic8259& c) {
  int p = c.pending_irq();
  FUZZ_CHECK(p >= -1 && p <= 7);
  if (p >= 0) FUZZ_CHECK((c.irr() & ~c.imr()) & (1u << p));
  FUZZ_CHECK((c.irq_base() & 7) == 0);
  FUZZ_CHECK(c.priority_add() <= 7);
  kvm_pic_state s;
  c.get_state(&s);
  FUZZ_CHECK((s.elcr & ~s.elcr_mask) == 0);
  FUZZ_CHECK(s.init_state <= 3);
}

void round_trip(Pic8259& c) {
  kvm_pic_state a, b;
  c.get_state(&a);
  c.set_state(a);
  c.get_state(&b);
  FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

uint16_t pick_port(fuzz::Input& in) {
  static constexpr uint16_t kPorts[] = {0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1};
  uint8_t how = in.u8();
  return how < 240 ? kPorts[how % 6] : in.u16();
}

void fuzz_model(fuzz::Input& in) {
  PicPair pic;
  for (int step = 0; step < 300 && !in.empty(); step++) {
    switch (in.u8() % 9) {
      case 0:
      case 1: {
        uint16_t port = pick_port(in);
        bool ours = port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 || port == 0x4d0 ||
                    port == 0x4d1;
        FUZZ_CHECK(pic.pio_write(port, in.u8()) == ours);
        break;
      }
      case 2: {
        uint8_t v = 0;
        (void)pic.pio_read(pick_port(in), &v);
        break;
      }
      case 3:
      case 4: {
        unsigned irq = in.u8() % 17;
        pic.set_irq(irq, in.flag());
        break;
      }
      case 5: {
        bool had = pic.has_interrupt();
        Pic8259& m = pic.master();
        int line = m.pending_irq();
        uint8_t master_isr = m.isr();
        uint8_t vector = pic.ack();
        if (!had) {
          // Spurious: IR7 of the master, nothing put in service.
          FUZZ_CHECK(vector == uint8_t(m.irq_base() + 7));
          FUZZ_CHECK(m.isr() == master_isr);
        } else if (line != 2) {
          FUZZ_CHECK(vector == uint8_t(m.irq_base() + line));
        } else {
          FUZZ_CHECK((vector & 0xf8) == pic.slave().irq_base());
        }
        break;
      }
      case 6:
      case 7: {
        Pic8259& c = in.flag() ? pic.slave() : pic.master();
        kvm_pic_state s;
        c.get_state(&s);
        unsigned changes = in.u8() % 6;
        for (unsigned k = 0; k < changes; k++) {
          size_t at = in.u8() % sizeof(s);
          reinterpret_cast<uint8_t*>(&s)[at] = in.u8();
        }
        c.set_state(s);
        round_trip(c);
        break;
      }
      default: pic.reset(); break;
    }
    check_chip(pic.master());
    check_chip(pic.slave());
  }
}

constexpr uint8_t kWeights[fuzz::IrqVm::kNumOps] = {
    4,   // kApicMmio
    2,   // kIoapicMmio
    30,  // kPort
    3,   // kGuestMsr
    2,   // kHostMsr
    6,   // kSetLapic (LINT0 in and out of ExtINT mode)
    16,  // kIrqLine
    2,   // kSignalMsi
    4,   // kEvents
    14,  // kRun (INTA)
    4,   // kTime
    1,   // kTpr
    14,  // kSetIrqchip
    2,   // kPitState
    4,   // kRouting
    1,   // kFillBus
    3,   // kAllocFailure
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A split irqchip has no PIC or I/O APIC in the kernel.
  return fuzz::run_irq_target(data, size, fuzz_model, kWeights, 0, fuzz::IrqVm::kSplit);
}
