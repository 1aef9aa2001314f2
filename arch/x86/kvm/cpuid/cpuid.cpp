// SPDX-License-Identifier: GPL-2.0
// The vCPU's CPUID table: KVM_SET_CPUID, KVM_SET_CPUID2 and KVM_GET_CPUID2,
// and the answers of the CPUID instruction (api.rst, "KVM_SET_CPUID2"; SDM
// vol. 2A, "CPUID").
#include "cpuid.hpp"
#include "../pv/pv.hpp"

#include <glue/glue.h>
#include <kvmpp/uaccess.hpp>
#include <kxx/scope_guard.hpp>

namespace kvmpp::x86 {
namespace {

// CPUID.0 vendor strings in EBX, EDX, ECX order.
constexpr uint32_t kAmd[3] = {0x68747541, 0x69746e65, 0x444d4163};    // AuthenticAMD
constexpr uint32_t kHygon[3] = {0x6f677948, 0x6e65476e, 0x656e6975};  // HygonGenuine

constexpr uint64_t kCr4Pke = 1ull << 22;
constexpr uint64_t kApicBaseEnable = 1ull << 11;
constexpr uint64_t kXfeatureFp = 1, kXfeatureSse = 2, kXfeatureYmm = 4;
constexpr uint64_t kXfeatureMpx = 3ull << 3, kXfeatureAvx512 = 7ull << 5;
constexpr uint64_t kXfeatureAmx = 3ull << 17;
constexpr uint32_t kXsaveLegacyAndHeader = 512 + 64;

void set_bit(uint32_t& reg, unsigned bit, bool on) {
  reg = on ? reg | (1u << bit) : reg & ~(1u << bit);
}

// The entry whose values an out-of-range leaf returns (see cpuid_answer),
// and its leaf in *fn; nullptr when the leaf is in range or the vendor is
// AMD-compatible.
const kvm_cpuid_entry2* out_of_range_entry(CpuidView t, uint32_t* fn, uint32_t index) {
  const kvm_cpuid_entry2* basic = t.find(0, 0);
  if (!basic || t.vendor_amd()) return nullptr;
  uint32_t f = *fn, class_leaf;
  if (f >= 0x40000000 && f <= 0x4fffffff)
    class_leaf = f & 0xffffff00;
  else if (f >= 0xc0000000)
    class_leaf = 0xc0000000;
  else
    class_leaf = f & 0x80000000;
  const kvm_cpuid_entry2* cls = t.find(class_leaf, 0);
  if (cls && f <= cls->eax) return nullptr;
  *fn = basic->eax;
  return t.find(basic->eax, index);
}

bool same_entry(kvm_cpuid_entry2 a, CpuidView ta, kvm_cpuid_entry2 b, CpuidView tb,
                const CpuidDynamic& d) {
  cpuid_update_dynamic(a, ta, d);
  cpuid_update_dynamic(b, tb, d);
  return a.function == b.function && a.index == b.index && a.flags == b.flags && a.eax == b.eax &&
         a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx;
}

// Install @e (@n entries, owned) as the vCPU's table.
kxx::Status install(Vcpu& vcpu, kvm_cpuid_entry2* e, unsigned n) {
  auto free_new = kxx::defer([e] { kvmg_free(e); });
  VcpuState& st = vcpu.arch();
  pv_adjust_cpuid(vcpu.vm(), e, n);
  CpuidView next{e, n}, cur = guest_cpuid(vcpu);
  // A running guest's CPU model cannot change (its MMU state, MAXPHYADDR
  // and features were derived from it), but setting the same one again is
  // allowed, as upstream: VMMs do so when they reuse a vCPU for hotplug.
  if (st.last_cpu != arch::kNoCpu) {
    if (n != cur.nent) return kxx::Errno::kBusy;
    CpuidDynamic d = cpuid_dynamic(vcpu);
    for (unsigned i = 0; i < n; i++)
      if (!same_entry(e[i], next, cur.entries[i], cur, d)) return kxx::Errno::kBusy;
    return kxx::OkStatus();
  }
  TRY_STATUS(cpuid_validate(next));
  kvmg_free(st.cpuid);
  st.cpuid = e;
  st.cpuid_nent = n;
  free_new.dismiss();
  pv_cpuid_changed(vcpu);
  return kxx::OkStatus();
}

kvm_cpuid_entry2* alloc_entries(unsigned n) {
  return static_cast<kvm_cpuid_entry2*>(kvmg_alloc(n * sizeof(kvm_cpuid_entry2), KVMG_ALLOC_ZERO));
}

}  // namespace

// Leaf 0xD subleaf i: size in EAX, offset in EBX, 64-byte alignment in
// ECX[1] (SDM "CPUID": "Processor Extended State Enumeration").
uint32_t cpuid_xsave_size(CpuidView t, uint64_t features, bool compacted) {
  uint32_t size = kXsaveLegacyAndHeader;
  for (unsigned i = 2; i < 64; i++) {
    if (!(features & (1ull << i))) continue;
    const kvm_cpuid_entry2* e = t.find(0xd, i);
    if (!e) continue;
    if (!compacted) {
      size = kxx::max(size, e->ebx + e->eax);
      continue;
    }
    if (e->ecx & 2) size = (size + 63) & ~63u;
    size += e->eax;
  }
  return size;
}

const kvm_cpuid_entry2* CpuidView::find(uint32_t fn, uint32_t index) const {
  for (unsigned i = 0; i < nent; i++) {
    const kvm_cpuid_entry2& e = entries[i];
    if (e.function != fn) continue;
    if (!(e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e.index == index) return &e;
  }
  return nullptr;
}

bool CpuidView::has(const CpuidBit& b) const {
  const kvm_cpuid_entry2* e = find(b.leaf, b.index);
  return e && (cpuid_reg(*e, b.reg) >> b.bit) & 1;
}

bool CpuidView::vendor_amd() const {
  const kvm_cpuid_entry2* e = find(0, 0);
  if (!e) return false;
  auto is = [e](const uint32_t(&v)[3]) {
    return e->ebx == v[0] && e->edx == v[1] && e->ecx == v[2];
  };
  return is(kAmd) || is(kHygon);
}

void cpuid_update_dynamic(kvm_cpuid_entry2& e, CpuidView t, const CpuidDynamic& d) {
  switch (e.function) {
    case 1:
      set_bit(e.ecx, cpuid_bit::kOsxsave.bit, d.cr4 & kCr4Osxsave);
      set_bit(e.edx, cpuid_bit::kApic.bit, d.apic_base & kApicBaseEnable);
      break;
    case 7:
      if (e.index == 0) set_bit(e.ecx, cpuid_bit::kOspke.bit, d.cr4 & kCr4Pke);
      break;
    case 0xd:
      // EBX: the XSAVE area size for what XCR0 enables now (compacted
      // form for subleaf 1 when XSAVEC or XSAVES exists; no IA32_XSS bits
      // are supported).
      if (e.index == 0) e.ebx = cpuid_xsave_size(t, d.xcr0, false);
      if (e.index == 1 && (e.eax & 0xa)) e.ebx = cpuid_xsave_size(t, d.xcr0, true);
      break;
    default: break;
  }
}

CpuidRegs cpuid_answer(CpuidView t, uint32_t fn, uint32_t index, const CpuidDynamic& d) {
  const kvm_cpuid_entry2* e = t.find(fn, index);
  if (!e) e = out_of_range_entry(t, &fn, index);
  if (e) {
    kvm_cpuid_entry2 v = *e;
    cpuid_update_dynamic(v, t, d);
    return {v.eax, v.ebx, v.ecx, v.edx};
  }
  CpuidRegs r;
  // Topology leaves: every subleaf reports its own number in ECX[7:0] and
  // the x2APIC ID in EDX, also past the last level; subleaf 1 exists
  // whenever the leaf does.
  if (fn == 0xb || fn == 0x1f) {
    if (const kvm_cpuid_entry2* level1 = t.find(fn, 1)) {
      r.ecx = index & 0xff;
      r.edx = level1->edx;
    }
  }
  return r;
}

kxx::Status cpuid_validate(CpuidView t) {
  // The guest's linear-address width must be one the MMU implements.
  if (const kvm_cpuid_entry2* e = t.find(0x80000008, 0)) {
    uint32_t va_bits = (e->eax >> 8) & 0xff;
    if (va_bits != 0 && va_bits != 48 && va_bits != 57) return kxx::Errno::kInval;
  }
  return kxx::OkStatus();
}

unsigned cpuid_maxphyaddr(CpuidView t) {
  const kvm_cpuid_entry2* max = t.find(0x80000000, 0);
  if (!max || max->eax < 0x80000008) return 36;
  const kvm_cpuid_entry2* e = t.find(0x80000008, 0);
  return e ? (e->eax & 0xff) : 36;
}

uint64_t cpuid_allowed_xcr0(CpuidView t) {
  const kvm_cpuid_entry2* e = t.find(0xd, 0);
  uint64_t enumerated = e ? (uint64_t(e->edx) << 32 | e->eax) : 0;
  return (enumerated & supported_xcr0()) | kXfeatureFp;
}

bool xcr0_valid(uint64_t v, uint64_t allowed) {
  if (!(v & kXfeatureFp) || (v & ~allowed)) return false;
  if ((v & kXfeatureYmm) && !(v & kXfeatureSse)) return false;
  if ((v & kXfeatureMpx) && (v & kXfeatureMpx) != kXfeatureMpx) return false;
  if (v & kXfeatureAvx512) {
    if ((v & kXfeatureAvx512) != kXfeatureAvx512 || !(v & kXfeatureYmm)) return false;
  }
  if ((v & kXfeatureAmx) && (v & kXfeatureAmx) != kXfeatureAmx) return false;
  return true;
}

CpuidView guest_cpuid(Vcpu& vcpu) { return {vcpu.arch().cpuid, vcpu.arch().cpuid_nent}; }

CpuidDynamic cpuid_dynamic(Vcpu& vcpu) {
  const x86_state& s = vcpu.arch().regs;
  return {s.cr4, s.xcr0, vcpu.arch().apic_base};
}

CpuidRegs emulate_cpuid(Vcpu& vcpu, uint32_t fn, uint32_t index) {
  return cpuid_answer(guest_cpuid(vcpu), fn, index, cpuid_dynamic(vcpu));
}

kxx::Status set_cpuid2(Vcpu& vcpu, unsigned long uarg) {
  auto head = TRY(copy_from_user<kvm_cpuid2>(uarg));
  if (head.nent > KVM_MAX_CPUID_ENTRIES) return kxx::Errno::kTooBig;
  kvm_cpuid_entry2* e = nullptr;
  if (head.nent) {
    e = alloc_entries(head.nent);
    if (!e) return kxx::Errno::kNoMem;
    if (kvmg_copy_from_user(e, uarg + sizeof(head), head.nent * sizeof(*e))) {
      kvmg_free(e);
      return kxx::Errno::kFault;
    }
  }
  return install(vcpu, e, head.nent);
}

// The first interface: entries without index or flags.
kxx::Status set_cpuid(Vcpu& vcpu, unsigned long uarg) {
  auto head = TRY(copy_from_user<kvm_cpuid>(uarg));
  if (head.nent > KVM_MAX_CPUID_ENTRIES) return kxx::Errno::kTooBig;
  kvm_cpuid_entry2* e = nullptr;
  if (head.nent) {
    e = alloc_entries(head.nent);
    if (!e) return kxx::Errno::kNoMem;
    for (unsigned i = 0; i < head.nent; i++) {
      auto old = copy_from_user<kvm_cpuid_entry>(uarg + sizeof(head) + i * sizeof(kvm_cpuid_entry));
      if (!old.ok()) {
        kvmg_free(e);
        return old.error();
      }
      const kvm_cpuid_entry& o = old.value();
      e[i] = {.function = o.function, .eax = o.eax, .ebx = o.ebx, .ecx = o.ecx, .edx = o.edx};
    }
  }
  return install(vcpu, e, head.nent);
}

kxx::Status get_cpuid2(Vcpu& vcpu, unsigned long uarg) {
  auto head = TRY(copy_from_user<kvm_cpuid2>(uarg));
  CpuidView t = guest_cpuid(vcpu);
  // Too small: -E2BIG and nent left as it was (upstream).
  if (head.nent < t.nent) return kxx::Errno::kTooBig;
  CpuidDynamic d = cpuid_dynamic(vcpu);
  for (unsigned i = 0; i < t.nent; i++) {
    kvm_cpuid_entry2 e = t.entries[i];
    cpuid_update_dynamic(e, t, d);
    TRY_STATUS(copy_to_user(uarg + sizeof(head) + i * sizeof(e), e));
  }
  head.nent = t.nent;
  return copy_to_user(uarg, head);
}

void free_cpuid(Vcpu& vcpu) {
  kvmg_free(vcpu.arch().cpuid);
  vcpu.arch().cpuid = nullptr;
  vcpu.arch().cpuid_nent = 0;
}

}  // namespace kvmpp::x86
