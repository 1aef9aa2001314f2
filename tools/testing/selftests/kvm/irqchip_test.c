// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel interrupt controllers: KVM_CREATE_IRQCHIP and its errnos,
 * the PIC/IOAPIC/LAPIC state ioctls, and real-mode guests that take a PIC
 * interrupt and a local APIC timer interrupt, halting in the kernel.
 */
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/vm.h"


static void test_create_errnos(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	struct kvm_irq_level irq = { .irq = 0, .level = 1 };
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_lapic_state lapic;
	int vcpu;

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP), 1);
	/* Nothing to drive or read before the irqchip exists. */
	EXPECT_ERRNO(ioctl(vm, KVM_IRQ_LINE, &irq), ENXIO);
	EXPECT_ERRNO(ioctl(vm, KVM_GET_IRQCHIP, &chip), ENXIO);
	EXPECT_ERRNO(ioctl(vm, KVM_SET_IRQCHIP, &chip), ENXIO);
	EXPECT_EQ(ioctl(vm, KVM_CREATE_IRQCHIP, 0), 0);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_IRQCHIP, 0), EEXIST);
	chip.chip_id = 3;
	EXPECT_ERRNO(ioctl(vm, KVM_GET_IRQCHIP, &chip), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_SET_IRQCHIP, &chip), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_GET_IRQCHIP, (void *)8), EFAULT);
	EXPECT_ERRNO(ioctl(vm, KVM_IRQ_LINE, (void *)8), EFAULT);
	close(vm);

	/* Too late once a vCPU exists; no local APIC without the irqchip. */
	vm = create_vm(kvm);
	vcpu = create_vcpu(vm, 0);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_IRQCHIP, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu, KVM_GET_LAPIC, &lapic), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu, KVM_SET_LAPIC, &lapic), EINVAL);
	close(vcpu);
	close(vm);
	close(kvm);
}

static void test_state_round_trip(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *bsp = vm_add_vcpu(vm, 0), *ap = vm_add_vcpu(vm, 1);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_irq_level irq = { .irq = 4, .level = 1 };
	struct kvm_mp_state mp;

	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) == 0);
	chip.chip.pic.imr = 0x5a;
	chip.chip.pic.irq_base = 0x20;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip) == 0);
	memset(&chip.chip, 0, sizeof(chip.chip));
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) == 0);
	EXPECT_EQ(chip.chip.pic.imr, 0x5a);
	EXPECT_EQ(chip.chip.pic.irq_base, 0x20);

	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_IRQCHIP, &chip) == 0);
	EXPECT_EQ(chip.chip.ioapic.base_address, 0xfec00000ull);
	chip.chip.ioapic.redirtbl[4].bits = 0x31; /* vector 0x31, unmasked, edge */
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip) == 0);
	/* GSI 4 reaches the I/O APIC, which sends vector 0x31 to APIC 0. */
	set_apic_reg(bsp, APIC_SVR, 0x1ff);
	ASSERT_TRUE(ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &irq) == 0);
	EXPECT_EQ(irq.status, 1);
	EXPECT_EQ(apic_reg(bsp, 0x200 + 0x10) & (1u << 17), 1u << 17); /* IRR bit 0x31 */
	irq.irq = 99;
	ASSERT_TRUE(ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &irq) == 0);
	EXPECT_EQ(irq.status, -1); /* no such GSI */

	/* vCPU 0 boots; the others wait for INIT and SIPI. */
	ASSERT_TRUE(ioctl(bsp->fd, KVM_GET_MP_STATE, &mp) == 0);
	EXPECT_EQ(mp.mp_state, KVM_MP_STATE_RUNNABLE);
	ASSERT_TRUE(ioctl(ap->fd, KVM_GET_MP_STATE, &mp) == 0);
	EXPECT_EQ(mp.mp_state, KVM_MP_STATE_UNINITIALIZED);
	mp.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(ioctl(ap->fd, KVM_SET_MP_STATE, &mp), 0);
	mp.mp_state = 42;
	EXPECT_ERRNO(ioctl(ap->fd, KVM_SET_MP_STATE, &mp), EINVAL);
	EXPECT_EQ(apic_reg(ap, 0x20) >> 24, 1u); /* APIC ID */
}

/* IVT[vector] = handler; wait (STI; HLT); after the handler: OUT 0x11. */
#define IVT_SET(vec) \
	" movw $(9f - 0b + 0x1000), %ax\n movw %ax, 4*" #vec "\n movw $0, 4*" #vec "+2\n"

GUEST_CODE(pic_guest, ".code16\n"
	   "0:" IVT_SET(8)
	   /* ICW1-4: vectors 8-15, cascade on IR2, 8086 mode; unmask IRQ 0. */
	   " mov $0x11, %al\n out %al, $0x20\n mov $0x08, %al\n out %al, $0x21\n"
	   " mov $0x04, %al\n out %al, $0x21\n mov $0x01, %al\n out %al, $0x21\n"
	   " mov $0xfe, %al\n out %al, $0x21\n"
	   " in $0x21, %al\n out %al, $0x12\n" /* sync: the IMR as read back */
	   " sti\n nop\n"
	   "1: hlt\n jmp 1b\n"
	   "9: mov $0x55, %al\n out %al, $0x10\n"
	   " mov $0x20, %al\n out %al, $0x20\n" /* EOI */
	   " out %al, $0x11\n cli\n hlt\n");

static void test_pic_interrupt(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_irq_level irq = { .irq = 0, .level = 1 };

	vm_load(vm, 0x1000, pic_guest_start, pic_guest_end);
	vcpu_real_mode(v, 0x1000);
	/* LINT0 in ExtINT mode passes the PIC through. */
	set_apic_reg(v, APIC_SVR, 0x1ff);
	set_apic_reg(v, APIC_LVT0, 0x700);
	/* The PIC's ports are the kernel's: the first exit is the sync. */
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x12);
	EXPECT_EQ(vcpu_io_data(v)[0], 0xfe);
	ASSERT_TRUE(ioctl(vm->fd, KVM_IRQ_LINE, &irq) == 0);
	irq.level = 0;
	ASSERT_TRUE(ioctl(vm->fd, KVM_IRQ_LINE, &irq) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0], 0x55);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x11);
}

GUEST_CODE(timer_guest, ".code16\n"
	   "0:" IVT_SET(0x40)
	   " out %al, $0x12\n" /* sync: the host starts the timer */
	   " sti\n"
	   "1: hlt\n jmp 1b\n"
	   "9: mov $0x77, %al\n out %al, $0x10\n cli\n hlt\n");

static void test_apic_timer_wakes_halted_vcpu(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_load(vm, 0x1000, timer_guest_start, timer_guest_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x12);
	/* One-shot, vector 0x40, divide by 1: 5 ms at the 1 GHz APIC clock. */
	set_apic_reg(v, APIC_SVR, 0x1ff);
	set_apic_reg(v, APIC_TDCR, 0xb);
	set_apic_reg(v, APIC_LVT_TIMER, 0x40);
	set_apic_reg(v, APIC_TMICT, 5000000);
	/* The guest halts in the kernel until the timer fires. */
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0], 0x77);
	EXPECT_EQ(apic_reg(v, 0x100 + 0x20) & 1u, 1u); /* ISR bit 0x40 */
}

/* TSC-deadline mode: the guest arms IA32_TSC_DEADLINE 10 ms ahead (at the
 * TSC rate the host reports in ESI kHz) and halts until it fires. */
GUEST_CODE(deadline_guest, ".code16\n"
	   "0:" IVT_SET(0x42)
	   " out %al, $0x12\n" /* sync: the host sets TSC-deadline mode */
	   " rdtsc\n mov %esi, %ebx\n imul $10, %ebx\n" /* ticks in 10 ms */
	   " add %ebx, %eax\n adc $0, %edx\n"
	   " mov $0x6e0, %ecx\n wrmsr\n sti\n"
	   "1: hlt\n jmp 1b\n"
	   "9: mov $0x88, %al\n out %al, $0x10\n cli\n hlt\n");

static void test_tsc_deadline_wakes_halted_vcpu(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_regs r;
	long khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	struct kvm_cpuid2 *cpuid = supported_cpuid(vm->kvm);
	unsigned int i;

	/* TSC-deadline mode needs its CPUID bit, which the VMM adds to the
	 * supported table when KVM_CAP_TSC_DEADLINE_TIMER says it may. */
	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 1)
			cpuid->entries[i].ecx |= 1u << 24;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, cpuid) == 0);
	free(cpuid);
	EXPECT_EQ(ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER), 1);
	ASSERT_TRUE(khz > 0);
	vm_load(vm, 0x1000, deadline_guest_start, deadline_guest_end);
	vcpu_real_mode(v, 0x1000);
	r = vcpu_regs(v);
	r.rsi = khz;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x12);
	set_apic_reg(v, APIC_SVR, 0x1ff);
	set_apic_reg(v, APIC_LVT_TIMER, 0x42 | (2u << 17));
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0], 0x88);
	EXPECT_EQ(get_msr(v, 0x6e0), 0); /* cleared when it fired */
}

GUEST_CODE(halt_forever, ".code16\n cli\n hlt\n out %al, $0x10\n");

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_signal_ends_halt(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_mp_state mp;

	vm_load(vm, 0x1000, halt_forever_start, halt_forever_end);
	vcpu_real_mode(v, 0x1000);
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	EXPECT_EQ(vcpu_run(v), -EINTR);
	EXPECT_EQ(v->run->exit_reason, KVM_EXIT_INTR);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_MP_STATE, &mp) == 0);
	EXPECT_EQ(mp.mp_state, KVM_MP_STATE_HALTED);
	/* Made runnable by user space, it goes on after the HLT. */
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_MP_STATE, &mp) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
}

/* Halts woken by the APIC timer, reported to user space by the handler,
 * which returns to the halt; user space ends each interrupt (ISR). */
GUEST_CODE(halt_loop, ".code16\n"
	   "0:" IVT_SET(0x40)
	   " sti\n"
	   "1: hlt\n jmp 1b\n"
	   "9: out %al, $0x10\n iret\n");

/* Halt polling: the window grows with halts shorter than the maximum until
 * a poll catches the wake-up; KVM_CAP_HALT_POLL sets the VM's maximum (0:
 * no polling) in place of kvm.halt_poll_ns. */
static void test_halt_polling(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	int stats = ioctl(v->fd, KVM_GET_STATS_FD, 0);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { 50000000 } };
	uint64_t attempted;
	int i;

	ASSERT_TRUE(stats >= 0);
	EXPECT_EQ(ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL), 1);
	ASSERT_TRUE(ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0); /* 50 ms */
	vm_load(vm, 0x1000, halt_loop_start, halt_loop_end);
	vcpu_real_mode(v, 0x1000);
	set_apic_reg(v, APIC_SVR, 0x1ff);
	set_apic_reg(v, APIC_TDCR, 0xb);
	set_apic_reg(v, APIC_LVT_TIMER, 0x40);
	/* 1 ms halts: a window from 10 us, doubling, catches one by the 9th. */
	for (i = 0; i < 16; i++) {
		set_apic_reg(v, APIC_TMICT, 1000000);
		vcpu_run_expect(v, KVM_EXIT_IO);
		EXPECT_EQ(v->run->io.port, 0x10);
		set_apic_reg(v, 0x100 + 0x20, 0); /* end the interrupt: ISR bit 0x40 */
	}
	attempted = stats_value(stats, "halt_attempted_poll");
	EXPECT_TRUE(attempted >= 8);
	EXPECT_TRUE(stats_value(stats, "halt_successful_poll") >= 1);
	EXPECT_TRUE(stats_value(stats, "halt_poll_success_ns") > 0);
	EXPECT_TRUE(stats_value(stats, "halt_wait_ns") > 0);

	cap.args[0] = 0;
	ASSERT_TRUE(ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0);
	for (i = 0; i < 3; i++) {
		set_apic_reg(v, APIC_TMICT, 1000000);
		vcpu_run_expect(v, KVM_EXIT_IO);
		set_apic_reg(v, 0x100 + 0x20, 0);
	}
	EXPECT_EQ(stats_value(stats, "halt_attempted_poll"), attempted);

	cap.args[0] = 1ull << 32; /* wider than a window */
	EXPECT_ERRNO(ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL);
	cap.args[0] = 0;
	cap.flags = 1;
	EXPECT_ERRNO(ioctl(vm->fd, KVM_ENABLE_CAP, &cap), EINVAL);
	close(stats);
}

int main(void)
{
	static const struct test tests[] = {
		TEST(test_create_errnos),
		TEST(test_state_round_trip),
		TEST(test_pic_interrupt),
		TEST(test_apic_timer_wakes_halted_vcpu),
		TEST(test_tsc_deadline_wakes_halted_vcpu),
		TEST(test_signal_ends_halt),
		TEST(test_halt_polling),
		{ 0 },
	};
	return run_tests(tests);
}
