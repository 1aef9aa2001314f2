// SPDX-License-Identifier: GPL-2.0
// A VM with one vCPU and helpers for its MSRs: the guest's RDMSR/WRMSR, the
// VMM's KVM_GET/SET_MSRS, and KVM_SET_CPUID2 tables.
#pragma once

#include <arch/x86/kvm/msr/msr.hpp>
#include <virt/kvm/vcpu.hpp>

#include <cstring>
#include <vector>

#include "core_fixture.h"

namespace msr = kvmpp::x86::msr;
using kvmpp::x86::get_msr;
using kvmpp::x86::set_msr;

// A kvm_msrs (or kvm_msr_list) with room for @n entries.
template <typename Head, typename Entry>
class Batch {
 public:
  explicit Batch(unsigned n) : mem_((sizeof(Head) + n * sizeof(Entry) + 7) / 8 + 1) {
    head()->nmsrs = n;
  }
  Head* head() { return reinterpret_cast<Head*>(mem_.data()); }
  unsigned long arg() { return reinterpret_cast<unsigned long>(mem_.data()); }

 private:
  std::vector<uint64_t> mem_;
};
using Msrs = Batch<kvm_msrs, kvm_msr_entry>;
using MsrList = Batch<kvm_msr_list, uint32_t>;

constexpr uint64_t kMhz2000 = 2000000;  // the fake host's TSC, in kHz

class MsrTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    vm_ = create_vm();
    fd_ = vm_ioctl(vm_, KVM_CREATE_VCPU, 0);
  }
  kvmpp::Vcpu& vcpu(long fd = -1) { return *static_cast<kvmpp::Vcpu*>(object(fd < 0 ? fd_ : fd)); }
  // The guest's RDMSR/WRMSR (true: no #GP).
  bool guest_read(uint32_t index, uint64_t* v) { return get_msr(vcpu(), index, v, false).ok(); }
  bool guest_write(uint32_t index, uint64_t v) { return set_msr(vcpu(), index, v, false).ok(); }
  uint64_t guest_value(uint32_t index) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(guest_read(index, &v)) << std::hex << index;
    return v;
  }
  // KVM_SET_MSRS / KVM_GET_MSRS of one MSR.
  long host_write(uint32_t index, uint64_t v, long fd = -1) {
    Msrs m(1);
    m.head()->entries[0] = {index, 0, v};
    return vcpu_ioctl(fd < 0 ? fd_ : fd, KVM_SET_MSRS, m.arg());
  }
  uint64_t host_read(uint32_t index, long fd = -1) {
    Msrs m(1);
    m.head()->entries[0] = {index, 0, 0};
    EXPECT_EQ(vcpu_ioctl(fd < 0 ? fd_ : fd, KVM_GET_MSRS, m.arg()), 1) << std::hex << index;
    return m.head()->entries[0].data;
  }
  // A CPUID table with @entries (the vendor is AMD unless @intel).
  void set_cpuid(std::vector<kvm_cpuid_entry2> entries, bool intel = false) {
    kvm_cpuid_entry2 vendor{};
    vendor.ebx = intel ? 0x756e6547 : 0x68747541;
    vendor.edx = intel ? 0x49656e69 : 0x69746e65;
    vendor.ecx = intel ? 0x6c65746e : 0x444d4163;
    entries.insert(entries.begin(), vendor);
    std::vector<uint64_t> mem(1 + entries.size() * sizeof(kvm_cpuid_entry2) / 8);
    auto* c = reinterpret_cast<kvm_cpuid2*>(mem.data());
    c->nent = unsigned(entries.size());
    memcpy(c->entries, entries.data(), entries.size() * sizeof(kvm_cpuid_entry2));
    ASSERT_EQ(vcpu_ioctl(fd_, KVM_SET_CPUID2, ptr(c)), 0);
  }
  static kvm_cpuid_entry2 leaf(uint32_t fn, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    kvm_cpuid_entry2 e{};
    e.function = fn;
    e.eax = a;
    e.ebx = b;
    e.ecx = c;
    e.edx = d;
    return e;
  }
  long vm_ = -1, fd_ = -1;
};
