// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_PRE_FAULT_MEMORY: argument checks, partial progress, signals, and the
 * effect itself: a guest touching pre-faulted memory takes no nested page
 * fault (the vCPU's pf_taken statistic stays 0).
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "lib/vm.h"

/* -errno or 0, the range updated in place. */
static int pre_fault(int vcpu, struct kvm_pre_fault_memory *r)
{
	return ioctl(vcpu, KVM_PRE_FAULT_MEMORY, r) ? -errno : 0;
}

static struct kvm_pre_fault_memory range(uint64_t gpa, uint64_t size)
{
	struct kvm_pre_fault_memory r = { .gpa = gpa, .size = size };

	return r;
}

static void test_cap(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY), 1);
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY), 1);
	/* A vCPU ioctl only. */
	EXPECT_ERRNO(ioctl(vm, KVM_PRE_FAULT_MEMORY, NULL), ENOTTY);
}

static void test_bad_arguments(void)
{
	struct vm *vm = vm_with_ram(0x100000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_pre_fault_memory r = range(0x1000, 0x1000);

	r.flags = 1;
	EXPECT_EQ(pre_fault(v->fd, &r), -EINVAL);
	r = range(0x1001, 0x1000);
	EXPECT_EQ(pre_fault(v->fd, &r), -EINVAL);
	r = range(0x1000, 0x800);
	EXPECT_EQ(pre_fault(v->fd, &r), -EINVAL);
	r = range(0x1000, 0);
	EXPECT_EQ(pre_fault(v->fd, &r), -EINVAL);
	r = range(-0x1000ull, 0x2000); /* wraps */
	EXPECT_EQ(pre_fault(v->fd, &r), -EINVAL);
	EXPECT_EQ(r.gpa, -0x1000ull);
	EXPECT_ERRNO(ioctl(v->fd, KVM_PRE_FAULT_MEMORY, (void *)8), EFAULT);
	/* Past the slot: nothing to map. */
	r = range(0x100000, 0x1000);
	EXPECT_EQ(pre_fault(v->fd, &r), -ENOENT);
	EXPECT_EQ(r.size, 0x1000);
	r = range(1ull << 51, 0x1000);
	EXPECT_EQ(pre_fault(v->fd, &r), -ENOENT);
}

static void test_partial_progress(void)
{
	struct vm *vm = vm_with_ram(0x100000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_pre_fault_memory r = range(0xfe000, 0x4000);

	/* Two pages in the slot, two past it: success with the rest left. */
	EXPECT_EQ(pre_fault(v->fd, &r), 0);
	EXPECT_EQ(r.gpa, 0x100000);
	EXPECT_EQ(r.size, 0x2000);
	/* The same again: no progress, the error, the range as it was. */
	EXPECT_EQ(pre_fault(v->fd, &r), -ENOENT);
	EXPECT_EQ(r.gpa, 0x100000);
	EXPECT_EQ(r.size, 0x2000);
}

GUEST_CODE(touch, ".code16\n"
	   " mov $0x2000, %bx\n"
	   "1: movb (%bx), %al\n"
	   " movb %al, 1(%bx)\n"
	   " add $0x1000, %bx\n"
	   " cmp $0x9000, %bx\n"
	   " jne 1b\n"
	   " hlt\n");

static void test_guest_takes_no_fault(void)
{
	struct vm *vm = vm_with_ram(0x10000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	int vcpu_stats = ioctl(v->fd, KVM_GET_STATS_FD, 0);
	int vm_stats = ioctl(vm->fd, KVM_GET_STATS_FD, 0);
	struct kvm_pre_fault_memory r = range(0, 0x10000);

	ASSERT_TRUE(vcpu_stats >= 0 && vm_stats >= 0);
	memset(vm->mem, 0, 0x10000);
	vm_load(vm, 0x1000, touch_start, touch_end);
	/* Every page written by the VMM: mapped writable without a CoW break. */
	EXPECT_EQ(pre_fault(v->fd, &r), 0);
	EXPECT_EQ(r.gpa, 0x10000);
	EXPECT_EQ(r.size, 0);
	EXPECT_EQ(stats_value(vm_stats, "pages_4k") + 512 * stats_value(vm_stats, "pages_2m"), 16);
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(stats_value(vcpu_stats, "pf_taken"), 0);
	EXPECT_EQ(vm->mem[0x8001], 0);
	EXPECT_EQ(stats_value(vm_stats, "pages_4k"), 16);
}

static void test_untouched_memory_maps_read_only(void)
{
	struct vm *vm = vm_with_ram(0x10000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	int vcpu_stats = ioctl(v->fd, KVM_GET_STATS_FD, 0);
	struct kvm_pre_fault_memory r = range(0, 0x10000);

	/* Only the code page exists in the VMM; the rest is the zero page. */
	vm_load(vm, 0x1000, touch_start, touch_end);
	memset(vm->mem, 0, 0x1000);
	EXPECT_EQ(pre_fault(v->fd, &r), 0);
	memset(vm->mem + 0x2000, 0x5a, 1); /* CoW in the VMM after the pre-fault */
	vcpu_real_mode(v, 0x1000);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	/* The guest sees the VMM's page, and its writes land in the VMM. */
	EXPECT_EQ(vm->mem[0x2001], 0x5a);
	EXPECT_EQ(vm->mem[0x3001], 0);
	/*
	 * Page 2 was unmapped by the VMM's write (one fault); pages 3-8 were
	 * mapped read-only (the zero page): only their writes fault, each once
	 * or twice (breaking CoW for the guest invalidates the lookup, and the
	 * guest faults again). Reads faulting too would make it 14 or more.
	 */
	uint64_t faults = stats_value(vcpu_stats, "pf_taken");

	EXPECT_TRUE(faults >= 7 && faults <= 13);
}

static void test_read_only_slot(void)
{
	struct vm *vm = vm_with_ram(0x10000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	void *rom = mmap(NULL, 0x2000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region slot = {
		.slot = 1, .flags = KVM_MEM_READONLY, .guest_phys_addr = 0x100000,
		.memory_size = 0x2000, .userspace_addr = (uint64_t)(uintptr_t)rom,
	};
	struct kvm_pre_fault_memory r = range(0x100000, 0x2000);

	ASSERT_TRUE(rom != MAP_FAILED);
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot) == 0);
	EXPECT_EQ(pre_fault(v->fd, &r), 0);
	EXPECT_EQ(r.size, 0);
}

static void test_unbacked_slot(void)
{
	struct vm *vm = vm_with_ram(0x10000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	void *none = mmap(NULL, 0x2000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region slot = {
		.slot = 1, .guest_phys_addr = 0x100000, .memory_size = 0x2000,
		.userspace_addr = (uint64_t)(uintptr_t)none,
	};
	struct kvm_pre_fault_memory r = range(0x100000, 0x2000);

	ASSERT_TRUE(none != MAP_FAILED);
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot) == 0);
	EXPECT_EQ(pre_fault(v->fd, &r), -EFAULT);
	EXPECT_EQ(r.size, 0x2000);
}

static volatile int alarms;

static void on_alarm(int sig __attribute__((unused)))
{
	alarms++;
}

/* Signals while a big range is mapped: each return either made progress
 * (success) or was interrupted before any (-EINTR, range unchanged). */
static void test_signals(void)
{
	size_t size = 16 << 20;
	struct vm *vm = vm_with_ram(size);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval t = { { 0, 200 }, { 0, 200 } };
	struct kvm_pre_fault_memory r = range(0, size);
	int calls = 0, eintr = 0, partial = 0;

	ASSERT_TRUE(sigaction(SIGALRM, &sa, NULL) == 0);
	ASSERT_TRUE(setitimer(ITIMER_REAL, &t, NULL) == 0);
	while (r.size) {
		struct kvm_pre_fault_memory before = r;
		int ret = pre_fault(v->fd, &r);

		calls++;
		if (ret == -EINTR) {
			eintr++;
			EXPECT_EQ(r.gpa, before.gpa);
			EXPECT_EQ(r.size, before.size);
		} else {
			ASSERT_TRUE(ret == 0);
			ASSERT_TRUE(r.size < before.size);
			EXPECT_EQ(r.gpa + r.size, before.gpa + before.size);
			partial += r.size != 0;
		}
		ASSERT_TRUE(calls < 1000000);
	}
	memset(&t, 0, sizeof(t));
	setitimer(ITIMER_REAL, &t, NULL);
	printf("# %d calls, %d partial, %d EINTR, %d signals\n", calls, partial, eintr, alarms);
	EXPECT_EQ(r.gpa, size);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_cap),
		TEST(test_bad_arguments),
		TEST(test_partial_progress),
		TEST(test_guest_takes_no_fault),
		TEST(test_untouched_memory_maps_read_only),
		TEST(test_read_only_slot),
		TEST(test_unbacked_slot),
		TEST(test_signals),
		{},
	});
}
