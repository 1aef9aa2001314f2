// SPDX-License-Identifier: GPL-2.0
// KVM_GET/SET_REGS and KVM_GET/SET_SREGS.
#include <kvmpp/uaccess.hpp>

#include "../mmu/mmu.hpp"
#include "../msr/msr.hpp"
#include "../run/run.hpp"
#include "../x86.hpp"
#include "state.hpp"

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
bool valid_sregs(Vcpu& vcpu, const kvm_sregs& k) {
  if (k.cr0 >> 32) return false;
  if ((k.cr0 & kCr0Pg) && !(k.cr0 & kCr0Pe)) return false;
  if ((k.cr0 & kCr0Nw) && !(k.cr0 & kCr0Cd)) return false;
  if (k.cr4 & cr4_reserved_bits(vcpu)) return false;
  if (!efer_reserved_clear(k.efer)) return false;
  if ((k.efer & kEferLme) && (k.cr0 & kCr0Pg)) {
    if (!(k.cr4 & kCr4Pae) || !(k.efer & kEferLma)) return false;
  } else if ((k.efer & kEferLma) || k.cs.l) {
    return false;
  }
  return true;
}

}  // namespace

static kvm_regs read_regs(Vcpu& vcpu) {
  const x86_state& s = vcpu.arch().regs;
  kvm_regs k{};
  uint64_t* out = &k.rax;
  for (unsigned i = 0; i < 16; i++) out[i] = s.gpr[kRegsOrder[i]];
  k.rip = s.rip;
  k.rflags = s.rflags;
  return k;
}

static void write_regs(Vcpu& vcpu, const kvm_regs& k) {
  x86_state& s = vcpu.arch().regs;
  const uint64_t* in = &k.rax;
  for (unsigned i = 0; i < 16; i++) s.gpr[kRegsOrder[i]] = in[i];
  s.rip = k.rip;
  s.rflags = k.rflags | kRflagsFixed;
  // An exception queued for the old state is dropped (as upstream). A
  // pending I/O or MMIO completion still applies on the next KVM_RUN if RIP
  // is left on its instruction (see complete_io/complete_mmio).
  if (s.event.valid && s.event.type == X86_EVENT_EXCEPTION) s.event.valid = 0;
}

kxx::Status get_regs(Vcpu& vcpu, unsigned long uarg) { return copy_to_user(uarg, read_regs(vcpu)); }

kxx::Status set_regs(Vcpu& vcpu, unsigned long uarg) {
  auto k = TRY(copy_from_user<kvm_regs>(uarg));
  write_regs(vcpu, k);
  return kxx::OkStatus();
}

// kvm_sregs and kvm_sregs2 share their first fields; Sregs is either.
template <typename Sregs>
void read_sregs_common(Vcpu& vcpu, Sregs& k) {
  const x86_state& s = vcpu.arch().regs;
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
}

template <typename Sregs>
void write_sregs_common(Vcpu& vcpu, const Sregs& k) {
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
}

static kvm_sregs read_sregs(Vcpu& vcpu) {
  kvm_sregs k{};
  read_sregs_common(vcpu, k);
  // No interrupt is ever pending for injection: there is no KVM_INTERRUPT yet.
  return k;
}

static kxx::Status write_sregs(Vcpu& vcpu, const kvm_sregs& k) {
  if (!valid_sregs(vcpu, k)) return kxx::Errno::kInval;
  // A pending interrupt cannot be queued without KVM_INTERRUPT support.
  for (uint64_t w : k.interrupt_bitmap)
    if (w) return kxx::Errno::kInval;
  // The APIC base goes through the IA32_APIC_BASE rules (as upstream).
  if (!write_apic_base(vcpu, k.apic_base, true).ok()) return kxx::Errno::kInval;
  write_sregs_common(vcpu, k);
  return kxx::OkStatus();
}

kxx::Status get_sregs(Vcpu& vcpu, unsigned long uarg) {
  deliver_payload_for_save(vcpu);  // CR2
  return copy_to_user(uarg, read_sregs(vcpu));
}

kxx::Status set_sregs(Vcpu& vcpu, unsigned long uarg) {
  auto k = TRY(copy_from_user<kvm_sregs>(uarg));
  return write_sregs(vcpu, k);
}

// PAE paging (not long mode) reads four PDPTEs at CR3 (SDM "PAE Paging").
static bool pae_paging(const x86_state& s) {
  return (s.cr0 & kCr0Pg) && (s.cr4 & kCr4Pae) && !(s.efer & kEferLma);
}

kxx::Status get_sregs2(Vcpu& vcpu, unsigned long uarg) {
  deliver_payload_for_save(vcpu);  // CR2
  kvm_sregs2 k{};
  read_sregs_common(vcpu, k);
  const x86_state& s = vcpu.arch().regs;
  if (pae_paging(s)) {
    TRY_STATUS(read_gpa(vcpu.vm(), s.cr3 & 0xffffffe0, k.pdptrs, sizeof(k.pdptrs)));
    k.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
  }
  return copy_to_user(uarg, k);
}

kxx::Status set_sregs2(Vcpu& vcpu, unsigned long uarg) {
  auto k = TRY(copy_from_user<kvm_sregs2>(uarg));
  if (k.flags & ~uint64_t(KVM_SREGS2_FLAGS_PDPTRS_VALID)) return kxx::Errno::kInval;
  kvm_sregs as1{};
  read_sregs_common(vcpu, as1);  // for the checks: take every field from k
  as1.cs = k.cs, as1.ds = k.ds, as1.es = k.es, as1.fs = k.fs, as1.gs = k.gs, as1.ss = k.ss;
  as1.tr = k.tr, as1.ldt = k.ldt, as1.gdt = k.gdt, as1.idt = k.idt;
  as1.cr0 = k.cr0, as1.cr2 = k.cr2, as1.cr3 = k.cr3, as1.cr4 = k.cr4, as1.cr8 = k.cr8;
  as1.efer = k.efer, as1.apic_base = k.apic_base;
  if (!valid_sregs(vcpu, as1)) return kxx::Errno::kInval;
  bool pae = (k.cr0 & kCr0Pg) && (k.cr4 & kCr4Pae) && !(k.efer & kEferLma);
  // PDPTRs only mean something with PAE paging. NPT walks the guest's
  // PDPTEs from memory, so they are not kept in a register either.
  if ((k.flags & KVM_SREGS2_FLAGS_PDPTRS_VALID) && !pae) return kxx::Errno::kInval;
  if (!write_apic_base(vcpu, k.apic_base, true).ok()) return kxx::Errno::kInval;
  write_sregs_common(vcpu, k);
  return kxx::OkStatus();
}

kxx::Status translate_ioctl(Vcpu& vcpu, unsigned long uarg) {
  auto tr = TRY(copy_from_user<kvm_translation>(uarg));
  // As upstream: a supervisor read, reported as writeable and not user.
  auto t = translate(vcpu.vm(), vcpu.arch().regs, tr.linear_address, kRead, true);
  bool ok = t.ok() && !t.value().fault;
  tr.physical_address = ok ? t.value().gpa : ~uint64_t(0);
  tr.valid = ok;
  tr.writeable = 1;
  tr.usermode = 0;
  return copy_to_user(uarg, tr);
}

// KVM_CAP_SYNC_REGS: kvm_run carries registers in and out of KVM_RUN.
constexpr uint64_t kSyncValid = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;

long sync_regs_mask() { return long(kSyncValid); }

kxx::Status sync_regs_in(Vcpu& vcpu) {
  kvm_run* kr = vcpu.run();
  if ((kr->kvm_valid_regs | kr->kvm_dirty_regs) & ~kSyncValid) return kxx::Errno::kInval;
  // The page is shared with user space: read each structure once.
  if (kr->kvm_dirty_regs & KVM_SYNC_X86_REGS) {
    kvm_regs r;
    __builtin_memcpy(&r, &kr->s.regs.regs, sizeof(r));
    write_regs(vcpu, r);
    kr->kvm_dirty_regs &= ~uint64_t(KVM_SYNC_X86_REGS);
  }
  if (kr->kvm_dirty_regs & KVM_SYNC_X86_SREGS) {
    kvm_sregs r;
    __builtin_memcpy(&r, &kr->s.regs.sregs, sizeof(r));
    TRY_STATUS(write_sregs(vcpu, r));
    kr->kvm_dirty_regs &= ~uint64_t(KVM_SYNC_X86_SREGS);
  }
  if (kr->kvm_dirty_regs & KVM_SYNC_X86_EVENTS) {
    kvm_vcpu_events e;
    __builtin_memcpy(&e, &kr->s.regs.events, sizeof(e));
    TRY_STATUS(write_events(vcpu, e));
    kr->kvm_dirty_regs &= ~uint64_t(KVM_SYNC_X86_EVENTS);
  }
  return kxx::OkStatus();
}

void sync_regs_out(Vcpu& vcpu) {
  kvm_run* kr = vcpu.run();
  if (kr->kvm_valid_regs & KVM_SYNC_X86_REGS) kr->s.regs.regs = read_regs(vcpu);
  if (kr->kvm_valid_regs & KVM_SYNC_X86_SREGS) kr->s.regs.sregs = read_sregs(vcpu);
  if (kr->kvm_valid_regs & KVM_SYNC_X86_EVENTS) kr->s.regs.events = read_events(vcpu);
}

uint64_t default_apic_base(bool bsp) {
  return kApicDefaultBase | kApicEnable | (bsp ? kApicBsp : 0);
}

}  // namespace kvmpp::x86
