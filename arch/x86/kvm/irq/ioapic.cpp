// SPDX-License-Identifier: GPL-2.0
// I/O APIC model; see ioapic.hpp and the 82093AA datasheet ("Register
// Description").
#include "ioapic.hpp"

namespace kvmpp::x86 {

using namespace ioapic;

namespace {
// Writable bits of a redirection entry: vector, delivery mode, dest mode,
// polarity, trigger, mask, destination. Delivery status and remote IRR are
// read-only.
constexpr uint64_t kRedirWritable = 0xff00000000000fffull | kPolarityLow | kLevel | kMasked;
}  // namespace

void Ioapic::reset() {
  base_ = kDefaultBase;
  regsel_ = 0;
  id_ = 0;
  irr_ = 0;
  for (auto& e : redir_) e = kMasked;
}

uint32_t Ioapic::read_reg(uint32_t index) const {
  switch (index) {
    case kRegId: return id_ << 24;
    case kRegVersion: return kVersionValue;
    case kRegArb: return id_ << 24;  // loaded from the ID
  }
  if (index >= kRegRedTbl && index < kRegRedTbl + 2 * kPins) {
    uint64_t e = redir_[(index - kRegRedTbl) / 2];
    return (index & 1) ? uint32_t(e >> 32) : uint32_t(e);
  }
  return 0;
}

IoapicMessage Ioapic::write_reg(uint32_t index, uint32_t value) {
  if (index == kRegId) {
    id_ = (value >> 24) & 0xf;
    return {};
  }
  if (index < kRegRedTbl || index >= kRegRedTbl + 2 * kPins) return {};  // read-only / absent
  unsigned pin = (index - kRegRedTbl) / 2;
  uint64_t e = redir_[pin];
  uint64_t nv =
      (index & 1) ? (e & 0xffffffffull) | (uint64_t(value) << 32) : (e & ~0xffffffffull) | value;
  nv = (nv & kRedirWritable) | (e & (kRemoteIrr | kDeliveryStatus));
  if (!(nv & kLevel)) nv &= ~kRemoteIrr;  // remote IRR is meaningless for edge pins
  redir_[pin] = nv;
  // An asserted level pin that becomes deliverable interrupts now.
  if ((nv & kLevel) && (irr_ & (1u << pin))) return deliver(pin);
  return {};
}

uint32_t Ioapic::mmio_read(uint32_t offset) const {
  if (offset == kRegSel) return regsel_;
  if (offset == kWindow) return read_reg(regsel_);
  return 0;
}

IoapicMessage Ioapic::mmio_write(uint32_t offset, uint32_t value) {
  if (offset == kRegSel) {
    regsel_ = value & 0xff;
    return {};
  }
  if (offset == kWindow) return write_reg(regsel_, value);
  return {};
}

IoapicMessage Ioapic::deliver(unsigned pin) {
  uint64_t e = redir_[pin];
  if (e & kMasked) return {};
  bool level = e & kLevel;
  if (level) {
    if (e & kRemoteIrr) return {};
    redir_[pin] = e | kRemoteIrr;
  }
  IoapicMessage m;
  m.valid = true;
  m.vector = uint8_t(e);
  m.delivery_mode = (e >> 8) & 7;
  m.logical = e & (1u << 11);
  m.level = level;
  m.dest = uint8_t(e >> 56);
  m.pin = uint8_t(pin);
  return m;
}

IoapicMessage Ioapic::set_irq(unsigned pin, bool level) {
  if (pin >= kPins) return {};
  uint32_t bit = 1u << pin;
  bool was = irr_ & bit;
  irr_ = level ? irr_ | bit : irr_ & ~bit;
  if (!level) return {};
  if (redir_[pin] & kLevel) return deliver(pin);
  return was ? IoapicMessage{} : deliver(pin);
}

unsigned Ioapic::eoi(uint8_t vector, IoapicMessage* out) {
  unsigned n = 0;
  for (unsigned pin = 0; pin < kPins; ++pin) {
    uint64_t e = redir_[pin];
    if (uint8_t(e) != vector || !(e & kLevel)) continue;
    redir_[pin] = e & ~kRemoteIrr;
    if (irr_ & (1u << pin)) {
      IoapicMessage m = deliver(pin);
      if (m.valid) out[n++] = m;
    }
  }
  return n;
}

void Ioapic::get_state(kvm_ioapic_state* s) const {
  __builtin_memset(s, 0, sizeof(*s));
  s->base_address = base_;
  s->ioregsel = regsel_;
  s->id = id_;
  s->irr = irr_;
  for (unsigned i = 0; i < kPins; ++i) s->redirtbl[i].bits = redir_[i];
}

void Ioapic::set_state(const kvm_ioapic_state& s) {
  base_ = s.base_address;
  regsel_ = s.ioregsel & 0xff;
  id_ = s.id & 0xf;
  irr_ = s.irr & ((1u << kPins) - 1);
  for (unsigned i = 0; i < kPins; ++i) redir_[i] = s.redirtbl[i].bits;
}

}  // namespace kvmpp::x86
