// SPDX-License-Identifier: GPL-2.0
// errno values returned to user space (asm-generic numbering: x86 and arm64).
#pragma once

namespace kxx {

enum class Errno : int {
  kPerm = 1,
  kNoEnt = 2,
  kIntr = 4,
  kIo = 5,
  kNxio = 6,
  kTooBig = 7,
  kBadF = 9,
  kAgain = 11,
  kNoMem = 12,
  kFault = 14,
  kBusy = 16,
  kExist = 17,
  kNoDev = 19,
  kInval = 22,
  kNoTty = 25,
  kNoSpc = 28,
  kRange = 34,
  kNoSys = 38,
  kOpNotSupp = 95,
};

}  // namespace kxx
