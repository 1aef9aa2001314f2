// SPDX-License-Identifier: GPL-2.0
// ioctls on vCPU fds. Generic ones are handled here, the rest by the arch
// layer; all of them run with the vCPU's mutex held.
#include <glue/glue.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include "ioctl.hpp"
#include "stats_file.hpp"
#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmpp {
namespace {

// KVM_SET_SIGNAL_MASK (api.rst 4.35): a kvm_signal_mask whose length must
// be the kernel's sigset_t; no argument clears the mask.
kxx::Status set_signal_mask(Vcpu& vcpu, unsigned long uarg) {
  if (!uarg) {
    vcpu.sigmask_active = false;
    return kxx::OkStatus();
  }
  auto head = TRY(copy_from_user<kvm_signal_mask>(uarg));
  if (head.len != kvmg_sigset_size() || head.len != sizeof(vcpu.sigmask)) return kxx::Errno::kInval;
  uint64_t set;
  if (kvmg_copy_from_user(&set, uarg + sizeof(head), sizeof(set))) return kxx::Errno::kFault;
  vcpu.sigmask = set;
  vcpu.sigmask_active = true;
  return kxx::OkStatus();
}

long run(Vcpu& vcpu) {
  if (vcpu.sigmask_active) kvmg_sigmask_enter(&vcpu.sigmask);
  long r = arch::vcpu_run(vcpu);
  if (vcpu.sigmask_active) kvmg_sigmask_leave();
  return r;
}

}  // namespace

long vcpu_ioctl(Vcpu& vcpu, unsigned int cmd, unsigned long arg) {
  if (!vcpu.vm().usable_by_current()) return to_ret(kxx::Errno::kIo);
  // Only KVM ioctls reach the handlers (upstream rejects other types first).
  if (((cmd >> KVM_IOC_TYPESHIFT) & 0xff) != KVMIO) return to_ret(kxx::Errno::kInval);
  MutexLock guard(vcpu.mutex());
  switch (cmd) {
    case KVM_RUN: return arg ? to_ret(kxx::Errno::kInval) : run(vcpu);
    case KVM_SET_SIGNAL_MASK: return to_ret(set_signal_mask(vcpu, arg));
    case KVM_GET_STATS_FD: return to_ret(get_vcpu_stats_fd(vcpu));
    case KVM_PRE_FAULT_MEMORY:
      if constexpr (arch::kHasPreFaultMemory) return pre_fault_memory(vcpu, arg);
      return arch::vcpu_ioctl(vcpu, cmd, arg);
    default: return arch::vcpu_ioctl(vcpu, cmd, arg);
  }
}

}  // namespace kvmpp
