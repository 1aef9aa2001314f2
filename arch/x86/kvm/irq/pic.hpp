// SPDX-License-Identifier: GPL-2.0
// A model of the 8259A programmable interrupt controller (one chip) and of
// the PC's cascaded pair (slave on master IRQ2), with the PIIX edge/level
// control registers (ELCR). Pure state machine driven by port accesses and
// line levels; ack() stands for the INTA cycle.
#pragma once

#include <kxx/types.hpp>

#include "irq_abi.h"

namespace kvmpp::x86 {

namespace pic {
inline constexpr uint16_t kMasterCmd = 0x20, kMasterData = 0x21, kSlaveCmd = 0xa0;
inline constexpr uint16_t kSlaveData = 0xa1, kElcrMaster = 0x4d0, kElcrSlave = 0x4d1;
// IRQs 0, 1, 2 (master) and 8, 13 (slave) are edge-only on the PIIX.
inline constexpr uint8_t kElcrMaskMaster = 0xf8, kElcrMaskSlave = 0xde;
inline constexpr unsigned kCascadeIrq = 2;
}  // namespace pic

class Pic8259 {
 public:
  explicit Pic8259(uint8_t elcr_mask = 0) : elcr_mask_(elcr_mask) { reset(); }
  void reset();

  // A0 = 0: ICW1, OCW2, OCW3 / IRR, ISR or poll. A0 = 1: ICW2-4, OCW1 / IMR.
  void write(bool a0, uint8_t value);
  uint8_t read(bool a0);
  uint8_t elcr() const { return elcr_; }
  void write_elcr(uint8_t value) { elcr_ = value & elcr_mask_; }

  // Drive IR line @line (0-7).
  void set_irq(unsigned line, bool level);
  // The INT output: a pending, unmasked request outranks what is in service.
  bool has_interrupt() const { return pending_irq() >= 0; }
  // The highest-priority request that would interrupt now, or -1.
  int pending_irq() const;
  // INTA: return the vector and put the request in service. With nothing
  // pending the 8259A answers IR7 (spurious) without setting ISR.
  uint8_t ack();
  // As ack(), returning the IR line instead (7 when spurious).
  unsigned ack_line(bool* spurious);

  uint8_t irr() const { return irr_; }
  uint8_t last_irr() const { return last_irr_; }  // the input levels seen
  uint8_t isr() const { return isr_; }
  uint8_t imr() const { return imr_; }
  uint8_t irq_base() const { return irq_base_; }
  uint8_t priority_add() const { return priority_add_; }

  void get_state(kvm_pic_state* s) const;
  void set_state(const kvm_pic_state& s);

 private:
  // The priority rank (0 = highest) of the best bit in @mask, 8 when none.
  unsigned rank(uint8_t mask) const;
  unsigned line_of(unsigned r) const { return (r + priority_add_) & 7; }
  void eoi_line(unsigned line, bool rotate);

  uint8_t last_irr_ = 0, irr_ = 0, imr_ = 0, isr_ = 0, priority_add_ = 0, irq_base_ = 0;
  bool read_isr_ = false, poll_ = false, special_mask_ = false;
  uint8_t init_state_ = 0;  // 0 ready; 1, 2, 3: expecting ICW2, ICW3, ICW4
  bool auto_eoi_ = false, rotate_on_auto_eoi_ = false, sfnm_ = false, init4_ = false;
  bool single_ = false;
  uint8_t elcr_ = 0, elcr_mask_;
};

class PicPair {
 public:
  PicPair() : master_(pic::kElcrMaskMaster), slave_(pic::kElcrMaskSlave) {}
  void reset();

  // Port I/O on 0x20/0x21, 0xa0/0xa1, 0x4d0/0x4d1; false for other ports.
  bool pio_write(uint16_t port, uint8_t value);
  bool pio_read(uint16_t port, uint8_t* value);

  void set_irq(unsigned irq, bool level);  // irq 0-15
  bool has_interrupt() const { return master_.has_interrupt(); }
  // INTA through the cascade: the vector of the highest-priority request.
  uint8_t ack();

  Pic8259& master() { return master_; }
  Pic8259& slave() { return slave_; }

 private:
  // The slave's INT output drives master IR2.
  void update_cascade() { master_.set_irq(pic::kCascadeIrq, slave_.has_interrupt()); }

  Pic8259 master_, slave_;
};

}  // namespace kvmpp::x86
