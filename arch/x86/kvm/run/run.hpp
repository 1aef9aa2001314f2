// SPDX-License-Identifier: GPL-2.0
// The run loop and the exits it handles: port I/O, MMIO emulation, the
// other intercepts, and emulation failures.
#pragma once

#include "../x86.hpp"

namespace kvmpp::x86 {

kxx::Result<Next> handle_io(Vcpu& vcpu, const x86_exit& exit);
kxx::Status complete_io(Vcpu& vcpu);
// MMIO emulation (x86_mmio.cpp): emulate the instruction at RIP; finish a
// read with the data user space put in kvm_run.
kxx::Result<Next> handle_mmio(Vcpu& vcpu);
kxx::Result<Next> complete_mmio(Vcpu& vcpu);
kxx::Result<Next> handle_other_exit(Vcpu& vcpu, const x86_exit& exit);
// Skip an instruction whose encoding the exit implies (no NRIP save on the
// emulated CPUs): @opcode must be what is at RIP, without prefixes; else
// the instruction is left for a KVM_EXIT_INTERNAL_ERROR.
kxx::Result<bool> skip_instruction(Vcpu& vcpu, const uint8_t* opcode, unsigned len);
// The segment OUTS reads from: DS or a segment-override prefix. The IOIO
// exit reports it only with decode assists, which the emulated CPU lacks.
unsigned string_source_segment(Vcpu& vcpu);
// An INTn/INT3/INTO being re-injected with RIP still on its instruction:
// move RIP past it so the event returns after it (x86_exits.cpp).
void step_over_soft_event(Vcpu& vcpu);
// Emulation failures (x86_emulation_failure.cpp), reported to user space as
// KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION with the
// instruction's bytes. report_emulation_failure: always exits, with the
// bytes at RIP (the instruction there is not the one the exit implies, or
// it runs in a mode the emulator does not handle).
Next report_emulation_failure(Vcpu& vcpu);
// The emulator could not execute @insn (@len bytes): an exit when
// KVM_CAP_EXIT_ON_EMULATION_FAILURE is enabled; otherwise #UD for the guest
// and, at CPL 0, the exit as well (as upstream).
Next emulator_failure(Vcpu& vcpu, const uint8_t* insn, unsigned len);
// Fill kvm_run with the failure and @len (at most 15) instruction bytes.
void fill_emulation_failure(Vcpu& vcpu, const uint8_t* insn, unsigned len);
kxx::Status enable_exit_on_emulation_failure(Vm& vm, uint64_t arg);

}  // namespace kvmpp::x86
