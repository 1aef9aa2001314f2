// SPDX-License-Identifier: GPL-2.0
// The x86 ioctl dispatchers for /dev/kvm and VM fds: one line per ioctl, the
// work in the file of its concept.
#include <glue/x86.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/uaccess.hpp>

#include <virt/kvm/vm.hpp>

#include "cpuid/cpuid.hpp"
#include "irq/irqchip.hpp"
#include "msr/msr.hpp"
#include "pv/pv.hpp"
#include "state/state.hpp"
#include "x86.hpp"

namespace kvmpp::arch {

long dev_ioctl(unsigned int cmd, unsigned long arg) {
  switch (cmd) {
    case KVM_GET_SUPPORTED_CPUID: return to_ret(x86::get_supported_cpuid(arg));
    case KVM_GET_MSR_INDEX_LIST: return to_ret(x86::get_msr_index_list(arg));
    case KVM_GET_MSR_FEATURE_INDEX_LIST: return to_ret(x86::get_msr_feature_index_list(arg));
    case KVM_GET_MSRS: return to_ret(x86::get_feature_msrs(arg));
    case KVM_GET_DEVICE_ATTR:
    case KVM_HAS_DEVICE_ATTR: return to_ret(x86::dev_device_attr(cmd, arg));
    case KVM_X86_GET_MCE_CAP_SUPPORTED: return to_ret(copy_to_user(arg, x86::mce_cap_supported()));
    default: return to_ret(kxx::Errno::kInval);
  }
}

namespace {

kxx::Status create_pit2(Vm& vm, unsigned long uarg) {
  auto config = TRY(copy_from_user<kvm_pit_config>(uarg));
  return x86::create_pit(vm, config);
}

// The smallest value upstream accepts (KVM_MIN_ALLOC_MMU_PAGES).
constexpr unsigned long kMinMmuPages = 64;

// The TSS takes three pages that must end below 4 GiB (upstream's bound).
kxx::Status set_tss_addr(Vm& vm, unsigned long addr) {
  if (addr > 0xffffffffull - 3 * 4096 + 1) return kxx::Errno::kInval;
  vm.arch()->tss_addr = addr;
  return kxx::OkStatus();
}

// Only before the first vCPU, as upstream (-EINVAL after).
kxx::Status set_identity_map_addr(Vm& vm, unsigned long uarg) {
  return vm.configure([&](bool have_vcpus) -> kxx::Status {
    if (have_vcpus) return kxx::Errno::kInval;
    vm.arch()->identity_map_addr = TRY(copy_from_user<uint64_t>(uarg));
    return kxx::OkStatus();
  });
}

// Before the first vCPU (-EBUSY after), an id vCPUs may have (upstream's
// bound, which admits the maximum itself).
kxx::Status set_boot_cpu_id(Vm& vm, unsigned long id) {
  return vm.configure([&](bool have_vcpus) -> kxx::Status {
    if (have_vcpus) return kxx::Errno::kBusy;
    if (id > vm.max_vcpu_ids()) return kxx::Errno::kInval;
    vm.arch()->bsp_vcpu_id = unsigned(id);
    return kxx::OkStatus();
  });
}

long set_nr_mmu_pages(Vm& vm, unsigned long n) {
  if (n < kMinMmuPages) return to_ret(kxx::Errno::kInval);
  vm.arch()->nr_mmu_pages = n;
  return 0;
}

}  // namespace

long vm_ioctl(Vm& vm, unsigned int cmd, unsigned long arg) {
  switch (cmd) {
    case KVM_SET_TSS_ADDR: return to_ret(set_tss_addr(vm, arg));
    case KVM_SET_IDENTITY_MAP_ADDR: return to_ret(set_identity_map_addr(vm, arg));
    case KVM_SET_NR_MMU_PAGES: return set_nr_mmu_pages(vm, arg);
    case KVM_SET_BOOT_CPU_ID: return to_ret(set_boot_cpu_id(vm, arg));
    case KVM_GET_TSC_KHZ: return x86::get_tsc_khz();
    case KVM_SET_TSC_KHZ: return to_ret(x86::set_vm_tsc_khz(vm, arg));
    case KVM_X86_SET_MSR_FILTER: return to_ret(x86::set_msr_filter(vm, arg));
    case KVM_CREATE_IRQCHIP: return x86::create_irqchip(vm);
    case KVM_IRQ_LINE: return to_ret(x86::irq_line(vm, arg, false));
    case KVM_IRQ_LINE_STATUS: return to_ret(x86::irq_line(vm, arg, true));
    case KVM_SET_GSI_ROUTING: return to_ret(x86::set_gsi_routing(vm, arg));
    case KVM_SIGNAL_MSI: return to_ret(x86::signal_msi(vm, arg));
    case KVM_GET_IRQCHIP: return to_ret(x86::get_irqchip(vm, arg));
    case KVM_SET_IRQCHIP: return to_ret(x86::set_irqchip(vm, arg));
    case KVM_CREATE_PIT2: return to_ret(create_pit2(vm, arg));
    case KVM_CREATE_PIT: return to_ret(x86::create_pit(vm, {KVM_PIT_SPEAKER_DUMMY, {}}));
    case KVM_GET_PIT: return to_ret(x86::get_pit(vm, arg, false));
    case KVM_SET_PIT: return to_ret(x86::set_pit(vm, arg, false));
    case KVM_GET_PIT2: return to_ret(x86::get_pit(vm, arg, true));
    case KVM_SET_PIT2: return to_ret(x86::set_pit(vm, arg, true));
    case KVM_REINJECT_CONTROL: return to_ret(x86::reinject_control(vm, arg));
    case KVM_GET_CLOCK: return to_ret(x86::get_clock(vm, arg));
    case KVM_SET_CLOCK: return to_ret(x86::set_clock(vm, arg));
    default: return to_ret(kUnknownVmIoctl);
  }
}

}  // namespace kvmpp::arch
