// SPDX-License-Identifier: GPL-2.0
// Machine checks: the MCG and bank MSRs, KVM_X86_SETUP_MCE and
// KVM_X86_SET_MCE, the #MC and the shutdown an uncorrected error causes.
#include <arch/x86/kvm/x86.hpp>

#include "msr_fixture.h"

namespace {

constexpr uint64_t kCtlP = 1u << 8, kSerP = 1u << 24, kCmciP = 1u << 10;
constexpr uint64_t kVal = 1ull << 63, kOver = 1ull << 62, kUc = 1ull << 61, kEn = 1ull << 60;
constexpr uint64_t kPcc = 1ull << 57, kMcip = 1u << 2, kRipv = 1u << 0;
constexpr uint32_t kMc0Status = 0x401, kMc0Addr = 0x402;

class MceTest : public MsrTest {
 protected:
  long setup(uint64_t cap) { return vcpu_ioctl(fd_, KVM_X86_SETUP_MCE, ptr(&cap)); }
  long inject(uint8_t bank, uint64_t status, uint64_t mcg_status = 0, uint64_t addr = 0) {
    kvm_x86_mce m{};
    m.bank = bank;
    m.status = status;
    m.mcg_status = mcg_status;
    m.addr = addr;
    return vcpu_ioctl(fd_, KVM_X86_SET_MCE, ptr(&m));
  }
  kvmpp::arch::VcpuState& st() { return vcpu().arch(); }
  x86_state& s() { return st().regs; }
};

TEST_F(MceTest, NewVcpuHas32BanksAndNoFeature) {
  EXPECT_EQ(host_read(msr::kMcgCap), 32u);
  uint64_t v;
  EXPECT_FALSE(guest_read(msr::kMcgCtl, &v));      // no MCG_CTL_P
  EXPECT_EQ(host_read(msr::kMcgCtl), 0u);          // the VMM may still read it
  EXPECT_EQ(guest_value(0x400 + 4 * 31 + 3), 0u);  // MC31_MISC exists
  EXPECT_FALSE(guest_read(0x400 + 4 * 32, &v));    // MC32_CTL does not
  EXPECT_EQ(guest_value(msr::kP5McAddr), 0u);
  EXPECT_EQ(guest_value(msr::kP5McType), 0u);
}

TEST_F(MceTest, SetupValidatesCap) {
  EXPECT_EQ(setup(0), -EINVAL);               // no bank
  EXPECT_EQ(setup(33), -EINVAL);              // more than KVM_CAP_MCE
  EXPECT_EQ(setup(kCmciP | 10), -EINVAL);     // CMCI is not offered
  EXPECT_EQ(setup(1ull << 9 | 10), -EINVAL);  // MCG_EXT_P: not offered
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_X86_SETUP_MCE, 8), -EFAULT);
  EXPECT_EQ(setup(kCtlP | kSerP | 0x50000 | 10), 0);  // extended count bits pass
  EXPECT_EQ(host_read(msr::kMcgCap), kCtlP | kSerP | 0x50000 | 10);
  EXPECT_EQ(guest_value(msr::kMcgCtl), ~0ull);   // reset to all ones
  EXPECT_EQ(guest_value(0x400), ~0ull);          // MC0_CTL
  EXPECT_EQ(guest_value(0x400 + 4 * 9), ~0ull);  // MC9_CTL
  uint64_t v;
  EXPECT_FALSE(guest_read(0x400 + 4 * 10, &v));  // bank 10 is gone
  EXPECT_FALSE(guest_read(0x280, &v));           // MC0_CTL2 without CMCI
  EXPECT_EQ(host_write(0x280, 0), 1);            // the VMM may clear it
  EXPECT_EQ(host_write(0x280, 1), 0);
}

TEST_F(MceTest, MsrWriteRules) {
  ASSERT_EQ(setup(kCtlP | 4), 0);
  EXPECT_FALSE(guest_write(msr::kMcgCap, 4));
  EXPECT_FALSE(guest_write(msr::kMcgCtl, 1));  // all ones or zero
  EXPECT_TRUE(guest_write(msr::kMcgCtl, 0));
  EXPECT_TRUE(guest_write(msr::kMcgStatus, kRipv));
  EXPECT_EQ(guest_value(msr::kMcgStatus), kRipv);
  // MCi_CTL: zero, all ones, or all ones but bits 10 and 0.
  EXPECT_TRUE(guest_write(0x40c, ~(1ull << 10)));
  EXPECT_TRUE(guest_write(0x40c, ~1ull));
  EXPECT_FALSE(guest_write(0x40c, 0xff));
  EXPECT_TRUE(guest_write(0x40c, 0));
  // MCi_STATUS: the guest may clear it; other values need HWCR.McStatusWrEn.
  EXPECT_TRUE(guest_write(kMc0Status, 0));
  EXPECT_FALSE(guest_write(kMc0Status, kVal));
  EXPECT_EQ(host_write(kMc0Status, kVal), 1);
  EXPECT_TRUE(guest_write(0xc0010015, 1ull << 18));  // HWCR.McStatusWrEn
  EXPECT_TRUE(guest_write(kMc0Status, kVal | 5));
  EXPECT_TRUE(guest_write(kMc0Addr, 0x1234));
  EXPECT_EQ(guest_value(kMc0Status), kVal | 5);
  EXPECT_EQ(host_read(kMc0Addr), 0x1234u);
}

TEST_F(MceTest, SetMceValidates) {
  ASSERT_EQ(setup(kCtlP | 4), 0);
  EXPECT_EQ(inject(4, kVal), -EINVAL);  // no bank 4
  EXPECT_EQ(inject(0, 0), -EINVAL);     // not valid
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_X86_SET_MCE, 8), -EFAULT);
}

TEST_F(MceTest, CorrectedErrorIsRecordedOnly) {
  ASSERT_EQ(setup(kCtlP | 4), 0);
  EXPECT_EQ(inject(1, kVal | kEn | 0x17, 0, 0x5000), 0);
  EXPECT_EQ(host_read(0x405), kVal | kEn | 0x17);
  EXPECT_EQ(host_read(0x406), 0x5000u);
  EXPECT_FALSE(st().mce.mc_pending);
  // A second corrected error overwrites it and marks the overflow.
  EXPECT_EQ(inject(1, kVal | 0x18), 0);
  EXPECT_EQ(host_read(0x405), kVal | kOver | 0x18);
}

TEST_F(MceTest, UncorrectedErrorRaisesMc) {
  ASSERT_EQ(setup(kCtlP | kSerP | 4), 0);
  s().cr4 |= 1u << 6;  // CR4.MCE
  EXPECT_EQ(inject(2, kVal | kUc | kEn | kPcc, kMcip | kRipv, 0x9000), 0);
  EXPECT_EQ(host_read(0x409), kVal | kUc | kEn | kPcc);
  EXPECT_EQ(host_read(msr::kMcgStatus), kMcip | kRipv);
  EXPECT_TRUE(st().mce.mc_pending);
  kvmpp::x86::mce_prepare_entry(vcpu());
  EXPECT_TRUE(s().event.valid);
  EXPECT_EQ(s().event.vector, 18);
  EXPECT_EQ(s().event.type, X86_EVENT_EXCEPTION);
  EXPECT_FALSE(st().mce.mc_pending);
  // A corrected error does not replace the uncorrected one.
  EXPECT_EQ(inject(2, kVal | 1), 0);
  EXPECT_EQ(host_read(0x409), kVal | kOver | kUc | kEn | kPcc);
  // Another uncorrected error while MCIP is set shuts the vCPU down.
  EXPECT_EQ(inject(3, kVal | kUc | kEn | kPcc, kMcip | kRipv), 0);
  EXPECT_TRUE(st().triple_fault_pending);
}

TEST_F(MceTest, McWaitsForTheEventInFlight) {
  ASSERT_EQ(setup(kCtlP | 4), 0);
  s().cr4 |= 1u << 6;
  s().event = {1, 0x30, X86_EVENT_INTR, 0, 0};
  EXPECT_EQ(inject(0, kVal | kUc | kPcc, kMcip), 0);
  kvmpp::x86::mce_prepare_entry(vcpu());
  EXPECT_EQ(s().event.vector, 0x30);
  EXPECT_TRUE(st().mce.mc_pending);
  s().event = {};
  kvmpp::x86::mce_prepare_entry(vcpu());
  EXPECT_EQ(s().event.vector, 18);
}

TEST_F(MceTest, UncorrectedErrorWithoutCr4MceShutsDown) {
  ASSERT_EQ(setup(kCtlP | 4), 0);
  EXPECT_EQ(inject(0, kVal | kUc | kPcc, kMcip), 0);
  EXPECT_TRUE(st().triple_fault_pending);
  EXPECT_FALSE(st().mce.mc_pending);
}

TEST_F(MceTest, DisabledReportingDropsUncorrectedErrors) {
  ASSERT_EQ(setup(kCtlP | 4), 0);
  s().cr4 |= 1u << 6;
  EXPECT_TRUE(guest_write(0x400, 0));  // MC0_CTL off
  EXPECT_EQ(inject(0, kVal | kUc | kPcc, kMcip), 0);
  EXPECT_EQ(host_read(kMc0Status), 0u);
  EXPECT_TRUE(guest_write(msr::kMcgCtl, 0));  // all banks off
  EXPECT_EQ(inject(1, kVal | kUc | kPcc, kMcip), 0);
  EXPECT_EQ(host_read(0x405), 0u);
  EXPECT_FALSE(st().mce.mc_pending);
  // An uncorrected error needing no action (UCNA) is recorded regardless.
  EXPECT_EQ(inject(1, kVal | kUc), 0);
  EXPECT_EQ(host_read(0x405), kVal | kUc);
  EXPECT_FALSE(st().mce.mc_pending);
}

}  // namespace
