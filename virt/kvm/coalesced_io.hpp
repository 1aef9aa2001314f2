// SPDX-License-Identifier: GPL-2.0
// Coalesced MMIO and port I/O (api.rst, "KVM_(UN)REGISTER_COALESCED_MMIO"):
// writes that fall entirely inside a registered zone are appended to a ring
// page shared with user space instead of exiting; user space drains the ring
// on its next exit. One ring per VM, mapped by every vCPU fd.
//
// The ring: user space consumes from `first`, the kernel produces at `last`;
// one entry always stays free, so the ring is full when last + 1 == first
// (modulo the number of entries). A write that finds it full, or finds
// indices user space corrupted, exits as usual.
//
// Each zone is a range on the VM's MMIO or port-I/O bus (io_bus.hpp), so
// the exit paths find it with the same lookup as every other device.
#pragma once

#include <abi/kvm_abi.h>
#include <kvmpp/mutex.hpp>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

#include "io_bus.hpp"

namespace kvmpp {

class CoalescedIo {
 public:
  // Entries in the ring page (upstream's KVM_COALESCED_MMIO_MAX).
  static constexpr unsigned kRingEntries =
      (4096 - sizeof(kvm_coalesced_mmio_ring)) / sizeof(kvm_coalesced_mmio);
  // Zones of each kind (MMIO, PIO), as upstream's limit of devices on a bus.
  static constexpr unsigned kMaxZones = 1000;

  // Zones go on @mmio_bus and @pio_bus, which outlive this object.
  CoalescedIo(IoBus& mmio_bus, IoBus& pio_bus)
      : mmio_{{this, false}, &mmio_bus}, pio_{{this, true}, &pio_bus} {}
  ~CoalescedIo();
  CoalescedIo(const CoalescedIo&) = delete;
  CoalescedIo& operator=(const CoalescedIo&) = delete;

  // Allocate the ring page (sleeps).
  kxx::Status init();
  // The ring page, for the vCPU mmap area.
  void* ring_page() const { return ring_; }

  // KVM_REGISTER_COALESCED_MMIO: -EINVAL for a pio other than 0 or 1,
  // -ENOSPC past kMaxZones. Zones may overlap.
  kxx::Status add(const kvm_coalesced_mmio_zone& zone);
  // KVM_UNREGISTER_COALESCED_MMIO: drop every zone of that kind that
  // contains the whole range given (none is not an error).
  kxx::Status remove(const kvm_coalesced_mmio_zone& zone);

  // A guest write of @count elements of @len bytes (1 to 8) each to @addr
  // (a port when @pio), data in @data back to back. Record all of them and
  // return true, or record nothing and return false: no zone contains the
  // access, or the ring has no room for all of them (the caller exits).
  // May be called from any vCPU; does not sleep. (The exit paths reach the
  // ring through the bus, which has found the zone already.)
  bool write(bool pio, uint64_t addr, unsigned len, const void* data, unsigned count = 1);

  unsigned zones(bool pio) const { return list(pio).count; }

 private:
  struct Zone {
    uint64_t addr;
    uint32_t size;
  };
  // The bus's side: a range the bus matched is inside a zone already.
  class Device final : public IoDevice {
   public:
    Device(CoalescedIo* owner, bool pio) : owner_(owner), pio_(pio) {}
    bool write(Vcpu&, uint64_t addr, unsigned len, const void* data) override {
      return owner_->append(pio_, addr, len, data, 1);
    }
    bool write_n(Vcpu&, uint64_t addr, unsigned len, const void* data, unsigned count) override {
      return owner_->append(pio_, addr, len, data, count);
    }

   private:
    CoalescedIo* owner_;
    bool pio_;
  };
  struct List {
    Device device;
    IoBus* bus;
    Zone* zones = nullptr;
    unsigned count = 0;
    unsigned capacity = 0;
  };
  List& list(bool pio) { return pio ? pio_ : mmio_; }
  const List& list(bool pio) const { return pio ? pio_ : mmio_; }
  static bool contains(const Zone& z, uint64_t addr, uint64_t len);
  // Put @count writes in the ring, all or none.
  bool append(bool pio, uint64_t addr, unsigned len, const void* data, unsigned count);

  kvm_coalesced_mmio_ring* ring_ = nullptr;
  Mutex config_{KVMPP_LOCK_CLASS(
      "kvm.coalesced_io.config")};  // serializes add/remove (the writers of the lists)
  Spinlock lock_{KVMPP_LOCK_CLASS(
      "kvm.coalesced_io.lock")};  // held to change the lists, to search them, and to produce
  List mmio_, pio_;
};

}  // namespace kvmpp
