// SPDX-License-Identifier: GPL-2.0
// A vendor backend whose "guest" stops with the exits a test lines up, and
// helpers that make those exits. Install it in place of the fake backend:
//   kvm_core_clear_backend(&fake_backend::kOps);
//   kvm_core_set_backend(&scripted::kOps);
#pragma once

#include <arch/x86/kvm/x86.hpp>

#include <deque>

#include "core_fixture.h"

// A backend whose "guest" stops with the exits a test lines up.
namespace scripted {
inline std::deque<x86_exit> exits;
// What the last entry was asked for.
inline unsigned last_flags = 0;
inline x86_debug last_debug{};
inline uint64_t last_rflags = 0;
inline x86_event last_event{};
inline int vcpu_run(void*, void* arch_run) {
  auto* run = static_cast<x86_run*>(arch_run);
  if (exits.empty()) return -EIO;
  last_flags = run->flags;
  last_debug = run->debug;
  last_rflags = run->state->rflags;
  last_event = run->state->event;
  run->state->event = {};  // delivered, as by the hardware
  run->exit = exits.front();
  exits.pop_front();
  // Port I/O: one-byte instructions unless the script says otherwise.
  if (run->exit.kind == X86_EXIT_IO && !run->exit.next_rip)
    run->exit.next_rip = run->state->rip + 1;
  return 0;
}
inline constexpr kvm_backend_ops kOps = {"scripted",
                                         fake_backend::cpu_enable,
                                         fake_backend::cpu_disable,
                                         fake_backend::vcpu_create,
                                         fake_backend::vcpu_free,
                                         vcpu_run};
}  // namespace scripted

inline x86_exit io_exit(uint16_t port, uint8_t size, bool in = false) {
  x86_exit e{};
  e.kind = X86_EXIT_IO;
  e.io.port = port;
  e.io.size = size;
  e.io.in = in;
  return e;
}

inline x86_exit simple_exit(x86_exit_kind kind) {
  x86_exit e{};
  e.kind = kind;
  return e;
}

inline x86_exit tdp_exit(uint64_t gpa, bool write) {
  x86_exit e{};
  e.kind = X86_EXIT_TDP_FAULT;
  e.tdp.gpa = gpa;
  e.tdp.error_code = write ? 2 : 0;
  return e;
}
