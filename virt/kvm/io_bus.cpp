// SPDX-License-Identifier: GPL-2.0
#include "io_bus.hpp"

#include <kvmpp/rcu.hpp>
#include <kxx/new.hpp>

namespace kvmpp {

bool IoDevice::read(Vcpu&, uint64_t, unsigned, void*) { return false; }
bool IoDevice::write(Vcpu&, uint64_t, unsigned, const void*) { return false; }

bool IoDevice::write_n(Vcpu& vcpu, uint64_t addr, unsigned len, const void* data, unsigned count) {
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  if (!write(vcpu, addr, len, bytes)) return false;
  for (unsigned i = 1; i < count; i++) write(vcpu, addr, len, bytes + i * len);
  return true;
}

bool IoDevice::read_n(Vcpu& vcpu, uint64_t addr, unsigned len, void* data, unsigned count) {
  uint8_t* bytes = static_cast<uint8_t*>(data);
  if (!read(vcpu, addr, len, bytes)) return false;
  for (unsigned i = 1; i < count; i++)
    if (!read(vcpu, addr, len, bytes + i * len)) __builtin_memset(bytes + i * len, 0xff, len);
  return true;
}

IoBus::~IoBus() { free_table(table_.load()); }

bool IoBus::claims(const Range& r, uint64_t addr, unsigned len) {
  if (r.len == 0) return addr == r.addr;
  // [addr, addr + len) inside [r.addr, r.addr + r.len), without overflow.
  return addr >= r.addr && len <= r.len && addr - r.addr <= r.len - len;
}

IoBus::Table* IoBus::alloc_table(unsigned count) {
  auto* t = new (kxx::Alloc::kSleep) Table;
  if (!t) return nullptr;
  if (count) {
    t->ranges = new (kxx::Alloc::kSleep) Range[count];
    if (!t->ranges) {
      delete t;
      return nullptr;
    }
  }
  return t;
}

void IoBus::free_table(Table* t) {
  if (!t) return;
  delete[] t->ranges;
  delete t;
}

void IoBus::publish(Table* t) {
  t->counted = 0;
  t->max_len = 0;
  for (unsigned i = 0; i < t->count; i++) {
    const Range& r = t->ranges[i];
    t->counted += r.counted;
    t->max_len = kxx::max<uint64_t>(t->max_len, r.len ? r.len : 1);
  }
  Table* old = table_.exchange(t);
  if (!old) return;
  kvmg_synchronize_rcu();
  free_table(old);
}

kxx::Status IoBus::add(uint64_t addr, uint64_t len, IoDevice* dev, bool counted) {
  MutexLock guard(config_);
  const Table* old = table_.load();
  unsigned n = old ? old->count : 0;
  if (counted && old && old->counted >= kMaxRanges) return kxx::Errno::kNoSpc;
  Table* t = alloc_table(n + 1);
  if (!t) return kxx::Errno::kNoMem;
  // Sorted by start address (the lookup depends on it). A new range goes
  // before those with the same start: the lookup scans backwards, so the
  // devices that registered first are asked first.
  unsigned at = 0;
  while (at < n && old->ranges[at].addr < addr) at++;
  for (unsigned i = 0; i < at; i++) t->ranges[i] = old->ranges[i];
  t->ranges[at] = {addr, len, dev, counted};
  for (unsigned i = at; i < n; i++) t->ranges[i + 1] = old->ranges[i];
  t->count = n + 1;
  publish(t);
  return kxx::OkStatus();
}

// Keep the ranges @keep accepts (called once per range, in order).
template <typename Keep>
void IoBus::filter(Keep keep) {
  Table* old = table_.load();
  if (!old) return;
  Table* t = alloc_table(old->count);
  if (t) {
    for (unsigned i = 0; i < old->count; i++)
      if (keep(old->ranges[i])) t->ranges[t->count++] = old->ranges[i];
    if (t->count == old->count)
      free_table(t);
    else
      publish(t);
    return;
  }
  // No memory for a new table: hide the bus from readers, wait for them,
  // compact in place and publish it again. Accesses in the gap go to user
  // space, as they will once the device is gone anyway.
  table_.store(nullptr);
  kvmg_synchronize_rcu();
  unsigned out = 0;
  for (unsigned i = 0; i < old->count; i++)
    if (keep(old->ranges[i])) old->ranges[out++] = old->ranges[i];
  old->count = out;
  publish(old);
}

kxx::Status IoBus::remove(uint64_t addr, uint64_t len, IoDevice* dev) {
  MutexLock guard(config_);
  const Table* t = table_.load();
  bool found = false;
  for (unsigned i = 0; t && i < t->count && !found; i++) {
    const Range& r = t->ranges[i];
    found = r.addr == addr && r.len == len && r.dev == dev;
  }
  if (!found) return kxx::Errno::kNoEnt;
  // Only the first match: a device may claim the same range twice.
  bool dropped = false;
  filter([&](const Range& r) {
    if (dropped || r.addr != addr || r.len != len || r.dev != dev) return true;
    return !(dropped = true);
  });
  return kxx::OkStatus();
}

void IoBus::remove_all(IoDevice* dev) {
  MutexLock guard(config_);
  filter([&](const Range& r) { return r.dev != dev; });
}

unsigned IoBus::ranges() const {
  const Table* t = table_.load();
  return t ? t->count : 0;
}

template <typename Fn>
bool IoBus::dispatch(uint64_t addr, unsigned len, Fn fn) {
  RcuReadGuard rcu;
  const Table* t = table_.load();
  if (!t || t->count == 0) return false;
  // The ranges that can claim @addr start at or below it: find the first
  // that starts above, then look back no further than the longest range.
  unsigned lo = 0, hi = t->count;
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    if (t->ranges[mid].addr <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (unsigned i = lo; i-- > 0;) {
    const Range& r = t->ranges[i];
    if (addr - r.addr >= t->max_len) break;
    if (claims(r, addr, len) && fn(*r.dev)) return true;
  }
  return false;
}

bool IoBus::read(Vcpu& vcpu, uint64_t addr, unsigned len, void* data, unsigned count) {
  return dispatch(addr, len, [&](IoDevice& d) {
    return count == 1 ? d.read(vcpu, addr, len, data) : d.read_n(vcpu, addr, len, data, count);
  });
}

bool IoBus::write(Vcpu& vcpu, uint64_t addr, unsigned len, const void* data, unsigned count) {
  return dispatch(addr, len, [&](IoDevice& d) {
    return count == 1 ? d.write(vcpu, addr, len, data) : d.write_n(vcpu, addr, len, data, count);
  });
}

}  // namespace kvmpp
