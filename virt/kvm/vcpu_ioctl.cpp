// SPDX-License-Identifier: GPL-2.0
// ioctls on vCPU fds. Generic ones are handled here, the rest by the arch
// layer; all of them run with the vCPU's mutex held.
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include "ioctl.hpp"
#include "stats_file.hpp"
#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmpp {

long vcpu_ioctl(Vcpu& vcpu, unsigned int cmd, unsigned long arg) {
  if (!vcpu.vm().usable_by_current()) return to_ret(kxx::Errno::kIo);
  // Only KVM ioctls reach the handlers (upstream rejects other types first).
  if (((cmd >> KVM_IOC_TYPESHIFT) & 0xff) != KVMIO) return to_ret(kxx::Errno::kInval);
  MutexLock guard(vcpu.mutex());
  switch (cmd) {
    case KVM_RUN: return arg ? to_ret(kxx::Errno::kInval) : arch::vcpu_run(vcpu);
    case KVM_GET_STATS_FD: return to_ret(get_vcpu_stats_fd(vcpu));
    case KVM_PRE_FAULT_MEMORY:
      if constexpr (arch::kHasPreFaultMemory) return pre_fault_memory(vcpu, arg);
      return arch::vcpu_ioctl(vcpu, cmd, arg);
    default: return arch::vcpu_ioctl(vcpu, cmd, arg);
  }
}

}  // namespace kvmpp
