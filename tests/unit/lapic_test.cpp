// SPDX-License-Identifier: GPL-2.0
// The local APIC model: reset values, read-only registers, priorities, EOI,
// the timer, ICR decoding and the x2APIC MSR rules.
#include <gtest/gtest.h>
#include <arch/x86/kvm/irq/lapic.hpp>

namespace {

using namespace kvmpp::x86;
namespace a = kvmpp::x86::apic;

uint32_t rd(Lapic& l, uint32_t off) {
  auto r = l.read(off, 4);
  EXPECT_TRUE(r.ok()) << off;
  return r.ok() ? r.value() : 0xdeadbeef;
}

ApicWriteEffect wr(Lapic& l, uint32_t off, uint32_t v) {
  auto r = l.write(off, v);
  EXPECT_TRUE(r.ok()) << off;
  return r.ok() ? r.value() : ApicWriteEffect{};
}

// A software-enabled APIC with ID 3.
Lapic enabled() {
  Lapic l;
  l.reset(3, true);
  wr(l, a::kSvr, 0x1ff);
  return l;
}

Lapic x2() {
  Lapic l = enabled();
  EXPECT_TRUE(l.set_apic_base(a::kDefaultBase | a::kBaseEnable | a::kBaseExtd).ok());
  return l;
}

struct RegValue {
  uint32_t offset;
  uint32_t value;
};

TEST(Lapic, ResetValues) {
  Lapic l;
  l.reset(5, true);
  EXPECT_EQ(l.apic_base(), 0xfee00900u);
  const RegValue expect[] = {
      {a::kId, 5u << 24},
      {a::kVersion, 0x50014},
      {a::kTpr, 0},
      {a::kApr, 0},
      {a::kPpr, 0},
      {a::kLdr, 0},
      {a::kDfr, ~0u},
      {a::kSvr, 0xff},
      {a::kIsr, 0},
      {a::kTmr + 0x70, 0},
      {a::kIrr + 0x30, 0},
      {a::kEsr, 0},
      {a::kIcr, 0},
      {a::kIcr2, 0},
      {a::kLvtTimer, 0x10000},
      {a::kLvtThermal, 0x10000},
      {a::kLvtPerf, 0x10000},
      {a::kLvtLint0, 0x10000},
      {a::kLvtLint1, 0x10000},
      {a::kLvtError, 0x10000},
      {a::kTmict, 0},
      {a::kTmcct, 0},
      {a::kTdcr, 0},
  };
  for (auto& e : expect) EXPECT_EQ(rd(l, e.offset), e.value) << std::hex << e.offset;
  Lapic ap;
  ap.reset(1, false);
  EXPECT_EQ(ap.apic_base(), 0xfee00800u);
  EXPECT_EQ(ap.id(), 1u);
}

TEST(Lapic, OffsetsAreAlignedAndSorted) {
  uint32_t prev = 0;
  for (uint32_t off : a::kRegOffsets) {
    EXPECT_EQ(off & 0xf, 0u);
    EXPECT_GT(off, prev);
    EXPECT_LT(off, 0x400u);
    prev = off;
  }
}

TEST(Lapic, ReadOnlyRegistersIgnoreWrites) {
  Lapic l = enabled();
  EXPECT_TRUE(l.accept_interrupt(0x40, true));
  const uint32_t ro[] = {a::kVersion, a::kApr,        a::kPpr,        a::kRrd,
                         a::kIsr,     a::kTmr + 0x20, a::kIrr + 0x20, a::kTmcct};
  for (uint32_t off : ro) {
    uint32_t before = rd(l, off);
    auto eff = wr(l, off, 0xffffffff);
    EXPECT_FALSE(eff.illegal) << std::hex << off;
    EXPECT_EQ(rd(l, off), before) << std::hex << off;
  }
  EXPECT_TRUE(l.irr_test(0x40));
  EXPECT_TRUE(l.tmr_test(0x40));
}

TEST(Lapic, WritableMasks) {
  Lapic l = enabled();
  const RegValue expect[] = {
      {a::kId, 0xff000000},    {a::kTpr, 0xff},           {a::kLdr, 0xff000000},
      {a::kDfr, 0xffffffff},   {a::kSvr, 0x3ff},          {a::kIcr2, 0xff000000},
      {a::kLvtTimer, 0x700ff}, {a::kLvtThermal, 0x107ff}, {a::kLvtPerf, 0x107ff},
      {a::kLvtLint0, 0x1a7ff}, {a::kLvtLint1, 0x1a7ff},   {a::kLvtError, 0x100ff},
      {a::kTdcr, 0xb},         {a::kTmict, 0xffffffff},
  };
  for (auto& e : expect) {
    wr(l, e.offset, 0xffffffff);
    EXPECT_EQ(rd(l, e.offset), e.value) << std::hex << e.offset;
  }
  wr(l, a::kDfr, 0);
  EXPECT_EQ(rd(l, a::kDfr), 0x0fffffffu);
}

TEST(Lapic, SubwordReadsAndBadAccesses) {
  Lapic l = enabled();
  auto r = l.read(a::kVersion + 2, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 5u);
  auto r2 = l.read(a::kVersion, 2);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2.value(), 0x14u);
  EXPECT_FALSE(l.read(a::kVersion + 2, 4).ok());
  EXPECT_FALSE(l.read(a::kVersion, 3).ok());
  EXPECT_FALSE(l.read(0x400, 4).ok());
  EXPECT_FALSE(l.write(a::kTpr + 4, 1).ok());
}

TEST(Lapic, IllegalRegisterLogsEsr) {
  Lapic l = enabled();
  auto eff = wr(l, 0x2f0, 1);  // LVT CMCI: not implemented with max LVT 5
  EXPECT_TRUE(eff.illegal);
  EXPECT_TRUE(wr(l, a::kSelfIpi, 0x40).illegal);  // x2APIC only
  EXPECT_EQ(rd(l, a::kEsr), 0u);                  // not latched until written
  wr(l, a::kEsr, 0);
  EXPECT_EQ(rd(l, a::kEsr), a::kEsrIllegalRegister);
  wr(l, a::kEsr, 0);
  EXPECT_EQ(rd(l, a::kEsr), 0u);
}

TEST(Lapic, EsrIllegalVectors) {
  Lapic l = enabled();
  EXPECT_FALSE(l.accept_interrupt(15, false));
  EXPECT_FALSE(l.irr_test(15));
  auto eff = wr(l, a::kIcr, 0x000000005);  // fixed, vector 5
  EXPECT_FALSE(eff.ipi);
  wr(l, a::kEsr, 0);
  EXPECT_EQ(rd(l, a::kEsr), a::kEsrRecvIllegalVector | a::kEsrSendIllegalVector);
}

TEST(Lapic, SoftwareDisableMasksLvts) {
  Lapic l = enabled();
  wr(l, a::kLvtLint0, 0x700);  // ExtINT, unmasked
  EXPECT_EQ(rd(l, a::kLvtLint0), 0x700u);
  wr(l, a::kSvr, 0xff);
  EXPECT_FALSE(l.sw_enabled());
  EXPECT_EQ(rd(l, a::kLvtLint0), 0x10700u);
  wr(l, a::kLvtLint0, 0x700);  // cannot unmask while disabled
  EXPECT_EQ(rd(l, a::kLvtLint0), 0x10700u);
  EXPECT_FALSE(l.accept_interrupt(0x30, false));
  wr(l, a::kSvr, 0x1ff);
  wr(l, a::kLvtLint0, 0x700);
  EXPECT_EQ(rd(l, a::kLvtLint0), 0x700u);
}

struct PprCase {
  uint32_t tpr;
  int isr;  // -1: none
  uint32_t ppr;
};

TEST(Lapic, PprTable) {
  const PprCase cases[] = {
      {0x00, -1, 0x00},   {0x25, -1, 0x25},   {0x25, 0x31, 0x30}, {0x35, 0x31, 0x35},
      {0x30, 0x3f, 0x30}, {0x2f, 0x30, 0x30}, {0xff, 0xfe, 0xff}, {0x00, 0x10, 0x10},
  };
  for (auto& c : cases) {
    Lapic l = enabled();
    if (c.isr >= 0) {
      ASSERT_TRUE(l.accept_interrupt(uint8_t(c.isr), false));
      ASSERT_EQ(l.ack(), c.isr);
    }
    wr(l, a::kTpr, c.tpr);
    EXPECT_EQ(rd(l, a::kPpr), c.ppr) << c.tpr << " " << c.isr;
    EXPECT_EQ(l.ppr(), c.ppr);
  }
}

TEST(Lapic, ApicArbitrationPriority) {
  Lapic l = enabled();
  wr(l, a::kTpr, 0x21);
  EXPECT_EQ(rd(l, a::kApr), 0x21u);
  ASSERT_TRUE(l.accept_interrupt(0x45, false));
  EXPECT_EQ(rd(l, a::kApr), 0x40u);
}

TEST(Lapic, PriorityAndNesting) {
  Lapic l = enabled();
  wr(l, a::kTpr, 0x40);
  ASSERT_TRUE(l.accept_interrupt(0x41, false));
  ASSERT_TRUE(l.accept_interrupt(0x4f, false));
  EXPECT_EQ(l.highest_pending_irr(), -1);  // same class as TPR: blocked
  EXPECT_EQ(l.ack(), -1);
  ASSERT_TRUE(l.accept_interrupt(0x50, false));
  EXPECT_EQ(l.highest_pending_irr(), 0x50);
  wr(l, a::kTpr, 0);
  EXPECT_EQ(l.ack(), 0x50);
  // 0x4f is in a lower class than the in-service 0x50.
  EXPECT_EQ(l.highest_pending_irr(), -1);
  ASSERT_TRUE(l.accept_interrupt(0xe0, false));
  EXPECT_EQ(l.ack(), 0xe0);  // nests above 0x50
  EXPECT_TRUE(l.isr_test(0xe0));
  EXPECT_TRUE(l.isr_test(0x50));
  auto eff = wr(l, a::kEoi, 0);
  EXPECT_TRUE(eff.eoi);
  EXPECT_EQ(eff.eoi_vector, 0xe0);
  EXPECT_FALSE(eff.eoi_level);
  EXPECT_FALSE(l.isr_test(0xe0));
  eff = wr(l, a::kEoi, 0);
  EXPECT_EQ(eff.eoi_vector, 0x50);
  EXPECT_EQ(l.ack(), 0x4f);
  EXPECT_EQ(l.ack(), -1);  // 0x41 is in the same class as the in-service 0x4f
  wr(l, a::kEoi, 0);
  EXPECT_EQ(l.ack(), 0x41);
  wr(l, a::kEoi, 0);
  EXPECT_FALSE(wr(l, a::kEoi, 0).eoi);  // nothing in service
}

TEST(Lapic, LevelTriggeredEoi) {
  Lapic l = enabled();
  ASSERT_TRUE(l.accept_interrupt(0x61, true));
  EXPECT_EQ(l.ack(), 0x61);
  auto eff = wr(l, a::kEoi, 0);
  EXPECT_TRUE(eff.eoi && eff.eoi_level);
  EXPECT_EQ(eff.eoi_vector, 0x61);
}

struct IcrCase {
  uint32_t low, high;
  ApicIpi want;
};

TEST(Lapic, IcrDecoding) {
  const IcrCase cases[] = {
      {0x000040fd,
       0x07000000,
       {7, ApicShorthand::kNone, ApicDeliveryMode::kFixed, false, 0xfd, true, false}},
      {0x00000930,
       0x0f000000,
       {0xf, ApicShorthand::kNone, ApicDeliveryMode::kLowest, true, 0x30, false, false}},
      {0x000c4500,
       0,
       {0, ApicShorthand::kAllButSelf, ApicDeliveryMode::kInit, false, 0, true, false}},
      {0x000c8500,
       0,
       {0, ApicShorthand::kAllButSelf, ApicDeliveryMode::kInit, false, 0, false, true}},
      {0x000c4608,
       0,
       {0, ApicShorthand::kAllButSelf, ApicDeliveryMode::kStartup, false, 8, true, false}},
      {0x00044400,
       0x01000000,
       {1, ApicShorthand::kSelf, ApicDeliveryMode::kNmi, false, 0, true, false}},
      {0x00088020,
       0,
       {0, ApicShorthand::kAllIncludingSelf, ApicDeliveryMode::kFixed, false, 0x20, false, true}},
  };
  for (auto& c : cases) {
    Lapic l = enabled();
    wr(l, a::kIcr2, c.high);
    EXPECT_FALSE(wr(l, a::kIcr2, c.high).ipi);  // ICR2 alone sends nothing
    auto eff = wr(l, a::kIcr, c.low);
    ASSERT_TRUE(eff.ipi) << std::hex << c.low;
    EXPECT_EQ(eff.ipi_msg.dest, c.want.dest);
    EXPECT_EQ(eff.ipi_msg.shorthand, c.want.shorthand);
    EXPECT_EQ(eff.ipi_msg.mode, c.want.mode);
    EXPECT_EQ(eff.ipi_msg.logical, c.want.logical);
    EXPECT_EQ(eff.ipi_msg.vector, c.want.vector);
    EXPECT_EQ(eff.ipi_msg.assert_level, c.want.assert_level);
    EXPECT_EQ(eff.ipi_msg.level_trigger, c.want.level_trigger);
    EXPECT_EQ(rd(l, a::kIcr) & (1u << 12), 0u);  // delivery status: idle
  }
}

TEST(Lapic, TimerDivisorTable) {
  const uint32_t div[16] = {2, 4, 8, 16, 2, 4, 8, 16, 32, 64, 128, 1, 32, 64, 128, 1};
  for (uint32_t v = 0; v < 16; ++v) EXPECT_EQ(Lapic::divisor(v), div[v]) << v;
}

TEST(Lapic, OneShotTimer) {
  Lapic l(10);  // 10 ns bus cycle
  l.reset(0, true);
  wr(l, a::kSvr, 0x1ff);
  l.set_now(1000);
  wr(l, a::kTdcr, 0x1);  // divide by 4: 40 ns per count
  wr(l, a::kLvtTimer, 0x40);
  EXPECT_EQ(l.timer_mode(), ApicTimerMode::kOneShot);
  EXPECT_EQ(l.next_timer_expiry(), 0u);
  EXPECT_TRUE(wr(l, a::kTmict, 100).timer_changed);
  EXPECT_EQ(l.next_timer_expiry(), 1000u + 4000);
  EXPECT_EQ(rd(l, a::kTmcct), 100u);
  l.set_now(1000 + 39);
  EXPECT_EQ(rd(l, a::kTmcct), 100u);
  l.set_now(1000 + 40);
  EXPECT_EQ(rd(l, a::kTmcct), 99u);
  l.set_now(1000 + 2020);
  EXPECT_EQ(rd(l, a::kTmcct), 50u);
  EXPECT_FALSE(l.poll_timer());
  l.set_now(5000);
  EXPECT_EQ(rd(l, a::kTmcct), 0u);
  EXPECT_TRUE(l.poll_timer());
  EXPECT_TRUE(l.irr_test(0x40));
  EXPECT_FALSE(l.tmr_test(0x40));
  EXPECT_EQ(l.next_timer_expiry(), 0u);
  EXPECT_FALSE(l.poll_timer());
  wr(l, a::kTmict, 0);  // zero stops it
  EXPECT_EQ(l.next_timer_expiry(), 0u);
}

TEST(Lapic, PeriodicTimerAndMask) {
  Lapic l;
  l.reset(0, true);
  wr(l, a::kSvr, 0x1ff);
  wr(l, a::kTdcr, 0xb);                           // divide by 1: 1 ns per count
  wr(l, a::kLvtTimer, 0x20000 | 0x10000 | 0x33);  // periodic, masked
  EXPECT_EQ(l.timer_mode(), ApicTimerMode::kPeriodic);
  wr(l, a::kTmict, 1000000);  // 1 ms
  l.set_now(2500000);
  EXPECT_EQ(rd(l, a::kTmcct), 500000u);
  EXPECT_TRUE(l.poll_timer());     // fires, coalescing two periods
  EXPECT_FALSE(l.irr_test(0x33));  // masked
  EXPECT_EQ(l.next_timer_expiry(), 3000000u);
  wr(l, a::kLvtTimer, 0x20000 | 0x33);
  l.set_now(3000000);
  EXPECT_EQ(rd(l, a::kTmcct), 1000000u);
  EXPECT_TRUE(l.poll_timer());
  EXPECT_TRUE(l.irr_test(0x33));
  EXPECT_EQ(l.next_timer_expiry(), 4000000u);
}

// A periodic timer shorter than 200 us runs at 200 us (found by fuzz_lapic:
// a 1-count period made the host's timer fire without end); its count
// still goes from TMICT to 0 in each period. One-shot timers keep theirs.
TEST(Lapic, PeriodicTimerHasAFloor) {
  Lapic l;
  l.reset(0, true);
  wr(l, a::kSvr, 0x1ff);
  wr(l, a::kTdcr, 0xb);  // divide by 1: 1 ns per count
  wr(l, a::kLvtTimer, 0x20000 | 0x33);
  wr(l, a::kTmict, 1);
  EXPECT_EQ(l.next_timer_expiry(), a::kMinPeriodicNs);
  l.set_now(a::kMinPeriodicNs / 2);
  EXPECT_FALSE(l.poll_timer());
  EXPECT_EQ(rd(l, a::kTmcct), 1u);
  const uint64_t start = a::kMinPeriodicNs / 2;
  wr(l, a::kTmict, 10000);  // 10 us, stretched: half way through, half the count
  EXPECT_EQ(l.next_timer_expiry(), start + a::kMinPeriodicNs);
  l.set_now(start + a::kMinPeriodicNs / 2);
  EXPECT_EQ(rd(l, a::kTmcct), 5000u);
  l.set_now(start + a::kMinPeriodicNs * 2 + 1);
  EXPECT_TRUE(l.poll_timer());
  EXPECT_EQ(l.next_timer_expiry(), start + a::kMinPeriodicNs * 3);
  wr(l, a::kLvtTimer, 0x33);  // one-shot: 1 count is 1 ns
  wr(l, a::kTmict, 1);
  EXPECT_EQ(l.next_timer_expiry(), start + a::kMinPeriodicNs * 2 + 2);
}

TEST(Lapic, TscDeadlineTimer) {
  Lapic l = enabled();
  l.set_tsc_deadline(500);  // ignored outside deadline mode
  EXPECT_EQ(l.tsc_deadline(), 0u);
  wr(l, a::kTmict, 100);
  auto eff = wr(l, a::kLvtTimer, 0x40000 | 0x50);
  EXPECT_TRUE(eff.timer_changed);
  EXPECT_EQ(l.timer_mode(), ApicTimerMode::kTscDeadline);
  EXPECT_EQ(rd(l, a::kTmcct), 0u);
  wr(l, a::kTmict, 7);  // ignored in deadline mode
  EXPECT_EQ(rd(l, a::kTmict), 100u);
  l.set_tsc_deadline(500);
  EXPECT_EQ(l.next_timer_expiry(), 500u);
  l.set_now(499);
  EXPECT_FALSE(l.poll_timer());
  l.set_now(500);
  EXPECT_TRUE(l.poll_timer());
  EXPECT_TRUE(l.irr_test(0x50));
  EXPECT_EQ(l.tsc_deadline(), 0u);
  EXPECT_EQ(l.next_timer_expiry(), 0u);
}

TEST(Lapic, ApicBaseTransitions) {
  const uint64_t dis = a::kDefaultBase, xa = dis | a::kBaseEnable, x2m = xa | a::kBaseExtd;
  struct Case {
    uint64_t from, to;
    bool ok;
  } cases[] = {
      {xa, x2m, true},
      {xa, dis, true},
      {x2m, dis, true},
      {dis, xa, true},
      {x2m, xa, false},
      {dis, x2m, false},
      {xa, dis | a::kBaseExtd, false},
      {xa, xa | 1, false},
      {xa, xa | (1ull << 60), false},
  };
  for (auto& c : cases) {
    Lapic l;
    l.reset(2, false);
    if (c.from == x2m) {
      ASSERT_TRUE(l.set_apic_base(x2m).ok());
    }
    if (c.from == dis) {
      ASSERT_TRUE(l.set_apic_base(dis).ok());
    }
    EXPECT_EQ(l.set_apic_base(c.to).ok(), c.ok) << std::hex << c.from << "->" << c.to;
  }
}

TEST(Lapic, HardwareDisabledDecodesNothing) {
  Lapic l = enabled();
  ASSERT_TRUE(l.set_apic_base(a::kDefaultBase).ok());
  EXPECT_FALSE(l.read(a::kVersion, 4).ok());
  EXPECT_FALSE(l.write(a::kTpr, 0).ok());
  EXPECT_FALSE(l.accept_interrupt(0x30, false));
  ASSERT_TRUE(l.set_apic_base(a::kDefaultBase | a::kBaseEnable).ok());
  EXPECT_EQ(rd(l, a::kSvr), 0xffu);  // back at power-up state
  EXPECT_EQ(l.id(), 3u);
}

TEST(Lapic, X2apicIdsAndMmioOff) {
  Lapic l;
  l.reset(0x35, false);
  ASSERT_TRUE(l.set_apic_base(a::kDefaultBase | a::kBaseEnable | a::kBaseExtd).ok());
  EXPECT_TRUE(l.x2apic_mode());
  EXPECT_FALSE(l.read(a::kVersion, 4).ok());
  EXPECT_EQ(l.read_msr(0x802).value(), 0x35u);
  // Logical x2APIC ID: cluster 3, bit 5.
  EXPECT_EQ(l.read_msr(0x80d).value(), (3u << 16) | (1u << 5));
  EXPECT_EQ(l.read_msr(0x803).value(), 0x50014u);
}

TEST(Lapic, X2apicMsrAccessRules) {
  Lapic l = x2();
  struct Case {
    uint32_t msr;
    bool readable, writable_zero;
  } cases[] = {
      {0x802, true, false},  {0x803, true, false}, {0x808, true, true},   {0x809, false, false},
      {0x80a, true, false},  {0x80b, false, true}, {0x80c, false, false}, {0x80d, true, false},
      {0x80e, false, false}, {0x80f, true, true},  {0x810, true, false},  {0x818, true, false},
      {0x820, true, false},  {0x828, true, true},  {0x82f, false, false}, {0x830, true, true},
      {0x831, false, false}, {0x832, true, true},  {0x837, true, true},   {0x838, true, true},
      {0x839, true, false},  {0x83e, true, true},  {0x83f, false, true},  {0x840, false, false},
  };
  for (auto& c : cases) {
    EXPECT_EQ(l.read_msr(c.msr).ok(), c.readable) << std::hex << c.msr;
    EXPECT_EQ(l.write_msr(c.msr, 0).ok(), c.writable_zero) << std::hex << c.msr;
  }
  EXPECT_FALSE(l.write(a::kSvr, 0).ok());  // MMIO is off in x2APIC mode
  ASSERT_TRUE(l.write_msr(0x80f, 0x1ff).ok());
  EXPECT_FALSE(l.read_msr(0x7ff).ok());
  EXPECT_FALSE(l.read_msr(0x900).ok());
}

TEST(Lapic, X2apicReservedBits) {
  Lapic l = x2();
  struct Case {
    uint32_t msr;
    uint64_t value;
  } bad[] = {
      {0x808, 0x100},    {0x80b, 1},        {0x828, 1},          {0x80f, 0x1000},
      {0x83e, 0x4},      {0x83f, 0x100},    {0x832, 0x80000},    {0x838, 1ull << 32},
      {0x830, 1u << 13}, {0x830, 1u << 16}, {0x835, 1ull << 40},
  };
  for (auto& c : bad) EXPECT_FALSE(l.write_msr(c.msr, c.value).ok()) << std::hex << c.msr;
  Lapic xa = enabled();
  EXPECT_FALSE(xa.read_msr(0x802).ok());  // not in x2APIC mode
  EXPECT_FALSE(xa.write_msr(0x808, 0).ok());
}

TEST(Lapic, X2apicIcrAndSelfIpi) {
  Lapic l = x2();
  auto r = l.write_msr(0x830, (uint64_t(0x12345678) << 32) | 0x4000 | 0x0800 | 0x0ef);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().ipi);
  EXPECT_EQ(r.value().ipi_msg.dest, 0x12345678u);
  EXPECT_TRUE(r.value().ipi_msg.logical);
  EXPECT_EQ(r.value().ipi_msg.vector, 0xef);
  EXPECT_EQ(l.read_msr(0x830).value(), (uint64_t(0x12345678) << 32) | 0x48ef);
  auto s = l.write_msr(0x83f, 0x77);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s.value().ipi);
  EXPECT_EQ(s.value().ipi_msg.shorthand, ApicShorthand::kSelf);
  EXPECT_EQ(s.value().ipi_msg.mode, ApicDeliveryMode::kFixed);
  EXPECT_EQ(s.value().ipi_msg.vector, 0x77);
  // TPR, EOI through MSRs.
  ASSERT_TRUE(l.accept_interrupt(0x90, true));
  EXPECT_EQ(l.ack(), 0x90);
  EXPECT_EQ(l.read_msr(0x80a).value(), 0x90u);
  auto e = l.write_msr(0x80b, 0);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e.value().eoi_level);
  EXPECT_EQ(e.value().eoi_vector, 0x90);
}

TEST(Lapic, StateRoundTrip) {
  Lapic l = enabled();
  wr(l, a::kTpr, 0x20);
  ASSERT_TRUE(l.accept_interrupt(0x80, true));
  ASSERT_TRUE(l.accept_interrupt(0x31, false));
  EXPECT_EQ(l.ack(), 0x80);
  wr(l, a::kLvtTimer, 0x20);
  wr(l, a::kTdcr, 0xb);
  wr(l, a::kTmict, 1000);
  l.set_now(300);
  kvm_lapic_state s;
  l.get_state(&s);
  uint32_t v;
  __builtin_memcpy(&v, &s.regs[a::kPpr], 4);
  EXPECT_EQ(v, 0x80u);
  __builtin_memcpy(&v, &s.regs[a::kTmcct], 4);
  EXPECT_EQ(v, 700u);
  __builtin_memcpy(&v, &s.regs[a::kIsr + 0x40], 4);
  EXPECT_EQ(v, 1u);
  Lapic m;
  m.set_now(1000);
  m.set_state(s);
  EXPECT_TRUE(m.isr_test(0x80));
  EXPECT_TRUE(m.irr_test(0x31));
  EXPECT_TRUE(m.tmr_test(0x80));
  EXPECT_EQ(rd(m, a::kTpr), 0x20u);
  EXPECT_EQ(rd(m, a::kTmcct), 1000u);  // restarted from the initial count
  EXPECT_EQ(m.next_timer_expiry(), 2000u);
}

}  // namespace

// The ICR keeps what was written: every bit but BUSY in xAPIC mode; in x2APIC
// mode BUSY too (it is not reserved there), reserved bits #GP.
TEST(Lapic, IcrReadsBackWhatWasWritten) {
  Lapic xa = enabled();
  ASSERT_TRUE(xa.write(apic::kIcr, 0xfff3ffffu).ok());
  EXPECT_EQ(xa.reg(apic::kIcr), 0xfff3efffu);
  Lapic l = x2();
  ASSERT_TRUE(l.write_msr(0x830, 0x000c5000ull | (7ull << 32)).ok());
  EXPECT_EQ(l.read_msr(0x830).value(), 0x000c5000ull | (7ull << 32));
  EXPECT_FALSE(l.write_msr(0x830, 1ull << 20).ok());
}

namespace {

// INIT in x2APIC mode keeps the mode, the ID and the logical ID (found by
// fuzz_lapic: the logical ID read 0 after an INIT).
TEST(Lapic, InitInX2apicModeKeepsTheLogicalId) {
  Lapic l;
  l.reset(0x123, true);
  ASSERT_TRUE(l.set_apic_base(a::kDefaultBase | a::kBaseEnable | a::kBaseExtd).ok());
  EXPECT_EQ(l.reg(a::kLdr), a::x2apic_ldr(0x123));
  l.init();
  EXPECT_TRUE(l.x2apic_mode());
  EXPECT_EQ(l.reg(a::kId), 0x123u);
  EXPECT_EQ(l.reg(a::kLdr), a::x2apic_ldr(0x123));
}

}  // namespace
