// SPDX-License-Identifier: GPL-2.0
// KVM_IOEVENTFD: a guest write to a port or a guest-physical address signals
// an eventfd instead of exiting to user space (api.rst, "KVM_IOEVENTFD").
//
// Each ioeventfd is a device on the VM's port-I/O or MMIO bus. It takes a
// write when the address is exactly its own and, unless its length is 0, the
// length matches and (with KVM_IOEVENTFD_FLAG_DATAMATCH) so does the value.
// Reads are never taken. Two ioeventfds on one bus and address collide
// (-EEXIST) unless both have the same non-zero length and different
// datamatch values. The eventfd's context is referenced from assignment to
// deassignment or VM destruction, so user space may close its fd at any time.
#pragma once

#include <abi/kvm_abi.h>
#include <kvmpp/mutex.hpp>
#include <kxx/result.hpp>

#include "io_bus.hpp"

namespace kvmpp {

class Ioeventfds {
 public:
  // @mmio and @pio outlive this object.
  Ioeventfds(IoBus& mmio, IoBus& pio) : mmio_(mmio), pio_(pio) {}
  // Drops every ioeventfd without touching the buses (they go with the VM).
  ~Ioeventfds();
  Ioeventfds(const Ioeventfds&) = delete;
  Ioeventfds& operator=(const Ioeventfds&) = delete;

  // KVM_IOEVENTFD: assign, or deassign with KVM_IOEVENTFD_FLAG_DEASSIGN.
  kxx::Status ioctl(const kvm_ioeventfd& args);
  unsigned count() const { return count_; }

 private:
  class Entry;
  enum class Bus { kMmio, kPio, kCcw };
  static Bus bus_of(uint32_t flags);
  IoBus* bus(Bus b) { return b == Bus::kPio ? &pio_ : b == Bus::kMmio ? &mmio_ : nullptr; }
  kxx::Status assign(const kvm_ioeventfd& args);
  kxx::Status deassign(const kvm_ioeventfd& args);

  IoBus& mmio_;
  IoBus& pio_;
  Mutex lock_{KVMPP_LOCK_CLASS("kvm.ioeventfd.lock")};  // the list; held around bus changes
  Entry* head_ = nullptr;
  unsigned count_ = 0;
};

}  // namespace kvmpp
