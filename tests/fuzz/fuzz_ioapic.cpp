// SPDX-License-Identifier: GPL-2.0
// The I/O APIC. The first input byte picks one of two scripts:
//  - the model alone (irq/ioapic.hpp): IOREGSEL/IOWIN accesses, direct
//    register accesses, pin levels, EOIs and KVM_GET/SET_IRQCHIP state with
//    hostile redirection entries; checked after each step: messages only
//    from unmasked pins and carrying the entry's vector, read-only bits kept
//    by register writes, remote IRR set by level deliveries, a state round
//    trip changing nothing;
//  - a VM with the in-kernel irqchip, weighted towards the I/O APIC: its
//    MMIO window, KVM_IRQ_LINE, KVM_SET_IRQCHIP, GSI routes, and the local
//    APICs' EOIs that reach it (irq_vm.hpp).
#include <arch/x86/kvm/irq/ioapic.hpp>

#include "core_session.hpp"
#include "irq_vm.hpp"

namespace {

using kvmpp::x86::Ioapic;
using kvmpp::x86::IoapicMessage;
namespace ioapic = kvmpp::x86::ioapic;

// A message the model sent for @pin's entry @entry (read before the call).
void check_message(const Ioapic& io, const IoapicMessage& m, uint64_t entry) {
  if (!m.valid) return;
  FUZZ_CHECK(m.pin < ioapic::kPins);
  FUZZ_CHECK(!(entry & ioapic::kMasked));
  FUZZ_CHECK(m.vector == uint8_t(entry));
  FUZZ_CHECK(m.dest == uint8_t(entry >> 56));
  FUZZ_CHECK(m.level == bool(entry & ioapic::kLevel));
  FUZZ_CHECK(m.delivery_mode == ((entry >> 8) & 7));
  // A level delivery waits for its EOI.
  if (m.level) FUZZ_CHECK(io.redirection(m.pin) & ioapic::kRemoteIrr);
}

void check_model(const Ioapic& io) {
  FUZZ_CHECK(io.irr() < (1u << ioapic::kPins));
  FUZZ_CHECK((io.read_reg(ioapic::kRegVersion)) == ioapic::kVersionValue);
}

void round_trip(Ioapic& io) {
  kvm_ioapic_state a, b;
  io.get_state(&a);
  io.set_state(a);
  io.get_state(&b);
  FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

uint32_t pick_index(fuzz::Input& in) {
  uint8_t how = in.u8();
  if (how < 200) return how % (ioapic::kRegRedTbl + 2 * ioapic::kPins + 2);
  return in.value32();
}

void fuzz_model(fuzz::Input& in) {
  Ioapic io;
  for (int step = 0; step < 200 && !in.empty(); step++) {
    switch (in.u8() % 10) {
      case 0:
      case 1: {
        // A redirection entry (or other register) write, through the
        // window or directly.
        uint32_t index = pick_index(in), value = in.value32();
        // IOREGSEL holds 8 bits.
        bool window = in.flag();
        if (window) index &= 0xff;
        unsigned pin = index >= ioapic::kRegRedTbl ? (index - ioapic::kRegRedTbl) / 2 : 0;
        bool entry = index >= ioapic::kRegRedTbl && pin < ioapic::kPins;
        uint64_t before = entry ? io.redirection(pin) : 0;
        IoapicMessage m;
        if (window) {
          (void)io.mmio_write(ioapic::kRegSel, index);
          m = io.mmio_write(ioapic::kWindow, value);
        } else {
          m = io.write_reg(index, value);
        }
        if (entry) {
          uint64_t after = io.redirection(pin);
          // Delivery status is read-only; remote IRR only survives (or is
          // set by a delivery) on a level-triggered entry.
          FUZZ_CHECK((after & ioapic::kDeliveryStatus) == (before & ioapic::kDeliveryStatus));
          if (!(after & ioapic::kLevel)) FUZZ_CHECK(!(after & ioapic::kRemoteIrr));
          if (m.valid) FUZZ_CHECK(m.pin == pin);
          check_message(io, m, after);
        } else {
          FUZZ_CHECK(!m.valid);
        }
        break;
      }
      case 2: (void)io.mmio_read(in.flag() ? ioapic::kWindow : in.u8()); break;
      case 3: (void)io.read_reg(pick_index(in)); break;
      case 4:
      case 5: {
        unsigned pin = in.u8() % (ioapic::kPins + 2);
        bool level = in.flag();
        uint64_t entry = pin < ioapic::kPins ? io.redirection(pin) : 0;
        bool was = pin < ioapic::kPins && (io.irr() & (1u << pin));
        IoapicMessage m = io.set_irq(pin, level);
        if (pin >= ioapic::kPins || !level) FUZZ_CHECK(!m.valid);
        // An edge pin delivers on a rising edge only.
        if (!(entry & ioapic::kLevel) && was) FUZZ_CHECK(!m.valid);
        if (m.valid) FUZZ_CHECK(m.pin == pin);
        check_message(io, m, entry);
        break;
      }
      case 6: {
        uint8_t vector = in.flag() ? uint8_t(io.redirection(in.u8() % ioapic::kPins)) : in.u8();
        uint64_t entries[ioapic::kPins];
        for (unsigned p = 0; p < ioapic::kPins; p++) entries[p] = io.redirection(p);
        IoapicMessage out[ioapic::kPins];
        unsigned n = io.eoi(vector, out);
        FUZZ_CHECK(n <= ioapic::kPins);
        for (unsigned k = 0; k < n; k++) {
          FUZZ_CHECK(out[k].valid && out[k].vector == vector);
          check_message(io, out[k], entries[out[k].pin]);
        }
        break;
      }
      case 7: {
        kvm_ioapic_state st;
        io.get_state(&st);
        unsigned changes = in.u8() % 6;
        for (unsigned k = 0; k < changes; k++) {
          if (in.flag()) {
            unsigned pin = in.u8() % ioapic::kPins;
            st.redirtbl[pin].bits = in.value64();
          } else {
            size_t at = in.u8() % sizeof(st);
            reinterpret_cast<uint8_t*>(&st)[at] = in.u8();
          }
        }
        io.set_state(st);
        break;
      }
      case 8: round_trip(io); break;
      default: io.reset(); break;
    }
    check_model(io);
  }
}

constexpr uint8_t kWeights[fuzz::IrqVm::kNumOps] = {
    10,  // kApicMmio (EOIs among them)
    30,  // kIoapicMmio
    2,   // kPort
    4,   // kGuestMsr
    2,   // kHostMsr
    4,   // kSetLapic
    16,  // kIrqLine
    4,   // kSignalMsi
    3,   // kEvents
    10,  // kRun
    4,   // kTime
    1,   // kTpr
    14,  // kSetIrqchip
    1,   // kPitState
    6,   // kRouting
    1,   // kFillBus
    3,   // kAllocFailure
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A split irqchip has no PIC or I/O APIC in the kernel.
  return fuzz::run_irq_target(data, size, fuzz_model, kWeights, 0, fuzz::IrqVm::kSplit);
}
