// SPDX-License-Identifier: GPL-2.0
// CPUID for guests: the vCPU's table (KVM_SET_CPUID2), the answers the CPUID
// instruction gets from it, XCR0 rules, and the table this implementation
// offers (KVM_GET_SUPPORTED_CPUID). The table logic works on plain arrays of
// kvm_cpuid_entry2 so that it is testable without a vCPU.
#pragma once

#include "../x86.hpp"

namespace kvmpp::x86 {

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// One feature bit: CPUID.(leaf, index).reg[bit].
enum class CpuidReg : uint8_t { kEax, kEbx, kEcx, kEdx };
struct CpuidBit {
  uint32_t leaf;
  uint32_t index;
  CpuidReg reg;
  uint8_t bit;
};

namespace cpuid_bit {
inline constexpr CpuidBit kX2apic{1, 0, CpuidReg::kEcx, 21};
inline constexpr CpuidBit kTscDeadline{1, 0, CpuidReg::kEcx, 24};
inline constexpr CpuidBit kXsave{1, 0, CpuidReg::kEcx, 26};
inline constexpr CpuidBit kOsxsave{1, 0, CpuidReg::kEcx, 27};
inline constexpr CpuidBit kHypervisor{1, 0, CpuidReg::kEcx, 31};
inline constexpr CpuidBit kApic{1, 0, CpuidReg::kEdx, 9};
inline constexpr CpuidBit kMtrr{1, 0, CpuidReg::kEdx, 12};
inline constexpr CpuidBit kTscAdjust{7, 0, CpuidReg::kEbx, 1};
inline constexpr CpuidBit kOspke{7, 0, CpuidReg::kEcx, 4};
inline constexpr CpuidBit kRdpid{7, 0, CpuidReg::kEcx, 22};
inline constexpr CpuidBit kSyscall{0x80000001, 0, CpuidReg::kEdx, 11};
inline constexpr CpuidBit kNx{0x80000001, 0, CpuidReg::kEdx, 20};
inline constexpr CpuidBit kFxsrOpt{0x80000001, 0, CpuidReg::kEdx, 25};
inline constexpr CpuidBit kRdtscp{0x80000001, 0, CpuidReg::kEdx, 27};
inline constexpr CpuidBit kLm{0x80000001, 0, CpuidReg::kEdx, 29};
}  // namespace cpuid_bit

inline uint32_t cpuid_reg(const kvm_cpuid_entry2& e, CpuidReg r) {
  switch (r) {
    case CpuidReg::kEax: return e.eax;
    case CpuidReg::kEbx: return e.ebx;
    case CpuidReg::kEcx: return e.ecx;
    default: return e.edx;
  }
}

// A CPUID table (not owned).
struct CpuidView {
  const kvm_cpuid_entry2* entries = nullptr;
  unsigned nent = 0;

  // The entry CPUID.(fn, index) reads: same function, and the same index
  // when the entry says its index is significant.
  const kvm_cpuid_entry2* find(uint32_t fn, uint32_t index) const;
  bool has(const CpuidBit& b) const;
  // The first leaf says AuthenticAMD or HygonGenuine.
  bool vendor_amd() const;
};

// The vCPU state some CPUID bits follow (SDM "CPUID": OSXSAVE mirrors
// CR4.OSXSAVE, the XSAVE area size follows XCR0; APIC mirrors APIC_BASE.EN).
struct CpuidDynamic {
  uint64_t cr4 = 0;
  uint64_t xcr0 = 1;
  uint64_t apic_base = 0;
};
void cpuid_update_dynamic(kvm_cpuid_entry2& e, CpuidView table, const CpuidDynamic& d);

// What CPUID.(fn, index) returns in a guest with @table (upstream KVM's
// documented behaviour): the matching entry; for a leaf above its class's
// maximum, the highest basic leaf (Intel behaviour, not for AMD/Hygon
// vendors); for an absent subleaf of 0xB/0x1F, ECX[7:0] = index and EDX the
// x2APIC ID; else zeros.
CpuidRegs cpuid_answer(CpuidView table, uint32_t fn, uint32_t index, const CpuidDynamic& d);

// The size of an XSAVE area holding @features (standard or compacted
// format), from the table's leaf 0xD subleaves.
uint32_t cpuid_xsave_size(CpuidView table, uint64_t features, bool compacted);

// The checks KVM_SET_CPUID2 makes (-EINVAL).
kxx::Status cpuid_validate(CpuidView table);
// MAXPHYADDR the table enumerates (36 without leaf 0x80000008).
unsigned cpuid_maxphyaddr(CpuidView table);
// The XCR0 bits a guest with @table may set: x87, and what leaf 0xD
// enumerates and this host supports.
uint64_t cpuid_allowed_xcr0(CpuidView table);
// XCR0 consistency (SDM vol. 1, "Enabling the XSAVE Feature Set"): x87 set,
// AVX needs SSE, AVX-512 state all or nothing and with AVX, MPX and AMX
// components in pairs, nothing outside @allowed.
bool xcr0_valid(uint64_t xcr0, uint64_t allowed);

// What this implementation can give guests (cpuid/supported.cpp).
// XSAVE components: the host's, limited to what the kernel's FPU code
// switches for guests and the x86 layer supports.
uint64_t supported_xcr0();
// KVM_GET_SUPPORTED_CPUID's table into @out (room for @max entries): the
// number of entries, or -E2BIG.
kxx::Result<unsigned> build_supported_cpuid(kvm_cpuid_entry2* out, unsigned max);
kxx::Status get_supported_cpuid(unsigned long uarg);

// The vCPU's table (cpuid/cpuid.cpp).
CpuidView guest_cpuid(Vcpu& vcpu);
inline bool guest_has(Vcpu& vcpu, const CpuidBit& b) { return guest_cpuid(vcpu).has(b); }
CpuidDynamic cpuid_dynamic(Vcpu& vcpu);
CpuidRegs emulate_cpuid(Vcpu& vcpu, uint32_t fn, uint32_t index);
kxx::Status set_cpuid(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_cpuid2(Vcpu& vcpu, unsigned long uarg);
kxx::Status get_cpuid2(Vcpu& vcpu, unsigned long uarg);
void free_cpuid(Vcpu& vcpu);

}  // namespace kvmpp::x86
