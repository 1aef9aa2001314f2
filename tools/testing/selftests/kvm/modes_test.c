// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in 32-bit protected mode (without paging, with 32-bit paging and
 * PSE, with PAE) and in 64-bit long mode with 4-level paging: port I/O,
 * string I/O through the guest's page tables, MMIO through them, HLT.
 * The tests build the page tables and set the mode with KVM_SET_SREGS.
 */
#include <sys/mman.h>

#include "lib/vm.h"

#define CR0_PE 1ull
#define CR0_ET (1ull << 4)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_PS 0x80ull

enum paging { NO_PAGING, PAGING_32, PAGING_PAE, PAGING_LONG };

#define RAM_SIZE (4u << 20)
#define MMIO_GPA 0xfee00000ull  /* no slot there */
#define MMIO_LINEAR 0x400000ull /* where the guest's tables map it */

static struct kvm_segment flat(uint8_t type, int code64)
{
	struct kvm_segment s = {
		.base = 0, .limit = 0xffffffff, .selector = type & 8 ? 0x8 : 0x10,
		.type = type, .present = 1, .s = 1, .g = 1, .db = !code64, .l = code64,
	};
	return s;
}

/*
 * Identity-map the first 4 MiB (large pages where the format has them) and
 * map MMIO_LINEAR to MMIO_GPA with a 4 KiB page. Tables live at 0x10000.
 */
static uint64_t build_tables(struct vm *vm, enum paging p)
{
	uint8_t *m = vm->mem;
	uint64_t root = 0x10000;

	memset(m + root, 0, 0x10000);
	if (p == PAGING_32) {
		uint32_t *pd = (uint32_t *)(m + root), *pt = (uint32_t *)(m + root + 0x1000);

		pd[0] = 0 | PTE_P | PTE_W | PTE_PS;		/* 0-4 MiB, PSE */
		pd[1] = (root + 0x1000) | PTE_P | PTE_W;	/* 4-8 MiB: a table */
		pt[0] = MMIO_GPA | PTE_P | PTE_W;
	} else if (p == PAGING_PAE) {
		uint64_t *pdpt = (uint64_t *)(m + root), *pd = (uint64_t *)(m + root + 0x1000);
		uint64_t *pt = (uint64_t *)(m + root + 0x2000);

		pdpt[0] = (root + 0x1000) | PTE_P;
		pd[0] = 0 | PTE_P | PTE_W | PTE_PS;		/* 0-2 MiB */
		pd[1] = 0x200000 | PTE_P | PTE_W | PTE_PS;	/* 2-4 MiB */
		pd[2] = (root + 0x2000) | PTE_P | PTE_W;	/* 4-6 MiB: a table */
		pt[0] = MMIO_GPA | PTE_P | PTE_W;
	} else if (p == PAGING_LONG) {
		uint64_t *pml4 = (uint64_t *)(m + root), *pdpt = (uint64_t *)(m + root + 0x1000);
		uint64_t *pd = (uint64_t *)(m + root + 0x2000), *pt = (uint64_t *)(m + root + 0x3000);

		pml4[0] = (root + 0x1000) | PTE_P | PTE_W;
		pdpt[0] = (root + 0x2000) | PTE_P | PTE_W;
		pd[0] = 0 | PTE_P | PTE_W | PTE_PS;
		pd[1] = 0x200000 | PTE_P | PTE_W | PTE_PS;
		pd[2] = (root + 0x3000) | PTE_P | PTE_W;
		pt[0] = MMIO_GPA | PTE_P | PTE_W;
	}
	return root;
}

static void set_mode(struct vcpu *v, struct vm *vm, enum paging p, uint64_t rip)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = rip, .rflags = 2, .rsp = 0x8000 };
	int code64 = p == PAGING_LONG;

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.cs = flat(0xb, code64);
	s.ds = s.es = s.ss = s.fs = s.gs = flat(0x3, 0);
	s.cr0 = CR0_PE | CR0_ET;
	s.cr4 = 0;
	s.efer = 0;
	if (p != NO_PAGING) {
		s.cr3 = build_tables(vm, p);
		s.cr0 |= CR0_PG;
	}
	if (p == PAGING_32)
		s.cr4 = CR4_PSE;
	if (p == PAGING_PAE)
		s.cr4 = CR4_PAE;
	if (p == PAGING_LONG) {
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
	}
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
}

GUEST_CODE(prot32, ".code32\n"
	   " mov $0x12345678, %eax\n out %eax, $0x10\n"
	   " mov $0x3000, %esi\n mov $6, %ecx\n mov $0x20, %dx\n rep outsb\n"
	   " mov $0x400000, %ebx\n movl $0xcafe, (%ebx)\n"	/* MMIO through the tables */
	   " mov 4(%ebx), %eax\n out %eax, $0x11\n hlt\n");

GUEST_CODE(long64, ".code64\n"
	   " movabs $0x1122334455667788, %rax\n out %eax, $0x10\n"
	   " mov $0x3000, %esi\n mov $6, %ecx\n mov $0x20, %dx\n rep outsb\n"
	   " mov $0x400000, %rbx\n movl $0xcafe, (%rbx)\n"
	   " mov 4(%rbx), %eax\n out %eax, $0x11\n"
	   " mov %r8, %rax\n out %eax, $0x12\n hlt\n");

/* The same observable sequence for every mode. */
static void run_sequence(enum paging p, int code64)
{
	struct vm *vm = vm_with_ram(RAM_SIZE);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	/* Without paging, linear 0x400000 is guest-physical 0x400000: past RAM. */
	uint64_t mmio_gpa = p == NO_PAGING ? MMIO_LINEAR : MMIO_GPA;
	struct kvm_regs r;

	if (code64)
		vm_load(vm, 0x1000, long64_start, long64_end);
	else
		vm_load(vm, 0x1000, prot32_start, prot32_end);
	memcpy(vm->mem + 0x3000, "paging", 6);
	set_mode(v, vm, p, 0x1000);
	if (code64) {
		r = vcpu_regs(v);
		r.r8 = 0xabcdef;
		ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	}

	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.size, 4);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), code64 ? 0x55667788 : 0x12345678);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.count, 6);
	EXPECT_TRUE(memcmp(vcpu_io_data(v), "paging", 6) == 0);
	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.is_write, 1);
	EXPECT_EQ(v->run->mmio.phys_addr, mmio_gpa);
	EXPECT_EQ(v->run->mmio.len, 4);
	EXPECT_EQ(*(uint32_t *)v->run->mmio.data, 0xcafe);
	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(v->run->mmio.is_write, 0);
	EXPECT_EQ(v->run->mmio.phys_addr, mmio_gpa + 4);
	*(uint32_t *)v->run->mmio.data = 0xfeedbeef;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x11);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), 0xfeedbeef);
	if (code64) {
		vcpu_run_expect(v, KVM_EXIT_IO);
		EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), 0xabcdef);
	}
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

static void test_protected_no_paging(void)
{
	run_sequence(NO_PAGING, 0);
}

static void test_protected_paging_32bit(void)
{
	run_sequence(PAGING_32, 0);
}

static void test_protected_paging_pae(void)
{
	run_sequence(PAGING_PAE, 0);
}

static void test_long_mode(void)
{
	run_sequence(PAGING_LONG, 1);
}

static void test_sregs_round_trip(void)
{
	struct vm *vm = vm_with_ram(RAM_SIZE);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s;

	set_mode(v, vm, PAGING_LONG, 0x1000);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	EXPECT_EQ(s.efer, EFER_LME | EFER_LMA);
	EXPECT_EQ(s.cr4, CR4_PAE);
	EXPECT_EQ(s.cr0, CR0_PE | CR0_ET | CR0_PG);
	EXPECT_EQ(s.cr3, 0x10000);
	EXPECT_EQ(s.cs.l, 1);
	EXPECT_EQ(s.cs.limit, 0xffffffff);
	EXPECT_EQ(s.ds.type, 3);
}

static void test_invalid_sregs(void)
{
	struct vm *vm = vm_with_ram(RAM_SIZE);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s, orig;

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &orig) == 0);
	s = orig;
	s.cr0 = CR0_PG; /* paging without protection */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL);
	s = orig;
	s.efer = EFER_LME | EFER_LMA; /* LMA without paging */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL);
	s = orig;
	s.cr0 = CR0_PE | CR0_PG;
	s.efer = EFER_LME | EFER_LMA; /* long mode without PAE */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL);
	s = orig;
	s.cr0 |= 1ull << 32; /* reserved */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL);
	s = orig;
	s.efer |= 1ull << 5; /* reserved */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL);
	s = orig;
	s.apic_base |= 1ull << 3; /* reserved */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL);
	/* CR4 bits of features never offered (no nested VMX, no SMX). */
	s = orig;
	s.cr4 |= 1ull << 13; /* VMXE */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL);
	s = orig;
	s.cr4 |= 1ull << 14; /* SMXE: never */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, &s), EINVAL);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_SREGS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_REGS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_REGS, NULL), EFAULT);
	/* Nothing changed. */
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	EXPECT_EQ(s.cr0, orig.cr0);
	EXPECT_EQ(s.efer, orig.efer);
}

GUEST_CODE(spin64, ".code64\n" "1: jmp 1b\n");

/*
 * CS.L and CS.D together in long mode: the hardware refuses the entry.
 * The refused entry changes nothing: the state reads back as it was set,
 * and a guest run afterwards with interrupts off is still ended by the
 * host's interrupts (a signal). The test machine's SVM (QEMU 7.2) writes
 * the host's registers into the VMCB after a refused VMRUN, and int_ctl
 * without V_INTR_MASKING: the module once took both back, reported host
 * registers as the guest's, and ran the guest so that with IF clear no
 * host interrupt could end it (guest_fuzz seed 2 stalled a CPU that way).
 */
static void test_fail_entry(void)
{
	struct vm *vm = vm_with_ram(RAM_SIZE);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s, after;
	struct kvm_regs r;

	vm_load(vm, 0x1000, spin64_start, spin64_end);
	set_mode(v, vm, PAGING_LONG, 0x1000);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.cs.db = 1;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	vcpu_run_expect(v, KVM_EXIT_FAIL_ENTRY);
	/* SVM reports VMEXIT_INVALID (-1, a 32-bit exit code). */
	EXPECT_EQ(v->run->fail_entry.hardware_entry_failure_reason, 0xffffffffull);
	EXPECT_TRUE(v->run->fail_entry.cpu < 1024);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &after) == 0);
	EXPECT_EQ(after.cr3, s.cr3);
	EXPECT_EQ(after.cs.selector, s.cs.selector);
	EXPECT_EQ(after.gdt.base, s.gdt.base);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_REGS, &r) == 0);
	EXPECT_EQ(r.rip, 0x1000);
	/* Entered properly, with IF clear: a host interrupt still ends it. */
	s.cs.db = 0;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	r.rip = 0x1000;
	r.rflags = 2;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	EXPECT_EQ(vcpu_run_until_signal(v, 50000), -EINTR);
}

static void test_reset_state(void)
{
	struct vm *vm = vm_with_ram(RAM_SIZE);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s;
	struct kvm_regs r;

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	r = vcpu_regs(v);
	EXPECT_EQ(s.cs.selector, 0xf000);
	EXPECT_EQ(s.cs.base, 0xffff0000);
	EXPECT_EQ(r.rip, 0xfff0);
	EXPECT_EQ(r.rflags, 2);
	EXPECT_EQ(s.cr0, 0x60000010);
	EXPECT_EQ(s.efer, 0);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_protected_no_paging),
		TEST(test_protected_paging_32bit),
		TEST(test_protected_paging_pae),
		TEST(test_long_mode),
		TEST(test_sregs_round_trip),
		TEST(test_invalid_sregs),
		TEST(test_fail_entry),
		TEST(test_reset_state),
		{},
	});
}
