// SPDX-License-Identifier: GPL-2.0
// Halt polling (virt/kvm/halt_poll.hpp): the window's rules, a vCPU's halt
// against the fake clock, and KVM_CAP_HALT_POLL.
#include <gtest/gtest.h>
#include <virt/kvm/halt_poll.hpp>
#include <virt/kvm/vcpu.hpp>
#include <virt/kvm/vm.hpp>

#include "core_fixture.h"

namespace {

using kvmpp::HaltOutcome;
using kvmpp::HaltPollParams;
using kvmpp::HaltPollWindow;
using kvmpp::Vcpu;

constexpr HaltPollParams kDefaults{200000, 2, 10000, 2};

TEST(HaltPollWindow, GrowsFromStartDoublesAndStopsAtTheMaximum) {
  HaltPollWindow w;
  EXPECT_EQ(w.ns(kDefaults), 0u);  // the first halt only sleeps
  w.update(kDefaults, 5000, false);
  EXPECT_EQ(w.ns(kDefaults), 10000u);
  w.update(kDefaults, 15000, false);  // slept past the window: grow
  EXPECT_EQ(w.ns(kDefaults), 20000u);
  for (int i = 0; i < 10; i++) w.update(kDefaults, 150000, false);
  EXPECT_EQ(w.ns(kDefaults), 200000u);
  w.update(kDefaults, 5000, true);  // caught while polling: unchanged
  EXPECT_EQ(w.ns(kDefaults), 200000u);
}

TEST(HaltPollWindow, ShrinksAfterHaltsNoPollCouldCatch) {
  HaltPollWindow w;
  w.update(kDefaults, 1000, false);
  w.update(kDefaults, 1000, false);
  EXPECT_EQ(w.ns(kDefaults), 20000u);
  w.update(kDefaults, 5000000, false);
  EXPECT_EQ(w.ns(kDefaults), 10000u);
  HaltPollParams to_zero = kDefaults;
  to_zero.shrink = 0;
  w.update(to_zero, 5000000, false);
  EXPECT_EQ(w.ns(to_zero), 0u);
}

TEST(HaltPollWindow, AMaximumOfZeroTurnsItOffAndLowerMaximaCapIt) {
  HaltPollWindow w;
  w.update(kDefaults, 1000, false);
  HaltPollParams low = kDefaults;
  low.max_ns = 4000;
  EXPECT_EQ(w.ns(low), 4000u);  // a lower maximum takes effect at once
  HaltPollParams off = kDefaults;
  off.max_ns = 0;
  w.update(off, 1000, false);
  EXPECT_EQ(w.ns(kDefaults), 0u);
  HaltPollParams no_grow = kDefaults;
  no_grow.grow = 0;
  w.update(no_grow, 1000, false);
  EXPECT_EQ(w.ns(no_grow), 0u);
}

class HaltPollTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    fake::g_halt_poll = {200000, 2, 10000, 2};
    fake::g_wait_passes_ns = 1000;
    vm_ = create_vm();
    long fd = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    ASSERT_GE(fd, 0);
    vcpu_ = static_cast<Vcpu*>(object(fd));
    timer_ = kvmg_timer_create(
        [](void* v) { static_cast<Vcpu*>(v)->post_request(Vcpu::kRequestTimer); }, vcpu_);
  }
  void TearDown() override {
    kvmg_timer_destroy(timer_);
    CoreTest::TearDown();
  }
  // Halt with a wake-up due in @ns.
  HaltOutcome halt_for(uint64_t ns) {
    vcpu_->take_request(Vcpu::kRequestTimer);
    kvmg_timer_start(timer_, fake::now_ns() + ns);
    HaltOutcome h;
    EXPECT_TRUE(vcpu_->halt(Vcpu::kRequestTimer, h).ok());
    return h;
  }
  long vm_ = -1;
  Vcpu* vcpu_ = nullptr;
  void* timer_ = nullptr;
};

TEST_F(HaltPollTest, ASoonWakeUpIsCaughtWhilePolling) {
  HaltOutcome h = halt_for(5000);
  EXPECT_FALSE(h.polled);  // no window yet
  EXPECT_EQ(h.wait_ns, 5000u);
  h = halt_for(5000);  // now a 10 us window
  EXPECT_TRUE(h.polled);
  EXPECT_TRUE(h.woke_in_poll);
  EXPECT_EQ(h.poll_ns, 5000u);
  EXPECT_EQ(h.wait_ns, 0u);
  h = halt_for(50000);  // longer than the window: poll 10 us, then sleep
  EXPECT_TRUE(h.polled);
  EXPECT_FALSE(h.woke_in_poll);
  EXPECT_EQ(h.poll_ns, 10000u);
  EXPECT_EQ(h.wait_ns, 40000u);
}

TEST_F(HaltPollTest, ASignalEndsTheHaltAndTeachesNothing) {
  halt_for(5000);              // a 10 us window
  fake::g_wait_passes_ns = 0;  // the wait ends as if signalled
  vcpu_->take_request(Vcpu::kRequestTimer);
  kvmg_timer_start(timer_, fake::now_ns() + 50000);
  HaltOutcome h;
  EXPECT_FALSE(vcpu_->halt(Vcpu::kRequestTimer, h).ok());
  EXPECT_TRUE(h.polled);
  kvmg_timer_cancel(timer_);
  fake::g_wait_passes_ns = 1000;
  EXPECT_TRUE(halt_for(5000).woke_in_poll);  // the window is still 10 us
}

TEST_F(HaltPollTest, TheVmsMaximumOverridesTheModules) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL), 1);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL), 1);
  halt_for(5000);  // a 10 us window
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_HALT_POLL;
  cap.args[0] = 0;
  ASSERT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), 0);
  EXPECT_FALSE(halt_for(5000).polled);
  cap.args[0] = 3000;  // any time, any number of times
  ASSERT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), 0);
  halt_for(1000);  // grows the window, to the VM's maximum
  HaltOutcome h = halt_for(5000);
  EXPECT_TRUE(h.polled);
  EXPECT_EQ(h.poll_ns, 3000u);
  fake::g_halt_poll.max_ns = 0;  // the module's no longer counts
  EXPECT_TRUE(halt_for(1000).polled);
  cap.args[0] = uint64_t(1) << 32;  // wider than the window
  EXPECT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
  cap.args[0] = 0;
  cap.flags = 1;
  EXPECT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
}

}  // namespace
