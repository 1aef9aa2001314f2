// SPDX-License-Identifier: GPL-2.0
/* Guests in real mode: port I/O in every form, HLT, guest memory, shutdown. */
#include <sys/mman.h>

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

GUEST_CODE(outs_es, ".code16\n mov $0x10, %si\n mov $4, %cx\n mov $0x31, %dx\n"
	   " es rep outsb\n hlt\n");

static void test_outs_segment_override(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s;

	vm_load(vm, 0x1000, outs_es_start, outs_es_end);
	memcpy(vm->mem + 0x10, "dsds", 4);
	memcpy(vm->mem + 0x2010, "eses", 4);
	vcpu_real_mode(v, 0x1000);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.es.selector = 0x200;
	s.es.base = 0x2000;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.count, 4);
	EXPECT_TRUE(memcmp(vcpu_io_data(v), "eses", 4) == 0);
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

/*
 * Instructions the guest may not use fault: RDTSCP (#UD: not in CPUID) and
 * RDPMC (#GP: no PMU). The real-mode handlers report the vector on a port.
 */
GUEST_CODE(ud_handler, ".code16\n mov $6, %al\n out %al, $0x70\n hlt\n");
GUEST_CODE(gp_handler, ".code16\n mov $13, %al\n out %al, $0x70\n hlt\n");
GUEST_CODE(do_rdtscp, ".code16\n rdtscp\n hlt\n");
GUEST_CODE(do_rdpmc, ".code16\n xor %ecx, %ecx\n rdpmc\n hlt\n");

/* Returns 0 when the instruction ran instead of faulting (not intercepted). */
static int expect_fault(const uint8_t *start, const uint8_t *end, uint8_t vector)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	uint16_t *ivt = (uint16_t *)vm->mem;

	vm_load(vm, 0x2000, ud_handler_start, ud_handler_end);
	vm_load(vm, 0x2100, gp_handler_start, gp_handler_end);
	ivt[6 * 2] = 0x2000;
	ivt[13 * 2] = 0x2100;
	vm_load(vm, 0x1000, start, end);
	vcpu_real_mode(v, 0x1000);
	ASSERT_TRUE(vcpu_run(v) == 0);
	if (v->run->exit_reason == KVM_EXIT_HLT)
		return 0;
	EXPECT_EQ(v->run->exit_reason, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x70);
	EXPECT_EQ(vcpu_io_data(v)[0], vector);
	return 1;
}

static void test_refused_instructions(void)
{
	EXPECT_TRUE(expect_fault(do_rdpmc_start, do_rdpmc_end, 13));
	/* QEMU 7.2's SVM does not intercept RDTSCP (real CPUs do). */
	if (!expect_fault(do_rdtscp_start, do_rdtscp_end, 6))
		printf("#   note: the CPU does not intercept RDTSCP\n");
}

/*
 * INT n whose delivery faults on the stack page (first touch: a nested page
 * fault during delivery): the interrupt is re-injected and must return after
 * the INT, exactly once.
 */
GUEST_CODE(int_handler, ".code16\n mov $0x80, %al\n out %al, $0x71\n iret\n");
GUEST_CODE(do_int, ".code16\n mov $0x9000, %sp\n int $0x80\n mov $1, %al\n out %al, $0x72\n hlt\n");

static void test_soft_interrupt_reinjected(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	uint16_t *ivt = (uint16_t *)vm->mem;

	vm_load(vm, 0x2000, int_handler_start, int_handler_end);
	ivt[0x80 * 2] = 0x2000;
	vm_load(vm, 0x1000, do_int_start, do_int_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x71);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x72);
	vcpu_run_expect(v, KVM_EXIT_HLT);
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
	v->run->exit_reason = 0x1234;
	EXPECT_EQ(vcpu_run(v), -EINTR);
	EXPECT_EQ(v->run->exit_reason, 0x1234);	/* untouched, as upstream */
	v->run->immediate_exit = 0;
	vcpu_run_expect(v, KVM_EXIT_IO);
	/* The pending OUT is completed even by an immediate exit, and the exit
	 * stays readable (the upstream selftests' ucalls rely on it). */
	v->run->immediate_exit = 1;
	EXPECT_EQ(vcpu_run(v), -EINTR);
	EXPECT_EQ(v->run->exit_reason, KVM_EXIT_IO);
	EXPECT_EQ(vcpu_regs(v).rip, 0x1004);
	EXPECT_EQ(v->run->exit_reason, KVM_EXIT_IO);
}

static void test_set_regs_moves_rip(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_regs r;

	vm_load(vm, 0x1000, out_hlt_start, out_hlt_end);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_IO);
	/* Moving RIP abandons the OUT: the guest resumes where RIP points. */
	r = vcpu_regs(v);
	r.rip = 0x1004; /* the HLT */
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(vcpu_regs(v).rip, 0x1005);
}

static void test_run_arg_must_be_zero(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	EXPECT_ERRNO(ioctl(v->fd, KVM_RUN, 1), EINVAL);
}

/* A DS whose base is outside the RAM slot: every data access is MMIO. */
static void set_ds_base(struct vcpu *v, uint16_t selector)
{
	struct kvm_sregs s;

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.ds.selector = selector;
	s.ds.base = (uint64_t)selector << 4;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
}

GUEST_CODE(mmio_rw, ".code16\n"
	   " mov $0x1234, %ax\n mov %ax, 0x10\n"	/* write */
	   " movw 0x20, %ax\n out %ax, $0x10\n"		/* read */
	   " orw $0x0f0f, 0x30\n"				/* read-modify-write */
	   " movzbl 0x40, %ecx\n mov %cx, %ax\n out %ax, $0x11\n hlt\n");

static void test_mmio(void)
{
	struct vm *vm = vm_with_ram(0x80000);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_load(vm, 0x1000, mmio_rw_start, mmio_rw_end);
	vcpu_real_mode(v, 0x1000);
	set_ds_base(v, 0x9000);

	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.is_write, 1);
	EXPECT_EQ(v->run->mmio.phys_addr, 0x90010);
	EXPECT_EQ(v->run->mmio.len, 2);
	EXPECT_EQ(*(uint16_t *)v->run->mmio.data, 0x1234);

	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.is_write, 0);
	EXPECT_EQ(v->run->mmio.phys_addr, 0x90020);
	EXPECT_EQ(v->run->mmio.len, 2);
	*(uint16_t *)v->run->mmio.data = 0x5678;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint16_t *)vcpu_io_data(v), 0x5678);

	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.is_write, 0);
	EXPECT_EQ(v->run->mmio.phys_addr, 0x90030);
	*(uint16_t *)v->run->mmio.data = 0x5050;
	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.is_write, 1);
	EXPECT_EQ(*(uint16_t *)v->run->mmio.data, 0x5f5f);

	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.len, 1);
	v->run->mmio.data[0] = 0xfe;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x11);
	EXPECT_EQ(*(uint16_t *)vcpu_io_data(v), 0x00fe);	/* zero-extended */
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

GUEST_CODE(rom, ".code16\n movw 0x0, %ax\n out %ax, $0x10\n movw $0x4321, 0x0\n hlt\n");

static void test_readonly_slot(void)
{
	struct vm *vm = vm_with_ram(0x80000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	uint8_t *rom = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region r = {
		.slot = 1, .flags = KVM_MEM_READONLY, .guest_phys_addr = 0x80000,
		.memory_size = 0x10000, .userspace_addr = (uint64_t)(uintptr_t)rom,
	};

	ASSERT_TRUE(rom != MAP_FAILED);
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	rom[0] = 0xcd;
	rom[1] = 0xab;
	vm_load(vm, 0x1000, rom_start, rom_end);
	vcpu_real_mode(v, 0x1000);
	set_ds_base(v, 0x8000);
	/* Reads come from the slot; writes exit as MMIO and change nothing. */
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint16_t *)vcpu_io_data(v), 0xabcd);
	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.is_write, 1);
	EXPECT_EQ(v->run->mmio.phys_addr, 0x80000);
	EXPECT_EQ(*(uint16_t *)v->run->mmio.data, 0x4321);
	EXPECT_EQ(rom[0], 0xcd);
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

GUEST_CODE(mmio_bad, ".code16\n incw 0x0\n hlt\n");

static void test_mmio_unhandleable(void)
{
	struct vm *vm = vm_with_ram(0x80000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	uint8_t *data;

	vm_load(vm, 0x1000, mmio_bad_start, mmio_bad_end);
	vcpu_real_mode(v, 0x1000);
	set_ds_base(v, 0x9000);
	vcpu_run_expect(v, KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(v->run->internal.suberror, 1);	/* emulation failure */
	EXPECT_EQ(v->run->internal.ndata, 3);
	EXPECT_EQ(v->run->internal.data[0], 1);		/* instruction bytes follow */
	data = (uint8_t *)&v->run->internal.data[1];
	EXPECT_TRUE(data[0] >= 2);
	EXPECT_EQ(data[1], 0xff);	/* INC r/m16 */
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_out_then_hlt),
		TEST(test_in_all_sizes),
		TEST(test_string_io),
		TEST(test_guest_memory),
		TEST(test_outs_segment_override),
		TEST(test_refused_instructions),
		TEST(test_soft_interrupt_reinjected),
		TEST(test_triple_fault_shutdown),
		TEST(test_immediate_exit),
		TEST(test_set_regs_moves_rip),
		TEST(test_run_arg_must_be_zero),
		TEST(test_mmio),
		TEST(test_readonly_slot),
		TEST(test_mmio_unhandleable),
		{},
	});
}
