// SPDX-License-Identifier: GPL-2.0
// Exits handled in the kernel that are not I/O or memory: HLT, CPUID, MSRs,
// XSETBV, cache flushes, debug registers, refused instructions.
#include <glue/glue.h>
#include <glue/x86.h>

#include "../cpuid/cpuid.hpp"
#include "../irq/irqchip.hpp"
#include "../mmu/mmu.hpp"
#include "../msr/msr.hpp"
#include "../pv/pv.hpp"
#include "run.hpp"

namespace kvmpp::x86 {
namespace {

constexpr unsigned kMaxInsnLen = 15;

struct Fetched {
  uint8_t bytes[kMaxInsnLen];
  unsigned len = 0;    // bytes fetched
  unsigned start = 0;  // first byte after the prefixes
  uint8_t rex = 0;
};

// Where the legacy prefixes (and, in 64-bit code, the REX prefix after
// them) of the fetched bytes end.
void find_prefixes(Fetched& f, bool code64) {
  f.start = 0;
  f.rex = 0;
  while (f.start < f.len) {
    uint8_t b = f.bytes[f.start];
    bool legacy = b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 ||
                  b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 || b == 0xf0;
    if (legacy) {
      f.start++;
      continue;
    }
    if (code64 && (b & 0xf0) == 0x40) {
      f.rex = b;
      f.start++;
    }
    break;
  }
}

// Fetch the instruction at CS:RIP and find where its prefixes end, with at
// least @need bytes after them where they can be read (kMaxInsnLen: all
// that can be). Returns -EAGAIN when the fetch faulted (the #PF is queued
// for the guest).
kxx::Result<Fetched> fetch(Vcpu& vcpu, unsigned need) {
  x86_state& s = vcpu.arch().regs;
  const bool c64 = code64(s);
  Fetched f;
  uint64_t linear = (c64 ? 0 : s.seg[X86_CS].base) + s.rip;
  // The usual instruction is short, with few prefixes: one word inside the
  // page holds it, and one word is the cheapest read there is (exits that
  // skip an instruction pay this on every exit).
  constexpr unsigned kWord = sizeof(uint64_t);
  if (need < kMaxInsnLen && (linear & 0xfff) <= KVMG_PAGE_SIZE - kWord) {
    auto st = read_linear(vcpu, linear, f.bytes, kWord, kFetch);
    // Code that is not in guest RAM (MMIO): no bytes, which every caller
    // reports as an emulation failure, as upstream's emulator does; not an
    // error of KVM_RUN (found by fuzz_cpuid). A #PF (kAgain) goes on up.
    if (!st.ok() && st.error().code == kxx::Errno::kFault) return f;
    TRY_STATUS(st);
    f.len = kWord;
    find_prefixes(f, c64);
    if (f.start + need <= f.len) return f;
  }
  // Never fetch across into a page the instruction may not use: stop at the
  // page end first, then the rest.
  unsigned first = kxx::min<unsigned>(kMaxInsnLen, unsigned(KVMG_PAGE_SIZE - (linear & 0xfff)));
  auto st = read_linear(vcpu, linear, f.bytes, first, kFetch);
  if (!st.ok() && st.error().code == kxx::Errno::kFault) return f;  // as above
  TRY_STATUS(st);
  f.len = first;
  if (first < kMaxInsnLen) {
    // The rest may be on an unmapped page the instruction does not reach:
    // a fault there is not the guest's.
    x86_event event = s.event;
    uint64_t cr2 = s.cr2;
    if (read_linear(vcpu, linear + first, f.bytes + first, kMaxInsnLen - first, kFetch).ok())
      f.len = kMaxInsnLen;
    s.event = event;
    s.cr2 = cr2;
  }
  find_prefixes(f, c64);
  return f;
}

Next inject(Vcpu& vcpu, uint8_t vector, bool has_error = false, uint32_t error = 0) {
  queue_exception(vcpu.arch().regs, vector, has_error, error);
  return Next::kEnter;
}

constexpr uint8_t kHlt[] = {0xf4};
constexpr uint8_t kCpuid[] = {0x0f, 0xa2};
constexpr uint8_t kRdmsr[] = {0x0f, 0x32};
constexpr uint8_t kWrmsr[] = {0x0f, 0x30};
constexpr uint8_t kXsetbv[] = {0x0f, 0x01, 0xd1};

kxx::Result<Next> handle_hlt(Vcpu& vcpu) {
  vcpu.arch().stats.inc(arch::kVcpuStatHaltExits);
  if (!TRY(skip_instruction(vcpu, kHlt, sizeof(kHlt)))) return report_emulation_failure(vcpu);
  // With an in-kernel local APIC the vCPU sleeps until an interrupt (the
  // run loop); without one, user space owns halting.
  if (vcpu_apic(vcpu)) {
    vcpu.arch().mp_state = KVM_MP_STATE_HALTED;
    return Next::kEnter;
  }
  vcpu.run()->exit_reason = KVM_EXIT_HLT;
  return Next::kUser;
}

// The answer comes from the vCPU's CPUID table (cpuid/cpuid.cpp); the upper
// halves of the four registers are cleared, as in 64-bit mode.
kxx::Result<Next> handle_cpuid(Vcpu& vcpu) {
  x86_state& s = vcpu.arch().regs;
  uint32_t fn = uint32_t(s.gpr[X86_RAX]), index = uint32_t(s.gpr[X86_RCX]);
  if (cpuid_faulting(vcpu) && cpl(s) > 0) return inject(vcpu, kGpVector, true, 0);
  if (!TRY(skip_instruction(vcpu, kCpuid, sizeof(kCpuid)))) return report_emulation_failure(vcpu);
  CpuidRegs r = emulate_cpuid(vcpu, fn, index);
  s.gpr[X86_RAX] = r.eax;
  s.gpr[X86_RBX] = r.ebx;
  s.gpr[X86_RCX] = r.ecx;
  s.gpr[X86_RDX] = r.edx;
  return Next::kEnter;
}

// RDMSR/WRMSR of ECX with EDX:EAX: #GP(0) outside CPL 0; the rest is
// guest_msr_access (msr/exit.cpp).
kxx::Result<Next> handle_msr(Vcpu& vcpu, bool write) {
  const uint8_t* op = write ? kWrmsr : kRdmsr;
  auto f = TRY(fetch(vcpu, 2));
  if (f.len - f.start < 2 || f.bytes[f.start] != op[0] || f.bytes[f.start + 1] != op[1])
    return report_emulation_failure(vcpu);
  if (cpl(vcpu.arch().regs) != 0) return inject(vcpu, kGpVector, true, 0);
  return guest_msr_access(vcpu, write, f.start + 2);
}

// XSETBV (SDM "XSETBV"): #UD without CR4.OSXSAVE; #GP(0) outside CPL 0,
// for an XCR other than XCR0, and for an XCR0 value the guest's CPUID does
// not allow or that breaks the XCR0 rules.
kxx::Result<Next> handle_xsetbv(Vcpu& vcpu) {
  x86_state& s = vcpu.arch().regs;
  auto f = TRY(fetch(vcpu, 3));
  if (f.len - f.start < 3 || f.bytes[f.start] != 0x0f || f.bytes[f.start + 1] != 0x01 ||
      f.bytes[f.start + 2] != 0xd1)
    return report_emulation_failure(vcpu);
  if (!(s.cr4 & kCr4Osxsave)) return inject(vcpu, kUdVector);
  uint64_t value = (s.gpr[X86_RDX] << 32) | uint32_t(s.gpr[X86_RAX]);
  if (uint32_t(s.gpr[X86_RCX]) != 0 || cpl(s) != 0 ||
      !xcr0_valid(value, cpuid_allowed_xcr0(guest_cpuid(vcpu))))
    return inject(vcpu, kGpVector, true, 0);
  s.xcr0 = value;
  advance_rip(s, f.start + 3);
  return Next::kEnter;
}

// RDTSCP (0F 01 F9): the guest's TSC and its TSC_AUX. Intercepted because
// the hardware would read the host's TSC_AUX (SDM "RDTSCP").
kxx::Result<Next> handle_rdtscp(Vcpu& vcpu) {
  if (!guest_has(vcpu, cpuid_bit::kRdtscp)) return inject(vcpu, kUdVector);
  constexpr uint8_t kRdtscpOp[] = {0x0f, 0x01, 0xf9};
  if (!TRY(skip_instruction(vcpu, kRdtscpOp, sizeof(kRdtscpOp))))
    return report_emulation_failure(vcpu);
  x86_state& s = vcpu.arch().regs;
  uint64_t tsc = guest_tsc(vcpu);
  s.gpr[X86_RAX] = uint32_t(tsc);
  s.gpr[X86_RDX] = uint32_t(tsc >> 32);
  s.gpr[X86_RCX] = uint32_t(vcpu.arch().msrs.tsc_aux);
  return Next::kEnter;
}

kxx::Result<Next> handle_cache_flush(Vcpu& vcpu, uint8_t second_byte) {
  // Guest RAM is ordinary cacheable host memory: nothing to write back.
  const uint8_t op[] = {0x0f, second_byte};
  if (!TRY(skip_instruction(vcpu, op, 2))) return report_emulation_failure(vcpu);
  return Next::kEnter;
}

// MOV to/from DR0-DR7 (0F 21 /r, 0F 23 /r; SDM "MOV - Move to/from Debug
// Registers"). The guest's debug registers are virtual: its breakpoints
// are not armed in the hardware.
kxx::Result<Next> handle_dr(Vcpu& vcpu, bool write) {
  x86_state& s = vcpu.arch().regs;
  auto f = TRY(fetch(vcpu, 3));
  if (f.len - f.start < 3 || f.bytes[f.start] != 0x0f ||
      f.bytes[f.start + 1] != (write ? 0x23 : 0x21))
    return report_emulation_failure(vcpu);
  uint8_t modrm = f.bytes[f.start + 2];
  unsigned dr = (modrm >> 3) & 7, gpr = (modrm & 7) | ((f.rex & 1) << 3);
  constexpr uint64_t kCr4De = 1ull << 3;
  if (f.rex & 4) return inject(vcpu, kUdVector);  // DR8-DR15 do not exist
  if (cpl(s) != 0) return inject(vcpu, kGpVector, true, 0);
  if (dr == 4 || dr == 5) {
    if (s.cr4 & kCr4De) return inject(vcpu, kUdVector);
    dr += 2;
  }
  switch (general_detect(vcpu)) {
    case GeneralDetect::kUser: return Next::kUser;
    case GeneralDetect::kGuest: return Next::kEnter;
    case GeneralDetect::kNone: break;
  }
  uint64_t* reg = &s.gpr[gpr];
  uint64_t mask = code64(s) ? ~0ull : 0xffffffffull;
  if (write) {
    uint64_t v = *reg & mask;
    if ((dr == 6 || dr == 7) && (v >> 32)) return inject(vcpu, kGpVector, true, 0);
    if (dr < 4)
      s.dr[dr] = v;
    else if (dr == 6)
      s.dr6 = (v & 0x1e00f) | 0xffff0ff0;  // fixed bits of DR6
    else
      s.dr7 = (v & kDr7Writable) | kDr7Fixed1;
  } else {
    *reg = (dr < 4 ? s.dr[dr] : dr == 6 ? s.dr6 : s.dr7) & mask;
  }
  advance_rip(s, f.start + 3);
  return Next::kEnter;
}

// INTn, INT3 or INTO about to run, intercepted for a debugger's software
// breakpoints (some CPUs report INT3 this way rather than as #BP). INT3 is
// the breakpoint; the others go ahead as if never intercepted.
kxx::Result<Next> handle_soft_int(Vcpu& vcpu) {
  x86_state& s = vcpu.arch().regs;
  auto f = TRY(fetch(vcpu, 2));
  if (f.start >= f.len) return report_emulation_failure(vcpu);
  switch (f.bytes[f.start]) {
    case 0xcc: return handle_breakpoint(vcpu);
    case 0xcd:
      if (f.len - f.start < 2) return report_emulation_failure(vcpu);
      s.event = {1, f.bytes[f.start + 1], X86_EVENT_SOFT_INT, 0, 0};
      s.event_at_insn = 1;  // delivered past the instruction
      return Next::kEnter;
    case 0xce:
      if (code64(s)) return inject(vcpu, kUdVector);
      if (!(s.rflags & kRflagsOf)) {
        advance_rip(s, f.start + 1);
        return Next::kEnter;
      }
      queue_exception(s, kOfVector);
      s.event_at_insn = 1;
      return Next::kEnter;
    default: return report_emulation_failure(vcpu);
  }
}

}  // namespace

kxx::Result<bool> skip_instruction(Vcpu& vcpu, const uint8_t* opcode, unsigned len) {
  auto f = TRY(fetch(vcpu, len));
  const Fetched& in = f;
  // Prefixes change nothing for these instructions, but a REX or legacy
  // prefix still counts in the length.
  if (in.len - in.start < len) return false;
  for (unsigned i = 0; i < len; i++)
    if (in.bytes[in.start + i] != opcode[i]) return false;
  advance_rip(vcpu.arch().regs, in.start + len);
  return true;
}

unsigned string_source_segment(Vcpu& vcpu) {
  auto f = fetch(vcpu, 1);
  if (!f.ok()) return X86_DS;
  unsigned seg = X86_DS;
  for (unsigned i = 0; i < f.value().start; i++) {
    switch (f.value().bytes[i]) {
      case 0x26: seg = X86_ES; break;
      case 0x2e: seg = X86_CS; break;
      case 0x36: seg = X86_SS; break;
      case 0x3e: seg = X86_DS; break;
      case 0x64: seg = X86_FS; break;
      case 0x65: seg = X86_GS; break;
      default: break;
    }
  }
  return seg;
}

void step_over_soft_event(Vcpu& vcpu) {
  x86_state& s = vcpu.arch().regs;
  if (!s.event.valid || !s.event_at_insn) return;
  s.event_at_insn = 0;
  auto f = fetch(vcpu, 2);
  if (!f.ok() || f.value().start >= f.value().len) return;
  const Fetched& in = f.value();
  switch (in.bytes[in.start]) {
    case 0xcd: advance_rip(s, in.start + 2); break;  // INT imm8
    case 0xcc:                                       // INT3
    case 0xce: advance_rip(s, in.start + 1); break;  // INTO
    default: break;
  }
}

bool step_sti(Vcpu& vcpu) {
  x86_state& s = vcpu.arch().regs;
  constexpr uint64_t kRflagsIf = 1u << 9, kRflagsVm = 1u << 17;
  unsigned iopl = (s.rflags >> 12) & 3;
  if ((s.cr0 & kCr0Pe) && ((s.rflags & kRflagsVm) || cpl(s) > iopl)) return false;
  // A fault while fetching is not the guest's here: the hardware runs it.
  x86_event event = s.event;
  uint64_t cr2 = s.cr2;
  auto f = fetch(vcpu, 1);
  s.event = event;
  s.cr2 = cr2;
  if (!f.ok() || f.value().start >= f.value().len || f.value().bytes[f.value().start] != 0xfb)
    return false;
  bool was_enabled = s.rflags & kRflagsIf;
  advance_rip(s, f.value().start + 1);
  s.rflags |= kRflagsIf;
  // Interrupts stay blocked for one more instruction when STI enabled them.
  s.interrupt_shadow = !was_enabled;
  return true;
}

Next report_emulation_failure(Vcpu& vcpu) {
  // The bytes at RIP, as far as they can be read: a fault here is not the
  // guest's to take.
  x86_state& s = vcpu.arch().regs;
  x86_event event = s.event;
  uint64_t cr2 = s.cr2;
  auto f = fetch(vcpu, kMaxInsnLen);
  s.event = event;
  s.cr2 = cr2;
  if (f.ok())
    fill_emulation_failure(vcpu, f.value().bytes, f.value().len);
  else
    fill_emulation_failure(vcpu, nullptr, 0);
  return Next::kUser;
}

static kxx::Result<Next> dispatch(Vcpu& vcpu, const x86_exit& exit) {
  switch (exit.kind) {
    case X86_EXIT_HLT: return handle_hlt(vcpu);
    case X86_EXIT_CPUID: return handle_cpuid(vcpu);
    case X86_EXIT_RDMSR: return handle_msr(vcpu, false);
    case X86_EXIT_WRMSR: return handle_msr(vcpu, true);
    case X86_EXIT_XSETBV: return handle_xsetbv(vcpu);
    case X86_EXIT_UD: return inject(vcpu, kUdVector);
    case X86_EXIT_GP: return inject(vcpu, kGpVector, true, 0);
    case X86_EXIT_RDTSCP: return handle_rdtscp(vcpu);
    // #AC goes back to the guest, with its architectural error code 0.
    case X86_EXIT_EXCEPTION: return inject(vcpu, uint8_t(exit.info[0]), true, 0);
    case X86_EXIT_MACHINE_CHECK:
      // The host's machine check, taken while the guest ran: let the host's
      // handler see it (the guest does not).
      kvmg_x86_machine_check();
      return Next::kEnter;
    case X86_EXIT_CACHE_FLUSH: return handle_cache_flush(vcpu, uint8_t(exit.info[0]));
    case X86_EXIT_DR_ACCESS: return handle_dr(vcpu, exit.info[0]);
    case X86_EXIT_HYPERCALL: return handle_hypercall(vcpu);
    case X86_EXIT_UD_FAULT: return handle_ud_fault(vcpu);
    case X86_EXIT_SOFT_INT: return handle_soft_int(vcpu);
    default: {
      // An exit the layer does not handle: tell user space which.
      constexpr uint32_t kUnexpectedExitSuberror = 4;  // ..._UNEXPECTED_EXIT_REASON
      kvm_run* kr = vcpu.run();
      kr->exit_reason = KVM_EXIT_INTERNAL_ERROR;
      kr->internal.suberror = kUnexpectedExitSuberror;
      kr->internal.ndata = 2;
      kr->internal.data[0] = exit.hw_reason;
      kr->internal.data[1] = vcpu.arch().last_cpu;
      return Next::kUser;
    }
  }
}

kxx::Result<Next> handle_other_exit(Vcpu& vcpu, const x86_exit& exit) {
  auto next = dispatch(vcpu, exit);
  // Fetching the instruction faulted: the guest takes the #PF first.
  if (!next.ok() && next.error().code == kxx::Errno::kAgain) return Next::kEnter;
  return next;
}

}  // namespace kvmpp::x86
