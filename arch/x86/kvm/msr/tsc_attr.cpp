// SPDX-License-Identifier: GPL-2.0
// vCPU device attributes (api.rst, "KVM_SET_DEVICE_ATTR"; devices/vcpu.rst,
// "GROUP: KVM_VCPU_TSC_CTRL"): the guest TSC's offset from the host's, for
// VMMs that move a guest between hosts without a TSC jump. Any other group
// or attribute is -ENXIO.
#include <kvmpp/uaccess.hpp>

#include "../pv/pv.hpp"
#include "msr.hpp"

namespace kvmpp::x86 {

kxx::Status vcpu_device_attr(Vcpu& vcpu, unsigned int cmd, unsigned long uarg) {
  auto a = TRY(copy_from_user<kvm_device_attr>(uarg));
  if (a.group != KVM_VCPU_TSC_CTRL || a.attr != KVM_VCPU_TSC_OFFSET) return kxx::Errno::kNxio;
  switch (cmd) {
    case KVM_GET_DEVICE_ATTR: return copy_to_user(a.addr, uint64_t(vcpu.arch().regs.tsc_offset));
    case KVM_SET_DEVICE_ATTR: {
      uint64_t offset = TRY(copy_from_user<uint64_t>(a.addr));
      set_tsc_offset(vcpu, offset);
      break;
    }
    default: break;  // KVM_HAS_DEVICE_ATTR
  }
  return kxx::OkStatus();
}

}  // namespace kvmpp::x86
