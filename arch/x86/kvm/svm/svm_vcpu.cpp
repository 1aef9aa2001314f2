// SPDX-License-Identifier: GPL-2.0
// An SVM vCPU: its VMCB, the intercepts it runs with, and the translation
// between the architectural state and the VMCB save area.
#include <glue/glue.h>
#include <kxx/new.hpp>

#include "svm.hpp"

namespace kvmpp::svm {
namespace {

// V_INTR_MASKING: the guest's RFLAGS.IF masks only virtual interrupts; the
// host's IF at VMRUN decides physical ones (APM "Interrupt Masking in EFLAGS").
constexpr uint64_t kVIntrMasking = uint64_t(1) << 24;
constexpr uint64_t kNpEnable = 1;

}  // namespace

void init_control(Vmcb& vmcb) {
  VmcbControl& c = vmcb.control;
  // Every DR access traps: the guest gets no hardware breakpoints yet, and
  // the host's DR0-DR3 are never exposed or clobbered.
  c.intercept_dr = 0xffffffff;
  // #MC belongs to the host. #AC is intercepted so that a guest cannot
  // loop delivering it inside the CPU without an instruction boundary,
  // where no interrupt could make it exit (CVE-2015-5307).
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
  c.int_ctl = kVIntrMasking;
  c.nested_ctl = kNpEnable;
}

namespace {

uint16_t pack_attrib(const x86_segment& s) {
  if (s.unusable) return 0;
  return uint16_t((s.type & 0xf) | (s.s & 1) << 4 | (s.dpl & 3) << 5 | (s.present & 1) << 7 |
                  (s.avl & 1) << 8 | (s.l & 1) << 9 | (s.db & 1) << 10 | (s.g & 1) << 11);
}

void load_segment(VmcbSegment& v, const x86_segment& s) {
  v.selector = s.selector;
  v.attrib = pack_attrib(s);
  v.limit = s.limit;
  v.base = s.base;
}

void store_segment(const VmcbSegment& v, x86_segment& s) {
  s.selector = v.selector;
  s.limit = v.limit;
  s.base = v.base;
  s.type = v.attrib & 0xf;
  s.s = (v.attrib >> 4) & 1;
  s.dpl = (v.attrib >> 5) & 3;
  s.present = (v.attrib >> 7) & 1;
  s.avl = (v.attrib >> 8) & 1;
  s.l = (v.attrib >> 9) & 1;
  s.db = (v.attrib >> 10) & 1;
  s.g = (v.attrib >> 11) & 1;
  s.unusable = !s.present;
}

void load_dtable(VmcbSegment& v, const x86_dtable& d) {
  v.limit = d.limit;
  v.base = d.base;
}

void store_dtable(const VmcbSegment& v, x86_dtable& d) {
  d.limit = uint16_t(v.limit);
  d.base = v.base;
}

constexpr uint64_t kCr0Pe = 1;

}  // namespace

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

void load_state(Vmcb& vmcb, const x86_state& s) {
  VmcbSave& v = vmcb.save;
  load_segment(v.es, s.seg[X86_ES]);
  load_segment(v.cs, s.seg[X86_CS]);
  load_segment(v.ss, s.seg[X86_SS]);
  load_segment(v.ds, s.seg[X86_DS]);
  load_segment(v.fs, s.seg[X86_FS]);
  load_segment(v.gs, s.seg[X86_GS]);
  load_segment(v.ldtr, s.seg[X86_LDTR]);
  load_segment(v.tr, s.seg[X86_TR]);
  load_dtable(v.gdtr, s.gdt);
  load_dtable(v.idtr, s.idt);
  // The CPL is SS.DPL in protected mode, 3 in virtual-8086 mode and 0 in
  // real mode (APM "VMRUN").
  constexpr uint64_t kRflagsVm = uint64_t(1) << 17;
  v.cpl = !(s.cr0 & kCr0Pe) ? 0 : (s.rflags & kRflagsVm) ? 3 : s.seg[X86_SS].dpl;
  // VMRUN requires EFER.SVME in the guest state; the guest never sees it.
  v.efer = s.efer | kEferSvme;
  v.cr0 = s.cr0;
  v.cr2 = s.cr2;
  v.cr3 = s.cr3;
  v.cr4 = s.cr4;
  v.dr6 = s.dr6;
  // The guest's breakpoints are virtual: DR0-DR3 hold the host's values
  // (or the debugger's, see vcpu_run), so none of the guest's may be armed.
  v.dr7 = 0x400;
  v.rflags = s.rflags;
  v.rip = s.rip;
  v.rsp = s.gpr[X86_RSP];
  v.rax = s.gpr[X86_RAX];
  v.star = s.star;
  v.lstar = s.lstar;
  v.cstar = s.cstar;
  v.sfmask = s.sfmask;
  v.kernel_gs_base = s.kernel_gs_base;
  v.sysenter_cs = s.sysenter_cs;
  v.sysenter_esp = s.sysenter_esp;
  v.sysenter_eip = s.sysenter_eip;
  v.g_pat = s.pat;
  vmcb.control.tsc_offset = s.tsc_offset;
  vmcb.control.int_state = s.interrupt_shadow ? 1 : 0;
  vmcb.control.int_ctl = (vmcb.control.int_ctl & ~uint64_t(0xf)) | (s.cr8 & 0xf);
}

void set_irq_window(Vmcb& vmcb, bool open) {
  // A virtual interrupt of the highest priority that ignores V_TPR: the
  // CPU takes it, and the VINTR intercept exits, as soon as RFLAGS.IF is
  // set outside an interrupt shadow (APM "Virtual Interrupt Intercept").
  constexpr uint64_t kVIrq = uint64_t(1) << 8, kVIntrPrio = uint64_t(0xf) << 16;
  constexpr uint64_t kVIgnTpr = uint64_t(1) << 20;
  constexpr uint64_t kWindow = kVIrq | kVIntrPrio | kVIgnTpr;
  VmcbControl& c = vmcb.control;
  if (open) {
    c.int_ctl |= kWindow;
    c.intercept_misc1 |= misc1::kVintr;
  } else {
    c.int_ctl &= ~kWindow;
    c.intercept_misc1 &= ~misc1::kVintr;
  }
}

void store_state(const Vmcb& vmcb, x86_state& s) {
  const VmcbSave& v = vmcb.save;
  store_segment(v.es, s.seg[X86_ES]);
  store_segment(v.cs, s.seg[X86_CS]);
  store_segment(v.ss, s.seg[X86_SS]);
  store_segment(v.ds, s.seg[X86_DS]);
  store_segment(v.fs, s.seg[X86_FS]);
  store_segment(v.gs, s.seg[X86_GS]);
  store_segment(v.ldtr, s.seg[X86_LDTR]);
  store_segment(v.tr, s.seg[X86_TR]);
  store_dtable(v.gdtr, s.gdt);
  store_dtable(v.idtr, s.idt);
  s.efer = v.efer & ~kEferSvme;
  s.cr0 = v.cr0;
  s.cr2 = v.cr2;
  s.cr3 = v.cr3;
  s.cr4 = v.cr4;
  s.dr6 = v.dr6;
  s.rflags = v.rflags;
  s.rip = v.rip;
  s.gpr[X86_RSP] = v.rsp;
  s.gpr[X86_RAX] = v.rax;
  s.star = v.star;
  s.lstar = v.lstar;
  s.cstar = v.cstar;
  s.sfmask = v.sfmask;
  s.kernel_gs_base = v.kernel_gs_base;
  s.sysenter_cs = v.sysenter_cs;
  s.sysenter_esp = v.sysenter_esp;
  s.sysenter_eip = v.sysenter_eip;
  s.pat = v.g_pat;
  s.interrupt_shadow = vmcb.control.int_state & 1;
  s.cr8 = vmcb.control.int_ctl & 0xf;
}

}  // namespace kvmpp::svm
