// SPDX-License-Identifier: GPL-2.0
// A model of the 82093AA I/O APIC: 24 pins, IOREGSEL/IOWIN indirect access,
// edge and level triggering with remote IRR, EOI. It delivers nothing itself:
// an interrupt comes back as a message for the caller to route to local APICs.
#pragma once

#include <kxx/types.hpp>

#include "irq_abi.h"

namespace kvmpp::x86 {

namespace ioapic {
inline constexpr unsigned kPins = KVM_IOAPIC_NUM_PINS;
inline constexpr uint64_t kDefaultBase = 0xfec00000;
inline constexpr uint32_t kRegSel = 0x00, kWindow = 0x10;  // MMIO offsets
inline constexpr uint32_t kRegId = 0x00, kRegVersion = 0x01, kRegArb = 0x02, kRegRedTbl = 0x10;
inline constexpr uint32_t kVersionValue = 0x00170011;  // version 0x11, max entry 23
// Redirection entry bits.
inline constexpr uint64_t kDeliveryStatus = 1u << 12, kPolarityLow = 1u << 13;
inline constexpr uint64_t kRemoteIrr = 1u << 14, kLevel = 1u << 15, kMasked = 1u << 16;
}  // namespace ioapic

// An interrupt message for the local APICs.
struct IoapicMessage {
  bool valid = false;
  uint8_t dest = 0;
  bool logical = false;       // destination mode
  uint8_t delivery_mode = 0;  // as ApicDeliveryMode: fixed, lowest, SMI, NMI, INIT, ExtINT
  uint8_t vector = 0;
  bool level = false;  // trigger mode
  uint8_t pin = 0;
};

class Ioapic {
 public:
  Ioapic() { reset(); }
  void reset();

  // MMIO at base + offset; 32-bit accesses only (others read 0 / are dropped).
  // A redirection-entry write that unmasks an asserted level pin delivers.
  uint32_t mmio_read(uint32_t offset) const;
  IoapicMessage mmio_write(uint32_t offset, uint32_t value);
  // The indirect registers themselves, by IOREGSEL index.
  uint32_t read_reg(uint32_t index) const;
  IoapicMessage write_reg(uint32_t index, uint32_t value);

  // Drive pin @pin to logical level @level (asserted = true; the caller has
  // applied the polarity). Edge pins deliver on a rising edge, level pins
  // while asserted and remote IRR is clear. Masked interrupts are dropped.
  IoapicMessage set_irq(unsigned pin, bool level);
  // A local APIC retired a level-triggered @vector: clear remote IRR of each
  // level pin with that vector and redeliver the ones still asserted into
  // @out (room for ioapic::kPins). Returns how many were written.
  unsigned eoi(uint8_t vector, IoapicMessage* out);

  uint64_t redirection(unsigned pin) const { return redir_[pin]; }
  uint32_t irr() const { return irr_; }
  uint64_t base_address() const { return base_; }

  void get_state(kvm_ioapic_state* s) const;
  void set_state(const kvm_ioapic_state& s);

 private:
  IoapicMessage deliver(unsigned pin);

  uint64_t base_ = ioapic::kDefaultBase;
  uint32_t regsel_ = 0;
  uint32_t id_ = 0;   // the 4-bit ID field, unshifted (as kvm_ioapic_state.id)
  uint32_t irr_ = 0;  // the asserted pins
  uint64_t redir_[ioapic::kPins] = {};
};

}  // namespace kvmpp::x86
