// SPDX-License-Identifier: GPL-2.0
// KVM_IRQFD: errnos, injection from the eventfd's wake-up (at once for an
// MSI from process context, else through the work item), resampling on
// EOI, deassignment, hangups, and no leak on any path.
#include <arch/x86/kvm/irq/irqchip.hpp>
#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include "irqchip_fixture.h"

namespace {

class IrqfdTest : public IrqchipTest {
 protected:
  long irqfd(int fd, uint32_t gsi, uint32_t flags = 0, int resamplefd = 0) {
    kvm_irqfd a{};
    a.fd = uint32_t(fd);
    a.gsi = gsi;
    a.flags = flags;
    a.resamplefd = uint32_t(resamplefd);
    return vm_ioctl(vm_, KVM_IRQFD, ptr(&a));
  }
  kvmpp::Vm& vm() { return *static_cast<kvmpp::Vm*>(object(vm_)); }
  // GSI @gsi to an MSI for APIC 0 with @vector.
  void msi_route(uint32_t gsi, uint8_t vector) {
    alignas(8) uint8_t buf[sizeof(kvm_irq_routing) + sizeof(kvm_irq_routing_entry)] = {};
    auto* r = reinterpret_cast<kvm_irq_routing*>(buf);
    r->nr = 1;
    r->entries[0].gsi = gsi;
    r->entries[0].type = KVM_IRQ_ROUTING_MSI;
    r->entries[0].u.msi.address_lo = 0xfee00000;
    r->entries[0].u.msi.data = vector;
    ASSERT_EQ(vm_ioctl(vm_, KVM_SET_GSI_ROUTING, ptr(r)), 0);
  }
  long vcpu0() {
    long v = add_vcpu(0);
    set_reg(v, kSvr, 0x1ff);
    return v;
  }
};

TEST_F(IrqfdTest, Errnos) {
  int efd = fake::make_eventfd(), other = fake::make_other_fd();
  EXPECT_EQ(irqfd(efd, 5), -EINVAL);  // no in-kernel irqchip
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  EXPECT_EQ(irqfd(efd, 5, 1u << 2), -EINVAL);
  EXPECT_EQ(irqfd(-1, 5), -EBADF);
  EXPECT_EQ(irqfd(other, 5), -EINVAL);
  EXPECT_EQ(irqfd(efd, 5, KVM_IRQFD_FLAG_RESAMPLE, -1), -EBADF);
  EXPECT_EQ(irqfd(efd, 5, KVM_IRQFD_FLAG_RESAMPLE, other), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm_, KVM_IRQFD, 8), -EFAULT);
  EXPECT_EQ(irqfd(efd, 5), 0);
  EXPECT_EQ(irqfd(efd, 5), -EBUSY);
  EXPECT_EQ(irqfd(efd, 6), -EBUSY);  // one eventfd, one GSI
  EXPECT_EQ(irqfd(-1, 5, KVM_IRQFD_FLAG_DEASSIGN), -EBADF);
  EXPECT_EQ(irqfd(other, 5, KVM_IRQFD_FLAG_DEASSIGN), -EINVAL);
  EXPECT_EQ(irqfd(efd, 6, KVM_IRQFD_FLAG_DEASSIGN), 0);  // nothing matched: no error
  EXPECT_EQ(vm().irqfds().count(), 1u);
  EXPECT_EQ(irqfd(efd, 5, KVM_IRQFD_FLAG_DEASSIGN), 0);
  EXPECT_EQ(vm().irqfds().count(), 0u);
  EXPECT_EQ(irqfd(efd, 6), 0);  // free again
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE), 1);
}

TEST_F(IrqfdTest, ASignalInjectsFromTheWakeUp) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long v = vcpu0();
  msi_route(40, 0x51);
  int efd = fake::make_eventfd();
  ASSERT_EQ(irqfd(efd, 40), 0);
  EXPECT_EQ(fake::hooked_watches(), 1);
  fake::signal_eventfd(efd);
  EXPECT_EQ(fake::eventfd_count(efd), 0u);  // consumed by the wake-up
  EXPECT_TRUE(irr(lapic(v), 0x51));         // an MSI: delivered by the writer
  EXPECT_EQ(fake::run_work(), 0);
}

TEST_F(IrqfdTest, InInterruptContextTheWorkItemInjects) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long v = vcpu0();
  msi_route(40, 0x53);
  int efd = fake::make_eventfd();
  ASSERT_EQ(irqfd(efd, 40), 0);
  fake::set_in_interrupt(true);
  fake::signal_eventfd(efd);
  fake::set_in_interrupt(false);
  EXPECT_FALSE(irr(lapic(v), 0x53));  // not yet: the work item injects
  EXPECT_EQ(fake::run_work(), 1);
  EXPECT_TRUE(irr(lapic(v), 0x53));
}

TEST_F(IrqfdTest, APinRouteInjectsThroughTheWorkItem) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long v = vcpu0();
  kvm_irqchip chip{};
  chip.chip_id = KVM_IRQCHIP_IOAPIC;
  ASSERT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), 0);
  chip.chip.ioapic.redirtbl[5].bits = 0x64;  // edge, fixed, APIC 0
  ASSERT_EQ(vm_ioctl(vm_, KVM_SET_IRQCHIP, ptr(&chip)), 0);
  int efd = fake::make_eventfd();
  ASSERT_EQ(irqfd(efd, 5), 0);  // the default routes: GSI 5 to pin 5
  fake::signal_eventfd(efd);
  EXPECT_FALSE(irr(lapic(v), 0x64));
  EXPECT_EQ(fake::run_work(), 1);
  EXPECT_TRUE(irr(lapic(v), 0x64));
}

TEST_F(IrqfdTest, AnEventfdSignalledBeforehandInjectsAtOnce) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long v = vcpu0();
  msi_route(3, 0x52);
  int efd = fake::make_eventfd();
  fake::signal_eventfd(efd);
  ASSERT_EQ(irqfd(efd, 3), 0);
  EXPECT_EQ(fake::run_work(), 1);
  EXPECT_TRUE(irr(lapic(v), 0x52));
}

TEST_F(IrqfdTest, ClosingTheEventfdDeassigns) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  int efd = fake::make_eventfd();
  ASSERT_EQ(irqfd(efd, 9), 0);
  fake::signal_eventfd(efd);  // an injection queued
  fake::close_eventfd(efd);   // hangup: deactivated, reaping queued
  EXPECT_EQ(vm().irqfds().count(), 0u);
  EXPECT_EQ(fake::live_eventfds(), 1);  // until the reaper ran
  fake::run_work();
  EXPECT_EQ(fake::live_eventfds(), 0);
  EXPECT_EQ(fake::queued_work(), 0);
  int again = fake::make_eventfd();
  EXPECT_EQ(irqfd(again, 9), 0);
}

TEST_F(IrqfdTest, ClosingTheVmReleasesEverything) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  int a = fake::make_eventfd(), b = fake::make_eventfd(), r = fake::make_eventfd();
  ASSERT_EQ(irqfd(a, 1), 0);
  ASSERT_EQ(irqfd(b, 17, KVM_IRQFD_FLAG_RESAMPLE, r), 0);
  fake::signal_eventfd(a);  // queued work is cancelled with the VM
  fake::close_all();
  EXPECT_EQ(fake::queued_work(), 0);
  EXPECT_EQ(fake::hooked_watches(), 0);
  EXPECT_EQ(fake::live_eventfds(), 3);  // the test's own fds only
}

TEST_F(IrqfdTest, ResampleLowersTheLineOnEoiAndSignals) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long v = vcpu0();
  kvm_irqchip chip{};
  chip.chip_id = KVM_IRQCHIP_IOAPIC;
  ASSERT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), 0);
  chip.chip.ioapic.redirtbl[17].bits = 0x61 | (1u << 15);  // level-triggered
  ASSERT_EQ(vm_ioctl(vm_, KVM_SET_IRQCHIP, ptr(&chip)), 0);
  int efd = fake::make_eventfd(), rfd = fake::make_eventfd();
  ASSERT_EQ(irqfd(efd, 17, KVM_IRQFD_FLAG_RESAMPLE, rfd), 0);
  EXPECT_TRUE(vm().irqfds().resampling());
  fake::signal_eventfd(efd);
  fake::run_work();
  EXPECT_TRUE(irr(lapic(v), 0x61));
  // The guest takes it (INTA) and EOIs it: the line drops, the resample
  // eventfd is signalled, and nothing is delivered again.
  auto& vcpu = *static_cast<kvmpp::Vcpu*>(object(v));
  ASSERT_EQ(kvmpp::x86::apic_ack_interrupt(vcpu), 0x61);
  uint32_t zero = 0;
  ASSERT_TRUE(vm().mmio_bus().write(vcpu, 0xfee000b0, 4, &zero));
  EXPECT_EQ(fake::eventfd_count(rfd), 1u);
  EXPECT_FALSE(irr(lapic(v), 0x61));
  ASSERT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), 0);
  EXPECT_FALSE(chip.chip.ioapic.redirtbl[17].fields.remote_irr);
  EXPECT_EQ(chip.chip.ioapic.irr & (1u << 17), 0u);
  // Deassigning (the resample flag is not needed) ends the resampling.
  EXPECT_EQ(irqfd(efd, 17, KVM_IRQFD_FLAG_DEASSIGN), 0);
  EXPECT_FALSE(vm().irqfds().resampling());
}

TEST_F(IrqfdTest, AllocationFailuresLeaveNothing) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  int efd = fake::make_eventfd(), rfd = fake::make_eventfd();
  for (long n = 1; n <= 8; n++) {
    fake::fail_alloc_after(n);
    long r = irqfd(efd, 17, KVM_IRQFD_FLAG_RESAMPLE, rfd);
    fake::fail_alloc_after(0);
    if (r == 0) {
      EXPECT_EQ(irqfd(efd, 17, KVM_IRQFD_FLAG_DEASSIGN), 0);
      continue;
    }
    EXPECT_EQ(r, -ENOMEM) << n;
    EXPECT_EQ(vm().irqfds().count(), 0u) << n;
    EXPECT_FALSE(vm().irqfds().resampling()) << n;
    EXPECT_EQ(fake::hooked_watches(), 0) << n;
  }
}

}  // namespace
