// SPDX-License-Identifier: GPL-2.0
// MSRs: value checks, the guest's and the VMM's accesses, the MSR ioctls of
// vCPUs and /dev/kvm, the TSC and KVM_GET/SET_TSC_KHZ.
#include <arch/x86/kvm/mmu/mmu.hpp>
#include <arch/x86/kvm/msr/msr.hpp>
#include <arch/x86/kvm/run/run.hpp>
#include <arch/x86/kvm/state/state.hpp>
#include <virt/kvm/vcpu.hpp>

#include <cstdlib>
#include <set>
#include <vector>

#include "msr_fixture.h"

namespace {

TEST(MsrValues, Pat) {
  using kvmpp::x86::pat_valid;
  EXPECT_TRUE(pat_valid(0x0007040600070406ull));  // the power-on value
  EXPECT_TRUE(pat_valid(0x0505050507070101ull));
  EXPECT_FALSE(pat_valid(0x0007040600070402ull));  // type 2
  EXPECT_FALSE(pat_valid(0x0307040600070406ull));  // type 3
  EXPECT_FALSE(pat_valid(0x0007040600070408ull));  // not a type
  EXPECT_FALSE(pat_valid(0x1007040600070406ull));
}

TEST(MsrValues, Mtrr) {
  using kvmpp::x86::mtrr_valid;
  EXPECT_TRUE(mtrr_valid(msr::kMtrrDefType, 0xc06, 40));
  EXPECT_FALSE(mtrr_valid(msr::kMtrrDefType, 0xc07, 40));  // UC- is a PAT type only
  EXPECT_FALSE(mtrr_valid(msr::kMtrrDefType, 0x1006, 40));
  EXPECT_FALSE(mtrr_valid(msr::kMtrrDefType, 0x102, 40));
  EXPECT_TRUE(mtrr_valid(0x200, 0xff00000006ull, 40));    // PHYSBASE0
  EXPECT_FALSE(mtrr_valid(0x200, 0x10000000006ull, 40));  // above MAXPHYADDR
  EXPECT_FALSE(mtrr_valid(0x200, 0x106, 40));             // reserved bit 8
  EXPECT_FALSE(mtrr_valid(0x200, 0x3, 40));               // type 3
  EXPECT_TRUE(mtrr_valid(0x201, 0xfff0000800ull, 40));    // PHYSMASK0, valid
  EXPECT_FALSE(mtrr_valid(0x201, 0xfff0000801ull, 40));   // reserved bit 0
  EXPECT_FALSE(mtrr_valid(0x20f, 0x1fff0000800ull, 40));  // above MAXPHYADDR
  EXPECT_TRUE(mtrr_valid(0x20f, 0x1fff0000800ull, 48));
  EXPECT_TRUE(mtrr_valid(msr::kMtrrFix64k, 0x0606060606060606ull, 40));
  EXPECT_TRUE(mtrr_valid(msr::kMtrrFix4kF8000, 0x0001040500000000ull, 40));
  EXPECT_FALSE(mtrr_valid(msr::kMtrrFix16kA0000, 0x0606060606060607ull, 40));
  EXPECT_FALSE(mtrr_valid(msr::kMtrrFix4kC0000, 0x0200000000000000ull, 40));
}

TEST(MsrValues, Canonical) {
  using kvmpp::x86::canonical;
  EXPECT_TRUE(canonical(0x00007fffffffffffull, 48));
  EXPECT_TRUE(canonical(0xffff800000000000ull, 48));
  EXPECT_FALSE(canonical(0x0000800000000000ull, 48));
  EXPECT_TRUE(canonical(0x0000800000000000ull, 57));
  EXPECT_FALSE(canonical(0x0100000000000000ull, 57));
}

TEST_F(MsrTest, CapsAdvertised) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_GET_MSR_FEATURES), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL), 0);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_VM_TSC_CONTROL), 0);
}

TEST_F(MsrTest, IndexList) {
  MsrList l(0);
  EXPECT_EQ(dev(KVM_GET_MSR_INDEX_LIST, l.arg()), -E2BIG);
  unsigned n = l.head()->nmsrs;
  EXPECT_GT(n, 30u);
  MsrList full(n);
  EXPECT_EQ(dev(KVM_GET_MSR_INDEX_LIST, full.arg()), 0);
  EXPECT_EQ(full.head()->nmsrs, n);
  std::set<uint32_t> seen(full.head()->indices, full.head()->indices + n);
  EXPECT_EQ(seen.size(), n);
  for (uint32_t m : {msr::kTsc, msr::kPat, msr::kStar, msr::kLstar, msr::kTscAux, 0x20fu})
    EXPECT_TRUE(seen.count(m)) << std::hex << m;
  EXPECT_EQ(dev(KVM_GET_MSR_INDEX_LIST, 8), -EFAULT);
}

TEST_F(MsrTest, EveryListedMsrRoundTrips) {
  MsrList l(200);
  ASSERT_EQ(dev(KVM_GET_MSR_INDEX_LIST, l.arg()), 0);
  unsigned n = l.head()->nmsrs;
  Msrs m(n);
  for (unsigned i = 0; i < n; i++) m.head()->entries[i] = {l.head()->indices[i], 0, 0};
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_MSRS, m.arg()), long(n));
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_MSRS, m.arg()), long(n));
}

TEST_F(MsrTest, BatchesStopAtTheFirstFailure) {
  Msrs m(3);
  m.head()->entries[0] = {msr::kPat, 0, 0};
  m.head()->entries[1] = {0x3a, 0, 0};  // IA32_FEATURE_CONTROL: not on AMD
  m.head()->entries[2] = {msr::kStar, 0, 0};
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_MSRS, m.arg()), 1);
  EXPECT_EQ(m.head()->entries[0].data, 0x0007040600070406ull);
  m.head()->entries[0] = {msr::kStar, 0, 0x1234};
  m.head()->entries[1] = {msr::kPat, 0, 0x02};  // invalid type
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_MSRS, m.arg()), 1);
  EXPECT_EQ(host_read(msr::kStar), 0x1234u);
  Msrs none(0);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_MSRS, none.arg()), 0);
  Msrs big(256);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_MSRS, big.arg()), -E2BIG);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_MSRS, big.arg()), -E2BIG);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_MSRS, 8), -EFAULT);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_MSRS, 8), -EFAULT);
  fake::fail_alloc_after(1);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_MSRS, m.arg()), -ENOMEM);
}

TEST_F(MsrTest, FeatureMsrs) {
  MsrList l(0);
  EXPECT_EQ(dev(KVM_GET_MSR_FEATURE_INDEX_LIST, l.arg()), -E2BIG);
  EXPECT_EQ(l.head()->nmsrs, 1u);
  EXPECT_EQ(dev(KVM_GET_MSR_FEATURE_INDEX_LIST, l.arg()), 0);
  EXPECT_EQ(l.head()->indices[0], msr::kUcodeRev);
  Msrs m(2);
  m.head()->entries[0] = {msr::kUcodeRev, 0, 0};
  m.head()->entries[1] = {msr::kPat, 0, 0};  // not a feature MSR
  EXPECT_EQ(dev(KVM_GET_MSRS, m.arg()), 1);
  EXPECT_EQ(m.head()->entries[0].data, 0x0a0011d1u);
  EXPECT_EQ(dev(KVM_GET_MSRS, 8), -EFAULT);
}

TEST_F(MsrTest, ResetValuesAndReadOnly) {
  EXPECT_EQ(guest_value(msr::kPat), 0x0007040600070406ull);
  EXPECT_EQ(guest_value(msr::kMtrrCap), 0x508u);
  EXPECT_EQ(guest_value(msr::kMtrrDefType), 0u);
  EXPECT_EQ(guest_value(msr::kMiscEnable), 0x1800u);
  EXPECT_EQ(guest_value(msr::kUcodeRev), 1ull << 32);
  EXPECT_EQ(guest_value(msr::kPlatformId), 0u);
  EXPECT_EQ(guest_value(msr::kVmCr), 0x18u);  // SVM disabled and locked
  EXPECT_EQ(guest_value(msr::kApicBase), 0xfee00900u);
  EXPECT_FALSE(guest_write(msr::kMtrrCap, 0x508));
  EXPECT_EQ(host_write(msr::kMtrrCap, 0x508), 0);
  EXPECT_FALSE(guest_write(msr::kVmCr, 0));
  EXPECT_FALSE(guest_write(msr::kPlatformId, 0));
  // The microcode revision: the guest's write is the update protocol.
  EXPECT_TRUE(guest_write(msr::kUcodeRev, 0));
  EXPECT_EQ(guest_value(msr::kUcodeRev), 1ull << 32);
  EXPECT_EQ(host_write(msr::kUcodeRev, 0x1234ull << 32), 1);
  EXPECT_EQ(guest_value(msr::kUcodeRev), 0x1234ull << 32);
}

TEST_F(MsrTest, UnknownMsrsFault) {
  uint64_t v;
  for (uint32_t m : {0x3au, 0x48u, 0x49u, 0xc0010117u, 0x35u, 0x40000000u, 0xffffffffu}) {
    EXPECT_FALSE(guest_read(m, &v)) << std::hex << m;
    EXPECT_FALSE(guest_write(m, 0)) << std::hex << m;
    EXPECT_EQ(host_write(m, 0), 0) << std::hex << m;
  }
}

TEST_F(MsrTest, MtrrsAndPat) {
  EXPECT_TRUE(guest_write(msr::kMtrrDefType, 0xc06));
  EXPECT_EQ(guest_value(msr::kMtrrDefType), 0xc06u);
  EXPECT_FALSE(guest_write(msr::kMtrrDefType, 0xc02));
  EXPECT_TRUE(guest_write(0x20e, 0x80000000ull | 6));
  EXPECT_EQ(host_read(0x20e), 0x80000006u);
  // MAXPHYADDR is 36 without CPUID: bit 36 is reserved.
  EXPECT_FALSE(guest_write(0x20f, 0x1000000800ull));
  set_cpuid({leaf(0x80000000, 0x80000008, 0, 0, 0), leaf(0x80000008, 0x3028, 0, 0, 0)});
  EXPECT_TRUE(guest_write(0x20f, 0x1000000800ull));
  EXPECT_TRUE(guest_write(msr::kMtrrFix4kC0000 + 3, 0x0505050505050505ull));
  EXPECT_EQ(host_read(msr::kMtrrFix4kC0000 + 3), 0x0505050505050505ull);
  EXPECT_FALSE(guest_write(msr::kPat, 0x0007040600070403ull));
  EXPECT_TRUE(guest_write(msr::kPat, 0x0007010600070106ull));
  EXPECT_EQ(vcpu().arch().regs.pat, 0x0007010600070106ull);
}

TEST_F(MsrTest, Efer) {
  auto& s = vcpu().arch().regs;
  // Without CPUID LM/NX, long mode and NX cannot be enabled by the guest.
  EXPECT_TRUE(guest_write(msr::kEfer, 1));  // SCE
  EXPECT_FALSE(guest_write(msr::kEfer, 1u << 8));
  EXPECT_FALSE(guest_write(msr::kEfer, 1u << 11));
  EXPECT_EQ(host_write(msr::kEfer, (1u << 8) | (1u << 11)), 1);  // user space may
  set_cpuid({leaf(0x80000001, 0, 0, 0, (1u << 29) | (1u << 20))});
  EXPECT_TRUE(guest_write(msr::kEfer, (1u << 8) | (1u << 11) | 1));
  EXPECT_EQ(s.efer, 0x901u);
  EXPECT_FALSE(guest_write(msr::kEfer, 1u << 12));  // SVME: no nested SVM
  EXPECT_FALSE(guest_write(msr::kEfer, 1u << 1));   // reserved
  EXPECT_FALSE(guest_write(msr::kEfer, 1u << 14));  // FFXSR without CPUID
  // LMA is not written; LME cannot change while paging is on.
  s.cr0 |= 1u << 31 | 1;
  s.efer |= 1u << 10;
  EXPECT_TRUE(guest_write(msr::kEfer, (1u << 8) | 1));
  EXPECT_EQ(s.efer, 0x501u);
  EXPECT_FALSE(guest_write(msr::kEfer, 1));
}

TEST_F(MsrTest, ApicBase) {
  EXPECT_TRUE(guest_write(msr::kApicBase, 0xfed00800));
  EXPECT_EQ(vcpu().arch().apic_base, 0xfed00800u);
  EXPECT_FALSE(guest_write(msr::kApicBase, 0xfed00801));       // reserved
  EXPECT_FALSE(guest_write(msr::kApicBase, 0xfed00c00));       // x2APIC not offered
  EXPECT_FALSE(guest_write(msr::kApicBase, 0x1000000800ull));  // above MAXPHYADDR
  EXPECT_TRUE(guest_write(msr::kApicBase, 0xfee00000));        // disabled
  set_cpuid({leaf(1, 0, 0, 1u << 21, 0)});
  EXPECT_FALSE(guest_write(msr::kApicBase, 0xfee00c00));  // disabled -> x2APIC
  EXPECT_FALSE(guest_write(msr::kApicBase, 0xfee00400));  // EXTD without EN
  EXPECT_TRUE(guest_write(msr::kApicBase, 0xfee00800));
  EXPECT_TRUE(guest_write(msr::kApicBase, 0xfee00c00));
  EXPECT_FALSE(guest_write(msr::kApicBase, 0xfee00800));  // x2APIC -> xAPIC
  EXPECT_EQ(host_write(msr::kApicBase, 0xfee00800), 1);
}

TEST_F(MsrTest, SyscallAndSegmentBases) {
  auto& s = vcpu().arch().regs;
  EXPECT_TRUE(guest_write(msr::kStar, 0x0023001000000000ull));
  EXPECT_EQ(s.star, 0x0023001000000000ull);
  EXPECT_TRUE(guest_write(msr::kLstar, 0xffffffff81000000ull));
  EXPECT_EQ(s.lstar, 0xffffffff81000000ull);
  EXPECT_FALSE(guest_write(msr::kLstar, 0x0000800000000000ull));
  EXPECT_EQ(host_write(msr::kCstar, 0x0000800000000000ull), 0);
  EXPECT_TRUE(guest_write(msr::kSfmask, 0x47700));
  EXPECT_FALSE(guest_write(msr::kSfmask, 1ull << 32));
  EXPECT_TRUE(guest_write(msr::kFsBase, 0x7f0000001000ull));
  EXPECT_EQ(s.seg[X86_FS].base, 0x7f0000001000ull);
  EXPECT_TRUE(guest_write(msr::kGsBase, 0xffff888000000000ull));
  EXPECT_EQ(s.seg[X86_GS].base, 0xffff888000000000ull);
  EXPECT_TRUE(guest_write(msr::kKernelGsBase, 0x1000));
  EXPECT_EQ(guest_value(msr::kKernelGsBase), 0x1000u);
  EXPECT_TRUE(guest_write(msr::kSysenterCs, 0x10));
  EXPECT_TRUE(guest_write(msr::kSysenterEip, 0xffffffff81001000ull));
  EXPECT_FALSE(guest_write(msr::kSysenterEsp, 0x8000000000000000ull));
  EXPECT_EQ(s.sysenter_cs, 0x10u);
  EXPECT_EQ(s.sysenter_eip, 0xffffffff81001000ull);
  // With 5-level paging enabled, 57-bit addresses are canonical.
  s.cr4 |= 1u << 12;
  EXPECT_TRUE(guest_write(msr::kLstar, 0x0000800000000000ull));
}

TEST_F(MsrTest, TscAux) {
  uint64_t v;
  EXPECT_FALSE(guest_read(msr::kTscAux, &v));  // no RDTSCP/RDPID in CPUID
  EXPECT_FALSE(guest_write(msr::kTscAux, 1));
  EXPECT_EQ(host_write(msr::kTscAux, 5), 1);
  EXPECT_EQ(host_read(msr::kTscAux), 5u);
  set_cpuid({leaf(0x80000001, 0, 0, 0, 1u << 27)});
  EXPECT_TRUE(guest_write(msr::kTscAux, 0x100000007ull));  // AMD ignores bits 63:32
  EXPECT_EQ(guest_value(msr::kTscAux), 7u);
  set_cpuid({leaf(7, 0, 0, 1u << 22, 0)}, /*intel=*/true);
  EXPECT_FALSE(guest_write(msr::kTscAux, 0x100000007ull));
  EXPECT_TRUE(guest_write(msr::kTscAux, 9));
}

TEST_F(MsrTest, MiscEnableAndHwcr) {
  EXPECT_TRUE(guest_write(msr::kMiscEnable, 0x1801));
  EXPECT_FALSE(guest_write(msr::kMiscEnable, 0x1801 | (1u << 18)));  // MONITOR
  EXPECT_EQ(host_write(msr::kMiscEnable, 1u << 18), 1);
  // HWCR: McStatusWrEn and TscFreqSel stick, three bits are ignored, the
  // rest fault (upstream's hwcr_msr_test).
  for (unsigned b = 0; b < 64; b++) {
    uint64_t v = 1ull << b;
    bool valid = b == 18 || b == 24, ignored = b == 3 || b == 6 || b == 8;
    EXPECT_EQ(host_write(msr::kHwcr, v), valid || ignored ? 1 : 0) << b;
    EXPECT_EQ(host_read(msr::kHwcr), valid ? v : 0) << b;
    EXPECT_EQ(host_write(msr::kHwcr, 0), 1);
  }
  EXPECT_TRUE(guest_write(msr::kHwcr, 1u << 24));
  EXPECT_EQ(guest_value(msr::kSyscfg), 0u);
  EXPECT_TRUE(guest_write(msr::kNbCfg, 1ull << 46));
}

TEST_F(MsrTest, TscStartsAtZeroAndVcpusAgree) {
  EXPECT_EQ(guest_value(msr::kTsc), 0u);  // created at host TSC 1e6
  fake::set_tsc(3000000);
  EXPECT_EQ(guest_value(msr::kTsc), 2000000u);
  // A vCPU created half a second later has the same TSC.
  fake::set_tsc(3000000 + kMhz2000 * 500);
  long v1 = vm_ioctl(vm_, KVM_CREATE_VCPU, 1);
  EXPECT_EQ(host_read(msr::kTsc, v1), host_read(msr::kTsc));
  // The VMM restoring the TSC vCPU by vCPU, a little apart: one offset.
  EXPECT_EQ(host_write(msr::kTsc, 5000000000ull), 1);
  fake::set_tsc(3000000 + kMhz2000 * 600);
  EXPECT_EQ(host_write(msr::kTsc, 5000000100ull, v1), 1);
  EXPECT_EQ(host_read(msr::kTsc, v1), host_read(msr::kTsc));
  EXPECT_EQ(host_read(msr::kTsc), 5000000000ull + kMhz2000 * 100);
  // Far from it: a value of its own.
  EXPECT_EQ(host_write(msr::kTsc, 1ull << 40, v1), 1);
  EXPECT_EQ(host_read(msr::kTsc, v1), 1ull << 40);
}

TEST_F(MsrTest, TscAdjust) {
  uint64_t v;
  EXPECT_FALSE(guest_read(msr::kTscAdjust, &v));  // needs CPUID.7.0:EBX[1]
  set_cpuid({leaf(7, 0, 1u << 1, 0, 0)});
  EXPECT_EQ(guest_value(msr::kTscAdjust), 0u);
  // A guest TSC write moves TSC_ADJUST by as much.
  EXPECT_TRUE(guest_write(msr::kTsc, 1000));
  EXPECT_EQ(guest_value(msr::kTsc), 1000u);
  EXPECT_EQ(guest_value(msr::kTscAdjust), 1000u);
  // And a TSC_ADJUST write moves the TSC.
  EXPECT_TRUE(guest_write(msr::kTscAdjust, 1500));
  EXPECT_EQ(guest_value(msr::kTsc), 1500u);
  // The VMM's writes change only what they name.
  EXPECT_EQ(host_write(msr::kTsc, 9000), 1);
  EXPECT_EQ(guest_value(msr::kTscAdjust), 1500u);
  EXPECT_EQ(host_write(msr::kTscAdjust, 7), 1);
  EXPECT_EQ(guest_value(msr::kTsc), 9000u);
  EXPECT_EQ(guest_value(msr::kTscAdjust), 7u);
}

TEST_F(MsrTest, TscKhz) {
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_TSC_KHZ), long(kMhz2000));
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_TSC_KHZ), long(kMhz2000));
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_TSC_KHZ, 0), 0);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_TSC_KHZ, kMhz2000), 0);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_TSC_KHZ, kMhz2000 + 400), 0);  // within 250 ppm
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_TSC_KHZ, kMhz2000 + 600), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_TSC_KHZ, kMhz2000 / 2), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_SET_TSC_KHZ, kMhz2000 * 2), -EINVAL);
  // The VM's default can only be set before vCPUs exist.
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_TSC_KHZ, kMhz2000), -EINVAL);
  long vm2 = create_vm();
  EXPECT_EQ(vm_ioctl(vm2, KVM_SET_TSC_KHZ, kMhz2000), 0);
  EXPECT_EQ(vm_ioctl(vm2, KVM_SET_TSC_KHZ, 1000), -EINVAL);
  fake::set_tsc_khz(0);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_TSC_KHZ), 0);  // unknown: 0, as upstream
}

// RDMSR/WRMSR exits on guest code in a memory slot (real mode, CS = 0).
class MsrExitTest : public MsrTest {
 protected:
  static constexpr uint64_t kMem = 0x10000, kCode = 0x1000;
  void SetUp() override {
    MsrTest::SetUp();
    mem_ = add_guest_ram(vm_, kMem);
    s().seg[X86_CS].base = 0;
    s().rip = kCode;
  }
  x86_state& s() { return vcpu().arch().regs; }
  // RDMSR (or WRMSR) of ECX: the exception it raised, or -1.
  int exec(bool write, uint32_t index, uint64_t value = 0) {
    uint8_t code[] = {0x0f, uint8_t(write ? 0x30 : 0x32)};
    memcpy(mem_ + s().rip, code, sizeof(code));
    s().gpr[X86_RCX] = index;
    s().gpr[X86_RAX] = 0xffffffff00000000ull | uint32_t(value);
    s().gpr[X86_RDX] = 0xffffffff00000000ull | (value >> 32);
    x86_exit e{};
    e.kind = write ? X86_EXIT_WRMSR : X86_EXIT_RDMSR;
    auto next = kvmpp::x86::handle_other_exit(vcpu(), e);
    EXPECT_TRUE(next.ok() && next.value() == kvmpp::x86::Next::kEnter);
    x86_event ev = s().event;
    s().event = {};
    return ev.valid ? ev.vector : -1;
  }
  uint8_t* mem_ = nullptr;
};

TEST_F(MsrExitTest, RdmsrWrmsr) {
  EXPECT_EQ(exec(false, msr::kPat), -1);
  EXPECT_EQ(s().gpr[X86_RAX], 0x00070406u);  // upper halves cleared
  EXPECT_EQ(s().gpr[X86_RDX], 0x00070406u);
  EXPECT_EQ(s().rip, kCode + 2);
  EXPECT_EQ(exec(true, msr::kPat, 0x0006040600070406ull), -1);
  EXPECT_EQ(s().pat, 0x0006040600070406ull);
  EXPECT_EQ(s().rip, kCode + 4);
  // Faults leave RIP on the instruction.
  EXPECT_EQ(exec(true, msr::kPat, 0x0002040600070406ull), 13);
  EXPECT_EQ(exec(false, 0x3a), 13);
  EXPECT_EQ(exec(true, 0xc0010117, 0), 13);
  EXPECT_EQ(s().rip, kCode + 4);
  EXPECT_EQ(s().pat, 0x0006040600070406ull);
  // CPL 3 may not touch MSRs at all.
  s().cr0 |= kvmpp::x86::kCr0Pe;
  s().seg[X86_SS].dpl = 3;
  EXPECT_EQ(exec(false, msr::kPat), 13);
}

}  // namespace
