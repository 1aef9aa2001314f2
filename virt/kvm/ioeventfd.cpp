// SPDX-License-Identifier: GPL-2.0
#include "ioeventfd.hpp"

#include <glue/event.h>
#include <kxx/new.hpp>

namespace kvmpp {

class Ioeventfds::Entry final : public IoDevice {
 public:
  Entry(const kvm_ioeventfd& args, Bus bus, void* eventfd)
      : addr(args.addr),
        len(args.len),
        wildcard(!(args.flags & KVM_IOEVENTFD_FLAG_DATAMATCH)),
        datamatch(args.datamatch),
        bus(bus),
        eventfd(eventfd) {}
  ~Entry() { kvmg_eventfd_put(eventfd); }

  bool write(Vcpu&, uint64_t a, unsigned n, const void* data) override {
    if (!matches(a, n, data)) return false;
    kvmg_eventfd_signal(eventfd);
    return true;
  }

  // The same bus and address, and lengths or values that cannot tell the
  // two apart.
  bool collides(const Entry& o) const {
    if (bus != o.bus || addr != o.addr) return false;
    if (!len || !o.len) return true;
    return len == o.len && (wildcard || o.wildcard || datamatch == o.datamatch);
  }

  const uint64_t addr;
  const uint32_t len;
  const bool wildcard;
  const uint64_t datamatch;
  const Bus bus;
  void* const eventfd;
  Entry* next = nullptr;

 private:
  bool matches(uint64_t a, unsigned n, const void* data) const {
    if (a != addr) return false;
    if (!len) return true;
    if (n != len) return false;
    if (wildcard) return true;
    uint64_t v = 0;
    __builtin_memcpy(&v, data, n);  // little endian: the low bytes
    return v == datamatch;
  }
};

Ioeventfds::~Ioeventfds() {
  while (Entry* e = head_) {
    head_ = e->next;
    delete e;
  }
}

Ioeventfds::Bus Ioeventfds::bus_of(uint32_t flags) {
  if (flags & KVM_IOEVENTFD_FLAG_PIO) return Bus::kPio;
  // s390's virtio-ccw notifications: accepted as upstream does on every
  // architecture, but an x86 guest has no way to reach that bus.
  if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY) return Bus::kCcw;
  return Bus::kMmio;
}

kxx::Status Ioeventfds::ioctl(const kvm_ioeventfd& args) {
  if (args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN) return deassign(args);
  return assign(args);
}

kxx::Status Ioeventfds::assign(const kvm_ioeventfd& args) {
  switch (args.len) {
    case 0:
    case 1:
    case 2:
    case 4:
    case 8: break;
    default: return kxx::Errno::kInval;
  }
  if (args.addr + args.len < args.addr) return kxx::Errno::kInval;
  if (args.flags & ~uint32_t(KVM_IOEVENTFD_VALID_FLAG_MASK)) return kxx::Errno::kInval;
  // Without a length there is no value to compare.
  if (!args.len && (args.flags & KVM_IOEVENTFD_FLAG_DATAMATCH)) return kxx::Errno::kInval;
  void* ctx = nullptr;
  if (int r = kvmg_eventfd_get(args.fd, &ctx); r < 0) return kxx::Errno(-r);
  auto* e = new (kxx::Alloc::kSleep) Entry(args, bus_of(args.flags), ctx);
  if (!e) {
    kvmg_eventfd_put(ctx);
    return kxx::Errno::kNoMem;
  }
  MutexLock guard(lock_);
  for (const Entry* o = head_; o; o = o->next) {
    if (o->collides(*e)) {
      delete e;
      return kxx::Errno::kExist;
    }
  }
  if (IoBus* b = bus(e->bus)) {
    if (auto st = b->add(e->addr, e->len, e, false); !st.ok()) {
      delete e;
      return st;
    }
  }
  e->next = head_;
  head_ = e;
  count_++;
  return kxx::OkStatus();
}

kxx::Status Ioeventfds::deassign(const kvm_ioeventfd& args) {
  void* ctx = nullptr;
  if (int r = kvmg_eventfd_get(args.fd, &ctx); r < 0) return kxx::Errno(-r);
  Bus which = bus_of(args.flags);
  bool wildcard = !(args.flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
  Entry* found = nullptr;
  {
    MutexLock guard(lock_);
    for (Entry** p = &head_; *p; p = &(*p)->next) {
      Entry* e = *p;
      if (e->bus != which || e->eventfd != ctx || e->addr != args.addr || e->len != args.len ||
          e->wildcard != wildcard || (!wildcard && e->datamatch != args.datamatch))
        continue;
      // Off the bus first: when remove() returns no vCPU is in its handler.
      if (IoBus* b = bus(e->bus)) (void)b->remove(e->addr, e->len, e);  // added with it
      *p = e->next;
      count_--;
      found = e;
      break;
    }
  }
  kvmg_eventfd_put(ctx);
  if (!found) return kxx::Errno::kNoEnt;
  delete found;
  return kxx::OkStatus();
}

}  // namespace kvmpp
