// SPDX-License-Identifier: GPL-2.0
// The arm64 architecture layer. No EL2 backend exists yet, so nothing
// arm64-specific is implemented or advertised: every arch ioctl is unknown,
// there are no stage-2 tables, and running a vCPU is refused.
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>
#include <kxx/new.hpp>

namespace kvmpp::arch {

struct VmState {};

kxx::Result<VmState*> vm_init(Vm&) {
  auto* s = new (kxx::Alloc::kSleep) VmState;
  if (!s) return kxx::Errno::kNoMem;
  return s;
}
void vm_stop_devices(VmState*) {}
void vm_destroy(VmState* s) { delete s; }
// No per-vCPU state yet (and no vCPU statistics).
struct VcpuState {};
kxx::Result<VcpuState*> vcpu_state_create() {
  auto* state = new (kxx::Alloc::kSleep) VcpuState;
  if (!state) return kxx::Errno::kNoMem;
  return state;
}
void vcpu_state_destroy(VcpuState* state) { delete state; }
uint64_t vcpu_stat(const VcpuState&, unsigned) { return 0; }

kxx::Status vcpu_init(Vcpu&) { return kxx::OkStatus(); }

// No in-kernel interrupt controller yet: no irqfd is ever assigned.
kxx::Status irqfd_allowed(Vm&, bool) { return kxx::Errno::kInval; }
void irqfd_inject(Vm&, uint32_t, bool) {}
bool irqfd_inject_atomic(Vm&, uint32_t) { return false; }
void irqfd_deassert(Vm&, uint32_t) {}
void vcpu_destroy(Vcpu&) {}
long vcpu_run(Vcpu&) { return to_ret(kxx::Errno::kOpNotSupp); }
// No vCPU ever enters a guest here: there is nothing to kick.
void kick_async(Vcpu&) {}
long check_extension(const Vm*, long) { return 0; }
kxx::Status vm_enable_cap(Vm&, const kvm_enable_cap&) { return kxx::Errno::kInval; }
void memslot_changed(Vm&, const MemslotChange&, ZappedTables*) {}
bool zap_gfns(Vm&, uint64_t, uint64_t, ZappedTables*) { return false; }
bool write_protect_gfns(Vm&, uint64_t, uint64_t) { return false; }  // kHasDirtyLog is false
void sample_vm_stats(Vm&) {}
kxx::Result<uint64_t> pre_fault_page(Vcpu&, uint64_t, uint64_t) { return kxx::Errno::kOpNotSupp; }
long dev_ioctl(unsigned int, unsigned long) { return to_ret(kxx::Errno::kInval); }
long vm_ioctl(Vm&, unsigned int, unsigned long) { return to_ret(kUnknownVmIoctl); }
long vcpu_ioctl(Vcpu&, unsigned int, unsigned long) { return to_ret(kUnknownVcpuIoctl); }

}  // namespace kvmpp::arch
