// SPDX-License-Identifier: GPL-2.0
// Emulation failures (api.rst, "KVM_EXIT_INTERNAL_ERROR" and
// "KVM_CAP_EXIT_ON_EMULATION_FAILURE"): kvm_run's emulation_failure layout
// (suberror KVM_INTERNAL_ERROR_EMULATION, flags, then the size and bytes of
// the instruction), and what the guest sees when the emulator gives up.
#include "../x86.hpp"
#include "run.hpp"

namespace kvmpp::x86 {

void fill_emulation_failure(Vcpu& vcpu, const uint8_t* insn, unsigned len) {
  constexpr unsigned kMaxBytes = sizeof(kvm_run{}.emulation_failure.insn_bytes);
  vcpu.arch().stats.inc(arch::kVcpuStatInsnEmulationFail);
  kvm_run* kr = vcpu.run();
  kr->exit_reason = KVM_EXIT_INTERNAL_ERROR;
  auto& e = kr->emulation_failure;
  e.suberror = KVM_INTERNAL_ERROR_EMULATION;
  e.flags = 0;
  e.insn_size = 0;
  __builtin_memset(e.insn_bytes, 0, kMaxBytes);
  if (!insn || !len) {
    e.ndata = 1;  // flags only
    return;
  }
  // ndata counts the 64-bit words after suberror/ndata: flags and the
  // 16 bytes of size and instruction.
  e.ndata = 3;
  e.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
  e.insn_size = uint8_t(kxx::min(len, kMaxBytes));
  __builtin_memcpy(e.insn_bytes, insn, e.insn_size);
}

Next emulator_failure(Vcpu& vcpu, const uint8_t* insn, unsigned len) {
  Vm& vm = vcpu.vm();
  x86_state& s = vcpu.arch().regs;
  if (!vm.arch()->exit_on_emulation_failure.load_relaxed()) {
    // Without the capability: an instruction the guest cannot have is #UD,
    // and only a kernel-mode failure is worth user space's attention (a
    // guest application must not be able to stop the VM).
    queue_exception(s, kUdVector);
    if (cpl(s) != 0) return Next::kEnter;
  }
  fill_emulation_failure(vcpu, insn, len);
  return Next::kUser;
}

kxx::Status enable_exit_on_emulation_failure(Vm& vm, uint64_t arg) {
  if (arg & ~uint64_t(1)) return kxx::Errno::kInval;
  vm.arch()->exit_on_emulation_failure.store(arg != 0);
  return kxx::OkStatus();
}

}  // namespace kvmpp::x86
