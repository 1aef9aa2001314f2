// SPDX-License-Identifier: GPL-2.0
// One entry into the guest: ASID, VMCB state, the world switch, the exit.
#include <glue/glue.h>
#include <glue/x86.h>
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

uint32_t rdpkru() {
  uint32_t eax, edx;
  asm volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}

void wrpkru(uint32_t v) { asm volatile(".byte 0x0f, 0x01, 0xef" ::"a"(v), "c"(0), "d"(0)); }

// INTn, INT3 and INTO: their event is delivered as a trap, after the
// instruction (APM "Event Injection" types 3 and 4).
bool soft_event(const x86_event& e) {
  return e.valid && (e.type == X86_EVENT_SOFT_INT ||
                     (e.type == X86_EVENT_EXCEPTION && (e.vector == 3 || e.vector == 4)));
}

void write_dr(unsigned n, uint64_t v) {
  switch (n) {
    case 0: asm volatile("mov %0, %%db0" ::"r"(v)); break;
    case 1: asm volatile("mov %0, %%db1" ::"r"(v)); break;
    case 2: asm volatile("mov %0, %%db2" ::"r"(v)); break;
    case 3: asm volatile("mov %0, %%db3" ::"r"(v)); break;
    default: asm volatile("mov %0, %%db7" ::"r"(v)); break;
  }
}

// The debugger's intercepts for this run (KVM_SET_GUEST_DEBUG): #DB, and
// for software breakpoints #BP and INTn (QEMU's TCG reports a guest's INT3
// as an INTn intercept rather than as #BP).
void set_debug_intercepts(VmcbControl& c, const x86_debug& d) {
  c.intercept_exceptions = kBaseExceptionIntercepts;
  if (d.flags & X86_DEBUG_INTERCEPT_DB)
    c.intercept_exceptions |= uint32_t(1) << exit_code::kDbVector;
  if (d.flags & X86_DEBUG_INTERCEPT_BP) {
    c.intercept_exceptions |= uint32_t(1) << exit_code::kBpVector;
    c.intercept_misc1 |= misc1::kIntn;
  } else {
    c.intercept_misc1 &= ~misc1::kIntn;
  }
}

// The debugger's breakpoints go into the hardware around VMRUN, with GIF
// clear so that no interrupt or NMI runs with them: DR0-DR3 are not part of
// the VMCB. DR7 is armed on the host side too, just before VMRUN: the CPU
// loads the VMCB's DR7 anyway, and an emulated CPU (QEMU's TCG) only sets
// up breakpoints when DR7 is written. The #VMEXIT disarms the host's DR7
// (APM "#VMEXIT"), but an emulated CPU may reload the armed value: clear it
// before anything else runs. The caller puts back the host's own
// breakpoints (kvmg_x86_restore_host_debugregs). The host's copy of DR7
// goes without GD, which would make the host's next MOV to DR7 fault.
void load_debugger_drs(const x86_debug& d) {
  constexpr uint64_t kDr7Gd = uint64_t(1) << 13;
  write_dr(7, 0);
  for (unsigned i = 0; i < 4; i++) write_dr(i, d.dr[i]);
  write_dr(7, d.dr7 & ~kDr7Gd);
}

uint64_t xgetbv() {
  uint32_t a, d;
  asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
  return (uint64_t(d) << 32) | a;
}

// Start the VMCB's control area over, and reload every segment from
// x86_state at the next entry: after an exit that leaves the VMCB undefined.
void rebuild_control(SvmVcpu& v) {
  VmcbControl clean{};
  v.vmcb->control = clean;
  init_control(*v.vmcb);
  forget_state(v.segments);
}

}  // namespace

int vcpu_run(void* p, void* arg) {
  auto& v = *static_cast<SvmVcpu*>(p);
  auto& run = *static_cast<x86_run*>(arg);
  x86_state& s = *run.state;
  Vmcb& vmcb = *v.vmcb;
  unsigned cpu = run.cpu;
  PerCpu* pc = percpu(cpu);
  if (!pc) return -int(kxx::Errno::kIo);

  if (pc->last_vmcb != v.vmcb) {
    kvmg_x86_ibpb_on_switch();
    pc->last_vmcb = v.vmcb;
  }
  load_state(vmcb, v.segments, s);
  set_irq_window(vmcb, run.flags & X86_RUN_IRQ_WINDOW);
  // NMIs are blocked until the handler's IRET: exit before it executes.
  if (run.flags & X86_RUN_IRET_WINDOW)
    vmcb.control.intercept_misc1 |= misc1::kIret;
  else
    vmcb.control.intercept_misc1 &= ~misc1::kIret;
  vmcb.control.nested_cr3 = run.tdp_root;
  // HLT runs in the guest when user space disabled its exit.
  if (run.passthrough & X86_PASSTHROUGH_HLT)
    vmcb.control.intercept_misc1 &= ~misc1::kHlt;
  else
    vmcb.control.intercept_misc1 |= misc1::kHlt;
  const x86_debug& debug = run.debug;
  set_debug_intercepts(vmcb.control, debug);
  if (debug.flags & X86_DEBUG_LOAD_DRS) vmcb.save.dr7 = debug.dr7;
  // A clean DR6, so that a #DB exit reports only this run's conditions; the
  // guest's own DR6 stays in x86_state.
  constexpr uint64_t kDr6Fixed = 0xffff0ff0;
  if (debug.flags & X86_DEBUG_INTERCEPT_DB) vmcb.save.dr6 = kDr6Fixed;
  x86_event injected = s.event;
  vmcb.control.event_inj = pack_event(s.event);
  s.event.valid = 0;
  vmcb.control.clean = 0;  // every field reloaded: the state may have changed
  assign_asid(v, *pc, cpu, run.flags & X86_RUN_FLUSH_TLB, vmcb);
  vmcb.control.asid = v.asid;

  // The guest's XCR0 is live only while it runs; the kernel's FPU code
  // expects the host's everywhere else. It is loaded whatever the guest's
  // CR4.OSXSAVE: CR4 writes do not exit, so the guest may set OSXSAVE and
  // read XCR0 (XGETBV) within one run.
  bool swap_xcr0 = run.host_xcr0 && s.xcr0 != run.host_xcr0;
  asm volatile("clgi" ::: "memory");
  // The guest runs with its own PKRU (RDPKRU/WRPKRU do not exit), and PKRU
  // is the host task's user state: switch it where nothing else can run,
  // NMIs included.
  uint32_t host_pkru = 0;
  if (run.host_pku) {
    host_pkru = rdpkru();
    if (s.pkru != host_pkru) wrpkru(s.pkru);
  }
  if (swap_xcr0) xsetbv(s.xcr0);
  bool load_drs = debug.flags & X86_DEBUG_LOAD_DRS;
  if (load_drs) load_debugger_drs(debug);
  kvmpp_svm_vmrun(v.vmcb_pa, s.gpr, pc->host_save_pa);
  if (load_drs) write_dr(7, 0);
  // XCR0 as the guest left it: XSETBV is intercepted, but a CPU that fails
  // to intercept it (QEMU 7.2's SVM) must not leave the host running with
  // the guest's XCR0.
  if (run.host_xcr0) {
    uint64_t xcr0 = xgetbv();
    if (swap_xcr0 || xcr0 != run.host_xcr0) s.xcr0 = xcr0;
    if (xcr0 != run.host_xcr0) xsetbv(run.host_xcr0);
  }
  if (run.host_pku) {
    s.pkru = rdpkru();
    if (s.pkru != host_pkru) wrpkru(host_pkru);
  }
  asm volatile("stgi" ::: "memory");

  // A VMRUN that failed its consistency checks ran no guest instruction:
  // the state of record is still x86_state, and the next entry rebuilds
  // the VMCB from it. Its save area need not hold the guest's state now:
  // QEMU 7.2's SVM writes the host's registers there (and int_ctl without
  // V_INTR_MASKING). The event we tried to inject is still due.
  if (uint32_t(vmcb.control.exit_code) == exit_code::kInvalid) {
    s.event = injected;
    decode_exit(vmcb, run.exit);
    rebuild_control(v);
    return 0;
  }

  uint64_t guest_dr6 = s.dr6;
  store_state(vmcb, v.segments, s);
  if (debug.flags & X86_DEBUG_INTERCEPT_DB) s.dr6 = guest_dr6;
  // An event interrupted by the exit is delivered again on the next entry.
  s.event = unpack_event(vmcb.control.exit_int_info);
  // A software event the guest raised itself (INTn, INT3, INTO) leaves RIP
  // on its instruction; one we injected was already past it.
  bool ours = injected.valid && injected.vector == s.event.vector && injected.type == s.event.type;
  s.event_at_insn = soft_event(s.event) && !ours;
  decode_exit(vmcb, run.exit);
  // After a shutdown intercept the VMCB is undefined (APM "Shutdown
  // intercept"); the state of record is x86_state, so rebuild the rest.
  if (uint32_t(vmcb.control.exit_code) == exit_code::kShutdown) rebuild_control(v);
  return 0;
}

}  // namespace kvmpp::svm
