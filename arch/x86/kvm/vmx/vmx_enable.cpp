// SPDX-License-Identifier: GPL-2.0
// Entering and leaving VMX operation on one CPU: CR4.VMXE and VMXON/VMXOFF
// (SDM vol. 3C, "Enabling and Entering VMX Operation").
#include <glue/glue.h>
#include <glue/x86.h>
#include <kxx/errno.hpp>
#include <kxx/new.hpp>

#include "vmx.hpp"

namespace kvmpp::vmx {
namespace {
constinit void** g_regions = nullptr;
constinit unsigned g_nr_cpus = 0;

// CR0 and CR4 must hold the fixed bits VMX requires (SDM "VMX-Fixed Bits in
// CR0 and CR4"); the kernel's CR0 always does, CR4 once VMXE is set.
bool cr4_fits_vmx(uint64_t cr4) {
  uint64_t fixed0, fixed1;
  if (kvmg_rdmsr_safe(kMsrVmxCr4Fixed0, &fixed0) || kvmg_rdmsr_safe(kMsrVmxCr4Fixed1, &fixed1))
    return false;
  return (cr4 & fixed0) == fixed0 && (cr4 & ~fixed1) == 0;
}

bool vmxon(uint64_t pa) {
  bool failed;
  asm volatile("vmxon %[pa]\n\tsetbe %[failed]"
               : [failed] "=qm"(failed)
               : [pa] "m"(pa)
               : "cc", "memory");
  return !failed;
}
}  // namespace

int vmxon_regions_init(uint32_t revision_id) {
  g_nr_cpus = kvmg_nr_cpu_ids();
  g_regions = new (kxx::Alloc::kSleepZero) void*[g_nr_cpus];
  if (!g_regions) return -int(kxx::Errno::kNoMem);
  for (unsigned cpu = 0; cpu < g_nr_cpus; cpu++) {
    g_regions[cpu] = kvmg_page_alloc();
    if (!g_regions[cpu]) {
      vmxon_regions_free();
      return -int(kxx::Errno::kNoMem);
    }
    // The VMXON region starts with the VMCS revision identifier.
    *static_cast<uint32_t*>(g_regions[cpu]) = revision_id;
  }
  return 0;
}

void vmxon_regions_free() {
  if (!g_regions) return;
  for (unsigned cpu = 0; cpu < g_nr_cpus; cpu++) kvmg_page_free(g_regions[cpu]);
  delete[] g_regions;
  g_regions = nullptr;
}

int cpu_enable(unsigned int cpu) {
  if (cpu >= g_nr_cpus) return -int(kxx::Errno::kIo);
  // Someone else (another hypervisor) already uses VMX on this CPU.
  if (kvmg_cr4_read() & kCr4Vmxe) {
    kvmg_log(KVMG_LOG_ERR, "kvm_intel: VMX already in use on CPU %u", cpu);
    return -int(kxx::Errno::kBusy);
  }
  if (!cr4_fits_vmx(kvmg_cr4_read() | kCr4Vmxe)) return -int(kxx::Errno::kIo);
  kvmg_cr4_set_bits(kCr4Vmxe);
  if (!vmxon(kvmg_virt_to_phys(g_regions[cpu]))) {
    kvmg_cr4_clear_bits(kCr4Vmxe);
    kvmg_log(KVMG_LOG_ERR, "kvm_intel: VMXON failed on CPU %u", cpu);
    return -int(kxx::Errno::kIo);
  }
  return 0;
}

void cpu_disable(unsigned int) {
  if (!(kvmg_cr4_read() & kCr4Vmxe)) return;
  asm volatile("vmxoff" ::: "cc", "memory");
  kvmg_cr4_clear_bits(kCr4Vmxe);
}

}  // namespace kvmpp::vmx
