// SPDX-License-Identifier: GPL-2.0
#include "coalesced_io.hpp"

#include <glue/glue.h>
#include <kxx/new.hpp>

namespace kvmpp {

static_assert(CoalescedIo::kRingEntries == 170, "as upstream with 4 KiB pages");

CoalescedIo::~CoalescedIo() {
  delete[] mmio_.zones;
  delete[] pio_.zones;
  if (ring_) kvmg_page_free(ring_);
}

kxx::Status CoalescedIo::init() {
  ring_ = static_cast<kvm_coalesced_mmio_ring*>(kvmg_page_alloc());
  return ring_ ? kxx::OkStatus() : kxx::Status(kxx::Errno::kNoMem);
}

bool CoalescedIo::contains(const Zone& z, uint64_t addr, uint64_t len) {
  // [addr, addr + len) inside [z.addr, z.addr + z.size), without overflow.
  return addr >= z.addr && len <= z.size && addr - z.addr <= z.size - len;
}

kxx::Status CoalescedIo::add(const kvm_coalesced_mmio_zone& zone) {
  if (zone.pio > 1) return kxx::Errno::kInval;
  MutexLock config(config_);
  List& l = list(zone.pio);
  if (l.count >= kMaxZones) return kxx::Errno::kNoSpc;
  Zone* old = nullptr;
  if (l.count == l.capacity) {
    // Grow outside the spinlock; writers see the old or the new array.
    unsigned capacity = l.capacity ? kxx::min(l.capacity * 2, kMaxZones) : 4;
    Zone* bigger = new (kxx::Alloc::kSleep) Zone[capacity];
    if (!bigger) return kxx::Errno::kNoMem;
    for (unsigned i = 0; i < l.count; i++) bigger[i] = l.zones[i];
    SpinLockGuard guard(lock_);
    old = kxx::exchange(l.zones, bigger);
    l.capacity = capacity;
  }
  delete[] old;
  TRY_STATUS(l.bus->add(zone.addr, zone.size, &l.device));
  SpinLockGuard guard(lock_);
  l.zones[l.count] = {zone.addr, zone.size};
  l.count++;
  return kxx::OkStatus();
}

kxx::Status CoalescedIo::remove(const kvm_coalesced_mmio_zone& zone) {
  if (zone.pio > 1) return kxx::Errno::kInval;
  MutexLock config(config_);
  List& l = list(zone.pio);
  unsigned kept = 0;
  for (unsigned i = 0; i < l.count; i++) {
    const Zone z = l.zones[i];
    if (contains(z, zone.addr, zone.size)) {
      (void)l.bus->remove(z.addr, z.size, &l.device);  // there: added with the zone
      continue;
    }
    SpinLockGuard guard(lock_);
    l.zones[kept++] = z;
  }
  SpinLockGuard guard(lock_);
  l.count = kept;
  return kxx::OkStatus();
}

bool CoalescedIo::write(bool pio, uint64_t addr, unsigned len, const void* data, unsigned count) {
  {
    SpinLockGuard guard(lock_);
    const List& l = list(pio);
    bool found = false;
    for (unsigned i = 0; i < l.count && !found; i++) found = contains(l.zones[i], addr, len);
    if (!found) return false;
  }
  return append(pio, addr, len, data, count);
}

bool CoalescedIo::append(bool pio, uint64_t addr, unsigned len, const void* data, unsigned count) {
  constexpr uint32_t n = kRingEntries;
  if (len == 0 || len > sizeof(kvm_coalesced_mmio::data) || count == 0 || count >= n) return false;
  SpinLockGuard guard(lock_);
  // User space owns `first` and may write anything to either index.
  uint32_t first = __atomic_load_n(&ring_->first, __ATOMIC_ACQUIRE);
  uint32_t last = __atomic_load_n(&ring_->last, __ATOMIC_RELAXED);
  if (first >= n || last >= n) return false;
  uint32_t free = (first + n - last - 1) % n;
  if (count > free) return false;
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  for (unsigned i = 0; i < count; i++) {
    kvm_coalesced_mmio& e = ring_->coalesced_mmio[last];
    e.phys_addr = addr;
    e.len = len;
    e.pio = pio;
    __builtin_memset(e.data, 0, sizeof(e.data));
    __builtin_memcpy(e.data, bytes + i * len, len);
    last = (last + 1) % n;
  }
  // The entries before the index that publishes them.
  __atomic_store_n(&ring_->last, last, __ATOMIC_RELEASE);
  return true;
}

}  // namespace kvmpp
