// SPDX-License-Identifier: GPL-2.0
// Halt polling (Documentation/virt/kvm/halt-polling.rst): a halted vCPU
// spins for a while before it sleeps, because a wake-up that comes soon is
// cheaper to catch awake than after a trip through the scheduler. Each vCPU
// keeps its own polling window, which adapts to how long its halts last.
#pragma once

#include <kxx/types.hpp>

namespace kvmpp {

// The module parameters (kvm.halt_poll_ns and friends), or a VM's
// KVM_CAP_HALT_POLL in place of halt_poll_ns.
struct HaltPollParams {
  uint32_t max_ns = 0;      // the longest window; 0: never poll
  uint32_t grow = 2;        // the window's factor when it grows
  uint32_t grow_start = 0;  // the window it grows to from 0
  uint32_t shrink = 2;      // its divisor when it shrinks (0: to 0)
};

// One vCPU's window.
class HaltPollWindow {
 public:
  // How long the next halt polls.
  uint32_t ns(const HaltPollParams& p) const { return window_ < p.max_ns ? window_ : p.max_ns; }
  // After a halt that blocked for @blocked_ns in all (polling included):
  // a wake-up caught while polling leaves the window as it is; one that
  // came after the poll but within the longest window grows it (the next
  // poll may catch it); a halt longer than that shrinks it (no poll could).
  void update(const HaltPollParams& p, uint64_t blocked_ns, bool woke_in_poll);

 private:
  uint32_t window_ = 0;
};

// What one halt did, for the vCPU's statistics.
struct HaltOutcome {
  bool polled = false;        // a window was polled
  bool woke_in_poll = false;  // ... and the wake-up came during it
  uint64_t poll_ns = 0;       // time spent polling
  uint64_t wait_ns = 0;       // time spent asleep after it
};

}  // namespace kvmpp
