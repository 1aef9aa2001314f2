// SPDX-License-Identifier: GPL-2.0
// Walking the guest's own page tables in software (SDM vol. 3A, "Paging":
// 32-bit, PAE and 4/5-level paging). Used to reach guest memory by linear
// address (string I/O, instruction fetch for emulation) and by KVM_TRANSLATE.
// Accessed/dirty bits are not set by these software walks.
#include "../x86.hpp"
#include "mmu.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint64_t kP = 1, kRw = 2, kUs = 4, kPs = 0x80;
constexpr uint64_t kNx = 1ull << 63;
constexpr uint64_t kAddr = 0x000ffffffffff000ull;
// #PF error code bits.
constexpr uint32_t kPfPresent = 1, kPfWrite = 2, kPfUser = 4, kPfFetch = 16;

struct Walk {
  bool writable = true, user = true, nx = false;
  void add(uint64_t e) {
    writable &= bool(e & kRw);
    user &= bool(e & kUs);
    nx |= bool(e & kNx);
  }
};

Translation translate_unpaged(const x86_state& s, uint64_t linear) {
  Translation t;
  t.gpa = long_mode(s) ? linear : (linear & 0xffffffffull);
  t.writable = t.user = true;
  return t;
}

}  // namespace

kxx::Result<Translation> translate(Vm& vm, const x86_state& s, uint64_t linear, unsigned access,
                                   bool supervisor) {
  if (!(s.cr0 & kCr0Pg)) return translate_unpaged(s, linear);
  GuestMem mem(vm);
  return translate(mem, s, linear, access, supervisor);
}

kxx::Result<Translation> translate(GuestMem& mem, const x86_state& s, uint64_t linear,
                                   unsigned access, bool supervisor) {
  if (!(s.cr0 & kCr0Pg)) return translate_unpaged(s, linear);
  Translation t;
  bool nxe = s.efer & kEferNxe;
  // A fault the guest sees. A table entry outside guest memory is one too,
  // not-present, as upstream (found by fuzz_cpuid: an exit's instruction
  // fetch made KVM_RUN fail with -EFAULT instead).
  Walk w;
  uint64_t gpa = 0;
  auto fault = [&](bool present) {
    t.fault = true;
    t.error_code = (present ? kPfPresent : 0) | (access == kWrite ? kPfWrite : 0) |
                   (supervisor ? 0 : kPfUser) | (access == kFetch && nxe ? kPfFetch : 0);
    return t;
  };

  if (!(s.cr4 & kCr4Pae)) {
    // 32-bit paging: two levels of 4-byte entries; PSE allows 4 MiB pages.
    uint32_t pde, pte;
    if (!mem.read_entry((s.cr3 & 0xfffff000) + ((linear >> 22) & 0x3ff) * 4, &pde).ok())
      return fault(false);
    if (!(pde & kP)) return fault(false);
    w.add(pde);
    if ((pde & kPs) && (s.cr4 & kCr4Pse)) {
      gpa = (pde & 0xffc00000u) | (linear & 0x3fffff);
    } else {
      if (!mem.read_entry((pde & 0xfffff000) + ((linear >> 12) & 0x3ff) * 4, &pte).ok())
        return fault(false);
      if (!(pte & kP)) return fault(false);
      w.add(pte);
      gpa = (pte & 0xfffff000u) | (linear & 0xfff);
    }
  } else {
    unsigned levels = long_mode(s) ? ((s.cr4 & kCr4La57) ? 5 : 4) : 3;
    uint64_t table = s.cr3 & kAddr;
    if (levels == 3) {
      // PAE: four PDPTEs at CR3[31:5]; they carry no permission bits.
      uint64_t pdpte;
      if (!mem.read_entry((s.cr3 & 0xffffffe0) + ((linear >> 30) & 3) * 8, &pdpte).ok())
        return fault(false);
      if (!(pdpte & kP)) return fault(false);
      table = pdpte & kAddr;
      levels = 2;
    }
    for (unsigned level = levels; level >= 1; level--) {
      unsigned shift = 12 + 9 * (level - 1);
      uint64_t e;
      if (!mem.read_entry(table + ((linear >> shift) & 511) * 8, &e).ok()) return fault(false);
      if (!(e & kP)) return fault(false);
      w.add(e);
      if (level == 1 || ((e & kPs) && level <= 3)) {
        uint64_t mask = (uint64_t(1) << shift) - 1;
        gpa = ((e & kAddr) & ~mask) | (linear & mask);
        break;
      }
      table = e & kAddr;
    }
  }

  // Permissions (SDM "Access Rights"): supervisor writes honour CR0.WP.
  bool wp = s.cr0 & kCr0Wp;
  if (access == kWrite && !w.writable && (!supervisor || wp)) return fault(true);
  if (!supervisor && !w.user) return fault(true);
  if (access == kFetch && nxe && w.nx) return fault(true);
  t.gpa = gpa;
  t.writable = w.writable;
  t.user = w.user;
  return t;
}

}  // namespace kvmpp::x86
