// SPDX-License-Identifier: GPL-2.0
// KVM_GET/SET_REGS and KVM_GET/SET_SREGS.
#include <kvmpp/uaccess.hpp>

#include "x86.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint64_t kApicDefaultBase = 0xfee00000, kApicEnable = 1 << 11, kApicBsp = 1 << 8;

x86_segment from_abi(const kvm_segment& k) {
  return {k.base, k.limit, k.selector, k.type, k.present, k.dpl,
          k.db,   k.s,     k.l,        k.g,    k.avl,     k.unusable};
}

kvm_segment to_abi(const x86_segment& s) {
  kvm_segment k{};
  k.base = s.base;
  k.limit = s.limit;
  k.selector = s.selector;
  k.type = s.type;
  k.present = s.present;
  k.dpl = s.dpl;
  k.db = s.db;
  k.s = s.s;
  k.l = s.l;
  k.g = s.g;
  k.avl = s.avl;
  k.unusable = s.unusable;
  return k;
}

// The order of kvm_regs: rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8..r15.
constexpr x86_gpr kRegsOrder[16] = {X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_RSI, X86_RDI,
                                    X86_RSP, X86_RBP, X86_R8,  X86_R9,  X86_R10, X86_R11,
                                    X86_R12, X86_R13, X86_R14, X86_R15};

// Control-register combinations the hardware would refuse (SDM "CR0",
// "CR4", "IA32_EFER"; upstream checks the same before accepting sregs).
bool valid_sregs(const kvm_sregs& k) {
  constexpr uint64_t kCr4Reserved =
      ~((1ull << 25) - 1) | (1ull << 15) | (1ull << 19) | (1ull << 24);  // bits KVM never accepts
  if (k.cr0 >> 32) return false;
  if ((k.cr0 & kCr0Pg) && !(k.cr0 & kCr0Pe)) return false;
  if ((k.cr0 & kCr0Nw) && !(k.cr0 & kCr0Cd)) return false;
  if (k.cr4 & kCr4Reserved) return false;
  if ((k.efer & kEferLme) && (k.cr0 & kCr0Pg)) {
    if (!(k.cr4 & kCr4Pae) || !(k.efer & kEferLma)) return false;
  } else if ((k.efer & kEferLma) || k.cs.l) {
    return false;
  }
  return true;
}

}  // namespace

kxx::Status get_regs(Vcpu& vcpu, unsigned long uarg) {
  const x86_state& s = vcpu.arch().regs;
  kvm_regs k{};
  uint64_t* out = &k.rax;
  for (unsigned i = 0; i < 16; i++) out[i] = s.gpr[kRegsOrder[i]];
  k.rip = s.rip;
  k.rflags = s.rflags;
  return copy_to_user(uarg, k);
}

kxx::Status set_regs(Vcpu& vcpu, unsigned long uarg) {
  auto k = TRY(copy_from_user<kvm_regs>(uarg));
  x86_state& s = vcpu.arch().regs;
  const uint64_t* in = &k.rax;
  for (unsigned i = 0; i < 16; i++) s.gpr[kRegsOrder[i]] = in[i];
  s.rip = k.rip;
  s.rflags = k.rflags | kRflagsFixed;
  // Setting registers abandons an unfinished instruction (upstream does the
  // same with its pending emulation).
  vcpu.arch().pending_io = {};
  vcpu.arch().pending_mmio = {};
  vcpu.arch().mmio_cache.clear();
  return kxx::OkStatus();
}

kxx::Status get_sregs(Vcpu& vcpu, unsigned long uarg) {
  const x86_state& s = vcpu.arch().regs;
  kvm_sregs k{};
  k.cs = to_abi(s.seg[X86_CS]);
  k.ds = to_abi(s.seg[X86_DS]);
  k.es = to_abi(s.seg[X86_ES]);
  k.fs = to_abi(s.seg[X86_FS]);
  k.gs = to_abi(s.seg[X86_GS]);
  k.ss = to_abi(s.seg[X86_SS]);
  k.tr = to_abi(s.seg[X86_TR]);
  k.ldt = to_abi(s.seg[X86_LDTR]);
  k.gdt = {s.gdt.base, s.gdt.limit, {}};
  k.idt = {s.idt.base, s.idt.limit, {}};
  k.cr0 = s.cr0;
  k.cr2 = s.cr2;
  k.cr3 = s.cr3;
  k.cr4 = s.cr4;
  k.cr8 = s.cr8;
  k.efer = s.efer;
  k.apic_base = vcpu.arch().apic_base;
  // No interrupt is ever pending for injection: there is no KVM_INTERRUPT yet.
  return copy_to_user(uarg, k);
}

kxx::Status set_sregs(Vcpu& vcpu, unsigned long uarg) {
  auto k = TRY(copy_from_user<kvm_sregs>(uarg));
  if (!valid_sregs(k)) return kxx::Errno::kInval;
  // A pending interrupt cannot be queued without KVM_INTERRUPT support.
  for (uint64_t w : k.interrupt_bitmap)
    if (w) return kxx::Errno::kInval;
  x86_state& s = vcpu.arch().regs;
  s.seg[X86_CS] = from_abi(k.cs);
  s.seg[X86_DS] = from_abi(k.ds);
  s.seg[X86_ES] = from_abi(k.es);
  s.seg[X86_FS] = from_abi(k.fs);
  s.seg[X86_GS] = from_abi(k.gs);
  s.seg[X86_SS] = from_abi(k.ss);
  s.seg[X86_TR] = from_abi(k.tr);
  s.seg[X86_LDTR] = from_abi(k.ldt);
  s.gdt = {k.gdt.base, k.gdt.limit};
  s.idt = {k.idt.base, k.idt.limit};
  s.cr0 = k.cr0;
  s.cr2 = k.cr2;
  s.cr3 = k.cr3;
  s.cr4 = k.cr4;
  s.cr8 = k.cr8;
  s.efer = k.efer;
  vcpu.arch().apic_base = k.apic_base;
  return kxx::OkStatus();
}

uint64_t default_apic_base(unsigned vcpu_id) {
  return kApicDefaultBase | kApicEnable | (vcpu_id == 0 ? kApicBsp : 0);
}

}  // namespace kvmpp::x86
