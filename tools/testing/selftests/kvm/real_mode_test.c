// SPDX-License-Identifier: GPL-2.0
/* Guests in real mode: port I/O in every form, HLT, guest memory, shutdown. */
#include "lib/vm.h"

GUEST_CODE(out_hlt, ".code16\n mov $0x42, %al\n out %al, $0x10\n hlt\n");

static void test_out_then_hlt(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_load(vm, 0x1000, out_hlt_start, out_hlt_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.direction, KVM_EXIT_IO_OUT);
	EXPECT_EQ(v->run->io.port, 0x10);
	EXPECT_EQ(v->run->io.size, 1);
	EXPECT_EQ(v->run->io.count, 1);
	EXPECT_EQ(vcpu_io_data(v)[0], 0x42);
	/* RIP stays on the OUT until the next KVM_RUN completes it. */
	EXPECT_EQ(vcpu_regs(v).rip, 0x1002);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(vcpu_regs(v).rip, 0x1005);
}

GUEST_CODE(in_out, ".code16\n"
	   " in $0x20, %al\n out %al, $0x21\n"
	   " mov $0x1234, %dx\n in %dx, %ax\n out %ax, %dx\n"
	   " in %dx, %eax\n out %eax, %dx\n hlt\n");

static void test_in_all_sizes(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_regs r;

	vm_load(vm, 0x1000, in_out_start, in_out_end);
	vcpu_real_mode(v, 0x1000);
	r = vcpu_regs(v);
	r.rax = 0xaaaaaaaabbbbbbbbull;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);

	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.direction, KVM_EXIT_IO_IN);
	EXPECT_EQ(v->run->io.port, 0x20);
	vcpu_io_data(v)[0] = 0x99;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.direction, KVM_EXIT_IO_OUT);
	EXPECT_EQ(vcpu_io_data(v)[0], 0x99);
	/* An 8-bit IN merges into RAX. */
	EXPECT_EQ(vcpu_regs(v).rax, 0xaaaaaaaabbbbbb99ull);

	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.size, 2);
	EXPECT_EQ(v->run->io.port, 0x1234);
	memcpy(vcpu_io_data(v), "\x34\x12", 2);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.size, 2);
	EXPECT_EQ(*(uint16_t *)vcpu_io_data(v), 0x1234);

	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.size, 4);
	memcpy(vcpu_io_data(v), "\x78\x56\x34\x12", 4);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), 0x12345678);
	/* A 32-bit IN zero-extends RAX. */
	EXPECT_EQ(vcpu_regs(v).rax, 0x12345678);
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

GUEST_CODE(rep_outsb, ".code16\n"
	   " mov $0x2000, %si\n mov $5, %cx\n mov $0x30, %dx\n rep outsb\n"
	   " mov $0x3000, %di\n mov $3, %cx\n rep insw\n hlt\n");

static void test_string_io(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_regs r;

	vm_load(vm, 0x1000, rep_outsb_start, rep_outsb_end);
	memcpy(vm->mem + 0x2000, "hello", 5);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.direction, KVM_EXIT_IO_OUT);
	EXPECT_EQ(v->run->io.count, 5);
	EXPECT_EQ(v->run->io.port, 0x30);
	EXPECT_TRUE(memcmp(vcpu_io_data(v), "hello", 5) == 0);

	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.direction, KVM_EXIT_IO_IN);
	EXPECT_EQ(v->run->io.size, 2);
	EXPECT_EQ(v->run->io.count, 3);
	memcpy(vcpu_io_data(v), "abcdef", 6);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_TRUE(memcmp(vm->mem + 0x3000, "abcdef", 6) == 0);
	r = vcpu_regs(v);
	EXPECT_EQ(r.rsi & 0xffff, 0x2005);
	EXPECT_EQ(r.rdi & 0xffff, 0x3006);
	EXPECT_EQ(r.rcx & 0xffff, 0);
}

GUEST_CODE(mem_write, ".code16\n movw $0xbeef, 0x500\n movw 0x600, %ax\n out %ax, $0x10\n hlt\n");

static void test_guest_memory(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_load(vm, 0x1000, mem_write_start, mem_write_end);
	vm->mem[0x600] = 0x34;
	vm->mem[0x601] = 0x12;
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint16_t *)vcpu_io_data(v), 0x1234);
	EXPECT_EQ(*(uint16_t *)(vm->mem + 0x500), 0xbeef);
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

GUEST_CODE(triple, ".code16\n lidt 0x700\n int3\n hlt\n");

static void test_triple_fault_shutdown(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	/* An IDT of limit 0: the breakpoint, then #GP, then #DF all fail. */
	memset(vm->mem + 0x700, 0, 6);
	vm_load(vm, 0x1000, triple_start, triple_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_SHUTDOWN);
}

static void test_immediate_exit(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_load(vm, 0x1000, out_hlt_start, out_hlt_end);
	vcpu_real_mode(v, 0x1000);
	v->run->immediate_exit = 1;
	EXPECT_EQ(vcpu_run(v), -EINTR);
	EXPECT_EQ(v->run->exit_reason, KVM_EXIT_INTR);
	v->run->immediate_exit = 0;
	vcpu_run_expect(v, KVM_EXIT_IO);
	/* The pending OUT is completed even by an immediate exit. */
	v->run->immediate_exit = 1;
	EXPECT_EQ(vcpu_run(v), -EINTR);
	EXPECT_EQ(vcpu_regs(v).rip, 0x1004);
}

static void test_run_arg_must_be_zero(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	EXPECT_ERRNO(ioctl(v->fd, KVM_RUN, 1), EINVAL);
}

GUEST_CODE(mmio, ".code16\n mov $0x1234, %ax\n mov %ax, 0x0\n hlt\n");

static void test_mmio_without_emulator(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s;

	/* DS at 1 MiB: the write lands outside every slot. */
	vm_load(vm, 0x1000, mmio_start, mmio_end);
	vcpu_real_mode(v, 0x1000);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.ds.base = 0x100000;
	s.ds.selector = 0x1000;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	/* The instruction emulator is not integrated yet: an honest failure. */
	vcpu_run_expect(v, KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(v->run->internal.suberror, 1);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_out_then_hlt),
		TEST(test_in_all_sizes),
		TEST(test_string_io),
		TEST(test_guest_memory),
		TEST(test_triple_fault_shutdown),
		TEST(test_immediate_exit),
		TEST(test_run_arg_must_be_zero),
		TEST(test_mmio_without_emulator),
		{},
	});
}
