// SPDX-License-Identifier: GPL-2.0
#include "halt_poll.hpp"

#include <glue/glue.h>

#include "vcpu.hpp"
#include "vm.hpp"

namespace kvmpp {

void HaltPollWindow::update(const HaltPollParams& p, uint64_t blocked_ns, bool woke_in_poll) {
  if (!p.max_ns) {
    window_ = 0;
    return;
  }
  if (woke_in_poll) return;
  if (blocked_ns > p.max_ns) {
    window_ = p.shrink ? window_ / p.shrink : 0;
    return;
  }
  if (!p.grow) return;
  uint64_t grown = window_ ? uint64_t(window_) * p.grow : p.grow_start;
  // A window below grow_start would take many halts to matter: go there.
  if (grown < p.grow_start) grown = p.grow_start;
  window_ = uint32_t(grown < p.max_ns ? grown : p.max_ns);
}

kxx::Status Vcpu::halt(uint32_t mask, HaltOutcome& out) {
  out = {};
  const HaltPollParams params = vm_.halt_poll_params();
  const uint64_t start = kvmg_monotonic_ns();
  uint64_t now = start;
  if (uint32_t window = halt_poll_.ns(params)) {
    // Poll while nothing else wants this CPU: never longer than the
    // window, and never in the way of another task or a signal.
    out.polled = true;
    const uint64_t end = start + window;
    while (!(out.woke_in_poll = has_request(mask)) && !kvmg_poll_must_stop() && now < end) {
      kvmg_cpu_relax();
      now = kvmg_monotonic_ns();
    }
    out.poll_ns = now - start;
  }
  if (!out.woke_in_poll) {
    kxx::Status s = wait_for_request(mask);
    uint64_t woke = kvmg_monotonic_ns();
    out.wait_ns = woke - now;
    now = woke;
    // A signal ends the halt early: it says nothing about wake-ups.
    if (!s.ok()) return s;
  }
  halt_poll_.update(params, now - start, out.woke_in_poll);
  return kxx::OkStatus();
}

}  // namespace kvmpp
