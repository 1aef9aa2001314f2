// SPDX-License-Identifier: GPL-2.0
// Port I/O exits: IN/OUT go to user space as KVM_EXIT_IO with the data in
// the vCPU's second mmap page; INS/OUTS move up to a page of data per exit.
// The instruction completes on the next KVM_RUN (complete_io), as upstream:
// after an exit, RIP still points at the I/O instruction.
#include <glue/glue.h>

#include "../mmu/mmu.hpp"
#include "run.hpp"

namespace kvmpp::x86 {
namespace {

constexpr uint32_t kPioOffset = arch::kPioPage * KVMG_PAGE_SIZE;

uint8_t* pio_data(Vcpu& vcpu) { return static_cast<uint8_t*>(vcpu.mmap_page(arch::kPioPage)); }

uint64_t addr_mask(unsigned addr_size) {
  return addr_size == 8 ? ~0ull : (uint64_t(1) << (addr_size * 8)) - 1;
}

// The register an address-size-bounded string operation updates.
void add_masked(uint64_t& reg, int64_t delta, unsigned addr_size) {
  uint64_t mask = addr_mask(addr_size);
  reg = (reg & ~mask) | ((reg + delta) & mask);
}

uint64_t segment_base(const x86_state& s, unsigned seg) {
  // In 64-bit mode only FS and GS have a base.
  if (code64(s) && seg != X86_FS && seg != X86_GS) return 0;
  return s.seg[seg].base;
}

// The in-kernel devices on the port-I/O bus: whether one took the access.
bool kernel_pio(Vcpu& vcpu, const x86_io_exit& io, uint8_t* data, unsigned count) {
  IoBus& bus = vcpu.vm().pio_bus();
  return io.in ? bus.read(vcpu, io.port, io.size, data, count)
               : bus.write(vcpu, io.port, io.size, data, count);
}

// An IN's @size bytes into RAX: 8/16-bit INs merge, a 32-bit IN
// zero-extends.
void merge_in(uint64_t& rax, const uint8_t* data, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; i++) v |= uint64_t(data[i]) << (8 * i);
  if (size == 4)
    rax = v;
  else if (size == 2)
    rax = (rax & ~0xffffull) | v;
  else
    rax = (rax & ~0xffull) | v;
}

void fill_exit(Vcpu& vcpu, const x86_io_exit& io, uint32_t count) {
  kvm_run* kr = vcpu.run();
  kr->exit_reason = KVM_EXIT_IO;
  kr->io.direction = io.in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
  kr->io.size = io.size;
  kr->io.port = io.port;
  kr->io.count = count;
  kr->io.data_offset = kPioOffset;
}

kxx::Result<Next> string_io(Vcpu& vcpu, const x86_exit& exit) {
  const x86_io_exit& io = exit.io;
  x86_state& s = vcpu.arch().regs;
  uint64_t mask = addr_mask(io.addr_size);
  uint64_t count = io.rep ? (s.gpr[X86_RCX] & mask) : 1;
  if (count == 0) {
    s.rip = exit.next_rip;
    return Next::kEnter;
  }
  bool down = s.rflags & kRflagsDf;
  // OUTS reads DS:RSI (segment override allowed), INS writes ES:RDI.
  unsigned seg = io.in ? unsigned(X86_ES) : string_source_segment(vcpu);
  uint64_t index = s.gpr[io.in ? X86_RDI : X86_RSI] & mask;
  uint64_t linear = segment_base(s, seg) + index;
  // One exit moves what fits in the data page without crossing a guest
  // page, in the direction of DF; the rest is a new exit after re-entry.
  uint64_t in_page =
      down ? ((linear & 0xfff) / io.size) + 1 : (KVMG_PAGE_SIZE - (linear & 0xfff)) / io.size;
  if (in_page == 0) in_page = 1;  // an element straddling pages: one at a time
  count = kxx::min<uint64_t>(count, kxx::min<uint64_t>(in_page, KVMG_PAGE_SIZE / io.size));

  PendingIo& p = vcpu.arch().pending_io;
  p = {true,         bool(io.in),     true,          bool(io.rep), io.size,
       io.addr_size, uint32_t(count), exit.next_rip, linear,       linear_rip(s)};
  if (!io.in) {
    uint8_t* data = pio_data(vcpu);
    for (uint64_t i = 0; i < count; i++) {
      uint64_t a = down ? linear - i * io.size : linear + i * io.size;
      auto st = read_linear(vcpu, a, data + i * io.size, io.size, kRead);
      if (!st.ok()) {
        p = {};
        if (st.error().code == kxx::Errno::kAgain) return Next::kEnter;  // #PF queued
        return st.error();
      }
    }
  }
  // An in-kernel device's port: it takes the elements (a coalesced port
  // takes all of them or none) and the instruction completes here.
  if (kernel_pio(vcpu, io, pio_data(vcpu), unsigned(count))) {
    TRY_STATUS(complete_io(vcpu));
    return Next::kEnter;
  }
  fill_exit(vcpu, io, uint32_t(count));
  return Next::kUser;
}

}  // namespace

kxx::Result<Next> handle_io(Vcpu& vcpu, const x86_exit& exit) {
  const x86_io_exit& io = exit.io;
  vcpu.arch().stats.inc(arch::kVcpuStatIoExits);
  if (io.string) return string_io(vcpu, exit);
  x86_state& s = vcpu.arch().regs;
  uint8_t data[sizeof(uint32_t)] = {};
  if (!io.in) __builtin_memcpy(data, &s.gpr[X86_RAX], io.size);  // little endian
  // A port an in-kernel device claims completes here, at once.
  if (kernel_pio(vcpu, io, data, 1)) {
    if (io.in) merge_in(s.gpr[X86_RAX], data, io.size);
    s.rip = exit.next_rip;
    s.interrupt_shadow = 0;
    return Next::kEnter;
  }
  // User space's: the next KVM_RUN completes it (complete_io).
  PendingIo& p = vcpu.arch().pending_io;
  p = {true, bool(io.in), false, false, io.size, 0, 1, exit.next_rip, 0, linear_rip(s)};
  __builtin_memcpy(pio_data(vcpu), data, io.size);
  fill_exit(vcpu, io, 1);
  return Next::kUser;
}

kxx::Status complete_io(Vcpu& vcpu) {
  PendingIo& p = vcpu.arch().pending_io;
  if (!p.active) return kxx::OkStatus();
  p.active = false;
  x86_state& s = vcpu.arch().regs;
  // User space moved RIP (KVM_SET_REGS): the instruction is abandoned.
  if (linear_rip(s) != p.insn_linear_rip) return kxx::OkStatus();
  const uint8_t* data = pio_data(vcpu);
  if (!p.string) {
    if (p.in) merge_in(s.gpr[X86_RAX], data, p.size);
    s.rip = p.next_rip;
    s.interrupt_shadow = 0;
    return kxx::OkStatus();
  }
  bool down = s.rflags & kRflagsDf;
  int64_t step = down ? -int64_t(p.size) : int64_t(p.size);
  // User space may have lowered RCX during the exit: never move more
  // elements than are left (upstream re-reads the count the same way).
  if (p.rep) {
    uint64_t left = s.gpr[X86_RCX] & addr_mask(p.addr_size);
    if (left < p.count) p.count = uint32_t(left);
  }
  if (p.in) {
    for (uint32_t i = 0; i < p.count; i++) {
      auto st = write_linear(vcpu, p.linear + i * step, data + i * p.size, p.size);
      if (!st.ok()) {
        // A #PF on the destination: the guest sees it with RDI at the
        // element that faulted (the earlier ones are done).
        if (st.error().code != kxx::Errno::kAgain) return st;
        add_masked(s.gpr[X86_RDI], int64_t(i) * step, p.addr_size);
        if (p.rep) add_masked(s.gpr[X86_RCX], -int64_t(i), p.addr_size);
        return kxx::OkStatus();
      }
    }
  }
  add_masked(s.gpr[p.in ? X86_RDI : X86_RSI], int64_t(p.count) * step, p.addr_size);
  bool done = true;
  if (p.rep) {
    add_masked(s.gpr[X86_RCX], -int64_t(p.count), p.addr_size);
    done = (s.gpr[X86_RCX] & addr_mask(p.addr_size)) == 0;
  }
  // A REP with iterations left runs again (and exits again) from the same RIP.
  if (done) {
    s.rip = p.next_rip;
    s.interrupt_shadow = 0;
  }
  return kxx::OkStatus();
}

}  // namespace kvmpp::x86
