// SPDX-License-Identifier: GPL-2.0
// KVM_SET_GUEST_DEBUG and KVM_CAP_EXCEPTION_PAYLOAD against a scripted
// backend: what the backend is asked to intercept and load, the exits user
// space sees, the guest's own state kept apart from the debugger's, and
// pending exceptions with their payloads.
#include <arch/x86/kvm/run/run.hpp>
#include <arch/x86/kvm/state/state.hpp>
#include <arch/x86/kvm/x86.hpp>

#include <cstdlib>
#include <deque>

#include "core_fixture.h"
#include "scripted_backend.h"

namespace {

x86_exit exit_of(x86_exit_kind kind, uint64_t info0 = 0) {
  x86_exit e{};
  e.kind = kind;
  e.info[0] = info0;
  return e;
}

constexpr uint64_t kDr6Fixed = 0xffff0ff0, kBs = 1ull << 14, kTf = 1ull << 8;

// Events with a pending #DB whose payload is a single step (DR6.BS).
kvm_vcpu_events pending_single_step() {
  kvm_vcpu_events e{};
  e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
  e.exception.pending = 1;
  e.exception.nr = 1;
  e.exception_has_payload = 1;
  e.exception_payload = kBs;
  return e;
}

class GuestDebugTest : public CoreTest {
 protected:
  static constexpr uint64_t kMem = 0x10000, kCode = 0x1000;
  void SetUp() override {
    CoreTest::SetUp();
    kvm_core_clear_backend(&fake_backend::kOps);
    ASSERT_EQ(kvm_core_set_backend(&scripted::kOps), 0);
    scripted::exits.clear();
    vm_ = create_vm();
    mem_ = add_guest_ram(vm_, kMem);
    memset(mem_, 0x90, kMem);  // NOP everywhere
    vcpu_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    ASSERT_GE(vcpu_, 0);
    s().seg[X86_CS].base = 0;
    s().rip = kCode;
  }
  void TearDown() override {
    kvm_core_clear_backend(&scripted::kOps);
    ASSERT_EQ(kvm_core_set_backend(&fake_backend::kOps), 0);
    CoreTest::TearDown();
  }
  kvmpp::Vcpu& vcpu() { return *static_cast<kvmpp::Vcpu*>(object(vcpu_)); }
  x86_state& s() { return vcpu().arch().regs; }
  kvm_run* run() { return vcpu().run(); }
  long kvm_run_ioctl() { return vcpu_ioctl(vcpu_, KVM_RUN); }
  long set_debug(uint32_t control, const uint64_t* drs = nullptr) {
    kvm_guest_debug d{};
    d.control = control;
    if (drs) memcpy(d.arch.debugreg, drs, sizeof(d.arch.debugreg));
    return vcpu_ioctl(vcpu_, KVM_SET_GUEST_DEBUG, ptr(&d));
  }
  long enable_payloads(uint64_t on) {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_EXCEPTION_PAYLOAD;
    cap.args[0] = on;
    return vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap));
  }
  kvm_vcpu_events events() {
    kvm_vcpu_events e{};
    EXPECT_EQ(vcpu_ioctl(vcpu_, KVM_GET_VCPU_EVENTS, ptr(&e)), 0);
    return e;
  }
  long set_events(const kvm_vcpu_events& e) {
    return vcpu_ioctl(vcpu_, KVM_SET_VCPU_EVENTS, ptr(&e));
  }
  uint8_t* mem_ = nullptr;
  long vm_ = -1, vcpu_ = -1;
};

TEST_F(GuestDebugTest, Capabilities) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2), 0x1f0003);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_EXCEPTION_PAYLOAD), 1);
}

TEST_F(GuestDebugTest, UnknownControlBitsDoNothing) {
  // As Linux 6.12 on x86: accepted, without effect.
  EXPECT_EQ(set_debug(KVM_GUESTDBG_ENABLE | 4 | (1u << 21)), 0);
  scripted::exits = {exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_debug.flags, 0u);
  EXPECT_FALSE(scripted::last_rflags & kTf);
  EXPECT_EQ(vcpu_ioctl(vcpu_, KVM_SET_GUEST_DEBUG, 0), -EFAULT);
}

TEST_F(GuestDebugTest, OnlyOneInjectionWaits) {
  EXPECT_EQ(set_debug(KVM_GUESTDBG_INJECT_DB), 0);
  EXPECT_EQ(set_debug(KVM_GUESTDBG_INJECT_BP), -EBUSY);
  scripted::exits = {exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_TRUE(scripted::last_event.valid);
  EXPECT_EQ(scripted::last_event.vector, 1);
  EXPECT_EQ(scripted::last_event.type, X86_EVENT_EXCEPTION);
  EXPECT_EQ(set_debug(KVM_GUESTDBG_INJECT_BP), 0);
}

TEST_F(GuestDebugTest, InjectedBreakpointReturnsAfterInt3) {
  mem_[kCode] = 0xcc;
  ASSERT_EQ(set_debug(KVM_GUESTDBG_INJECT_BP), 0);
  scripted::exits = {exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_event.vector, 3);
  EXPECT_EQ(s().rip, kCode + 1);  // delivered past the INT3
}

TEST_F(GuestDebugTest, HardwareBreakpointsGoToTheBackend) {
  const uint64_t drs[8] = {0x1111, 0x2222, 0x3333, 0x4444, 0, 0, 0, 0x402};
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, drs), 0);
  scripted::exits = {exit_of(X86_EXIT_DEBUG, 0xffff0ff1)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_debug.flags, unsigned(X86_DEBUG_INTERCEPT_DB | X86_DEBUG_LOAD_DRS));
  EXPECT_EQ(scripted::last_debug.dr[0], 0x1111u);
  EXPECT_EQ(scripted::last_debug.dr[3], 0x4444u);
  EXPECT_EQ(scripted::last_debug.dr7, 0x402u);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DEBUG));
  EXPECT_EQ(run()->debug.arch.exception, 1u);
  EXPECT_EQ(run()->debug.arch.pc, kCode);
  EXPECT_EQ(run()->debug.arch.dr6, 0xffff0ff1u);
  EXPECT_EQ(run()->debug.arch.dr7, 0x402u);
  // The guest's own registers are untouched.
  kvm_debugregs d{};
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_GET_DEBUGREGS, ptr(&d)), 0);
  EXPECT_EQ(d.db[0], 0u);
  EXPECT_EQ(d.dr7, 0x400u);
  EXPECT_EQ(d.dr6, kDr6Fixed);
  // Off again: nothing for the backend to do.
  ASSERT_EQ(set_debug(0), 0);
  scripted::exits = {exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_debug.flags, 0u);
}

TEST_F(GuestDebugTest, SoftwareBreakpoints) {
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP), 0);
  scripted::exits = {exit_of(X86_EXIT_BREAKPOINT)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_debug.flags, unsigned(X86_DEBUG_INTERCEPT_BP));
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DEBUG));
  EXPECT_EQ(run()->debug.arch.exception, 3u);
  EXPECT_EQ(run()->debug.arch.pc, kCode);
  // An INT3 reported as a software-interrupt intercept is the same thing.
  mem_[kCode] = 0xcc;
  scripted::exits = {exit_of(X86_EXIT_SOFT_INT)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DEBUG));
  EXPECT_EQ(run()->debug.arch.exception, 3u);
  EXPECT_EQ(s().rip, kCode);
}

TEST_F(GuestDebugTest, OtherSoftwareInterruptsGoAhead) {
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP), 0);
  mem_[kCode] = 0xcd;  // INT 0x21
  mem_[kCode + 1] = 0x21;
  scripted::exits = {exit_of(X86_EXIT_SOFT_INT), exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_SHUTDOWN));
  EXPECT_EQ(scripted::last_event.vector, 0x21);
  EXPECT_EQ(scripted::last_event.type, X86_EVENT_SOFT_INT);
  EXPECT_EQ(s().rip, kCode + 2);  // delivered after the INT
}

TEST_F(GuestDebugTest, GuestBreakpointWithoutTheDebuggerIsDelivered) {
  mem_[kCode] = 0xcc;
  scripted::exits = {exit_of(X86_EXIT_BREAKPOINT), exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_event.vector, 3);
  EXPECT_EQ(s().rip, kCode + 1);
}

TEST_F(GuestDebugTest, SingleStepHidesTheTrapFlag) {
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP), 0);
  scripted::exits = {exit_of(X86_EXIT_DEBUG, kDr6Fixed | kBs)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_TRUE(scripted::last_rflags & kTf);
  EXPECT_EQ(scripted::last_debug.flags, unsigned(X86_DEBUG_INTERCEPT_DB));
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DEBUG));
  EXPECT_EQ(run()->debug.arch.dr6, kDr6Fixed | kBs);
  kvm_regs r{};
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_GET_REGS, ptr(&r)), 0);
  EXPECT_FALSE(r.rflags & kTf);
  // The guest's own TF stays.
  s().rflags |= kTf;
  scripted::exits = {exit_of(X86_EXIT_DEBUG, kDr6Fixed | kBs)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_TRUE(s().rflags & kTf);
}

TEST_F(GuestDebugTest, StepsOverInstructionsTheLayerCompletes) {
  memcpy(mem_ + kCode, "\x0f\xa2", 2);  // CPUID
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP), 0);
  scripted::exits = {exit_of(X86_EXIT_CPUID)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DEBUG));
  EXPECT_EQ(run()->debug.arch.pc, kCode + 2);
  EXPECT_EQ(run()->debug.arch.dr6, kDr6Fixed | kBs);
  // An OUT to user space: the step follows its completion.
  x86_exit io{};
  io.kind = X86_EXIT_IO;
  io.io.port = 0x10;
  io.io.size = 1;
  scripted::exits = {io};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_IO));
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DEBUG));
  EXPECT_EQ(run()->debug.arch.pc, kCode + 3);
}

TEST_F(GuestDebugTest, StepOverStiIsDoneByTheLayer) {
  mem_[kCode] = 0xfb;  // STI
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP), 0);
  ASSERT_EQ(kvm_run_ioctl(), 0);  // the backend is not called (no exit scripted)
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DEBUG));
  EXPECT_EQ(run()->debug.arch.pc, kCode + 1);
  EXPECT_EQ(run()->debug.arch.dr6, kDr6Fixed | kBs);
  EXPECT_TRUE(s().rflags & (1u << 9));
  EXPECT_TRUE(s().interrupt_shadow);
  // Not while an event waits to be injected: the hardware delivers it first.
  s().rip = kCode;
  s().event = {1, 0x30, X86_EVENT_INTR, 0, 0};
  scripted::exits = {exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_SHUTDOWN));
}

TEST_F(GuestDebugTest, GuestSingleStepOverCompletedInstruction) {
  memcpy(mem_ + kCode, "\x0f\xa2", 2);  // CPUID
  s().rflags |= kTf;
  scripted::exits = {exit_of(X86_EXIT_CPUID), exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_event.vector, 1);
  EXPECT_EQ(s().dr6, kDr6Fixed | kBs);
}

TEST_F(GuestDebugTest, UnclaimedDebugExceptionGoesToTheGuest) {
  // A #DB exit while only software breakpoints are the debugger's.
  scripted::exits = {exit_of(X86_EXIT_DEBUG, kDr6Fixed | 4), exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_SHUTDOWN));
  EXPECT_EQ(scripted::last_event.vector, 1);
  EXPECT_EQ(s().dr6, kDr6Fixed | 4);
}

TEST_F(GuestDebugTest, BlockIrqHoldsNmis) {
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_NMI), 0);
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ), 0);
  scripted::exits = {exit_of(X86_EXIT_DEBUG, kDr6Fixed | kBs)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_FALSE(scripted::last_event.valid);
  ASSERT_EQ(set_debug(0), 0);
  scripted::exits = {exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_TRUE(scripted::last_event.valid);
  EXPECT_EQ(scripted::last_event.type, X86_EVENT_NMI);
}

TEST_F(GuestDebugTest, BlockIrqLetsUserSpaceInterruptIn) {
  // Without an irqchip, KVM_INTERRUPT's vector is already injected as far
  // as upstream is concerned.
  s().rflags |= 1u << 9;
  kvm_interrupt irq{0x40};
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_INTERRUPT, ptr(&irq)), 0);
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ), 0);
  scripted::exits = {exit_of(X86_EXIT_DEBUG, kDr6Fixed | kBs)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_TRUE(scripted::last_event.valid);
  EXPECT_EQ(scripted::last_event.vector, 0x40);
}

// A debugger's DR7 with bits the hardware refuses (63:32, found by
// ioctl_fuzz: MOV to DR7 faulted in the host) reaches the backend without
// them; the exit reports what the debugger set.
TEST_F(GuestDebugTest, HardwareGetsOnlyDr7sArchitecturalBits) {
  const uint64_t drs[8] = {0xe5e6b9ef58d40810, 0, 0, 0, 0, 0, 0, 0xff06309cc75e7e02};
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, drs), 0);
  scripted::exits = {exit_of(X86_EXIT_DEBUG, 0xffff0ff1)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_debug.dr7, 0xc75e2e02u);
  EXPECT_EQ(scripted::last_debug.dr[0], 0xe5e6b9ef58d40810u);
  EXPECT_EQ(run()->debug.arch.dr7, 0xff06309cc75e7e02u);
}

TEST_F(GuestDebugTest, GeneralDetect) {
  memcpy(mem_ + kCode, "\x0f\x21\xc0", 3);  // mov %dr0, %eax
  const uint64_t drs[8] = {0, 0, 0, 0, 0, 0, 0, 0x2400};
  ASSERT_EQ(set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, drs), 0);
  scripted::exits = {exit_of(X86_EXIT_DR_ACCESS, 0)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_DEBUG));
  EXPECT_EQ(run()->debug.arch.dr6, kDr6Fixed | (1u << 13));
  EXPECT_EQ(s().rip, kCode);
  // The guest's own GD: a #DB for it, GD cleared as it is delivered.
  ASSERT_EQ(set_debug(0), 0);
  s().dr7 = 0x2400;
  scripted::exits = {exit_of(X86_EXIT_DR_ACCESS, 0), exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_event.vector, 1);
  EXPECT_EQ(s().dr7, 0x400u);
  EXPECT_EQ(s().dr6, kDr6Fixed | (1u << 13));
}

TEST_F(GuestDebugTest, PayloadDelivery) {
  x86_state st{};
  st.dr6 = kDr6Fixed | 1;
  kvmpp::x86::deliver_payload(st, 1, kBs | 2);
  EXPECT_EQ(st.dr6, kDr6Fixed | kBs | 2);  // B0 replaced, BS added
  // Bit 16 in the payload clears the active-low DR6.RTM; bit 12 is never set.
  kvmpp::x86::deliver_payload(st, 1, (1u << 16) | (1u << 12));
  EXPECT_EQ(st.dr6, (kDr6Fixed | kBs) & ~(1ull << 16));
  kvmpp::x86::deliver_payload(st, 14, 0xabc000);
  EXPECT_EQ(st.cr2, 0xabc000u);
}

TEST_F(GuestDebugTest, PendingExceptionRoundTrip) {
  EXPECT_EQ(events().flags & KVM_VCPUEVENT_VALID_PAYLOAD, 0u);
  kvm_vcpu_events e{};
  e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
  e.exception.pending = 1;
  e.exception.nr = 14;
  e.exception.has_error_code = 1;
  e.exception.error_code = 6;
  e.exception_has_payload = 1;
  e.exception_payload = 0x5000;
  EXPECT_EQ(set_events(e), -EINVAL);  // the capability is off
  ASSERT_EQ(enable_payloads(1), 0);
  ASSERT_EQ(set_events(e), 0);
  kvm_vcpu_events got = events();
  EXPECT_TRUE(got.flags & KVM_VCPUEVENT_VALID_PAYLOAD);
  EXPECT_EQ(got.exception.pending, 1);
  EXPECT_EQ(got.exception.injected, 0);
  EXPECT_EQ(got.exception.nr, 14);
  EXPECT_EQ(got.exception.error_code, 6u);
  EXPECT_EQ(got.exception_has_payload, 1);
  EXPECT_EQ(got.exception_payload, 0x5000u);
  EXPECT_EQ(s().cr2, 0u);
  // Set back what was read: the same.
  ASSERT_EQ(set_events(got), 0);
  EXPECT_EQ(events().exception_payload, 0x5000u);
  // Without the capability it reads as pending and injected (as upstream),
  // the payload delivered since user space may not carry it over.
  ASSERT_EQ(enable_payloads(0), 0);
  got = events();
  EXPECT_EQ(got.exception.pending, 1);
  EXPECT_EQ(got.exception.injected, 1);
  EXPECT_EQ(got.exception_has_payload, 0);
  EXPECT_EQ(s().cr2, 0x5000u);
  EXPECT_FALSE(s().event.valid);
  // Set back without the flag: an injected #PF.
  ASSERT_EQ(set_events(got), 0);
  EXPECT_TRUE(s().event.valid);
  EXPECT_FALSE(vcpu().arch().exception.valid);
}

TEST_F(GuestDebugTest, PayloadReachesRegistersBeforeTheyAreRead) {
  ASSERT_EQ(enable_payloads(1), 0);
  kvm_vcpu_events e = pending_single_step();
  ASSERT_EQ(set_events(e), 0);
  kvm_debugregs d{};
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_GET_DEBUGREGS, ptr(&d)), 0);
  EXPECT_EQ(d.dr6, kDr6Fixed);  // deferred while the capability is on
  ASSERT_EQ(enable_payloads(0), 0);
  ASSERT_EQ(vcpu_ioctl(vcpu_, KVM_GET_DEBUGREGS, ptr(&d)), 0);
  EXPECT_EQ(d.dr6, kDr6Fixed | kBs);
  EXPECT_TRUE(vcpu().arch().exception.valid);
  EXPECT_FALSE(vcpu().arch().exception.has_payload);
}

TEST_F(GuestDebugTest, SoftExceptionsAreNotReported) {
  ASSERT_EQ(enable_payloads(1), 0);
  ASSERT_EQ(set_debug(KVM_GUESTDBG_INJECT_BP), 0);
  kvm_vcpu_events got = events();
  EXPECT_EQ(got.exception.pending, 0);
  EXPECT_EQ(got.exception.injected, 0);
  EXPECT_EQ(got.exception.nr, 3);
}

TEST_F(GuestDebugTest, PendingExceptionIsInjectedAtEntry) {
  ASSERT_EQ(enable_payloads(1), 0);
  kvm_vcpu_events e = pending_single_step();
  ASSERT_EQ(set_events(e), 0);
  scripted::exits = {exit_of(X86_EXIT_SHUTDOWN)};
  ASSERT_EQ(kvm_run_ioctl(), 0);
  EXPECT_EQ(scripted::last_event.vector, 1);
  EXPECT_EQ(s().dr6, kDr6Fixed | kBs);
  EXPECT_EQ(events().exception.pending, 0);
  // Bad vectors and the flag-less "pending" (ignored, as upstream).
  e.exception.nr = 2;
  EXPECT_EQ(set_events(e), -EINVAL);
  e.exception.nr = 32;
  EXPECT_EQ(set_events(e), -EINVAL);
  e.exception.nr = 13;
  e.flags = 0;
  ASSERT_EQ(set_events(e), 0);
  EXPECT_EQ(events().exception.pending, 0);
  EXPECT_FALSE(vcpu().arch().exception.valid);
}

TEST_F(GuestDebugTest, InitDropsThePendingException) {
  ASSERT_EQ(set_debug(KVM_GUESTDBG_INJECT_DB), 0);
  kvmpp::x86::reset_state(vcpu());
  EXPECT_FALSE(vcpu().arch().exception.valid);
}

}  // namespace
