// SPDX-License-Identifier: GPL-2.0
// x86 capabilities and VM-level configuration.
#include <kvmpp/arch.hpp>

#include <virt/kvm/vm.hpp>

#include "x86.hpp"

namespace kvmpp::arch {

long check_extension(const Vm*, long cap) {
  switch (cap) {
    case KVM_CAP_MP_STATE: return 1;
    case KVM_CAP_VM_TYPES: return long(kSupportedVmTypes);
    case KVM_CAP_XSAVE: return 1;
    case KVM_CAP_XCRS: return 1;
    case KVM_CAP_SREGS2: return 1;
    case KVM_CAP_XSAVE2: return x86::xsave2_size();
    case KVM_CAP_SYNC_REGS: return x86::sync_regs_mask();
    default: return 0;
  }
}

kxx::Status vm_enable_cap(Vm& vm, const kvm_enable_cap& cap) {
  switch (cap.cap) {
    case KVM_CAP_MAX_VCPU_ID: return vm.set_max_vcpu_ids(cap.args[0]);
    default: return kxx::Errno::kInval;
  }
}

long dev_ioctl(unsigned int, unsigned long) { return kxx::Error(kxx::Errno::kInval).to_ret(); }

long vm_ioctl(Vm&, unsigned int, unsigned long) { return kxx::Error(kUnknownVmIoctl).to_ret(); }

}  // namespace kvmpp::arch
