// SPDX-License-Identifier: GPL-2.0
// Nested page faults: map the VMM's page behind a guest frame, or hand the
// access to MMIO emulation when no memory slot backs it (or it writes to a
// read-only slot).
#include <glue/glue.h>

#include "x86.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint64_t kFaultWrite = 1ull << 1;

struct HostPage {
  uint64_t pa = 0;
  void* page = nullptr;
  bool writable = false;
};

// Fault in the page behind @hva. A writable slot gets a writable mapping
// when the VMM's mapping allows it; otherwise read-only, unless the guest
// is writing (then it is an error: the VMM made guest RAM read-only).
kxx::Result<HostPage> get_host_page(uint64_t hva, bool slot_writable, bool write) {
  HostPage h;
  if (slot_writable && kvmg_get_user_page(hva, true, &h.pa, &h.page) == 0) {
    h.writable = true;
    return h;
  }
  if (write || kvmg_get_user_page(hva, false, &h.pa, &h.page) != 0) return kxx::Errno::kFault;
  return h;
}

// A 2 MiB mapping needs the whole 2 MiB of guest frames in the slot, the
// guest and host addresses equally aligned within it, and the VMM mapping it
// with one huge page (writable, when we map it writable).
bool can_map_2m(const Memslot& slot, uint64_t gfn, bool writable) {
  uint64_t first = gfn & ~511ull;
  if (first < slot.base_gfn || first + 512 > slot.end_gfn()) return false;
  if (((slot.userspace_addr >> kPageShift) - slot.base_gfn) & 511) return false;
  int level = kvmg_user_huge_mapping(slot.hva(gfn));
  return writable ? level == 2 : level != 0;
}

}  // namespace

kxx::Result<Next> handle_tdp_fault(Vcpu& vcpu, const x86_exit& exit) {
  Vm& vm = vcpu.vm();
  uint64_t gfn = exit.tdp.gpa >> kPageShift;
  bool write = exit.tdp.error_code & kFaultWrite;
  arch::VmState& as = *vm.arch();
  x86::PageCache& cache = vcpu.arch().tdp_pages;
  {
    ReadLock slots(vm.slots_lock());
    const Memslot* slot = vm.memslots().find_gfn(gfn);
    if (slot && !(write && slot->readonly()) && as.tdp.covers(gfn)) {
      // The cache stays with the vCPU: only pages a map used are replaced.
      TRY_STATUS(cache.topup());
      uint64_t seq = vm.mmu_sequence();
      auto host = TRY(get_host_page(slot->hva(gfn), !slot->readonly(), write));
      bool huge = can_map_2m(*slot, gfn, host.writable);
      {
        SpinLockGuard mmu(vm.mmu_lock());
        // An invalidation since we looked the page up may have unmapped it
        // from the VMM: then install nothing; the guest faults again.
        if (vm.mmu_fault_still_valid(seq)) {
          uint64_t off = (gfn & 511) << kPageShift;
          if (!huge || !as.tdp.map_2m(gfn & ~511ull, host.pa - off, host.writable, cache))
            as.tdp.map(gfn, host.pa, host.writable, cache);
        }
      }
      kvmg_put_page(host.page);
      return Next::kEnter;
    }
  }
  // The fault came from delivering an event (IDT, stack) into memory that
  // is not RAM: there is no instruction to emulate (as upstream, an error).
  if (vcpu.arch().regs.event.valid) {
    constexpr uint32_t kDeliveryEvSuberror = 3;  // KVM_INTERNAL_ERROR_DELIVERY_EV
    kvm_run* kr = vcpu.run();
    kr->exit_reason = KVM_EXIT_INTERNAL_ERROR;
    kr->internal.suberror = kDeliveryEvSuberror;
    kr->internal.ndata = 2;
    kr->internal.data[0] = vcpu.arch().regs.event.vector;
    kr->internal.data[1] = exit.tdp.gpa;
    return Next::kUser;
  }
  // No RAM there (or a write to ROM): emulate the access as MMIO. The
  // emulator takes the slots lock itself, page by page.
  return handle_mmio(vcpu);
}

}  // namespace kvmpp::x86
