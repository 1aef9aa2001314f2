// SPDX-License-Identifier: GPL-2.0
// The event glue (include/glue/event.h) in user space: IRQ-safe spinlocks are
// plain ones, work runs when a test calls run_work() (or at a flush), and
// eventfds are objects in a table with the kernel's lifetimes: a context is
// reference counted apart from its "file", whose release wakes watchers
// with a hangup.
#include "fake_event.h"

#include <cerrno>
#include <deque>
#include <map>
#include <set>
#include <vector>

namespace {

struct Watch;
struct Ctx {
  int refs = 1;  // the file's
  uint64_t count = 0;
  std::vector<Watch*> waiters;
};
struct Watch {
  Ctx* ctx;
  void (*on_signal)(void*);
  void (*on_hangup)(void*);
  void* arg;
  bool hooked = false;
};
struct Work {
  void (*fn)(void*);
  void* arg;
  bool queued = false;
};

std::map<int, Ctx*> g_eventfds;  // open eventfd files
std::set<int> g_other_fds;
int g_next_fd = 100000;
int g_live = 0;
std::deque<Work*> g_queue;
bool g_in_interrupt = false;
bool g_work_runs_when_destroyed = false;

void ctx_put(Ctx* c) {
  if (--c->refs) return;
  g_live--;
  delete c;
}

}  // namespace

extern "C" {

unsigned long kvmg_spin_lock_irqsave(struct kvmg_spinlock* l) {
  kvmg_spin_lock(l);
  return 0;
}
void kvmg_spin_unlock_irqrestore(struct kvmg_spinlock* l, unsigned long) { kvmg_spin_unlock(l); }

bool kvmg_in_interrupt(void) { return g_in_interrupt; }

void* kvmg_work_create(void (*fn)(void*), void* arg) {
  auto* w = static_cast<Work*>(kvmg_alloc(sizeof(Work), KVMG_ALLOC_ZERO));
  if (!w) return nullptr;
  w->fn = fn;
  w->arg = arg;
  return w;
}
void kvmg_work_queue(void* work) {
  auto* w = static_cast<Work*>(work);
  if (w->queued) return;
  w->queued = true;
  g_queue.push_back(w);
}
static void unqueue(Work* w) {
  for (auto it = g_queue.begin(); it != g_queue.end(); ++it)
    if (*it == w) {
      g_queue.erase(it);
      break;
    }
  w->queued = false;
}
void kvmg_work_flush(void* work) {
  auto* w = static_cast<Work*>(work);
  if (!w->queued) return;
  unqueue(w);
  w->fn(w->arg);
}
void kvmg_work_destroy(void* work) {
  auto* w = static_cast<Work*>(work);
  if (!w) return;
  bool run = g_work_runs_when_destroyed && w->queued;
  unqueue(w);
  if (run) w->fn(w->arg);
  kvmg_free(w);
}

int kvmg_eventfd_get(int fd, void** ctx) {
  auto it = g_eventfds.find(fd);
  if (it == g_eventfds.end()) return g_other_fds.count(fd) ? -EINVAL : -EBADF;
  it->second->refs++;
  *ctx = it->second;
  return 0;
}
void kvmg_eventfd_put(void* ctx) { ctx_put(static_cast<Ctx*>(ctx)); }
void kvmg_eventfd_signal(void* ctx) {
  auto* c = static_cast<Ctx*>(ctx);
  c->count++;
  for (Watch* w : std::vector<Watch*>(c->waiters)) {
    c->count = 0;
    w->on_signal(w->arg);
  }
}

void* kvmg_eventfd_watch_create(void* ctx, void (*on_signal)(void*), void (*on_hangup)(void*),
                                void* arg) {
  auto* w = static_cast<Watch*>(kvmg_alloc(sizeof(Watch), KVMG_ALLOC_ZERO));
  if (!w) return nullptr;
  *w = {static_cast<Ctx*>(ctx), on_signal, on_hangup, arg, false};
  return w;
}
int kvmg_eventfd_watch_start(void* watch, int fd, bool* signalled) {
  auto* w = static_cast<Watch*>(watch);
  auto it = g_eventfds.find(fd);
  if (it == g_eventfds.end()) return g_other_fds.count(fd) ? -EINVAL : -EBADF;
  if (it->second != w->ctx) return -EINVAL;
  w->ctx->waiters.push_back(w);
  w->hooked = true;
  *signalled = w->ctx->count != 0;
  return 0;
}
void kvmg_eventfd_unwatch(void* watch) {
  auto* w = static_cast<Watch*>(watch);
  if (!w) return;
  if (w->hooked) {
    auto& v = w->ctx->waiters;
    for (auto it = v.begin(); it != v.end(); ++it)
      if (*it == w) {
        v.erase(it);
        break;
      }
    w->ctx->count = 0;
  }
  kvmg_free(w);
}

}  // extern "C"

namespace fake {

int make_eventfd() {
  int fd = g_next_fd++;
  g_eventfds[fd] = new Ctx;
  g_live++;
  return fd;
}
int make_other_fd() {
  int fd = g_next_fd++;
  g_other_fds.insert(fd);
  return fd;
}
void close_eventfd(int fd) {
  auto it = g_eventfds.find(fd);
  if (it == g_eventfds.end()) return;
  Ctx* c = it->second;
  g_eventfds.erase(it);
  c->refs++;  // as the kernel: the context stays valid during the wake-up
  for (Watch* w : std::vector<Watch*>(c->waiters)) w->on_hangup(w->arg);
  c->refs--;
  ctx_put(c);
}
void signal_eventfd(int fd) { kvmg_eventfd_signal(g_eventfds.at(fd)); }
uint64_t eventfd_count(int fd) {
  Ctx* c = g_eventfds.at(fd);
  uint64_t n = c->count;
  c->count = 0;
  return n;
}
int live_eventfds() { return g_live; }
int hooked_watches() {
  int n = 0;
  for (auto& [fd, c] : g_eventfds) n += int(c->waiters.size());
  return n;
}
int run_work() {
  int n = 0;
  while (!g_queue.empty()) {
    Work* w = g_queue.front();
    g_queue.pop_front();
    w->queued = false;
    w->fn(w->arg);
    n++;
  }
  return n;
}
int queued_work() { return int(g_queue.size()); }
void set_in_interrupt(bool in) { g_in_interrupt = in; }
void set_work_runs_when_destroyed(bool runs) { g_work_runs_when_destroyed = runs; }
void reset_events() {
  g_in_interrupt = false;
  g_work_runs_when_destroyed = false;
  for (auto& [fd, c] : std::map<int, Ctx*>(g_eventfds)) close_eventfd(fd);
  g_other_fds.clear();
}

}  // namespace fake
