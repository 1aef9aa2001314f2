// SPDX-License-Identifier: GPL-2.0
// What user space decides about guest MSR accesses: KVM_X86_SET_MSR_FILTER,
// the KVM_CAP_X86_USER_SPACE_MSR exits and their completion, the
// KVM_CAP_MSR_PLATFORM_INFO and CPUID-faulting MSRs, and the emulation
// failures of KVM_CAP_EXIT_ON_EMULATION_FAILURE.
#include <arch/x86/kvm/mmu/mmu.hpp>
#include <arch/x86/kvm/msr/msr.hpp>
#include <arch/x86/kvm/run/run.hpp>
#include <arch/x86/kvm/state/state.hpp>
#include <virt/kvm/vcpu.hpp>

#include <cstdlib>
#include <vector>

#include "core_fixture.h"

namespace {

namespace msr = kvmpp::x86::msr;
using kvmpp::x86::Next;

constexpr uint32_t kXss = 0xda0, kFlushCmd = 0x10b, kFabricated = 0x474f4f00;
constexpr uint32_t kBits = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8;

// Guest code in a memory slot (real mode, CS = 0) and one vCPU.
class MsrPolicyTest : public CoreTest {
 protected:
  static constexpr uint64_t kMem = 0x10000, kCode = 0x1000;
  void SetUp() override {
    CoreTest::SetUp();
    vm_ = create_vm();
    mem_ = add_guest_ram(vm_, kMem);
    fd_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    s().seg[X86_CS].base = 0;
    s().rip = kCode;
  }
  kvmpp::Vcpu& vcpu() { return *static_cast<kvmpp::Vcpu*>(object(fd_)); }
  x86_state& s() { return vcpu().arch().regs; }
  kvm_run* run() { return vcpu().run(); }

  long enable_cap(uint32_t cap, uint64_t arg, uint32_t flags = 0) {
    kvm_enable_cap c{};
    c.cap = cap;
    c.flags = flags;
    c.args[0] = arg;
    return vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&c));
  }
  long set_filter(const kvm_msr_filter& f) {
    return vm_ioctl(vm_, KVM_X86_SET_MSR_FILTER, ptr(&f));
  }

  // RDMSR (or WRMSR) of @index at RIP: kEnter (the guest goes on, maybe
  // with an exception queued) or kUser (an exit).
  Next exec(bool write, uint32_t index, uint64_t value = 0, std::vector<uint8_t> prefix = {}) {
    std::vector<uint8_t> code = prefix;
    code.push_back(0x0f);
    code.push_back(write ? 0x30 : 0x32);
    memcpy(mem_ + s().rip, code.data(), code.size());
    s().gpr[X86_RCX] = index;
    s().gpr[X86_RAX] = 0xffffffff00000000ull | uint32_t(value);
    s().gpr[X86_RDX] = 0xffffffff00000000ull | (value >> 32);
    x86_exit e{};
    e.kind = write ? X86_EXIT_WRMSR : X86_EXIT_RDMSR;
    auto next = kvmpp::x86::handle_other_exit(vcpu(), e);
    EXPECT_TRUE(next.ok());
    return next.ok() ? next.value() : Next::kEnter;
  }
  // The exception queued for the guest (-1: none), taking it.
  int taken_exception() {
    x86_event ev = s().event;
    s().event = {};
    return ev.valid ? ev.vector : -1;
  }
  // KVM_RUN: completes a pending exit, then fails to enter (the fake
  // backend's -EIO) or stops at immediate_exit.
  long kvm_run_once(bool immediate = true) {
    run()->immediate_exit = immediate;
    long r = vcpu_ioctl(fd_, KVM_RUN);
    run()->immediate_exit = 0;
    return r;
  }
  // KVM_GET/SET_MSRS of one MSR: a kvm_msrs header and one entry.
  uint64_t host_read(uint32_t index) {
    uint64_t m[3] = {1, index, 0};
    EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_MSRS, ptr(m)), 1) << std::hex << index;
    return m[2];
  }
  long host_write(uint32_t index, uint64_t v) {
    uint64_t m[3] = {1, index, v};
    return vcpu_ioctl(fd_, KVM_SET_MSRS, ptr(m));
  }

  uint8_t* mem_ = nullptr;
  long vm_ = -1, fd_ = -1;
};

// A filter whose ranges deny one MSR each (bitmap of zeros).
kvm_msr_filter deny_each(std::vector<uint32_t> msrs, uint32_t flags, uint64_t* zeros) {
  kvm_msr_filter f{};
  f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
  for (unsigned i = 0; i < msrs.size(); i++)
    f.ranges[i] = {flags, 1, msrs[i], reinterpret_cast<uint8_t*>(zeros)};
  return f;
}

TEST_F(MsrPolicyTest, CapsAdvertised) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_MSR_PLATFORM_INFO), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_EXIT_ON_EMULATION_FAILURE), 1);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER), 1);
}

TEST_F(MsrPolicyTest, UserSpaceMsrFlags) {
  for (unsigned b = 0; b < 64; b++) {
    long expected = (1ull << b) & KVM_MSR_EXIT_REASON_VALID_MASK ? 0 : -EINVAL;
    EXPECT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, 1ull << b), expected) << b;
  }
  EXPECT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, 0), 0);
  EXPECT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_VALID_MASK), 0);
  EXPECT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, 1, /*flags=*/1), -EINVAL);
  // The filter capability is a query, not something to enable.
  EXPECT_EQ(enable_cap(KVM_CAP_X86_MSR_FILTER, 1), -EINVAL);
}

TEST_F(MsrPolicyTest, FilterValidation) {
  uint64_t zeros[KVM_MSR_FILTER_MAX_BITMAP_SIZE / 8 + 1] = {};
  kvm_msr_filter f = deny_each({0}, KVM_MSR_FILTER_READ, zeros);
  for (unsigned b = 0; b < 32; b++) {
    f.flags = 1u << b;
    EXPECT_EQ(set_filter(f), (1u << b) & KVM_MSR_FILTER_VALID_MASK ? 0 : -EINVAL) << b;
  }
  f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
  for (unsigned b = 0; b < 32; b++) {
    f.ranges[0].flags = 1u << b;
    EXPECT_EQ(set_filter(f), (1u << b) & KVM_MSR_FILTER_RANGE_VALID_MASK ? 0 : -EINVAL) << b;
  }
  f.ranges[0].flags = 0;  // a range with MSRs must say what it filters
  EXPECT_EQ(set_filter(f), -EINVAL);
  f.ranges[0].nmsrs = 0;  // an unused slot is not checked
  f.ranges[0].flags = 0x80;
  EXPECT_EQ(set_filter(f), 0);
  // No range: allowing everything is fine, denying everything is not.
  f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
  EXPECT_EQ(set_filter(f), -EINVAL);
  f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
  EXPECT_EQ(set_filter(f), 0);
  // The bitmap: at most KVM_MSR_FILTER_MAX_BITMAP_SIZE bytes, readable.
  f.ranges[1] = {KVM_MSR_FILTER_WRITE, kBits, 0, reinterpret_cast<uint8_t*>(zeros)};
  EXPECT_EQ(set_filter(f), 0);
  f.ranges[1].nmsrs = kBits + 1;
  EXPECT_EQ(set_filter(f), -EINVAL);
  f.ranges[1].nmsrs = 1;
  f.ranges[1].bitmap = reinterpret_cast<uint8_t*>(8);
  EXPECT_EQ(set_filter(f), -EFAULT);
  EXPECT_EQ(vm_ioctl(vm_, KVM_X86_SET_MSR_FILTER, 8), -EFAULT);
  // Allocation failures leave nothing behind (the fixture checks).
  f.ranges[1].bitmap = reinterpret_cast<uint8_t*>(zeros);
  f.ranges[2] = f.ranges[1];
  for (long n = 1; n <= 3; n++) {
    fake::fail_alloc_after(n);
    EXPECT_EQ(set_filter(f), -ENOMEM) << n;
  }
  fake::fail_alloc_after(0);
}

TEST_F(MsrPolicyTest, FilterWithoutExitsRaisesGp) {
  uint64_t zeros = 0;
  kvm_msr_filter f = deny_each({msr::kStar}, KVM_MSR_FILTER_READ, &zeros);
  ASSERT_EQ(set_filter(f), 0);
  EXPECT_EQ(exec(false, msr::kStar), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
  EXPECT_EQ(s().rip, kCode);
  // Writes are not covered by a read range; user space is never filtered.
  EXPECT_EQ(exec(true, msr::kStar, 0x1234), Next::kEnter);
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(host_read(msr::kStar), 0x1234u);
  // Removing the filter allows the read again.
  kvm_msr_filter none{};
  ASSERT_EQ(set_filter(none), 0);
  EXPECT_EQ(exec(false, msr::kStar), Next::kEnter);
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(s().gpr[X86_RAX], 0x1234u);
}

TEST_F(MsrPolicyTest, FilterRangesAndDefault) {
  // Default deny: only what a bitmap allows passes, per access type.
  std::vector<uint8_t> ones(KVM_MSR_FILTER_MAX_BITMAP_SIZE, 0xff), c0_read = ones;
  c0_read[(msr::kSfmask & (kBits - 1)) / 8] &= uint8_t(~(1u << (msr::kSfmask % 8)));
  kvm_msr_filter f{};
  f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
  f.ranges[0] = {KVM_MSR_FILTER_READ, kBits, 0xc0000000, c0_read.data()};
  f.ranges[1] = {KVM_MSR_FILTER_WRITE, kBits, 0xc0000000, ones.data()};
  ASSERT_EQ(set_filter(f), 0);
  EXPECT_EQ(exec(true, msr::kSfmask, 0x700), Next::kEnter);
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(exec(false, msr::kSfmask), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
  EXPECT_EQ(exec(false, msr::kStar), Next::kEnter);
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(exec(false, msr::kPat), Next::kEnter);  // no range: the default
  EXPECT_EQ(taken_exception(), 13);
  // The x2APIC MSRs are never filtered (without an in-kernel APIC in
  // x2APIC mode they are refused: INVAL, as upstream).
  ASSERT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_VALID_MASK), 0);
  EXPECT_EQ(exec(false, 0x802), Next::kUser);
  EXPECT_EQ(run()->msr.reason, unsigned(KVM_MSR_EXIT_REASON_INVAL));
  vcpu().arch().pending_msr = {};
  EXPECT_EQ(exec(false, 0x900), Next::kUser);  // past them: the default denies
  EXPECT_EQ(run()->msr.reason, unsigned(KVM_MSR_EXIT_REASON_FILTER));
}

// A range that reaches past 0xffffffff covers up to it and no further: it
// does not wrap around to MSR 0 (found by fuzz_msr_filter: a range for the
// top MSRs denied WRMSR 0x10).
TEST_F(MsrPolicyTest, RangePastTheTopDoesNotWrap) {
  uint64_t zeros[2] = {};
  kvm_msr_filter f{};
  f.ranges[0] = {KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, 128, 0xffffffc0,
                 reinterpret_cast<uint8_t*>(zeros)};
  ASSERT_EQ(set_filter(f), 0);
  EXPECT_EQ(exec(false, 0xffffffff), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
  EXPECT_EQ(exec(true, msr::kTsc, 5), Next::kEnter);  // MSR 0x10: not in the range
  EXPECT_EQ(taken_exception(), -1);
}

TEST_F(MsrPolicyTest, FilteredAccessesExitAndComplete) {
  uint64_t zeros = 0;
  ASSERT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER), 0);
  kvm_msr_filter f = deny_each({kXss, kFlushCmd, kFabricated, msr::kFsBase},
                               KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, &zeros);
  ASSERT_EQ(set_filter(f), 0);
  // A read: user space answers with data; RIP moves on at the next KVM_RUN.
  ASSERT_EQ(exec(false, kXss), Next::kUser);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_X86_RDMSR));
  EXPECT_EQ(run()->msr.index, kXss);
  EXPECT_EQ(run()->msr.reason, unsigned(KVM_MSR_EXIT_REASON_FILTER));
  EXPECT_EQ(run()->msr.data, 0u);
  EXPECT_EQ(run()->msr.error, 0);
  EXPECT_EQ(s().rip, kCode);
  run()->msr.data = 0x1122334455667788ull;
  EXPECT_EQ(kvm_run_once(), -EINTR);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_X86_RDMSR));  // immediate_exit keeps it
  EXPECT_EQ(s().gpr[X86_RAX], 0x55667788u);
  EXPECT_EQ(s().gpr[X86_RDX], 0x11223344u);
  EXPECT_EQ(s().rip, kCode + 2);
  EXPECT_EQ(taken_exception(), -1);
  // A second KVM_RUN does not complete it again.
  s().gpr[X86_RAX] = 7;
  EXPECT_EQ(kvm_run_once(), -EINTR);
  EXPECT_EQ(s().gpr[X86_RAX], 7u);
  EXPECT_EQ(s().rip, kCode + 2);
  // A write carries the value; an error from user space is #GP, RIP stays.
  ASSERT_EQ(exec(true, kFlushCmd, 0x100000002ull), Next::kUser);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_X86_WRMSR));
  EXPECT_EQ(run()->msr.data, 0x100000002ull);
  run()->msr.error = 1;
  EXPECT_EQ(kvm_run_once(), -EINTR);
  EXPECT_EQ(taken_exception(), 13);
  EXPECT_EQ(s().rip, kCode + 2);
  // A successful write moves RIP past a prefixed instruction.
  ASSERT_EQ(exec(true, kFabricated, 2, {0x66}), Next::kUser);
  EXPECT_EQ(run()->msr.error, 0);             // cleared for each exit
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_RUN), -EIO);  // completes, then the fake entry fails
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(s().rip, kCode + 5);
  // User space moved RIP: the access is abandoned.
  ASSERT_EQ(exec(false, msr::kFsBase), Next::kUser);
  s().rip = 0x2000;
  run()->msr.data = 5;
  s().gpr[X86_RAX] = 9;
  EXPECT_EQ(kvm_run_once(), -EINTR);
  EXPECT_EQ(s().rip, 0x2000u);
  EXPECT_EQ(s().gpr[X86_RAX], 9u);
  // Without the FILTER reason: #GP.
  ASSERT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_UNKNOWN), 0);
  EXPECT_EQ(exec(false, kXss), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
}

TEST_F(MsrPolicyTest, UnknownAndInvalidReasons) {
  // Nothing enabled: #GP for both kinds.
  EXPECT_EQ(exec(false, 0xdeadbeef), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
  ASSERT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_UNKNOWN), 0);
  EXPECT_EQ(exec(true, 0xdeadbeef, 0x1234), Next::kUser);
  EXPECT_EQ(run()->msr.reason, unsigned(KVM_MSR_EXIT_REASON_UNKNOWN));
  EXPECT_EQ(run()->msr.data, 0x1234u);
  vcpu().arch().pending_msr = {};
  // A known MSR refusing a value is INVAL, not UNKNOWN.
  EXPECT_EQ(exec(true, msr::kPat, 2), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
  EXPECT_EQ(exec(true, msr::kMtrrCap, 0), Next::kEnter);  // read-only
  EXPECT_EQ(taken_exception(), 13);
  ASSERT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_INVAL), 0);
  EXPECT_EQ(exec(true, msr::kPat, 2), Next::kUser);
  EXPECT_EQ(run()->msr.reason, unsigned(KVM_MSR_EXIT_REASON_INVAL));
  vcpu().arch().pending_msr = {};
  EXPECT_EQ(exec(false, msr::kTscAux), Next::kUser);  // no RDTSCP in CPUID
  EXPECT_EQ(run()->msr.reason, unsigned(KVM_MSR_EXIT_REASON_INVAL));
  vcpu().arch().pending_msr = {};
  EXPECT_EQ(exec(false, 0xdeadbeef), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
  // CPL 3 faults before any of this.
  ASSERT_EQ(enable_cap(KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_VALID_MASK), 0);
  s().cr0 |= kvmpp::x86::kCr0Pe;
  s().seg[X86_SS].dpl = 3;
  EXPECT_EQ(exec(false, 0xdeadbeef), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
}

TEST_F(MsrPolicyTest, FilterReplacedWhileInUse) {
  // A new filter replaces the old one whole; the VM frees both (the
  // fixture checks for leaks), including when the VM goes with one set.
  uint64_t zeros = 0;
  ASSERT_EQ(set_filter(deny_each({msr::kStar}, KVM_MSR_FILTER_READ, &zeros)), 0);
  ASSERT_EQ(set_filter(deny_each({msr::kLstar}, KVM_MSR_FILTER_READ, &zeros)), 0);
  EXPECT_EQ(exec(false, msr::kStar), Next::kEnter);
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(exec(false, msr::kLstar), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
}

TEST_F(MsrPolicyTest, PowerCtlIsStored) {
  s().rip = kCode;
  EXPECT_EQ(exec(true, msr::kPowerCtl, 0x1234), Next::kEnter);
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(host_read(msr::kPowerCtl), 0x1234u);
}

TEST_F(MsrPolicyTest, PlatformInfo) {
  // Readable by default; user space may set any value.
  uint64_t v = host_read(msr::kPlatformInfo);
  EXPECT_EQ(v, 1ull << 31);  // CPUID faulting supported
  EXPECT_EQ(host_write(msr::kPlatformInfo, v | 0xff00), 1);
  EXPECT_EQ(exec(false, msr::kPlatformInfo), Next::kEnter);
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(s().gpr[X86_RAX], 0x8000ff00u);
  // The guest cannot write it; with the capability off it cannot read it.
  EXPECT_EQ(exec(true, msr::kPlatformInfo, 0), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
  ASSERT_EQ(enable_cap(KVM_CAP_MSR_PLATFORM_INFO, 0), 0);
  EXPECT_EQ(exec(false, msr::kPlatformInfo), Next::kEnter);
  EXPECT_EQ(taken_exception(), 13);
  EXPECT_EQ(host_read(msr::kPlatformInfo), v | 0xff00);  // user space still can
  ASSERT_EQ(enable_cap(KVM_CAP_MSR_PLATFORM_INFO, 1), 0);
  EXPECT_EQ(exec(false, msr::kPlatformInfo), Next::kEnter);
  EXPECT_EQ(taken_exception(), -1);
}

TEST_F(MsrPolicyTest, CpuidFaulting) {
  const uint8_t cpuid[] = {0x0f, 0xa2};
  auto run_cpuid = [&] {
    s().rip = kCode;
    memcpy(mem_ + kCode, cpuid, sizeof(cpuid));
    x86_exit e{};
    e.kind = X86_EXIT_CPUID;
    auto next = kvmpp::x86::handle_other_exit(vcpu(), e);
    EXPECT_TRUE(next.ok() && next.value() == Next::kEnter);
    return taken_exception();
  };
  EXPECT_EQ(host_write(msr::kMiscFeaturesEnables, 2), 0);  // reserved bit
  EXPECT_EQ(host_write(msr::kMiscFeaturesEnables, 1), 1);
  // CPL 0 is not affected; CPL 3 gets #GP.
  EXPECT_EQ(run_cpuid(), -1);
  s().cr0 |= kvmpp::x86::kCr0Pe;
  s().seg[X86_SS].dpl = 3;
  EXPECT_EQ(run_cpuid(), 13);
  EXPECT_EQ(s().rip, kCode);
  // PLATFORM_INFO cannot withdraw the feature while it is enabled.
  EXPECT_EQ(host_write(msr::kPlatformInfo, 0), 0);
  EXPECT_EQ(host_write(msr::kMiscFeaturesEnables, 0), 1);
  EXPECT_EQ(run_cpuid(), -1);
  EXPECT_EQ(host_write(msr::kPlatformInfo, 0), 1);
  EXPECT_EQ(host_write(msr::kMiscFeaturesEnables, 1), 0);  // not supported now
}

TEST_F(MsrPolicyTest, EmulationFailureExits) {
  const uint8_t flds[] = {0xd9, 0x00};
  // CPL 0 without the capability: #UD queued and the exit.
  EXPECT_EQ(kvmpp::x86::emulator_failure(vcpu(), flds, 2), Next::kUser);
  EXPECT_EQ(taken_exception(), 6);
  auto& e = run()->emulation_failure;
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_INTERNAL_ERROR));
  EXPECT_EQ(e.suberror, unsigned(KVM_INTERNAL_ERROR_EMULATION));
  EXPECT_EQ(e.ndata, 3u);
  EXPECT_EQ(e.flags, KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
  EXPECT_EQ(e.insn_size, 2);
  EXPECT_EQ(e.insn_bytes[0], 0xd9);
  EXPECT_EQ(e.insn_bytes[1], 0x00);
  EXPECT_EQ(e.insn_bytes[2], 0x00);
  // CPL 3 without it: only #UD.
  run()->exit_reason = 0;
  s().cr0 |= kvmpp::x86::kCr0Pe;
  s().seg[X86_SS].dpl = 3;
  EXPECT_EQ(kvmpp::x86::emulator_failure(vcpu(), flds, 2), Next::kEnter);
  EXPECT_EQ(taken_exception(), 6);
  EXPECT_EQ(run()->exit_reason, 0u);
  // With it: the exit, no #UD, at any CPL.
  EXPECT_EQ(enable_cap(KVM_CAP_EXIT_ON_EMULATION_FAILURE, 2), -EINVAL);
  ASSERT_EQ(enable_cap(KVM_CAP_EXIT_ON_EMULATION_FAILURE, 1), 0);
  EXPECT_EQ(kvmpp::x86::emulator_failure(vcpu(), flds, 2), Next::kUser);
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(run()->exit_reason, unsigned(KVM_EXIT_INTERNAL_ERROR));
  // No bytes: flags only.
  EXPECT_EQ(kvmpp::x86::emulator_failure(vcpu(), nullptr, 0), Next::kUser);
  EXPECT_EQ(e.ndata, 1u);
  EXPECT_EQ(e.flags, 0u);
  ASSERT_EQ(enable_cap(KVM_CAP_EXIT_ON_EMULATION_FAILURE, 0), 0);
  EXPECT_EQ(kvmpp::x86::emulator_failure(vcpu(), flds, 2), Next::kEnter);
  EXPECT_EQ(taken_exception(), 6);
}

TEST_F(MsrPolicyTest, MismatchedInstructionReportsItsBytes) {
  // The exit says RDMSR, the bytes at RIP say otherwise: always an exit.
  const uint8_t nops[] = {0x90, 0x90, 0xf4};
  memcpy(mem_ + kCode, nops, sizeof(nops));
  x86_exit e{};
  e.kind = X86_EXIT_RDMSR;
  auto next = kvmpp::x86::handle_other_exit(vcpu(), e);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), Next::kUser);
  EXPECT_EQ(taken_exception(), -1);
  auto& f = run()->emulation_failure;
  EXPECT_EQ(f.suberror, unsigned(KVM_INTERNAL_ERROR_EMULATION));
  EXPECT_EQ(f.flags, KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
  EXPECT_EQ(f.insn_size, 15);
  EXPECT_EQ(f.insn_bytes[0], 0x90);
  EXPECT_EQ(f.insn_bytes[2], 0xf4);
}

}  // namespace
