// SPDX-License-Identifier: GPL-2.0
// The SVM backend's translation between x86_state and the VMCB save area,
// and its segment cache (arch/x86/kvm/svm/vmcb_state.hpp).
#include <gtest/gtest.h>

#include "arch/x86/kvm/svm/svm.hpp"

namespace {

using kvmpp::svm::SegmentCache;
using kvmpp::svm::Vmcb;

x86_segment code64() {
  x86_segment s{};
  s.selector = 0x10;
  s.limit = 0xffffffff;
  s.type = 0xb;
  s.present = 1;
  s.s = 1;
  s.l = 1;
  s.g = 1;
  return s;
}

struct SvmState : testing::Test {
  Vmcb* vmcb = new Vmcb{};
  SegmentCache cache;
  x86_state s{};
  ~SvmState() override { delete vmcb; }
  void SetUp() override {
    for (auto& seg : s.seg) seg = code64();
    s.gdt = {0x1000, 0x7f};
    s.idt = {0x2000, 0xfff};
    s.efer = 0x500;
    s.cr0 = 0x80000011;
  }
  // An entry and an exit with nothing changed by the guest.
  void round_trip() {
    kvmpp::svm::load_state(*vmcb, cache, s);
    kvmpp::svm::store_state(*vmcb, cache, s);
  }
};

TEST_F(SvmState, FirstEntryLoadsEverySegment) {
  kvmpp::svm::load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->save.cs.selector, 0x10);
  EXPECT_EQ(vmcb->save.cs.attrib, 0xb | 1 << 4 | 1 << 7 | 1 << 9 | 1 << 11);
  EXPECT_EQ(vmcb->save.tr.limit, 0xffffffffu);
  EXPECT_EQ(vmcb->save.gdtr.base, 0x1000u);
  EXPECT_EQ(vmcb->save.idtr.limit, 0xfffu);
  EXPECT_EQ(vmcb->save.efer, 0x500u | kvmpp::svm::kEferSvme);
}

TEST_F(SvmState, AnIoctlWriteReachesTheNextEntry) {
  round_trip();
  s.seg[X86_DS].selector = 0x18;
  s.seg[X86_DS].base = 0x4000;
  s.idt.base = 0x3000;
  kvmpp::svm::load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->save.ds.selector, 0x18);
  EXPECT_EQ(vmcb->save.ds.base, 0x4000u);
  EXPECT_EQ(vmcb->save.idtr.base, 0x3000u);
}

TEST_F(SvmState, AGuestWriteReachesTheState) {
  round_trip();
  kvmpp::svm::load_state(*vmcb, cache, s);
  vmcb->save.fs.base = 0x7000;   // WRFSBASE in the guest
  vmcb->save.gdtr.limit = 0xff;  // LGDT
  kvmpp::svm::store_state(*vmcb, cache, s);
  EXPECT_EQ(s.seg[X86_FS].base, 0x7000u);
  EXPECT_EQ(s.gdt.limit, 0xff);
  // And the next entry keeps it rather than reloading the old value.
  kvmpp::svm::load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->save.fs.base, 0x7000u);
}

TEST_F(SvmState, AnUntouchedSegmentIsNotRewritten) {
  round_trip();
  // A VMCB value that only a reload would overwrite: the cache says the
  // VMCB already holds x86_state's CS, so it stays.
  vmcb->save.cs.base = 0x1234;
  kvmpp::svm::load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->save.cs.base, 0x1234u);
}

TEST_F(SvmState, ForgottenStateIsReloaded) {
  round_trip();
  vmcb->save.cs.base = 0x1234;  // the save area after a shutdown
  kvmpp::svm::forget_state(cache);
  kvmpp::svm::load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->save.cs.base, 0u);
}

TEST_F(SvmState, AnUnusableSegmentLosesItsAttributesOnEntry) {
  s.seg[X86_ES].unusable = 1;
  kvmpp::svm::load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->save.es.attrib, 0);
  // x86_state holds what the exit would have stored: the form the VMCB keeps.
  EXPECT_EQ(s.seg[X86_ES].type, 0);
  EXPECT_EQ(s.seg[X86_ES].present, 0);
  EXPECT_EQ(s.seg[X86_ES].unusable, 1);
  kvmpp::svm::store_state(*vmcb, cache, s);
  EXPECT_EQ(s.seg[X86_ES].unusable, 1);
}

TEST_F(SvmState, ScalarsGoBothWays) {
  s.rip = 0xfff0;
  s.gpr[X86_RSP] = 0x8000;
  s.gpr[X86_RAX] = 42;
  s.cr8 = 5;
  kvmpp::svm::load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->save.rip, 0xfff0u);
  EXPECT_EQ(vmcb->save.rsp, 0x8000u);
  EXPECT_EQ(vmcb->save.rax, 42u);
  EXPECT_EQ(vmcb->control.int_ctl & 0xf, 5u);
  vmcb->save.rip = 0xfff2;
  vmcb->save.kernel_gs_base = 0xffff8000;  // SWAPGS
  vmcb->control.int_state = 1;
  kvmpp::svm::store_state(*vmcb, cache, s);
  EXPECT_EQ(s.rip, 0xfff2u);
  EXPECT_EQ(s.kernel_gs_base, 0xffff8000u);
  EXPECT_EQ(s.interrupt_shadow, 1);
  EXPECT_EQ(s.efer, 0x500u);  // SVME stays the host's business
}

}  // namespace

// Every entry gets V_INTR_MASKING, whatever the VMCB held: QEMU 7.2's SVM
// wrote int_ctl back as 0 after a VMRUN that failed its checks, and the
// guest then ran with the host's interrupts held off while its IF was clear
// (guest_fuzz seed 2, a CPU of the test machine without timer ticks).
TEST_F(SvmState, EveryEntryMasksOnlyVirtualInterrupts) {
  using namespace kvmpp::svm;
  s.cr8 = 3;
  vmcb->control.int_ctl = 0;
  load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->control.int_ctl, intctl::kVIntrMasking | 3);
  vmcb->control.int_ctl = intctl::kVIrq | intctl::kVIgnTpr | 0xf;  // stale window, guest's TPR
  load_state(*vmcb, cache, s);
  EXPECT_EQ(vmcb->control.int_ctl, intctl::kVIntrMasking | 3);
}
