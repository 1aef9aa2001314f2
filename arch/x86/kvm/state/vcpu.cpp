// SPDX-License-Identifier: GPL-2.0
// x86 vCPU set-up, reset state and small helpers of the exit handlers.
#include <glue/x86.h>
#include <kxx/new.hpp>

#include "../cpuid/cpuid.hpp"
#include "../irq/irqchip.hpp"
#include "../msr/msr.hpp"
#include "../x86.hpp"
#include "state.hpp"

namespace kvmpp::arch {

kxx::Result<VcpuState*> vcpu_state_create() {
  auto* state = new (kxx::Alloc::kSleep) VcpuState;
  if (!state) return kxx::Errno::kNoMem;
  return state;
}

void vcpu_state_destroy(VcpuState* state) { delete state; }

uint64_t vcpu_stat(const VcpuState& state, unsigned index) { return state.stats.get(index); }

kxx::Status vcpu_init(Vcpu& vcpu) {
  vcpu.arch().fpu = kvmg_fpu_alloc();
  if (!vcpu.arch().fpu) return kxx::Errno::kNoMem;
  x86::reset_state(vcpu);
  vcpu.arch().regs.pat = 0x0007040600070406ull;  // the power-on PAT (INIT keeps it)
  x86::msr_init(vcpu);
  if (auto s = x86::apic_init(vcpu); !s.ok()) {
    kvmg_fpu_free(vcpu.arch().fpu);
    vcpu.arch().fpu = nullptr;
    return s;
  }
  return kxx::OkStatus();
}

void vcpu_destroy(Vcpu& vcpu) {
  x86::apic_destroy(vcpu);
  kvmg_fpu_free(vcpu.arch().fpu);
  x86::free_cpuid(vcpu);
}

}  // namespace kvmpp::arch

namespace kvmpp::x86 {
namespace {

x86_segment data_segment(uint16_t type) {
  x86_segment s{};
  s.limit = 0xffff;
  s.type = uint8_t(type);
  s.s = 1;
  s.present = 1;
  return s;
}

}  // namespace

void reset_state(Vcpu& vcpu) {
  x86_state& s = vcpu.arch().regs;
  // INIT leaves the TSC running (SDM vol. 3A, "Time-Stamp Counter") and
  // keeps PAT, as upstream: an AP's INIT must not move its TSC away from
  // the other vCPUs'.
  uint64_t tsc_offset = s.tsc_offset;
  uint64_t pat = s.pat;
  s = {};
  s.tsc_offset = tsc_offset;
  s.pat = pat;
  // Execution starts at F000:FFF0 with CS.base FFFF0000: the reset vector
  // 16 bytes below 4 GiB.
  for (auto& seg : s.seg) seg = data_segment(3);  // read/write, accessed
  s.seg[X86_CS] = data_segment(0xb);              // execute/read, accessed
  s.seg[X86_CS].selector = 0xf000;
  s.seg[X86_CS].base = 0xffff0000;
  s.seg[X86_LDTR] = {.limit = 0xffff, .type = 2, .present = 1};
  s.seg[X86_TR] = {.limit = 0xffff, .type = 0xb, .present = 1};
  s.gdt.limit = s.idt.limit = 0xffff;
  s.rip = 0xfff0;
  s.rflags = kRflagsFixed;
  s.cr0 = kCr0Et | kCr0Nw | kCr0Cd;
  s.dr6 = 0xffff0ff0;
  s.dr7 = 0x400;
  s.xcr0 = 1;  // x87 only
  // EDX holds the processor signature (family 6) until CPUID says otherwise.
  s.gpr[X86_RDX] = 0x600;
  vcpu.arch().mp_state = KVM_MP_STATE_RUNNABLE;
  vcpu.arch().apic_base = default_apic_base(is_bsp(vcpu));
  vcpu.arch().pending_io = {};
  vcpu.arch().exception = {};  // an INIT drops what was raised (not the debugger's settings)
}

void queue_exception(x86_state& s, uint8_t vector, bool has_error, uint32_t error) {
  // Real mode pushes no error code (SDM "Exception and Interrupt Handling
  // in Real-Address Mode").
  if (!(s.cr0 & kCr0Pe)) has_error = false;
  s.event = {1, vector, X86_EVENT_EXCEPTION, uint8_t(has_error), has_error ? error : 0};
}

void advance_rip(x86_state& s, unsigned len) {
  uint64_t rip = s.rip + len;
  if (!code64(s)) rip &= s.seg[X86_CS].db ? 0xffffffffull : 0xffffull;
  s.rip = rip;
  s.interrupt_shadow = 0;
}

}  // namespace kvmpp::x86
