// SPDX-License-Identifier: GPL-2.0
// The in-kernel irqchip as the ioctls see it: creation and its errnos, the
// state ioctls, routing from GSIs and IPIs to local APICs, the APIC timer on
// the glue's timer, the MP states, and no leaks on allocation failures.
#include <arch/x86/kvm/irq/irqchip.hpp>
#include <arch/x86/kvm/msr/msr.hpp>
#include <virt/kvm/vcpu.hpp>

#include <cstring>
#include <vector>

#include "irqchip_fixture.h"

namespace {

TEST_F(IrqchipTest, CreateOnceAndBeforeVcpus) {
  EXPECT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), -EEXIST);
  long other = create_vm();
  add_vcpu(0);
  EXPECT_EQ(vm_ioctl(other, KVM_CREATE_IRQCHIP), 0);
  long vcpu = vm_ioctl(other, KVM_CREATE_VCPU, 0);
  ASSERT_GE(vcpu, 0);
  long third = create_vm();
  ASSERT_GE(vm_ioctl(third, KVM_CREATE_VCPU, 0), 0);
  EXPECT_EQ(vm_ioctl(third, KVM_CREATE_IRQCHIP), -EINVAL);
}

TEST_F(IrqchipTest, ErrnosWithoutIrqchip) {
  kvm_irq_level l{};
  kvm_irqchip chip{};
  kvm_lapic_state s{};
  EXPECT_EQ(vm_ioctl(vm_, KVM_IRQ_LINE, ptr(&l)), -ENXIO);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), -ENXIO);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_IRQCHIP, ptr(&chip)), -ENXIO);
  long vcpu = add_vcpu(0);
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_GET_LAPIC, ptr(&s)), -EINVAL);
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_SET_LAPIC, ptr(&s)), -EINVAL);
  kvm_mp_state mp{KVM_MP_STATE_HALTED};
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_SET_MP_STATE, ptr(&mp)), -EINVAL);
}

TEST_F(IrqchipTest, BadArguments) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  kvm_irqchip chip{};
  chip.chip_id = 3;
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm_, KVM_SET_IRQCHIP, ptr(&chip)), -EINVAL);
  EXPECT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, 8), -EFAULT);
  EXPECT_EQ(vm_ioctl(vm_, KVM_IRQ_LINE, 8), -EFAULT);
  long vcpu = add_vcpu(0);
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_GET_LAPIC, 8), -EFAULT);
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_SET_LAPIC, 8), -EFAULT);
  kvm_mp_state mp{99};
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_SET_MP_STATE, ptr(&mp)), -EINVAL);
}

TEST_F(IrqchipTest, NoLeakWhenAllocationsFail) {
  fake::fail_alloc_after(1);
  EXPECT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), -ENOMEM);
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  // vCPU creation fails at each allocation in turn, the APIC's included.
  for (long n = 1;; n++) {
    fake::fail_alloc_after(n);
    long fd = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
    fake::fail_alloc_after(0);
    if (fd >= 0) break;
    EXPECT_EQ(fd, -ENOMEM);
    ASSERT_LT(n, 100);
  }
}

TEST_F(IrqchipTest, MpStatesOfBspAndAps) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long bsp = add_vcpu(0), ap = add_vcpu(1);
  kvm_mp_state mp{};
  ASSERT_EQ(vcpu_ioctl(bsp, KVM_GET_MP_STATE, ptr(&mp)), 0);
  EXPECT_EQ(mp.mp_state, uint32_t(KVM_MP_STATE_RUNNABLE));
  ASSERT_EQ(vcpu_ioctl(ap, KVM_GET_MP_STATE, ptr(&mp)), 0);
  EXPECT_EQ(mp.mp_state, uint32_t(KVM_MP_STATE_UNINITIALIZED));
  // KVM_RUN on a processor waiting for INIT sleeps; here the fake wait
  // sees a signal.
  EXPECT_EQ(vcpu_ioctl(ap, KVM_RUN), -EINTR);
  mp.mp_state = KVM_MP_STATE_SIPI_RECEIVED;
  ASSERT_EQ(vcpu_ioctl(ap, KVM_SET_MP_STATE, ptr(&mp)), 0);
  ASSERT_EQ(vcpu_ioctl(ap, KVM_GET_MP_STATE, ptr(&mp)), 0);
  EXPECT_EQ(mp.mp_state, uint32_t(KVM_MP_STATE_INIT_RECEIVED));
  EXPECT_EQ(reg(lapic(ap), 0x20) >> 24, 1u);  // APIC ID
  EXPECT_EQ(reg(lapic(bsp), 0x20) >> 24, 0u);
}

TEST_F(IrqchipTest, GsiThroughIoapicReachesTheApic) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long vcpu = add_vcpu(0);
  set_reg(vcpu, kSvr, 0x1ff);
  kvm_irqchip chip{};
  chip.chip_id = KVM_IRQCHIP_IOAPIC;
  ASSERT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), 0);
  chip.chip.ioapic.redirtbl[17].bits = 0x61 | (1u << 15);  // level-triggered
  ASSERT_EQ(vm_ioctl(vm_, KVM_SET_IRQCHIP, ptr(&chip)), 0);
  kvm_irq_level l{};
  l.irq = 17;  // I/O APIC only (0-15 also reach the PIC)
  l.level = 1;
  ASSERT_EQ(vm_ioctl(vm_, KVM_IRQ_LINE_STATUS, ptr(&l)), 0);
  EXPECT_EQ(l.status, 1);
  EXPECT_TRUE(irr(lapic(vcpu), 0x61));
  // Remote IRR holds it until the EOI: asserting again is blocked (-1, as
  // stock KVM reports it).
  l.irq = 17;
  ASSERT_EQ(vm_ioctl(vm_, KVM_IRQ_LINE_STATUS, ptr(&l)), 0);
  EXPECT_EQ(l.status, -1);
  ASSERT_EQ(vm_ioctl(vm_, KVM_GET_IRQCHIP, ptr(&chip)), 0);
  EXPECT_TRUE(chip.chip.ioapic.redirtbl[17].fields.remote_irr);
}

TEST_F(IrqchipTest, MaskedOrMissingGsi) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  kvm_irq_level l{};
  l.irq = 20;  // I/O APIC pins start masked: -1, as stock KVM
  l.level = 1;
  ASSERT_EQ(vm_ioctl(vm_, KVM_IRQ_LINE_STATUS, ptr(&l)), 0);
  EXPECT_EQ(l.status, -1);
  l.irq = 24;
  ASSERT_EQ(vm_ioctl(vm_, KVM_IRQ_LINE_STATUS, ptr(&l)), 0);
  EXPECT_EQ(l.status, -1);
}

TEST_F(IrqchipTest, X2apicIpiToAnotherVcpu) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long a = add_vcpu(0), b = add_vcpu(1);
  for (long v : {a, b}) {
    set_x2apic_cpuid(v);
    set_reg(v, kSvr, 0x1ff);
  }
  set_msr(a, kvmpp::x86::msr::kApicBase, 0xfee00000 | (3u << 10) | (1u << 8));
  // ICR: fixed, physical, vector 0x55 to APIC ID 1.
  set_msr(a, 0x830, 0x55 | (1ull << 14) | (1ull << 32));
  EXPECT_TRUE(irr(lapic(b), 0x55));
  EXPECT_FALSE(irr(lapic(a), 0x55));
}

TEST_F(IrqchipTest, TimerFiresThroughTheGlueTimer) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long vcpu = add_vcpu(0);
  set_reg(vcpu, kSvr, 0x1ff);
  set_reg(vcpu, kTdcr, 0xb);  // divide by 1: 1 ns per tick
  set_reg(vcpu, kLvtTimer, 0x44);
  set_reg(vcpu, kTmict, 1000);
  EXPECT_FALSE(irr(lapic(vcpu), 0x44));
  fake::advance_time(1000);
  // The expiry is a request the vCPU handles before its next entry (the
  // fake backend then fails the entry itself).
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_RUN), -EIO);
  EXPECT_TRUE(irr(lapic(vcpu), 0x44));  // RFLAGS.IF is clear: not injected
}

}  // namespace

namespace {

TEST_F(IrqchipTest, X2apicApiIdFormat) {
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_X2APIC_API), 3);
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long vcpu = add_vcpu(2);
  set_x2apic_cpuid(vcpu);
  set_msr(vcpu, kvmpp::x86::msr::kApicBase, 0xfee00000 | (3u << 10));
  // Legacy format: the x2APIC ID in bits 31:24, and read-only.
  EXPECT_EQ(reg(lapic(vcpu), 0x20), 2u << 24);
  set_reg(vcpu, 0x20, 7u << 24);
  EXPECT_EQ(reg(lapic(vcpu), 0x20), 2u << 24);
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_X2APIC_API;
  cap.args[0] = 4;
  EXPECT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), -EINVAL);
  cap.args[0] = KVM_X2APIC_API_USE_32BIT_IDS;
  ASSERT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), 0);
  kvm_lapic_state s = lapic(vcpu);
  EXPECT_EQ(reg(s, 0x20), 2u);
  uint32_t other = 3;
  memcpy(&s.regs[0x20], &other, 4);
  EXPECT_EQ(vcpu_ioctl(vcpu, KVM_SET_LAPIC, ptr(&s)), -EINVAL);
}

}  // namespace

namespace {

// IA32_TSC_DEADLINE: armed only in TSC-deadline mode, in the guest's TSC,
// fires on the host timer, reads 0 afterwards; a past deadline fires at once.
TEST_F(IrqchipTest, TscDeadlineTimer) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long v = add_vcpu(0);
  auto& vcpu = *static_cast<kvmpp::Vcpu*>(object(v));
  set_reg(v, kSvr, 0x1ff);
  std::vector<uint64_t> mem(64);
  auto* c = reinterpret_cast<kvm_cpuid2*>(mem.data());
  c->nent = 1;
  c->entries[0].function = 1;
  c->entries[0].ecx = 1u << 24;  // TSC-deadline timer
  ASSERT_EQ(vcpu_ioctl(v, KVM_SET_CPUID2, ptr(c)), 0);
  constexpr uint32_t kDeadline = 0x6e0;
  uint64_t now_tsc = 0;
  ASSERT_TRUE(kvmpp::x86::get_msr(vcpu, 0x10, &now_tsc, true).ok());
  // One-shot mode: the write is ignored.
  set_msr(v, kDeadline, now_tsc + 1000);
  uint64_t d = 1;
  ASSERT_TRUE(kvmpp::x86::get_msr(vcpu, kDeadline, &d, true).ok());
  EXPECT_EQ(d, 0u);
  set_reg(v, kLvtTimer, 0x40 | (2u << 17));  // TSC-deadline mode, vector 0x40
  // 2 ms ahead at the fake host's 2 GHz.
  set_msr(v, kDeadline, now_tsc + 4000000);
  ASSERT_TRUE(kvmpp::x86::get_msr(vcpu, kDeadline, &d, true).ok());
  EXPECT_EQ(d, now_tsc + 4000000);
  fake::advance_time(1000000);
  kvmpp::x86::apic_service_timer(vcpu);
  EXPECT_FALSE(irr(lapic(v), 0x40));
  fake::advance_time(1000001);
  kvmpp::x86::apic_service_timer(vcpu);
  EXPECT_TRUE(irr(lapic(v), 0x40));
  ASSERT_TRUE(kvmpp::x86::get_msr(vcpu, kDeadline, &d, true).ok());
  EXPECT_EQ(d, 0u);  // cleared when it fired
  // Zero disarms; a deadline in the past fires at once.
  set_msr(v, kDeadline, 0);
  set_reg(v, kLvtTimer, 0x41 | (2u << 17));
  set_msr(v, kDeadline, 1);
  kvmpp::x86::apic_service_timer(vcpu);
  EXPECT_TRUE(irr(lapic(v), 0x41));
  EXPECT_EQ(dev(KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER), 1);
}

TEST_F(IrqchipTest, TscDeadlineWithoutApicReadsZero) {
  long v = add_vcpu(0);
  auto& vcpu = *static_cast<kvmpp::Vcpu*>(object(v));
  set_msr(v, 0x6e0, 12345);  // ignored, as upstream
  uint64_t d = 1;
  ASSERT_TRUE(kvmpp::x86::get_msr(vcpu, 0x6e0, &d, true).ok());
  EXPECT_EQ(d, 0u);
}

}  // namespace

namespace {

// As stock (KVM_X86_QUIRK_LINT0_REENABLED, which is not offered for
// disabling): the bootstrap processor's LINT0 starts in ExtINT mode, the
// others' masked.
TEST_F(IrqchipTest, BspResetsToVirtualWire) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long bsp = add_vcpu(0), ap = add_vcpu(1);
  EXPECT_EQ(reg(lapic(bsp), 0x350), 0x700u);
  EXPECT_EQ(reg(lapic(ap), 0x350), 0x10000u);
}

}  // namespace

namespace {

// IA32_APIC_BASE through KVM_GET/SET_MSRS.
class ApicBaseTest : public IrqchipTest {
 protected:
  uint64_t get_apic_base(long vcpu) {
    std::vector<uint64_t> mem(8);
    auto* m = reinterpret_cast<kvm_msrs*>(mem.data());
    m->nmsrs = 1;
    m->entries[0].index = kvmpp::x86::msr::kApicBase;
    EXPECT_EQ(vcpu_ioctl(vcpu, KVM_GET_MSRS, ptr(m)), 1);
    return m->entries[0].data;
  }
  long try_set_apic_base(long vcpu, uint64_t value) {
    std::vector<uint64_t> mem(8);
    auto* m = reinterpret_cast<kvm_msrs*>(mem.data());
    m->nmsrs = 1;
    m->entries[0].index = kvmpp::x86::msr::kApicBase;
    m->entries[0].data = value;
    return vcpu_ioctl(vcpu, KVM_SET_MSRS, ptr(m));
  }
  // The base the APIC model itself decodes at.
  static uint64_t model_base(long vcpu) {
    auto* v = static_cast<kvmpp::Vcpu*>(object(vcpu));
    return kvmpp::x86::vcpu_apic(*v)->lapic.apic_base();
  }
};

// Moving the APIC to a page whose bus window cannot be had (no memory, or a
// bus the VMM filled with coalesced zones) fails and changes nothing (found
// by fuzz_lapic: the APIC had moved while IA32_APIC_BASE kept the old base).
TEST_F(ApicBaseTest, ApicBaseMoveThatFailsChangesNothing) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  long vcpu = add_vcpu(0);
  const uint64_t before = get_apic_base(vcpu);
  const uint64_t moved = 0xfed00000 | (before & 0xfff);
  // Each allocation of the move failing in turn: no change, until it works.
  long r = 0;
  for (long n = 1; n < 10 && r != 1; n++) {
    fake::fail_alloc_after(n);
    r = try_set_apic_base(vcpu, moved);
    fake::fail_alloc_after(0);
    if (r != 1) {
      EXPECT_EQ(get_apic_base(vcpu), before) << n;
      EXPECT_EQ(model_base(vcpu), before) << n;
    }
  }
  ASSERT_EQ(r, 1);
  ASSERT_EQ(try_set_apic_base(vcpu, before), 1);
  // The bus full: every zone a coalesced MMIO range.
  for (uint64_t addr = 0x10000000;; addr += 0x1000) {
    kvm_coalesced_mmio_zone z{addr, 8, {0}};
    if (vm_ioctl(vm_, KVM_REGISTER_COALESCED_MMIO, ptr(&z)) != 0) break;
  }
  EXPECT_EQ(try_set_apic_base(vcpu, moved), 0);
  EXPECT_EQ(get_apic_base(vcpu), before);
  EXPECT_EQ(model_base(vcpu), before);
  // The old page still answers: the APIC is where it was.
  set_reg(vcpu, kSvr, 0x1ff);
  EXPECT_EQ(reg(lapic(vcpu), kSvr), 0x1ffu);
}

// vCPU 300 in x2APIC mode has x2APIC ID 300, all 32 bits of it, and the
// logical ID that follows (found by fuzz_lapic: it had 300 & 0xff, vCPU
// 44's); KVM_SET_LAPIC cannot give it another logical ID.
TEST_F(IrqchipTest, X2apicIdIsTheWholeVcpuId) {
  ASSERT_EQ(vm_ioctl(vm_, KVM_CREATE_IRQCHIP), 0);
  kvm_enable_cap cap{};
  cap.cap = KVM_CAP_X2APIC_API;
  cap.args[0] = KVM_X2APIC_API_USE_32BIT_IDS;
  ASSERT_EQ(vm_ioctl(vm_, KVM_ENABLE_CAP, ptr(&cap)), 0);
  long vcpu = add_vcpu(300);
  set_x2apic_cpuid(vcpu);
  set_msr(vcpu, kvmpp::x86::msr::kApicBase, 0xfee00000 | (3u << 10));
  kvm_lapic_state s = lapic(vcpu);
  EXPECT_EQ(reg(s, 0x20), 300u);
  const uint32_t ldr = ((300u >> 4) << 16) | (1u << (300 & 0xf));
  EXPECT_EQ(reg(s, 0xd0), ldr);
  uint32_t bogus = 0x12345678;
  memcpy(&s.regs[0xd0], &bogus, 4);
  ASSERT_EQ(vcpu_ioctl(vcpu, KVM_SET_LAPIC, ptr(&s)), 0);
  EXPECT_EQ(reg(lapic(vcpu), 0xd0), ldr);
}

}  // namespace
