// SPDX-License-Identifier: GPL-2.0
/* ioctls on /dev/kvm: positive and negative cases. */
#include <sys/mman.h>

#include "lib/test.h"

static void test_api_version(void)
{
	int kvm = open_kvm();

	EXPECT_EQ(ioctl(kvm, KVM_GET_API_VERSION, 0), KVM_API_VERSION);
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_API_VERSION, 1), EINVAL);
}

static void test_check_extension(void)
{
	int kvm = open_kvm();
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ENABLE_CAP_VM), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MP_STATE), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS), ncpus);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS), 4096);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID), 4 * 4096);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES), 1 << KVM_X86_DEFAULT_VM);
	/* Not implemented yet: must not be advertised. */
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS), 32764);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, 0 /* KVM_CAP_IRQCHIP */), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT), 1);
	/* Unknown and out-of-range capabilities answer 0, not an error. */
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, 100000), 0);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, -1L), 0);
}

static void test_create_vm(void)
{
	int kvm = open_kvm();
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	char path[64], link[64];
	ssize_t n;

	ASSERT_TRUE(vm >= 0);
	/* The fd is an anon inode named kvm-vm, close-on-exec. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", vm);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_TRUE(n > 0);
	link[n] = 0;
	EXPECT_TRUE(strcmp(link, "anon_inode:kvm-vm") == 0);
	EXPECT_TRUE(fcntl(vm, F_GETFD) & FD_CLOEXEC);
	close(vm);

	EXPECT_ERRNO(ioctl(kvm, KVM_CREATE_VM, 1), EINVAL);
	EXPECT_ERRNO(ioctl(kvm, KVM_CREATE_VM, 63), EINVAL);
	EXPECT_ERRNO(ioctl(kvm, KVM_CREATE_VM, 64), EINVAL);
	EXPECT_ERRNO(ioctl(kvm, KVM_CREATE_VM, -1L), EINVAL);
}

static void test_vcpu_mmap_size(void)
{
	int kvm = open_kvm();

	/* kvm_run, the port-I/O data page and the coalesced I/O ring. */
	EXPECT_EQ(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), 3 * getpagesize());
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 1), EINVAL);
}

static void test_unknown_ioctls(void)
{
	int kvm = open_kvm();

	EXPECT_ERRNO(ioctl(kvm, KVM_CREATE_VCPU, 0), EINVAL);
	EXPECT_ERRNO(ioctl(kvm, KVM_IO_(0xff), 0), EINVAL);
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_MP_STATE, 0), EINVAL);
	EXPECT_ERRNO(ioctl(kvm, 0x5401 /* TCGETS */, 0), EINVAL);
}

static void test_not_mappable(void)
{
	int kvm = open_kvm();

	EXPECT_TRUE(mmap(NULL, 4096, PROT_READ, MAP_SHARED, kvm, 0) == MAP_FAILED);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_api_version),
		TEST(test_check_extension),
		TEST(test_create_vm),
		TEST(test_vcpu_mmap_size),
		TEST(test_unknown_ioctls),
		TEST(test_not_mappable),
		{},
	});
}
