// SPDX-License-Identifier: GPL-2.0
// Nested page faults: map the VMM's page behind a guest frame, or hand the
// access to MMIO emulation when no memory slot backs it (or it writes to a
// read-only slot). KVM_PRE_FAULT_MEMORY maps frames the same way ahead of
// the guest's accesses.
#include <glue/glue.h>

#include "../run/run.hpp"
#include "../x86.hpp"
#include "mmu.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint64_t kFaultWrite = 1ull << 1;

struct HostPage {
  uint64_t pa = 0;
  void* page = nullptr;
  bool writable = false;
};

// What kind of access maps the frame.
enum class FaultAccess { kRead, kWrite, kPrefault };

// Fault in the page behind @hva. A writable slot gets a writable mapping
// when the VMM's mapping allows it; otherwise read-only, unless the guest
// is writing (then it is an error: the VMM made guest RAM read-only).
// A pre-fault is a read that breaks no copy-on-write (api.rst): writable
// only when the VMM's page table already maps the page writable. The
// lockless lookup of the VMM's page table comes first: the page is usually
// there already, and the slow path takes the mmap lock and finds the VMA.
kxx::Result<HostPage> get_host_page(uint64_t hva, bool slot_writable, FaultAccess access) {
  HostPage h;
  if (slot_writable) {
    int r = kvmg_get_user_page_fast(hva, true, &h.pa, &h.page);
    if (r != 0 && access != FaultAccess::kPrefault)
      r = kvmg_get_user_page(hva, true, &h.pa, &h.page);
    if (r == 0) {
      h.writable = true;
      return h;
    }
  }
  if (access == FaultAccess::kWrite || kvmg_get_user_page(hva, false, &h.pa, &h.page) != 0)
    return kxx::Errno::kFault;
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

// The result of mapping one frame: kNoRam when no slot backs it for this
// access (MMIO, a write to ROM, beyond what the tables map); kRetry when an
// MMU-notifier invalidation raced with the lookup (nothing was installed).
struct MapResult {
  enum Kind { kMapped, kRetry, kNoRam } kind;
  uint64_t frames = 0;  // kMapped: frames the leaf now covering gfn maps (1 or 512)
};

// Map the VMM's page behind @gfn into the TDP tables. Takes the slots lock
// for reading and the MMU lock; sleeps (faulting the page in).
kxx::Result<MapResult> map_gfn(Vcpu& vcpu, uint64_t gfn, FaultAccess access) {
  Vm& vm = vcpu.vm();
  arch::VmState& as = *vm.arch();
  x86::PageCache& cache = vcpu.arch().tdp_pages;
  ReadLock slots(vm.slots_lock());
  const Memslot* slot = vm.memslots().find_gfn(gfn);
  if (!slot || (access == FaultAccess::kWrite && slot->readonly()) || !as.tdp.covers(gfn))
    return MapResult{MapResult::kNoRam};
  // The cache stays with the vCPU: only pages a map used are replaced.
  TRY_STATUS(cache.topup());
  uint64_t seq = vm.mmu_sequence();
  auto host = TRY(get_host_page(slot->hva(gfn), !slot->readonly(), access));
  // A logged slot is mapped 4 KiB at a time, and writable only for a
  // write, which is then logged: the next write after the page is
  // collected faults again.
  bool logged = slot->logs_dirty();
  bool writable = host.writable && (!logged || access == FaultAccess::kWrite);
  bool huge = !logged && can_map_2m(*slot, gfn, writable);
  MapResult r{MapResult::kRetry};
  {
    SpinLockGuard mmu(vm.mmu_lock());
    // An invalidation since we looked the page up may have unmapped it
    // from the VMM: then install nothing; the access faults again.
    if (vm.mmu_fault_still_valid(seq)) {
      uint64_t off = (gfn & 511) << kPageShift;
      if (!huge || !as.tdp.map_2m(gfn & ~511ull, host.pa - off, writable, cache))
        as.tdp.map(gfn, host.pa, writable, cache);
      // Under the MMU lock, like collecting: the page is either in what
      // is collected next or write-protected by it.
      if (logged && writable) mark_page_dirty(vm, *slot, gfn, &vcpu);
      // A 2 MiB leaf another vCPU installed also covers it.
      r.frames = as.tdp.mapped_frames(gfn);
      if (r.frames) r.kind = MapResult::kMapped;
    }
  }
  kvmg_put_page(host.page);
  return r;
}

}  // namespace

kxx::Result<Next> handle_tdp_fault(Vcpu& vcpu, const x86_exit& exit) {
  auto& stats = vcpu.arch().stats;
  stats.inc(arch::kVcpuStatPfTaken);
  uint64_t gfn = exit.tdp.gpa >> kPageShift;
  bool write = exit.tdp.error_code & kFaultWrite;
  auto r = TRY(map_gfn(vcpu, gfn, write ? FaultAccess::kWrite : FaultAccess::kRead));
  if (r.kind == MapResult::kMapped) stats.inc(arch::kVcpuStatPfFixed);
  // Mapped, or raced with an invalidation: either way the guest retries.
  if (r.kind != MapResult::kNoRam) return Next::kEnter;
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
  // emulator takes the slots lock itself.
  stats.inc(arch::kVcpuStatPfEmulate);
  return handle_mmio(vcpu, exit.tdp.gpa, write);
}

}  // namespace kvmpp::x86

namespace kvmpp::arch {

kxx::Result<uint64_t> pre_fault_page(Vcpu& vcpu, uint64_t gpa, uint64_t size) {
  using namespace x86;
  uint64_t gfn = gpa >> kPageShift;
  for (;;) {
    auto r = TRY(map_gfn(vcpu, gfn, FaultAccess::kPrefault));
    // Upstream: no slot means the guest's access would be emulated: -ENOENT.
    if (r.kind == MapResult::kNoRam) return kxx::Errno::kNoEnt;
    if (r.kind == MapResult::kMapped) {
      // The leaf may begin below gpa and end past gpa + size.
      uint64_t end = ((gfn & ~(r.frames - 1)) + r.frames) << kPageShift;
      return kxx::min(size, end - gpa);
    }
    // An invalidation was running: try again, unless a signal is pending.
    if (kvmg_signal_pending()) return kxx::Errno::kIntr;
    kvmg_cond_resched();
  }
}

}  // namespace kvmpp::arch
