// SPDX-License-Identifier: GPL-2.0
// KVM_GET_SUPPORTED_CPUID: the host's CPUID (as the kernel sees it) reduced
// to what a guest of this implementation really gets. Features need either
// hardware that works unchanged under SVM with NPT, or emulation here; what
// needs a missing piece (in-kernel LAPIC, PMU, nested SVM, MSRs the
// backend does not switch) is left out.
#include <glue/glue.h>
#include <glue/x86.h>
#include <kvmpp/uaccess.hpp>
#include <kxx/scope_guard.hpp>

#include "../pv/pv.hpp"
#include "cpuid.hpp"

namespace kvmpp::x86 {
namespace {

template <typename... B>
constexpr uint32_t bits(B... b) {
  return ((1u << b) | ... | 0u);
}

// XSAVE components: x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM),
// and PKRU when the host uses protection keys (the run loop then switches
// PKRU). Not MPX, AMX (dynamic state the guest FPU buffer does not hold)
// or any supervisor state.
constexpr uint64_t kXcr0Ymm = 1ull << 2, kXcr0Avx512 = 7ull << 5, kXcr0Pkru = 1ull << 9;
constexpr uint64_t kSupportedXcr0 = 3 | kXcr0Ymm | kXcr0Avx512;

constexpr uint32_t kMaxBasicLeaf = 0x1f;
constexpr uint32_t kMaxExtLeaf = 0x80000021;
constexpr uint32_t kKvmMaxLeaf = 0x40000001;
constexpr unsigned kMaxSubleaves = 16;

// CPUID.1:ECX. Not MONITOR (MONITOR/MWAIT are refused), VMX, TSC-deadline
// (the in-kernel APIC timer has no TSC-deadline mode yet), OSXSAVE (follows
// CR4), the debug store, thermal and SMX features. x2APIC is the in-kernel
// local APIC's, whatever the host has (only with KVM_CREATE_IRQCHIP, as
// upstream: without it the MSRs #GP).
constexpr uint32_t k1Ecx = bits(0, 1, 9, 12, 13, 17, 19, 20, 22, 23, 25, 26, 28, 29, 30);
constexpr uint32_t k1EcxAvx = bits(12, 28, 29);  // FMA, AVX, F16C
constexpr uint32_t k1EcxHypervisor = bits(31);
// x2APIC. The TSC-deadline timer is emulated too, but as upstream it is left
// for the VMM to add (KVM_CAP_TSC_DEADLINE_TIMER says it may).
constexpr uint32_t k1EcxEmulated = bits(21);
// CPUID.1:EDX. MCE/MCA are the banks of msr/mce.cpp. Not PSN, DS, ACPI, HTT,
// TM, PBE.
constexpr uint32_t k1Edx =
    bits(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 23, 24, 25, 26, 27);
// CPUID.7.0:EBX. Not SGX, HLE/RTM, PQM/RDT, MPX, PT. TSC_ADJUST is emulated.
constexpr uint32_t k7Ebx =
    bits(0, 3, 5, 6, 7, 8, 9, 10, 13, 16, 17, 18, 19, 20, 21, 23, 24, 28, 29, 30, 31);
constexpr uint32_t k7EbxAvx = bits(5);
constexpr uint32_t k7EbxAvx512 = bits(16, 17, 21, 28, 30, 31);
constexpr uint32_t k7EbxEmulated = bits(1);
// CPUID.7.0:ECX. PKU only with PKRU in XCR0; not OSPKE (follows CR4),
// WAITPKG (no UMWAIT_CONTROL), CET, RDPID (TSC_AUX is not switched), KL,
// ENQCMD, SGX_LC, PKS.
constexpr uint32_t k7Ecx = bits(1, 2, 6, 8, 9, 10, 11, 12, 14, 16, 27, 28);
constexpr uint32_t k7EcxPku = bits(3);
constexpr uint32_t k7EcxAvx = bits(9, 10);
constexpr uint32_t k7EcxAvx512 = bits(1, 6, 11, 12, 14);
// CPUID.7.0:EDX. Not the speculation-control MSRs (not switched), TSX,
// AMX, hybrid or CET.
constexpr uint32_t k7Edx = bits(2, 3, 4, 8, 10, 14, 23);
constexpr uint32_t k7EdxAvx512 = bits(2, 3, 8, 23);
// CPUID.7.1:EAX: AVX-VNNI, AVX512-BF16, fast zero/short string ops, AVX-IFMA.
constexpr uint32_t k71Eax = bits(4, 5, 10, 11, 12, 23);
constexpr uint32_t k71EaxAvx = bits(4, 23);
constexpr uint32_t k71EaxAvx512 = bits(5);
// CPUID.0xD.1:EAX: XSAVEOPT, XSAVEC, XGETBV with ECX=1. Not XSAVES (no
// IA32_XSS) or XFD.
constexpr uint32_t kD1Eax = bits(0, 1, 2);
// CPUID.80000001:ECX. Not SVM (no nested), ExtApicSpace, OSVW, IBS, SKINIT,
// WDT, LWP, TCE, NodeId, the performance counters, MWAITX.
constexpr uint32_t k81Ecx = bits(0, 1, 4, 5, 6, 7, 8, 11, 16, 21, 22);
constexpr uint32_t k81EcxAvx = bits(11, 16);  // XOP, FMA4
// CPUID.80000001:EDX: the leaf 1 aliases, SYSCALL, NX, 1G pages, RDTSCP
// (intercepted and emulated with the guest's TSC_AUX), LM, 3DNow.
constexpr uint32_t k81Edx = bits(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 20, 22,
                                 23, 24, 25, 26, 27, 29, 30, 31);
constexpr uint32_t k87EdxInvariantTsc = bits(8);  // the TSC is the host's plus an offset
constexpr uint32_t k88Ebx = bits(0, 2, 9);        // CLZERO, XSAVEERPTR, WBNOINVD
constexpr uint32_t k821Eax = bits(0, 2, 6);       // NoNestedDataBp, LFENCE serializing, NullSelClr

// Leaves whose subleaves differ (entries carry KVM_CPUID_FLAG_SIGNIFCANT_INDEX).
bool indexed(uint32_t leaf) {
  switch (leaf) {
    case 0x4:
    case 0x7:
    case 0xb:
    case 0xd:
    case 0xf:
    case 0x10:
    case 0x12:
    case 0x14:
    case 0x17:
    case 0x18:
    case 0x1d:
    case 0x1e:
    case 0x1f:
    case 0x20:
    case 0x23:
    case 0x24:
    case 0x8000001d:
    case 0x80000020:
    case 0x80000026: return true;
    default: return false;
  }
}

// Fills the output array; remembers when it ran out of room.
struct Builder {
  kvm_cpuid_entry2* out;
  unsigned max;
  unsigned n = 0;
  bool full = false;
  uint64_t xcr0 = supported_xcr0();

  kvm_cpuid_entry2* add(uint32_t leaf, uint32_t index, CpuidRegs r) {
    if (n == max) {
      full = true;
      return nullptr;
    }
    kvm_cpuid_entry2& e = out[n++];
    e = {.function = leaf, .index = index, .eax = r.eax, .ebx = r.ebx, .ecx = r.ecx, .edx = r.edx};
    if (indexed(leaf)) e.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    return &e;
  }
  bool avx() const { return xcr0 & kXcr0Ymm; }
  bool avx512() const { return (xcr0 & kXcr0Avx512) == kXcr0Avx512; }
  // Keep the @keep bits of @reg, without those of missing XSAVE state.
  uint32_t keep(uint32_t reg, uint32_t keep, uint32_t avx_bits, uint32_t avx512_bits) const {
    if (!avx()) keep &= ~avx_bits;
    if (!avx512()) keep &= ~avx512_bits;
    return reg & keep;
  }
};

CpuidRegs host(uint32_t leaf, uint32_t index = 0) {
  uint32_t r[4];
  kvmg_x86_cpuid(leaf, index, r);
  return {r[0], r[1], r[2], r[3]};
}

// Subleaves 0, 1, ... up to and including the first one @last says ends
// the list (the terminator tells the guest the list ended).
void add_subleaves(Builder& b, uint32_t leaf, bool (*last)(CpuidRegs)) {
  for (uint32_t i = 0; i < kMaxSubleaves; i++) {
    CpuidRegs r = host(leaf, i);
    b.add(leaf, i, r);
    if (last(r)) break;
  }
}

void add_xsave(Builder& b) {
  if (!b.xcr0) {
    b.add(0xd, 0, {});
    return;
  }
  kvm_cpuid_entry2* e0 = b.add(0xd, 0, {uint32_t(b.xcr0), 0, 0, uint32_t(b.xcr0 >> 32)});
  CpuidRegs h1 = host(0xd, 1);
  kvm_cpuid_entry2* e1 = b.add(0xd, 1, {h1.eax & kD1Eax, 0, 0, 0});
  unsigned first = b.n;
  for (unsigned i = 2; i < 64; i++) {
    if (!(b.xcr0 & (1ull << i))) continue;
    CpuidRegs h = host(0xd, i);
    b.add(0xd, i, {h.eax, h.ebx, h.ecx & 2, 0});  // user state; 64-byte alignment
  }
  if (!e0 || !e1 || b.full) return;
  CpuidView comps{b.out + first, b.n - first};
  e0->ebx = e0->ecx = cpuid_xsave_size(comps, b.xcr0, false);
  if (e1->eax & bits(1)) e1->ebx = cpuid_xsave_size(comps, b.xcr0, true);
}

bool cache_list_end(CpuidRegs r) { return (r.eax & 0x1f) == 0; }       // type 0: no cache
bool topology_list_end(CpuidRegs r) { return (r.ecx & 0xff00) == 0; }  // level type 0

// Leaf 1: family/model/stepping, CLFLUSH size and brand index; the APIC ID
// and logical-CPU count are the VMM's to fill in.
CpuidRegs leaf1(const Builder& b, CpuidRegs h) {
  uint32_t ecx = b.keep(h.ecx, k1Ecx, k1EcxAvx, 0) | k1EcxHypervisor | k1EcxEmulated;
  if (!b.xcr0) ecx &= ~bits(cpuid_bit::kXsave.bit);
  return {h.eax, h.ebx & 0xffff, ecx, h.edx & k1Edx};
}

void add_leaf7(Builder& b, CpuidRegs h) {
  uint32_t subleaves = kxx::min(h.eax, 1u);
  uint32_t ecx = b.keep(h.ecx, k7Ecx, k7EcxAvx, k7EcxAvx512);
  if (b.xcr0 & kXcr0Pkru) ecx |= h.ecx & k7EcxPku;
  b.add(7, 0,
        {subleaves, b.keep(h.ebx, k7Ebx, k7EbxAvx, k7EbxAvx512) | k7EbxEmulated, ecx,
         b.keep(h.edx, k7Edx, 0, k7EdxAvx512)});
  if (subleaves >= 1) b.add(7, 1, {b.keep(host(7, 1).eax, k71Eax, k71EaxAvx, k71EaxAvx512)});
}

void add_basic(Builder& b, uint32_t leaf) {
  CpuidRegs h = host(leaf);
  switch (leaf) {
    case 0x0: b.add(leaf, 0, h); break;  // EAX capped by the caller
    case 0x1: b.add(leaf, 0, leaf1(b, h)); break;
    case 0x2: b.add(leaf, 0, h); break;  // cache descriptors
    case 0x4: add_subleaves(b, leaf, cache_list_end); break;
    case 0x7: add_leaf7(b, h); break;
    case 0xb:
    case 0x1f: add_subleaves(b, leaf, topology_list_end); break;
    case 0xd: add_xsave(b); break;
    // Power management, PMU (0xA), RDT, SGX, PT, AMX, ...: not offered.
    default: b.add(leaf, 0, {}); break;
  }
}

void add_extended(Builder& b, uint32_t leaf) {
  CpuidRegs h = host(leaf);
  switch (leaf) {
    case 0x80000000: b.add(leaf, 0, h); break;  // EAX capped by the caller
    case 0x80000001:
      b.add(leaf, 0, {h.eax, h.ebx, b.keep(h.ecx, k81Ecx, k81EcxAvx, 0), h.edx & k81Edx});
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004:                            // brand string
    case 0x80000005:                            // L1 caches and TLBs
    case 0x80000006: b.add(leaf, 0, h); break;  // L2/L3 caches and TLBs
    case 0x80000007: b.add(leaf, 0, {0, 0, 0, h.edx & k87EdxInvariantTsc}); break;
    // Physical and linear address widths; no guest-physical override.
    case 0x80000008: b.add(leaf, 0, {h.eax & 0xffff, h.ebx & k88Ebx, 0, 0}); break;
    case 0x8000001d: add_subleaves(b, leaf, cache_list_end); break;
    case 0x80000021: b.add(leaf, 0, {h.eax & k821Eax, 0, 0, 0}); break;
    // SVM (0x8000000A), topology (0x8000001E, the VMM's), SME/SEV, ...
    default: b.add(leaf, 0, {}); break;
  }
}

}  // namespace

uint64_t supported_xcr0() {
  uint64_t mask = kSupportedXcr0 | (kvmg_x86_host_has_pku() ? kXcr0Pkru : 0);
  return kvmg_x86_host_xcr0() & mask;
}

kxx::Result<unsigned> build_supported_cpuid(kvm_cpuid_entry2* out, unsigned max) {
  Builder b{out, max};
  uint32_t max_basic = kxx::min(host(0).eax, kMaxBasicLeaf);
  for (uint32_t leaf = 0; leaf <= max_basic; leaf++) add_basic(b, leaf);
  if (b.n) out[0].eax = max_basic;

  // KVM's paravirtual leaves: the signature, and the features implemented
  // (pv/msr.cpp).
  constexpr uint32_t kKvmk = 0x4b4d564b, kVmkv = 0x564b4d56, kM = 0x4d;  // "KVMKVMKVM\0\0\0"
  b.add(0x40000000, 0, {kKvmMaxLeaf, kKvmk, kVmkv, kM});
  b.add(0x40000001, 0, {pv_supported_features(), 0, 0, 0});

  uint32_t max_ext = kxx::min(host(0x80000000).eax, kMaxExtLeaf);
  if (max_ext < 0x80000000) max_ext = 0x80000000;
  unsigned ext0 = b.n;
  for (uint32_t leaf = 0x80000000; leaf <= max_ext; leaf++) add_extended(b, leaf);
  if (!b.full) out[ext0].eax = max_ext;
  if (b.full) return kxx::Errno::kTooBig;
  return b.n;
}

kxx::Status get_supported_cpuid(unsigned long uarg) {
  auto head = TRY(copy_from_user<kvm_cpuid2>(uarg));
  if (head.nent < 1) return kxx::Errno::kTooBig;
  // More room than any table needs is fine: nent says how much was used.
  unsigned max = kxx::min<unsigned>(head.nent, KVM_MAX_CPUID_ENTRIES);
  auto* e =
      static_cast<kvm_cpuid_entry2*>(kvmg_alloc(max * sizeof(kvm_cpuid_entry2), KVMG_ALLOC_ZERO));
  if (!e) return kxx::Errno::kNoMem;
  auto free_e = kxx::defer([e] { kvmg_free(e); });
  head.nent = TRY(build_supported_cpuid(e, max));
  if (kvmg_copy_to_user(uarg + sizeof(head), e, head.nent * sizeof(*e))) return kxx::Errno::kFault;
  return copy_to_user(uarg, head);
}

}  // namespace kvmpp::x86
