// SPDX-License-Identifier: GPL-2.0
// x86 capabilities and VM-level configuration.
#include <glue/x86.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include <virt/kvm/vm.hpp>

#include "x86.hpp"
#include "x86_cpuid.hpp"
#include "x86_irqchip.hpp"
#include "x86_msr.hpp"
#include "x86_pv.hpp"

namespace kvmpp::arch {

long check_extension(const Vm*, long cap) {
  switch (cap) {
    case KVM_CAP_MP_STATE: return 1;
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
    case KVM_CAP_IRQCHIP: return 1;
    case KVM_CAP_IRQ_INJECT_STATUS: return 1;
    case KVM_CAP_X2APIC_API:
      return KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
    case KVM_CAP_COALESCED_PIO: return 1;  // x86_io.cpp records OUTs
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
    case KVM_CAP_MAX_VCPU_ID: return vm.set_max_vcpu_ids(cap.args[0]);
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

long dev_ioctl(unsigned int cmd, unsigned long arg) {
  switch (cmd) {
    case KVM_GET_SUPPORTED_CPUID: return to_ret(x86::get_supported_cpuid(arg));
    case KVM_GET_MSR_INDEX_LIST: return to_ret(x86::get_msr_index_list(arg));
    case KVM_GET_MSR_FEATURE_INDEX_LIST: return to_ret(x86::get_msr_feature_index_list(arg));
    case KVM_GET_MSRS: return to_ret(x86::get_feature_msrs(arg));
    // Machine-check emulation (KVM_CAP_MCE, KVM_X86_SETUP_MCE) is not
    // offered: no MCG_CAP feature, no bank.
    case KVM_X86_GET_MCE_CAP_SUPPORTED: return to_ret(copy_to_user(arg, uint64_t(0)));
    default: return to_ret(kxx::Errno::kInval);
  }
}

namespace {

// The smallest value upstream accepts (KVM_MIN_ALLOC_MMU_PAGES).
constexpr unsigned long kMinMmuPages = 64;

long set_nr_mmu_pages(Vm& vm, unsigned long n) {
  if (n < kMinMmuPages) return to_ret(kxx::Errno::kInval);
  vm.arch()->nr_mmu_pages = n;
  return 0;
}

}  // namespace

long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg) {
  switch (cmd) {
    case KVM_SET_NR_MMU_PAGES: return set_nr_mmu_pages(vm, arg);
    case KVM_GET_NR_MMU_PAGES: return long(vm.arch()->nr_mmu_pages);
    case KVM_GET_TSC_KHZ: return x86::get_tsc_khz();
    case KVM_SET_TSC_KHZ: return to_ret(x86::set_vm_tsc_khz(vm, arg));
    case KVM_X86_SET_MSR_FILTER: return to_ret(x86::set_msr_filter(vm, arg));
    case KVM_CREATE_IRQCHIP: return x86::create_irqchip(vm);
    case KVM_IRQ_LINE: return to_ret(x86::irq_line(vm, arg, false));
    case KVM_IRQ_LINE_STATUS: return to_ret(x86::irq_line(vm, arg, true));
    case KVM_GET_IRQCHIP: return to_ret(x86::get_irqchip(vm, arg));
    case KVM_SET_IRQCHIP: return to_ret(x86::set_irqchip(vm, arg));
    case KVM_GET_CLOCK: return to_ret(x86::get_clock(vm, arg));
    case KVM_SET_CLOCK: return to_ret(x86::set_clock(vm, arg));
    default: return to_ret(kUnknownVmIoctl);
  }
}

}  // namespace kvmpp::arch
