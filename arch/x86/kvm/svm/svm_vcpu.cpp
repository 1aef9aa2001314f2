// SPDX-License-Identifier: GPL-2.0
// An SVM vCPU: its VMCB and the intercepts it runs with.
#include <glue/glue.h>
#include <kxx/new.hpp>

#include "svm.hpp"

namespace kvmpp::svm {
namespace {

constexpr uint64_t kNpEnable = 1;

}  // namespace

void init_control(Vmcb& vmcb) {
  VmcbControl& c = vmcb.control;
  // Every DR access traps: the guest gets no hardware breakpoints yet, and
  // the host's DR0-DR3 are never exposed or clobbered.
  c.intercept_dr = 0xffffffff;
  // #MC belongs to the host. #AC and #DB are intercepted so that a guest
  // cannot loop delivering them inside the CPU without an instruction
  // boundary, where no interrupt could make it exit (CVE-2015-5307,
  // CVE-2015-8104, as upstream); a #DB that is the guest's own goes back
  // to it (run/debug.cpp).
  // #UD is intercepted so that the other vendor's hypercall instruction
  // (VMCALL) can be patched into VMMCALL (pv/hypercall.cpp).
  c.intercept_exceptions = kBaseExceptionIntercepts;
  // RDPMC and RDTSCP would read host state (counters, TSC_AUX): neither is
  // offered to the guest, so both fault.
  c.intercept_misc1 = misc1::kIntr | misc1::kNmi | misc1::kSmi | misc1::kInit | misc1::kRdpmc |
                      misc1::kCpuid | misc1::kInvd | misc1::kHlt | misc1::kInvlpga | misc1::kIoio |
                      misc1::kMsr | misc1::kTaskSwitch | misc1::kShutdown;
  // The SVM instructions themselves (VMRUN must be intercepted for VMRUN to
  // work at all), and the ones that would reach host resources.
  c.intercept_misc2 = misc2::kVmrun | misc2::kVmmcall | misc2::kVmload | misc2::kVmsave |
                      misc2::kStgi | misc2::kClgi | misc2::kSkinit | misc2::kRdtscp |
                      misc2::kWbinvd | misc2::kMonitor | misc2::kMwait | misc2::kMwaitCond |
                      misc2::kXsetbv | misc2::kRdpru;
  c.iopm_base_pa = iopm_pa();
  c.msrpm_base_pa = msrpm_pa();
  c.int_ctl = intctl::kVIntrMasking;
  c.nested_ctl = kNpEnable;
}

void* vcpu_create(unsigned int) {
  auto* v = new (kxx::Alloc::kSleep) SvmVcpu;
  if (!v) return nullptr;
  v->vmcb = static_cast<Vmcb*>(kvmg_page_alloc());
  if (!v->vmcb) {
    delete v;
    return nullptr;
  }
  v->vmcb_pa = kvmg_virt_to_phys(v->vmcb);
  init_control(*v->vmcb);
  return v;
}

void vcpu_free(void* p) {
  auto* v = static_cast<SvmVcpu*>(p);
  // A later VMCB may reuse this page: make sure it still counts as new.
  forget_vmcb(v->vmcb);
  kvmg_page_free(v->vmcb);
  delete v;
}

void set_irq_window(Vmcb& vmcb, bool open) {
  // A virtual interrupt of the highest priority that ignores V_TPR: the
  // CPU takes it, and the VINTR intercept exits, as soon as RFLAGS.IF is
  // set outside an interrupt shadow (APM "Virtual Interrupt Intercept").
  constexpr uint64_t kWindow = intctl::kVIrq | intctl::kVIntrPrio | intctl::kVIgnTpr;
  VmcbControl& c = vmcb.control;
  if (open) {
    c.int_ctl |= kWindow;
    c.intercept_misc1 |= misc1::kVintr;
  } else {
    c.int_ctl &= ~kWindow;
    c.intercept_misc1 &= ~misc1::kVintr;
  }
}

}  // namespace kvmpp::svm
