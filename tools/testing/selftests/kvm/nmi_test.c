// SPDX-License-Identifier: GPL-2.0
/*
 * NMIs: KVM_NMI with and without the in-kernel irqchip, an NMI IPI from
 * another vCPU, blocking until the handler's IRET (one more NMI latched
 * meanwhile, the rest dropped), and the NMI state in KVM_GET/SET_VCPU_EVENTS.
 */
#include "lib/vm.h"

/* IVT[2] = handler; interrupts off; wait with HLT in a loop. The handler
 * counts in BX, reports with OUT 0x10 (data: the count), and IRETs. */
GUEST_CODE(nmi_guest, ".code16\n"
	   "0: movw $(9f - 0b + 0x1000), %ax\n movw %ax, 8\n movw $0, 10\n"
	   " xor %bx, %bx\n cli\n out %al, $0x12\n"
	   "1: hlt\n jmp 1b\n"
	   "9: inc %bx\n mov %bl, %al\n out %al, $0x10\n iret\n");

static struct vcpu *start(struct vm *vm, int id)
{
	struct vcpu *v = vm_add_vcpu(vm, id);

	vcpu_real_mode(v, 0x1000);
	return v;
}

static void test_caps(void)
{
	int kvm = open_kvm();

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_NMI), 1);
}

/* One NMI in service blocks the next until IRET; of two more sent
 * meanwhile, one is latched and delivered after the IRET. */
static void run_blocking(struct vm *vm, int irqchip)
{
	struct vcpu *v = start(vm, 0);
	struct kvm_vcpu_events e;

	vm_load(vm, 0x1000, nmi_guest_start, nmi_guest_end);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x12);
	ASSERT_TRUE(ioctl(v->fd, KVM_NMI) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_EQ(e.nmi.pending, 1);
	vcpu_run_expect(v, KVM_EXIT_IO); /* in the handler, NMIs blocked */
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0], 1);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_EQ(e.nmi.masked, 1);
	EXPECT_EQ(e.nmi.pending, 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_NMI) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_NMI) == 0);
	/* After the IRET: the latched one. Without an in-kernel irqchip the
	 * guest's HLT (interrupts off) may exit first: stock single-steps the
	 * IRET and delivers before it, this implementation at the next entry. */
	if (vcpu_run(v) == 0 && v->run->exit_reason == KVM_EXIT_HLT && !irqchip)
		vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->exit_reason, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0], 2);
	if (!irqchip) {
		/* Nothing else comes: the guest halts (to user space). */
		vcpu_run_expect(v, KVM_EXIT_HLT);
	}
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_EQ(e.nmi.pending, 0);
}

static void test_blocking_with_irqchip(void)
{
	run_blocking(vm_with_irqchip(), 1);
}

static void test_blocking_without_irqchip(void)
{
	run_blocking(vm_with_ram(1 << 20), 0);
}

/* KVM_SET_VCPU_EVENTS with a pending NMI delivers it. */
static void test_events_set_pending(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = start(vm, 0);
	struct kvm_vcpu_events e;

	vm_load(vm, 0x1000, nmi_guest_start, nmi_guest_end);
	vcpu_run_expect(v, KVM_EXIT_IO);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	e.nmi.pending = 1;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	/* Masked from user space: the next one waits for an IRET. */
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_EQ(e.nmi.masked, 1);
}

/* vCPU 1 sends an NMI IPI (x2APIC ICR, delivery mode NMI) to vCPU 0. */
GUEST_CODE(sender, ".code16\n"
	   " mov $0x830, %ecx\n mov $0x400, %eax\n xor %edx, %edx\n wrmsr\n"
	   " out %al, $0x11\n hlt\n");

static void test_nmi_ipi(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *a = start(vm, 0), *b = vm_add_vcpu(vm, 1);
	struct kvm_cpuid2 *cpuid = supported_cpuid(vm->kvm);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	vm_load(vm, 0x1000, nmi_guest_start, nmi_guest_end);
	vm_load(vm, 0x2000, sender_start, sender_end);
	ASSERT_TRUE(ioctl(b->fd, KVM_SET_CPUID2, cpuid) == 0);
	ASSERT_TRUE(set_msr(b, 0x1b, 0xfee00000 | (3u << 10)) == 1); /* x2APIC */
	ASSERT_TRUE(ioctl(b->fd, KVM_SET_MP_STATE, &mp) == 0);
	vcpu_real_mode(b, 0x2000);
	vcpu_run_expect(a, KVM_EXIT_IO);
	EXPECT_EQ(a->run->io.port, 0x12);
	vcpu_run_expect(b, KVM_EXIT_IO);
	EXPECT_EQ(b->run->io.port, 0x11);
	vcpu_run_expect(a, KVM_EXIT_IO);
	EXPECT_EQ(a->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(a)[0], 1);
	free(cpuid);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_blocking_with_irqchip),
		TEST(test_blocking_without_irqchip),
		TEST(test_events_set_pending),
		TEST(test_nmi_ipi),
		{},
	});
}
