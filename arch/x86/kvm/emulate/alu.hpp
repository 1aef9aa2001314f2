// SPDX-License-Identifier: GPL-2.0
// Integer arithmetic and logic with the status flags they define.
#pragma once

#include "decode.hpp"

namespace kvmpp::x86::emu {

// dst OP src for one of the ALU operations (ADD..CMP, TEST) at size bytes.
// Returns the result and updates CF, PF, AF, ZF, SF and OF in rflags (ADC and
// SBB also read CF). Flags the SDM leaves undefined are given a fixed value:
// AF is cleared by the logical operations.
uint64_t alu(Op op, unsigned size, uint64_t dst, uint64_t src, uint64_t& rflags);

}  // namespace kvmpp::x86::emu
