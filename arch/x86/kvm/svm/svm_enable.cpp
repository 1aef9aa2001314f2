// SPDX-License-Identifier: GPL-2.0
// Turning SVM on and off on one CPU: EFER.SVME and the host save area
// (APM vol. 2, "Enabling SVM" and "VM_HSAVE_PA MSR").
#include <glue/glue.h>
#include <glue/x86.h>
#include <kxx/errno.hpp>
#include <kxx/new.hpp>

#include "svm.hpp"

namespace kvmpp::svm {
namespace {
// One 4 KiB host save area per possible CPU, indexed by CPU number.
constinit void** g_host_areas = nullptr;
constinit unsigned g_nr_cpus = 0;
}  // namespace

int host_areas_init() {
  g_nr_cpus = kvmg_nr_cpu_ids();
  g_host_areas = new (kxx::Alloc::kSleepZero) void*[g_nr_cpus];
  if (!g_host_areas) return -int(kxx::Errno::kNoMem);
  for (unsigned cpu = 0; cpu < g_nr_cpus; cpu++) {
    g_host_areas[cpu] = kvmg_page_alloc();
    if (!g_host_areas[cpu]) {
      host_areas_free();
      return -int(kxx::Errno::kNoMem);
    }
  }
  return 0;
}

void host_areas_free() {
  if (!g_host_areas) return;
  for (unsigned cpu = 0; cpu < g_nr_cpus; cpu++) kvmg_page_free(g_host_areas[cpu]);
  delete[] g_host_areas;
  g_host_areas = nullptr;
}

int cpu_enable(unsigned int cpu) {
  uint64_t efer;
  if (cpu >= g_nr_cpus || kvmg_rdmsr_safe(kMsrEfer, &efer)) return -int(kxx::Errno::kIo);
  // Someone else (another hypervisor) already runs SVM on this CPU.
  if (efer & kEferSvme) {
    kvmg_log(KVMG_LOG_ERR, "kvm_amd: SVM already in use on CPU %u", cpu);
    return -int(kxx::Errno::kBusy);
  }
  if (kvmg_wrmsr_safe(kMsrEfer, efer | kEferSvme)) return -int(kxx::Errno::kIo);
  if (kvmg_wrmsr_safe(kMsrVmHsavePa, kvmg_virt_to_phys(g_host_areas[cpu]))) {
    kvmg_wrmsr_safe(kMsrEfer, efer);
    return -int(kxx::Errno::kIo);
  }
  return 0;
}

void cpu_disable(unsigned int) {
  uint64_t efer;
  kvmg_wrmsr_safe(kMsrVmHsavePa, 0);
  if (kvmg_rdmsr_safe(kMsrEfer, &efer) || !(efer & kEferSvme)) return;
  // Leave GIF set (INIT and NMI unblocked) before SVM goes off: on an
  // emergency reboot this CPU may have been stopped between CLGI and STGI.
  asm volatile("stgi" ::: "memory");
  kvmg_wrmsr_safe(kMsrEfer, efer & ~kEferSvme);
}

}  // namespace kvmpp::svm
