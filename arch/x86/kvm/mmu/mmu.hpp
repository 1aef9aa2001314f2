// SPDX-License-Identifier: GPL-2.0
// Guest memory: by guest-physical address through the slots, by linear
// address through the guest's own page tables, and nested page faults.
#pragma once

#include "../x86.hpp"

namespace kvmpp::x86 {

// Guest memory by guest-physical address, through the memory slots (takes
// the slots lock for reading). -EFAULT when not backed by a slot.
kxx::Status read_gpa(Vm& vm, uint64_t gpa, void* buf, unsigned len);
// A write is made for @vcpu: it is logged as dirty (dirty_log.hpp) in its
// ring or the slot's bitmap.
kxx::Status write_gpa(Vcpu& vcpu, uint64_t gpa, const void* buf, unsigned len);
// Whether [gpa, gpa + len) is in writable slots now.
bool gpa_writable(Vm& vm, uint64_t gpa, unsigned len);

// Guest memory by guest-physical address under one hold of the slots lock,
// for as long as it lives: a page walk and the access it translates for
// take the lock once, not once per table. It remembers the slot it used
// last (consecutive reads nearly always hit the same one). Lives only
// within one exit's handling: nothing that takes the slots lock for
// writing may run meanwhile.
class GuestMem {
 public:
  explicit GuestMem(Vm& vm) : vm_(vm), lock_(vm.slots_lock()) {}
  GuestMem(const GuestMem&) = delete;
  GuestMem& operator=(const GuestMem&) = delete;
  kxx::Status read(uint64_t gpa, void* buf, unsigned len);
  // One naturally aligned page-table entry: the walker's read, on every
  // exit that fetches an instruction under paging.
  kxx::Status read_entry(uint64_t gpa, uint32_t* entry);
  kxx::Status read_entry(uint64_t gpa, uint64_t* entry);
  // A write is logged as dirty for @writer (write_gpa).
  kxx::Status write(Vcpu& writer, uint64_t gpa, const void* buf, unsigned len);

 private:
  const Memslot* slot_for(uint64_t gfn);

  Vm& vm_;
  ReadLock lock_;
  const Memslot* last_ = nullptr;
};

// The guest's own page tables (x86_walk.cpp).
enum Access : unsigned { kRead = 0, kWrite = 1, kFetch = 2 };
struct Translation {
  uint64_t gpa = 0;
  bool fault = false;       // a #PF the guest must see
  uint32_t error_code = 0;  // its error code
  bool writable = false;    // as far as the guest's tables allow
  bool user = false;
};
kxx::Result<Translation> translate(GuestMem& mem, const x86_state& s, uint64_t linear,
                                   unsigned access, bool supervisor);
kxx::Result<Translation> translate(Vm& vm, const x86_state& s, uint64_t linear, unsigned access,
                                   bool supervisor);
// Read/write guest memory by linear address (faults become #PF for the guest
// and -EAGAIN for the caller: re-enter so the guest handles it).
kxx::Status read_linear(Vcpu& vcpu, uint64_t linear, void* buf, unsigned len, unsigned access);
kxx::Status write_linear(Vcpu& vcpu, uint64_t linear, const void* buf, unsigned len);

// A nested page fault (tdp_fault.cpp): map guest RAM, or emulate MMIO.
kxx::Result<Next> handle_tdp_fault(Vcpu& vcpu, const x86_exit& exit);
}  // namespace kvmpp::x86
