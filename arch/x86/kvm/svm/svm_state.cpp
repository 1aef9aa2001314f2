// SPDX-License-Identifier: GPL-2.0
// The translation between x86_state and the VMCB save area (APM vol. 2,
// appendix "Layout of VMCB", "VMRUN" and "#VMEXIT").
#include "svm.hpp"

namespace kvmpp::svm {
namespace {

// Where each of x86_state's segment registers (enum x86_seg order) is in the
// save area's segment block, counted in VmcbSegment entries; GDTR and IDTR
// sit between GS and LDTR.
constexpr unsigned kSlot[X86_NR_SEGS] = {0, 1, 2, 3, 4, 5, 7, 9};
constexpr unsigned kGdtSlot = 6, kIdtSlot = 8, kSlots = 10;
static_assert(__builtin_offsetof(VmcbSave, tr) == kSlot[X86_TR] * sizeof(VmcbSegment));
static_assert(__builtin_offsetof(VmcbSave, gdtr) == kGdtSlot * sizeof(VmcbSegment));
static_assert(__builtin_offsetof(VmcbSave, idtr) == kIdtSlot * sizeof(VmcbSegment));

VmcbSegment* slots(VmcbSave& v) { return &v.es; }
const VmcbSegment* slots(const VmcbSave& v) { return &v.es; }

// Whether two objects hold the same bytes (padding included: a spurious
// difference only costs one translation). One unrolled pass of word XORs
// and a single branch: this runs twice on every exit.
template <typename T>
bool same(const T& a, const T& b) {
  static_assert(sizeof(T) % sizeof(uint64_t) == 0);
  const auto* x = reinterpret_cast<const unsigned char*>(&a);
  const auto* y = reinterpret_cast<const unsigned char*>(&b);
  uint64_t diff = 0;
#pragma GCC unroll 32
  for (unsigned i = 0; i < sizeof(T); i += sizeof(uint64_t)) {
    uint64_t p, q;
    __builtin_memcpy(&p, x + i, sizeof p);
    __builtin_memcpy(&q, y + i, sizeof q);
    diff |= p ^ q;
  }
  return diff == 0;
}

// The VMCB's segment block as one object, for same().
struct SegmentBlock {
  VmcbSegment slot[kSlots];
};
const SegmentBlock& block(const VmcbSegment* first) {
  return *reinterpret_cast<const SegmentBlock*>(first);
}

uint16_t pack_attrib(const x86_segment& s) {
  if (s.unusable) return 0;
  return uint16_t((s.type & 0xf) | (s.s & 1) << 4 | (s.dpl & 3) << 5 | (s.present & 1) << 7 |
                  (s.avl & 1) << 8 | (s.l & 1) << 9 | (s.db & 1) << 10 | (s.g & 1) << 11);
}

void pack_segment(VmcbSegment& v, const x86_segment& s) {
  v.selector = s.selector;
  v.attrib = pack_attrib(s);
  v.limit = s.limit;
  v.base = s.base;
}

void unpack_segment(const VmcbSegment& v, x86_segment& s) {
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

void pack_dtable(VmcbSegment& v, const x86_dtable& d) {
  v.limit = d.limit;
  v.base = d.base;
}

void unpack_dtable(const VmcbSegment& v, x86_dtable& d) {
  d.limit = uint16_t(v.limit);
  d.base = v.base;
}

// The usual case, nothing changed, costs one comparison of each copy.
void load_segments(VmcbSave& v, SegmentCache& c, x86_state& s) {
  if (c.valid && same(s.seg, c.seg) && same(s.gdt, c.gdt) && same(s.idt, c.idt)) return;
  VmcbSegment* hw = slots(v);
  for (unsigned i = 0; i < X86_NR_SEGS; i++) {
    if (c.valid && same(s.seg[i], c.seg[i])) continue;
    VmcbSegment& slot = hw[kSlot[i]];
    pack_segment(slot, s.seg[i]);
    unpack_segment(slot, s.seg[i]);
    c.seg[i] = s.seg[i];
    c.vmcb[kSlot[i]] = slot;
  }
  if (!c.valid || !same(s.gdt, c.gdt)) {
    pack_dtable(v.gdtr, s.gdt);
    c.gdt = s.gdt;
    c.vmcb[kGdtSlot] = v.gdtr;
  }
  if (!c.valid || !same(s.idt, c.idt)) {
    pack_dtable(v.idtr, s.idt);
    c.idt = s.idt;
    c.vmcb[kIdtSlot] = v.idtr;
  }
  c.valid = true;
}

void store_segments(const VmcbSave& v, SegmentCache& c, x86_state& s) {
  const VmcbSegment* hw = slots(v);
  if (same(block(hw), block(c.vmcb))) return;
  for (unsigned i = 0; i < X86_NR_SEGS; i++) {
    const VmcbSegment& slot = hw[kSlot[i]];
    if (same(slot, c.vmcb[kSlot[i]])) continue;
    unpack_segment(slot, s.seg[i]);
    c.seg[i] = s.seg[i];
    c.vmcb[kSlot[i]] = slot;
  }
  if (!same(v.gdtr, c.vmcb[kGdtSlot])) {
    unpack_dtable(v.gdtr, s.gdt);
    c.gdt = s.gdt;
    c.vmcb[kGdtSlot] = v.gdtr;
  }
  if (!same(v.idtr, c.vmcb[kIdtSlot])) {
    unpack_dtable(v.idtr, s.idt);
    c.idt = s.idt;
    c.vmcb[kIdtSlot] = v.idtr;
  }
}

constexpr uint64_t kCr0Pe = 1;

}  // namespace

void load_state(Vmcb& vmcb, SegmentCache& cache, x86_state& s) {
  VmcbSave& v = vmcb.save;
  load_segments(v, cache, s);
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
  // All of int_ctl, not only V_TPR: V_INTR_MASKING must never go missing,
  // or a guest with IF clear would hold off the host's interrupts. (QEMU
  // 7.2's SVM writes int_ctl back without it after a failed VMRUN.) The
  // interrupt window's bits go on top (set_irq_window).
  vmcb.control.int_ctl = intctl::kVIntrMasking | (s.cr8 & intctl::kVTpr);
}

void store_state(const Vmcb& vmcb, SegmentCache& cache, x86_state& s) {
  const VmcbSave& v = vmcb.save;
  store_segments(v, cache, s);
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
  s.cr8 = vmcb.control.int_ctl & intctl::kVTpr;
}

}  // namespace kvmpp::svm
