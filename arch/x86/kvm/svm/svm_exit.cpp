// SPDX-License-Identifier: GPL-2.0
// Turning an SVM exit code into the vendor-neutral x86_exit (APM vol. 2,
// "SVM Intercept Exit Codes" and the EXITINFO fields of each intercept).
#include "svm.hpp"

namespace kvmpp::svm {
namespace {

void decode_io(uint64_t info1, x86_exit& e) {
  x86_io_exit& io = e.io;
  io.in = info1 & 1;
  io.string = (info1 >> 2) & 1;
  io.rep = (info1 >> 3) & 1;
  io.size = (info1 & (1 << 4)) ? 1 : (info1 & (1 << 5)) ? 2 : 4;
  io.addr_size = (info1 & (1 << 7)) ? 2 : (info1 & (1 << 8)) ? 4 : 8;
  // SEG (bits 12:10) is only valid with decode assists: the x86 layer
  // decodes the segment-override prefix itself.
  io.seg = (info1 >> 10) & 7;
  io.port = uint16_t(info1 >> 16);
}

}  // namespace

void decode_exit(const Vmcb& vmcb, x86_exit& e) {
  const VmcbControl& c = vmcb.control;
  // The exit code is 32 bits wide in practice (VMEXIT_INVALID reads as
  // 0xffffffff on the emulated CPU); upstream treats it the same way.
  const uint32_t code = uint32_t(c.exit_code);
  e = {};
  e.hw_reason = code;
  e.info[0] = c.exit_info_1;
  e.info[1] = c.exit_info_2;
  switch (code) {
    case exit_code::kIntr:
    case exit_code::kNmi:
    case exit_code::kSmi:
    case exit_code::kInit: e.kind = X86_EXIT_INTR; break;
    case exit_code::kVintr: e.kind = X86_EXIT_IRQ_WINDOW; break;
    case exit_code::kIret: e.kind = X86_EXIT_IRET; break;
    case exit_code::kIoio:
      e.kind = X86_EXIT_IO;
      e.next_rip = c.exit_info_2;  // IOIO always reports the next RIP
      decode_io(c.exit_info_1, e);
      break;
    case exit_code::kHlt: e.kind = X86_EXIT_HLT; break;
    case exit_code::kCpuid: e.kind = X86_EXIT_CPUID; break;
    case exit_code::kMsr: e.kind = c.exit_info_1 ? X86_EXIT_WRMSR : X86_EXIT_RDMSR; break;
    case exit_code::kXsetbv: e.kind = X86_EXIT_XSETBV; break;
    case exit_code::kShutdown: e.kind = X86_EXIT_SHUTDOWN; break;
    case exit_code::kNpf:
      e.kind = X86_EXIT_TDP_FAULT;
      e.tdp.gpa = c.exit_info_2;
      e.tdp.error_code = c.exit_info_1;
      break;
    case exit_code::kInvalid: e.kind = X86_EXIT_FAIL_ENTRY; break;
    case exit_code::kVmmcall: e.kind = X86_EXIT_HYPERCALL; break;
    case exit_code::kExceptionBase + exit_code::kUdVector: e.kind = X86_EXIT_UD_FAULT; break;
    // Guest debugging: DR6 says which debug condition raised the #DB.
    case exit_code::kExceptionBase + exit_code::kDbVector:
      e.kind = X86_EXIT_DEBUG;
      e.info[0] = vmcb.save.dr6;
      break;
    case exit_code::kExceptionBase + exit_code::kBpVector: e.kind = X86_EXIT_BREAKPOINT; break;
    case exit_code::kSwint: e.kind = X86_EXIT_SOFT_INT; break;
    // SVM instructions and MONITOR/MWAIT: the guest sees #UD, as on a CPU
    // without them.
    case exit_code::kVmrun:
    case exit_code::kVmload:
    case exit_code::kVmsave:
    case exit_code::kStgi:
    case exit_code::kClgi:
    case exit_code::kSkinit:
    case exit_code::kInvlpga:
    case exit_code::kMonitor:
    case exit_code::kMwait:
    case exit_code::kMwaitCond:
    case exit_code::kRdpru: e.kind = X86_EXIT_UD; break;
    case exit_code::kRdtscp: e.kind = X86_EXIT_RDTSCP; break;
    case exit_code::kRdpmc: e.kind = X86_EXIT_GP; break;
    case exit_code::kExceptionBase + exit_code::kMcVector: e.kind = X86_EXIT_MACHINE_CHECK; break;
    case exit_code::kExceptionBase + exit_code::kAcVector:
      e.kind = X86_EXIT_EXCEPTION;
      e.info[0] = exit_code::kAcVector;
      break;
    case exit_code::kInvd:
      e.kind = X86_EXIT_CACHE_FLUSH;
      e.info[0] = 0x08;
      break;
    case exit_code::kWbinvd:
      e.kind = X86_EXIT_CACHE_FLUSH;
      e.info[0] = 0x09;
      break;
    default:
      if (code >= exit_code::kDrRead0 && code <= exit_code::kDrLast) {
        e.kind = X86_EXIT_DR_ACCESS;
        e.info[0] = code >= exit_code::kDrWrite0;
      } else {
        e.kind = X86_EXIT_UNKNOWN;
      }
      break;
  }
}

}  // namespace kvmpp::svm
