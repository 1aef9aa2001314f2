// SPDX-License-Identifier: GPL-2.0
/*
 * Guest debugging and exception payloads: KVM_SET_GUEST_DEBUG (software
 * and hardware breakpoints, single steps through instructions the guest
 * runs and ones KVM completes, KVM_GUESTDBG_BLOCKIRQ, #DB/#BP injection,
 * DR7.GD), the guest's own debug registers kept apart from the debugger's,
 * and KVM_CAP_EXCEPTION_PAYLOAD's pending exceptions with their payloads in
 * KVM_GET/SET_VCPU_EVENTS. Real-mode guests: linear addresses are CS * 16 + IP.
 *
 * On the stock modules in the emulated test machine (QEMU 7.2's TCG SVM),
 * test_sw_breakpoint, test_hw_breakpoints, test_step_over_sti and
 * test_general_detect fail for the emulator's sake, not the ABI's: TCG
 * reports a guest's INT3 as an INTn intercept rather than #BP, arms no
 * breakpoint from the VMCB's DR7, drops the single-step trap after STI, and
 * does not implement DR7.GD; this project copes with all four.
 */
#include "lib/vm.h"

#define CODE 0x1000
#define STUBS 0x500 /* exception handlers: vector out to port 0x70 */
#define REPORT_PORT 0x70
#define DR6_FIXED 0xffff0ff0ull
#define DR6_BD (1ull << 13)
#define DR6_BS (1ull << 14)
#define DR7_GD (1ull << 13)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)

/* 0x1000 nop; 0x1001 int3; 0x1002 mov $1,%al; 0x1004 out %al,$0x10; 0x1006 hlt */
GUEST_CODE(swbp, ".code16\n nop\n int3\n mov $1, %al\n out %al, $0x10\n hlt\n");
/* 0x1000 nop; 0x1001 nop; 0x1002 movw $0x1234,(0x2000) (6 bytes); 0x1008 hlt */
GUEST_CODE(hwbp, ".code16\n nop\n nop\n movw $0x1234, (0x2000)\n hlt\n");
/*
 * 0x1000 mov $1,%al; 0x1002 cpuid; 0x1004 out %al,$0x10; 0x1006 nop;
 * 0x1007 nop; 0x1008 hlt
 */
GUEST_CODE(step, ".code16\n mov $1, %al\n cpuid\n out %al, $0x10\n nop\n nop\n hlt\n");
/* The guest's own DR7 and DR0, read back: out %eax to 0x11, then 0x12. */
GUEST_CODE(own_drs, ".code16\n mov %dr7, %eax\n out %eax, $0x11\n"
	   " mov %dr0, %eax\n out %eax, $0x12\n hlt\n");
/* The guest sets DR7.GD itself, then touches DR0. */
GUEST_CODE(own_gd, ".code16\n mov $0x2400, %eax\n mov %eax, %dr7\n mov %dr0, %eax\n hlt\n");
/* 0x1000 mov %dr0,%eax (3 bytes); 0x1003 hlt */
GUEST_CODE(gd, ".code16\n mov %dr0, %eax\n hlt\n");
GUEST_CODE(halt, ".code16\n hlt\n");

static int set_debug(struct vcpu *v, uint32_t control, const uint64_t *drs)
{
	struct kvm_guest_debug d;

	memset(&d, 0, sizeof(d));
	d.control = control;
	if (drs)
		memcpy(d.arch.debugreg, drs, sizeof(d.arch.debugreg));
	return ioctl(v->fd, KVM_SET_GUEST_DEBUG, &d);
}

static struct vcpu *guest(struct vm **vmp, const uint8_t *start, const uint8_t *end)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_load(vm, CODE, start, end);
	vm_report_exceptions(vm, STUBS, REPORT_PORT);
	vcpu_real_mode(v, CODE);
	*vmp = vm;
	return v;
}

static void expect_debug_exit(struct vcpu *v, uint32_t exception, uint64_t pc, uint64_t dr6)
{
	vcpu_run_expect(v, KVM_EXIT_DEBUG);
	EXPECT_EQ(v->run->debug.arch.exception, exception);
	EXPECT_EQ(v->run->debug.arch.pc, pc);
	if (exception == 1)
		EXPECT_EQ(v->run->debug.arch.dr6, dr6);
}

/* The guest's exception handler reported @vector. */
static void expect_guest_exception(struct vcpu *v, uint8_t vector)
{
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, REPORT_PORT);
	EXPECT_EQ(vcpu_io_data(v)[0], vector);
}

static void set_rip(struct vcpu *v, uint64_t rip)
{
	struct kvm_regs r = vcpu_regs(v);

	r.rip = rip;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
}

static void test_caps(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2),
		  KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_SW_BP |
			  KVM_GUESTDBG_USE_HW_BP | KVM_GUESTDBG_INJECT_DB |
			  KVM_GUESTDBG_INJECT_BP | KVM_GUESTDBG_BLOCKIRQ);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_EXCEPTION_PAYLOAD), 1);
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_EXCEPTION_PAYLOAD), 1);
	EXPECT_EQ(ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
	cap.args[0] = 0;
	EXPECT_EQ(ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
}

static void test_bad_arguments(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, halt_start, halt_end);

	/* Bits outside KVM_CAP_SET_GUEST_DEBUG2's answer are accepted and do
	 * nothing: Linux 6.12 checks none on x86 (stock answers 0 here). */
	EXPECT_EQ(set_debug(v, KVM_GUESTDBG_ENABLE | 0x4 | (1u << 21) | 0x80000000u, NULL), 0);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	set_rip(v, CODE);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_GUEST_DEBUG, NULL), EFAULT);
	/* Flags without KVM_GUESTDBG_ENABLE are accepted and ignored. */
	EXPECT_EQ(set_debug(v, KVM_GUESTDBG_USE_SW_BP, NULL), 0);
	/* One exception can wait: a second injection is refused. */
	EXPECT_EQ(set_debug(v, KVM_GUESTDBG_INJECT_DB, NULL), 0);
	EXPECT_ERRNO(set_debug(v, KVM_GUESTDBG_INJECT_BP, NULL), EBUSY);
	EXPECT_ERRNO(set_debug(v, KVM_GUESTDBG_INJECT_DB, NULL), EBUSY);
	expect_guest_exception(v, 1);
	/* Delivered: the next one may come. */
	EXPECT_EQ(set_debug(v, KVM_GUESTDBG_INJECT_BP, NULL), 0);
}

static void test_sw_breakpoint(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, swbp_start, swbp_end);

	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, NULL) == 0);
	expect_debug_exit(v, 3, CODE + 1, 0);
	EXPECT_EQ(vcpu_regs(v).rip, CODE + 1);
	/* The same breakpoint again, until the debugger moves past it. */
	expect_debug_exit(v, 3, CODE + 1, 0);
	set_rip(v, CODE + 2);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);

	/* Without the debugger, the guest's own INT3 reaches its handler. */
	ASSERT_TRUE(set_debug(v, 0, NULL) == 0);
	set_rip(v, CODE);
	expect_guest_exception(v, 3);

	/* KVM_GUESTDBG_INJECT_BP on the INT3 passes it on: the handler gets a
	 * return address after the instruction. */
	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, NULL) == 0);
	set_rip(v, CODE);
	expect_debug_exit(v, 3, CODE + 1, 0);
	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP |
				      KVM_GUESTDBG_INJECT_BP, NULL) == 0);
	expect_guest_exception(v, 3);
	/* IP pushed by the #BP: the word at SS:SP (SS = 0). */
	EXPECT_EQ(*(uint16_t *)(vm->mem + vcpu_regs(v).rsp), CODE + 2);
}

static void test_hw_breakpoints(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, hwbp_start, hwbp_end);
	struct kvm_debugregs dr;

	/* An instruction breakpoint in each of DR0-DR3 (a fault: RIP on it). */
	for (int i = 0; i < 4; i++) {
		uint64_t drs[8] = { 0 };

		drs[i] = CODE + 1;
		drs[7] = 0x400 | (1ull << (2 * i + 1));
		ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, drs) == 0);
		expect_debug_exit(v, 1, CODE + 1, DR6_FIXED | (1ull << i));
		EXPECT_EQ(v->run->debug.arch.dr7, drs[7]);
		EXPECT_EQ(vcpu_regs(v).rip, CODE + 1);
	}
	/* The guest's own debug registers are not the debugger's. */
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_DEBUGREGS, &dr) == 0);
	EXPECT_EQ(dr.dr7, 0x400);
	EXPECT_EQ(dr.db[3], 0);
	EXPECT_EQ(dr.dr6, DR6_FIXED);

	/* A data breakpoint on a 2-byte write (a trap: RIP after the write). */
	uint64_t data[8] = { 0 };
	data[1] = 0x2000;
	data[7] = 0x400 | (1ull << 3) | (1ull << 20) | (1ull << 22); /* G1, write, 2 bytes */
	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, data) == 0);
	set_rip(v, CODE + 2);
	expect_debug_exit(v, 1, CODE + 8, DR6_FIXED | 2);
	EXPECT_EQ(*(uint16_t *)(vm->mem + 0x2000), 0x1234);

	/* Debugging off: the guest runs to its end. */
	ASSERT_TRUE(set_debug(v, 0, NULL) == 0);
	set_rip(v, CODE);
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

static void test_guest_drs_kept(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, own_drs_start, own_drs_end);
	struct kvm_debugregs dr;
	uint64_t drs[8] = { 0x9000, 0, 0, 0, 0, 0, 0, 0x400 | 2 };

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_DEBUGREGS, &dr) == 0);
	dr.db[0] = 0x1234;
	dr.dr7 = 0x401;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_DEBUGREGS, &dr) == 0);
	/* While the debugger has its own breakpoints, the guest reads its own. */
	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, drs) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), 0x401);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), 0x1234);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_DEBUGREGS, &dr) == 0);
	EXPECT_EQ(dr.db[0], 0x1234);
	EXPECT_EQ(dr.dr7, 0x401);
	/* And after it stops. */
	ASSERT_TRUE(set_debug(v, 0, NULL) == 0);
	set_rip(v, CODE);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), 0x401);
}

static void test_single_step(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, step_start, step_end);
	const uint32_t step = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;

	ASSERT_TRUE(set_debug(v, step, NULL) == 0);
	/* mov: the guest ran it. */
	expect_debug_exit(v, 1, CODE + 2, DR6_FIXED | DR6_BS);
	/* The trap flag is the debugger's: the guest's RFLAGS do not show it. */
	EXPECT_EQ(vcpu_regs(v).rflags & RFLAGS_TF, 0);
	/* cpuid: KVM completed it. */
	expect_debug_exit(v, 1, CODE + 4, DR6_FIXED | DR6_BS);
	/* out: user space's port first, then the step when it completes. */
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	expect_debug_exit(v, 1, CODE + 6, DR6_FIXED | DR6_BS);
	expect_debug_exit(v, 1, CODE + 7, DR6_FIXED | DR6_BS);
	EXPECT_EQ(vcpu_regs(v).rflags & RFLAGS_TF, 0);
	ASSERT_TRUE(set_debug(v, 0, NULL) == 0);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(vcpu_regs(v).rip, CODE + 9);
}

/* 0x1000 sti; 0x1001 nop; 0x1002 hlt */
GUEST_CODE(sti_step, ".code16\n sti\n nop\n hlt\n");

static void test_step_over_sti(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, sti_step_start, sti_step_end);

	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, NULL) == 0);
	expect_debug_exit(v, 1, CODE + 1, DR6_FIXED | DR6_BS);
	EXPECT_TRUE(vcpu_regs(v).rflags & RFLAGS_IF);
	expect_debug_exit(v, 1, CODE + 2, DR6_FIXED | DR6_BS);
}

/* 0x3000: the handler of vector 0x40 reports itself on port 0x40. */
GUEST_CODE(irq_handler, ".code16\n mov $0x40, %al\n out %al, $0x40\n hlt\n");

static void test_step_blocks_interrupts(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_interrupt irq = { .irq = 0x40 };
	uint16_t ivt[2] = { 0x3000, 0 };
	struct kvm_regs r;

	vm_load(vm, CODE, step_start, step_end);
	vm_load(vm, 0x3000, irq_handler_start, irq_handler_end);
	vcpu_real_mode(v, CODE);
	memcpy(vm->mem + 0x40 * 4, ivt, sizeof(ivt));
	r = vcpu_regs(v);
	r.rflags |= RFLAGS_IF;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	/* Vector 0x40 pending in the local APIC. */
	set_apic_reg(v, APIC_SVR, 0x1ff);
	set_apic_reg(v, APIC_IRR + 0x40 / 32 * 0x10, 1u << (0x40 % 32));
	/* Stepping with BLOCKIRQ: the interrupt waits. */
	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
				      KVM_GUESTDBG_BLOCKIRQ, NULL) == 0);
	expect_debug_exit(v, 1, CODE + 2, DR6_FIXED | DR6_BS);
	expect_debug_exit(v, 1, CODE + 4, DR6_FIXED | DR6_BS);
	EXPECT_TRUE(apic_irr(v, 0x40));
	/* Without the debugger it is taken at once. */
	ASSERT_TRUE(set_debug(v, 0, NULL) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x40);

	/* Without an irqchip, KVM_INTERRUPT's vector counts as injected by
	 * user space already: it goes in even while stepping with BLOCKIRQ
	 * (as upstream). */
	v = guest(&vm, step_start, step_end);
	vm_load(vm, 0x3000, irq_handler_start, irq_handler_end);
	memcpy(vm->mem + 0x40 * 4, ivt, sizeof(ivt));
	r = vcpu_regs(v);
	r.rflags |= RFLAGS_IF;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_INTERRUPT, &irq) == 0);
	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
				      KVM_GUESTDBG_BLOCKIRQ, NULL) == 0);
	/* (Whether the handler's instructions step too is the CPU's affair.) */
	for (int i = 0; i < 4; i++) {
		ASSERT_TRUE(vcpu_run(v) == 0);
		if (v->run->exit_reason != KVM_EXIT_DEBUG)
			break;
	}
	EXPECT_EQ(v->run->exit_reason, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x40);
}

static void test_inject_db(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, halt_start, halt_end);

	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_INJECT_DB, NULL) == 0);
	expect_guest_exception(v, 1);
	/* The return address is where the guest was. */
	EXPECT_EQ(*(uint16_t *)(vm->mem + vcpu_regs(v).rsp), CODE);
}

static void test_general_detect(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, gd_start, gd_end);
	struct kvm_debugregs dr;
	uint64_t drs[8] = { 0, 0, 0, 0, 0, 0, 0, 0x400 | DR7_GD };

	/* The debugger's DR7.GD: the access exits before it happens. */
	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, drs) == 0);
	expect_debug_exit(v, 1, CODE, DR6_FIXED | DR6_BD);
	ASSERT_TRUE(set_debug(v, 0, NULL) == 0);
	vcpu_run_expect(v, KVM_EXIT_HLT);

	/* The guest's own: a #DB for the guest, DR6.BD set, DR7.GD cleared. */
	v = guest(&vm, own_gd_start, own_gd_end);
	expect_guest_exception(v, 1);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_DEBUGREGS, &dr) == 0);
	EXPECT_EQ(dr.dr6, DR6_FIXED | DR6_BD);
	EXPECT_EQ(dr.dr7, 0x400);
	/* The return address is the MOV from DR0 (a fault). */
	EXPECT_EQ(*(uint16_t *)(vm->mem + vcpu_regs(v).rsp), CODE + 9);
}

/* A KVM_SET_VCPU_EVENTS argument with one exception, @nr, pending (or
 * else already injected), carrying @payload. */
static struct kvm_vcpu_events payload_event(uint8_t nr, int pending, uint64_t payload)
{
	struct kvm_vcpu_events e;

	memset(&e, 0, sizeof(e));
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	e.exception.pending = pending;
	e.exception.injected = !pending;
	e.exception.nr = nr;
	e.exception_has_payload = 1;
	e.exception_payload = payload;
	return e;
}

static void enable_payloads(struct vm *vm, int on)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { on } };

	ASSERT_TRUE(ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0);
}

static void test_exception_payload(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, halt_start, halt_end);
	struct kvm_vcpu_events e, got;
	struct kvm_sregs s;
	struct kvm_debugregs dr;

	enable_payloads(vm, 1);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_TRUE(e.flags & KVM_VCPUEVENT_VALID_PAYLOAD);
	EXPECT_EQ(e.exception.pending, 0);

	/* A pending #PF with its CR2: read back as set, CR2 written on delivery. */
	e = payload_event(14, 1, 0xdead000);
	e.exception.has_error_code = 1;
	e.exception.error_code = 2;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &got) == 0);
	EXPECT_EQ(got.exception.pending, 1);
	EXPECT_EQ(got.exception.injected, 0);
	EXPECT_EQ(got.exception.nr, 14);
	EXPECT_EQ(got.exception.has_error_code, 1);
	EXPECT_EQ(got.exception.error_code, 2);
	EXPECT_EQ(got.exception_has_payload, 1);
	EXPECT_EQ(got.exception_payload, 0xdead000);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	EXPECT_EQ(s.cr2, 0);
	expect_guest_exception(v, 14);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	EXPECT_EQ(s.cr2, 0xdead000);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &got) == 0);
	EXPECT_EQ(got.exception.pending, 0);

	/* A pending #DB's payload: new DR6 conditions (B1, BS). */
	set_rip(v, CODE);
	e = payload_event(1, 1, DR6_BS | 2);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) == 0);
	expect_guest_exception(v, 1);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_DEBUGREGS, &dr) == 0);
	EXPECT_EQ(dr.dr6, DR6_FIXED | DR6_BS | 2);

	/* A payload flag on a non-pending exception is dropped (as upstream). */
	set_rip(v, CODE);
	e = payload_event(14, 0, 0xbeef000);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &got) == 0);
	EXPECT_EQ(got.exception.injected, 1);
	EXPECT_EQ(got.exception_has_payload, 0);
	expect_guest_exception(v, 14);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	EXPECT_EQ(s.cr2, 0xdead000);

	/* KVM_GUESTDBG_INJECT_DB's #DB is pending, without a payload. */
	set_rip(v, CODE);
	ASSERT_TRUE(set_debug(v, KVM_GUESTDBG_INJECT_DB, NULL) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &got) == 0);
	EXPECT_EQ(got.exception.pending, 1);
	EXPECT_EQ(got.exception.injected, 0);
	EXPECT_EQ(got.exception.nr, 1);
	EXPECT_EQ(got.exception_has_payload, 0);

	/* Without the capability the same #DB reads as pending and injected
	 * both (as upstream), and a payload cannot be set. */
	enable_payloads(vm, 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &got) == 0);
	EXPECT_EQ(got.flags & KVM_VCPUEVENT_VALID_PAYLOAD, 0);
	EXPECT_EQ(got.exception.pending, 1);
	EXPECT_EQ(got.exception.injected, 1);
	EXPECT_EQ(got.exception.nr, 1);
	e = got;
	e.flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e), EINVAL);
	/* exception.pending without the flag is ignored. */
	e = got;
	e.exception.pending = 1;
	EXPECT_EQ(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e), 0);
	expect_guest_exception(v, 1);

	/* Vector checks apply to pending exceptions too. */
	enable_payloads(vm, 1);
	memset(&e, 0, sizeof(e));
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	e.exception.pending = 1;
	e.exception.nr = 2;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e), EINVAL);
	e.exception.nr = 32;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e), EINVAL);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_bad_arguments),
		TEST(test_sw_breakpoint),
		TEST(test_hw_breakpoints),
		TEST(test_guest_drs_kept),
		TEST(test_single_step),
		TEST(test_step_over_sti),
		TEST(test_step_blocks_interrupts),
		TEST(test_inject_db),
		TEST(test_general_detect),
		TEST(test_exception_payload),
		{},
	});
}
