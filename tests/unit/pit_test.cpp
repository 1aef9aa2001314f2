// SPDX-License-Identifier: GPL-2.0
// The 8254 model (irq/pit.hpp) and the VM's PIT (KVM_CREATE_PIT2 and
// friends): counts and OUT in each mode, latches and read-back, port 0x61
// and Linux's TSC calibration, channel 0's timer, reinjection, state ioctls.
#include <arch/x86/kvm/irq/irqchip.hpp>
#include <arch/x86/kvm/irq/pit.hpp>
#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include "irqchip_fixture.h"

namespace {

using kvmpp::x86::Pit;
constexpr uint64_t kMs = 1000000;
// Ticks of the 1.193182 MHz clock in @ns, as the model counts them.
uint64_t ticks(uint64_t ns) {
  return ns / 1000000000 * 1193182 + ns % 1000000000 * 1193182 / 1000000000;
}

struct Model {
  Pit pit;
  uint64_t now = 1000 * kMs;
  Model() { pit.reset(now); }
  void out(uint16_t port, uint8_t v) { ASSERT_TRUE(pit.write(port, v, now)); }
  uint8_t in(uint16_t port) {
    uint8_t v = 0xaa;
    EXPECT_TRUE(pit.read(port, &v, now));
    return v;
  }
  uint16_t in16(uint16_t port) { return uint16_t(in(port) | (in(port) << 8)); }
};

TEST(PitModel, UnknownPortsAreNotThePits) {
  Model m;
  uint8_t v;
  EXPECT_FALSE(m.pit.write(0x44, 0, m.now));
  EXPECT_FALSE(m.pit.read(0x3f, &v, m.now));
  EXPECT_EQ(m.in(0x43), 0);  // the control register reads nothing
}

TEST(PitModel, LinuxTscCalibrationOnChannel2) {
  Model m;
  // pit_calibrate_tsc(): gate high, speaker off; channel 2 mode 0 binary,
  // LSB then MSB; poll port 0x61 bit 5 until OUT goes high.
  m.pit.write_port_b(uint8_t((m.pit.read_port_b(m.now) & ~2) | 1), m.now);
  m.out(0x43, 0xb0);
  constexpr uint16_t kLatch = 59659;  // 50 ms
  m.out(0x42, kLatch & 0xff);
  m.out(0x42, kLatch >> 8);
  EXPECT_EQ(m.pit.read_port_b(m.now) & 0x21, 0x01);  // gate high, OUT low
  m.now += 25 * kMs;
  EXPECT_EQ(m.pit.read_port_b(m.now) & 0x20, 0);
  EXPECT_EQ(m.in16(0x42), uint16_t(kLatch - ticks(25 * kMs)));
  m.now += 25 * kMs + 10000;
  EXPECT_EQ(m.pit.read_port_b(m.now) & 0x20, 0x20);  // terminal count
}

TEST(PitModel, QuickCalibrationReadsTheMsbDown) {
  Model m;
  m.pit.write_port_b(1, m.now);
  m.out(0x43, 0xb0);
  m.out(0x42, 0xff);
  m.out(0x42, 0xff);
  uint8_t last = 0xff;
  for (int i = 0; i < 20; i++) {
    m.now += 200000;  // 0.2 ms
    m.in(0x42);       // LSB
    uint8_t msb = m.in(0x42);
    EXPECT_LE(msb, last);
    last = msb;
  }
  EXPECT_LT(last, 0xff - 10);
}

TEST(PitModel, ChannelZeroModesDriveTheTimer) {
  Model m;
  EXPECT_EQ(m.pit.next_irq_ns(), 0u);  // not programmed
  m.out(0x43, 0x34);                   // ch0, LSB/MSB, mode 2
  m.out(0x40, 0x9c);
  m.out(0x40, 0x2e);  // 11932: 10 ms
  uint64_t period = 11932ull * 1000000000 / 1193182;
  EXPECT_EQ(m.pit.period_ns(), period);
  EXPECT_EQ(m.pit.next_irq_ns(), m.now + period);
  uint64_t first = m.pit.next_irq_ns();
  EXPECT_EQ(m.pit.expired(first - 1), first);  // early: nothing changes
  EXPECT_EQ(m.pit.expired(first), first + period);
  // Mode 0: one shot.
  m.out(0x43, 0x30);
  m.out(0x40, 0x10);
  m.out(0x40, 0x00);
  EXPECT_EQ(m.pit.period_ns(), 0u);
  uint64_t shot = m.pit.next_irq_ns();
  EXPECT_EQ(m.pit.expired(shot), 0u);
  // A tiny period is clamped.
  m.out(0x43, 0x36);  // mode 3
  m.out(0x40, 2);
  m.out(0x40, 0);
  EXPECT_EQ(m.pit.period_ns(), kvmpp::x86::pit::kMinPeriodNs);
}

TEST(PitModel, OutWaveforms) {
  Model m;
  m.out(0x43, 0x16);  // ch0, LSB only, mode 3
  m.out(0x40, 100);
  uint64_t tick = 1000000000 / 1193182 + 1;  // just over one clock
  EXPECT_TRUE(m.pit.out(0, m.now));
  EXPECT_TRUE(m.pit.out(0, m.now + 49 * tick));
  EXPECT_FALSE(m.pit.out(0, m.now + 51 * tick));
  EXPECT_TRUE(m.pit.out(0, m.now + 101 * tick));
  m.out(0x43, 0x14);  // mode 2: low for the clock at count 1
  m.out(0x40, 10);
  EXPECT_TRUE(m.pit.out(0, m.now + 8 * tick));
  EXPECT_FALSE(m.pit.out(0, m.now + 9 * 1000000000ull / 1193182 + 10));
  m.out(0x43, 0x1e);                  // 7 aliases mode 3
  EXPECT_EQ(m.in(0x40), m.in(0x40));  // a live LSB-only read
  kvm_pit_state2 s;
  m.pit.get_state(&s);
  EXPECT_EQ(s.channels[0].mode, 3);
}

TEST(PitModel, LatchAndReadBack) {
  Model m;
  m.out(0x43, 0x74);  // ch1, word, mode 2
  m.out(0x41, 0x00);
  m.out(0x41, 0x10);  // 4096
  m.now += 1 * kMs;
  m.out(0x43, 0x40);  // latch ch1
  m.now += 1 * kMs;   // the latch holds
  uint16_t latched = m.in16(0x41);
  EXPECT_EQ(latched, uint16_t(4096 - ticks(kMs)));
  // Read-back of status and count of ch1: status first.
  m.out(0x43, 0xc4);
  uint8_t status = m.in(0x41);
  EXPECT_EQ(status & 0x3f, (3 << 4) | (2 << 1));
  EXPECT_EQ(m.in16(0x41), uint16_t(4096 - ticks(2 * kMs) % 4096));
  // BCD: 1234 counts down in decimal digits.
  m.out(0x43, 0xb1);  // ch2, word, mode 0, BCD
  m.pit.write_port_b(1, m.now);
  m.out(0x42, 0x34);
  m.out(0x42, 0x12);
  m.out(0x43, 0x80);
  EXPECT_EQ(m.in16(0x42), 0x1234);
}

TEST(PitModel, StateRoundTripAndHpetLegacy) {
  Model m;
  m.out(0x43, 0x34);
  m.out(0x40, 0x00);
  m.out(0x40, 0x10);
  kvm_pit_state2 s;
  m.pit.get_state(&s);
  EXPECT_EQ(s.channels[0].count, 0x1000u);
  EXPECT_EQ(s.channels[0].mode, 2);
  EXPECT_EQ(s.channels[0].gate, 1);
  EXPECT_EQ(s.channels[2].gate, 0);
  Model other;
  other.now += 5 * kMs;
  s.flags = KVM_PIT_FLAGS_HPET_LEGACY;
  other.pit.set_state(s, other.now);
  EXPECT_EQ(other.pit.next_irq_ns(), 0u);  // the HPET has IRQ0
  s.flags = 0;
  other.pit.set_state(s, other.now);
  EXPECT_EQ(other.pit.next_irq_ns(), other.now + m.pit.period_ns());
  kvm_pit_state2 t;
  other.pit.get_state(&t);
  EXPECT_EQ(t.channels[0].count_load_time, int64_t(other.now));
  EXPECT_EQ(t.channels[0].rw_mode, s.channels[0].rw_mode);
}

// The VM's PIT through the ioctls and the port bus.
class PitVmTest : public IrqchipTest {
 protected:
  kvmpp::Vm& vm() { return *static_cast<kvmpp::Vm*>(object(vm_)); }
  long create(uint32_t flags = KVM_PIT_SPEAKER_DUMMY) {
    kvm_pit_config c{};
    c.flags = flags;
    return vm_ioctl(vm_, KVM_CREATE_PIT2, ptr(&c));
  }
  void out(kvmpp::Vcpu& v, uint16_t port, uint8_t val) {
    ASSERT_TRUE(vm().pio_bus().write(v, port, 1, &val));
  }
  // The PIT and a vCPU, IRQ0 unmasked at the PIC (vectors 0x20-0x27),
  // channel 0 periodic at 10 ms.
  kvmpp::Vcpu& start_periodic_irq0() {
    EXPECT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
    EXPECT_EQ(create(), 0);
    auto& v = *static_cast<kvmpp::Vcpu*>(object(add_vcpu(0)));
    for (uint8_t b : {0x11, 0x20, 0x04, 0x01, 0xfe}) out(v, b == 0x11 ? 0x20 : 0x21, b);
    out(v, 0x43, 0x34);
    out(v, 0x40, 0x9c);
    out(v, 0x40, 0x2e);
    return v;
  }
  uint8_t pic_irr() {
    kvm_irqchip chip{};
    chip.chip_id = KVM_IRQCHIP_PIC_MASTER;
    EXPECT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), 0);
    return chip.chip.pic.irr;
  }
};

TEST_F(PitVmTest, CreateAndStateErrnos) {
  kvm_pit_state2 s{};
  kvm_reinject_control r{};
  EXPECT_EQ(create(), -ENOENT);  // no in-kernel PIC
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_PIT2, ptr(&s)), -ENXIO);
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_PIT2, ptr(&s)), -ENXIO);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_PIT2, ptr(&s)), -ENXIO);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_PIT, ptr(&s)), -ENXIO);
  EXPECT_EQ(vm_ioctl(vm_, KVM_REINJECT_CONTROL, ptr(&r)), -ENXIO);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CREATE_PIT2, 8), -EFAULT);
  EXPECT_EQ(create(KVM_PIT_SPEAKER_DUMMY | 2), 0);  // unknown flags ignored, as stock
  EXPECT_EQ(create(), -EEXIST);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CREATE_PIT), -EEXIST);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_PIT2, ptr(&s)), 0);
  EXPECT_EQ(s.channels[0].mode, 0xff);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_PIT2, ptr(&s)), 0);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_PIT2, 8), -EFAULT);
  EXPECT_EQ(vm_ioctl(vm_, KVM_REINJECT_CONTROL, ptr(&r)), 0);
  EXPECT_EQ(vm().pio_bus().ranges(), 3u + 2u);  // the PIC's, 0x40-0x43, 0x61
  for (long cap : {KVM_CAP_PIT, KVM_CAP_PIT2, KVM_CAP_PIT_STATE2, KVM_CAP_REINJECT_CONTROL})
    EXPECT_EQ(dev(KVM_CHECK_EXTENSION, cap), 1) << cap;
}

TEST_F(PitVmTest, WithoutSpeakerDummyPort61IsUserSpaces) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  ASSERT_EQ(create(0), 0);
  EXPECT_EQ(vm().pio_bus().ranges(), 3u + 1u);
}

TEST_F(PitVmTest, TicksAreReinjectedOnePerAck) {
  kvmpp::Vcpu& v = start_periodic_irq0();
  for (int i = 0; i < 3; i++) fake::advance_time(10 * kMs + 1000);  // three ticks
  fake::run_work();
  // The first tick was raised; the others wait for acknowledgements.
  for (int tick = 0; tick < 3; tick++) {
    EXPECT_EQ(pic_irr() & 1, 1) << tick;
    EXPECT_EQ(kvmpp::x86::pic_ack(v), 0x20) << tick;  // the guest's INTA
    out(v, 0x20, 0x20);                               // and its EOI
    fake::run_work();
  }
  EXPECT_EQ(pic_irr() & 1, 0);  // all three delivered, no more
  // Without reinjection every expiry raises IRQ0 at once.
  kvm_reinject_control r{};
  ASSERT_EQ(vm_ioctl(vm_, KVM_REINJECT_CONTROL, ptr(&r)), 0);
  fake::advance_time(10 * kMs);
  fake::run_work();
  EXPECT_EQ(pic_irr() & 1, 1);
}

TEST_F(PitVmTest, ClosingTheVmStopsTheTimer) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  ASSERT_EQ(create(), 0);
  long fd = add_vcpu(0);
  auto& v = *static_cast<kvmpp::Vcpu*>(object(fd));
  out(v, 0x43, 0x34);
  out(v, 0x40, 0x00);
  out(v, 0x40, 0x10);
  fake::advance_time(5 * kMs);  // a tick queued, not yet injected
  fake::close_all();
  fake::advance_time(50 * kMs);
  EXPECT_EQ(fake::queued_work(), 0);
}

// Found by the VM selftests (a general protection fault in a kworker, in
// pic_interrupt_for): a tick's work that was already running when the VM
// closed injected into vCPUs the VM had just freed. The PIT now stops
// before the vCPUs go.
TEST_F(PitVmTest, ATickRunningAtCloseSeesLiveVcpus) {
  start_periodic_irq0();
  fake::advance_time(10 * kMs + 1000);  // a tick's work queued
  ASSERT_EQ(fake::queued_work(), 1);
  fake::set_work_runs_when_destroyed(true);
  fake::close_all();  // AddressSanitizer reports an injection into a freed vCPU
  EXPECT_EQ(fake::queued_work(), 0);
}

TEST_F(PitVmTest, AllocationFailuresLeaveNothing) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  for (long n = 1; n <= 6; n++) {
    fake::fail_alloc_after(n);
    long r = create();
    fake::fail_alloc_after(0);
    if (r == 0) break;
    EXPECT_EQ(r, -ENOMEM) << n;
    EXPECT_EQ(vm().pio_bus().ranges(), 3u) << n;
  }
}

}  // namespace
