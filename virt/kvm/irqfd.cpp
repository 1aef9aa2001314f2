// SPDX-License-Identifier: GPL-2.0
#include "irqfd.hpp"

#include <glue/event.h>
#include <kvmpp/arch.hpp>
#include <kvmpp/rcu.hpp>
#include <kxx/new.hpp>
#include <kxx/unique_ptr.hpp>

#include "vm.hpp"

namespace kvmpp {

struct Irqfds::Irqfd {
  Irqfds* owner = nullptr;
  uint32_t gsi = 0;
  bool active = false;         // on the active list (under lock_)
  void* eventfd = nullptr;     // context, referenced
  void* resamplefd = nullptr;  // context, referenced; null without RESAMPLE
  void* watch = nullptr;
  void* inject = nullptr;  // work
  Irqfd* next = nullptr;

  ~Irqfd() {
    // Unhook first: afterwards no callback can queue the work again.
    kvmg_eventfd_unwatch(watch);
    kvmg_work_destroy(inject);
    if (resamplefd) kvmg_eventfd_put(resamplefd);
    if (eventfd) kvmg_eventfd_put(eventfd);
  }
};

// The resample eventfds by GSI, for the EOI path: immutable, replaced under
// config_ and freed after an RCU grace period. The contexts are the
// irqfds' references.
struct Irqfds::ResampleSet {
  struct Entry {
    uint32_t gsi;
    void* resamplefd;
    const Irqfd* irqfd;  // whose reference it is
  };
  unsigned count = 0;
  Entry* entries = nullptr;
  ~ResampleSet() { delete[] entries; }
};

Irqfds::~Irqfds() {
  release_all();
  kvmg_work_destroy(reaper_);
}

void Irqfds::release_all() {
  MutexLock guard(config_);
  deactivate([](const Irqfd&) { return true; });
  reap();
}

void Irqfds::on_signal(void* arg) {
  auto* irqfd = static_cast<Irqfd*>(arg);
  // A writer in process context (a VMM's thread, vhost) delivers an MSI
  // itself, without a round trip through the workqueue; in interrupt
  // context, or for a line, the work item does it.
  if (!irqfd->resamplefd && !kvmg_in_interrupt() &&
      arch::irqfd_inject_atomic(irqfd->owner->vm_, irqfd->gsi))
    return;
  kvmg_work_queue(irqfd->inject);
}

void Irqfds::on_hangup(void* arg) {
  auto* irqfd = static_cast<Irqfd*>(arg);
  Irqfds* self = irqfd->owner;
  bool moved = self->deactivate([irqfd](const Irqfd& f) { return &f == irqfd; });
  if (moved) kvmg_work_queue(self->reaper_);
}

void Irqfds::inject(void* arg) {
  auto* irqfd = static_cast<Irqfd*>(arg);
  arch::irqfd_inject(irqfd->owner->vm_, irqfd->gsi, irqfd->resamplefd != nullptr);
}

void Irqfds::reap_work(void* arg) {
  auto* self = static_cast<Irqfds*>(arg);
  MutexLock guard(self->config_);
  self->reap();
}

template <typename Match>
unsigned Irqfds::deactivate(Match match) {
  IrqSpinLockGuard guard(lock_);
  unsigned moved = 0;
  for (Irqfd** p = &active_; *p;) {
    Irqfd* f = *p;
    if (!match(*f)) {
      p = &f->next;
      continue;
    }
    *p = f->next;
    f->active = false;
    f->next = dead_;
    dead_ = f;
    moved++;
  }
  count_.store(count_.load_relaxed() - moved);
  return moved;
}

void Irqfds::reap() {
  Irqfd* dead;
  {
    IrqSpinLockGuard guard(lock_);
    dead = kxx::exchange(dead_, nullptr);
  }
  if (!dead) return;
  // Readers of the resample set must not see a context about to be put.
  resample_remove(dead);
  while (dead) {
    Irqfd* f = dead;
    dead = f->next;
    delete f;
  }
}

bool Irqfds::in_list(const Irqfd* list, const Irqfd* irqfd) {
  for (; list; list = list->next)
    if (list == irqfd) return true;
  return false;
}

void Irqfds::publish(ResampleSet* set) {
  ResampleSet* old = resample_.exchange(set);
  if (!old) return;
  kvmg_synchronize_rcu();
  delete old;
}

kxx::Status Irqfds::resample_add(const Irqfd* irqfd) {
  const ResampleSet* old = resample_.load();
  unsigned n = old ? old->count : 0;
  auto* set = new (kxx::Alloc::kSleep) ResampleSet;
  if (set) set->entries = new (kxx::Alloc::kSleep) ResampleSet::Entry[n + 1];
  if (!set || !set->entries) {
    delete set;
    return kxx::Errno::kNoMem;
  }
  for (unsigned i = 0; i < n; i++) set->entries[i] = old->entries[i];
  set->entries[n] = {irqfd->gsi, irqfd->resamplefd, irqfd};
  set->count = n + 1;
  publish(set);
  return kxx::OkStatus();
}

void Irqfds::resample_remove(const Irqfd* dead) {
  ResampleSet* old = resample_.load();
  if (!old) return;
  unsigned kept = 0;
  for (unsigned i = 0; i < old->count; i++) kept += !in_list(dead, old->entries[i].irqfd);
  if (kept == old->count) return;
  ResampleSet* set = nullptr;
  if (kept) {
    set = new (kxx::Alloc::kSleep) ResampleSet;
    if (set) set->entries = new (kxx::Alloc::kSleep) ResampleSet::Entry[kept];
    if (set && !set->entries) {
      delete set;
      set = nullptr;
    }
    if (!set) {
      // No memory: hide the set, wait for readers, compact it in place.
      // An EOI in between is not resampled (the device signals again).
      resample_.store(nullptr);
      kvmg_synchronize_rcu();
      unsigned out = 0;
      for (unsigned i = 0; i < old->count; i++)
        if (!in_list(dead, old->entries[i].irqfd)) old->entries[out++] = old->entries[i];
      old->count = out;
      resample_.store(old);
      return;
    }
    for (unsigned i = 0; i < old->count; i++)
      if (!in_list(dead, old->entries[i].irqfd)) set->entries[set->count++] = old->entries[i];
  }
  publish(set);
}

void Irqfds::acked(uint32_t gsi) {
  bool lowered = false;
  {
    RcuReadGuard rcu;
    const ResampleSet* set = resample_.load();
    for (unsigned i = 0; set && i < set->count; i++) {
      if (set->entries[i].gsi != gsi) continue;
      if (!lowered) arch::irqfd_deassert(vm_, gsi);
      lowered = true;
      kvmg_eventfd_signal(set->entries[i].resamplefd);
    }
  }
}

kxx::Status Irqfds::ioctl(const kvm_irqfd& args) {
  if (args.flags & ~uint32_t(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
    return kxx::Errno::kInval;
  if (args.flags & KVM_IRQFD_FLAG_DEASSIGN) return deassign(args);
  return assign(args);
}

kxx::Status Irqfds::assign(const kvm_irqfd& args) {
  bool resample = args.flags & KVM_IRQFD_FLAG_RESAMPLE;
  TRY_STATUS(arch::irqfd_allowed(vm_, resample));
  auto* f = new (kxx::Alloc::kSleep) Irqfd;
  if (!f) return kxx::Errno::kNoMem;
  kxx::UniquePtr<Irqfd> owned(f);
  f->owner = this;
  f->gsi = args.gsi;
  if (int r = kvmg_eventfd_get(int(args.fd), &f->eventfd); r < 0) return kxx::Errno(-r);
  if (resample) {
    if (int r = kvmg_eventfd_get(int(args.resamplefd), &f->resamplefd); r < 0)
      return kxx::Errno(-r);
  }
  f->inject = kvmg_work_create(inject, f);
  f->watch = kvmg_eventfd_watch_create(f->eventfd, on_signal, on_hangup, f);
  if (!f->inject || !f->watch) return kxx::Errno::kNoMem;

  MutexLock guard(config_);
  if (!reaper_) {
    reaper_ = kvmg_work_create(reap_work, this);
    if (!reaper_) return kxx::Errno::kNoMem;
  }
  {
    // One eventfd injects into one GSI.
    IrqSpinLockGuard lock(lock_);
    for (Irqfd* o = active_; o; o = o->next)
      if (o->eventfd == f->eventfd) return kxx::Errno::kBusy;
  }
  if (resample) TRY_STATUS(resample_add(f));
  {
    // Active before the watch starts: a hangup may come at once.
    IrqSpinLockGuard lock(lock_);
    f->active = true;
    f->next = active_;
    active_ = owned.release();
    count_.store(count_.load_relaxed() + 1);
  }
  bool signalled = false;
  if (int r = kvmg_eventfd_watch_start(f->watch, int(args.fd), &signalled); r < 0) {
    deactivate([f](const Irqfd& o) { return &o == f; });
    reap();
    return kxx::Errno(-r);
  }
  if (signalled) kvmg_work_queue(f->inject);
  return kxx::OkStatus();
}

kxx::Status Irqfds::deassign(const kvm_irqfd& args) {
  void* ctx = nullptr;
  if (int r = kvmg_eventfd_get(int(args.fd), &ctx); r < 0) return kxx::Errno(-r);
  MutexLock guard(config_);
  deactivate([&](const Irqfd& f) { return f.eventfd == ctx && f.gsi == args.gsi; });
  reap();
  kvmg_eventfd_put(ctx);
  // As upstream: no error when nothing matched.
  return kxx::OkStatus();
}

}  // namespace kvmpp
