// SPDX-License-Identifier: GPL-2.0
// ioctls on VM fds.
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include "ioctl.hpp"
#include "stats_file.hpp"
#include "vm.hpp"

namespace kvmpp {
namespace {

kxx::Result<long> create_vcpu(Vm& vm, unsigned long id) { return long(TRY(vm.create_vcpu(id))); }

kxx::Status enable_cap(Vm& vm, unsigned long uarg) {
  auto cap = TRY(copy_from_user<kvm_enable_cap>(uarg));
  if (cap.flags) return kxx::Errno::kInval;
  switch (cap.cap) {
    case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: return enable_manual_dirty_log_protect(vm, cap.args[0]);
    case KVM_CAP_DIRTY_LOG_RING:
    case KVM_CAP_DIRTY_LOG_RING_ACQ_REL: return enable_dirty_ring(vm, cap.args[0]);
    case KVM_CAP_HALT_POLL: return vm.set_halt_poll_max(cap.args[0]);
    default: return arch::vm_enable_cap(vm, cap);
  }
}

kxx::Status get_dirty_log(Vm& vm, unsigned long uarg) {
  return get_dirty_log(vm, TRY(copy_from_user<kvm_dirty_log>(uarg)));
}

kxx::Status clear_dirty_log(Vm& vm, unsigned long uarg) {
  return clear_dirty_log(vm, TRY(copy_from_user<kvm_clear_dirty_log>(uarg)));
}

// v1 is the v2 layout's prefix; the extra v2 fields stay zero.
kxx::Status set_memory_region(Vm& vm, unsigned long uarg) {
  kvm_userspace_memory_region2 req{};
  auto v1 = TRY(copy_from_user<kvm_userspace_memory_region>(uarg));
  req.slot = v1.slot;
  req.flags = v1.flags;
  req.guest_phys_addr = v1.guest_phys_addr;
  req.memory_size = v1.memory_size;
  req.userspace_addr = v1.userspace_addr;
  return vm.set_memory_region(req);
}

kxx::Status set_memory_region2(Vm& vm, unsigned long uarg) {
  auto req = TRY(copy_from_user<kvm_userspace_memory_region2>(uarg));
  return vm.set_memory_region(req);
}

// KVM_(UN)REGISTER_COALESCED_MMIO, where the arch layer records the writes.
long coalesced_io(Vm& vm, unsigned int cmd, unsigned long uarg) {
  if constexpr (arch::kCoalescedMmioPage == 0) return arch::vm_ioctl(vm, cmd, uarg);
  auto zone = copy_from_user<kvm_coalesced_mmio_zone>(uarg);
  if (!zone.ok()) return to_ret(zone.error().code);
  if (cmd == KVM_REGISTER_COALESCED_MMIO) return to_ret(vm.coalesced().add(zone.value()));
  return to_ret(vm.coalesced().remove(zone.value()));
}

kxx::Status irqfd(Vm& vm, unsigned long uarg) {
  auto args = TRY(copy_from_user<kvm_irqfd>(uarg));
  return vm.irqfds().ioctl(args);
}

kxx::Status ioeventfd(Vm& vm, unsigned long uarg) {
  auto args = TRY(copy_from_user<kvm_ioeventfd>(uarg));
  return vm.ioeventfds().ioctl(args);
}

}  // namespace

long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg) {
  if (!vm.usable_by_current()) return to_ret(kxx::Errno::kIo);
  switch (cmd) {
    case KVM_CREATE_VCPU: return to_ret(create_vcpu(vm, arg));
    case KVM_CHECK_EXTENSION: return check_extension(&vm, long(arg));
    case KVM_ENABLE_CAP: return to_ret(enable_cap(vm, arg));
    case KVM_SET_USER_MEMORY_REGION: return to_ret(set_memory_region(vm, arg));
    case KVM_SET_USER_MEMORY_REGION2: return to_ret(set_memory_region2(vm, arg));
    case KVM_GET_STATS_FD: return to_ret(get_vm_stats_fd(vm));
    case KVM_REGISTER_COALESCED_MMIO:
    case KVM_UNREGISTER_COALESCED_MMIO: return coalesced_io(vm, cmd, arg);
    case KVM_IOEVENTFD: return to_ret(ioeventfd(vm, arg));
    case KVM_IRQFD: return to_ret(irqfd(vm, arg));
    case KVM_GET_DIRTY_LOG: return to_ret(get_dirty_log(vm, arg));
    case KVM_CLEAR_DIRTY_LOG: return to_ret(clear_dirty_log(vm, arg));
    case KVM_RESET_DIRTY_RINGS: return to_ret(reset_dirty_rings(vm));
    default: return arch::vm_ioctl(vm, cmd, arg);
  }
}

}  // namespace kvmpp
