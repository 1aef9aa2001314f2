// SPDX-License-Identifier: GPL-2.0
// 8259A model; see pic.hpp and the 8259A datasheet ("Programming the 8259A").
#include "pic.hpp"

namespace kvmpp::x86 {

void Pic8259::reset() {
  last_irr_ = irr_ = imr_ = isr_ = priority_add_ = irq_base_ = 0;
  read_isr_ = poll_ = special_mask_ = false;
  init_state_ = 0;
  auto_eoi_ = rotate_on_auto_eoi_ = sfnm_ = init4_ = single_ = false;
  elcr_ = 0;
}

unsigned Pic8259::rank(uint8_t mask) const {
  for (unsigned r = 0; r < 8; ++r) {
    if (mask & (1u << line_of(r))) return r;
  }
  return 8;
}

int Pic8259::pending_irq() const {
  unsigned req = rank(irr_ & ~imr_);
  if (req == 8) return -1;
  uint8_t in_service = isr_;
  // Special mask mode: masked levels in service do not inhibit lower ones.
  if (special_mask_) in_service &= ~imr_;
  // Special fully nested mode (master): the cascade level in service does
  // not block further requests from the slave.
  if (sfnm_) in_service &= ~(1u << pic::kCascadeIrq);
  return req < rank(in_service) ? int(line_of(req)) : -1;
}

void Pic8259::set_irq(unsigned line, bool level) {
  uint8_t bit = 1u << (line & 7);
  if (elcr_ & bit) {
    // Level-sensitive: IRR follows the line.
    irr_ = level ? irr_ | bit : irr_ & ~bit;
    last_irr_ = level ? last_irr_ | bit : last_irr_ & ~bit;
    return;
  }
  // Edge-triggered: latch a rising edge.
  if (level) {
    if (!(last_irr_ & bit)) irr_ |= bit;
    last_irr_ |= bit;
  } else {
    last_irr_ &= ~bit;
  }
}

unsigned Pic8259::ack_line(bool* spurious) {
  int line = pending_irq();
  if (line < 0) {
    *spurious = true;
    return 7;
  }
  *spurious = false;
  uint8_t bit = 1u << line;
  // An edge request is consumed; a level one stays while the line is high.
  if (!(elcr_ & bit)) irr_ &= ~bit;
  if (auto_eoi_) {
    if (rotate_on_auto_eoi_) priority_add_ = (line + 1) & 7;
  } else {
    isr_ |= bit;
  }
  return unsigned(line);
}

uint8_t Pic8259::ack() {
  bool spurious;
  return irq_base_ + ack_line(&spurious);
}

void Pic8259::eoi_line(unsigned line, bool rotate) {
  isr_ &= ~(1u << line);
  if (rotate) priority_add_ = (line + 1) & 7;
}

void Pic8259::write(bool a0, uint8_t value) {
  if (!a0) {
    if (value & 0x10) {
      // ICW1: start initialization.
      last_irr_ = irr_ = imr_ = isr_ = priority_add_ = 0;
      read_isr_ = poll_ = special_mask_ = false;
      auto_eoi_ = rotate_on_auto_eoi_ = sfnm_ = false;
      init4_ = value & 1;
      single_ = value & 2;
      init_state_ = 1;
      return;
    }
    if (value & 0x08) {
      // OCW3.
      if (value & 0x04) poll_ = true;
      if (value & 0x02) read_isr_ = value & 0x01;
      if (value & 0x40) special_mask_ = value & 0x20;
      return;
    }
    // OCW2: R, SL, EOI in bits 7:5, level in 2:0.
    unsigned level = value & 7;
    switch (value >> 5) {
      case 0: rotate_on_auto_eoi_ = false; break;
      case 4: rotate_on_auto_eoi_ = true; break;
      case 1:    // non-specific EOI
      case 5: {  // rotate on non-specific EOI
        unsigned r = rank(isr_);
        if (r < 8) eoi_line(line_of(r), value >> 5 == 5);
        break;
      }
      case 3: eoi_line(level, false); break;           // specific EOI
      case 7: eoi_line(level, true); break;            // rotate on specific EOI
      case 6: priority_add_ = (level + 1) & 7; break;  // set priority: @level lowest
      default: break;                                  // 2: no operation
    }
    return;
  }
  switch (init_state_) {
    case 0: imr_ = value; break;  // OCW1
    case 1:                       // ICW2
      irq_base_ = value & 0xf8;
      init_state_ = single_ ? (init4_ ? 3 : 0) : 2;
      break;
    case 2: init_state_ = init4_ ? 3 : 0; break;  // ICW3: cascade wiring is fixed
    case 3:                                       // ICW4
      auto_eoi_ = value & 0x02;
      sfnm_ = value & 0x10;
      init_state_ = 0;
      break;
  }
}

uint8_t Pic8259::read(bool a0) {
  if (poll_) {
    // Poll: the read is the acknowledge; bit 7 says whether there was one.
    poll_ = false;
    if (pending_irq() < 0) return 0;
    bool spurious;
    return uint8_t(0x80 | ack_line(&spurious));
  }
  if (a0) return imr_;
  return read_isr_ ? isr_ : irr_;
}

void Pic8259::get_state(kvm_pic_state* s) const {
  s->last_irr = last_irr_;
  s->irr = irr_;
  s->imr = imr_;
  s->isr = isr_;
  s->priority_add = priority_add_;
  s->irq_base = irq_base_;
  s->read_reg_select = read_isr_;
  s->poll = poll_;
  s->special_mask = special_mask_;
  s->init_state = init_state_;
  s->auto_eoi = auto_eoi_;
  s->rotate_on_auto_eoi = rotate_on_auto_eoi_;
  s->special_fully_nested_mode = sfnm_;
  s->init4 = init4_;
  s->elcr = elcr_;
  s->elcr_mask = elcr_mask_;
}

void Pic8259::set_state(const kvm_pic_state& s) {
  last_irr_ = s.last_irr;
  irr_ = s.irr;
  imr_ = s.imr;
  isr_ = s.isr;
  priority_add_ = s.priority_add & 7;
  irq_base_ = s.irq_base & 0xf8;
  read_isr_ = s.read_reg_select;
  poll_ = s.poll;
  special_mask_ = s.special_mask;
  init_state_ = s.init_state > 3 ? 0 : s.init_state;
  auto_eoi_ = s.auto_eoi;
  rotate_on_auto_eoi_ = s.rotate_on_auto_eoi;
  sfnm_ = s.special_fully_nested_mode;
  init4_ = s.init4;
  single_ = false;  // not carried by the ABI; the PC pair is always cascaded
  elcr_mask_ = s.elcr_mask;
  elcr_ = s.elcr & elcr_mask_;
}

void PicPair::reset() {
  master_.reset();
  slave_.reset();
}

bool PicPair::pio_write(uint16_t port, uint8_t value) {
  switch (port) {
    case pic::kMasterCmd:
    case pic::kMasterData: master_.write(port & 1, value); break;
    case pic::kSlaveCmd:
    case pic::kSlaveData: slave_.write(port & 1, value); break;
    case pic::kElcrMaster: master_.write_elcr(value); break;
    case pic::kElcrSlave: slave_.write_elcr(value); break;
    default: return false;
  }
  update_cascade();
  return true;
}

bool PicPair::pio_read(uint16_t port, uint8_t* value) {
  switch (port) {
    case pic::kMasterCmd:
    case pic::kMasterData: *value = master_.read(port & 1); break;
    case pic::kSlaveCmd:
    case pic::kSlaveData: *value = slave_.read(port & 1); break;
    case pic::kElcrMaster: *value = master_.elcr(); break;
    case pic::kElcrSlave: *value = slave_.elcr(); break;
    default: return false;
  }
  update_cascade();
  return true;
}

void PicPair::set_irq(unsigned irq, bool level) {
  if (irq >= 16) return;
  if (irq >= 8) {
    slave_.set_irq(irq - 8, level);
    update_cascade();
  } else {
    master_.set_irq(irq, level);
  }
}

uint8_t PicPair::ack() {
  bool spurious;
  unsigned line = master_.ack_line(&spurious);
  uint8_t vector;
  if (!spurious && line == pic::kCascadeIrq) {
    vector = slave_.ack();
  } else {
    vector = master_.irq_base() + line;
  }
  update_cascade();
  return vector;
}

}  // namespace kvmpp::x86
