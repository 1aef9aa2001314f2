/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for selftests that run guest code: a VM with RAM, vCPUs. */
#ifndef KVMPP_SELFTEST_VM_H
#define KVMPP_SELFTEST_VM_H

#include "test.h"

struct vm {
	int kvm, fd;
	uint8_t *mem;      /* guest RAM, slot 0 at guest-physical 0 */
	size_t mem_size;
};

struct vcpu {
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

/* A VM whose first @mem_size bytes of guest-physical memory are RAM. */
struct vm *vm_with_ram(size_t mem_size);
struct vcpu *vm_add_vcpu(struct vm *vm, int id);
/* RAX, RCX and RDX of @vcpu (the operands of CPUID, RDMSR, WRMSR, ...). */
void set_gprs(struct vcpu *vcpu, uint64_t rax, uint64_t rcx, uint64_t rdx);
/* One MSR through KVM_GET_MSRS (which must succeed) and KVM_SET_MSRS (its
 * return value: 1 when written). */
uint64_t get_msr(struct vcpu *vcpu, uint32_t index);
int set_msr(struct vcpu *vcpu, uint32_t index, uint64_t data);
/* A kvm_cpuid2 with room for @n entries (free()), and /dev/kvm's supported one. */
struct kvm_cpuid2 *alloc_cpuid(unsigned int n);
struct kvm_cpuid2 *supported_cpuid(int kvm);
/* Copy guest code between two labels (see GUEST_CODE) to @gpa. */
void vm_load(struct vm *vm, uint64_t gpa, const void *start, const void *end);
/* Real mode with CS = 0 and IP = @ip, flat 64 KiB data segments. */
void vcpu_real_mode(struct vcpu *vcpu, uint16_t ip);
/*
 * Real-mode handlers for exceptions 0-31 (IVT at 0, 8-byte stubs at @stubs)
 * that report their vector with an OUT to port @port, then HLT.
 */
void vm_report_exceptions(struct vm *vm, uint16_t stubs, uint8_t port);
/* A VM with 1 MiB of RAM and the in-kernel irqchip (KVM_CREATE_IRQCHIP). */
struct vm *vm_with_irqchip(void);
/* Local APIC registers through KVM_GET/SET_LAPIC (offsets in the xAPIC page). */
#define APIC_ID 0x20
#define APIC_SVR 0xf0
#define APIC_IRR 0x200
#define APIC_LVT_TIMER 0x320
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_TMICT 0x380
#define APIC_TDCR 0x3e0
void set_apic_reg(struct vcpu *vcpu, unsigned int reg, uint32_t val);
uint32_t apic_reg(struct vcpu *vcpu, unsigned int reg);
/* The statistic @name of a KVM_GET_STATS_FD file. */
uint64_t stats_value(int fd, const char *name);
/* Whether @vector is set in the local APIC's IRR. */
int apic_irr(struct vcpu *vcpu, uint8_t vector);

/* KVM_RUN: 0 or -errno. */
int vcpu_run(struct vcpu *vcpu);
/* KVM_RUN with a signal (a no-op handler) due in @usec: -EINTR when the
 * signal ended the run, as it must end a guest that loops. */
int vcpu_run_until_signal(struct vcpu *vcpu, long usec);
/* KVM_RUN, which must succeed with exit @reason. */
void vcpu_run_expect(struct vcpu *vcpu, uint32_t reason);
struct kvm_regs vcpu_regs(struct vcpu *vcpu);
/* The data of the current KVM_EXIT_IO. */
uint8_t *vcpu_io_data(struct vcpu *vcpu);

/*
 * Guest code assembled by the C compiler's assembler, between two labels:
 *   GUEST_CODE(name, ".code16\n" "mov $1, %al\n" "hlt\n")
 * defines name_start[] and name_end[].
 */
#define GUEST_CODE(name, text)                                                 \
	extern const uint8_t name##_start[], name##_end[];                     \
	asm(".pushsection .rodata\n" #name "_start:\n" text "\n.code64\n" #name \
	    "_end:\n.popsection\n")

#endif
