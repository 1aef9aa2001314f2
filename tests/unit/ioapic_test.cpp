// SPDX-License-Identifier: GPL-2.0
// The I/O APIC model: indirect registers, redirection, edge/level and remote
// IRR, EOI, state import/export.
#include <gtest/gtest.h>
#include <arch/x86/kvm/irq/ioapic.hpp>

namespace {

using namespace kvmpp::x86;
namespace io = kvmpp::x86::ioapic;

uint32_t rd(Ioapic& a, uint32_t index) {
  EXPECT_FALSE(a.mmio_write(io::kRegSel, index).valid);
  return a.mmio_read(io::kWindow);
}

IoapicMessage wr(Ioapic& a, uint32_t index, uint32_t v) {
  EXPECT_FALSE(a.mmio_write(io::kRegSel, index).valid);
  return a.mmio_write(io::kWindow, v);
}

// Program @pin: low dword @lo, destination @dest.
IoapicMessage program(Ioapic& a, unsigned pin, uint32_t lo, uint8_t dest) {
  EXPECT_FALSE(wr(a, 0x11 + 2 * pin, uint32_t(dest) << 24).valid);
  return wr(a, 0x10 + 2 * pin, lo);
}

TEST(Ioapic, ResetValues) {
  Ioapic a;
  EXPECT_EQ(rd(a, 0), 0u);
  EXPECT_EQ(rd(a, 1), 0x00170011u);
  EXPECT_EQ(rd(a, 2), 0u);
  for (unsigned pin = 0; pin < io::kPins; ++pin) {
    EXPECT_EQ(rd(a, 0x10 + 2 * pin), 0x10000u) << pin;
    EXPECT_EQ(rd(a, 0x11 + 2 * pin), 0u) << pin;
  }
  EXPECT_EQ(rd(a, 0x40), 0u);  // past the table
  EXPECT_EQ(a.mmio_read(io::kRegSel), 0x40u);
  EXPECT_EQ(a.base_address(), 0xfec00000u);
}

TEST(Ioapic, IdVersionArbitration) {
  Ioapic a;
  wr(a, 0, 0xffffffff);
  EXPECT_EQ(rd(a, 0), 0x0f000000u);
  EXPECT_EQ(rd(a, 2), 0x0f000000u);
  wr(a, 1, 0);  // read-only
  wr(a, 2, 0);
  EXPECT_EQ(rd(a, 1), 0x00170011u);
  EXPECT_EQ(rd(a, 2), 0x0f000000u);
}

TEST(Ioapic, RedirectionReadOnlyBits) {
  Ioapic a;
  wr(a, 0x10, 0xffffffff);
  EXPECT_EQ(rd(a, 0x10), 0x1afffu);  // delivery status, remote IRR read-only
  wr(a, 0x11, 0xffffffff);
  EXPECT_EQ(rd(a, 0x11), 0xff000000u);
  EXPECT_EQ(a.redirection(0), 0xff0000000001afffull);
}

struct EdgeCase {
  uint32_t lo;
  uint8_t dest;
  uint8_t mode;
  bool logical;
};

TEST(Ioapic, EdgeDeliveryTable) {
  const EdgeCase cases[] = {
      {0x0030, 1, 0, false}, {0x0931, 0x0f, 1, true}, {0x0400, 2, 4, false},
      {0x0700, 0, 7, false}, {0x08fe, 0xff, 0, true},
  };
  for (auto& c : cases) {
    Ioapic a;
    EXPECT_FALSE(program(a, 4, c.lo, c.dest).valid);
    auto m = a.set_irq(4, true);
    ASSERT_TRUE(m.valid) << std::hex << c.lo;
    EXPECT_EQ(m.vector, uint8_t(c.lo));
    EXPECT_EQ(m.dest, c.dest);
    EXPECT_EQ(m.delivery_mode, c.mode);
    EXPECT_EQ(m.logical, c.logical);
    EXPECT_FALSE(m.level);
    EXPECT_EQ(m.pin, 4);
    EXPECT_FALSE(a.set_irq(4, true).valid);  // no new edge
    EXPECT_FALSE(a.set_irq(4, false).valid);
    EXPECT_TRUE(a.set_irq(4, true).valid);
    EXPECT_EQ(a.redirection(4) & io::kRemoteIrr, 0u);
  }
}

TEST(Ioapic, MaskedPinsDropInterrupts) {
  Ioapic a;
  EXPECT_FALSE(a.set_irq(3, true).valid);  // masked at reset
  EXPECT_EQ(a.irr(), 1u << 3);
  // Unmasking an edge pin that is already high does not deliver.
  EXPECT_FALSE(program(a, 3, 0x40, 0).valid);
  EXPECT_FALSE(a.set_irq(24, true).valid);
}

TEST(Ioapic, LevelRemoteIrrAndEoi) {
  Ioapic a;
  program(a, 9, 0x8000 | 0x51, 1);
  auto m = a.set_irq(9, true);
  ASSERT_TRUE(m.valid);
  EXPECT_TRUE(m.level);
  EXPECT_NE(a.redirection(9) & io::kRemoteIrr, 0u);
  EXPECT_NE(rd(a, 0x10 + 18) & (1u << 14), 0u);
  EXPECT_FALSE(a.set_irq(9, true).valid);  // remote IRR blocks
  IoapicMessage out[io::kPins];
  // EOI while still asserted: delivered again.
  EXPECT_EQ(a.eoi(0x51, out), 1u);
  EXPECT_EQ(out[0].vector, 0x51);
  EXPECT_EQ(out[0].pin, 9);
  EXPECT_NE(a.redirection(9) & io::kRemoteIrr, 0u);
  a.set_irq(9, false);
  EXPECT_EQ(a.eoi(0x51, out), 0u);
  EXPECT_EQ(a.redirection(9) & io::kRemoteIrr, 0u);
  EXPECT_EQ(a.eoi(0x52, out), 0u);  // other vectors: nothing
  EXPECT_TRUE(a.set_irq(9, true).valid);
}

TEST(Ioapic, EoiSharedVector) {
  Ioapic a;
  program(a, 1, 0x8000 | 0x60, 0);
  program(a, 2, 0x8000 | 0x60, 0);
  program(a, 3, 0x60, 0);  // edge, same vector: untouched by EOI
  EXPECT_TRUE(a.set_irq(1, true).valid);
  EXPECT_TRUE(a.set_irq(2, true).valid);
  EXPECT_TRUE(a.set_irq(3, true).valid);
  IoapicMessage out[io::kPins];
  EXPECT_EQ(a.eoi(0x60, out), 2u);
  EXPECT_EQ(out[0].pin, 1);
  EXPECT_EQ(out[1].pin, 2);
}

TEST(Ioapic, UnmaskAssertedLevelPinDelivers) {
  Ioapic a;
  EXPECT_FALSE(program(a, 5, 0x18000 | 0x70, 0).valid);  // masked level
  EXPECT_FALSE(a.set_irq(5, true).valid);
  auto m = program(a, 5, 0x8000 | 0x70, 0);
  EXPECT_TRUE(m.valid);
  EXPECT_EQ(m.vector, 0x70);
  // Switching to edge clears remote IRR.
  program(a, 5, 0x70, 0);
  EXPECT_EQ(a.redirection(5) & io::kRemoteIrr, 0u);
}

TEST(Ioapic, StateRoundTrip) {
  Ioapic a;
  wr(a, 0, 0x03000000);
  program(a, 7, 0x8000 | 0x41, 2);
  EXPECT_TRUE(a.set_irq(7, true).valid);
  a.mmio_write(io::kRegSel, 0x1f);
  kvm_ioapic_state s;
  a.get_state(&s);
  EXPECT_EQ(s.base_address, 0xfec00000u);
  EXPECT_EQ(s.id, 3u);
  EXPECT_EQ(s.ioregsel, 0x1fu);
  EXPECT_EQ(s.irr, 1u << 7);
  EXPECT_EQ(s.redirtbl[7].fields.vector, 0x41);
  EXPECT_EQ(s.redirtbl[7].fields.trig_mode, 1);
  EXPECT_EQ(s.redirtbl[7].fields.remote_irr, 1);
  EXPECT_EQ(s.redirtbl[7].fields.dest_id, 2);
  EXPECT_EQ(s.redirtbl[0].fields.mask, 1);
  Ioapic b;
  b.set_state(s);
  kvm_ioapic_state t;
  b.get_state(&t);
  EXPECT_EQ(__builtin_memcmp(&s, &t, sizeof(s)), 0);
  EXPECT_EQ(rd(b, 0), 0x03000000u);
  EXPECT_FALSE(b.set_irq(7, true).valid);  // remote IRR carried over
}

}  // namespace
