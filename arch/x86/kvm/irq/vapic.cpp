// SPDX-License-Identifier: GPL-2.0
// The TPR shortcuts of QEMU's kvmvapic option ROM (KVM_CAP_VAPIC), which
// patches a 32-bit guest's TPR accesses into accesses to a word in guest
// memory: KVM_TPR_ACCESS_REPORTING tells user space where the guest
// touched the xAPIC TPR (KVM_EXIT_TPR_ACCESS), and KVM_SET_VAPIC_ADDR names
// the word, which mirrors the APIC before each entry and gives its TPR back
// after each exit.
#include <kvmpp/uaccess.hpp>

#include "../mmu/mmu.hpp"
#include "irqchip.hpp"

namespace kvmpp::x86 {

kxx::Status tpr_access_reporting(Vcpu& vcpu, unsigned long uarg) {
  auto ctl = TRY(copy_from_user<kvm_tpr_access_ctl>(uarg));
  if (ctl.flags) return kxx::Errno::kInval;
  vcpu.arch().tpr_access_reporting = ctl.enabled != 0;
  return copy_to_user(uarg, ctl);
}

kxx::Status set_vapic_addr(Vcpu& vcpu, unsigned long uarg) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return kxx::Errno::kInval;
  auto va = TRY(copy_from_user<kvm_vapic_addr>(uarg));
  if (va.vapic_addr && !gpa_writable(vcpu.vm(), va.vapic_addr, sizeof(uint32_t)))
    return kxx::Errno::kInval;
  a->vapic_addr = va.vapic_addr;
  return kxx::OkStatus();
}

void note_tpr_access(Vcpu& vcpu, bool write) {
  VcpuState& st = vcpu.arch();
  if (!st.tpr_access_reporting) return;
  st.tpr_access_pending = true;
  st.tpr_access_write = write;
  st.tpr_access_rip = st.regs.rip;
}

bool take_tpr_access_exit(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  if (!st.tpr_access_pending) return false;
  st.tpr_access_pending = false;
  kvm_run* kr = vcpu.run();
  kr->exit_reason = KVM_EXIT_TPR_ACCESS;
  kr->tpr_access.rip = st.tpr_access_rip;
  kr->tpr_access.is_write = st.tpr_access_write;
  return true;
}

void vapic_sync_to_guest(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a || !a->vapic_addr) return;
  uint32_t word = apic_vapic_word(*a);
  // A word whose slot went away is not written, as upstream.
  (void)write_gpa(vcpu, a->vapic_addr, &word, sizeof(word));
}

void vapic_sync_from_guest(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a || !a->vapic_addr) return;
  uint32_t word;
  if (read_gpa(vcpu.vm(), a->vapic_addr, &word, sizeof(word)).ok())
    apic_set_tpr(vcpu, uint8_t(word));
}

}  // namespace kvmpp::x86
