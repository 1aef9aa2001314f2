// SPDX-License-Identifier: GPL-2.0
// A model of one local APIC (SDM vol. 3A, "Advanced Programmable Interrupt
// Controller (APIC)"): the register page, priorities, EOI, the timer and the
// x2APIC MSR view. Pure state machine: it never delivers anything itself; an
// ICR write or an EOI comes back as a description for the caller to route, and
// time is whatever the caller last passed to set_now().
#pragma once

#include <kxx/result.hpp>
#include <kxx/types.hpp>

#include "irq_abi.h"

namespace kvmpp::x86 {

// Register offsets in the xAPIC MMIO page (and in kvm_lapic_state.regs).
namespace apic {
inline constexpr uint32_t kId = 0x20, kVersion = 0x30, kTpr = 0x80, kApr = 0x90, kPpr = 0xa0;
inline constexpr uint32_t kEoi = 0xb0, kRrd = 0xc0, kLdr = 0xd0, kDfr = 0xe0, kSvr = 0xf0;
inline constexpr uint32_t kIsr = 0x100, kTmr = 0x180, kIrr = 0x200, kEsr = 0x280;
inline constexpr uint32_t kIcr = 0x300, kIcr2 = 0x310, kLvtTimer = 0x320, kLvtThermal = 0x330;
inline constexpr uint32_t kLvtPerf = 0x340, kLvtLint0 = 0x350, kLvtLint1 = 0x360;
inline constexpr uint32_t kLvtError = 0x370, kTmict = 0x380, kTmcct = 0x390, kTdcr = 0x3e0;
inline constexpr uint32_t kSelfIpi = 0x3f0;  // x2APIC only
inline constexpr uint32_t kX2apicMsrBase = 0x800, kX2apicMsrLast = 0x8ff;
inline constexpr uint64_t kDefaultBase = 0xfee00000;
// The logical ID x2APIC mode derives from the x2APIC ID ("Logical
// Destination Mode in x2APIC Mode"): cluster in 31:16, one bit of 16.
constexpr uint32_t x2apic_ldr(uint32_t id) { return ((id >> 4) << 16) | (1u << (id & 0xf)); }
// The shortest period a periodic timer gets (upstream's min_timer_period_us):
// a guest cannot make the host's timer fire every nanosecond (found by
// fuzz_lapic). The count still runs from TMICT to 0 within the period.
inline constexpr uint64_t kMinPeriodicNs = 200000;
// IA32_APIC_BASE bits.
inline constexpr uint64_t kBaseBsp = 1u << 8, kBaseExtd = 1u << 10, kBaseEnable = 1u << 11;
inline constexpr uint32_t kLvtMasked = 1u << 16;
inline constexpr uint32_t kSvrEnable = 1u << 8;
// ESR bits (SDM "Error Handling").
inline constexpr uint32_t kEsrSendIllegalVector = 1u << 5, kEsrRecvIllegalVector = 1u << 6;
inline constexpr uint32_t kEsrIllegalRegister = 1u << 7;
inline constexpr uint32_t kVersionValue = 0x50014;  // version 0x14, max LVT entry 5

// The registers the xAPIC MMIO page implements, in address order.
inline constexpr uint32_t kRegOffsets[] = {
    kId,         kVersion,    kTpr,        kApr,        kPpr,        kEoi,        kRrd,
    kLdr,        kDfr,        kSvr,        kIsr,        kIsr + 0x10, kIsr + 0x20, kIsr + 0x30,
    kIsr + 0x40, kIsr + 0x50, kIsr + 0x60, kIsr + 0x70, kTmr,        kTmr + 0x10, kTmr + 0x20,
    kTmr + 0x30, kTmr + 0x40, kTmr + 0x50, kTmr + 0x60, kTmr + 0x70, kIrr,        kIrr + 0x10,
    kIrr + 0x20, kIrr + 0x30, kIrr + 0x40, kIrr + 0x50, kIrr + 0x60, kIrr + 0x70, kEsr,
    kIcr,        kIcr2,       kLvtTimer,   kLvtThermal, kLvtPerf,    kLvtLint0,   kLvtLint1,
    kLvtError,   kTmict,      kTmcct,      kTdcr,
};
}  // namespace apic

enum class ApicDeliveryMode : uint8_t {
  kFixed = 0,
  kLowest = 1,
  kSmi = 2,
  kNmi = 4,
  kInit = 5,
  kStartup = 6,
  kExtInt = 7,
};

enum class ApicShorthand : uint8_t { kNone = 0, kSelf = 1, kAllIncludingSelf = 2, kAllButSelf = 3 };

enum class ApicTimerMode : uint8_t { kOneShot = 0, kPeriodic = 1, kTscDeadline = 2 };

// An interprocessor interrupt the ICR (or x2APIC SELF_IPI) asked for.
struct ApicIpi {
  uint32_t dest = 0;  // xAPIC: ICR2[31:24]; x2APIC: ICR[63:32]
  ApicShorthand shorthand = ApicShorthand::kNone;
  ApicDeliveryMode mode = ApicDeliveryMode::kFixed;
  bool logical = false;  // destination mode
  uint8_t vector = 0;
  bool assert_level = false;  // level bit: assert (1) / de-assert (0)
  bool level_trigger = false;
};

// What a register write asks of the caller.
struct ApicWriteEffect {
  bool ipi = false;  // send `ipi`
  ApicIpi ipi_msg;
  bool eoi = false;  // an EOI retired `eoi_vector`
  uint8_t eoi_vector = 0;
  bool eoi_level = false;      // it was level-triggered: broadcast it to the I/O APICs
  bool timer_changed = false;  // re-arm the caller's timer at next_timer_expiry()
  bool illegal = false;        // xAPIC: an illegal register (ESR bit 7 logged)
};

class Lapic {
 public:
  // @bus_cycle_ns: the length of one APIC timer input clock tick before the
  // divider, in nanoseconds (at least 1).
  explicit Lapic(uint32_t bus_cycle_ns = 1) : bus_cycle_ns_(bus_cycle_ns ? bus_cycle_ns : 1) {
    reset(0, false);
  }

  // Power-up/RESET state (SDM "Local APIC State After Power-Up or Reset").
  void reset(uint32_t apic_id, bool bsp);
  // INIT: as reset, but the APIC ID and the APIC base MSR are kept.
  void init();
  // LINT0 unmasked in ExtINT mode ("virtual wire"): what a BIOS sets on the
  // bootstrap processor, and what KVM sets at its reset (the LINT0 quirk),
  // so that the PIC reaches it.
  void set_virtual_wire() { set_reg(apic::kLvtLint0, uint32_t(ApicDeliveryMode::kExtInt) << 8); }

  // IA32_APIC_BASE. Invalid mode transitions and reserved bits fail (#GP).
  uint64_t apic_base() const { return apic_base_; }
  kxx::Status set_apic_base(uint64_t value);
  bool hw_enabled() const { return apic_base_ & apic::kBaseEnable; }
  bool x2apic_mode() const { return hw_enabled() && (apic_base_ & apic::kBaseExtd); }
  bool sw_enabled() const { return reg(apic::kSvr) & apic::kSvrEnable; }
  uint32_t id() const { return x2apic_mode() ? reg(apic::kId) : reg(apic::kId) >> 24; }

  // xAPIC MMIO. Reads of 1, 2 or 4 bytes within one register; writes are 32
  // bits at a 16-byte aligned offset. Both fail in x2APIC mode or when
  // hardware-disabled (the page is not decoded then).
  kxx::Result<uint32_t> read(uint32_t offset, uint32_t len);
  kxx::Result<ApicWriteEffect> write(uint32_t offset, uint32_t value);

  // x2APIC MSRs 0x800-0x8ff; an error means #GP.
  kxx::Result<uint64_t> read_msr(uint32_t msr);
  kxx::Result<ApicWriteEffect> write_msr(uint32_t msr, uint64_t value);

  // Interrupt acceptance. A fixed interrupt with a vector below 16 is refused
  // and logged as a receive-illegal-vector error. Returns whether IRR was set.
  bool accept_interrupt(uint8_t vector, bool level_triggered);
  // The vector the APIC would present to the core now, or -1.
  int highest_pending_irr() const;
  // INTA: move the highest deliverable IRR bit to ISR and return its vector, or -1.
  int ack();
  uint32_t ppr() const;
  uint32_t apr() const;
  // The highest vector requested or in service, or -1.
  int highest_irr() const { return highest(apic::kIrr); }
  int highest_isr() const { return highest(apic::kIsr); }
  bool irr_test(uint8_t v) const { return test(apic::kIrr, v); }
  bool isr_test(uint8_t v) const { return test(apic::kIsr, v); }
  bool tmr_test(uint8_t v) const { return test(apic::kTmr, v); }

  // Timer. Time is in nanoseconds on the caller's clock.
  void set_now(uint64_t now_ns) { now_ns_ = now_ns; }
  uint64_t now() const { return now_ns_; }
  ApicTimerMode timer_mode() const;
  static uint32_t divisor(uint32_t tdcr);
  uint32_t current_count() const;
  // When the timer next fires, or 0 when it is not armed.
  uint64_t next_timer_expiry() const;
  // A periodic timer's period: TMICT counts, at least kMinPeriodicNs.
  uint64_t period_ns() const;
  // Fire the timer if its expiry has passed: raise the LVT timer interrupt
  // (unless masked), reload or disarm. Returns whether it fired.
  bool poll_timer();
  // IA32_TSC_DEADLINE, in the same clock as set_now() (the caller converts).
  uint64_t tsc_deadline() const { return tsc_deadline_; }
  void set_tsc_deadline(uint64_t deadline);

  // KVM_GET/SET_LAPIC.
  void get_state(kvm_lapic_state* s) const;
  void set_state(const kvm_lapic_state& s);

  // Raw register (no side effects), for tests and the irqchip glue.
  uint32_t reg(uint32_t offset) const;

 private:
  void set_reg(uint32_t offset, uint32_t v);
  bool test(uint32_t base, uint8_t v) const {
    return reg(base + (v >> 5) * 0x10) & (1u << (v & 31));
  }
  void set_bit(uint32_t base, uint8_t v, bool on);
  int highest(uint32_t base) const;
  void reset_registers();
  uint32_t lvt_write_mask(uint32_t offset) const;
  bool is_lvt(uint32_t offset) const {
    return offset >= apic::kLvtTimer && offset <= apic::kLvtError;
  }
  // The common write path; @x2: the access came through the MSR view.
  ApicWriteEffect do_write(uint32_t offset, uint32_t value, bool x2);
  ApicWriteEffect send_icr(uint32_t low, uint32_t high, bool x2);
  void arm_timer();
  uint64_t tick_ns() const;

  alignas(16) uint8_t regs_[KVM_APIC_REG_SIZE] = {};
  uint64_t apic_base_ = 0;
  uint32_t initial_id_ = 0;  // the x2APIC ID: the vCPU's, all 32 bits
  uint32_t bus_cycle_ns_;
  uint32_t esr_pending_ = 0;
  uint64_t now_ns_ = 0;
  // The running count-down: started at timer_start_ns_ with TMICT.
  uint64_t timer_start_ns_ = 0;
  bool timer_armed_ = false;
  uint64_t tsc_deadline_ = 0;
};

}  // namespace kvmpp::x86
