// SPDX-License-Identifier: GPL-2.0
// MMIO: an access to guest-physical memory that no slot backs (or a write to
// a read-only slot) is emulated. The instruction emulator (emulate/) runs
// against the guest's memory seen through its page tables; MMIO reads and
// writes become KVM_EXIT_MMIO, and a read completes on the next KVM_RUN by
// emulating the instruction again with the data user space supplied.
#include <glue/glue.h>

#include "../emulate/emulate.hpp"
#include "../mmu/mmu.hpp"
#include "run.hpp"

namespace kvmpp::x86 {
namespace {

using emu::AccessResult;
using emu::Fault;

constexpr uint32_t kPfPresent = 1;

// No page is known to be MMIO (see GuestMemory).
constexpr uint64_t kNoGfn = ~uint64_t(0);

// The guest's memory as the emulator sees it: linear addresses translated
// through the guest's page tables, then RAM through the slots or MMIO. It
// holds the slots lock (GuestMem) for one emulation: never across a call
// into a device, which may read guest memory itself.
class GuestMemory final : public emu::Memory {
 public:
  // @mmio_write_gfn: a page writes go to MMIO on, without looking for a
  // slot: the nested page fault being emulated found none for a write there.
  GuestMemory(Vcpu& vcpu, uint64_t mmio_write_gfn)
      : vcpu_(vcpu), s_(vcpu.arch().regs), mem_(vcpu.vm()), mmio_write_gfn_(mmio_write_gfn) {}

  kxx::Result<unsigned> fetch(uint64_t linear, uint8_t* buf, unsigned len, Fault& f) override {
    unsigned n = kxx::min<unsigned>(len, unsigned(KVMG_PAGE_SIZE - (linear & 0xfff)));
    auto t = TRY(translate(mem_, s_, linear, kFetch, supervisor()));
    if (t.fault) {
      f = page_fault(t, linear);
      return kxx::Errno::kFault;
    }
    // Executing from MMIO cannot be emulated: the fetch itself fails.
    TRY_STATUS(mem_.read(t.gpa, buf, n));
    return n;
  }

  AccessResult read(uint64_t linear, void* buf, unsigned len) override {
    return access(linear, kRead, [&](uint64_t gpa) { return mem_.read(gpa, buf, len); });
  }

  AccessResult write(uint64_t linear, const void* buf, unsigned len) override {
    return access(linear, kWrite, [&](uint64_t gpa) {
      if (gpa >> kPageShift == mmio_write_gfn_) return kxx::Status(kxx::Errno::kFault);
      return mem_.write(vcpu_, gpa, buf, len);
    });
  }

 private:
  bool supervisor() const { return !(s_.cr0 & kCr0Pe) || s_.seg[X86_SS].dpl != 3; }

  static Fault page_fault(const Translation& t, uint64_t linear) {
    return {kPfVector, true, t.error_code, linear};
  }

  // RAM when a slot backs the address (and, for writes, is writable);
  // otherwise MMIO. A failed walk of the guest's tables is MMIO-free: #PF.
  template <typename Copy>
  AccessResult access(uint64_t linear, unsigned kind, Copy copy) {
    auto t = translate(mem_, s_, linear, kind, supervisor());
    if (!t.ok()) return AccessResult::fault_with({kGpVector, true, 0, 0});
    if (t.value().fault) return AccessResult::fault_with(page_fault(t.value(), linear));
    uint64_t gpa = t.value().gpa;
    if (copy(gpa).ok()) return AccessResult::ram();
    return AccessResult::mmio(gpa);
  }

  Vcpu& vcpu_;
  x86_state& s_;
  GuestMem mem_;
  uint64_t mmio_write_gfn_;
};

emu::Mode mode_of(const x86_state& s) {
  if (!(s.cr0 & kCr0Pe)) return emu::Mode::kReal;
  if (code64(s)) return emu::Mode::kLong64;
  return s.seg[X86_CS].db ? emu::Mode::kProt32 : emu::Mode::kProt16;
}

// What one emulation of the instruction at RIP led to.
enum class Step { kEnter, kUser, kKernelRead };

// Emulate the instruction at RIP once and act on the outcome. A read an
// in-kernel device answers goes into the MMIO cache (kKernelRead: emulate
// again); a write it takes completes the instruction.
kxx::Result<Step> emulate_step(Vcpu& vcpu, uint64_t mmio_write_gfn) {
  VcpuState& st = vcpu.arch();
  x86_state& s = st.regs;
  // Virtual-8086 mode is not emulated: a limit of ours, not the guest's
  // fault, so user space hears of it whatever the CPL.
  if (s.rflags & (1ull << 17)) {
    report_emulation_failure(vcpu);
    return Step::kUser;
  }
  emu::Regs regs;
  for (unsigned i = 0; i < X86_NR_GPRS; i++) regs.gpr[i] = s.gpr[i];
  regs.rip = s.rip;
  regs.rflags = s.rflags;
  emu::Segments segs;
  for (unsigned i = 0; i < emu::kNumSegs; i++) segs.base[i] = s.seg[i].base;
  st.stats.inc(arch::kVcpuStatInsnEmulation);
  emu::Outcome o;
  {
    GuestMemory mem(vcpu, mmio_write_gfn);
    o = emu::emulate(mode_of(s), regs, segs, mem, st.mmio_cache, &st.decode_cache);
  }

  auto commit = [&] {
    for (unsigned i = 0; i < X86_NR_GPRS; i++) s.gpr[i] = regs.gpr[i];
    s.rip = regs.rip;
    s.rflags = regs.rflags;
    s.interrupt_shadow = 0;
    st.mmio_cache.clear();
  };
  kvm_run* kr = vcpu.run();
  switch (o.kind) {
    case emu::Outcome::kDone: commit(); return Step::kEnter;
    case emu::Outcome::kMmioRead:
      if (uint8_t data[8] = {};
          o.len <= sizeof(data) && vcpu.vm().mmio_bus().read(vcpu, o.gpa, o.len, data)) {
        TRY_STATUS(st.mmio_cache.add(o.gpa, data, o.len));
        return Step::kKernelRead;
      }
      st.stats.inc(arch::kVcpuStatMmioExits);
      st.pending_mmio = {true, linear_rip(s), o.gpa, uint8_t(o.len)};
      kr->exit_reason = KVM_EXIT_MMIO;
      kr->mmio.phys_addr = o.gpa;
      kr->mmio.len = o.len;
      kr->mmio.is_write = 0;
      __builtin_memset(kr->mmio.data, 0, sizeof(kr->mmio.data));
      return Step::kUser;
    case emu::Outcome::kMmioWrite:
      commit();
      // An in-kernel device (a coalesced zone: if its ring has room).
      if (vcpu.vm().mmio_bus().write(vcpu, o.gpa, o.len, o.data)) return Step::kEnter;
      st.stats.inc(arch::kVcpuStatMmioExits);
      kr->exit_reason = KVM_EXIT_MMIO;
      kr->mmio.phys_addr = o.gpa;
      kr->mmio.len = o.len;
      kr->mmio.is_write = 1;
      __builtin_memset(kr->mmio.data, 0, sizeof(kr->mmio.data));
      __builtin_memcpy(kr->mmio.data, o.data, o.len);
      return Step::kUser;
    case emu::Outcome::kFault:
      st.mmio_cache.clear();
      if (o.fault.vector == kPfVector) s.cr2 = o.fault.address;
      queue_exception(s, o.fault.vector, o.fault.has_error_code, o.fault.error_code);
      return Step::kEnter;
    case emu::Outcome::kUnhandleable:
    default:
      st.mmio_cache.clear();
      return emulator_failure(vcpu, o.insn, o.insn_len) == Next::kUser ? Step::kUser : Step::kEnter;
  }
}

// Emulate until the instruction completes or needs user space.
kxx::Result<Next> emulate_once(Vcpu& vcpu, uint64_t mmio_write_gfn) {
  // An instruction reads at most two MMIO operands; allow some slack.
  for (unsigned attempt = 0; attempt < 4; attempt++) {
    auto step = TRY(emulate_step(vcpu, mmio_write_gfn));
    if (step == Step::kEnter) return Next::kEnter;
    if (step == Step::kUser) return Next::kUser;
  }
  return report_emulation_failure(vcpu);
}

}  // namespace

kxx::Result<Next> handle_mmio(Vcpu& vcpu, uint64_t gpa, bool write) {
  vcpu.arch().mmio_cache.clear();
  return emulate_once(vcpu, write ? gpa >> kPageShift : kNoGfn);
}

kxx::Result<Next> complete_mmio(Vcpu& vcpu) {
  VcpuState& st = vcpu.arch();
  if (!st.pending_mmio.active) return Next::kEnter;
  st.pending_mmio.active = false;
  if (linear_rip(st.regs) != st.pending_mmio.insn_linear_rip) {
    st.mmio_cache.clear();  // user space moved RIP: the instruction is abandoned
    return Next::kEnter;
  }
  const kvm_run* kr = vcpu.run();
  TRY_STATUS(st.mmio_cache.add(st.pending_mmio.gpa, kr->mmio.data, st.pending_mmio.len));
  return emulate_once(vcpu, kNoGfn);
}

}  // namespace kvmpp::x86
