// SPDX-License-Identifier: GPL-2.0
// x86 vCPU ioctls.
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include <virt/kvm/vcpu.hpp>

#include "../cpuid/cpuid.hpp"
#include "../irq/irqchip.hpp"
#include "../msr/msr.hpp"
#include "../pv/pv.hpp"
#include "../run/run.hpp"
#include "../x86.hpp"
#include "state.hpp"

namespace kvmpp::arch {
namespace {

kxx::Status get_mp_state(Vcpu& vcpu, unsigned long uarg) {
  return copy_to_user(uarg, kvm_mp_state{vcpu.arch().mp_state});
}

kxx::Status set_mp_state(Vcpu& vcpu, unsigned long uarg) {
  auto st = TRY(copy_from_user<kvm_mp_state>(uarg));
  if (x86::vcpu_apic(vcpu)) return x86::set_mp_state_apic(vcpu, st.mp_state);
  // Without an in-kernel local APIC there is no INIT/SIPI/halt state to be
  // in: a vCPU is always runnable (as upstream).
  if (st.mp_state != KVM_MP_STATE_RUNNABLE) return kxx::Errno::kInval;
  vcpu.arch().mp_state = st.mp_state;
  return kxx::OkStatus();
}

}  // namespace

long vcpu_ioctl(Vcpu& vcpu, unsigned int cmd, unsigned long arg) {
  switch (cmd) {
    case KVM_GET_REGS: return to_ret(x86::get_regs(vcpu, arg));
    case KVM_SET_REGS: return to_ret(x86::set_regs(vcpu, arg));
    case KVM_GET_SREGS: return to_ret(x86::get_sregs(vcpu, arg));
    case KVM_SET_SREGS: return to_ret(x86::set_sregs(vcpu, arg));
    case KVM_GET_SREGS2: return to_ret(x86::get_sregs2(vcpu, arg));
    case KVM_SET_SREGS2: return to_ret(x86::set_sregs2(vcpu, arg));
    case KVM_TRANSLATE: return to_ret(x86::translate_ioctl(vcpu, arg));
    case KVM_GET_VCPU_EVENTS: return to_ret(x86::get_vcpu_events(vcpu, arg));
    case KVM_SET_VCPU_EVENTS: return to_ret(x86::set_vcpu_events(vcpu, arg));
    case KVM_GET_FPU: return to_ret(x86::get_fpu(vcpu, arg));
    case KVM_SET_FPU: return to_ret(x86::set_fpu(vcpu, arg));
    case KVM_GET_XSAVE: return to_ret(x86::get_xsave(vcpu, arg));
    case KVM_GET_XSAVE2: return to_ret(x86::get_xsave(vcpu, arg));
    case KVM_SET_XSAVE: return to_ret(x86::set_xsave(vcpu, arg));
    case KVM_GET_XCRS: return to_ret(x86::get_xcrs(vcpu, arg));
    case KVM_SET_XCRS: return to_ret(x86::set_xcrs(vcpu, arg));
    case KVM_GET_MP_STATE: return to_ret(get_mp_state(vcpu, arg));
    case KVM_SET_MP_STATE: return to_ret(set_mp_state(vcpu, arg));
    case KVM_SET_CPUID: return to_ret(x86::set_cpuid(vcpu, arg));
    case KVM_SET_CPUID2: return to_ret(x86::set_cpuid2(vcpu, arg));
    case KVM_GET_CPUID2: return to_ret(x86::get_cpuid2(vcpu, arg));
    case KVM_GET_MSRS: return to_ret(x86::get_msrs(vcpu, arg));
    case KVM_SET_MSRS: return to_ret(x86::set_msrs(vcpu, arg));
    case KVM_GET_TSC_KHZ: return x86::get_tsc_khz();
    case KVM_GET_DEBUGREGS: return to_ret(x86::get_debugregs(vcpu, arg));
    case KVM_SET_DEBUGREGS: return to_ret(x86::set_debugregs(vcpu, arg));
    case KVM_SET_GUEST_DEBUG: return to_ret(x86::set_guest_debug(vcpu, arg));
    case KVM_GET_LAPIC: return to_ret(x86::get_lapic(vcpu, arg));
    case KVM_SET_LAPIC: return to_ret(x86::set_lapic(vcpu, arg));
    case KVM_INTERRUPT: return to_ret(x86::interrupt_ioctl(vcpu, arg));
    case KVM_NMI: x86::queue_nmi(vcpu); return 0;
    case KVM_SET_TSC_KHZ: return to_ret(x86::set_tsc_khz(arg));
    case KVM_KVMCLOCK_CTRL: return to_ret(x86::kvmclock_ctrl(vcpu));
    case KVM_TPR_ACCESS_REPORTING: return to_ret(x86::tpr_access_reporting(vcpu, arg));
    case KVM_SET_VAPIC_ADDR: return to_ret(x86::set_vapic_addr(vcpu, arg));
    case KVM_X86_SETUP_MCE: return to_ret(x86::setup_mce(vcpu, arg));
    case KVM_X86_SET_MCE: return to_ret(x86::set_mce(vcpu, arg));
    case KVM_ENABLE_CAP: return to_ret(x86::vcpu_enable_cap(vcpu, arg));
    case KVM_HAS_DEVICE_ATTR:
    case KVM_GET_DEVICE_ATTR:
    case KVM_SET_DEVICE_ATTR: return to_ret(x86::vcpu_device_attr(vcpu, cmd, arg));
    default: return to_ret(kUnknownVcpuIoctl);
  }
}

}  // namespace kvmpp::arch
