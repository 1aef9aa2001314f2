// SPDX-License-Identifier: GPL-2.0
// Guest memory by guest-physical and by linear address. Guest RAM is the
// VMM's memory: the copies go through the VMM's own mapping of it (we run in
// the VMM's context), so they stay coherent with what the guest sees.
#include <glue/glue.h>

#include "../x86.hpp"
#include "mmu.hpp"

namespace kvmpp::x86 {
namespace {

// @n bytes from user memory at @hva, sizeof(Word) <= n <= 2 * sizeof(Word):
// one word read, or two that overlap.
template <typename Word>
int read_words(uint8_t* out, uint64_t hva, unsigned n, int (*read)(Word*, uint64_t)) {
  Word lo, hi;
  if (read(&lo, hva)) return -1;
  if (n > sizeof(Word)) {
    if (read(&hi, hva + n - sizeof(Word))) return -1;
    __builtin_memcpy(out + n - sizeof(Word), &hi, sizeof(Word));
  }
  __builtin_memcpy(out, &lo, sizeof(Word));
  return 0;
}

// Copy @n bytes from user memory at @hva. From 4 to 16 bytes (page-table
// entries, instruction bytes, operands: every exit that decodes reads some)
// take word reads, much cheaper than a copy whose size is not a
// compile-time constant.
int read_user(uint8_t* out, uint64_t hva, unsigned n) {
  if (n >= sizeof(uint64_t) && n <= 2 * sizeof(uint64_t))
    return read_words<uint64_t>(out, hva, n, kvmg_read_user_u64);
  if (n >= sizeof(uint32_t) && n < sizeof(uint64_t))
    return read_words<uint32_t>(out, hva, n, kvmg_read_user_u32);
  return kvmg_copy_from_user(out, hva, n);
}

// @copy(slot, hva, offset, bytes) for each page of [gpa, gpa + len), with
// @slot_for(gfn) finding each page's slot (the slots lock held).
template <typename SlotFor, typename Copy>
kxx::Status for_each_page(uint64_t gpa, unsigned len, bool write, SlotFor slot_for, Copy copy) {
  unsigned done = 0;
  while (done < len) {
    uint64_t a = gpa + done;
    const Memslot* slot = slot_for(a >> kPageShift);
    if (!slot || (write && slot->readonly())) return kxx::Errno::kFault;
    unsigned chunk = kxx::min<unsigned>(len - done, unsigned(KVMG_PAGE_SIZE - (a & 0xfff)));
    uint64_t hva = slot->hva(a >> kPageShift) + (a & 0xfff);
    if (copy(*slot, hva, done, chunk) != 0) return kxx::Errno::kFault;
    done += chunk;
  }
  return kxx::OkStatus();
}

}  // namespace

const Memslot* GuestMem::slot_for(uint64_t gfn) {
  if (last_ && last_->contains(gfn)) return last_;
  const Memslot* slot = vm_.memslots().find_gfn(gfn);
  if (slot) last_ = slot;
  return slot;
}

kxx::Status GuestMem::read(uint64_t gpa, void* buf, unsigned len) {
  auto* out = static_cast<uint8_t*>(buf);
  // Within one page (an instruction fetch, an operand): one slot, one copy.
  if ((gpa & 0xfff) + len <= KVMG_PAGE_SIZE) {
    const Memslot* slot = slot_for(gpa >> kPageShift);
    if (!slot || read_user(out, slot->hva(gpa >> kPageShift) + (gpa & 0xfff), len) != 0)
      return kxx::Errno::kFault;
    return kxx::OkStatus();
  }
  return for_each_page(
      gpa, len, false, [this](uint64_t gfn) { return slot_for(gfn); },
      [&](const Memslot&, uint64_t hva, unsigned off, unsigned n) {
        return read_user(out + off, hva, n);
      });
}

namespace {

template <typename Entry>
kxx::Status read_entry_at(const Memslot* slot, uint64_t gpa, Entry* entry,
                          int (*read)(Entry*, uint64_t)) {
  if (!slot || (gpa & (sizeof(Entry) - 1))) return kxx::Errno::kFault;
  if (read(entry, slot->hva(gpa >> kPageShift) + (gpa & 0xfff))) return kxx::Errno::kFault;
  return kxx::OkStatus();
}

}  // namespace

kxx::Status GuestMem::read_entry(uint64_t gpa, uint32_t* entry) {
  return read_entry_at(slot_for(gpa >> kPageShift), gpa, entry, kvmg_read_user_u32);
}

kxx::Status GuestMem::read_entry(uint64_t gpa, uint64_t* entry) {
  return read_entry_at(slot_for(gpa >> kPageShift), gpa, entry, kvmg_read_user_u64);
}

kxx::Status GuestMem::write(Vcpu& writer, uint64_t gpa, const void* buf, unsigned len) {
  auto* in = static_cast<const uint8_t*>(buf);
  return for_each_page(
      gpa, len, true, [this](uint64_t gfn) { return slot_for(gfn); },
      [&](const Memslot& slot, uint64_t hva, unsigned off, unsigned n) {
        if (kvmg_copy_to_user(hva, in + off, n) != 0) return -1;
        mark_page_dirty(vm_, slot, (gpa + off) >> kPageShift, &writer);
        return 0;
      });
}

bool gpa_writable(Vm& vm, uint64_t gpa, unsigned len) {
  ReadLock slots(vm.slots_lock());
  return for_each_page(
             gpa, len, true, [&](uint64_t gfn) { return vm.memslots().find_gfn(gfn); },
             [](const Memslot&, uint64_t, unsigned, unsigned) { return 0; })
      .ok();
}

kxx::Status read_gpa(Vm& vm, uint64_t gpa, void* buf, unsigned len) {
  GuestMem mem(vm);
  return mem.read(gpa, buf, len);
}

kxx::Status write_gpa(Vcpu& vcpu, uint64_t gpa, const void* buf, unsigned len) {
  GuestMem mem(vcpu.vm());
  return mem.write(vcpu, gpa, buf, len);
}

namespace {

// Linear accesses are split at guest page boundaries: each page translates
// on its own. One hold of the slots lock covers the walks and the access.
template <typename Access>
kxx::Status for_each_linear_page(Vcpu& vcpu, uint64_t linear, unsigned len, unsigned access,
                                 Access fn) {
  x86_state& s = vcpu.arch().regs;
  bool supervisor = s.seg[X86_SS].dpl != 3;
  GuestMem mem(vcpu.vm());
  unsigned done = 0;
  while (done < len) {
    uint64_t a = linear + done;
    unsigned chunk = kxx::min<unsigned>(len - done, unsigned(KVMG_PAGE_SIZE - (a & 0xfff)));
    auto t = TRY(translate(mem, s, a, access, supervisor));
    if (t.fault) {
      s.cr2 = a;
      queue_exception(s, kPfVector, true, t.error_code);
      return kxx::Errno::kAgain;
    }
    TRY_STATUS(fn(mem, t.gpa, done, chunk));
    done += chunk;
  }
  return kxx::OkStatus();
}

}  // namespace

kxx::Status read_linear(Vcpu& vcpu, uint64_t linear, void* buf, unsigned len, unsigned access) {
  auto* out = static_cast<uint8_t*>(buf);
  return for_each_linear_page(vcpu, linear, len, access,
                              [&](GuestMem& mem, uint64_t gpa, unsigned off, unsigned n) {
                                return mem.read(gpa, out + off, n);
                              });
}

kxx::Status write_linear(Vcpu& vcpu, uint64_t linear, const void* buf, unsigned len) {
  auto* in = static_cast<const uint8_t*>(buf);
  return for_each_linear_page(vcpu, linear, len, kWrite,
                              [&](GuestMem& mem, uint64_t gpa, unsigned off, unsigned n) {
                                return mem.write(vcpu, gpa, in + off, n);
                              });
}

}  // namespace kvmpp::x86
