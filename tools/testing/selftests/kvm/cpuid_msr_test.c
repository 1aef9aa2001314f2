// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID, MSRs, XSETBV and the TSC: real-mode guests execute CPUID, RDMSR,
 * WRMSR, XSETBV and RDTSC and report results (and exceptions) by port I/O;
 * the ioctls are checked for their results and every errno.
 */
#include <sys/mman.h>

#include "lib/vm.h"

#define PORT_OUT 0x10
#define PORT_EXCEPTION 0xe0
#define STUBS 0x3000 /* one exception stub per vector, 8 bytes apart */
#define CODE 0x1000

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APICBASE 0x1b
#define MSR_IA32_UCODE_REV 0x8b
#define MSR_MTRR_CAP 0xfe
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_CR_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_EFER 0xc0000080
#define MSR_LSTAR 0xc0000082
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_VM_CR 0xc0010114

GUEST_CODE(g_cpuid, ".code16\n cpuid\n out %eax, $0x10\n mov %ebx, %eax\n out %eax, $0x10\n"
	   " mov %ecx, %eax\n out %eax, $0x10\n mov %edx, %eax\n out %eax, $0x10\n hlt\n");
GUEST_CODE(g_rdmsr, ".code16\n rdmsr\n out %eax, $0x10\n mov %edx, %eax\n out %eax, $0x10\n hlt\n");
GUEST_CODE(g_wrmsr, ".code16\n wrmsr\n hlt\n");
GUEST_CODE(g_rdtsc, ".code16\n rdtsc\n out %eax, $0x10\n mov %edx, %eax\n out %eax, $0x10\n hlt\n");
GUEST_CODE(g_osxsave, ".code16\n mov %cr4, %ebx\n or $0x40000, %ebx\n mov %ebx, %cr4\n"
	   " mov $1, %eax\n cpuid\n mov %ecx, %eax\n out %eax, $0x10\n hlt\n");
/* XSETBV of EDX:EAX to XCR[ECX], then XGETBV. */
GUEST_CODE(g_xsetbv, ".code16\n xsetbv\n xor %ecx, %ecx\n xgetbv\n out %eax, $0x10\n hlt\n");

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

/* A VM in real mode whose exceptions report their vector on PORT_EXCEPTION. */
static struct vcpu *guest(struct vm **vmp, const void *start, const void *end)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_report_exceptions(vm, STUBS, PORT_EXCEPTION);
	vm_load(vm, CODE, start, end);
	vcpu_real_mode(v, CODE);
	*vmp = vm;
	return v;
}

static void set_cpuid(struct vcpu *v, struct kvm_cpuid2 *c)
{
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, c) == 0);
}

static uint32_t next_out(struct vcpu *v)
{
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, PORT_OUT);
	return *(uint32_t *)vcpu_io_data(v);
}

/* Run until the guest reports an exception: its vector. */
static int next_exception(struct vcpu *v)
{
	vcpu_run_expect(v, KVM_EXIT_IO);
	if (v->run->io.port != PORT_EXCEPTION)
		return -1;
	return vcpu_io_data(v)[0];
}

/* The guest's CPUID.(fn, index). */
static void guest_cpuid(uint32_t fn, uint32_t index, struct kvm_cpuid2 *table, uint32_t out[4])
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_cpuid_start, g_cpuid_end);

	if (table)
		set_cpuid(v, table);
	set_gprs(v, fn, index, 0);
	for (int i = 0; i < 4; i++)
		out[i] = next_out(v);
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

static void test_caps(void)
{
	int kvm = open_kvm();

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_EXT_CPUID), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GET_MSR_FEATURES), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL), 0);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TSC_CONTROL), 0);
	/* Not implemented, so not advertised (KVM_CAP_EXT_EMUL_CPUID). */
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_EMULATED_CPUID, alloc_cpuid(8)), EINVAL);
}

/* Two pages, the second inaccessible: a structure at the end of the first
 * has a readable header and unreachable entries. */
static void *edge(size_t head)
{
	uint8_t *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_TRUE(mprotect(p + 4096, 4096, PROT_NONE) == 0);
	return p + 4096 - head;
}

static void test_supported_cpuid(void)
{
	int kvm = open_kvm();
	struct kvm_cpuid2 *c = supported_cpuid(kvm), *small;
	struct kvm_cpuid_entry2 *e;
	unsigned int n = c->nent;

	EXPECT_TRUE(n > 10 && n <= 100);
	e = find(c, 1, 0);
	ASSERT_TRUE(e);
	EXPECT_TRUE(e->ecx & (1u << 31));	/* hypervisor */
	EXPECT_TRUE(e->ecx & (1u << 21));	/* x2APIC: the in-kernel local APIC's */
	EXPECT_EQ(e->ecx & ((1u << 24) | (1u << 3) | (1u << 5)), 0); /* deadline, MONITOR, VMX */
	e = find(c, 0x80000001, 0);
	ASSERT_TRUE(e);
	EXPECT_EQ(e->ecx & (1u << 2), 0);	/* SVM */
	e = find(c, 0xa, 0);
	EXPECT_TRUE(!e || (e->eax | e->ebx | e->ecx | e->edx) == 0);	/* no PMU */
	e = find(c, 0x40000000, 0);
	ASSERT_TRUE(e);
	EXPECT_EQ(e->eax, 0x40000001);
	EXPECT_TRUE(memcmp(&e->ebx, "KVMK", 4) == 0 && memcmp(&e->ecx, "VMKV", 4) == 0 &&
		    memcmp(&e->edx, "M\0\0\0", 4) == 0);
	e = find(c, 0x40000001, 0);
	ASSERT_TRUE(e);
	/* The paravirtual features implemented (pv_test checks them). */
	EXPECT_EQ(e->ebx | e->ecx | e->edx, 0);
	e = find(c, 7, 0);
	ASSERT_TRUE(e);
	EXPECT_EQ(e->flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);

	small = alloc_cpuid(n - 1);
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, small), E2BIG);
	small->nent = 0;
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, small), E2BIG);
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, NULL), EFAULT);
	small = edge(8);
	small->nent = n;
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, small), EFAULT);
	/* Room for more than needed: nent says how many were filled. */
	c->nent = 1000;
	EXPECT_EQ(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c), 0);
	EXPECT_EQ(c->nent, n);
}

static void test_set_get_cpuid2(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_cpuid_start, g_cpuid_end);
	struct kvm_cpuid2 *c = supported_cpuid(vm->kvm), *out = alloc_cpuid(c->nent), *bad;
	unsigned int n = c->nent;

	out->nent = 0;
	EXPECT_EQ(ioctl(v->fd, KVM_GET_CPUID2, out), 0);	/* empty at first */
	EXPECT_EQ(out->nent, 0);
	set_cpuid(v, c);
	out->nent = n - 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_CPUID2, out), E2BIG);
	EXPECT_EQ(out->nent, n - 1);	/* not changed on failure */
	out->nent = n;
	EXPECT_EQ(ioctl(v->fd, KVM_GET_CPUID2, out), 0);
	EXPECT_EQ(out->nent, n);
	for (unsigned int i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *a = &c->entries[i], *b = &out->entries[i];

		EXPECT_TRUE(a->function == b->function && a->index == b->index && a->flags == b->flags);
		if (a->function != 0xd)	/* 0xD.0/1 EBX follow XCR0 */
			EXPECT_TRUE(a->eax == b->eax && a->ebx == b->ebx && a->ecx == b->ecx &&
				    a->edx == b->edx);
	}
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_CPUID2, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_CPUID2, NULL), EFAULT);
	bad = edge(8);
	bad->nent = 2;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_CPUID2, bad), EFAULT);
	bad->nent = n;
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_CPUID2, bad), EFAULT);
	bad = alloc_cpuid(KVM_MAX_CPUID_ENTRIES + 1);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_CPUID2, bad), E2BIG);
	bad->nent = 1;
	bad->entries[0].function = 0x80000008;
	bad->entries[0].eax = 0x2830;	/* 40-bit linear addresses */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_CPUID2, bad), EINVAL);

	/* Once the vCPU ran, only the same table may be set again. */
	set_gprs(v, 0, 0, 0);
	next_out(v);
	EXPECT_EQ(ioctl(v->fd, KVM_SET_CPUID2, c), 0);
	find(c, 7, 0)->ebx ^= 1u << 3;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_CPUID2, c), EBUSY);
	find(c, 7, 0)->ebx ^= 1u << 3;
	c->nent--;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_CPUID2, c), EBUSY);
}

static void test_legacy_set_cpuid(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_cpuid_start, g_cpuid_end);
	struct kvm_cpuid *c = calloc(1, sizeof(*c) + 2 * sizeof(c->entries[0]));
	uint32_t r[4];

	c->nent = 2;
	c->entries[0] = (struct kvm_cpuid_entry){ .function = 0, .eax = 0x40000001 };
	c->entries[1] = (struct kvm_cpuid_entry){ .function = 1, .eax = 0x1234, .ecx = 0x55 };
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID, c) == 0);
	set_gprs(v, 1, 7, 0);	/* the index does not matter */
	for (int i = 0; i < 4; i++)
		r[i] = next_out(v);
	EXPECT_EQ(r[0], 0x1234);
	EXPECT_EQ(r[2], 0x55);
	c->nent = KVM_MAX_CPUID_ENTRIES + 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_CPUID, c), E2BIG);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_CPUID, NULL), EFAULT);
}

static void test_guest_cpuid(void)
{
	int kvm = open_kvm();
	struct kvm_cpuid2 *c = supported_cpuid(kvm), *t = alloc_cpuid(3);
	struct kvm_cpuid_entry2 *l0 = find(c, 0, 0);
	uint32_t r[4];

	guest_cpuid(0, 0, NULL, r);	/* no table: zeros */
	EXPECT_EQ(r[0] | r[1] | r[2] | r[3], 0);
	guest_cpuid(0, 0, c, r);
	EXPECT_TRUE(r[0] == l0->eax && r[1] == l0->ebx && r[2] == l0->ecx && r[3] == l0->edx);
	guest_cpuid(0x40000000, 0, c, r);
	EXPECT_EQ(r[0], 0x40000001);
	EXPECT_TRUE(memcmp(&r[1], "KVMKVMKVM", 9) == 0);
	guest_cpuid(1, 0, c, r);
	EXPECT_TRUE(r[2] & (1u << 31));
	if (find(c, 0xd, 0)) {
		guest_cpuid(0xd, 0, c, r);
		EXPECT_EQ(r[1], 576);	/* XSAVE area for XCR0 = x87 */
	}

	/* Intel vendor: a leaf above the maximum reads the top basic leaf. */
	t->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 2, .ebx = 0x756e6547,
						   .ecx = 0x6c65746e, .edx = 0x49656e69 };
	t->entries[1] = (struct kvm_cpuid_entry2){ .function = 2, .eax = 0x22, .ebx = 0x33 };
	t->entries[2] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000004 };
	guest_cpuid(0x80000009, 0, t, r);
	EXPECT_TRUE(r[0] == 0x22 && r[1] == 0x33);
	guest_cpuid(0x80000003, 0, t, r);	/* in range, absent: zeros */
	EXPECT_EQ(r[0] | r[1] | r[2] | r[3], 0);
	/* AMD vendor: zeros. */
	t->entries[0].ebx = 0x68747541;
	t->entries[0].ecx = 0x444d4163;
	t->entries[0].edx = 0x69746e65;
	guest_cpuid(0x80000009, 0, t, r);
	EXPECT_EQ(r[0] | r[1] | r[2] | r[3], 0);
}

static void test_osxsave(void)
{
	int kvm = open_kvm();
	struct kvm_cpuid2 *c = supported_cpuid(kvm), *out = alloc_cpuid(c->nent);
	struct vm *vm;
	struct vcpu *v;

	if (!(find(c, 1, 0)->ecx & (1u << 26)))
		test_skip("no XSAVE");
	v = guest(&vm, g_osxsave_start, g_osxsave_end);
	set_cpuid(v, c);
	EXPECT_TRUE(next_out(v) & (1u << 27));	/* OSXSAVE follows CR4 */
	EXPECT_EQ(ioctl(v->fd, KVM_GET_CPUID2, out), 0);
	EXPECT_TRUE(find(out, 1, 0)->ecx & (1u << 27));
}

/* A guest about to run g_xsetbv with CR4.OSXSAVE as @osxsave (set before
 * entry, so the guest's XCR0 is switched in and out from the start). */
static struct vcpu *xsetbv_guest(struct kvm_cpuid2 *table, bool osxsave, uint64_t xcr0,
				 uint32_t xcr)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_xsetbv_start, g_xsetbv_end);
	struct kvm_sregs s;

	if (table)
		set_cpuid(v, table);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	if (osxsave)
		s.cr4 |= 1ull << 18;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	set_gprs(v, (uint32_t)xcr0, xcr, xcr0 >> 32);
	return v;
}

static void test_xsetbv(void)
{
	int kvm = open_kvm();
	struct kvm_cpuid2 *c = supported_cpuid(kvm);
	struct kvm_cpuid_entry2 *d0 = find(c, 0xd, 0);
	struct vcpu *v;

	if (!(find(c, 1, 0)->ecx & (1u << 26)) || !d0)
		test_skip("no XSAVE");
	/*
	 * With XSAVE but no leaf 0xD only x87 state may be enabled. (CR4.OSXSAVE
	 * itself needs XSAVE in the vCPU's CPUID.) A CPU that does not
	 * intercept XSETBV for the hypervisor (QEMU's TCG before 8.x) executes
	 * it instead: nothing here can then be checked.
	 */
	struct kvm_cpuid2 *leaf1 = calloc(1, sizeof(*leaf1) + sizeof(leaf1->entries[0]));

	ASSERT_TRUE(leaf1);
	leaf1->nent = 1;
	leaf1->entries[0] = *find(c, 1, 0);
	v = xsetbv_guest(leaf1, true, 3, 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	if (v->run->io.port == PORT_OUT)
		test_skip("the CPU does not intercept XSETBV");
	EXPECT_EQ(vcpu_io_data(v)[0], 13);

	/* SSE is offered with XSAVE, AVX when leaf 0xD says so. */
	v = xsetbv_guest(c, true, 3, 0);
	EXPECT_EQ(next_out(v), 3);
	if (d0->eax & 4) {
		v = xsetbv_guest(c, true, 7, 0);
		EXPECT_EQ(next_out(v), 7);
	}
	/* #GP: AVX without SSE, x87 off, XCR1, AMX (never offered). */
	uint64_t bad[][2] = { { 5, 0 }, { 2, 0 }, { 3, 1 }, { 0x60003, 0 } };
	for (unsigned int i = 0; i < 4; i++) {
		v = xsetbv_guest(c, true, bad[i][0], bad[i][1]);
		EXPECT_EQ(next_exception(v), 13);
	}
	/* #UD with CR4.OSXSAVE clear. */
	v = xsetbv_guest(c, false, 1, 0);
	EXPECT_EQ(next_exception(v), 6);
}

/* The guest's RDMSR: 0 and the value, or -1 and the vector. */
static int guest_rdmsr(struct vcpu **vp, uint32_t index, uint64_t *value)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_rdmsr_start, g_rdmsr_end);

	set_gprs(v, 0, index, 0);
	vcpu_run_expect(v, KVM_EXIT_IO);
	*vp = v;
	if (v->run->io.port == PORT_EXCEPTION)
		return -vcpu_io_data(v)[0];
	*value = *(uint32_t *)vcpu_io_data(v);
	*value |= (uint64_t)next_out(v) << 32;
	return 0;
}

static void test_guest_rdmsr_wrmsr(void)
{
	struct vm *vm;
	struct vcpu *v;
	uint64_t val = 0;

	EXPECT_EQ(guest_rdmsr(&v, MSR_IA32_CR_PAT, &val), 0);
	EXPECT_EQ(val, 0x0007040600070406ull);
	EXPECT_EQ(guest_rdmsr(&v, MSR_MTRR_CAP, &val), 0);
	EXPECT_EQ(val, 0x508);
	EXPECT_EQ(guest_rdmsr(&v, MSR_VM_CR, &val), 0);
	EXPECT_EQ(val, 0x18);
	EXPECT_EQ(guest_rdmsr(&v, MSR_IA32_UCODE_REV, &val), 0);
	EXPECT_EQ(guest_rdmsr(&v, 0x3a, &val), -13);	/* FEATURE_CONTROL: not on AMD */
	EXPECT_EQ(guest_rdmsr(&v, 0xc0010117, &val), -13);	/* VM_HSAVE_PA: no SVM */
	EXPECT_EQ(guest_rdmsr(&v, 0x48, &val), -13);	/* SPEC_CTRL: not offered */

	struct { uint32_t msr; uint64_t value; int vector; } writes[] = {
		{ MSR_IA32_CR_PAT, 0x0007040600070106ull, 0 },
		{ MSR_IA32_CR_PAT, 0x0007040600070402ull, 13 },	/* type 2 */
		{ MSR_MTRR_DEF_TYPE, 0xc06, 0 },
		{ MSR_MTRR_DEF_TYPE, 0xc07, 13 },
		{ MSR_MTRR_CAP, 0x508, 13 },	/* read-only */
		{ MSR_IA32_SYSENTER_CS, 0x10, 0 },
		{ MSR_KERNEL_GS_BASE, 0xffff888000000000ull, 0 },
		{ MSR_LSTAR, 0x0000800000000000ull, 13 },	/* not canonical */
		{ MSR_EFER, 1, 0 },	/* SCE */
		{ MSR_EFER, 1u << 12, 13 },	/* SVME */
		{ MSR_IA32_APICBASE, 0xfee00801, 13 },	/* reserved bit */
		{ 0x3a, 0, 13 },
	};
	for (unsigned int i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		v = guest(&vm, g_wrmsr_start, g_wrmsr_end);
		set_gprs(v, (uint32_t)writes[i].value, writes[i].msr, writes[i].value >> 32);
		if (writes[i].vector) {
			EXPECT_EQ(next_exception(v), writes[i].vector);
			continue;
		}
		vcpu_run_expect(v, KVM_EXIT_HLT);
		EXPECT_EQ(get_msr(v, writes[i].msr), writes[i].value);
	}
	/* Guest-visible state: EFER.SCE in sregs. */
	v = guest(&vm, g_wrmsr_start, g_wrmsr_end);
	set_gprs(v, 1, MSR_EFER, 0);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	struct kvm_sregs s;
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	EXPECT_EQ(s.efer, 1);
}

static void test_tsc(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_rdtsc_start, g_rdtsc_end);
	long khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	uint64_t tsc, second = (uint64_t)khz * 1000;

	ASSERT_TRUE(khz > 0);
	EXPECT_EQ(ioctl(vm->fd, KVM_GET_TSC_KHZ, 0), khz);
	/* A new vCPU's TSC starts near 0. */
	tsc = next_out(v);
	tsc |= (uint64_t)next_out(v) << 32;
	EXPECT_TRUE(tsc < 60 * second);
	/* KVM_SET_MSRS moves it, and the guest sees it. */
	v = guest(&vm, g_rdtsc_start, g_rdtsc_end);
	EXPECT_EQ(set_msr(v, MSR_IA32_TSC, 1ull << 40), 1);
	tsc = next_out(v);
	tsc |= (uint64_t)next_out(v) << 32;
	EXPECT_TRUE(tsc >= (1ull << 40) && tsc < (1ull << 40) + 60 * second);
	/* So does the guest's WRMSR. */
	v = guest(&vm, g_wrmsr_start, g_wrmsr_end);
	set_gprs(v, 0, MSR_IA32_TSC, 0x200);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	tsc = get_msr(v, MSR_IA32_TSC);
	EXPECT_TRUE(tsc >= (0x200ull << 32) && tsc < (0x200ull << 32) + 60 * second);
	/* Two vCPUs of a VM agree. */
	struct vcpu *v1 = vm_add_vcpu(vm, 1);
	EXPECT_TRUE(get_msr(v1, MSR_IA32_TSC) - get_msr(vm_add_vcpu(vm, 2), MSR_IA32_TSC) + second <
		    2 * second);

	/* Only the host's frequency: no TSC scaling. */
	EXPECT_EQ(ioctl(v->fd, KVM_SET_TSC_KHZ, khz), 0);
	EXPECT_EQ(ioctl(v->fd, KVM_SET_TSC_KHZ, 0), 0);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_TSC_KHZ, khz * 2), EINVAL);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_TSC_KHZ, khz / 2), EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, KVM_SET_TSC_KHZ, khz), EINVAL);	/* vCPUs exist */
}

static void test_msr_lists(void)
{
	int kvm = open_kvm();
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list, *bad;
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_msrs *m;
	unsigned int n;

	EXPECT_ERRNO(ioctl(kvm, KVM_GET_MSR_INDEX_LIST, &probe), E2BIG);
	n = probe.nmsrs;
	ASSERT_TRUE(n > 0);
	list = calloc(1, sizeof(*list) + n * 4);
	list->nmsrs = n;
	ASSERT_TRUE(ioctl(kvm, KVM_GET_MSR_INDEX_LIST, list) == 0);
	EXPECT_EQ(list->nmsrs, n);
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_MSR_INDEX_LIST, NULL), EFAULT);
	bad = edge(4);
	bad->nmsrs = n;
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_MSR_INDEX_LIST, bad), EFAULT);

	/* Every listed MSR reads and writes back. */
	m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	m->nmsrs = n;
	for (unsigned int i = 0; i < n; i++)
		m->entries[i].index = list->indices[i];
	EXPECT_EQ(ioctl(v->fd, KVM_GET_MSRS, m), n);
	EXPECT_EQ(ioctl(v->fd, KVM_SET_MSRS, m), n);

	/* Processing stops at the first MSR that fails. */
	m->nmsrs = 3;
	m->entries[0] = (struct kvm_msr_entry){ .index = MSR_IA32_CR_PAT, .data = 0x0606060606060606ull };
	m->entries[1] = (struct kvm_msr_entry){ .index = 0x3a };
	m->entries[2] = (struct kvm_msr_entry){ .index = MSR_LSTAR };
	EXPECT_EQ(ioctl(v->fd, KVM_SET_MSRS, m), 1);
	EXPECT_EQ(ioctl(v->fd, KVM_GET_MSRS, m), 1);
	EXPECT_EQ(m->entries[0].data, 0x0606060606060606ull);
	m->nmsrs = 256;
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_MSRS, m), E2BIG);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_MSRS, m), E2BIG);
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_MSRS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_MSRS, NULL), EFAULT);
	m = edge(8);
	m->nmsrs = 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_MSRS, m), EFAULT);
	/* The VMM may set what the guest cannot. */
	EXPECT_EQ(set_msr(v, MSR_IA32_UCODE_REV, 0x4200000000ull), 1);
	EXPECT_EQ(get_msr(v, MSR_IA32_UCODE_REV), 0x4200000000ull);
	EXPECT_EQ(set_msr(v, MSR_MTRR_CAP, 0x508), 0);

	/* Feature MSRs on /dev/kvm. */
	probe.nmsrs = 0;
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_MSR_FEATURE_INDEX_LIST, &probe), E2BIG);
	EXPECT_EQ(probe.nmsrs, 1);
	list->nmsrs = 1;
	EXPECT_EQ(ioctl(kvm, KVM_GET_MSR_FEATURE_INDEX_LIST, list), 0);
	EXPECT_EQ(list->indices[0], MSR_IA32_UCODE_REV);
	struct { struct kvm_msrs h; struct kvm_msr_entry e[2]; } f = {
		{ .nmsrs = 2 }, { { .index = MSR_IA32_UCODE_REV }, { .index = MSR_IA32_CR_PAT } } };
	EXPECT_EQ(ioctl(kvm, KVM_GET_MSRS, &f), 1);
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_MSRS, NULL), EFAULT);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_supported_cpuid),
		TEST(test_set_get_cpuid2),
		TEST(test_legacy_set_cpuid),
		TEST(test_guest_cpuid),
		TEST(test_osxsave),
		TEST(test_xsetbv),
		TEST(test_guest_rdmsr_wrmsr),
		TEST(test_tsc),
		TEST(test_msr_lists),
		{},
	});
}
