// SPDX-License-Identifier: GPL-2.0
// Which control-register bits a vCPU may set, given its CPUID (SDM vol. 3A,
// "CR4" and the CPUID feature flags that enumerate each bit).
#include <glue/glue.h>

#include "../cpuid/cpuid.hpp"
#include "../x86.hpp"
#include "state.hpp"

namespace kvmpp::x86 {
namespace {

struct Cr4Feature {
  uint64_t bit;
  CpuidBit cpuid;
};

// CR4 bits that exist only when CPUID enumerates their feature.
constexpr Cr4Feature kCr4Features[] = {
    {1ull << 11, {7, 0, CpuidReg::kEcx, 2}},   // UMIP
    {1ull << 12, {7, 0, CpuidReg::kEcx, 16}},  // LA57
    {1ull << 13, {1, 0, CpuidReg::kEcx, 5}},   // VMXE
    {1ull << 16, {7, 0, CpuidReg::kEbx, 0}},   // FSGSBASE
    {1ull << 17, {1, 0, CpuidReg::kEcx, 17}},  // PCIDE
    {1ull << 18, {1, 0, CpuidReg::kEcx, 26}},  // OSXSAVE (XSAVE)
    {1ull << 20, {7, 0, CpuidReg::kEbx, 7}},   // SMEP
    {1ull << 21, {7, 0, CpuidReg::kEbx, 20}},  // SMAP
    {1ull << 22, {7, 0, CpuidReg::kEcx, 3}},   // PKE (PKU)
};

// Bits no vCPU may set here: undefined ones, SMXE (no SMX), and features
// this implementation does not virtualize (KL, CET, PKS, UINTR, LAM).
constexpr uint64_t kCr4AlwaysReserved =
    ~((1ull << 23) - 1) | (1ull << 14) | (1ull << 15) | (1ull << 19) | (1ull << 23);

uint64_t reserved_for(CpuidView cpuid) {
  uint64_t reserved = kCr4AlwaysReserved;
  for (const Cr4Feature& f : kCr4Features)
    if (!cpuid.has(f.cpuid)) reserved |= f.bit;
  return reserved;
}

}  // namespace

uint64_t cr4_reserved_bits(Vcpu& vcpu) {
  CpuidView cpuid = guest_cpuid(vcpu);
  if (cpuid.nent) return reserved_for(cpuid);
  // Before KVM_SET_CPUID2 defines the vCPU model, every bit of a feature
  // this implementation supports may be set (as upstream, and as the
  // upstream set_sregs_test checks).
  constexpr unsigned kMax = KVM_MAX_CPUID_ENTRIES;
  auto* table = static_cast<kvm_cpuid_entry2*>(kvmg_alloc(kMax * sizeof(kvm_cpuid_entry2), 0));
  if (!table) return reserved_for(cpuid);  // out of memory: the strict answer
  auto n = build_supported_cpuid(table, kMax);
  uint64_t reserved = reserved_for(n.ok() ? CpuidView{table, n.value()} : cpuid);
  kvmg_free(table);
  return reserved;
}

}  // namespace kvmpp::x86
