// SPDX-License-Identifier: GPL-2.0
// A VM's port-I/O or MMIO bus: the address ranges in-kernel devices claim.
// Every in-kernel device (PIC, I/O APIC, xAPIC page, PIT, coalesced zones,
// ioeventfds) registers its ranges here; an exit handler makes one lookup
// and never names a device. An access no device takes goes to user space.
//
// Readers (vCPUs in their exit handlers) run in an RCU read-side section
// against an immutable table; writers (VM ioctls) build a new table under
// the bus mutex, publish it, wait for readers, and free the old one. A
// device therefore never sees an access after remove() returns, and its
// handlers run with no bus lock held but must not sleep.
#pragma once

#include <kvmpp/mutex.hpp>
#include <kxx/atomic.hpp>
#include <kxx/result.hpp>
#include <kxx/types.hpp>

namespace kvmpp {

class Vcpu;

// A device's side of the bus. Each handler returns true when the device
// took the access (false: the next device that claims the range is asked,
// then user space).
class IoDevice {
 public:
  virtual bool read(Vcpu& vcpu, uint64_t addr, unsigned len, void* data);
  virtual bool write(Vcpu& vcpu, uint64_t addr, unsigned len, const void* data);
  // String port I/O: @count elements of @len bytes back to back. The
  // default takes them one at a time and refuses only when the first is
  // refused; a device that must take all or none overrides it.
  virtual bool write_n(Vcpu& vcpu, uint64_t addr, unsigned len, const void* data, unsigned count);
  virtual bool read_n(Vcpu& vcpu, uint64_t addr, unsigned len, void* data, unsigned count);

 protected:
  IoDevice() = default;
  ~IoDevice() = default;
};

class IoBus {
 public:
  // Ranges per bus, not counting ioeventfds (upstream's NR_IOBUS_DEVS).
  static constexpr unsigned kMaxRanges = 1000;

  IoBus() = default;
  ~IoBus();
  IoBus(const IoBus&) = delete;
  IoBus& operator=(const IoBus&) = delete;

  // Claim [addr, addr + len) for @dev; @len 0 claims accesses of any length
  // that start at @addr (an ioeventfd without a length). Ranges may overlap.
  // @counted: whether it counts against kMaxRanges (ioeventfds do not).
  // Sleeps. -ENOSPC past the limit, -ENOMEM.
  kxx::Status add(uint64_t addr, uint64_t len, IoDevice* dev, bool counted = true);
  // Drop the range of @dev that starts at @addr with length @len (-ENOENT
  // when there is none), or every range of @dev. Sleeps; when it returns no
  // handler of the dropped ranges is running or will run. A removal that
  // cannot allocate the smaller table still removes (in place, waiting
  // for readers first), so it never fails for lack of memory.
  kxx::Status remove(uint64_t addr, uint64_t len, IoDevice* dev);
  void remove_all(IoDevice* dev);

  // Dispatch an access from @vcpu: true when a device took it.
  bool read(Vcpu& vcpu, uint64_t addr, unsigned len, void* data, unsigned count = 1);
  bool write(Vcpu& vcpu, uint64_t addr, unsigned len, const void* data, unsigned count = 1);

  unsigned ranges() const;

 private:
  struct Range {
    uint64_t addr;
    uint64_t len;
    IoDevice* dev;
    bool counted;
  };
  struct Table {
    unsigned count = 0;
    unsigned counted = 0;
    uint64_t max_len = 0;  // the longest range (1 for length-0 ranges)
    Range* ranges = nullptr;
  };
  static bool claims(const Range& r, uint64_t addr, unsigned len);
  static Table* alloc_table(unsigned count);
  static void free_table(Table* t);
  void publish(Table* t);  // under config_; frees the old table
  template <typename Fn>
  bool dispatch(uint64_t addr, unsigned len, Fn fn);
  template <typename Keep>
  void filter(Keep keep);

  Mutex config_{KVMPP_LOCK_CLASS("kvm.io_bus.config")};  // serializes writers
  kxx::Atomic<Table*> table_{nullptr};
};

}  // namespace kvmpp
