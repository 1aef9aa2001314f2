// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt controllers in user space: with no in-kernel irqchip,
 * KVM_INTERRUPT and kvm_run's request_interrupt_window /
 * ready_for_interrupt_injection; with KVM_CAP_SPLIT_IRQCHIP, the PIC's
 * output through KVM_INTERRUPT, MSI routes only, and KVM_EXIT_IOAPIC_EOI for
 * level-triggered vectors of user space's I/O APIC.
 */
#include "lib/vm.h"

static int interrupt(struct vcpu *v, uint32_t irq)
{
	struct kvm_interrupt i = { .irq = irq };

	return ioctl(v->fd, KVM_INTERRUPT, &i);
}

static int enable_split(int vm, uint64_t pins)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP };

	cap.args[0] = pins;
	return ioctl(vm, KVM_ENABLE_CAP, &cap);
}

#define IVT_SET(vec) \
	" movw $(9f - 0b + 0x1000), %ax\n movw %ax, 4*" #vec "\n movw $0, 4*" #vec "+2\n"

/* Interrupts off for a while (an OUT 0x12 in the middle), then on (past
 * STI's shadow, before a HLT): the handler for 0x30 reports with OUT 0x10. */
GUEST_CODE(window_guest, ".code16\n"
	   "0:" IVT_SET(0x30)
	   " cli\n out %al, $0x12\n"
	   " sti\n nop\n nop\n"
	   "1: hlt\n jmp 1b\n"
	   "9: mov $0x66, %al\n out %al, $0x10\n cli\n hlt\n");

static void test_no_irqchip(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	EXPECT_ERRNO(interrupt(v, 256), EINVAL);
	vm_load(vm, 0x1000, window_guest_start, window_guest_end);
	vcpu_real_mode(v, 0x1000);
	/* Asked for a window while interrupts are off: the OUT exits first, and
	 * the guest cannot take an interrupt there. */
	v->run->request_interrupt_window = 1;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x12);
	EXPECT_EQ(v->run->ready_for_interrupt_injection, 0);
	EXPECT_EQ(v->run->if_flag, 0);
	/* After STI the window opens. */
	vcpu_run_expect(v, KVM_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(v->run->ready_for_interrupt_injection, 1);
	EXPECT_EQ(v->run->if_flag, 1);
	v->run->request_interrupt_window = 0;
	EXPECT_EQ(interrupt(v, 0x31), 0);
	EXPECT_EQ(interrupt(v, 0x30), 0); /* replaces the queued one, as stock */
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0], 0x66);
}

static void test_full_irqchip_refuses(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);

	EXPECT_ERRNO(interrupt(v, 0x30), ENXIO);
	EXPECT_ERRNO(enable_split(vm->fd, 24), EEXIST);
	EXPECT_EQ(ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP), 1);
}

static void test_split_errnos(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), other = create_vm(kvm);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct {
		struct kvm_irq_routing h;
		struct kvm_irq_routing_entry e[1];
	} r = { .h = { .nr = 1 } };

	EXPECT_ERRNO(enable_split(vm, 4097), EINVAL);
	EXPECT_EQ(enable_split(vm, 24), 0);
	EXPECT_ERRNO(enable_split(vm, 24), EEXIST);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_IRQCHIP, 0), EEXIST);
	EXPECT_ERRNO(ioctl(vm, KVM_GET_IRQCHIP, &chip), ENXIO);
	EXPECT_ERRNO(ioctl(vm, KVM_SET_IRQCHIP, &chip), ENXIO);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_PIT2, &pit), ENOENT);
	r.e[0].gsi = 3;
	r.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	r.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	r.e[0].u.irqchip.pin = 3;
	EXPECT_ERRNO(ioctl(vm, KVM_SET_GSI_ROUTING, &r), EINVAL);
	r.e[0].type = KVM_IRQ_ROUTING_MSI;
	r.e[0].u.msi.address_lo = 0xfee00000;
	r.e[0].u.msi.data = 0x40;
	EXPECT_EQ(ioctl(vm, KVM_SET_GSI_ROUTING, &r), 0);
	ASSERT_TRUE(create_vcpu(other, 0) >= 0);
	EXPECT_ERRNO(enable_split(other, 24), EEXIST); /* too late: as upstream */
}

/* Split: the PIC's interrupt arrives through KVM_INTERRUPT on LINT0. */
static void test_split_extint(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v;

	ASSERT_TRUE(enable_split(vm->fd, 24) == 0);
	v = vm_add_vcpu(vm, 0);
	set_apic_reg(v, APIC_SVR, 0x1ff);
	set_apic_reg(v, APIC_LVT0, 0x700); /* ExtINT */
	vm_load(vm, 0x1000, window_guest_start, window_guest_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x12);
	EXPECT_EQ(interrupt(v, 0x30), 0);
	EXPECT_ERRNO(interrupt(v, 0x31), EEXIST);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
}

/*
 * Split, LINT0 masked (as Linux leaves it once its I/O APIC runs): user
 * space's PIC may hold an interrupt, and QEMU then keeps asking for a
 * window, but the interrupt cannot land. The guest runs on with interrupts
 * on, no window opens, and it is not ready for injection. Once we opened
 * the window anyway: with IF set, every entry ended before the guest ran
 * an instruction, and Linux guests of QEMU with a split irqchip hung at
 * boot (only the STI shadow that once bled into each entry had let them
 * crawl on, one instruction per exit).
 */
GUEST_CODE(count_guest, ".code16\n"
	   " sti\n mov $10000, %cx\n"
	   "1: loop 1b\n"
	   " out %al, $0x10\n cli\n hlt\n");

static void test_split_no_window_while_lint0_masked(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v;
	int stats;

	ASSERT_TRUE(enable_split(vm->fd, 24) == 0);
	v = vm_add_vcpu(vm, 0);
	stats = ioctl(v->fd, KVM_GET_STATS_FD, 0);
	ASSERT_TRUE(stats >= 0);
	set_apic_reg(v, APIC_SVR, 0x1ff);
	set_apic_reg(v, APIC_LVT0, 0x10700); /* ExtINT, masked */
	vm_load(vm, 0x1000, count_guest_start, count_guest_end);
	vcpu_real_mode(v, 0x1000);
	v->run->request_interrupt_window = 1;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(v->run->if_flag, 1);
	EXPECT_EQ(v->run->ready_for_interrupt_injection, 0);
	/* 10,000 loop iterations in a handful of exits, not one per instruction. */
	EXPECT_TRUE(stats_value(stats, "exits") < 100);
	/* Unmasked, the window opens at once. */
	set_apic_reg(v, APIC_LVT0, 0x700);
	vcpu_run_expect(v, KVM_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(v->run->ready_for_interrupt_injection, 1);
	close(stats);
}

/* Split: a level-triggered MSI of user space's I/O APIC pin 5; the guest's
 * EOI (x2APIC EOI MSR) exits with KVM_EXIT_IOAPIC_EOI. */
GUEST_CODE(eoi_guest, ".code16\n"
	   "0:" IVT_SET(0x45)
	   " out %al, $0x12\n sti\n"
	   "1: hlt\n jmp 1b\n"
	   "9: mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
	   " out %al, $0x10\n cli\n hlt\n");

static void test_split_eoi_exit(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v;
	struct kvm_cpuid2 *cpuid;
	struct {
		struct kvm_irq_routing h;
		struct kvm_irq_routing_entry e[1];
	} r = { .h = { .nr = 1 } };
	struct kvm_irq_level l = { .irq = 5, .level = 1 };

	ASSERT_TRUE(enable_split(vm->fd, 24) == 0);
	v = vm_add_vcpu(vm, 0);
	cpuid = supported_cpuid(vm->kvm);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, cpuid) == 0);
	ASSERT_TRUE(set_msr(v, 0x1b, 0xfee00000 | (3u << 10)) == 1); /* x2APIC */
	set_apic_reg(v, APIC_SVR, 0x1ff);
	r.e[0].gsi = 5;
	r.e[0].type = KVM_IRQ_ROUTING_MSI;
	r.e[0].u.msi.address_lo = 0xfee00000;
	r.e[0].u.msi.data = 0x45 | (1u << 14) | (1u << 15); /* level, asserted */
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_GSI_ROUTING, &r) == 0);
	vm_load(vm, 0x1000, eoi_guest_start, eoi_guest_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	ASSERT_TRUE(ioctl(vm->fd, KVM_IRQ_LINE, &l) == 0);
	vcpu_run_expect(v, KVM_EXIT_IOAPIC_EOI);
	EXPECT_EQ(v->run->eoi.vector, 0x45);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	free(cpuid);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_no_irqchip),
		TEST(test_full_irqchip_refuses),
		TEST(test_split_errnos),
		TEST(test_split_extint),
		TEST(test_split_no_window_while_lint0_masked),
		TEST(test_split_eoi_exit),
		{},
	});
}
