// SPDX-License-Identifier: GPL-2.0
// A vCPU's architectural state and its ioctls: registers, segments, control
// and debug registers, events, FPU/XSAVE, reset.
#pragma once

#include "../x86.hpp"

namespace kvmpp::x86 {

// CR4 bits the vCPU may not set: undefined ones and those of features its
// CPUID does not enumerate (x86_cr.cpp).
uint64_t cr4_reserved_bits(Vcpu& vcpu);

// KVM_GET/SET_REGS, KVM_GET/SET_SREGS (x86_regs.cpp).
kxx::Status get_regs(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_regs(Vcpu& vcpu, unsigned long uarg);
kxx::Status get_sregs(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_sregs(Vcpu& vcpu, unsigned long uarg);
kxx::Status get_sregs2(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_sregs2(Vcpu& vcpu, unsigned long uarg);
kxx::Status translate_ioctl(Vcpu& vcpu, unsigned long uarg);
uint64_t default_apic_base(bool bsp);
// KVM_CAP_SYNC_REGS: the fields supported, and the copies in and out of
// kvm_run around KVM_RUN.
long sync_regs_mask();
kxx::Status sync_regs_in(Vcpu& vcpu);
void sync_regs_out(Vcpu& vcpu);

// KVM_GET/SET_DEBUGREGS (x86_debugregs.cpp).
kxx::Status get_debugregs(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_debugregs(Vcpu& vcpu, unsigned long uarg);

// KVM_GET/SET_VCPU_EVENTS (x86_events.cpp); also used by sync regs.
kvm_vcpu_events read_events(Vcpu& vcpu);
kxx::Status write_events(Vcpu& vcpu, const kvm_vcpu_events& e);
kxx::Status get_vcpu_events(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_vcpu_events(Vcpu& vcpu, unsigned long uarg);

// FPU/XSAVE/XCR ioctls (x86_fpu.cpp). guest_xcr0_mask: the XCR0 bits the
// guest may enable.
uint64_t guest_xcr0_mask(Vcpu& vcpu);
kxx::Status get_fpu(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_fpu(Vcpu& vcpu, unsigned long uarg);
kxx::Status get_xsave(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_xsave(Vcpu& vcpu, unsigned long uarg);
long xsave2_size();
kxx::Status get_xcrs(Vcpu& vcpu, unsigned long uarg);
kxx::Status set_xcrs(Vcpu& vcpu, unsigned long uarg);
// KVM_GET/HAS_DEVICE_ATTR on /dev/kvm: KVM_X86_XCOMP_GUEST_SUPP.
kxx::Status dev_device_attr(unsigned cmd, unsigned long uarg);

// Reset to the architectural power-on state (SDM "Processor State After
// Reset", APM "Processor Initialization State").
void reset_state(Vcpu& vcpu);

}  // namespace kvmpp::x86
