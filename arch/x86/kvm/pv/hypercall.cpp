// SPDX-License-Identifier: GPL-2.0
// KVM hypercalls (Documentation/virt/kvm/x86/hypercalls.rst): the number in
// RAX, arguments in RBX, RCX, RDX and RSI, the result in RAX; truncated to
// 32 bits outside 64-bit code. Implemented: KVM_HC_VAPIC_POLL_IRQ (the exit
// is the point), KVM_HC_CLOCK_PAIRING and KVM_HC_SCHED_YIELD. KICK_CPU and
// SEND_IPI need an in-kernel local APIC and MAP_GPA_RANGE an exit to user
// space: like every unknown number they return -KVM_ENOSYS.
//
// Guests may use either vendor's instruction (VMCALL on Intel, VMMCALL on
// AMD). The other one raises #UD; with KVM_X86_QUIRK_FIX_HYPERCALL_INSN
// (on by default) it is rewritten in guest memory into this CPU's and
// executed again.
#include <glue/clock.h>
#include <glue/glue.h>
#include <glue/x86.h>

#include "../irq/irqchip.hpp"
#include "../mmu/mmu.hpp"
#include "../run/run.hpp"
#include "pv.hpp"

namespace kvmpp::x86 {
namespace {

constexpr unsigned kInsnLen = 3;
constexpr uint8_t kVmcall[kInsnLen] = {0x0f, 0x01, 0xc1};
constexpr uint8_t kVmmcall[kInsnLen] = {0x0f, 0x01, 0xd9};
constexpr uint64_t kNsPerSec = 1000000000;

// The hypercall instruction of the CPU the guests run on.
bool vendor_amd() { return kvmg_x86_has(KVMG_X86_SVM); }
const uint8_t* native_insn() { return vendor_amd() ? kVmmcall : kVmcall; }
const uint8_t* foreign_insn() { return vendor_amd() ? kVmcall : kVmmcall; }

bool same(const uint8_t* a, const uint8_t* b) {
  for (unsigned i = 0; i < kInsnLen; i++)
    if (a[i] != b[i]) return false;
  return true;
}

// KVM_HC_CLOCK_PAIRING: the host's real time and the guest TSC of the same
// instant, at guest-physical @gpa. Only with a TSC clocksource.
int64_t clock_pairing(Vcpu& vcpu, uint64_t gpa, uint64_t type) {
  if (type != KVM_CLOCK_PAIRING_WALLCLOCK) return -KVM_EOPNOTSUPP;
  kvmg_host_clock h;
  kvmg_host_clock_read(&h);
  if (!h.tsc_exact) return -KVM_EOPNOTSUPP;
  kvm_clock_pairing p{};
  p.sec = int64_t(h.real_ns / kNsPerSec);
  p.nsec = int64_t(h.real_ns % kNsPerSec);
  p.tsc = h.tsc + vcpu.arch().regs.tsc_offset;
  if (!write_gpa(vcpu, gpa, &p, sizeof(p)).ok()) return -KVM_EFAULT;
  return 0;
}

// A vCPU's APIC ID: its local APIC's, or without an in-kernel one the
// default (the vCPU id).
uint64_t apic_id(Vcpu& vcpu) {
  VcpuApic* a = vcpu_apic(vcpu);
  if (!a) return vcpu.id();
  SpinLockGuard guard(a->lock);
  return a->lapic.id();
}

// KVM_HC_SCHED_YIELD: the caller waits for the vCPU with APIC ID @dest; if
// that vCPU's task is runnable but off the CPU, give it the rest of this
// time slice. A hint: always succeeds.
int64_t sched_yield(Vcpu& vcpu, uint64_t dest) {
  Vm& vm = vcpu.vm();
  for (unsigned i = 0; i < vm.online_vcpus(); i++) {
    Vcpu* target = vm.vcpu_at(i);
    if (!target || apic_id(*target) != dest) continue;
    if (target != &vcpu) kvmg_yield_to(target->arch().pv.pid.load());
    break;
  }
  return 0;
}

int64_t hypercall(Vcpu& vcpu, uint64_t nr, const uint64_t (&a)[4]) {
  switch (nr) {
    case KVM_HC_VAPIC_POLL_IRQ: return 0;
    case KVM_HC_CLOCK_PAIRING: return clock_pairing(vcpu, a[0], a[1]);
    case KVM_HC_SCHED_YIELD:
      if (!pv_has(vcpu, KVM_FEATURE_PV_SCHED_YIELD)) return -KVM_ENOSYS;
      return sched_yield(vcpu, a[0]);
    default: return -KVM_ENOSYS;
  }
}

}  // namespace

kxx::Result<Next> handle_hypercall(Vcpu& vcpu) {
  if (!TRY(skip_instruction(vcpu, native_insn(), kInsnLen))) return report_emulation_failure(vcpu);
  x86_state& s = vcpu.arch().regs;
  bool wide = code64(s);
  uint64_t mask = wide ? ~0ull : 0xffffffffull;
  uint64_t nr = s.gpr[X86_RAX] & mask;
  const uint64_t a[4] = {s.gpr[X86_RBX] & mask, s.gpr[X86_RCX] & mask, s.gpr[X86_RDX] & mask,
                         s.gpr[X86_RSI] & mask};
  // Only the guest's kernel may make hypercalls.
  int64_t ret = cpl(s) ? -KVM_EPERM : hypercall(vcpu, nr, a);
  s.gpr[X86_RAX] = uint64_t(ret) & mask;
  return Next::kEnter;
}

kxx::Result<Next> handle_ud_fault(Vcpu& vcpu) {
  x86_state& s = vcpu.arch().regs;
  // An event the exit interrupted goes first; the #UD comes back after it.
  if (s.event.valid) return Next::kEnter;
  uint64_t linear = (code64(s) ? 0 : s.seg[X86_CS].base) + s.rip;
  uint8_t insn[kInsnLen];
  // The faulting instruction may be shorter than three bytes and end a
  // page: a fault on reading past it is not the guest's.
  x86_event event = s.event;
  uint64_t cr2 = s.cr2;
  bool fetched = read_linear(vcpu, linear, insn, kInsnLen, kFetch).ok();
  s.event = event;
  s.cr2 = cr2;
  if (fetched && same(insn, foreign_insn()) &&
      quirk_enabled(vcpu.vm(), KVM_X86_QUIRK_FIX_HYPERCALL_INSN)) {
    // With the guest's own write permissions: a read-only code page gets
    // the guest a #PF, as a write by the instruction would.
    auto st = write_linear(vcpu, linear, native_insn(), kInsnLen);
    if (st.ok() || st.error().code == kxx::Errno::kAgain) return Next::kEnter;
  }
  queue_exception(s, kUdVector);
  return Next::kEnter;
}

}  // namespace kvmpp::x86
