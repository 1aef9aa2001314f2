// SPDX-License-Identifier: GPL-2.0
// The 8259A model: initialization sequences, masks, priorities and rotation,
// EOI forms, OCW3 reads and poll, ELCR, auto-EOI and the cascade.
#include <gtest/gtest.h>
#include <arch/x86/kvm/irq/pic.hpp>

namespace {

using namespace kvmpp::x86;

// The PC BIOS sequence: ICW1 edge+ICW4, ICW2 base, ICW3, ICW4 8086 mode.
void init_chip(Pic8259& p, uint8_t base, uint8_t icw4 = 0x01) {
  p.write(false, 0x11);
  p.write(true, base);
  p.write(true, 0x04);
  p.write(true, icw4);
  p.write(true, 0x00);  // OCW1: unmask all
}

void init_pair(PicPair& pp) {
  const uint8_t seq[][2] = {{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01}, {0xa0, 0x11},
                            {0xa1, 0x70}, {0xa1, 0x02}, {0xa1, 0x01}, {0x21, 0x00}, {0xa1, 0x00}};
  for (auto& s : seq) ASSERT_TRUE(pp.pio_write(s[0], s[1]));
}

TEST(Pic, InitSequences) {
  struct Case {
    uint8_t icw1;
    uint8_t writes;  // data writes needed after ICW1 to be ready
    bool auto_eoi;
  } cases[] = {
      {0x11, 3, false},  // cascade + ICW4
      {0x10, 2, false},  // cascade, no ICW4
      {0x13, 2, false},  // single + ICW4
      {0x12, 1, false},  // single, no ICW4
  };
  for (auto& c : cases) {
    Pic8259 p;
    p.write(true, 0x55);
    p.write(false, c.icw1);
    EXPECT_EQ(p.imr(), 0u);  // ICW1 clears the mask
    p.write(true, 0x2f);     // ICW2: low bits ignored
    for (unsigned i = 1; i < c.writes; ++i) p.write(true, 0x00);
    EXPECT_EQ(p.irq_base(), 0x28);
    p.write(true, 0xa5);  // now OCW1
    EXPECT_EQ(p.imr(), 0xa5) << int(c.icw1);
    EXPECT_EQ(p.read(true), 0xa5);
  }
}

TEST(Pic, FixedPriorityAndMask) {
  Pic8259 p;
  init_chip(p, 0x08);
  EXPECT_FALSE(p.has_interrupt());
  p.set_irq(5, true);
  p.set_irq(3, true);
  EXPECT_EQ(p.pending_irq(), 3);
  p.write(true, 0x08);  // mask IR3
  EXPECT_EQ(p.pending_irq(), 5);
  p.write(true, 0x00);
  EXPECT_EQ(p.ack(), 0x0b);
  EXPECT_EQ(p.isr(), 0x08);
  EXPECT_FALSE(p.has_interrupt());  // IR5 is lower than in-service IR3
  p.set_irq(1, false);
  p.set_irq(1, true);
  EXPECT_EQ(p.pending_irq(), 1);  // higher one nests
  EXPECT_EQ(p.ack(), 0x09);
  p.write(false, 0x20);  // non-specific EOI: IR1
  EXPECT_EQ(p.isr(), 0x08);
  p.write(false, 0x20);
  EXPECT_EQ(p.isr(), 0x00);
  EXPECT_EQ(p.ack(), 0x0d);
}

TEST(Pic, SpuriousIr7) {
  Pic8259 p;
  init_chip(p, 0x20);
  EXPECT_EQ(p.ack(), 0x27);
  EXPECT_EQ(p.isr(), 0u);
}

TEST(Pic, SpecificEoiAndRotation) {
  Pic8259 p;
  init_chip(p, 0x08);
  p.set_irq(2, true);
  p.set_irq(6, true);
  EXPECT_EQ(p.ack(), 0x0a);
  p.write(false, 0x60 | 2);  // specific EOI IR2
  EXPECT_EQ(p.isr(), 0u);
  EXPECT_EQ(p.ack(), 0x0e);
  p.write(false, 0xe0 | 6);  // rotate on specific EOI: IR6 lowest
  EXPECT_EQ(p.priority_add(), 7);
  p.set_irq(0, true);
  p.set_irq(7, true);
  EXPECT_EQ(p.pending_irq(), 7);  // 7 is now the highest
  EXPECT_EQ(p.ack(), 0x0f);
  p.write(false, 0xa0);  // rotate on non-specific EOI
  EXPECT_EQ(p.priority_add(), 0);
  EXPECT_EQ(p.pending_irq(), 0);
  p.write(false, 0xc0 | 3);  // set priority: IR3 lowest, IR4 highest
  EXPECT_EQ(p.priority_add(), 4);
  p.set_irq(4, true);
  EXPECT_EQ(p.pending_irq(), 4);
}

TEST(Pic, Ocw3ReadsAndPoll) {
  Pic8259 p;
  init_chip(p, 0x08);
  p.set_irq(4, true);
  p.set_irq(6, true);
  EXPECT_EQ(p.read(false), 0x50);  // IRR by default
  p.write(false, 0x0b);            // read ISR
  EXPECT_EQ(p.read(false), 0x00);
  p.write(false, 0x0c);  // poll
  EXPECT_EQ(p.read(false), 0x84);
  EXPECT_EQ(p.read(false), 0x10);  // ISR again; poll is one-shot
  p.write(false, 0x0a);            // back to IRR
  EXPECT_EQ(p.read(false), 0x40);
  p.write(false, 0x20);
  p.set_irq(6, false);
  p.write(false, 0x0c);
  EXPECT_EQ(p.read(false), 0x86);
  p.write(false, 0x20);
  p.write(false, 0x0c);
  EXPECT_EQ(p.read(false), 0x00);  // nothing pending
}

TEST(Pic, SpecialMaskMode) {
  Pic8259 p;
  init_chip(p, 0x08);
  p.set_irq(3, true);
  EXPECT_EQ(p.ack(), 0x0b);
  p.set_irq(5, true);
  EXPECT_FALSE(p.has_interrupt());
  p.write(true, 0x08);   // mask the in-service IR3
  p.write(false, 0x68);  // set special mask
  EXPECT_EQ(p.pending_irq(), 5);
  p.write(false, 0x48);  // reset special mask
  EXPECT_FALSE(p.has_interrupt());
}

TEST(Pic, LevelTriggeredViaElcr) {
  Pic8259 p(0xf8);
  init_chip(p, 0x08);
  p.write_elcr(0xff);
  EXPECT_EQ(p.elcr(), 0xf8);  // IR0-2 are edge-only
  p.set_irq(5, true);
  EXPECT_EQ(p.ack(), 0x0d);
  EXPECT_EQ(p.irr() & 0x20, 0x20);  // level request stays while the line is high
  p.write(false, 0x20);
  EXPECT_EQ(p.pending_irq(), 5);
  p.set_irq(5, false);
  EXPECT_FALSE(p.has_interrupt());
  // Edge: a held line does not re-request after ack.
  p.set_irq(1, true);
  EXPECT_EQ(p.ack(), 0x09);
  p.write(false, 0x20);
  p.set_irq(1, true);
  EXPECT_FALSE(p.has_interrupt());
}

TEST(Pic, AutoEoi) {
  Pic8259 p;
  init_chip(p, 0x08, 0x03);  // 8086 + AEOI
  p.set_irq(2, true);
  EXPECT_EQ(p.ack(), 0x0a);
  EXPECT_EQ(p.isr(), 0u);
  p.write(false, 0x80);  // rotate in AEOI mode
  p.set_irq(5, true);
  EXPECT_EQ(p.ack(), 0x0d);
  EXPECT_EQ(p.priority_add(), 6);
  p.write(false, 0x00);
  p.set_irq(6, true);
  p.set_irq(6, false);
  p.set_irq(7, true);
  EXPECT_EQ(p.ack(), 0x0e);
  EXPECT_EQ(p.priority_add(), 6);
}

TEST(Pic, CascadeThroughIrq2) {
  PicPair pp;
  init_pair(pp);
  EXPECT_FALSE(pp.has_interrupt());
  pp.set_irq(12, true);
  EXPECT_TRUE(pp.has_interrupt());
  EXPECT_EQ(pp.ack(), 0x74);
  EXPECT_EQ(pp.master().isr(), 0x04);
  EXPECT_EQ(pp.slave().isr(), 0x10);
  pp.set_irq(1, true);  // master IR1 outranks the cascade
  EXPECT_TRUE(pp.has_interrupt());
  EXPECT_EQ(pp.ack(), 0x09);
  ASSERT_TRUE(pp.pio_write(0x20, 0x20));  // EOI IR1
  ASSERT_TRUE(pp.pio_write(0xa0, 0x20));  // slave EOI
  ASSERT_TRUE(pp.pio_write(0x20, 0x20));  // master EOI for the cascade
  EXPECT_EQ(pp.master().isr(), 0u);
  EXPECT_EQ(pp.slave().isr(), 0u);
  pp.set_irq(0, true);
  pp.set_irq(8, true);
  EXPECT_EQ(pp.ack(), 0x08);  // IR0 first
  EXPECT_EQ(pp.ack(), 0x0f);  // IR2 waits behind the in-service IR0: spurious IR7
  ASSERT_TRUE(pp.pio_write(0x20, 0x20));
  EXPECT_EQ(pp.ack(), 0x70);  // then the slave via IR2
  uint8_t v;
  ASSERT_TRUE(pp.pio_read(0x21, &v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(pp.pio_write(0x60, 0));
  EXPECT_FALSE(pp.pio_read(0x61, &v));
}

TEST(Pic, CascadeMaskedSlave) {
  PicPair pp;
  init_pair(pp);
  ASSERT_TRUE(pp.pio_write(0xa1, 0xff));
  pp.set_irq(9, true);
  EXPECT_FALSE(pp.has_interrupt());
  ASSERT_TRUE(pp.pio_write(0xa1, 0x00));
  EXPECT_TRUE(pp.has_interrupt());
  EXPECT_EQ(pp.ack(), 0x71);
  uint8_t v;
  ASSERT_TRUE(pp.pio_write(0x4d1, 0xff));
  ASSERT_TRUE(pp.pio_read(0x4d1, &v));
  EXPECT_EQ(v, 0xde);
}

TEST(Pic, StateRoundTrip) {
  PicPair pp;
  init_pair(pp);
  pp.set_irq(3, true);
  EXPECT_EQ(pp.ack(), 0x0b);
  pp.set_irq(6, true);
  ASSERT_TRUE(pp.pio_write(0x21, 0x80));
  kvm_pic_state s;
  pp.master().get_state(&s);
  EXPECT_EQ(s.irq_base, 0x08);
  EXPECT_EQ(s.isr, 0x08);
  EXPECT_EQ(s.irr, 0x40);
  EXPECT_EQ(s.imr, 0x80);
  EXPECT_EQ(s.init4, 1);
  EXPECT_EQ(s.init_state, 0);
  EXPECT_EQ(s.elcr_mask, 0xf8);
  Pic8259 q;
  q.set_state(s);
  kvm_pic_state t;
  q.get_state(&t);
  EXPECT_EQ(__builtin_memcmp(&s, &t, sizeof(s)), 0);
  q.write(false, 0x20);
  EXPECT_EQ(q.ack(), 0x0e);
}

}  // namespace
