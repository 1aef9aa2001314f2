// SPDX-License-Identifier: GPL-2.0
// The paravirtual interface: kvmclock scaling, KVM_GET/SET_CLOCK, the
// pvclock and wall-clock structures, the KVM MSRs and their enforcement,
// hypercalls and the VMCALL patching quirk, disabled exits and the vCPU TSC
// attributes.
#include <arch/x86/kvm/mmu/mmu.hpp>
#include <arch/x86/kvm/msr/msr.hpp>
#include <arch/x86/kvm/pv/pv.hpp>
#include <arch/x86/kvm/run/run.hpp>
#include <arch/x86/kvm/state/state.hpp>
#include <kxx/scope_guard.hpp>
#include <virt/kvm/vcpu.hpp>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "core_fixture.h"

namespace {

using kvmpp::x86::pvclock_scale;
using kvmpp::x86::pvclock_scale_delta;
using kvmpp::x86::PvclockScale;

constexpr uint64_t kNs = 1000000000;
constexpr uint64_t kHz = 2000000000;  // the fake host's TSC
constexpr uint64_t kTsc0 = 1000000;   // the fake TSC when a test starts

// What a guest computes from the structure (msr.rst).
uint64_t guest_read(const pvclock_vcpu_time_info& t, uint64_t guest_tsc) {
  return t.system_time +
         pvclock_scale_delta(guest_tsc - t.tsc_timestamp, {t.tsc_to_system_mul, t.tsc_shift});
}

TEST(Pvclock, ScaleMatchesFrequency) {
  for (uint64_t hz : std::vector<uint64_t>{1000000, 100000000, 999999999, 1000000000, 1999999000,
                                           kHz, 2500000000, 3300000000, 4000000000, 5200000000}) {
    PvclockScale s = pvclock_scale(hz);
    EXPECT_GE(s.shift, -2) << hz;
    // Full precision where the bounded shift allows it.
    if (s.shift > -2) {
      EXPECT_GE(s.mul, 1u << 31) << hz;
    }
    // One second and 1000 seconds of ticks, within the multiplier's precision.
    for (uint64_t secs : {1ull, 1000ull}) {
      double want = double(secs) * kNs;
      double got = double(pvclock_scale_delta(hz * secs, s));
      EXPECT_LE(std::fabs(got - want), want / double(1u << 30) + 2) << hz << " " << secs;
    }
  }
  EXPECT_EQ(pvclock_scale(kHz).mul, 1u << 31);
  EXPECT_EQ(pvclock_scale(kHz).shift, 0);
  EXPECT_EQ(pvclock_scale(0).mul, 0u);
  EXPECT_EQ(pvclock_scale_delta(1000, {1u << 31, 2}), 2000u);
  EXPECT_EQ(pvclock_scale_delta(1000, {1u << 31, -1}), 250u);
}

class PvTest : public CoreTest {
 protected:
  static constexpr uint64_t kMem = 0x10000, kCode = 0x1000, kPage = 0x3000;
  void SetUp() override {
    CoreTest::SetUp();
    fake::set_tsc(kTsc0);
    vm_ = create_vm();
    fd_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    ASSERT_GE(fd_, 0);
    mem_ = add_guest_ram(vm_, kMem);
    s().seg[X86_CS].base = 0;
    s().rip = kCode;
  }
  kvmpp::Vcpu& vcpu(long fd = -1) { return *static_cast<kvmpp::Vcpu*>(object(fd < 0 ? fd_ : fd)); }
  x86_state& s() { return vcpu().arch().regs; }
  kvm_clock_data get_clock() {
    kvm_clock_data d;
    memset(&d, 0xff, sizeof(d));
    EXPECT_EQ(vm_ioctl(vm_, KVM_GET_CLOCK, ptr(&d)), 0);
    return d;
  }
  long set_clock(uint64_t clock, uint32_t flags = 0, uint64_t realtime = 0) {
    kvm_clock_data d{};
    d.clock = clock;
    d.flags = flags;
    d.realtime = realtime;
    return vm_ioctl(vm_, KVM_SET_CLOCK, ptr(&d));
  }
  long set_msr(uint32_t index, uint64_t v) {
    uint64_t m[3] = {1, index, v};  // kvm_msrs with one entry
    return vcpu_ioctl(fd_, KVM_SET_MSRS, ptr(m));
  }
  bool guest_rdmsr(uint32_t index, uint64_t* v) {
    return kvmpp::x86::get_msr(vcpu(), index, v, false).ok();
  }
  bool guest_wrmsr(uint32_t index, uint64_t v) {
    return kvmpp::x86::set_msr(vcpu(), index, v, false).ok();
  }
  pvclock_vcpu_time_info pvti(uint64_t gpa = kPage) {
    pvclock_vcpu_time_info t;
    memcpy(&t, mem_ + gpa, sizeof(t));
    return t;
  }
  // A CPUID table: AMD vendor leaf, and KVM leaves at @base with @features
  // (no KVM leaves when @base is 0).
  long set_cpuid(uint32_t base, uint32_t features, uint32_t sig_ebx = 0x4b4d564b) {
    std::vector<kvm_cpuid_entry2> e(3);
    e[0].ebx = 0x68747541;
    e[0].edx = 0x69746e65;
    e[0].ecx = 0x444d4163;
    e[1].function = base;
    e[1].eax = base + 1;
    e[1].ebx = sig_ebx;
    e[1].ecx = 0x564b4d56;
    e[1].edx = 0x4d;
    e[2].function = base + 1;
    e[2].eax = features;
    unsigned n = base ? 3 : 1;
    std::vector<uint64_t> mem(1 + n * sizeof(kvm_cpuid_entry2) / 8);
    auto* c = reinterpret_cast<kvm_cpuid2*>(mem.data());
    c->nent = n;
    memcpy(c->entries, e.data(), n * sizeof(kvm_cpuid_entry2));
    return vcpu_ioctl(fd_, KVM_SET_CPUID2, ptr(c));
  }
  uint32_t vcpu_cpuid_eax(uint32_t fn) {
    std::vector<uint64_t> mem(1 + 8 * sizeof(kvm_cpuid_entry2) / 8);
    auto* c = reinterpret_cast<kvm_cpuid2*>(mem.data());
    c->nent = 8;
    EXPECT_EQ(vcpu_ioctl(fd_, KVM_GET_CPUID2, ptr(c)), 0);
    for (unsigned i = 0; i < c->nent; i++)
      if (c->entries[i].function == fn) return c->entries[i].eax;
    return ~0u;
  }
  long enable_vcpu_cap(uint32_t cap, uint64_t arg0, uint32_t flags = 0) {
    kvm_enable_cap c{};
    c.cap = cap;
    c.flags = flags;
    c.args[0] = arg0;
    return vcpu_ioctl(fd_, KVM_ENABLE_CAP, ptr(&c));
  }
  long enable_vm_cap(uint32_t cap, uint64_t arg0) {
    kvm_enable_cap c{};
    c.cap = cap;
    c.args[0] = arg0;
    return vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&c));
  }
  long attr(unsigned cmd, uint32_t group, uint64_t a, uint64_t addr) {
    kvm_device_attr d{0, group, a, addr};
    return vcpu_ioctl(fd_, cmd, ptr(&d));
  }
  // Run an exit handler on the code at RIP; the exception it raised, or -1.
  int exit_with(x86_exit_kind kind, const std::vector<uint8_t>& code) {
    memcpy(mem_ + s().rip, code.data(), code.size());
    x86_exit e{};
    e.kind = kind;
    auto next = kvmpp::x86::handle_other_exit(vcpu(), e);
    EXPECT_TRUE(next.ok() && next.value() == kvmpp::x86::Next::kEnter);
    x86_event ev = s().event;
    s().event = {};
    return ev.valid ? ev.vector : -1;
  }
  // A hypercall by VMMCALL at RIP: RAX afterwards.
  uint64_t hypercall(uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0) {
    s().gpr[X86_RAX] = nr;
    s().gpr[X86_RBX] = a0;
    s().gpr[X86_RCX] = a1;
    uint64_t rip = s().rip;
    EXPECT_EQ(exit_with(X86_EXIT_HYPERCALL, {0x0f, 0x01, 0xd9}), -1);
    EXPECT_EQ(s().rip, rip + 3);
    s().rip = rip;
    return s().gpr[X86_RAX];
  }
  // 64-bit code, the first 2 MiB identity-mapped (tables at 0x4000).
  void long_mode() {
    uint64_t pml4e = 0x5000 | 7, pdpte = 0x6000 | 7, pde = 0x87;  // user, writable
    memcpy(mem_ + 0x4000, &pml4e, 8);
    memcpy(mem_ + 0x5000, &pdpte, 8);
    memcpy(mem_ + 0x6000, &pde, 8);
    s().cr3 = 0x4000;
    s().cr4 |= kvmpp::x86::kCr4Pae;
    s().cr0 |= kvmpp::x86::kCr0Pe | kvmpp::x86::kCr0Pg;
    s().efer |= kvmpp::x86::kEferLma | kvmpp::x86::kEferLme;
    s().seg[X86_CS].l = 1;
  }

  long vm_ = -1, fd_ = -1;
  uint8_t* mem_ = nullptr;
};

TEST_F(PvTest, Capabilities) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK),
            KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_ENABLE_CAP), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_VCPU_ATTRIBUTES), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_ENFORCE_PV_FEATURE_CPUID), 1);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2), KVM_X86_QUIRK_FIX_HYPERCALL_INSN);
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_X86_DISABLE_EXITS),
            KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE);
  // Quirks that do not exist here cannot be disabled with DISABLE_QUIRKS2;
  // the first interface is not offered.
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS), 0);
  EXPECT_EQ(enable_vm_cap(KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_CD_NW_CLEARED), -EINVAL);
  EXPECT_EQ(enable_vm_cap(KVM_CAP_DISABLE_QUIRKS, KVM_X86_QUIRK_FIX_HYPERCALL_INSN), -EINVAL);
  EXPECT_EQ(enable_vm_cap(KVM_CAP_DISABLE_QUIRKS2, 0), 0);
  EXPECT_EQ(enable_vm_cap(KVM_CAP_X86_DISABLE_EXITS, 1u << 4), -EINVAL);
  EXPECT_EQ(enable_vm_cap(KVM_CAP_X86_DISABLE_EXITS, KVM_X86_DISABLE_VALID_EXITS), 0);
  // Only what is honoured is recorded.
  EXPECT_EQ(kvmpp::x86::disabled_exits(vcpu().vm()),
            uint32_t(KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE));
}

TEST_F(PvTest, ClockStartsAtZeroAndFollowsTheTsc) {
  kvm_clock_data d = get_clock();
  EXPECT_EQ(d.clock, 0u);
  EXPECT_EQ(d.flags, uint32_t(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC));
  EXPECT_EQ(d.host_tsc, kTsc0);
  EXPECT_EQ(d.realtime, 1700000000000000000ull);
  EXPECT_EQ(d.pad0, 0u);
  fake::set_tsc(kTsc0 + 3 * kHz);
  EXPECT_EQ(get_clock().clock, 3 * kNs);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_CLOCK, 8), -EFAULT);
}

TEST_F(PvTest, SetClock) {
  EXPECT_EQ(set_clock(5 * kNs), 0);
  EXPECT_EQ(get_clock().clock, 5 * kNs);
  fake::set_tsc(kTsc0 + kHz / 2);
  EXPECT_EQ(get_clock().clock, 5 * kNs + kNs / 2);
  // Real time that passed since the source read the clock is added; a
  // realtime in the future never moves it back.
  uint64_t real = 1700000000000000000ull;
  EXPECT_EQ(set_clock(kNs, KVM_CLOCK_REALTIME, real - 2 * kNs), 0);
  EXPECT_EQ(get_clock().clock, 3 * kNs);
  EXPECT_EQ(set_clock(kNs, KVM_CLOCK_REALTIME, real + 2 * kNs), 0);
  EXPECT_EQ(get_clock().clock, kNs);
  // What KVM_GET_CLOCK returns may be passed back; other flags may not.
  EXPECT_EQ(set_clock(kNs, KVM_CLOCK_TSC_STABLE | KVM_CLOCK_HOST_TSC), 0);
  EXPECT_EQ(set_clock(kNs, 1), -EINVAL);
  EXPECT_EQ(set_clock(kNs, 1u << 4), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_CLOCK, 8), -EFAULT);
}

TEST_F(PvTest, ClockWithoutATscClocksource) {
  // Another clocksource: the clock is the host's base clock plus an offset.
  fake::set_host_clock(10 * kNs, 1700000000000000000ull, false);
  fake::set_tsc(kTsc0 + kHz);
  kvm_clock_data d = get_clock();
  EXPECT_EQ(d.clock, kNs);  // continues from where the TSC line was
  EXPECT_EQ(d.flags, 0u);
  fake::set_host_clock(12 * kNs, 1700000000000000000ull, false);
  EXPECT_EQ(get_clock().clock, 3 * kNs);
  EXPECT_EQ(set_clock(7 * kNs), 0);
  EXPECT_EQ(get_clock().clock, 7 * kNs);
}

TEST_F(PvTest, PvclockStructure) {
  // Not enabled: nothing is written.
  EXPECT_EQ(set_msr(MSR_KVM_SYSTEM_TIME_NEW, kPage), 1);
  kvmpp::x86::pv_prepare_entry(vcpu());
  EXPECT_EQ(pvti().version, 0u);
  mem_[kPage] = 7;  // an odd version left by the guest
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, kPage | KVM_MSR_ENABLED));
  uint64_t v = 0;
  EXPECT_TRUE(guest_rdmsr(MSR_KVM_SYSTEM_TIME_NEW, &v));
  EXPECT_EQ(v, kPage | KVM_MSR_ENABLED);
  EXPECT_TRUE(guest_rdmsr(MSR_KVM_SYSTEM_TIME, &v));  // one register behind both
  EXPECT_EQ(v, kPage | KVM_MSR_ENABLED);
  kvmpp::x86::pv_prepare_entry(vcpu());
  pvclock_vcpu_time_info t = pvti();
  EXPECT_EQ(t.version, 10u);
  EXPECT_EQ(t.flags, PVCLOCK_TSC_STABLE_BIT);
  EXPECT_EQ(t.tsc_to_system_mul, 1u << 31);
  EXPECT_EQ(t.tsc_shift, 0);
  // The guest computes what KVM_GET_CLOCK says, at any TSC.
  uint64_t offset = s().tsc_offset;
  for (uint64_t later : std::vector<uint64_t>{0, 12345, 7 * kHz}) {
    fake::set_tsc(kTsc0 + later);
    EXPECT_EQ(guest_read(t, kTsc0 + later + offset), get_clock().clock);
  }
  // Nothing changed: not rewritten.
  kvmpp::x86::pv_prepare_entry(vcpu());
  EXPECT_EQ(pvti().version, 10u);
  // KVM_SET_CLOCK requests a rewrite, with the new line.
  EXPECT_EQ(set_clock(100 * kNs), 0);
  EXPECT_TRUE(vcpu().has_request(kvmpp::Vcpu::kRequestClockUpdate));
  kvmpp::x86::pv_prepare_entry(vcpu());
  EXPECT_FALSE(vcpu().has_request(kvmpp::Vcpu::kRequestClockUpdate));
  t = pvti();
  EXPECT_EQ(t.version, 12u);
  fake::set_tsc(kTsc0 + 9 * kHz);
  EXPECT_EQ(guest_read(t, kTsc0 + 9 * kHz + offset), get_clock().clock);
  // A new TSC offset moves tsc_timestamp with it.
  uint64_t new_offset = 1ull << 40;
  EXPECT_EQ(attr(KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, ptr(&new_offset)), 0);
  kvmpp::x86::pv_prepare_entry(vcpu());
  t = pvti();
  EXPECT_EQ(t.version, 14u);
  EXPECT_EQ(guest_read(t, kTsc0 + 9 * kHz + new_offset), get_clock().clock);
  // Disabled: left alone.
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, kPage));
  EXPECT_EQ(set_clock(0), 0);
  kvmpp::x86::pv_prepare_entry(vcpu());
  EXPECT_EQ(pvti().version, 14u);
}

TEST_F(PvTest, PvclockStructureEdges) {
  // Across a page boundary: never written (as upstream).
  uint64_t gpa = 0x1ff0;
  EXPECT_EQ(set_msr(MSR_KVM_SYSTEM_TIME, gpa | KVM_MSR_ENABLED), 1);
  kvmpp::x86::pv_prepare_entry(vcpu());
  EXPECT_EQ(pvti(gpa).version, 0u);
  // Outside guest RAM: the MSR keeps its value, nothing is written.
  EXPECT_EQ(set_msr(MSR_KVM_SYSTEM_TIME, 0x100000 | KVM_MSR_ENABLED), 1);
  kvmpp::x86::pv_prepare_entry(vcpu());
  // Without a TSC clocksource: no stable bit, and a fresh (TSC, time) pair.
  fake::set_host_clock(40 * kNs, 1700000000000000000ull, false);
  EXPECT_EQ(set_clock(kNs), 0);
  EXPECT_EQ(set_msr(MSR_KVM_SYSTEM_TIME_NEW, kPage | KVM_MSR_ENABLED), 1);
  kvmpp::x86::pv_prepare_entry(vcpu());
  pvclock_vcpu_time_info t = pvti();
  EXPECT_EQ(t.version, 2u);
  EXPECT_EQ(t.flags, 0);
  EXPECT_EQ(t.system_time, kNs);
  EXPECT_EQ(t.tsc_timestamp, kTsc0 + s().tsc_offset);
  // Another host CPU: rewritten.
  vcpu().arch().last_cpu = 1;
  kvmpp::x86::pv_prepare_entry(vcpu());
  EXPECT_EQ(pvti().version, 4u);
  kvmpp::x86::pv_prepare_entry(vcpu());
  EXPECT_EQ(pvti().version, 4u);
}

TEST_F(PvTest, WallClock) {
  fake::set_tsc(kTsc0 + 2 * kHz);  // kvmclock reads 2 s
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_WALL_CLOCK_NEW, kPage));
  pvclock_wall_clock w;
  memcpy(&w, mem_ + kPage, sizeof(w));
  EXPECT_EQ(w.version, 2u);
  EXPECT_EQ(w.sec, 1700000000u - 2);
  EXPECT_EQ(w.nsec, 0u);
  uint64_t v = 0;
  EXPECT_TRUE(guest_rdmsr(MSR_KVM_WALL_CLOCK, &v));  // one value for the VM
  EXPECT_EQ(v, kPage);
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_WALL_CLOCK, kPage));
  memcpy(&w, mem_ + kPage, sizeof(w));
  EXPECT_EQ(w.version, 4u);
  // Outside RAM: accepted, nothing written.
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_WALL_CLOCK, 0x100000));
}

TEST_F(PvTest, MsrsAreListed) {
  std::vector<uint32_t> mem(1 + 512);
  mem[0] = 512;
  ASSERT_EQ(dev(KVM_GET_MSR_INDEX_LIST, ptr(mem.data())), 0);
  int found = 0;
  for (unsigned i = 1; i <= mem[0]; i++)
    for (uint32_t m :
         {MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW})
      found += mem[i] == m;
  EXPECT_EQ(found, 4);
}

TEST_F(PvTest, EnforcedFeatures) {
  uint64_t v;
  // Not implemented: #GP with or without enforcement.
  for (uint32_t m : {MSR_KVM_ASYNC_PF_EN, MSR_KVM_STEAL_TIME, MSR_KVM_PV_EOI_EN,
                     MSR_KVM_POLL_CONTROL, MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_ACK}) {
    EXPECT_FALSE(guest_rdmsr(m, &v)) << m;
    EXPECT_FALSE(guest_wrmsr(m, 0)) << m;
  }
  // Without enforcement the kvmclock MSRs work whatever CPUID says.
  ASSERT_EQ(set_cpuid(0x40000000, 0), 0);
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_SYSTEM_TIME, 0));
  EXPECT_EQ(enable_vcpu_cap(KVM_CAP_ENFORCE_PV_FEATURE_CPUID, 1), 0);
  for (uint32_t m :
       {MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW}) {
    EXPECT_FALSE(guest_rdmsr(m, &v)) << m;
    EXPECT_FALSE(guest_wrmsr(m, 0)) << m;
    EXPECT_EQ(set_msr(m, 0), 0) << m;  // KVM_SET_MSRS stops at it (0 done)
  }
  EXPECT_EQ(hypercall(KVM_HC_SCHED_YIELD), uint32_t(-KVM_ENOSYS));
  // CLOCKSOURCE2 alone: the new pair only.
  ASSERT_EQ(set_cpuid(0x40000000, 1u << KVM_FEATURE_CLOCKSOURCE2), 0);
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0));
  EXPECT_FALSE(guest_wrmsr(MSR_KVM_SYSTEM_TIME, 0));
  // The KVM leaves are found by their signature, also at another base.
  ASSERT_EQ(set_cpuid(0x40000100, 1u << KVM_FEATURE_CLOCKSOURCE), 0);
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_SYSTEM_TIME, 0));
  ASSERT_EQ(set_cpuid(0x40000000, 1u << KVM_FEATURE_CLOCKSOURCE, 0xdeadbeef), 0);
  EXPECT_FALSE(guest_wrmsr(MSR_KVM_SYSTEM_TIME, 0));
  ASSERT_EQ(set_cpuid(0, 0), 0);
  EXPECT_FALSE(guest_wrmsr(MSR_KVM_SYSTEM_TIME, 0));
  // Turned off again.
  EXPECT_EQ(enable_vcpu_cap(KVM_CAP_ENFORCE_PV_FEATURE_CPUID, 0), 0);
  EXPECT_TRUE(guest_wrmsr(MSR_KVM_SYSTEM_TIME, 0));
  // The vCPU KVM_ENABLE_CAP's own errors.
  EXPECT_EQ(enable_vcpu_cap(KVM_CAP_ENFORCE_PV_FEATURE_CPUID, 1, 1), -EINVAL);
  EXPECT_EQ(enable_vcpu_cap(KVM_CAP_MAX_VCPU_ID, 1), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_ENABLE_CAP, 8), -EFAULT);
}

TEST_F(PvTest, Hypercalls) {
  // Real mode: 32-bit results.
  EXPECT_EQ(hypercall(12345), uint32_t(-KVM_ENOSYS));
  EXPECT_EQ(hypercall(KVM_HC_KICK_CPU), uint32_t(-KVM_ENOSYS));
  EXPECT_EQ(hypercall(KVM_HC_SEND_IPI), uint32_t(-KVM_ENOSYS));
  EXPECT_EQ(hypercall(KVM_HC_MAP_GPA_RANGE), uint32_t(-KVM_ENOSYS));
  EXPECT_EQ(hypercall(KVM_HC_VAPIC_POLL_IRQ), 0u);
  // The upper halves are ignored outside 64-bit code.
  EXPECT_EQ(hypercall((1ull << 32) | KVM_HC_VAPIC_POLL_IRQ), 0u);
  // Yield to vCPU 1, whose task is 77; not to oneself or a missing vCPU.
  long fd1 = vm_ioctl(vm_, KVM_CREATE_VCPU, 1);
  ASSERT_GE(fd1, 0);
  vcpu(fd1).arch().pv.pid.store(77);
  EXPECT_EQ(hypercall(KVM_HC_SCHED_YIELD, 1), 0u);
  EXPECT_EQ(hypercall(KVM_HC_SCHED_YIELD, 0), 0u);
  EXPECT_EQ(hypercall(KVM_HC_SCHED_YIELD, 9), 0u);
  EXPECT_EQ(fake::yields(), std::vector<int>{77});
  // 64-bit code: 64-bit arguments and results.
  long_mode();
  EXPECT_EQ(hypercall((1ull << 32) | KVM_HC_VAPIC_POLL_IRQ), uint64_t(-KVM_ENOSYS));
  EXPECT_EQ(hypercall(KVM_HC_SCHED_YIELD, (1ull << 32) | 1), 0u);
  EXPECT_EQ(fake::yields().size(), 1u);
  // Only CPL 0 may call.
  s().seg[X86_SS].dpl = 3;
  EXPECT_EQ(hypercall(KVM_HC_VAPIC_POLL_IRQ), uint64_t(-KVM_EPERM));
  // Another instruction than VMMCALL at RIP: not skipped, reported.
  s().seg[X86_SS].dpl = 0;
  memcpy(mem_ + kCode, "\x90\x90\x90", 3);
  x86_exit e{};
  e.kind = X86_EXIT_HYPERCALL;
  auto next = kvmpp::x86::handle_other_exit(vcpu(), e);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), kvmpp::x86::Next::kUser);
  EXPECT_EQ(vcpu().run()->exit_reason, uint32_t(KVM_EXIT_INTERNAL_ERROR));
}

// With an in-kernel local APIC the target is found by its APIC ID.
TEST_F(CoreTest, SchedYieldFindsTheTargetByApicId) {
  long vm = create_vm();
  ASSERT_EQ(vm_ioctl(vm, KVM_CREATE_IRQCHIP), 0);
  auto* mem = static_cast<uint8_t*>(aligned_alloc(4096, 0x10000));
  auto free_mem = kxx::defer([mem] { free(mem); });
  kvm_userspace_memory_region r{0, 0, 0, 0x10000, ptr(mem)};
  ASSERT_EQ(vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, ptr(&r)), 0);
  long fd0 = vm_ioctl(vm, KVM_CREATE_VCPU, 0), fd1 = vm_ioctl(vm, KVM_CREATE_VCPU, 1);
  ASSERT_GE(fd1, 0);
  kvm_lapic_state lapic;
  ASSERT_EQ(vcpu_ioctl(fd1, KVM_GET_LAPIC, ptr(&lapic)), 0);
  lapic.regs[0x23] = 5;  // the ID register's bits 31:24 (xAPIC)
  ASSERT_EQ(vcpu_ioctl(fd1, KVM_SET_LAPIC, ptr(&lapic)), 0);
  auto& v0 = *static_cast<kvmpp::Vcpu*>(object(fd0));
  static_cast<kvmpp::Vcpu*>(object(fd1))->arch().pv.pid.store(55);
  x86_state& s = v0.arch().regs;
  s.seg[X86_CS].base = 0;
  for (uint64_t dest : {1, 5}) {
    s.rip = 0x1000;
    memcpy(mem + 0x1000, "\x0f\x01\xd9", 3);
    s.gpr[X86_RAX] = KVM_HC_SCHED_YIELD;
    s.gpr[X86_RBX] = dest;
    x86_exit e{};
    e.kind = X86_EXIT_HYPERCALL;
    ASSERT_TRUE(kvmpp::x86::handle_other_exit(v0, e).ok());
    EXPECT_EQ(s.gpr[X86_RAX], 0u);
  }
  EXPECT_EQ(fake::yields(), std::vector<int>{55});
}

TEST_F(PvTest, ClockPairing) {
  long_mode();
  fake::set_host_clock(0, 1700000000123456789ull, true);
  EXPECT_EQ(hypercall(KVM_HC_CLOCK_PAIRING, kPage, KVM_CLOCK_PAIRING_WALLCLOCK), 0u);
  kvm_clock_pairing p;
  memcpy(&p, mem_ + kPage, sizeof(p));
  EXPECT_EQ(p.sec, 1700000000);
  EXPECT_EQ(p.nsec, 123456789);
  EXPECT_EQ(p.tsc, kTsc0 + s().tsc_offset);
  EXPECT_EQ(p.flags, 0u);
  EXPECT_EQ(hypercall(KVM_HC_CLOCK_PAIRING, kPage, 1), uint64_t(-KVM_EOPNOTSUPP));
  EXPECT_EQ(hypercall(KVM_HC_CLOCK_PAIRING, 0x100000, 0), uint64_t(-KVM_EFAULT));
  fake::set_host_clock(0, 1700000000123456789ull, false);
  EXPECT_EQ(hypercall(KVM_HC_CLOCK_PAIRING, kPage, 0), uint64_t(-KVM_EOPNOTSUPP));
}

TEST_F(PvTest, VmcallIsPatchedIntoVmmcall) {
  s().gpr[X86_RAX] = KVM_HC_VAPIC_POLL_IRQ;
  EXPECT_EQ(exit_with(X86_EXIT_UD_FAULT, {0x0f, 0x01, 0xc1}), -1);
  EXPECT_EQ(memcmp(mem_ + kCode, "\x0f\x01\xd9", 3), 0);
  EXPECT_EQ(s().rip, kCode);  // executed again, as VMMCALL
  // Any other #UD goes to the guest.
  EXPECT_EQ(exit_with(X86_EXIT_UD_FAULT, {0x0f, 0x0b, 0x90}), kvmpp::x86::kUdVector);
  EXPECT_EQ(s().rip, kCode);
  // With the quirk disabled, VMCALL raises #UD and stays.
  EXPECT_EQ(enable_vm_cap(KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_FIX_HYPERCALL_INSN), 0);
  EXPECT_EQ(exit_with(X86_EXIT_UD_FAULT, {0x0f, 0x01, 0xc1}), kvmpp::x86::kUdVector);
  EXPECT_EQ(memcmp(mem_ + kCode, "\x0f\x01\xc1", 3), 0);
}

TEST_F(PvTest, PatchingUsesTheGuestsPermissions) {
  // 32-bit paging with the code page read-only: the patch write faults.
  s().cr0 |= kvmpp::x86::kCr0Pe | kvmpp::x86::kCr0Pg;
  s().cr3 = 0x8000;
  uint32_t pde = 0x9000 | 0x7, pte = kCode | 0x5;  // present, user, not writable
  memcpy(mem_ + 0x8000, &pde, 4);
  memcpy(mem_ + 0x9000 + 4 * (kCode >> 12), &pte, 4);
  s().cr0 |= 1u << 16;  // CR0.WP: supervisor writes honour R/W too
  memcpy(mem_ + kCode, "\x0f\x01\xc1", 3);
  x86_exit e{};
  e.kind = X86_EXIT_UD_FAULT;
  ASSERT_TRUE(kvmpp::x86::handle_other_exit(vcpu(), e).ok());
  EXPECT_TRUE(s().event.valid);
  EXPECT_EQ(s().event.vector, kvmpp::x86::kPfVector);
  EXPECT_EQ(s().cr2, kCode);
  EXPECT_EQ(memcmp(mem_ + kCode, "\x0f\x01\xc1", 3), 0);
}

TEST_F(PvTest, IntelHostPatchesVmmcall) {
  fake::set_vendor_svm(false);
  EXPECT_EQ(exit_with(X86_EXIT_UD_FAULT, {0x0f, 0x01, 0xd9}), -1);
  EXPECT_EQ(memcmp(mem_ + kCode, "\x0f\x01\xc1", 3), 0);
}

TEST_F(PvTest, TscOffsetAttribute) {
  uint64_t v = 0;
  EXPECT_EQ(attr(KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, 0), 0);
  EXPECT_EQ(attr(KVM_HAS_DEVICE_ATTR, 1, KVM_VCPU_TSC_OFFSET, 0), -ENXIO);
  EXPECT_EQ(attr(KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, 1, 0), -ENXIO);
  EXPECT_EQ(attr(KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, 1, ptr(&v)), -ENXIO);
  EXPECT_EQ(attr(KVM_SET_DEVICE_ATTR, 2, KVM_VCPU_TSC_OFFSET, ptr(&v)), -ENXIO);
  EXPECT_EQ(attr(KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, ptr(&v)), 0);
  EXPECT_EQ(v, s().tsc_offset);
  EXPECT_EQ(v, -kTsc0);  // the TSC started at 0
  uint64_t offset = 180 * kHz;
  EXPECT_EQ(attr(KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, ptr(&offset)), 0);
  EXPECT_EQ(kvmpp::x86::guest_tsc(vcpu()), kTsc0 + offset);
  EXPECT_EQ(attr(KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, ptr(&v)), 0);
  EXPECT_EQ(v, offset);
  // A vCPU created afterwards takes the same TSC.
  long fd1 = vm_ioctl(vm_, KVM_CREATE_VCPU, 1);
  ASSERT_GE(fd1, 0);
  EXPECT_EQ(vcpu(fd1).arch().regs.tsc_offset, offset);
  EXPECT_EQ(attr(KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, 8), -EFAULT);
  EXPECT_EQ(attr(KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, 8), -EFAULT);
  EXPECT_EQ(vcpu_ioctl(fd_, KVM_HAS_DEVICE_ATTR, 8), -EFAULT);
}

TEST_F(PvTest, HltExitsAndPvUnhalt) {
  constexpr uint32_t kUnhalt = 1u << KVM_FEATURE_PV_UNHALT;
  ASSERT_EQ(set_cpuid(0x40000000, kUnhalt | 1), 0);
  EXPECT_EQ(vcpu_cpuid_eax(0x40000001), kUnhalt | 1);
  EXPECT_EQ(enable_vm_cap(KVM_CAP_X86_DISABLE_EXITS, KVM_X86_DISABLE_EXITS_HLT), 0);
  // A vCPU whose HLT does not exit cannot be kicked out of it.
  ASSERT_EQ(set_cpuid(0x40000000, kUnhalt | 1), 0);
  EXPECT_EQ(vcpu_cpuid_eax(0x40000001), 1u);
  // Only in the KVM leaves found by signature.
  ASSERT_EQ(set_cpuid(0x40000000, kUnhalt | 1, 0xdeadbeef), 0);
  EXPECT_EQ(vcpu_cpuid_eax(0x40000001), kUnhalt | 1);
}

}  // namespace
