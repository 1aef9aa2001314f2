// SPDX-License-Identifier: GPL-2.0
// Turning SVM on and off on one CPU: EFER.SVME and the host save area
// (APM vol. 2, "Enabling SVM" and "VM_HSAVE_PA MSR"), and the per-CPU pages
// and ASID counters the run loop uses.
#include <glue/glue.h>
#include <glue/x86.h>
#include <kxx/errno.hpp>
#include <kxx/new.hpp>

#include "svm.hpp"

namespace kvmpp::svm {
namespace {
constinit PerCpu* g_cpus = nullptr;
constinit unsigned g_nr_cpus = 0;
constinit uint32_t g_max_asid = 0;

uint32_t cpuid_ebx(uint32_t leaf) {
  uint32_t a, b, c, d;
  asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(0));
  return b;
}
}  // namespace

int percpu_init() {
  g_max_asid = cpuid_ebx(0x8000000a);
  if (g_max_asid < 2) return -int(kxx::Errno::kOpNotSupp);
  g_nr_cpus = kvmg_nr_cpu_ids();
  g_cpus = new (kxx::Alloc::kSleep) PerCpu[g_nr_cpus];
  if (!g_cpus) return -int(kxx::Errno::kNoMem);
  for (unsigned cpu = 0; cpu < g_nr_cpus; cpu++) {
    g_cpus[cpu].hsave = kvmg_page_alloc();
    g_cpus[cpu].host_save = kvmg_page_alloc();
    if (!g_cpus[cpu].hsave || !g_cpus[cpu].host_save) {
      percpu_free();
      return -int(kxx::Errno::kNoMem);
    }
    g_cpus[cpu].host_save_pa = kvmg_virt_to_phys(g_cpus[cpu].host_save);
  }
  return 0;
}

void percpu_free() {
  if (!g_cpus) return;
  for (unsigned cpu = 0; cpu < g_nr_cpus; cpu++) {
    kvmg_page_free(g_cpus[cpu].hsave);
    kvmg_page_free(g_cpus[cpu].host_save);
  }
  delete[] g_cpus;
  g_cpus = nullptr;
}

void forget_vmcb(const void* vmcb) {
  for (unsigned cpu = 0; cpu < g_nr_cpus; cpu++) {
    const void* expected = vmcb;  // overwritten when the exchange fails
    __atomic_compare_exchange_n(&g_cpus[cpu].last_vmcb, &expected, nullptr, false, __ATOMIC_RELAXED,
                                __ATOMIC_RELAXED);
  }
}

PerCpu* percpu(unsigned int cpu) { return cpu < g_nr_cpus ? &g_cpus[cpu] : nullptr; }
uint32_t max_asid() { return g_max_asid; }

int cpu_enable(unsigned int cpu) {
  uint64_t efer;
  if (cpu >= g_nr_cpus || kvmg_rdmsr_safe(kMsrEfer, &efer)) return -int(kxx::Errno::kIo);
  // Someone else (another hypervisor) already runs SVM on this CPU.
  if (efer & kEferSvme) {
    kvmg_log(KVMG_LOG_ERR, "kvm_amd: SVM already in use on CPU %u", cpu);
    return -int(kxx::Errno::kBusy);
  }
  if (kvmg_wrmsr_safe(kMsrEfer, efer | kEferSvme)) return -int(kxx::Errno::kIo);
  if (kvmg_wrmsr_safe(kMsrVmHsavePa, kvmg_virt_to_phys(g_cpus[cpu].hsave))) {
    kvmg_wrmsr_safe(kMsrEfer, efer);
    return -int(kxx::Errno::kIo);
  }
  // TLB entries tagged with ASIDs from before this enable are stale: start
  // a new generation so the first VMRUN here flushes.
  g_cpus[cpu].asid_generation++;
  g_cpus[cpu].next_asid = g_max_asid;
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
