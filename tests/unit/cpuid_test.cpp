// SPDX-License-Identifier: GPL-2.0
// CPUID: the table logic, KVM_GET_SUPPORTED_CPUID filtering of a fake host,
// and KVM_SET_CPUID/KVM_SET_CPUID2/KVM_GET_CPUID2 on vCPUs.
#include <arch/x86/kvm/cpuid/cpuid.hpp>
#include <arch/x86/kvm/mmu/mmu.hpp>
#include <arch/x86/kvm/run/run.hpp>
#include <arch/x86/kvm/state/state.hpp>
#include <virt/kvm/vcpu.hpp>

#include <cstdlib>
#include <vector>

#include "core_fixture.h"

namespace {

using kvmpp::x86::CpuidDynamic;
using kvmpp::x86::CpuidRegs;
using kvmpp::x86::CpuidView;

constexpr uint32_t kSig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

// A kvm_cpuid2 with room for @n entries.
class Cpuid2 {
 public:
  explicit Cpuid2(unsigned n) : mem_((sizeof(kvm_cpuid2) + n * sizeof(kvm_cpuid_entry2)) / 8) {
    head()->nent = n;
  }
  kvm_cpuid2* head() { return reinterpret_cast<kvm_cpuid2*>(mem_.data()); }
  kvm_cpuid_entry2& operator[](unsigned i) { return head()->entries[i]; }
  unsigned long arg() { return reinterpret_cast<unsigned long>(mem_.data()); }
  const kvm_cpuid_entry2* find(uint32_t fn, uint32_t index = 0) {
    return CpuidView{head()->entries, head()->nent}.find(fn, index);
  }

 private:
  std::vector<uint64_t> mem_;
};

kvm_cpuid_entry2 entry(uint32_t fn, uint32_t index, uint32_t flags, uint32_t a, uint32_t b = 0,
                       uint32_t c = 0, uint32_t d = 0) {
  kvm_cpuid_entry2 e{};
  e.function = fn;
  e.index = index;
  e.flags = flags;
  e.eax = a;
  e.ebx = b;
  e.ecx = c;
  e.edx = d;
  return e;
}

bool bit(uint32_t reg, unsigned b) { return (reg >> b) & 1; }

class CpuidTest : public CoreTest {
 protected:
  // KVM_GET_SUPPORTED_CPUID into a 256-entry buffer.
  Cpuid2 supported() {
    Cpuid2 c(256);
    EXPECT_EQ(dev(KVM_GET_SUPPORTED_CPUID, c.arg()), 0);
    return c;
  }
  long vcpu() {
    long vm = create_vm();
    return vm_ioctl(vm, KVM_CREATE_VCPU, 0);
  }
  kvmpp::Vcpu& obj(long fd) { return *static_cast<kvmpp::Vcpu*>(object(fd)); }
};

TEST_F(CpuidTest, CapabilityAdvertised) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_EXT_CPUID), 1);
}

TEST_F(CpuidTest, SupportedSizesAndErrors) {
  Cpuid2 c(256);
  ASSERT_EQ(dev(KVM_GET_SUPPORTED_CPUID, c.arg()), 0);
  long n = c.head()->nent;
  EXPECT_GT(n, 40);
  EXPECT_LT(n, 100);  // the upstream selftests' buffer
  c.head()->nent = 0;
  EXPECT_EQ(dev(KVM_GET_SUPPORTED_CPUID, c.arg()), -E2BIG);
  c.head()->nent = n - 1;
  EXPECT_EQ(dev(KVM_GET_SUPPORTED_CPUID, c.arg()), -E2BIG);
  EXPECT_EQ(c.head()->nent, unsigned(n - 1));
  c.head()->nent = n;
  EXPECT_EQ(dev(KVM_GET_SUPPORTED_CPUID, c.arg()), 0);
  EXPECT_EQ(c.head()->nent, unsigned(n));
  // More than enough (even more than the maximum) is fine.
  Cpuid2 big(300);
  EXPECT_EQ(dev(KVM_GET_SUPPORTED_CPUID, big.arg()), 0);
  EXPECT_EQ(big.head()->nent, unsigned(n));
  EXPECT_EQ(dev(KVM_GET_SUPPORTED_CPUID, 8), -EFAULT);
  fake::fail_alloc_after(1);
  EXPECT_EQ(dev(KVM_GET_SUPPORTED_CPUID, c.arg()), -ENOMEM);
}

TEST_F(CpuidTest, SupportedBasicLeaves) {
  Cpuid2 c = supported();
  const kvm_cpuid_entry2* l0 = c.find(0);
  ASSERT_NE(l0, nullptr);
  EXPECT_EQ(l0->eax, 0x10u);
  EXPECT_EQ(l0->ebx, 0x68747541u);  // "Auth"
  const kvm_cpuid_entry2* l1 = c.find(1);
  ASSERT_NE(l1, nullptr);
  EXPECT_EQ(l1->eax, 0x00a00f11u);
  EXPECT_TRUE(bit(l1->ecx, 31));   // hypervisor
  EXPECT_FALSE(bit(l1->ecx, 3));   // MONITOR
  EXPECT_TRUE(bit(l1->ecx, 21));   // x2APIC: the in-kernel local APIC emulates it
  EXPECT_FALSE(bit(l1->ecx, 24));  // TSC deadline: the VMM adds it (KVM_CAP_TSC_DEADLINE_TIMER)
  EXPECT_FALSE(bit(l1->ecx, 27));  // OSXSAVE (follows CR4)
  EXPECT_TRUE(bit(l1->ecx, 26));   // XSAVE
  EXPECT_TRUE(bit(l1->ecx, 28));   // AVX
  EXPECT_TRUE(bit(l1->edx, 9));    // APIC (the VMM's)
  EXPECT_TRUE(bit(l1->edx, 7));    // MCE (msr/mce.cpp)
  EXPECT_TRUE(bit(l1->edx, 14));   // MCA
  EXPECT_FALSE(bit(l1->edx, 28));  // HTT
  EXPECT_EQ(l1->ebx >> 16, 0u);    // APIC ID and CPU count are the VMM's
  EXPECT_EQ(l1->flags, 0u);
  for (uint32_t leaf : {5u, 6u, 0xau}) {
    const kvm_cpuid_entry2* e = c.find(leaf);
    ASSERT_NE(e, nullptr) << leaf;
    EXPECT_EQ(e->eax | e->ebx | e->ecx | e->edx, 0u) << leaf;
  }
  const kvm_cpuid_entry2* l7 = c.find(7, 0);
  ASSERT_NE(l7, nullptr);
  EXPECT_EQ(l7->flags, kSig);
  EXPECT_EQ(l7->eax, 1u);
  EXPECT_TRUE(bit(l7->ebx, 1));    // TSC_ADJUST (emulated)
  EXPECT_TRUE(bit(l7->ebx, 5));    // AVX2
  EXPECT_FALSE(bit(l7->ebx, 16));  // AVX512F: no AVX-512 state in XCR0
  EXPECT_FALSE(bit(l7->ecx, 3));   // PKU: the host does not use PKRU
  EXPECT_FALSE(bit(l7->ecx, 4));   // OSPKE
  EXPECT_FALSE(bit(l7->ecx, 22));  // RDPID
  EXPECT_FALSE(bit(l7->edx, 26));  // SPEC_CTRL
  EXPECT_TRUE(bit(l7->edx, 4));    // FSRM
  const kvm_cpuid_entry2* l71 = c.find(7, 1);
  ASSERT_NE(l71, nullptr);
  EXPECT_TRUE(bit(l71->eax, 4));  // AVX-VNNI
}

TEST_F(CpuidTest, SupportedIndexedLeaves) {
  Cpuid2 c = supported();
  unsigned topo = 0, caches = 0;
  for (unsigned i = 0; i < c.head()->nent; i++) {
    const kvm_cpuid_entry2& e = c[i];
    if (e.function == 0xb) topo++;
    if (e.function == 0x8000001d) caches++;
    bool indexed = e.function == 4 || e.function == 7 || e.function == 0xb || e.function == 0xd ||
                   e.function == 0xf || e.function == 0x10 || e.function == 0x8000001d ||
                   e.function == 0x80000020;
    EXPECT_EQ(e.flags, indexed ? kSig : 0u) << std::hex << e.function;
  }
  EXPECT_EQ(topo, 3u);    // two levels and the terminator
  EXPECT_EQ(caches, 5u);  // four caches and the terminator
}

TEST_F(CpuidTest, SupportedXsave) {
  Cpuid2 c = supported();
  const kvm_cpuid_entry2* d0 = c.find(0xd, 0);
  const kvm_cpuid_entry2* d1 = c.find(0xd, 1);
  ASSERT_NE(d0, nullptr);
  ASSERT_NE(d1, nullptr);
  EXPECT_EQ(d0->eax, 7u);  // x87, SSE, AVX; not PKRU
  EXPECT_EQ(d0->edx, 0u);
  EXPECT_EQ(d0->ebx, 0x340u);
  EXPECT_EQ(d0->ecx, 0x340u);
  EXPECT_EQ(d1->eax, 7u);  // no XSAVES
  EXPECT_EQ(d1->ebx, 0x340u);
  EXPECT_NE(c.find(0xd, 2), nullptr);
  EXPECT_EQ(c.find(0xd, 9), nullptr);
}

TEST_F(CpuidTest, SupportedFollowsHostXcr0) {
  fake::set_host_xcr0(0xe7);
  fake::set_host_cpuid(0xd, 5, 0x40, 0x340, 0, 0);
  fake::set_host_cpuid(0xd, 6, 0x200, 0x380, 0, 0);
  fake::set_host_cpuid(0xd, 7, 0x400, 0x580, 0, 0);
  Cpuid2 c = supported();
  EXPECT_EQ(c.find(0xd, 0)->eax, 0xe7u);
  EXPECT_EQ(c.find(0xd, 0)->ebx, 0x980u);
  EXPECT_TRUE(bit(c.find(7, 0)->ebx, 16));  // AVX512F

  fake::set_host_xcr0(3);  // no AVX state
  Cpuid2 sse = supported();
  EXPECT_FALSE(bit(sse.find(1)->ecx, 28));    // AVX
  EXPECT_FALSE(bit(sse.find(1)->ecx, 12));    // FMA
  EXPECT_FALSE(bit(sse.find(7, 0)->ebx, 5));  // AVX2
  EXPECT_FALSE(bit(sse.find(7, 1)->eax, 4));  // AVX-VNNI
  EXPECT_TRUE(bit(sse.find(1)->ecx, 26));     // XSAVE itself stays

  fake::set_host_xcr0(0);  // no XSAVE
  Cpuid2 none = supported();
  EXPECT_FALSE(bit(none.find(1)->ecx, 26));
  const kvm_cpuid_entry2* d0 = none.find(0xd, 0);
  ASSERT_NE(d0, nullptr);
  EXPECT_EQ(d0->eax | d0->ebx | d0->ecx | d0->edx, 0u);
}

TEST_F(CpuidTest, SupportedParavirtAndExtendedLeaves) {
  Cpuid2 c = supported();
  const kvm_cpuid_entry2* kvm = c.find(0x40000000);
  ASSERT_NE(kvm, nullptr);
  EXPECT_EQ(kvm->eax, 0x40000001u);
  char sig[13] = {};
  memcpy(sig, &kvm->ebx, 4);
  memcpy(sig + 4, &kvm->ecx, 4);
  memcpy(sig + 8, &kvm->edx, 4);
  EXPECT_STREQ(sig, "KVMKVMKVM");
  const kvm_cpuid_entry2* features = c.find(0x40000001);
  ASSERT_NE(features, nullptr);
  // kvmclock (both MSR pairs and the stable bit), NOP_IO_DELAY and
  // PV_SCHED_YIELD: what pv/msr.cpp implements, nothing else.
  EXPECT_EQ(features->eax, (1u << 0) | (1u << 1) | (1u << 3) | (1u << 13) | (1u << 24));
  EXPECT_EQ(features->ebx | features->ecx | features->edx, 0u);

  EXPECT_EQ(c.find(0x80000000)->eax, 0x80000021u);
  const kvm_cpuid_entry2* e1 = c.find(0x80000001);
  EXPECT_FALSE(bit(e1->ecx, 2));   // SVM
  EXPECT_FALSE(bit(e1->ecx, 29));  // MWAITX
  EXPECT_FALSE(bit(e1->ecx, 23));  // PERFCTR_CORE
  EXPECT_TRUE(bit(e1->ecx, 0));    // LAHF
  EXPECT_TRUE(bit(e1->edx, 27));   // RDTSCP (intercepted, emulated)
  EXPECT_TRUE(bit(e1->edx, 29));   // LM
  EXPECT_TRUE(bit(e1->edx, 20));   // NX
  EXPECT_TRUE(bit(e1->edx, 26));   // 1 GiB pages
  EXPECT_EQ(c.find(0x80000007)->edx, 1u << 8);
  const kvm_cpuid_entry2* e8 = c.find(0x80000008);
  EXPECT_EQ(e8->eax, 0x3030u);     // 48 physical, 48 linear address bits
  EXPECT_FALSE(bit(e8->ebx, 12));  // IBPB
  EXPECT_TRUE(bit(e8->ebx, 0));    // CLZERO
  for (uint32_t leaf : {0x8000000au, 0x8000001eu, 0x8000001fu}) {
    const kvm_cpuid_entry2* e = c.find(leaf);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->eax | e->ebx | e->ecx | e->edx, 0u) << std::hex << leaf;
  }
}

TEST_F(CpuidTest, SupportedCapsLeafRanges) {
  fake::set_host_cpuid(0, 0, 0x23, 0x756e6547, 0x6c65746e, 0x49656e69);  // GenuineIntel
  fake::set_host_cpuid(0x80000000, 0, 0x80000030, 0, 0, 0);
  Cpuid2 c = supported();
  EXPECT_EQ(c.find(0)->eax, 0x1fu);
  EXPECT_EQ(c.find(0x80000000)->eax, 0x80000021u);
  for (unsigned i = 0; i < c.head()->nent; i++) {
    EXPECT_FALSE(c[i].function > 0x1f && c[i].function < 0x40000000);
    EXPECT_LE(c[i].function, 0x80000021u);
  }
}

TEST(CpuidTable, FindHonoursSignificantIndex) {
  kvm_cpuid_entry2 t[] = {entry(1, 5, 0, 0x11), entry(7, 0, kSig, 0x70), entry(7, 1, kSig, 0x71)};
  CpuidView v{t, 3};
  EXPECT_EQ(v.find(1, 0)->eax, 0x11u);  // index ignored
  EXPECT_EQ(v.find(1, 9)->eax, 0x11u);
  EXPECT_EQ(v.find(7, 1)->eax, 0x71u);
  EXPECT_EQ(v.find(7, 2), nullptr);
  EXPECT_EQ(v.find(2, 0), nullptr);
}

TEST(CpuidTable, OutOfRangeLeavesOnIntel) {
  kvm_cpuid_entry2 t[] = {
      entry(0, 0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69),  // GenuineIntel
      entry(0xd, 0, kSig, 0xd0, 1, 2, 3),
      entry(0xd, 1, kSig, 0xd1),
      entry(0x80000000, 0, 0, 0x80000008),
      entry(0x40000000, 0, 0, 0x40000001),
  };
  CpuidView v{t, 5};
  CpuidDynamic d;
  d.xcr0 = 1;
  // Above the basic maximum: the highest basic leaf, same subleaf.
  CpuidRegs r = kvmpp::x86::cpuid_answer(v, 0x20, 1, d);
  EXPECT_EQ(r.eax, 0xd1u);
  r = kvmpp::x86::cpuid_answer(v, 0x80000009, 0, d);
  EXPECT_EQ(r.eax, 0xd0u);
  EXPECT_EQ(r.ebx, 576u);  // 0xD.0 EBX follows XCR0
  r = kvmpp::x86::cpuid_answer(v, 0x40000002, 0, d);
  EXPECT_EQ(r.eax, 0xd0u);
  // In range but absent: zeros.
  r = kvmpp::x86::cpuid_answer(v, 0x80000005, 0, d);
  EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
  r = kvmpp::x86::cpuid_answer(v, 5, 0, d);
  EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
}

TEST(CpuidTable, OutOfRangeLeavesOnAmdAreZero) {
  kvm_cpuid_entry2 t[] = {entry(0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),
                          entry(0xd, 0, kSig, 0xd0)};
  CpuidRegs r = kvmpp::x86::cpuid_answer({t, 2}, 0x20, 0, {});
  EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
  r = kvmpp::x86::cpuid_answer({t, 0}, 0, 0, {});  // no table at all
  EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
}

TEST(CpuidTable, TopologySubleavesPastTheEnd) {
  kvm_cpuid_entry2 t[] = {entry(0, 0, 0, 0xb), entry(0xb, 0, kSig, 1, 2, 0x100, 7),
                          entry(0xb, 1, kSig, 4, 4, 0x201, 7)};
  CpuidRegs r = kvmpp::x86::cpuid_answer({t, 3}, 0xb, 5, {});
  EXPECT_EQ(r.eax, 0u);
  EXPECT_EQ(r.ecx, 5u);
  EXPECT_EQ(r.edx, 7u);
  r = kvmpp::x86::cpuid_answer({t, 1}, 0xb, 5, {});  // no leaf 0xB: zeros
  EXPECT_EQ(r.ecx | r.edx, 0u);
}

TEST(CpuidTable, DynamicBits) {
  kvm_cpuid_entry2 t[] = {entry(1, 0, 0, 0, 0, (1u << 26) | (1u << 27), 1u << 9),
                          entry(7, 0, kSig, 0, 0, 1u << 4), entry(0xd, 1, kSig, 0x2),
                          entry(0xd, 2, kSig, 0x100, 0x240, 0),
                          entry(0xd, 5, kSig, 0x40, 0x340, 2)};
  CpuidView v{t, 5};
  CpuidDynamic d{.cr4 = 0, .xcr0 = 1, .apic_base = 0};
  CpuidRegs r = kvmpp::x86::cpuid_answer(v, 1, 0, d);
  EXPECT_FALSE(bit(r.ecx, 27));  // OSXSAVE off with CR4.OSXSAVE clear
  EXPECT_FALSE(bit(r.edx, 9));   // APIC off with the APIC disabled
  EXPECT_FALSE(bit(kvmpp::x86::cpuid_answer(v, 7, 0, d).ecx, 4));
  d = {.cr4 = (1u << 18) | (1u << 22), .xcr0 = 0x27, .apic_base = 0xfee00800};
  r = kvmpp::x86::cpuid_answer(v, 1, 0, d);
  EXPECT_TRUE(bit(r.ecx, 27));
  EXPECT_TRUE(bit(r.edx, 9));
  EXPECT_TRUE(bit(kvmpp::x86::cpuid_answer(v, 7, 0, d).ecx, 4));
  // Compacted: 576 + 0x100 (AVX), aligned to 64, + 0x40 (opmask).
  EXPECT_EQ(kvmpp::x86::cpuid_answer(v, 0xd, 1, d).ebx, 576u + 0x100 + 0x40);
  EXPECT_EQ(kvmpp::x86::cpuid_xsave_size(v, 0x27, false), 0x380u);
}

TEST(CpuidTable, Xcr0Rules) {
  using kvmpp::x86::xcr0_valid;
  constexpr uint64_t kAll = 0x2ff;
  EXPECT_TRUE(xcr0_valid(1, kAll));
  EXPECT_TRUE(xcr0_valid(3, kAll));
  EXPECT_TRUE(xcr0_valid(7, kAll));
  EXPECT_TRUE(xcr0_valid(0xe7, kAll));
  EXPECT_FALSE(xcr0_valid(0, kAll));     // x87 must stay set
  EXPECT_FALSE(xcr0_valid(2, kAll));     // x87 must stay set
  EXPECT_FALSE(xcr0_valid(5, kAll));     // AVX without SSE
  EXPECT_FALSE(xcr0_valid(0x67, kAll));  // part of AVX-512
  EXPECT_FALSE(xcr0_valid(0xe3, kAll));  // AVX-512 without AVX
  EXPECT_FALSE(xcr0_valid(0x0b, kAll));  // BNDREGS without BNDCSR
  EXPECT_TRUE(xcr0_valid(0x1b, kAll));
  EXPECT_FALSE(xcr0_valid(7, 3));                   // not allowed
  EXPECT_FALSE(xcr0_valid(1ull << 17 | 3, ~0ull));  // AMX halves
}

TEST(CpuidTable, ValidateAndMaxphyaddr) {
  kvm_cpuid_entry2 t[] = {entry(0x80000000, 0, 0, 0x80000008), entry(0x80000008, 0, 0, 0x302b)};
  EXPECT_TRUE(kvmpp::x86::cpuid_validate({t, 2}).ok());
  EXPECT_EQ(kvmpp::x86::cpuid_maxphyaddr({t, 2}), 43u);
  EXPECT_EQ(kvmpp::x86::cpuid_maxphyaddr({t + 1, 1}), 36u);  // no 0x80000000
  t[0].eax = 0x80000007;
  EXPECT_EQ(kvmpp::x86::cpuid_maxphyaddr({t, 2}), 36u);  // 0x80000008 out of range
  t[1].eax = 0x3930;                                     // 57-bit linear addresses
  EXPECT_TRUE(kvmpp::x86::cpuid_validate({t, 2}).ok());
  t[1].eax = 0x2830;  // 40-bit linear addresses: no such paging mode
  EXPECT_EQ(kvmpp::x86::cpuid_validate({t, 2}).error().code, kxx::Errno::kInval);
}

TEST_F(CpuidTest, SetGetCpuid2) {
  long v = vcpu();
  Cpuid2 empty(4);
  EXPECT_EQ(vcpu_ioctl(v, KVM_GET_CPUID2, empty.arg()), 0);
  EXPECT_EQ(empty.head()->nent, 0u);

  Cpuid2 in(3);
  in[0] = entry(0, 0, 0, 7, 0x68747541, 0x444d4163, 0x69746e65);
  in[1] = entry(1, 0, 0, 0x00a00f11, 0, (1u << 26) | (1u << 27), 1u << 9);
  in[2] = entry(7, 0, kSig, 0, 0x20);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), 0);

  Cpuid2 out(2);
  EXPECT_EQ(vcpu_ioctl(v, KVM_GET_CPUID2, out.arg()), -E2BIG);
  EXPECT_EQ(out.head()->nent, 2u);  // left as it was
  Cpuid2 out3(5);
  EXPECT_EQ(vcpu_ioctl(v, KVM_GET_CPUID2, out3.arg()), 0);
  EXPECT_EQ(out3.head()->nent, 3u);
  EXPECT_EQ(out3[2].ebx, 0x20u);
  EXPECT_EQ(out3[2].flags, kSig);
  // OSXSAVE follows CR4 (clear at reset); APIC follows the enabled APIC.
  EXPECT_EQ(out3[1].ecx, 1u << 26);
  EXPECT_EQ(out3[1].edx, 1u << 9);

  EXPECT_EQ(vcpu_ioctl(v, KVM_GET_CPUID2, 8), -EFAULT);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, 8), -EFAULT);
  Cpuid2 big(257);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, big.arg()), -E2BIG);
  fake::fail_alloc_after(1);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), -ENOMEM);
  // An empty table clears it.
  Cpuid2 none(0);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, none.arg()), 0);
  EXPECT_EQ(vcpu_ioctl(v, KVM_GET_CPUID2, out3.arg()), 0);
  EXPECT_EQ(out3.head()->nent, 0u);
}

TEST_F(CpuidTest, SetCpuid2RejectsBadLinearWidth) {
  long v = vcpu();
  Cpuid2 in(1);
  in[0] = entry(0x80000008, 0, 0, 0x2830);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), -EINVAL);
}

TEST_F(CpuidTest, LegacySetCpuid) {
  long v = vcpu();
  std::vector<uint64_t> mem((sizeof(kvm_cpuid) + 2 * sizeof(kvm_cpuid_entry) + 7) / 8);
  auto* c = reinterpret_cast<kvm_cpuid*>(mem.data());
  c->nent = 2;
  c->entries[0] = {0, 1, 0x68747541, 0x444d4163, 0x69746e65, 0};
  c->entries[1] = {1, 0x123, 0, 0, 0, 0};
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID, ptr(c)), 0);
  Cpuid2 out(4);
  EXPECT_EQ(vcpu_ioctl(v, KVM_GET_CPUID2, out.arg()), 0);
  ASSERT_EQ(out.head()->nent, 2u);
  EXPECT_EQ(out[1].function, 1u);
  EXPECT_EQ(out[1].eax, 0x123u);
  EXPECT_EQ(out[1].index, 0u);
  EXPECT_EQ(out[1].flags, 0u);
  c->nent = 257;
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID, ptr(c)), -E2BIG);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID, 8), -EFAULT);
}

TEST_F(CpuidTest, NoChangeAfterRun) {
  long v = vcpu();
  Cpuid2 in(2);
  in[0] = entry(0, 0, 0, 7);
  in[1] = entry(7, 0, kSig, 0, 0x20);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), 0);
  // The fake backend fails the entry, but the vCPU has tried to run.
  EXPECT_EQ(vcpu_ioctl(v, KVM_RUN, 0), -EIO);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), 0);  // the same table
  in[1].ebx = 0x21;
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), -EBUSY);
  in[1].ebx = 0x20;
  in.head()->nent = 1;
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), -EBUSY);
  Cpuid2 out(4);
  EXPECT_EQ(vcpu_ioctl(v, KVM_GET_CPUID2, out.arg()), 0);
  EXPECT_EQ(out.head()->nent, 2u);
  EXPECT_EQ(out[1].ebx, 0x20u);
}

TEST_F(CpuidTest, GuestAnswersFromTable) {
  long v = vcpu();
  Cpuid2 in(2);
  in[0] = entry(0, 0, 0, 1, 0x68747541, 0x444d4163, 0x69746e65);
  in[1] = entry(0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
  EXPECT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), 0);
  CpuidRegs r = kvmpp::x86::emulate_cpuid(obj(v), 0x40000000, 0);
  EXPECT_EQ(r.ebx, 0x4b4d564bu);
  r = kvmpp::x86::emulate_cpuid(obj(v), 0x1234, 0);
  EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
}

// The exit handlers, on guest code in a memory slot (real mode, CS = 0).
class ExitTest : public CpuidTest {
 protected:
  static constexpr uint64_t kMem = 0x10000, kCode = 0x1000;
  void SetUp() override {
    CpuidTest::SetUp();
    mem_ = static_cast<uint8_t*>(aligned_alloc(4096, kMem));
    memset(mem_, 0, kMem);
    long vm = create_vm();
    vm_fd_ = vm;
    kvm_userspace_memory_region r{0, 0, 0, kMem, ptr(mem_)};
    ASSERT_EQ(vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, ptr(&r)), 0);
    fd_ = vm_ioctl(vm, KVM_CREATE_VCPU, 0);
    s().seg[X86_CS].base = 0;
    s().rip = kCode;
  }
  void TearDown() override {
    CpuidTest::TearDown();
    free(mem_);
  }
  x86_state& s() { return obj(fd_).arch().regs; }
  // Handle an exit of @kind with @code at RIP: whether it resumes the guest.
  bool handle(x86_exit_kind kind, std::vector<uint8_t> code) {
    memcpy(mem_ + s().rip, code.data(), code.size());
    x86_exit e{};
    e.kind = kind;
    auto next = kvmpp::x86::handle_other_exit(obj(fd_), e);
    return next.ok() && next.value() == kvmpp::x86::Next::kEnter;
  }
  // The exception queued for the guest (-1: none), taking it.
  int taken_exception() {
    x86_event ev = s().event;
    s().event = {};
    return ev.valid ? ev.vector : -1;
  }
  void set_supported_table() {
    Cpuid2 c = supported();
    ASSERT_EQ(vcpu_ioctl(fd_, KVM_SET_CPUID2, c.arg()), 0);
  }
  uint8_t* mem_ = nullptr;
  long fd_ = -1;
  long vm_fd_ = -1;
};

TEST_F(ExitTest, Cpuid) {
  set_supported_table();
  const std::vector<uint8_t> cpuid = {0x0f, 0xa2};
  s().gpr[X86_RAX] = 0xffffffff40000000ull;
  s().gpr[X86_RCX] = 0xffffffff00000000ull;
  ASSERT_TRUE(handle(X86_EXIT_CPUID, cpuid));
  EXPECT_EQ(s().gpr[X86_RAX], 0x40000001u);  // upper halves cleared
  EXPECT_EQ(s().gpr[X86_RBX], 0x4b4d564bu);
  EXPECT_EQ(s().gpr[X86_RCX], 0x564b4d56u);
  EXPECT_EQ(s().gpr[X86_RDX], 0x4du);
  EXPECT_EQ(s().rip, kCode + 2);
  EXPECT_EQ(taken_exception(), -1);
  // CPUID.1: OSXSAVE follows CR4.
  s().gpr[X86_RAX] = 1;
  s().cr4 |= kvmpp::x86::kCr4Osxsave;
  ASSERT_TRUE(handle(X86_EXIT_CPUID, {0x66, 0x0f, 0xa2}));  // a prefix counts in the length
  EXPECT_TRUE(bit(uint32_t(s().gpr[X86_RCX]), 27));
  EXPECT_EQ(s().rip, kCode + 5);
  // Not the instruction the exit says: an emulation failure for user space.
  EXPECT_FALSE(handle(X86_EXIT_CPUID, {0x90, 0x90}));
  EXPECT_EQ(obj(fd_).run()->exit_reason, unsigned(KVM_EXIT_INTERNAL_ERROR));
}

// The fetch reads one word when the instruction fits in it, and all 15
// bytes when it does not (many prefixes) or when the word would cross into
// the next page.
TEST_F(ExitTest, CpuidLengthWhereverItIs) {
  set_supported_table();
  const std::vector<uint8_t> prefixed = {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0xa2};
  ASSERT_TRUE(handle(X86_EXIT_CPUID, prefixed));
  EXPECT_EQ(s().rip, kCode + prefixed.size());
  s().rip = 0x1ffc;  // the word would reach past the page
  ASSERT_TRUE(handle(X86_EXIT_CPUID, {0x66, 0x66, 0x0f, 0xa2}));
  EXPECT_EQ(s().rip, 0x2000u);
  s().rip = 0x1fff;  // the instruction itself crosses into the next page
  ASSERT_TRUE(handle(X86_EXIT_CPUID, {0x0f, 0xa2}));
  EXPECT_EQ(s().rip, 0x2001u);
  s().rip = kMem - 8;  // the last word of memory
  ASSERT_TRUE(handle(X86_EXIT_CPUID, {0x0f, 0xa2}));
  EXPECT_EQ(s().rip, kMem - 6);
  EXPECT_EQ(taken_exception(), -1);
}

// Guest-physical reads of every size, inside a page, across a page and at
// the end of memory, all as the bytes are (reads of 4 to 16 bytes take
// overlapping word reads).
TEST_F(ExitTest, GuestReadsOfEverySize) {
  for (uint64_t i = 0; i < kMem; i++) mem_[i] = uint8_t(i * 7 + (i >> 8));
  kvmpp::Vm& vm = obj(fd_).vm();
  for (unsigned len = 1; len <= 16; len++) {
    for (uint64_t gpa : {uint64_t(0x123), uint64_t(0x2000 - len / 2), kMem - len}) {
      uint8_t buf[16] = {};
      ASSERT_TRUE(kvmpp::x86::read_gpa(vm, gpa, buf, len).ok()) << len << " at " << gpa;
      EXPECT_EQ(memcmp(buf, mem_ + gpa, len), 0) << len << " at " << gpa;
    }
    uint8_t buf[16];
    EXPECT_FALSE(kvmpp::x86::read_gpa(vm, kMem - len + 1, buf, len).ok()) << len;
  }
}

// One GuestMem (one hold of the slots lock) reading from two slots in turn:
// the slot it remembers never answers for another's addresses.
TEST_F(ExitTest, GuestMemAcrossSlots) {
  constexpr uint64_t kOther = 0x2000;
  auto* other = static_cast<uint8_t*>(aligned_alloc(4096, kOther));
  guest_ram_.push_back(other);  // freed after the fds are closed
  for (uint64_t i = 0; i < kOther; i++) other[i] = uint8_t(0xa0 + i);
  for (uint64_t i = 0; i < kMem; i++) mem_[i] = uint8_t(i);
  kvm_userspace_memory_region r{1, 0, 0x100000, kOther, ptr(other)};
  ASSERT_EQ(vm_ioctl(vm_fd_, KVM_SET_USER_MEMORY_REGION, ptr(&r)), 0);
  kvmpp::x86::GuestMem mem(obj(fd_).vm());
  uint64_t v = 0;
  ASSERT_TRUE(mem.read(0x10, &v, 8).ok());
  EXPECT_EQ(v, 0x1716151413121110ull);
  ASSERT_TRUE(mem.read(0x100001, &v, 8).ok());
  EXPECT_EQ(v & 0xff, 0xa1u);
  ASSERT_TRUE(mem.read(0x18, &v, 1).ok());
  EXPECT_EQ(v & 0xff, 0x18u);
  EXPECT_FALSE(mem.read(kMem - 4, &v, 8).ok());           // past slot 0, into nothing
  EXPECT_FALSE(mem.read(0x100000 + 0x1ffc, &v, 8).ok());  // past slot 1
  EXPECT_FALSE(mem.read(0x80000, &v, 4).ok());            // between them
}

// The software walk of the guest's tables (KVM_TRANSLATE) in each paging
// mode, with 4 KiB pages and a large page, and a non-present entry.
TEST_F(ExitTest, WalksEveryPagingMode) {
  auto put32 = [&](uint64_t gpa, uint32_t v) { memcpy(mem_ + gpa, &v, 4); };
  auto put64 = [&](uint64_t gpa, uint64_t v) { memcpy(mem_ + gpa, &v, 8); };
  auto translate = [&](uint64_t linear) {
    kvm_translation tr{};
    tr.linear_address = linear;
    EXPECT_EQ(vcpu_ioctl(fd_, KVM_TRANSLATE, ptr(&tr)), 0);
    return tr.valid ? tr.physical_address : ~0ull;
  };
  using kvmpp::x86::kCr0Pg;
  // 32-bit paging: PD at 0x8000, PT at 0x9000; PDE 1 a 4 MiB page (PSE).
  put32(0x8000, 0x9000 | 7);
  put32(0x9000 + 1 * 4, 0x3000 | 7);
  put32(0x8000 + 1 * 4, 0x00c00000 | 0x87);
  s().cr0 = kCr0Pg | 0x11;
  s().cr3 = 0x8000;
  s().cr4 = kvmpp::x86::kCr4Pse;
  EXPECT_EQ(translate(0x1234), 0x3234u);
  EXPECT_EQ(translate(0x400123), 0xc00123u);
  EXPECT_EQ(translate(0x2000), ~0ull);  // PTE 2 not present
  // PAE: PDPT at 0xa000, PD at 0xb000, PT at 0xc000.
  put64(0xa000, 0xb000 | 1);
  put64(0xb000, 0xc000 | 7);
  put64(0xc000 + 1 * 8, 0x5000 | 7);
  s().cr3 = 0xa000;
  s().cr4 = kvmpp::x86::kCr4Pae;
  EXPECT_EQ(translate(0x1234), 0x5234u);
  EXPECT_EQ(translate(0x40000000), ~0ull);  // PDPTE 1 not present
  // 4-level: PML4 at 0xd000, PDPT at 0xe000, then the PAE PD and PT; PD
  // entry 1 a 2 MiB page.
  put64(0xd000, 0xe000 | 7);
  put64(0xe000, 0xb000 | 7);
  put64(0xb000 + 1 * 8, 0x00600000 | 0x87);
  s().cr3 = 0xd000;
  s().efer = kvmpp::x86::kEferLme | kvmpp::x86::kEferLma;
  EXPECT_EQ(translate(0x1234), 0x5234u);
  EXPECT_EQ(translate(0x200456), 0x600456u);
  EXPECT_EQ(translate(uint64_t(1) << 39), ~0ull);  // PML4E 1 not present
  EXPECT_EQ(translate(0xf000), ~0ull);             // PTE 15 not present
}

// A guest table entry that points outside guest memory is a not-present
// #PF for the guest, not an error of KVM_RUN (found by fuzz_cpuid).
TEST_F(ExitTest, TableOutsideGuestMemoryIsAPageFault) {
  auto put64 = [&](uint64_t gpa, uint64_t v) { memcpy(mem_ + gpa, &v, 8); };
  set_supported_table();
  put64(0xd000, 0x40000000 | 7);  // PML4E 0: a PDPT far past the slot
  s().cr0 = kvmpp::x86::kCr0Pg | 0x11;
  s().cr3 = 0xd000;
  s().cr4 = kvmpp::x86::kCr4Pae;
  s().efer = kvmpp::x86::kEferLme | kvmpp::x86::kEferLma;
  s().seg[X86_CS].l = 1;
  ASSERT_TRUE(handle(X86_EXIT_CPUID, {0x0f, 0xa2}));
  EXPECT_EQ(s().rip, kCode);
  EXPECT_EQ(s().cr2, kCode);
  x86_event ev = s().event;
  EXPECT_EQ(taken_exception(), 14);
  EXPECT_EQ(ev.error_code, 0u);  // not present, a supervisor read
  kvm_translation tr{};
  tr.linear_address = kCode;
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_TRANSLATE, ptr(&tr)), 0);
  EXPECT_EQ(tr.valid, 0);
}

// CPUID executed from outside guest RAM: its bytes cannot be read to skip
// it, an emulation failure for user space rather than an error of KVM_RUN
// (found by fuzz_cpuid).
TEST_F(ExitTest, CpuidOutsideGuestMemoryIsAnEmulationFailure) {
  set_supported_table();
  s().rip = kMem + 0x1000;  // real mode: past the slot
  x86_exit e{};
  e.kind = X86_EXIT_CPUID;
  auto next = kvmpp::x86::handle_other_exit(obj(fd_), e);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), kvmpp::x86::Next::kUser);
  EXPECT_EQ(obj(fd_).run()->exit_reason, unsigned(KVM_EXIT_INTERNAL_ERROR));
  EXPECT_EQ(s().rip, kMem + 0x1000);
}

TEST_F(ExitTest, Xsetbv) {
  const std::vector<uint8_t> xsetbv = {0x0f, 0x01, 0xd1};
  // CR4.OSXSAVE clear: #UD.
  s().gpr[X86_RAX] = 1;
  s().gpr[X86_RDX] = 0;  // the reset value is the processor signature
  ASSERT_TRUE(handle(X86_EXIT_XSETBV, xsetbv));
  EXPECT_EQ(taken_exception(), 6);
  EXPECT_EQ(s().rip, kCode);
  s().cr4 |= kvmpp::x86::kCr4Osxsave;
  // No CPUID table: x87 only.
  s().gpr[X86_RAX] = 3;
  ASSERT_TRUE(handle(X86_EXIT_XSETBV, xsetbv));
  EXPECT_EQ(taken_exception(), 13);
  s().gpr[X86_RAX] = 1;
  ASSERT_TRUE(handle(X86_EXIT_XSETBV, xsetbv));
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(s().xcr0, 1u);
  EXPECT_EQ(s().rip, kCode + 3);
  // The supported table (host XCR0 = x87|SSE|AVX) allows AVX.
  set_supported_table();
  s().gpr[X86_RAX] = 7;
  ASSERT_TRUE(handle(X86_EXIT_XSETBV, xsetbv));
  EXPECT_EQ(taken_exception(), -1);
  EXPECT_EQ(s().xcr0, 7u);
  for (uint64_t bad : {5ull, 2ull, 0xe7ull, 0x207ull, 1ull << 32 | 3}) {
    s().gpr[X86_RAX] = uint32_t(bad);
    s().gpr[X86_RDX] = bad >> 32;
    ASSERT_TRUE(handle(X86_EXIT_XSETBV, xsetbv));
    EXPECT_EQ(taken_exception(), 13) << std::hex << bad;
  }
  s().gpr[X86_RAX] = 3;
  s().gpr[X86_RDX] = 0;
  s().gpr[X86_RCX] = 1;  // XCR1
  ASSERT_TRUE(handle(X86_EXIT_XSETBV, xsetbv));
  EXPECT_EQ(taken_exception(), 13);
  // CPL 3 (protected mode, SS.DPL 3).
  s().gpr[X86_RCX] = 0;
  s().cr0 |= kvmpp::x86::kCr0Pe;
  s().seg[X86_SS].dpl = 3;
  ASSERT_TRUE(handle(X86_EXIT_XSETBV, xsetbv));
  EXPECT_EQ(taken_exception(), 13);
  EXPECT_EQ(s().xcr0, 7u);
}

}  // namespace

namespace {

// CR4 bits follow the vCPU's CPUID once it has one; before, every bit of a
// supported feature is allowed (as upstream).
TEST_F(CpuidTest, Cr4FollowsCpuid) {
  long v = vcpu();
  constexpr uint64_t kUmip = 1ull << 11, kVmxe = 1ull << 13, kSmep = 1ull << 20;
  constexpr uint64_t kOsxsave = 1ull << 18, kSmxe = 1ull << 14;
  uint64_t before = kvmpp::x86::cr4_reserved_bits(obj(v));
  EXPECT_TRUE(before & kVmxe);  // never offered
  EXPECT_TRUE(before & kSmxe);
  EXPECT_FALSE(before & kOsxsave);  // the fake host has XSAVE

  Cpuid2 in(2);
  in[0] = entry(1, 0, 0, 0x00a00f11, 0, 1u << 26, 0);  // XSAVE
  in[1] = entry(7, 0, kSig, 0, 1u << 7, 0);            // SMEP, no UMIP
  ASSERT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, in.arg()), 0);
  uint64_t after = kvmpp::x86::cr4_reserved_bits(obj(v));
  EXPECT_FALSE(after & kOsxsave);
  EXPECT_FALSE(after & kSmep);
  EXPECT_TRUE(after & kUmip);
  EXPECT_TRUE(after & kVmxe);
}

}  // namespace
