// SPDX-License-Identifier: GPL-2.0
// ioctls on /dev/kvm.
#include <glue/glue.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include "ioctl.hpp"
#include "vm.hpp"

namespace kvmpp {
namespace {

kxx::Result<long> create_vm(unsigned long type) {
  Vm* vm = TRY(Vm::create(type)).leak();  // our reference, now raw
  int fd = kvmg_fd_create_vm(vm);
  if (fd < 0) {
    vm->put();  // no file took it over: this frees the VM
    return kxx::Error(kxx::Errno(-fd));
  }
  return long(fd);
}

// KVM_GET_API_VERSION and KVM_GET_VCPU_MMAP_SIZE take no argument.
long without_arg(unsigned long arg, long value) { return arg ? to_ret(kxx::Errno::kInval) : value; }

}  // namespace

long dev_ioctl(unsigned int cmd, unsigned long arg) {
  switch (cmd) {
    case KVM_GET_API_VERSION: return without_arg(arg, KVM_API_VERSION);
    case KVM_CREATE_VM: return to_ret(create_vm(arg));
    case KVM_CHECK_EXTENSION: return check_extension(nullptr, long(arg));
    case KVM_GET_VCPU_MMAP_SIZE: return without_arg(arg, arch::kVcpuMmapPages * KVMG_PAGE_SIZE);
    default: return arch::dev_ioctl(cmd, arg);
  }
}

}  // namespace kvmpp
