// SPDX-License-Identifier: GPL-2.0
// The functions every architecture layer provides to the generic core.
// Included by each arch/<arch>/include/kvmpp/arch.hpp after its constants
// and per-vCPU state.
#pragma once

#include <abi/kvm_abi.h>
#include <kxx/result.hpp>

namespace kvmpp {
class Vm;
class Vcpu;
struct MemslotChange;
}  // namespace kvmpp

namespace kvmpp::arch {

// Page-table pages a zap unlinked: the hardware may still walk them until
// every vCPU's TLB is flushed, so they are freed only after the flush.
struct ZappedTables {
  static constexpr unsigned kMax = 32;  // more stay linked (freed with the VM)
  void* pages[kMax];
  unsigned count = 0;
};

// Per-VM architecture state (x86: the TDP page tables), created with the VM.
struct VmState;
kxx::Result<VmState*> vm_init(Vm& vm);
// Stop the VM-wide devices that inject into vCPUs on their own (x86: the
// PIT's timer and its work), before the vCPUs are freed. Sleeps.
void vm_stop_devices(VmState* state);
void vm_destroy(VmState* state);

// vCPU set-up and tear-down (the architectural reset state, the FPU).
kxx::Status vcpu_init(Vcpu& vcpu);
void vcpu_destroy(Vcpu& vcpu);
// Make a vCPU that is in guest mode exit soon, without waiting (any
// context): it then sees the requests posted to it.
void kick_async(Vcpu& vcpu);
// KVM_RUN: returns 0 with kvm_run filled in, or -errno (-EINTR for a signal).
long vcpu_run(Vcpu& vcpu);

// Capabilities the layer implements; 0 for the rest. @vm is null for
// KVM_CHECK_EXTENSION on /dev/kvm.
long check_extension(const Vm* vm, long cap);
// ioctls on /dev/kvm, VM and vCPU fds the generic core does not handle.
long dev_ioctl(unsigned int cmd, unsigned long arg);
long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg);
long vcpu_ioctl(Vcpu& vcpu, unsigned int cmd, unsigned long arg);
kxx::Status vm_enable_cap(Vm& vm, const kvm_enable_cap& cap);
// A memory slot was committed (slots lock held for writing, MMU lock held):
// drop every guest mapping the change makes stale.
void memslot_changed(Vm& vm, const MemslotChange& change, ZappedTables* tables);
// Drop the guest mappings of [start, end) (MMU lock held). Returns whether
// anything was mapped, i.e. whether TLBs need a flush. Tables left empty
// may be unlinked into @tables, to free after the flush.
bool zap_gfns(Vm& vm, uint64_t start, uint64_t end, ZappedTables* tables = nullptr);
// Dirty logging (kHasDirtyLog): make the guest's next write to each frame
// @first + i, for each bit i set in @mask, fault (and so be logged again).
// MMU lock held. Returns whether any mapping changed (TLBs need a flush).
bool write_protect_gfns(Vm& vm, uint64_t first, uint64_t mask);

// KVM_IRQFD (virt/kvm/irqfd.hpp): whether the VM's interrupt controller
// takes irqfds (-EINVAL otherwise; @resample: a level-triggered one); one
// signal into @gsi (process context: an edge, or with @resample the line
// raised); lower @gsi after its EOI (any context that may spin).
kxx::Status irqfd_allowed(Vm& vm, bool resample);
void irqfd_inject(Vm& vm, uint32_t gsi, bool resample);
// The same, from the eventfd's wake-up (its lock held, interrupts off, not
// in interrupt context), when the GSI's routes allow it without sleeping
// or the irqchip's locks: whether it delivered (false: use irqfd_inject
// from process context instead).
bool irqfd_inject_atomic(Vm& vm, uint32_t gsi);
void irqfd_deassert(Vm& vm, uint32_t gsi);

// Bring the VM's instant statistics (vm.stats()) up to date before a read
// of its stats file.
void sample_vm_stats(Vm& vm);
// KVM_PRE_FAULT_MEMORY, one step (kHasPreFaultMemory): map guest RAM at the
// page-aligned @gpa as a read fault would. Returns the bytes of
// [gpa, gpa + size) the mapping now covers (at least one page), or
// -ENOENT (no RAM there), -EINTR (signal), -EFAULT, -ENOMEM.
kxx::Result<uint64_t> pre_fault_page(Vcpu& vcpu, uint64_t gpa, uint64_t size);

}  // namespace kvmpp::arch
