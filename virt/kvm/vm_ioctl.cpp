// SPDX-License-Identifier: GPL-2.0
// ioctls on VM fds.
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include "ioctl.hpp"
#include "vm.hpp"

namespace kvmpp {
namespace {

kxx::Result<long> create_vcpu(Vm& vm, unsigned long id) { return long(TRY(vm.create_vcpu(id))); }

kxx::Status enable_cap(Vm& vm, unsigned long uarg) {
  auto cap = TRY(copy_from_user<kvm_enable_cap>(uarg));
  if (cap.flags) return kxx::Errno::kInval;
  return arch::vm_enable_cap(vm, cap);
}

}  // namespace

long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg) {
  if (!vm.usable_by_current()) return to_ret(kxx::Errno::kIo);
  switch (cmd) {
    case KVM_CREATE_VCPU: return to_ret(create_vcpu(vm, arg));
    case KVM_CHECK_EXTENSION: return check_extension(&vm, long(arg));
    case KVM_ENABLE_CAP: return to_ret(enable_cap(vm, arg));
    default: return arch::vm_ioctl(vm, cmd, arg);
  }
}

}  // namespace kvmpp
