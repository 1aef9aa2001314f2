// SPDX-License-Identifier: GPL-2.0
/* vCPU fds: the kvm_run mapping, KVM_GET/SET_MP_STATE, unknown ioctls. */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include "lib/test.h"

static void test_mmap_run_page(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);
	long size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run, *again;

	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_TRUE(run != MAP_FAILED);
	EXPECT_EQ(run->exit_reason, KVM_EXIT_UNKNOWN);
	EXPECT_EQ(run->immediate_exit, 0);
	/* Both pages are backed, and a second mapping shows the same memory. */
	run->request_interrupt_window = 1;
	((volatile char *)run)[size - 1] = 0x5a;
	again = mmap(NULL, size, PROT_READ, MAP_SHARED, vcpu, 0);
	ASSERT_TRUE(again != MAP_FAILED);
	EXPECT_EQ(again->request_interrupt_window, 1);
	EXPECT_EQ(((volatile char *)again)[size - 1], 0x5a);
	munmap(again, size);
	munmap(run, size);
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig __attribute__((unused)))
{
	siglongjmp(bus_jmp, 1);
}

static void test_mmap_past_end(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);
	long size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	volatile char *p;

	/* Mapping past the end succeeds; touching it raises SIGBUS. */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, vcpu, size);
	ASSERT_TRUE(p != MAP_FAILED);
	signal(SIGBUS, on_sigbus);
	if (sigsetjmp(bus_jmp, 1) == 0) {
		(void)*p;
		test_fail(__FILE__, __LINE__, "no SIGBUS past the vCPU mmap area");
	}
}

static void test_mp_state(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	int vcpu0 = create_vcpu(vm, 0), vcpu1 = create_vcpu(vm, 1);
	struct kvm_mp_state st = { 0xff };

	/* Without an in-kernel irqchip every vCPU is runnable. */
	EXPECT_EQ(ioctl(vcpu0, KVM_GET_MP_STATE, &st), 0);
	EXPECT_EQ(st.mp_state, KVM_MP_STATE_RUNNABLE);
	st.mp_state = 0xff;
	EXPECT_EQ(ioctl(vcpu1, KVM_GET_MP_STATE, &st), 0);
	EXPECT_EQ(st.mp_state, KVM_MP_STATE_RUNNABLE);

	st.mp_state = KVM_MP_STATE_RUNNABLE;
	EXPECT_EQ(ioctl(vcpu0, KVM_SET_MP_STATE, &st), 0);
	st.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_ERRNO(ioctl(vcpu0, KVM_SET_MP_STATE, &st), EINVAL);
	st.mp_state = KVM_MP_STATE_UNINITIALIZED;
	EXPECT_ERRNO(ioctl(vcpu0, KVM_SET_MP_STATE, &st), EINVAL);
	st.mp_state = 1000;
	EXPECT_ERRNO(ioctl(vcpu0, KVM_SET_MP_STATE, &st), EINVAL);
	EXPECT_EQ(ioctl(vcpu0, KVM_GET_MP_STATE, &st), 0);
	EXPECT_EQ(st.mp_state, KVM_MP_STATE_RUNNABLE);

	EXPECT_ERRNO(ioctl(vcpu0, KVM_GET_MP_STATE, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(vcpu0, KVM_SET_MP_STATE, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(vcpu0, KVM_GET_MP_STATE, (void *)-4096L), EFAULT);
}

static void test_unknown_ioctls(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);

	EXPECT_ERRNO(ioctl(vcpu, KVM_IO_(0xff), 0), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu, KVM_CREATE_VCPU, 1), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu, KVM_GET_API_VERSION, 0), EINVAL);
	EXPECT_ERRNO(ioctl(vcpu, 0x5401 /* TCGETS */, 0), EINVAL);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_mmap_run_page),
		TEST(test_mmap_past_end),
		TEST(test_mp_state),
		TEST(test_unknown_ioctls),
		{},
	});
}
