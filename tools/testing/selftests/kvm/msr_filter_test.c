// SPDX-License-Identifier: GPL-2.0
/*
 * What user space decides about guest MSR accesses, and emulation failures:
 * KVM_X86_SET_MSR_FILTER, the KVM_EXIT_X86_RDMSR/WRMSR exits of
 * KVM_CAP_X86_USER_SPACE_MSR and their completion, MSR_PLATFORM_INFO with
 * KVM_CAP_MSR_PLATFORM_INFO, and KVM_CAP_EXIT_ON_EMULATION_FAILURE.
 * Real-mode guests report values on port 0x10 and exceptions on port 0xe0.
 */
#include "lib/vm.h"

#define PORT_OUT 0x10
#define PORT_EXCEPTION 0xe0
#define STUBS 0x3000
#define CODE 0x1000

#define MSR_IA32_FLUSH_CMD 0x10b
#define MSR_PLATFORM_INFO 0xce
#define MSR_MISC_FEATURES_ENABLES 0x140
#define MSR_IA32_POWER_CTL 0x1fc
#define MSR_IA32_CR_PAT 0x277
#define MSR_IA32_XSS 0xda0
#define MSR_STAR 0xc0000081
#define MSR_FS_BASE 0xc0000100
#define MSR_NON_EXISTENT 0x474f4f00

GUEST_CODE(g_rdmsr, ".code16\n rdmsr\n out %eax, $0x10\n mov %edx, %eax\n out %eax, $0x10\n hlt\n");
GUEST_CODE(g_wrmsr, ".code16\n wrmsr\n hlt\n");
GUEST_CODE(g_cpuid, ".code16\n cpuid\n hlt\n");
/* INC of a word at DS:0, outside RAM: MMIO the emulator does not handle. */
GUEST_CODE(g_mmio_inc, ".code16\n incw 0x0\n hlt\n");

/* A guest running @code with exceptions reported on PORT_EXCEPTION. */
static struct vcpu *guest(struct vm **vmp, size_t ram, const void *start, const void *end)
{
	struct vm *vm = vm_with_ram(ram);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_report_exceptions(vm, STUBS, PORT_EXCEPTION);
	vm_load(vm, CODE, start, end);
	vcpu_real_mode(v, CODE);
	*vmp = vm;
	return v;
}

/* A guest about to execute RDMSR (or WRMSR of @value) on @index. */
static struct vcpu *msr_guest(struct vm **vmp, bool write, uint32_t index, uint64_t value)
{
	struct vcpu *v = write ? guest(vmp, 1 << 20, g_wrmsr_start, g_wrmsr_end)
			       : guest(vmp, 1 << 20, g_rdmsr_start, g_rdmsr_end);

	set_gprs(v, (uint32_t)value, index, value >> 32);
	return v;
}

static int enable_cap(struct vm *vm, uint32_t cap, uint64_t arg)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg } };

	return ioctl(vm->fd, KVM_ENABLE_CAP, &c);
}

/* The guest's next OUT to PORT_OUT (4 bytes), or -vector for an exception. */
static int64_t next_out(struct vcpu *v)
{
	vcpu_run_expect(v, KVM_EXIT_IO);
	if (v->run->io.port == PORT_EXCEPTION)
		return -(int64_t)vcpu_io_data(v)[0];
	EXPECT_EQ(v->run->io.port, PORT_OUT);
	return *(uint32_t *)vcpu_io_data(v);
}

/* Run into the MSR exit @reason for @index: KVM_EXIT_X86_RDMSR or _WRMSR. */
static void expect_msr_exit(struct vcpu *v, uint32_t exit, uint32_t reason, uint32_t index)
{
	vcpu_run_expect(v, exit);
	EXPECT_EQ(v->run->msr.reason, reason);
	EXPECT_EQ(v->run->msr.index, index);
	EXPECT_EQ(v->run->msr.error, 0);
}

/* A default-allow filter denying @n MSRs (reads and writes). */
static struct kvm_msr_filter deny(const uint32_t *msrs, int n)
{
	static uint64_t zeros;
	struct kvm_msr_filter f = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };

	for (int i = 0; i < n; i++)
		f.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .nmsrs = 1,
			.base = msrs[i], .bitmap = (uint8_t *)&zeros };
	return f;
}

static void test_caps(void)
{
	int kvm = open_kvm();

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MSR_PLATFORM_INFO), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_ON_EMULATION_FAILURE), 1);
}

static void test_enable_cap_errors(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct kvm_enable_cap c = { .cap = KVM_CAP_X86_USER_SPACE_MSR, .flags = 1 };

	for (int b = 0; b < 64; b++) {
		if ((1ull << b) & KVM_MSR_EXIT_REASON_VALID_MASK)
			EXPECT_EQ(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, 1ull << b), 0);
		else
			EXPECT_ERRNO(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, 1ull << b), EINVAL);
	}
	EXPECT_ERRNO(ioctl(vm->fd, KVM_ENABLE_CAP, &c), EINVAL);
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE, 2), EINVAL);
	EXPECT_EQ(enable_cap(vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE, 1), 0);
	EXPECT_EQ(enable_cap(vm, KVM_CAP_MSR_PLATFORM_INFO, 0), 0);
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_X86_MSR_FILTER, 1), EINVAL);
}

static void test_filter_errors(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	uint32_t zero = 0;
	struct kvm_msr_filter f = deny(&zero, 1);
	static uint8_t big[KVM_MSR_FILTER_MAX_BITMAP_SIZE + 8];

	for (int b = 0; b < 32; b++) {
		f.flags = 1u << b;
		if ((1u << b) & KVM_MSR_FILTER_VALID_MASK)
			EXPECT_EQ(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), 0);
		else
			EXPECT_ERRNO(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), EINVAL);
	}
	f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	for (int b = 0; b < 32; b++) {
		f.ranges[0].flags = 1u << b;
		if ((1u << b) & KVM_MSR_FILTER_RANGE_VALID_MASK)
			EXPECT_EQ(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), 0);
		else
			EXPECT_ERRNO(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), EINVAL);
	}
	f.ranges[0].flags = 0;
	EXPECT_ERRNO(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), EINVAL);
	f.ranges[0] = (struct kvm_msr_filter_range){ .flags = KVM_MSR_FILTER_READ,
		.nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8 + 1, .bitmap = big };
	EXPECT_ERRNO(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), EINVAL);
	f.ranges[0].nmsrs--;
	EXPECT_EQ(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), 0);
	f.ranges[0].bitmap = NULL;
	EXPECT_ERRNO(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), EFAULT);
	EXPECT_ERRNO(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, NULL), EFAULT);
	/* No range at all: default allow turns filtering off, deny is refused. */
	memset(&f, 0, sizeof(f));
	EXPECT_EQ(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), 0);
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	EXPECT_ERRNO(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f), EINVAL);
}

static void test_filtered_access_exits(void)
{
	const uint32_t msrs[] = { MSR_IA32_XSS, MSR_IA32_FLUSH_CMD, MSR_NON_EXISTENT };
	struct kvm_msr_filter f = deny(msrs, 3);
	struct vm *vm;
	struct vcpu *v = msr_guest(&vm, false, MSR_IA32_XSS, 0);

	ASSERT_TRUE(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER) == 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) == 0);
	/* A read: user space supplies EDX:EAX. */
	expect_msr_exit(v, KVM_EXIT_X86_RDMSR, KVM_MSR_EXIT_REASON_FILTER, MSR_IA32_XSS);
	EXPECT_EQ(v->run->msr.data, 0);
	EXPECT_EQ(vcpu_regs(v).rip, CODE);
	v->run->msr.data = 0x1122334455667788ull;
	EXPECT_EQ(next_out(v), 0x55667788);
	EXPECT_EQ(next_out(v), 0x11223344);
	vcpu_run_expect(v, KVM_EXIT_HLT);

	/* A read user space fails: #GP. */
	v = msr_guest(&vm, false, MSR_IA32_FLUSH_CMD, 0);
	ASSERT_TRUE(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER) == 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) == 0);
	expect_msr_exit(v, KVM_EXIT_X86_RDMSR, KVM_MSR_EXIT_REASON_FILTER, MSR_IA32_FLUSH_CMD);
	v->run->msr.error = 1;
	EXPECT_EQ(next_out(v), -13);

	/* Writes carry the value; success moves past the WRMSR. */
	v = msr_guest(&vm, true, MSR_NON_EXISTENT, 0x200000001ull);
	ASSERT_TRUE(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER) == 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) == 0);
	expect_msr_exit(v, KVM_EXIT_X86_WRMSR, KVM_MSR_EXIT_REASON_FILTER, MSR_NON_EXISTENT);
	EXPECT_EQ(v->run->msr.data, 0x200000001ull);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(vcpu_regs(v).rip, CODE + 3);

	/* Without KVM_MSR_EXIT_REASON_FILTER the denied access is #GP. */
	v = msr_guest(&vm, true, MSR_IA32_XSS, 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) == 0);
	EXPECT_EQ(next_out(v), -13);
}

static void test_filter_default_deny(void)
{
	static uint8_t ones[KVM_MSR_FILTER_MAX_BITMAP_SIZE];
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_DENY,
		.ranges = { { .flags = KVM_MSR_FILTER_READ, .nmsrs = sizeof(ones) * 8,
			      .base = 0xc0000000, .bitmap = ones } },
	};
	struct vm *vm;
	struct vcpu *v = msr_guest(&vm, false, MSR_STAR, 0);

	memset(ones, 0xff, sizeof(ones));
	ASSERT_TRUE(set_msr(v, MSR_STAR, 0x0023001000000000ull) == 1);
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) == 0);
	EXPECT_EQ(next_out(v), 0);	/* allowed: the kernel answers */
	EXPECT_EQ(next_out(v), 0x00230010);
	/* Outside every range: the default denies it; user space is not filtered. */
	v = msr_guest(&vm, false, MSR_IA32_CR_PAT, 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) == 0);
	EXPECT_EQ(get_msr(v, MSR_IA32_CR_PAT), 0x0007040600070406ull);
	EXPECT_EQ(next_out(v), -13);
	/* A write to an MSR covered only for reads also takes the default. */
	v = msr_guest(&vm, true, MSR_STAR, 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) == 0);
	EXPECT_EQ(next_out(v), -13);
}

static void test_filter_applies_to_every_vcpu(void)
{
	const uint32_t fs = MSR_FS_BASE;
	struct kvm_msr_filter f = deny(&fs, 1), none = { 0 };
	struct vm *vm;
	struct vcpu *v[2];

	v[0] = msr_guest(&vm, false, MSR_FS_BASE, 0);
	v[1] = vm_add_vcpu(vm, 1);
	vcpu_real_mode(v[1], CODE);
	set_gprs(v[1], 0, MSR_FS_BASE, 0);
	ASSERT_TRUE(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER) == 0);
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) == 0);
	for (int i = 0; i < 2; i++) {
		expect_msr_exit(v[i], KVM_EXIT_X86_RDMSR, KVM_MSR_EXIT_REASON_FILTER, MSR_FS_BASE);
		v[i]->run->msr.data = 0x1234 + i;
		EXPECT_EQ(next_out(v[i]), 0x1234 + i);
	}
	/* Filtering off: the next reads are the kernel's (FS.base is 0). */
	ASSERT_TRUE(ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &none) == 0);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(next_out(v[i]), 0);	/* EDX of the first read */
		vcpu_run_expect(v[i], KVM_EXIT_HLT);
		vcpu_real_mode(v[i], CODE);
		set_gprs(v[i], 0, MSR_FS_BASE, 0);
		EXPECT_EQ(next_out(v[i]), 0);
	}
}

static void test_unknown_and_invalid(void)
{
	struct vm *vm;
	struct vcpu *v = msr_guest(&vm, false, 0xdeadbeef, 0);

	ASSERT_TRUE(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_UNKNOWN) == 0);
	expect_msr_exit(v, KVM_EXIT_X86_RDMSR, KVM_MSR_EXIT_REASON_UNKNOWN, 0xdeadbeef);
	v->run->msr.data = 0xdeadbeef;
	EXPECT_EQ(next_out(v), 0xdeadbeef);
	/* PAT type 2 is invalid: only with KVM_MSR_EXIT_REASON_INVAL. */
	v = msr_guest(&vm, true, MSR_IA32_CR_PAT, 2);
	ASSERT_TRUE(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_UNKNOWN) == 0);
	EXPECT_EQ(next_out(v), -13);
	v = msr_guest(&vm, true, MSR_IA32_CR_PAT, 2);
	ASSERT_TRUE(enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_INVAL) == 0);
	expect_msr_exit(v, KVM_EXIT_X86_WRMSR, KVM_MSR_EXIT_REASON_INVAL, MSR_IA32_CR_PAT);
	EXPECT_EQ(v->run->msr.data, 2);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	/* Nothing enabled: an unknown MSR is #GP. */
	v = msr_guest(&vm, false, 0xdeadbeef, 0);
	EXPECT_EQ(next_out(v), -13);
}

static void test_platform_info(void)
{
	struct vm *vm;
	struct vcpu *v = msr_guest(&vm, false, MSR_PLATFORM_INFO, 0);
	uint64_t info = get_msr(v, MSR_PLATFORM_INFO);

	EXPECT_EQ(info, 1ull << 31);	/* CPUID faulting */
	EXPECT_EQ(set_msr(v, MSR_PLATFORM_INFO, info | 0xff00), 1);
	EXPECT_EQ(next_out(v), 0x8000ff00);
	/* The capability off: the guest's read faults, user space still reads. */
	v = msr_guest(&vm, false, MSR_PLATFORM_INFO, 0);
	ASSERT_TRUE(enable_cap(vm, KVM_CAP_MSR_PLATFORM_INFO, 0) == 0);
	EXPECT_EQ(next_out(v), -13);
	EXPECT_EQ(get_msr(v, MSR_PLATFORM_INFO), 1ull << 31);
	/* The guest never writes it. */
	v = msr_guest(&vm, true, MSR_PLATFORM_INFO, 0);
	EXPECT_EQ(next_out(v), -13);
}

static void test_misc_features_and_power_ctl(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, 1 << 20, g_cpuid_start, g_cpuid_end);

	EXPECT_EQ(set_msr(v, MSR_MISC_FEATURES_ENABLES, 2), 0);	/* reserved */
	EXPECT_EQ(set_msr(v, MSR_MISC_FEATURES_ENABLES, 1), 1);
	EXPECT_EQ(set_msr(v, MSR_PLATFORM_INFO, 0), 0);	/* still in use */
	vcpu_run_expect(v, KVM_EXIT_HLT);	/* faulting spares CPL 0 */
	EXPECT_EQ(set_msr(v, MSR_MISC_FEATURES_ENABLES, 0), 1);
	EXPECT_EQ(set_msr(v, MSR_PLATFORM_INFO, 0), 1);
	EXPECT_EQ(set_msr(v, MSR_MISC_FEATURES_ENABLES, 1), 0);	/* not supported now */

	v = msr_guest(&vm, true, MSR_IA32_POWER_CTL, 0x1234);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(get_msr(v, MSR_IA32_POWER_CTL), 0x1234);
}

/* A guest whose INC of DS:0 goes to MMIO (DS.base beyond its RAM). */
static struct vcpu *mmio_inc_guest(struct vm **vmp)
{
	struct vcpu *v = guest(vmp, 0x80000, g_mmio_inc_start, g_mmio_inc_end);
	struct kvm_sregs s;

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.ds.selector = 0x9000;
	s.ds.base = 0x90000;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	return v;
}

static void expect_emulation_failure(struct vcpu *v)
{
	vcpu_run_expect(v, KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(v->run->emulation_failure.suberror, KVM_INTERNAL_ERROR_EMULATION);
	EXPECT_TRUE(v->run->emulation_failure.ndata >= 3);
	EXPECT_EQ(v->run->emulation_failure.flags, KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
	EXPECT_TRUE(v->run->emulation_failure.insn_size >= 2);
	EXPECT_EQ(v->run->emulation_failure.insn_bytes[0], 0xff);	/* INC r/m16 */
	EXPECT_EQ(v->run->emulation_failure.insn_bytes[1], 0x06);
	EXPECT_EQ(vcpu_regs(v).rip, CODE);
}

static void test_emulation_failure(void)
{
	struct vm *vm;
	struct vcpu *v = mmio_inc_guest(&vm);
	struct kvm_regs r;

	/* By default (at CPL 0): the exit, with #UD waiting for the guest. */
	expect_emulation_failure(v);
	EXPECT_EQ(next_out(v), -6);

	/* With the capability: the exit only; user space may skip it. */
	v = mmio_inc_guest(&vm);
	ASSERT_TRUE(enable_cap(vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE, 1) == 0);
	expect_emulation_failure(v);
	r = vcpu_regs(v);
	r.rip += 4;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_enable_cap_errors),
		TEST(test_filter_errors),
		TEST(test_filtered_access_exits),
		TEST(test_filter_default_deny),
		TEST(test_filter_applies_to_every_vcpu),
		TEST(test_unknown_and_invalid),
		TEST(test_platform_info),
		TEST(test_misc_features_and_power_ctl),
		TEST(test_emulation_failure),
		{},
	});
}
