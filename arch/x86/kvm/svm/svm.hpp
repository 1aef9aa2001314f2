// SPDX-License-Identifier: GPL-2.0
// The AMD SVM backend: shared declarations (AMD APM vol. 2, "Secure Virtual
// Machine").
#pragma once

#include <glue/backend_ops.h>
#include <kvmpp/x86_state.h>
#include <kxx/types.hpp>

#include "svm_glue.h"
#include "vmcb.hpp"
#include "vmcb_state.hpp"

namespace kvmpp::svm {

inline constexpr uint32_t kMsrEfer = 0xc0000080;
inline constexpr uint64_t kEferSvme = uint64_t(1) << 12;
inline constexpr uint32_t kMsrVmCr = 0xc0010114;
inline constexpr uint64_t kVmCrSvmDis = uint64_t(1) << 4;
inline constexpr uint32_t kMsrVmHsavePa = 0xc0010117;

// Per-CPU state (svm_enable.cpp): the processor's host save area, the page
// VMSAVE/VMLOAD use for the host's segment/MSR state, and ASID allocation.
struct PerCpu {
  void* hsave = nullptr;
  void* host_save = nullptr;
  uint64_t host_save_pa = 0;
  uint32_t next_asid = 1;
  uint32_t asid_generation = 1;
  const void* last_vmcb = nullptr;  // the VMCB that last ran here (IBPB on change)
};
int percpu_init();
void percpu_free();
PerCpu* percpu(unsigned int cpu);
// A VMCB is being freed: no CPU may take a new one at the same address for
// the one that last ran there.
void forget_vmcb(const void* vmcb);
// Guest ASIDs are 1 .. max_asid() - 1 (CPUID Fn8000_000A EBX).
uint32_t max_asid();

int cpu_enable(unsigned int cpu);
void cpu_disable(unsigned int cpu);

// Permission maps shared by every VMCB: intercept every port and every MSR.
int permission_maps_init();
void permission_maps_free();
uint64_t iopm_pa();
uint64_t msrpm_pa();

// Per-vCPU state (svm_vcpu.cpp).
struct SvmVcpu {
  Vmcb* vmcb = nullptr;
  uint64_t vmcb_pa = 0;
  uint32_t asid = 0;
  unsigned int asid_cpu = ~0u;
  uint32_t asid_generation = 0;
  SegmentCache segments;  // what the VMCB's save area holds (vmcb_state.hpp)
};
void* vcpu_create(unsigned int id);
// Exceptions every guest runs with intercepted (svm_vcpu.cpp explains
// each); a debugger adds #BP (and INTn) for its runs.
inline constexpr uint32_t kBaseExceptionIntercepts =
    uint32_t(1) << exit_code::kMcVector | uint32_t(1) << exit_code::kAcVector |
    uint32_t(1) << exit_code::kDbVector | uint32_t(1) << exit_code::kUdVector;
// The control area every VMCB starts with (intercepts, maps, nested paging).
void init_control(Vmcb& vmcb);
void vcpu_free(void* v);
// Open or close the interrupt window (X86_RUN_IRQ_WINDOW) for the next entry.
void set_irq_window(Vmcb& vmcb, bool open);
// Enter the guest once (svm_run.cpp); interrupts are off.
int vcpu_run(void* v, void* run);
// Decode the exit in the VMCB (svm_exit.cpp).
void decode_exit(const Vmcb& vmcb, x86_exit& exit);

}  // namespace kvmpp::svm

extern "C" void kvmpp_svm_vmrun(uint64_t guest_vmcb_pa, uint64_t* gprs, uint64_t host_save_pa);
