// SPDX-License-Identifier: GPL-2.0
// How decoding or execution stops early. Each helper records the reason in the
// Outcome and returns an error, so that TRY() unwinds to emulate(), which then
// hands the Outcome back with every register untouched.
#pragma once

#include "emulate.hpp"

namespace kvmpp::x86::emu {

inline kxx::Error stop_unhandleable(Outcome& out, Outcome::Why why) {
  out.kind = Outcome::kUnhandleable;
  out.why = why;
  return kxx::Error(kxx::Errno::kOpNotSupp);
}

inline kxx::Error stop_fault(Outcome& out, const Fault& fault) {
  out.kind = Outcome::kFault;
  out.fault = fault;
  return kxx::Error(kxx::Errno::kFault);
}

// #UD and #GP(0): the exceptions the emulator raises by itself.
inline kxx::Error stop_ud(Outcome& out) { return stop_fault(out, {kVectorUd, false, 0, 0}); }
inline kxx::Error stop_gp0(Outcome& out) { return stop_fault(out, {kVectorGp, true, 0, 0}); }

inline kxx::Error stop_mmio_read(Outcome& out, uint64_t gpa, unsigned len) {
  out.kind = Outcome::kMmioRead;
  out.gpa = gpa;
  out.len = len;
  return kxx::Error(kxx::Errno::kAgain);
}

}  // namespace kvmpp::x86::emu
