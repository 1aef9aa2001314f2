// SPDX-License-Identifier: GPL-2.0
// The three ioctl dispatchers: /dev/kvm, VM fds, vCPU fds. Each returns what
// user space sees: a value >= 0 or -errno.
#pragma once

namespace kvmpp {
class Vm;
class Vcpu;

long dev_ioctl(unsigned int cmd, unsigned long arg);
long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg);
long vcpu_ioctl(Vcpu& vcpu, unsigned int cmd, unsigned long arg);
// KVM_CHECK_EXTENSION; @vm is null on /dev/kvm.
long check_extension(const Vm* vm, long cap);
// KVM_PRE_FAULT_MEMORY (pre_fault.cpp).
long pre_fault_memory(Vcpu& vcpu, unsigned long uarg);
}  // namespace kvmpp
