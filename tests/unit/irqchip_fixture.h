// SPDX-License-Identifier: GPL-2.0
// A VM fixture for tests of the in-kernel irqchip: vCPUs, local APIC
// registers through KVM_GET/SET_LAPIC, MSRs and an x2APIC-capable CPUID.
#pragma once

#include <cstring>
#include <vector>

#include "core_fixture.h"

namespace {

constexpr uint32_t kSvr = 0xf0, kIrr = 0x200, kLvtTimer = 0x320, kTmict = 0x380, kTdcr = 0x3e0;

class IrqchipTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    vm_ = create_vm();
  }
  long add_vcpu(unsigned id) {
    long fd = vm_ioctl(vm_, KVM_CREATE_VCPU, id);
    EXPECT_GE(fd, 0);
    return fd;
  }
  kvm_lapic_state lapic(long vcpu) {
    kvm_lapic_state s{};
    EXPECT_EQ(vcpu_ioctl(vcpu, KVM_GET_LAPIC, ptr(&s)), 0);
    return s;
  }
  static uint32_t reg(const kvm_lapic_state& s, uint32_t off) {
    uint32_t v;
    memcpy(&v, &s.regs[off], 4);
    return v;
  }
  void set_reg(long vcpu, uint32_t off, uint32_t v) {
    kvm_lapic_state s = lapic(vcpu);
    memcpy(&s.regs[off], &v, 4);
    ASSERT_EQ(vcpu_ioctl(vcpu, KVM_SET_LAPIC, ptr(&s)), 0);
  }
  static bool irr(const kvm_lapic_state& s, uint8_t v) {
    return reg(s, kIrr + (v >> 5) * 0x10) & (1u << (v & 31));
  }
  void set_msr(long vcpu, uint32_t index, uint64_t value) {
    std::vector<uint64_t> mem(8);
    auto* m = reinterpret_cast<kvm_msrs*>(mem.data());
    m->nmsrs = 1;
    m->entries[0].index = index;
    m->entries[0].data = value;
    ASSERT_EQ(vcpu_ioctl(vcpu, KVM_SET_MSRS, ptr(m)), 1);
  }
  // A CPUID table with x2APIC, so that the APIC can be switched to it.
  void set_x2apic_cpuid(long vcpu) {
    std::vector<uint64_t> mem(64);
    auto* c = reinterpret_cast<kvm_cpuid2*>(mem.data());
    c->nent = 1;
    c->entries[0].function = 1;
    c->entries[0].ecx = 1u << 21;
    ASSERT_EQ(vcpu_ioctl(vcpu, KVM_SET_CPUID2, ptr(c)), 0);
  }
  long vm_ = -1;
};

}  // namespace
