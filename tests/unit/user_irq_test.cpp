// SPDX-License-Identifier: GPL-2.0
// Interrupt controllers in user space: KVM_INTERRUPT without an in-kernel
// irqchip and with a split one, KVM_CAP_SPLIT_IRQCHIP's errnos, and what
// the split irqchip refuses.
#include <arch/x86/kvm/irq/irqchip.hpp>
#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include "irqchip_fixture.h"

namespace {

class UserIrqTest : public IrqchipTest {
 protected:
  long split(uint64_t pins) {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_SPLIT_IRQCHIP;
    cap.args[0] = pins;
    return vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap));
  }
  long interrupt(long vcpu, uint32_t irq) {
    kvm_interrupt i{irq};
    return vcpu_ioctl(vcpu, KVM_INTERRUPT, ptr(&i));
  }
  kvmpp::Vcpu& obj(long fd) { return *static_cast<kvmpp::Vcpu*>(object(fd)); }
};

TEST_F(UserIrqTest, NoIrqchipQueuesForTheNextEntry) {
  long v = add_vcpu(0);
  EXPECT_EQ(interrupt(v, 256), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(v, KVM_INTERRUPT, 8), -EFAULT);
  EXPECT_EQ(interrupt(v, 0x31), 0);
  EXPECT_EQ(interrupt(v, 0x30), 0);  // replaces it
  kvm_vcpu_events e{};
  ASSERT_EQ(vcpu_ioctl(v, KVM_GET_VCPU_EVENTS, ptr(&e)), 0);
  EXPECT_EQ(e.interrupt.injected, 1);
  EXPECT_EQ(e.interrupt.nr, 0x30);
  EXPECT_FALSE(kvmpp::x86::prepare_interrupts(obj(v)));
  EXPECT_EQ(obj(v).arch().regs.event.vector, 0x30);
  EXPECT_EQ(obj(v).arch().extint_vector, -1);
  // ready_for_interrupt_injection: IF set, no shadow, nothing queued.
  auto& s = obj(v).arch().regs;
  EXPECT_FALSE(kvmpp::x86::ready_for_user_interrupt(obj(v)));  // the event is in flight
  s.event = {};
  s.rflags |= 1u << 9;
  EXPECT_TRUE(kvmpp::x86::ready_for_user_interrupt(obj(v)));
  s.interrupt_shadow = 1;
  EXPECT_FALSE(kvmpp::x86::ready_for_user_interrupt(obj(v)));
}

TEST_F(UserIrqTest, FullIrqchipRefuses) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long v = add_vcpu(0);
  EXPECT_EQ(interrupt(v, 0x30), -ENXIO);
  EXPECT_TRUE(kvmpp::x86::ready_for_user_interrupt(obj(v)));  // always 1, as upstream
  EXPECT_EQ(split(24), -EEXIST);
}

TEST_F(UserIrqTest, SplitErrnosAndRefusals) {
  EXPECT_EQ(split(KVM_MAX_IRQ_ROUTES + 1), -EINVAL);
  EXPECT_EQ(split(24), 0);
  EXPECT_EQ(split(24), -EEXIST);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), -EEXIST);
  kvm_irqchip chip{};
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), -ENXIO);
  kvm_pit_config pit{};
  EXPECT_EQ(vm_ioctl(vm_, KVM_CREATE_PIT2, ptr(&pit)), -ENOENT);
  int efd = fake::make_eventfd(), rfd = fake::make_eventfd();
  kvm_irqfd f{};
  f.fd = uint32_t(efd);
  f.gsi = 5;
  f.flags = KVM_IRQFD_FLAG_RESAMPLE;
  f.resamplefd = uint32_t(rfd);
  EXPECT_EQ(vm_ioctl(vm_, KVM_IRQFD, ptr(&f)), -EINVAL);  // resampling needs the I/O APIC
  f.flags = 0;
  EXPECT_EQ(vm_ioctl(vm_, KVM_IRQFD, ptr(&f)), 0);
  long other = create_vm();
  ASSERT_GE(vm_ioctl(other, KVM_CREATE_VCPU, 0), 0);
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_SPLIT_IRQCHIP;
  EXPECT_EQ(vm_ioctl(other, KVM_ENABLE_CAP, ptr(&cap)), -EEXIST);
}

TEST_F(UserIrqTest, SplitExtintGoesThroughLint0) {
  ASSERT_EQ(split(24), 0);
  long v = add_vcpu(0);
  set_reg(v, kSvr, 0x1ff);
  set_reg(v, 0x350, 0x10000);  // LVT0 masked (the BSP resets to ExtINT)
  EXPECT_EQ(interrupt(v, 0x30), 0);
  EXPECT_EQ(interrupt(v, 0x31), -EEXIST);
  // LINT0 masked: the APIC does not take it yet.
  EXPECT_LT(kvmpp::x86::apic_pending_interrupt(obj(v)), 0);
  set_reg(v, 0x350, 0x700);  // LVT0: ExtINT
  EXPECT_EQ(kvmpp::x86::apic_pending_interrupt(obj(v)), 0);
  EXPECT_EQ(kvmpp::x86::apic_ack_interrupt(obj(v)), 0x30);
  EXPECT_EQ(obj(v).arch().extint_vector, -1);
}

// request_interrupt_window opens a window only when user space's PIC could
// inject: a window opened while LINT0 is masked ended every entry at once.
TEST_F(UserIrqTest, SplitWindowOnlyWhenThePicsInterruptCanLand) {
  ASSERT_EQ(split(24), 0);
  long v = add_vcpu(0);
  auto& s = obj(v).arch().regs;
  s.rflags |= 1u << 9;
  set_reg(v, kSvr, 0x1ff);
  set_reg(v, 0x350, 0x10700);  // LVT0: ExtINT, masked
  EXPECT_FALSE(kvmpp::x86::user_interrupt_can_land(obj(v)));
  EXPECT_FALSE(kvmpp::x86::ready_for_user_interrupt(obj(v)));
  set_reg(v, 0x350, 0x400);  // LVT0: NMI, unmasked
  EXPECT_FALSE(kvmpp::x86::user_interrupt_can_land(obj(v)));
  set_reg(v, 0x350, 0x700);  // LVT0: ExtINT
  EXPECT_TRUE(kvmpp::x86::user_interrupt_can_land(obj(v)));
  EXPECT_TRUE(kvmpp::x86::ready_for_user_interrupt(obj(v)));
  EXPECT_EQ(interrupt(v, 0x30), 0);  // one waits already: no room
  EXPECT_FALSE(kvmpp::x86::user_interrupt_can_land(obj(v)));
  EXPECT_FALSE(kvmpp::x86::ready_for_user_interrupt(obj(v)));
  set_reg(v, kSvr, 0xff);  // software-disabled: LVT0 reads masked
  EXPECT_FALSE(kvmpp::x86::user_interrupt_can_land(obj(v)));
}

TEST_F(UserIrqTest, NoWindowForTheKernelsPic) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long v = add_vcpu(0);
  EXPECT_FALSE(kvmpp::x86::user_interrupt_can_land(obj(v)));
}

}  // namespace

namespace {

// NMIs: KVM_NMI, blocking until the IRET, one latched behind the one in
// service, and the events ioctls.
TEST_F(UserIrqTest, NmiInjectionAndBlocking) {
  long v = add_vcpu(0);
  auto& vcpu = obj(v);
  auto& st = vcpu.arch();
  EXPECT_EQ(vcpu_ioctl(v, KVM_NMI), 0);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_USER_NMI), 1);
  kvm_vcpu_events e{};
  ASSERT_EQ(vcpu_ioctl(v, KVM_GET_VCPU_EVENTS, ptr(&e)), 0);
  EXPECT_EQ(e.nmi.pending, 1);
  kvmpp::x86::prepare_interrupts(vcpu);
  EXPECT_EQ(st.regs.event.type, uint8_t(X86_EVENT_NMI));
  EXPECT_TRUE(st.nmi_masked);
  st.regs.event = {};  // delivered
  // Three more while in service: one is latched.
  for (int i = 0; i < 3; i++) EXPECT_EQ(vcpu_ioctl(v, KVM_NMI), 0);
  kvmpp::x86::prepare_interrupts(vcpu);
  EXPECT_FALSE(st.regs.event.valid);
  EXPECT_TRUE(st.want_iret_exit);  // wait for the IRET
  EXPECT_EQ(st.nmi_pending, 1);
  kvmpp::x86::nmi_iret_exit(vcpu);
  kvmpp::x86::prepare_interrupts(vcpu);
  EXPECT_FALSE(st.regs.event.valid);  // the IRET has not run yet
  st.regs.rip += 1;                   // now it has
  kvmpp::x86::prepare_interrupts(vcpu);
  EXPECT_EQ(st.regs.event.type, uint8_t(X86_EVENT_NMI));
  EXPECT_EQ(st.nmi_pending, 0);
  ASSERT_EQ(vcpu_ioctl(v, KVM_GET_VCPU_EVENTS, ptr(&e)), 0);
  EXPECT_EQ(e.nmi.injected, 1);
  EXPECT_EQ(e.nmi.masked, 1);
  // User space restores a pending, unmasked NMI.
  e.nmi.injected = 0;
  e.nmi.pending = 1;
  e.nmi.masked = 0;
  e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
  ASSERT_EQ(vcpu_ioctl(v, KVM_SET_VCPU_EVENTS, ptr(&e)), 0);
  EXPECT_EQ(st.nmi_pending, 1);
  EXPECT_FALSE(st.nmi_masked);
}

TEST_F(UserIrqTest, NmiIpiThroughTheApic) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long a = add_vcpu(0), b = add_vcpu(1);
  set_reg(a, kSvr, 0x1ff);
  set_reg(b, kSvr, 0x1ff);
  // vCPU 1 writes its ICR (xAPIC page): NMI to APIC 0.
  uint32_t icr = 0x400;
  auto& vb = obj(b);
  kvmpp::Vm& vm = *static_cast<kvmpp::Vm*>(object(vm_));
  ASSERT_TRUE(vm.mmio_bus().write(vb, 0xfee00300, 4, &icr));
  EXPECT_EQ(obj(a).arch().nmi_queued.load(), 1u);
  EXPECT_EQ(obj(b).arch().nmi_queued.load(), 0u);
}

}  // namespace
