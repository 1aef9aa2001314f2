// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU state ioctls: KVM_GET/SET_FPU, _XSAVE, _XSAVE2, _XCRS, _SREGS2,
 * KVM_TRANSLATE and KVM_CAP_SYNC_REGS. What is set while the vCPU is
 * stopped is what the guest sees, and the VMM's own FPU state survives.
 */
#include "lib/vm.h"

#define CR4_OSFXSR (1ull << 9)

static void enable_sse(struct vcpu *v)
{
	struct kvm_sregs s;

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.cr4 |= CR4_OSFXSR;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
}

GUEST_CODE(sse, ".code16\n"
	   " movd %xmm0, %eax\n out %eax, $0x10\n"
	   " mov $0x89abcdef, %eax\n movd %eax, %xmm1\n movd %eax, %xmm5\n"
	   " movd %xmm2, %eax\n out %eax, $0x11\n hlt\n");

static void test_caps(void)
{
	int kvm = open_kvm();

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XCRS), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2), 4096);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS),
		  KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT), 1);
}

static void test_fpu_and_xsave(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_fpu f;
	struct kvm_xsave *x = calloc(1, sizeof(*x));
	uint64_t host_xmm5 = 0x1122334455667788ull, after;

	vm_load(vm, 0x1000, sse_start, sse_end);
	vcpu_real_mode(v, 0x1000);
	enable_sse(v);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_FPU, &f) == 0);
	EXPECT_EQ(f.fcw, 0x37f);	/* the reset values */
	EXPECT_EQ(f.mxcsr, 0x1f80);
	f.xmm[0][0] = 0x44;
	f.xmm[0][1] = 0x33;
	f.xmm[0][2] = 0x22;
	f.xmm[0][3] = 0x11;
	f.fcw = 0x27f;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_FPU, &f) == 0);
	/* XMM2 through the XSAVE image: the legacy area's XMM slots start at 160. */
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_XSAVE, x) == 0);
	EXPECT_EQ(x->region[160 / 4], 0x11223344);
	x->region[(160 + 2 * 16) / 4] = 0x55aa55aa;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_XSAVE, x) == 0);

	asm volatile("movq %0, %%xmm5" ::"r"(host_xmm5) : "xmm5");
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), 0x11223344);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(*(uint32_t *)vcpu_io_data(v), 0x55aa55aa);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	/* The guest wrote its XMM5; ours is untouched. */
	asm volatile("movq %%xmm5, %0" : "=r"(after));
	EXPECT_EQ(after, host_xmm5);

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_FPU, &f) == 0);
	EXPECT_EQ(*(uint32_t *)f.xmm[1], 0x89abcdef);
	EXPECT_EQ(f.fcw, 0x27f);
	memset(x, 0, sizeof(*x));
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_XSAVE2, x) == 0);
	EXPECT_EQ(x->region[(160 + 16) / 4], 0x89abcdef);

	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_FPU, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_FPU, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_XSAVE, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_XSAVE, NULL), EFAULT);
	/* An MXCSR with reserved bits set is refused. */
	f.mxcsr = 0xffffffff;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_FPU, &f), EINVAL);
}

static void test_xcrs(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_xcrs x = { 0 };

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_XCRS, &x) == 0);
	EXPECT_EQ(x.nr_xcrs, 1);
	EXPECT_EQ(x.xcrs[0].xcr, 0);
	EXPECT_EQ(x.xcrs[0].value, 1);
	x.xcrs[0].value = 3;
	EXPECT_EQ(ioctl(v->fd, KVM_SET_XCRS, &x), 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_XCRS, &x) == 0);
	EXPECT_EQ(x.xcrs[0].value, 3);
	x.xcrs[0].value = 2; /* x87 must stay on */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_XCRS, &x), EINVAL);
	x.xcrs[0].value = 1ull << 62;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_XCRS, &x), EINVAL);
	/* Only XCR0 exists: other indices are ignored (as upstream). */
	x.xcrs[0].value = 1;
	x.xcrs[0].xcr = 1;
	EXPECT_EQ(ioctl(v->fd, KVM_SET_XCRS, &x), 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_XCRS, &x) == 0);
	EXPECT_EQ(x.xcrs[0].value, 3);
	x.xcrs[0].xcr = 0;
	x.nr_xcrs = KVM_MAX_XCRS + 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_XCRS, &x), EINVAL);
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_XCRS, NULL), EFAULT);
}

static void test_sregs2(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs2 s2, back;
	uint64_t *pdpt = (uint64_t *)(vm->mem + 0x20000);

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS2, &s2) == 0);
	EXPECT_EQ(s2.flags, 0); /* no PAE paging: no PDPTRs */
	EXPECT_EQ(s2.cs.selector, 0xf000);
	s2.cs.base = 0x12340;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS2, &s2) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS2, &back) == 0);
	EXPECT_EQ(back.cs.base, 0x12340);
	s2.flags = 2;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS2, &s2), EINVAL);
	s2.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID; /* without PAE paging */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_SREGS2, &s2), EINVAL);

	/* PAE paging: the PDPTEs come from CR3. */
	pdpt[0] = 0x21001;
	pdpt[3] = 0x24001;
	s2.flags = 0;
	s2.cr0 = 0x80000011;
	s2.cr4 = 1 << 5;
	s2.cr3 = 0x20000;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS2, &s2) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS2, &back) == 0);
	EXPECT_EQ(back.flags, KVM_SREGS2_FLAGS_PDPTRS_VALID);
	EXPECT_EQ(back.pdptrs[0], 0x21001);
	EXPECT_EQ(back.pdptrs[3], 0x24001);
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_SREGS2, NULL), EFAULT);
}

static void test_translate(void)
{
	struct vm *vm = vm_with_ram(4 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_translation t = { .linear_address = 0x12345 };
	struct kvm_sregs s;
	uint32_t *pd = (uint32_t *)(vm->mem + 0x20000), *pt = (uint32_t *)(vm->mem + 0x21000);

	/* Without paging, linear is physical. */
	ASSERT_TRUE(ioctl(v->fd, KVM_TRANSLATE, &t) == 0);
	EXPECT_EQ(t.valid, 1);
	EXPECT_EQ(t.physical_address, 0x12345);

	/* 32-bit paging: 0x400000 maps to 0x300000; 0x800000 is not mapped. */
	pd[1] = 0x21000 | 3;
	pt[0] = 0x300000 | 3;
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.cr0 = 0x80000011;
	s.cr3 = 0x20000;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	t.linear_address = 0x400abc;
	ASSERT_TRUE(ioctl(v->fd, KVM_TRANSLATE, &t) == 0);
	EXPECT_EQ(t.valid, 1);
	EXPECT_EQ(t.physical_address, 0x300abc);
	t.linear_address = 0x800000;
	ASSERT_TRUE(ioctl(v->fd, KVM_TRANSLATE, &t) == 0);
	EXPECT_EQ(t.valid, 0);
	EXPECT_ERRNO(ioctl(v->fd, KVM_TRANSLATE, NULL), EFAULT);
}

GUEST_CODE(sync, ".code16\n out %ax, $0x10\n out %ax, $0x11\n hlt\n");

static void test_sync_regs(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_regs r;

	vm_load(vm, 0x1000, sync_start, sync_end);
	vcpu_real_mode(v, 0x1000);
	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	vcpu_run_expect(v, KVM_EXIT_IO);
	r = vcpu_regs(v);
	EXPECT_EQ(v->run->s.regs.regs.rip, r.rip);
	EXPECT_EQ(v->run->s.regs.regs.rax, r.rax);
	EXPECT_EQ(v->run->s.regs.sregs.cs.base, 0);
	/* Registers handed in through kvm_run take effect on this KVM_RUN. */
	v->run->s.regs.regs.rax = 0xbeef;
	v->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x11); /* RIP unchanged: the OUT completed */
	EXPECT_EQ(*(uint16_t *)vcpu_io_data(v), 0xbeef);
	EXPECT_EQ(v->run->kvm_dirty_regs, 0);
	/* Invalid sregs through kvm_run fail KVM_RUN. */
	v->run->s.regs.sregs.cr0 = 1ull << 40;
	v->run->kvm_dirty_regs = KVM_SYNC_X86_SREGS;
	EXPECT_EQ(vcpu_run(v), -EINVAL);
	v->run->kvm_dirty_regs = 0;
	/* Fields not supported are refused. */
	v->run->kvm_valid_regs = 1u << 3;
	EXPECT_EQ(vcpu_run(v), -EINVAL);
	v->run->kvm_valid_regs = 0;
	vcpu_run_expect(v, KVM_EXIT_HLT);
}

GUEST_CODE(ud_report, ".code16\n mov $6, %al\n out %al, $0x70\n hlt\n");
GUEST_CODE(hlt_only, ".code16\n hlt\n");

static void test_vcpu_events(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_vcpu_events e, bad;
	uint16_t *ivt = (uint16_t *)vm->mem;

	vm_load(vm, 0x2000, ud_report_start, ud_report_end);
	ivt[6 * 2] = 0x2000;
	vm_load(vm, 0x1000, hlt_only_start, hlt_only_end);
	vcpu_real_mode(v, 0x1000);

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_EQ(e.exception.injected, 0);
	EXPECT_EQ(e.interrupt.injected, 0);
	EXPECT_TRUE(e.flags & KVM_VCPUEVENT_VALID_SHADOW);

	/* An injected #UD is delivered through the guest's IVT on entry. */
	e.exception.injected = 1;
	e.exception.nr = 6;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &bad) == 0);
	EXPECT_EQ(bad.exception.injected, 1);
	EXPECT_EQ(bad.exception.nr, 6);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x70);
	EXPECT_EQ(vcpu_io_data(v)[0], 6);

	/* Negative cases. */
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	bad = e;
	bad.flags |= 0x100;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &bad), EINVAL);
	bad = e;
	bad.exception.injected = 1;
	bad.exception.nr = 32;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &bad), EINVAL);
	/* A pending NMI is accepted (nmi_test delivers one this way). */
	bad = e;
	bad.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
	bad.nmi.pending = 1;
	EXPECT_EQ(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &bad), 0);
	bad.nmi.pending = 0;
	EXPECT_EQ(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &bad), 0);
	bad = e;
	bad.flags |= KVM_VCPUEVENT_VALID_SMM;
	bad.smi.smm = 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &bad), EINVAL);
	bad = e;
	bad.flags |= KVM_VCPUEVENT_VALID_PAYLOAD; /* no KVM_CAP_EXCEPTION_PAYLOAD */
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &bad), EINVAL);
	bad = e;
	bad.exception.injected = 1;
	bad.exception.nr = 13;
	bad.interrupt.injected = 1;
	bad.interrupt.nr = 0x20;
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &bad), EINVAL);
	EXPECT_ERRNO(ioctl(v->fd, KVM_SET_VCPU_EVENTS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_GET_VCPU_EVENTS, NULL), EFAULT);
}

/* kvm_run's CR8 in, and CR8/APIC base/IF out (no in-kernel local APIC). */
static void test_run_register_fields(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_regs r;

	vm_load(vm, 0x1000, sync_start, sync_end);
	vcpu_real_mode(v, 0x1000);
	r = vcpu_regs(v);
	r.rflags |= 1 << 9;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
	v->run->cr8 = 16;
	EXPECT_EQ(vcpu_run(v), -EINVAL);
	v->run->cr8 = 5;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->cr8, 5);
	EXPECT_EQ(v->run->if_flag, 1);
	EXPECT_EQ(v->run->apic_base, 0xfee00900); /* enabled, bootstrap processor */
	/* No interrupt shadow after the OUT: nothing keeps an interrupt out. */
	EXPECT_EQ(v->run->ready_for_interrupt_injection, 1);
}

/*
 * A guest that never executed STI, MOV SS or POP SS is in no interrupt
 * shadow when a host interrupt (here: the signal's) ends its run. The
 * backend once set the host's IF with an STI right before VMRUN; that
 * shadow bled into the guest (as upstream warns AMD CPUs do), every entry
 * loaded it again, and the test machine's emulator ran a looping guest
 * 5.5 times slower (Documentation/fuzzing.rst).
 */
GUEST_CODE(spin, ".code16\n" "1: jmp 1b\n");

static void test_no_interrupt_shadow_after_host_interrupt(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_vcpu_events e;

	vm_load(vm, 0x1000, spin_start, spin_end);
	vcpu_real_mode(v, 0x1000);
	EXPECT_EQ(vcpu_run_until_signal(v, 50000), -EINTR);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0);
	EXPECT_EQ(e.interrupt.shadow, 0);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_fpu_and_xsave),
		TEST(test_xcrs),
		TEST(test_sregs2),
		TEST(test_translate),
		TEST(test_sync_regs),
		TEST(test_run_register_fields),
		TEST(test_vcpu_events),
		TEST(test_no_interrupt_shadow_after_host_interrupt),
		{},
	});
}
