// SPDX-License-Identifier: GPL-2.0
// The translation between the architectural state (x86_state) and the VMCB
// save area, around every entry and exit.
#pragma once

#include <kvmpp/x86_state.h>

#include "vmcb.hpp"

namespace kvmpp::svm {

// Segments and descriptor tables cost the most to translate (the VMCB packs
// the attributes) and change the least: a guest reloads them on mode
// switches and task switches, not between two exits. The VMCB keeps the ones
// it was given, so each is translated only when it changed: on entry when
// x86_state no longer holds what the VMCB was loaded from (an ioctl or the
// emulator wrote it), on exit when the VMCB no longer holds what it was
// loaded with (the guest wrote it). Comparing both copies, rather than
// marking writers, keeps every writer of x86_state correct without knowing
// about this cache.
struct SegmentCache {
  bool valid = false;  // false: translate everything on the next entry
  // What x86_state held when the VMCB was last loaded or stored, in
  // x86_state's form...
  x86_segment seg[X86_NR_SEGS] = {};
  x86_dtable gdt = {}, idt = {};
  // ...and in the VMCB's, in the save area's order (ES, CS, SS, DS, FS, GS,
  // GDTR, LDTR, IDTR, TR), so that one pass compares it with the VMCB.
  VmcbSegment vmcb[10] = {};
};

// Copy the state into the VMCB before an entry. A segment that is loaded is
// also written back to x86_state as the VMCB holds it (unusable segments
// lose their attributes), which is what the exit would store anyway.
void load_state(Vmcb& vmcb, SegmentCache& cache, x86_state& s);
// Copy the state back after an exit.
void store_state(const Vmcb& vmcb, SegmentCache& cache, x86_state& s);
// The VMCB's save area can no longer be trusted (after a shutdown).
inline void forget_state(SegmentCache& cache) { cache.valid = false; }

}  // namespace kvmpp::svm
