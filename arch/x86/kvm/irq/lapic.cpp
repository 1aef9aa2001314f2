// SPDX-License-Identifier: GPL-2.0
// Local APIC model; see lapic.hpp. Section names refer to SDM vol. 3A,
// "Advanced Programmable Interrupt Controller (APIC)".
#include "lapic.hpp"

namespace kvmpp::x86 {

using namespace apic;

namespace {

// ICR bits that are reserved in x2APIC mode (a write with any set #GPs):
// 31:20, 17:16 and 13. The xAPIC ICR keeps every bit but BUSY (12), as
// upstream KVM does.
constexpr uint32_t kX2IcrReserved = 0xfff32000;
constexpr uint32_t kIcrBusy = 1u << 12;
constexpr uint32_t kLvtRemoteIrr = 1u << 14;
constexpr uint64_t kBaseReserved = 0xfff0000000000000ull | 0x2ff;

bool is_readable(uint32_t offset) {
  for (uint32_t r : kRegOffsets) {
    if (r == offset) return true;
  }
  return false;
}

}  // namespace

uint32_t Lapic::reg(uint32_t offset) const {
  uint32_t v;
  __builtin_memcpy(&v, &regs_[offset], 4);
  return v;
}

void Lapic::set_reg(uint32_t offset, uint32_t v) { __builtin_memcpy(&regs_[offset], &v, 4); }

void Lapic::set_bit(uint32_t base, uint8_t v, bool on) {
  uint32_t off = base + (v >> 5) * 0x10;
  uint32_t bit = 1u << (v & 31);
  set_reg(off, on ? reg(off) | bit : reg(off) & ~bit);
}

int Lapic::highest(uint32_t base) const {
  for (int i = 7; i >= 0; --i) {
    uint32_t w = reg(base + i * 0x10);
    if (w) return i * 32 + 31 - __builtin_clz(w);
  }
  return -1;
}

void Lapic::reset_registers() {
  uint32_t id = reg(kId);
  __builtin_memset(regs_, 0, sizeof(regs_));
  set_reg(kId, id);
  set_reg(kVersion, kVersionValue);
  set_reg(kDfr, 0xffffffff);
  set_reg(kSvr, 0xff);
  for (uint32_t off = kLvtTimer; off <= kLvtError; off += 0x10) set_reg(off, kLvtMasked);
  esr_pending_ = 0;
  timer_armed_ = false;
  tsc_deadline_ = 0;
}

void Lapic::reset(uint32_t apic_id, bool bsp) {
  apic_base_ = kDefaultBase | kBaseEnable | (bsp ? kBaseBsp : 0);
  initial_id_ = apic_id;
  set_reg(kId, apic_id << 24);
  reset_registers();
}

void Lapic::init() {
  reset_registers();
  // INIT keeps x2APIC mode, and with it the ID and the logical ID that
  // follows from it, as upstream (found by fuzz_lapic: LDR read 0).
  if (x2apic_mode()) set_reg(kLdr, x2apic_ldr(reg(kId)));
}

kxx::Status Lapic::set_apic_base(uint64_t value) {
  if (value & kBaseReserved) return kxx::Errno::kInval;
  bool en = value & kBaseEnable, extd = value & kBaseExtd;
  if (extd && !en) return kxx::Errno::kInval;
  bool was_en = hw_enabled(), was_x2 = x2apic_mode();
  // "x2APIC State Transitions": x2APIC -> xAPIC and disabled -> x2APIC are illegal.
  if (was_x2 && en && !extd) return kxx::Errno::kInval;
  if (!was_en && extd) return kxx::Errno::kInval;
  if (was_en && !en) {
    // Disabling returns the APIC to its power-up state; keep the xAPIC ID
    // (from x2APIC mode: the initial ID's low 8 bits).
    if (was_x2) set_reg(kId, initial_id_ << 24);
    reset_registers();
  } else if (!was_x2 && extd) {
    // Entering x2APIC mode: the 32-bit ID is the initial APIC ID, all of
    // it (not the 8-bit xAPIC ID: vCPUs above 255, found by fuzz_lapic),
    // and the logical ID is derived from it.
    set_reg(kId, initial_id_);
    set_reg(kLdr, x2apic_ldr(initial_id_));
    set_reg(kIcr2, 0);
  }
  apic_base_ = value;
  return kxx::OkStatus();
}

uint32_t Lapic::ppr() const {
  uint32_t tpr = reg(kTpr) & 0xff;
  int isrv = highest(kIsr);
  uint32_t isr_class = isrv < 0 ? 0 : uint32_t(isrv) & 0xf0;
  return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

uint32_t Lapic::apr() const {
  uint32_t tpr = reg(kTpr) & 0xff;
  int irrv = highest(kIrr), isrv = highest(kIsr);
  int m = irrv > isrv ? irrv : isrv;
  uint32_t cls = m < 0 ? 0 : uint32_t(m) & 0xf0;
  return (tpr & 0xf0) >= cls ? tpr : cls;
}

bool Lapic::accept_interrupt(uint8_t vector, bool level_triggered) {
  if (!hw_enabled() || !sw_enabled()) return false;
  if (vector < 16) {
    esr_pending_ |= kEsrRecvIllegalVector;
    return false;
  }
  set_bit(kIrr, vector, true);
  set_bit(kTmr, vector, level_triggered);
  return true;
}

int Lapic::highest_pending_irr() const {
  int v = highest(kIrr);
  if (v < 0 || (uint32_t(v) & 0xf0) <= (ppr() & 0xf0)) return -1;
  return v;
}

int Lapic::ack() {
  int v = highest_pending_irr();
  if (v < 0) return -1;
  set_bit(kIrr, uint8_t(v), false);
  set_bit(kIsr, uint8_t(v), true);
  return v;
}

ApicTimerMode Lapic::timer_mode() const {
  switch ((reg(kLvtTimer) >> 17) & 3) {
    case 1: return ApicTimerMode::kPeriodic;
    case 2: return ApicTimerMode::kTscDeadline;
    default: return ApicTimerMode::kOneShot;  // 3 is reserved
  }
}

// "Divide Configuration Register": bits 3,1,0 select 2^(n+1), 111b = 1.
uint32_t Lapic::divisor(uint32_t tdcr) {
  uint32_t n = ((tdcr >> 1) & 4) | (tdcr & 3);
  return 1u << ((n + 1) & 7);
}

uint64_t Lapic::tick_ns() const { return uint64_t(bus_cycle_ns_) * divisor(reg(kTdcr)); }

uint64_t Lapic::period_ns() const {
  uint64_t period = uint64_t(reg(kTmict)) * tick_ns();
  return period < kMinPeriodicNs ? kMinPeriodicNs : period;
}

void Lapic::arm_timer() {
  timer_armed_ = reg(kTmict) != 0;
  timer_start_ns_ = now_ns_;
}

uint32_t Lapic::current_count() const {
  if (!timer_armed_ || timer_mode() == ApicTimerMode::kTscDeadline) return 0;
  uint64_t initial = reg(kTmict);
  uint64_t elapsed = now_ns_ > timer_start_ns_ ? now_ns_ - timer_start_ns_ : 0;
  uint64_t ticks = elapsed / tick_ns();
  if (timer_mode() == ApicTimerMode::kPeriodic) {
    uint64_t period = period_ns();
    if (period == initial * tick_ns()) return uint32_t(initial - ticks % initial);
    // A period stretched to the minimum: the count slows down to match
    // (initial * period stays below 2^36).
    return uint32_t(initial - (elapsed % period) * initial / period);
  }
  return ticks >= initial ? 0 : uint32_t(initial - ticks);
}

uint64_t Lapic::next_timer_expiry() const {
  if (timer_mode() == ApicTimerMode::kTscDeadline) return tsc_deadline_;
  if (!timer_armed_) return 0;
  if (timer_mode() == ApicTimerMode::kPeriodic) return timer_start_ns_ + period_ns();
  return timer_start_ns_ + uint64_t(reg(kTmict)) * tick_ns();
}

bool Lapic::poll_timer() {
  uint64_t expiry = next_timer_expiry();
  if (!expiry || now_ns_ < expiry) return false;
  switch (timer_mode()) {
    case ApicTimerMode::kTscDeadline: tsc_deadline_ = 0; break;
    case ApicTimerMode::kPeriodic: {
      // Coalesce missed periods into one interrupt.
      uint64_t period = period_ns();
      timer_start_ns_ += period * ((now_ns_ - timer_start_ns_) / period);
      break;
    }
    case ApicTimerMode::kOneShot: timer_armed_ = false; break;
  }
  uint32_t lvt = reg(kLvtTimer);
  if (!(lvt & kLvtMasked)) (void)accept_interrupt(uint8_t(lvt & 0xff), false);
  return true;
}

void Lapic::set_tsc_deadline(uint64_t deadline) {
  // Writes are ignored outside TSC-deadline mode ("TSC-Deadline Mode").
  if (timer_mode() == ApicTimerMode::kTscDeadline) tsc_deadline_ = deadline;
}

uint32_t Lapic::lvt_write_mask(uint32_t offset) const {
  switch (offset) {
    case kLvtTimer: return 0x700ff;  // vector, mask, timer mode
    case kLvtThermal:
    case kLvtPerf: return 0x107ff;  // vector, delivery mode, mask
    case kLvtLint0:
    case kLvtLint1: return 0x1a7ff;  // + polarity, trigger mode
    default: return 0x100ff;         // error: vector, mask
  }
}

ApicWriteEffect Lapic::send_icr(uint32_t low, uint32_t high, bool x2) {
  ApicWriteEffect eff;
  auto mode = ApicDeliveryMode((low >> 8) & 7);
  uint8_t vector = low & 0xff;
  if ((mode == ApicDeliveryMode::kFixed || mode == ApicDeliveryMode::kLowest) && vector < 16) {
    esr_pending_ |= kEsrSendIllegalVector;
    return eff;
  }
  if (uint8_t(mode) == 3) return eff;  // reserved delivery mode: nothing is sent
  eff.ipi = true;
  eff.ipi_msg.dest = x2 ? high : high >> 24;
  eff.ipi_msg.shorthand = ApicShorthand((low >> 18) & 3);
  eff.ipi_msg.mode = mode;
  eff.ipi_msg.logical = low & (1u << 11);
  eff.ipi_msg.vector = vector;
  eff.ipi_msg.assert_level = low & (1u << 14);
  eff.ipi_msg.level_trigger = low & (1u << 15);
  return eff;
}

ApicWriteEffect Lapic::do_write(uint32_t offset, uint32_t value, bool x2) {
  ApicWriteEffect eff;
  if (is_lvt(offset)) {
    uint32_t v = value & lvt_write_mask(offset);
    if (offset == kLvtLint0 || offset == kLvtLint1) v |= reg(offset) & kLvtRemoteIrr;
    // A software-disabled APIC keeps every LVT masked ("Software Enabling/Disabling").
    if (!sw_enabled()) v |= kLvtMasked;
    if (offset == kLvtTimer && ((v ^ reg(offset)) & (3u << 17))) {
      // Changing the timer mode disarms the timer.
      timer_armed_ = false;
      tsc_deadline_ = 0;
      eff.timer_changed = true;
    }
    set_reg(offset, v);
    return eff;
  }
  switch (offset) {
    case kId: set_reg(kId, value & 0xff000000); break;
    case kTpr: set_reg(kTpr, value & 0xff); break;
    case kEoi: {
      int v = highest(kIsr);
      if (v >= 0) {
        set_bit(kIsr, uint8_t(v), false);
        eff.eoi = true;
        eff.eoi_vector = uint8_t(v);
        eff.eoi_level = test(kTmr, uint8_t(v));
      }
      break;
    }
    case kLdr: set_reg(kLdr, value & 0xff000000); break;
    case kDfr: set_reg(kDfr, value | 0x0fffffff); break;
    case kSvr:
      set_reg(kSvr, value & 0x3ff);
      if (!(value & kSvrEnable)) {
        for (uint32_t off = kLvtTimer; off <= kLvtError; off += 0x10)
          set_reg(off, reg(off) | kLvtMasked);
      }
      break;
    case kEsr:
      // Writing latches the errors logged since the last write ("Error Handling").
      set_reg(kEsr, esr_pending_);
      esr_pending_ = 0;
      break;
    case kIcr:
      set_reg(kIcr, x2 ? value : value & ~kIcrBusy);
      eff = send_icr(value, reg(kIcr2), x2);
      break;
    case kIcr2: set_reg(kIcr2, value & 0xff000000); break;
    case kTmict:
      if (timer_mode() == ApicTimerMode::kTscDeadline) break;
      set_reg(kTmict, value);
      arm_timer();
      eff.timer_changed = true;
      break;
    case kTdcr:
      set_reg(kTdcr, value & 0xb);
      eff.timer_changed = true;
      break;
    case kSelfIpi:
      if (!x2) {
        esr_pending_ |= kEsrIllegalRegister;
        eff.illegal = true;
        break;
      }
      eff = send_icr(value & 0xff, 0, true);
      eff.ipi_msg.shorthand = ApicShorthand::kSelf;
      break;
    default:
      // Read-only registers ignore writes; anything else is an illegal address.
      if (!is_readable(offset)) {
        esr_pending_ |= kEsrIllegalRegister;
        eff.illegal = true;
      }
      break;
  }
  return eff;
}

kxx::Result<uint32_t> Lapic::read(uint32_t offset, uint32_t len) {
  if (!hw_enabled() || x2apic_mode()) return kxx::Errno::kInval;
  if ((len != 1 && len != 2 && len != 4) || offset >= KVM_APIC_REG_SIZE || (offset & 0xf) + len > 4)
    return kxx::Errno::kInval;
  uint32_t base = offset & ~0xfu;
  uint32_t v;
  if (!is_readable(base)) {
    esr_pending_ |= kEsrIllegalRegister;
    v = 0;
  } else if (base == kPpr) {
    v = ppr();
  } else if (base == kApr) {
    v = apr();
  } else if (base == kTmcct) {
    v = current_count();
  } else {
    v = reg(base);
  }
  v >>= 8 * (offset & 3);
  return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

kxx::Result<ApicWriteEffect> Lapic::write(uint32_t offset, uint32_t value) {
  if (!hw_enabled() || x2apic_mode()) return kxx::Errno::kInval;
  if (offset >= KVM_APIC_REG_SIZE || (offset & 0xf)) return kxx::Errno::kInval;
  return do_write(offset, value, false);
}

kxx::Result<uint64_t> Lapic::read_msr(uint32_t msr) {
  if (!x2apic_mode() || msr < kX2apicMsrBase || msr > kX2apicMsrLast) return kxx::Errno::kInval;
  uint32_t offset = (msr - kX2apicMsrBase) << 4;
  // Not in the MSR view: EOI and SELF_IPI are write-only; DFR, ICR2, APR and
  // RRD do not exist ("x2APIC Register Address Space").
  if (!is_readable(offset) || offset == kEoi || offset == kDfr || offset == kIcr2 ||
      offset == kApr || offset == kRrd)
    return kxx::Errno::kInval;
  switch (offset) {
    case kPpr: return uint64_t(ppr());
    case kTmcct: return uint64_t(current_count());
    case kIcr: return uint64_t(reg(kIcr)) | (uint64_t(reg(kIcr2)) << 32);
    default: return uint64_t(reg(offset));
  }
}

kxx::Result<ApicWriteEffect> Lapic::write_msr(uint32_t msr, uint64_t value) {
  if (!x2apic_mode() || msr < kX2apicMsrBase || msr > kX2apicMsrLast) return kxx::Errno::kInval;
  uint32_t offset = (msr - kX2apicMsrBase) << 4;
  if (offset == kIcr) {
    // One 64-bit MSR; delivery status (bit 12) is reserved in x2APIC mode.
    if (value & kX2IcrReserved) return kxx::Errno::kInval;
    set_reg(kIcr2, uint32_t(value >> 32));
    return do_write(kIcr, uint32_t(value), true);
  }
  if (value >> 32) return kxx::Errno::kInval;
  uint32_t v = uint32_t(value);
  uint32_t reserved;
  if (is_lvt(offset)) {
    reserved = ~(lvt_write_mask(offset) | (1u << 12) | kLvtRemoteIrr);
  } else {
    switch (offset) {
      case kTpr: reserved = ~0xffu; break;
      case kEoi:
      case kEsr: reserved = ~0u; break;  // only zero may be written
      case kSvr: reserved = ~0x3ffu; break;
      case kTmict: reserved = 0; break;
      case kTdcr: reserved = ~0xbu; break;
      case kSelfIpi: reserved = ~0xffu; break;
      default: return kxx::Errno::kInval;  // read-only or absent
    }
  }
  if (v & reserved) return kxx::Errno::kInval;
  return do_write(offset, v, true);
}

void Lapic::get_state(kvm_lapic_state* s) const {
  __builtin_memcpy(s->regs, regs_, sizeof(regs_));
  uint32_t ppr_v = ppr(), apr_v = apr(), tmcct = current_count();
  __builtin_memcpy(&s->regs[kPpr], &ppr_v, 4);
  __builtin_memcpy(&s->regs[kApr], &apr_v, 4);
  __builtin_memcpy(&s->regs[kTmcct], &tmcct, 4);
}

void Lapic::set_state(const kvm_lapic_state& s) {
  __builtin_memcpy(regs_, s.regs, sizeof(regs_));
  set_reg(kVersion, kVersionValue);
  esr_pending_ = 0;
  tsc_deadline_ = 0;
  // Restart a running count-down from now with the full initial count.
  if (timer_mode() == ApicTimerMode::kTscDeadline) {
    timer_armed_ = false;
  } else {
    arm_timer();
  }
}

}  // namespace kvmpp::x86
