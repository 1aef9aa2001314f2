// SPDX-License-Identifier: GPL-2.0
// Per-VM x86 state: the TDP tables and what memslot changes do to them.
#include <glue/glue.h>
#include <glue/x86.h>
#include <kxx/new.hpp>

#include "irq/irqchip.hpp"
#include "pv/pv.hpp"

namespace kvmpp::arch {

kxx::Result<VmState*> vm_init(Vm&) {
  auto* s = new (kxx::Alloc::kSleep) VmState;
  if (!s) return kxx::Errno::kNoMem;
  if (auto st = s->tdp.init(kvmg_x86_host_paging_levels()); !st.ok()) {
    delete s;
    return st.error();
  }
  x86::pvclock_vm_init(s->pv);
  return s;
}

void vm_stop_devices(VmState* s) { x86::destroy_pit(*s); }

void vm_destroy(VmState* s) {
  x86::destroy_pit(*s);  // first: it injects through the irqchip
  x86::destroy_irqchip(*s);
  delete s;
}

bool zap_gfns(Vm& vm, uint64_t start, uint64_t end, ZappedTables* tables) {
  if (!tables) return vm.arch()->tdp.zap(start, end);
  return vm.arch()->tdp.zap(start, end, tables->pages, &tables->count, ZappedTables::kMax);
}

bool write_protect_gfns(Vm& vm, uint64_t first, uint64_t mask) {
  bool changed = false;
  for (; mask; mask &= mask - 1)
    changed |= vm.arch()->tdp.write_protect(first + __builtin_ctzll(mask));
  return changed;
}

void sample_vm_stats(Vm& vm) {
  vm.stats().set(kVmStatPages4k, vm.arch()->tdp.leaves_4k());
  vm.stats().set(kVmStatPages2m, vm.arch()->tdp.leaves_2m());
}

void memslot_changed(Vm& vm, const MemslotChange& c, ZappedTables* tables) {
  switch (c.kind) {
    case MemslotChange::kDelete:
    case MemslotChange::kMove:
    // Flags: only KVM_MEM_LOG_DIRTY_PAGES can change. Turned on, every page
    // must fault again to map read-only and 4 KiB (a write is then logged);
    // turned off, huge mappings may come back.
    case MemslotChange::kFlagsOnly:
      zap_gfns(vm, c.old_slot.base_gfn, c.old_slot.end_gfn(), tables);
      break;
    case MemslotChange::kCreate:
    case MemslotChange::kNone: break;
  }
}

}  // namespace kvmpp::arch
