// SPDX-License-Identifier: GPL-2.0
// x86 capabilities: KVM_CHECK_EXTENSION answers and KVM_ENABLE_CAP on a VM.
#include <glue/x86.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include <virt/kvm/vm.hpp>

#include "cpuid/cpuid.hpp"
#include "irq/irqchip.hpp"
#include "msr/msr.hpp"
#include "pv/pv.hpp"
#include "run/run.hpp"
#include "state/state.hpp"
#include "x86.hpp"

namespace kvmpp::arch {

long check_extension(const Vm*, long cap) {
  switch (cap) {
    case KVM_CAP_MP_STATE: return 1;
    case KVM_CAP_SET_TSS_ADDR: return 1;
    case KVM_CAP_SET_IDENTITY_MAP_ADDR: return 1;
    // kvmclock (pv/), and the KVM_FEATURE_NOP_IO_DELAY hint it offers.
    case KVM_CAP_CLOCKSOURCE: return 1;
    case KVM_CAP_NOP_IO_DELAY: return 1;
    case KVM_CAP_VM_TYPES: return long(kSupportedVmTypes);
    case KVM_CAP_VCPU_EVENTS: return 1;
    case KVM_CAP_XSAVE: return 1;
    case KVM_CAP_XCRS: return kvmg_x86_host_xcr0() ? 1 : 0;
    case KVM_CAP_SREGS2: return 1;
    case KVM_CAP_XSAVE2: return x86::xsave2_size();
    case KVM_CAP_SYNC_REGS: return x86::sync_regs_mask();
    case KVM_CAP_EXT_CPUID: return 1;
    case KVM_CAP_GET_MSR_FEATURES: return 1;
    case KVM_CAP_GET_TSC_KHZ: return 1;
    case KVM_CAP_X86_USER_SPACE_MSR: return 1;
    case KVM_CAP_X86_MSR_FILTER: return 1;
    case KVM_CAP_MSR_PLATFORM_INFO: return 1;
    case KVM_CAP_EXIT_ON_EMULATION_FAILURE: return 1;
    case KVM_CAP_DEBUGREGS: return 1;
    case KVM_CAP_VAPIC: return 1;          // irq/vapic.cpp
    case KVM_CAP_KVMCLOCK_CTRL: return 1;  // pv/pvclock.cpp
    case KVM_CAP_SET_BOOT_CPU_ID: return 1;
    case KVM_CAP_X86_TRIPLE_FAULT_EVENT: return 1;  // state/events.cpp
    case KVM_CAP_EXCEPTION_PAYLOAD: return 1;       // state/events.cpp
    case KVM_CAP_SET_GUEST_DEBUG: return 1;         // run/debug.cpp
    case KVM_CAP_SET_GUEST_DEBUG2: return x86::kGuestDebugControl;
    case KVM_CAP_SYS_ATTRIBUTES: return 1;               // /dev/kvm: state/fpu.cpp
    case KVM_CAP_MCE: return arch::MceState::kMaxBanks;  // msr/mce.cpp
    case KVM_CAP_IRQCHIP: return 1;
    case KVM_CAP_SPLIT_IRQCHIP: return 1;
    case KVM_CAP_TSC_DEADLINE_TIMER: return 1;
    case KVM_CAP_USER_NMI: return 1;
    case KVM_CAP_IRQ_INJECT_STATUS: return 1;
    case KVM_CAP_IRQ_ROUTING: return KVM_MAX_IRQ_ROUTES;
    case KVM_CAP_SIGNAL_MSI: return 1;
    case KVM_CAP_IRQFD: return 1;
    case KVM_CAP_IRQFD_RESAMPLE: return 1;
    case KVM_CAP_PIT:
    case KVM_CAP_PIT2:
    case KVM_CAP_PIT_STATE2:
    case KVM_CAP_REINJECT_CONTROL: return 1;
    case KVM_CAP_X2APIC_API:
      return KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
    case KVM_CAP_COALESCED_PIO: return 1;  // run/io.cpp records OUTs
    case KVM_CAP_ADJUST_CLOCK:
    case KVM_CAP_ENABLE_CAP:
    case KVM_CAP_VCPU_ATTRIBUTES:
    case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
    case KVM_CAP_DISABLE_QUIRKS2:
    case KVM_CAP_X86_DISABLE_EXITS: return x86::pv_check_extension(cap);
    default: return 0;
  }
}

kxx::Status vm_enable_cap(Vm& vm, const kvm_enable_cap& cap) {
  switch (cap.cap) {
    case KVM_CAP_MAX_VCPU_ID:
      // Not below the boot vCPU's id (KVM_SET_BOOT_CPU_ID), as upstream.
      return vm.set_max_vcpu_ids(cap.args[0],
                                 [&](uint64_t n) { return vm.arch()->bsp_vcpu_id <= n; });
    case KVM_CAP_SPLIT_IRQCHIP: return x86::enable_split_irqchip(vm, cap.args[0]);
    case KVM_CAP_X86_TRIPLE_FAULT_EVENT:
      vm.arch()->triple_fault_event.store(cap.args[0] != 0);
      return kxx::OkStatus();
    case KVM_CAP_EXCEPTION_PAYLOAD:
      vm.arch()->exception_payload.store(cap.args[0] != 0);
      return kxx::OkStatus();
    case KVM_CAP_X2APIC_API: {
      constexpr uint64_t kValid =
          KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
      if (cap.args[0] & ~kValid) return kxx::Errno::kInval;
      if (cap.args[0] & KVM_X2APIC_API_USE_32BIT_IDS) vm.arch()->x2apic_format = true;
      if (cap.args[0] & KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)
        vm.arch()->x2apic_broadcast_quirk_disabled = true;
      return kxx::OkStatus();
    }
    case KVM_CAP_X86_USER_SPACE_MSR: return x86::enable_user_space_msr(vm, cap.args[0]);
    case KVM_CAP_MSR_PLATFORM_INFO:
      vm.arch()->msr_policy.platform_info_readable.store(cap.args[0] != 0);
      return kxx::OkStatus();
    case KVM_CAP_EXIT_ON_EMULATION_FAILURE:
      return x86::enable_exit_on_emulation_failure(vm, cap.args[0]);
    case KVM_CAP_DISABLE_QUIRKS2:
    case KVM_CAP_X86_DISABLE_EXITS: return x86::pv_vm_enable_cap(vm, cap);
    default: return kxx::Errno::kInval;
  }
}

}  // namespace kvmpp::arch
