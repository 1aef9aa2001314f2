// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel i8254 PIT: KVM_CREATE_PIT2 and the state ioctls with their
 * errnos, a real-mode guest taking periodic IRQ0 ticks through the PIC, and
 * a guest that times channel 2 through port 0x61 as Linux calibrates its
 * TSC, without a single exit for the PIT's ports.
 */
#include "lib/vm.h"

static int create_pit(int vm, uint32_t flags)
{
	struct kvm_pit_config c = { .flags = flags };

	return ioctl(vm, KVM_CREATE_PIT2, &c);
}

static void test_errnos(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	struct kvm_pit_state2 s;
	struct kvm_pit_state legacy;
	struct kvm_reinject_control r = { .pit_reinject = 0 };

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PIT2), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PIT_STATE2), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_REINJECT_CONTROL), 1);
	EXPECT_ERRNO(create_pit(vm, KVM_PIT_SPEAKER_DUMMY), ENOENT); /* no in-kernel PIC */
	ASSERT_TRUE(ioctl(vm, KVM_CREATE_IRQCHIP, 0) == 0);
	EXPECT_ERRNO(ioctl(vm, KVM_GET_PIT2, &s), ENXIO);
	EXPECT_ERRNO(ioctl(vm, KVM_SET_PIT2, &s), ENXIO);
	EXPECT_ERRNO(ioctl(vm, KVM_GET_PIT, &legacy), ENXIO);
	EXPECT_ERRNO(ioctl(vm, KVM_REINJECT_CONTROL, &r), ENXIO);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_PIT2, (void *)8), EFAULT);
	/* Unknown flags are ignored (stock 6.12 does not check them). */
	EXPECT_EQ(create_pit(vm, KVM_PIT_SPEAKER_DUMMY | 2), 0);
	EXPECT_ERRNO(create_pit(vm, KVM_PIT_SPEAKER_DUMMY), EEXIST);
	EXPECT_EQ(ioctl(vm, KVM_GET_PIT2, &s), 0);
	EXPECT_EQ(s.channels[0].gate, 1);
	EXPECT_EQ(s.channels[2].gate, 0);
	EXPECT_EQ(ioctl(vm, KVM_REINJECT_CONTROL, &r), 0);
	EXPECT_ERRNO(ioctl(vm, KVM_GET_PIT2, (void *)8), EFAULT);
}

static void test_state_round_trip(void)
{
	struct vm *vm = vm_with_irqchip();
	struct kvm_pit_state2 s, t;
	struct kvm_pit_state legacy;

	ASSERT_TRUE(create_pit(vm->fd, KVM_PIT_SPEAKER_DUMMY) == 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_PIT2, &s) == 0);
	s.channels[0].mode = 2;
	s.channels[0].count = 1000;
	s.channels[0].rw_mode = 3;
	s.channels[0].read_state = 3;
	s.channels[0].write_state = 3;
	s.channels[1].count = 0x10000;
	s.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_PIT2, &s) == 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_PIT2, &t) == 0);
	EXPECT_EQ(t.channels[0].mode, 2);
	EXPECT_EQ(t.channels[0].count, 1000);
	EXPECT_EQ(t.channels[1].count, 0x10000);
	EXPECT_EQ(t.channels[0].rw_mode, 3);
	EXPECT_EQ(t.flags, KVM_PIT_FLAGS_SPEAKER_DATA_ON);
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_PIT, &legacy) == 0);
	EXPECT_EQ(legacy.channels[0].count, 1000);
	legacy.channels[0].count = 2000;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_PIT, &legacy) == 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_PIT2, &t) == 0);
	EXPECT_EQ(t.channels[0].count, 2000);
	EXPECT_EQ(t.flags, KVM_PIT_FLAGS_SPEAKER_DATA_ON); /* the legacy call keeps the flags */
}

/*
 * Program the PIC (vectors 0x20-0x27, IRQ0 unmasked) and PIT channel 0 in
 * mode 2 at ~1 ms; count five ticks in the handler (EOI each), then report
 * the count with OUT 0x10. Exactly five, however slow the machine: the
 * handler masks IRQ0 at the fifth, and the loop tests the count with
 * interrupts off (STI; HLT waits without a gap). Before, a sixth tick could
 * land between the test and the report (seen on the debug kernel).
 */
#define IVT_SET(vec) \
	" movw $(9f - 0b + 0x1000), %ax\n movw %ax, 4*" #vec "\n movw $0, 4*" #vec "+2\n"

GUEST_CODE(tick_guest, ".code16\n"
	   "0:" IVT_SET(0x20)
	   " mov $0x11, %al\n out %al, $0x20\n mov $0x20, %al\n out %al, $0x21\n"
	   " mov $0x04, %al\n out %al, $0x21\n mov $0x01, %al\n out %al, $0x21\n"
	   " mov $0xfe, %al\n out %al, $0x21\n"
	   " mov $0x34, %al\n out %al, $0x43\n"
	   " mov $0xa9, %al\n out %al, $0x40\n mov $0x04, %al\n out %al, $0x40\n" /* 1193 */
	   " xor %bx, %bx\n"
	   "1: cli\n cmp $5, %bx\n jae 2f\n sti\n hlt\n jmp 1b\n"
	   "2: mov %bx, %ax\n out %al, $0x10\n hlt\n"
	   "9: inc %bx\n cmp $5, %bx\n jb 3f\n mov $0xff, %al\n out %al, $0x21\n"
	   "3: mov $0x20, %al\n out %al, $0x20\n iret\n");

static void test_guest_takes_ticks(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);

	ASSERT_TRUE(create_pit(vm->fd, KVM_PIT_SPEAKER_DUMMY) == 0);
	vm_load(vm, 0x1000, tick_guest_start, tick_guest_end);
	vcpu_real_mode(v, 0x1000);
	set_apic_reg(v, APIC_SVR, 0x1ff);
	set_apic_reg(v, APIC_LVT0, 0x700); /* ExtINT: the PIC reaches the CPU */
	/* Every PIC and PIT access stays in the kernel: the first exit is the
	 * report after five ticks. */
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0], 5);
}

/*
 * Linux's pit_calibrate_tsc(): gate channel 2 on through port 0x61, mode 0
 * with 11932 (10 ms), then poll port 0x61 bit 5 until OUT rises, counting
 * the polls in ECX; report with OUT 0x10.
 */
GUEST_CODE(calibrate_guest, ".code16\n"
	   " in $0x61, %al\n and $0xfd, %al\n or $0x01, %al\n out %al, $0x61\n"
	   " mov $0xb0, %al\n out %al, $0x43\n"
	   " mov $0x9c, %al\n out %al, $0x42\n mov $0x2e, %al\n out %al, $0x42\n"
	   " xor %ecx, %ecx\n"
	   "1: inc %ecx\n in $0x61, %al\n test $0x20, %al\n jz 1b\n"
	   " out %al, $0x10\n hlt\n");

static void test_calibration_loop(void)
{
	struct vm *vm = vm_with_irqchip();
	struct vcpu *v = vm_add_vcpu(vm, 0);

	ASSERT_TRUE(create_pit(vm->fd, KVM_PIT_SPEAKER_DUMMY) == 0);
	vm_load(vm, 0x1000, calibrate_guest_start, calibrate_guest_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(vcpu_io_data(v)[0] & 0x21, 0x21); /* gate on, OUT high */
	EXPECT_TRUE(vcpu_regs(v).rcx > 1);          /* it had to wait */
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_errnos),
		TEST(test_state_round_trip),
		TEST(test_guest_takes_ticks),
		TEST(test_calibration_loop),
		{},
	});
}
