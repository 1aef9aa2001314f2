// SPDX-License-Identifier: GPL-2.0
// The set-up ioctls QEMU uses besides state and interrupts:
// KVM_SET_SIGNAL_MASK, KVM_SET_BOOT_CPU_ID, KVM_KVMCLOCK_CTRL,
// KVM_TPR_ACCESS_REPORTING, KVM_SET_VAPIC_ADDR and /dev/kvm's
// KVM_GET/HAS_DEVICE_ATTR.
#include <arch/x86/kvm/irq/irqchip.hpp>
#include <arch/x86/kvm/pv/pv.hpp>
#include <arch/x86/kvm/state/state.hpp>

#include <cstring>

#include "core_fixture.h"

extern uint64_t g_sigmask;
extern int g_sigmask_depth;

namespace {

class VmmSetup : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    vm_ = create_vm();
  }
  long add_vcpu(unsigned id = 0) { return vm_ioctl(vm_, KVM_CREATE_VCPU, id); }
  kvmpp::Vcpu& vcpu(long fd) { return *static_cast<kvmpp::Vcpu*>(object(fd)); }
  long vm_ = -1;
};

struct SignalMask {
  uint32_t len;
  uint64_t set;
} __attribute__((packed));

TEST_F(VmmSetup, SignalMask) {
  long fd = add_vcpu();
  SignalMask m{8, 1ull << 9};
  EXPECT_EQ(vcpu_ioctl(fd, KVM_SET_SIGNAL_MASK, ptr(&m)), 0);
  EXPECT_TRUE(vcpu(fd).sigmask_active);
  EXPECT_EQ(vcpu(fd).sigmask, 1ull << 9);
  // KVM_RUN blocks exactly that set, and restores the task's mask after.
  kvm_run* run = vcpu(fd).run();
  run->immediate_exit = 1;
  g_sigmask_depth = 0;
  EXPECT_EQ(vcpu_ioctl(fd, KVM_RUN), -EINTR);
  EXPECT_EQ(g_sigmask, 1ull << 9);
  EXPECT_EQ(g_sigmask_depth, 0);
  // The length must be the kernel's sigset_t; a bad pointer faults; no
  // argument clears the mask.
  SignalMask bad{4, 0};
  EXPECT_EQ(vcpu_ioctl(fd, KVM_SET_SIGNAL_MASK, ptr(&bad)), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(fd, KVM_SET_SIGNAL_MASK, 8), -EFAULT);
  EXPECT_EQ(vcpu_ioctl(fd, KVM_SET_SIGNAL_MASK, 0), 0);
  EXPECT_FALSE(vcpu(fd).sigmask_active);
}

TEST_F(VmmSetup, BootCpuId) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_SET_BOOT_CPU_ID), 1);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_BOOT_CPU_ID, 16385), -EINVAL);  // beyond KVM_CAP_MAX_VCPU_ID
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_BOOT_CPU_ID, 1), 0);
  long ap = add_vcpu(0), bsp = add_vcpu(1);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_BOOT_CPU_ID, 0), -EBUSY);  // vCPUs exist
  EXPECT_TRUE(kvmpp::x86::is_bsp(vcpu(bsp)));
  EXPECT_FALSE(kvmpp::x86::is_bsp(vcpu(ap)));
  // IA32_APIC_BASE.BSP follows it.
  EXPECT_TRUE(vcpu(bsp).arch().apic_base & (1u << 8));
  EXPECT_FALSE(vcpu(ap).arch().apic_base & (1u << 8));
}

TEST_F(VmmSetup, BootCpuIdWithIrqchipMakesOthersWait) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  ASSERT_EQ(vm_ioctl(vm_, KVM_SET_BOOT_CPU_ID, 2), 0);
  long ap = add_vcpu(0), bsp = add_vcpu(2);
  EXPECT_EQ(vcpu(bsp).arch().mp_state, uint32_t(KVM_MP_STATE_RUNNABLE));
  EXPECT_EQ(vcpu(ap).arch().mp_state, uint32_t(KVM_MP_STATE_UNINITIALIZED));
}

TEST_F(VmmSetup, KvmclockCtrl) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_KVMCLOCK_CTRL), 1);
  long fd = add_vcpu();
  // The guest has not enabled kvmclock.
  EXPECT_EQ(vcpu_ioctl(fd, KVM_KVMCLOCK_CTRL), -EINVAL);
  vcpu(fd).arch().pv.system_time = 0x1000 | KVM_MSR_ENABLED;
  EXPECT_EQ(vcpu_ioctl(fd, KVM_KVMCLOCK_CTRL), 0);
  EXPECT_TRUE(vcpu(fd).arch().pv.guest_stopped);
  EXPECT_TRUE(vcpu(fd).has_request(kvmpp::Vcpu::kRequestClockUpdate));
}

TEST_F(VmmSetup, XcompGuestSupp) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_SYS_ATTRIBUTES), 1);
  uint64_t v = 0;
  kvm_device_attr a{0, KVM_X86_GRP_SYSTEM, KVM_X86_XCOMP_GUEST_SUPP, ptr(&v)};
  EXPECT_EQ(dev(KVM_HAS_DEVICE_ATTR, ptr(&a)), 0);
  EXPECT_EQ(dev(KVM_GET_DEVICE_ATTR, ptr(&a)), 0);
  EXPECT_EQ(v, kvmpp::x86::supported_xcr0());
  EXPECT_TRUE(v & 1);  // x87 at least
  kvm_device_attr other{0, 1, 0, ptr(&v)};
  EXPECT_EQ(dev(KVM_GET_DEVICE_ATTR, ptr(&other)), -ENXIO);
  EXPECT_EQ(dev(KVM_HAS_DEVICE_ATTR, ptr(&other)), -ENXIO);
  kvm_device_attr unknown{0, 0, 1, ptr(&v)};
  EXPECT_EQ(dev(KVM_HAS_DEVICE_ATTR, ptr(&unknown)), -ENXIO);
  kvm_device_attr bad_addr{0, 0, 0, 8};
  EXPECT_EQ(dev(KVM_GET_DEVICE_ATTR, ptr(&bad_addr)), -EFAULT);
  EXPECT_EQ(dev(KVM_GET_DEVICE_ATTR, 8), -EFAULT);
}

TEST_F(VmmSetup, TprAccessReporting) {
  long fd = add_vcpu();
  kvm_tpr_access_ctl c{};
  c.enabled = 1;
  EXPECT_EQ(vcpu_ioctl(fd, KVM_TPR_ACCESS_REPORTING, ptr(&c)), 0);
  EXPECT_TRUE(vcpu(fd).arch().tpr_access_reporting);
  c.flags = 1;
  EXPECT_EQ(vcpu_ioctl(fd, KVM_TPR_ACCESS_REPORTING, ptr(&c)), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(fd, KVM_TPR_ACCESS_REPORTING, 8), -EFAULT);
  // An access noted in the kernel becomes KVM_EXIT_TPR_ACCESS.
  vcpu(fd).arch().regs.rip = 0x1234;
  kvmpp::x86::note_tpr_access(vcpu(fd), true);
  EXPECT_TRUE(kvmpp::x86::take_tpr_access_exit(vcpu(fd)));
  EXPECT_EQ(vcpu(fd).run()->exit_reason, uint32_t(KVM_EXIT_TPR_ACCESS));
  EXPECT_EQ(vcpu(fd).run()->tpr_access.rip, 0x1234u);
  EXPECT_EQ(vcpu(fd).run()->tpr_access.is_write, 1u);
  EXPECT_FALSE(kvmpp::x86::take_tpr_access_exit(vcpu(fd)));
  // Off: nothing is noted.
  c = {};
  EXPECT_EQ(vcpu_ioctl(fd, KVM_TPR_ACCESS_REPORTING, ptr(&c)), 0);
  kvmpp::x86::note_tpr_access(vcpu(fd), false);
  EXPECT_FALSE(kvmpp::x86::take_tpr_access_exit(vcpu(fd)));
}

TEST_F(VmmSetup, VapicAddr) {
  long fd = add_vcpu();
  kvm_vapic_addr va{0x2000};
  EXPECT_EQ(vcpu_ioctl(fd, KVM_SET_VAPIC_ADDR, ptr(&va)), -EINVAL);  // no local APIC

  long vm = create_vm();
  ASSERT_EQ(vm_ioctl(vm, KVM_CREATE_IRQCHIP), 0);
  uint8_t* ram = add_guest_ram(vm, 0x10000);
  long cpu = vm_ioctl(vm, KVM_CREATE_VCPU, 0);
  kvmpp::Vcpu& v = vcpu(cpu);
  EXPECT_EQ(vcpu_ioctl(cpu, KVM_SET_VAPIC_ADDR, 8), -EFAULT);
  kvm_vapic_addr outside{0x20000};
  EXPECT_EQ(vcpu_ioctl(cpu, KVM_SET_VAPIC_ADDR, ptr(&outside)), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(cpu, KVM_SET_VAPIC_ADDR, ptr(&va)), 0);
  // Before an entry the word mirrors TPR, the highest ISR class and IRR.
  kvmpp::x86::apic_set_tpr(v, 0x20);
  kvmpp::x86::vapic_sync_to_guest(v);
  uint32_t word;
  memcpy(&word, ram + 0x2000, 4);
  EXPECT_EQ(word, 0x20u);
  // After an exit the TPR the guest wrote there takes effect (CR8 too).
  word = 0x30;
  memcpy(ram + 0x2000, &word, 4);
  kvmpp::x86::vapic_sync_from_guest(v);
  EXPECT_EQ(v.arch().regs.cr8, 3u);
  // Address 0 turns it off: the word is left alone.
  kvm_vapic_addr off{0};
  EXPECT_EQ(vcpu_ioctl(cpu, KVM_SET_VAPIC_ADDR, ptr(&off)), 0);
  kvmpp::x86::apic_set_tpr(v, 0x50);
  kvmpp::x86::vapic_sync_to_guest(v);
  memcpy(&word, ram + 0x2000, 4);
  EXPECT_EQ(word, 0x30u);
}

}  // namespace

namespace {

// An AP's INIT resets its registers but not its TSC (nor PAT): its TSC
// stays with the other vCPUs' (Linux marks the TSC unstable otherwise).
TEST_F(VmmSetup, InitKeepsTscAndPat) {
  long fd = add_vcpu();
  kvmpp::Vcpu& v = vcpu(fd);
  uint64_t offset = v.arch().regs.tsc_offset;
  v.arch().regs.tsc_offset = offset + 12345;
  v.arch().regs.pat = 0x0606060606060606ull;
  v.arch().regs.rip = 0x1234;
  kvmpp::x86::reset_state(v);
  EXPECT_EQ(v.arch().regs.tsc_offset, offset + 12345);
  EXPECT_EQ(v.arch().regs.pat, 0x0606060606060606ull);
  EXPECT_EQ(v.arch().regs.rip, 0xfff0u);
}

}  // namespace

namespace {

// KVM_CAP_X86_TRIPLE_FAULT_EVENT: off, the flag is refused; on, events
// report and set a pending triple fault, which KVM_RUN turns into
// KVM_EXIT_SHUTDOWN.
TEST_F(VmmSetup, TripleFaultEvent) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_X86_TRIPLE_FAULT_EVENT), 1);
  long fd = add_vcpu();
  kvm_vcpu_events e{};
  ASSERT_EQ(vcpu_ioctl(fd, KVM_GET_VCPU_EVENTS, ptr(&e)), 0);
  EXPECT_FALSE(e.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT);
  e.flags |= KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
  e.triple_fault.pending = 1;
  EXPECT_EQ(vcpu_ioctl(fd, KVM_SET_VCPU_EVENTS, ptr(&e)), -EINVAL);
  EXPECT_FALSE(vcpu(fd).arch().triple_fault_pending);

  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_X86_TRIPLE_FAULT_EVENT;
  cap.args[0] = 1;
  ASSERT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), 0);
  EXPECT_EQ(vcpu_ioctl(fd, KVM_SET_VCPU_EVENTS, ptr(&e)), 0);
  EXPECT_TRUE(vcpu(fd).arch().triple_fault_pending);
  kvm_vcpu_events got{};
  ASSERT_EQ(vcpu_ioctl(fd, KVM_GET_VCPU_EVENTS, ptr(&got)), 0);
  EXPECT_TRUE(got.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT);
  EXPECT_EQ(got.triple_fault.pending, 1);
  EXPECT_EQ(vcpu_ioctl(fd, KVM_RUN), 0);
  EXPECT_EQ(vcpu(fd).run()->exit_reason, uint32_t(KVM_EXIT_SHUTDOWN));
  EXPECT_FALSE(vcpu(fd).arch().triple_fault_pending);
  // Setting it not pending clears one.
  vcpu(fd).arch().triple_fault_pending = true;
  e.triple_fault.pending = 0;
  EXPECT_EQ(vcpu_ioctl(fd, KVM_SET_VCPU_EVENTS, ptr(&e)), 0);
  EXPECT_FALSE(vcpu(fd).arch().triple_fault_pending);
}

}  // namespace

namespace {

// KVM_CAP_MAX_VCPU_ID may not go below the boot vCPU's id (upstream's
// max_vcpuid_cap_test).
TEST_F(VmmSetup, MaxVcpuIdNotBelowBootCpu) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_SET_BOOT_CPU_ID, 100), 0);
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_MAX_VCPU_ID;
  cap.args[0] = 99;
  EXPECT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
  cap.args[0] = 100;
  EXPECT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), 0);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_BOOT_CPU_ID, 101), -EINVAL);  // above the bound now
}

}  // namespace
