// SPDX-License-Identifier: GPL-2.0
// One entry into the guest: ASID, VMCB state, the world switch, the exit.
#include <glue/glue.h>
#include <kxx/errno.hpp>

#include "svm.hpp"

namespace kvmpp::svm {
namespace {

constexpr uint8_t kTlbFlushAll = 1;  // TLB_CONTROL: flush every ASID

// ASIDs are handed out per CPU. A vCPU keeps its ASID while it stays on the
// same CPU in the same generation; moving, or a TLB flush request, takes a
// fresh one (whose TLB entries cannot exist). Running out starts a new
// generation and flushes the whole TLB once (APM "TLB Flush").
void assign_asid(SvmVcpu& v, PerCpu& pc, unsigned cpu, bool flush, Vmcb& vmcb) {
  vmcb.control.tlb_control = 0;
  if (!flush && v.asid_cpu == cpu && v.asid_generation == pc.asid_generation) return;
  if (pc.next_asid >= max_asid()) {
    pc.asid_generation++;
    pc.next_asid = 1;
    vmcb.control.tlb_control = kTlbFlushAll;
  }
  v.asid = pc.next_asid++;
  v.asid_cpu = cpu;
  v.asid_generation = pc.asid_generation;
}

// EVENTINJ and EXITINTINFO share one format (APM "Event Injection").
uint64_t pack_event(const x86_event& e) {
  if (!e.valid) return 0;
  return uint64_t(e.vector) | uint64_t(e.type & 7) << 8 | uint64_t(e.has_error & 1) << 11 |
         uint64_t(1) << 31 | uint64_t(e.error_code) << 32;
}

x86_event unpack_event(uint64_t v) {
  x86_event e{};
  if (!(v & (uint64_t(1) << 31))) return e;
  e.valid = 1;
  e.vector = uint8_t(v);
  e.type = (v >> 8) & 7;
  e.has_error = (v >> 11) & 1;
  e.error_code = uint32_t(v >> 32);
  return e;
}

void xsetbv(uint64_t v) {
  asm volatile("xsetbv" ::"c"(0), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)) : "memory");
}

uint64_t xgetbv() {
  uint32_t a, d;
  asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
  return (uint64_t(d) << 32) | a;
}

constexpr uint64_t kCr4Osxsave = uint64_t(1) << 18;

}  // namespace

int vcpu_run(void* p, void* arg) {
  auto& v = *static_cast<SvmVcpu*>(p);
  auto& run = *static_cast<x86_run*>(arg);
  x86_state& s = *run.state;
  Vmcb& vmcb = *v.vmcb;
  unsigned cpu = kvmg_this_cpu();
  PerCpu* pc = percpu(cpu);
  if (!pc) return -int(kxx::Errno::kIo);

  load_state(vmcb, s);
  vmcb.control.nested_cr3 = run.tdp_root;
  vmcb.control.event_inj = pack_event(s.event);
  s.event.valid = 0;
  vmcb.control.clean = 0;  // every field reloaded: the state may have changed
  assign_asid(v, *pc, cpu, run.flags & X86_RUN_FLUSH_TLB, vmcb);
  vmcb.control.asid = v.asid;

  // The guest's XCR0 is live only while it runs, and only when the guest
  // enabled XSAVE; the kernel's FPU code expects the host's everywhere else.
  bool swap_xcr0 = (s.cr4 & kCr4Osxsave) && s.xcr0 != run.host_xcr0;
  asm volatile("clgi" ::: "memory");
  if (swap_xcr0) xsetbv(s.xcr0);
  kvmpp_svm_vmrun(v.vmcb_pa, s.gpr, kvmg_virt_to_phys(pc->host_save));
  // XCR0 as the guest left it: XSETBV is intercepted, but a CPU that fails
  // to intercept it (QEMU 7.2's SVM) must not leave the host running with
  // the guest's XCR0.
  if (run.host_xcr0) {
    uint64_t xcr0 = xgetbv();
    if (swap_xcr0 || xcr0 != run.host_xcr0) s.xcr0 = xcr0;
    if (xcr0 != run.host_xcr0) xsetbv(run.host_xcr0);
  }
  asm volatile("stgi" ::: "memory");

  store_state(vmcb, s);
  // An event interrupted by the exit is delivered again on the next entry.
  s.event = unpack_event(vmcb.control.exit_int_info);
  decode_exit(vmcb, run.exit);
  return 0;
}

}  // namespace kvmpp::svm
