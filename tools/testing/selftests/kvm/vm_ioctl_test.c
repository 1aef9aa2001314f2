// SPDX-License-Identifier: GPL-2.0
/* ioctls on VM fds: vCPU creation, KVM_ENABLE_CAP, KVM_CHECK_EXTENSION. */
#include <sys/resource.h>

#include "lib/test.h"

static void test_create_vcpu(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	int max_id = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	char path[64], link[64];
	int fd;
	ssize_t n;

	fd = create_vcpu(vm, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_TRUE(n > 0);
	link[n] = 0;
	EXPECT_TRUE(strcmp(link, "anon_inode:kvm-vcpu:0") == 0);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	EXPECT_TRUE(create_vcpu(vm, 7) >= 0);
	EXPECT_TRUE(create_vcpu(vm, max_id - 1) >= 0);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_VCPU, 0), EEXIST);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_VCPU, 7), EEXIST);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_VCPU, max_id), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_VCPU, -1L), EINVAL);
	/* Closing a vCPU fd does not free the id: the VM keeps the vCPU. */
	close(fd);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_VCPU, 0), EEXIST);
}

static void test_max_vcpus(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	int max = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	struct rlimit rl = { max + 64, max + 64 };
	int i;

	ASSERT_TRUE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	for (i = 0; i < max; i++) {
		/* Sparse ids: every fourth id, up to the id bound. */
		if (ioctl(vm, KVM_CREATE_VCPU, (long)i * 4) < 0) {
			test_fail(__FILE__, __LINE__, "vCPU %d: errno %d", i, errno);
			return;
		}
	}
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_VCPU, 1), EINVAL);
}

static void test_enable_cap_max_vcpu_id(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID };
	int max_id = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);

	cap.args[0] = max_id + 1;
	EXPECT_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
	cap.args[0] = 8;
	cap.flags = 1;
	EXPECT_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
	cap.flags = 0;
	EXPECT_EQ(ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
	EXPECT_EQ(ioctl(vm, KVM_ENABLE_CAP, &cap), 0); /* same value again */
	cap.args[0] = 9;
	EXPECT_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
	EXPECT_TRUE(create_vcpu(vm, 7) >= 0);
	EXPECT_ERRNO(ioctl(vm, KVM_CREATE_VCPU, 8), EINVAL);

	/* Once a vCPU exists the bound is fixed at the default. */
	vm = create_vm(kvm);
	create_vcpu(vm, 0);
	cap.args[0] = 4;
	EXPECT_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
	cap.args[0] = max_id;
	EXPECT_EQ(ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
}

static void test_enable_cap_errors(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	struct kvm_enable_cap cap = { .cap = 100000 };

	EXPECT_ERRNO(ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_ENABLE_CAP, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(vm, KVM_ENABLE_CAP, (void *)1), EFAULT);
}

static void test_check_extension_on_vm(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);

	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM), 1);
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
		  ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, 100000), 0);
}

static void test_nr_mmu_pages(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);

	EXPECT_ERRNO(ioctl(vm, KVM_SET_NR_MMU_PAGES, 63), EINVAL);
	EXPECT_EQ(ioctl(vm, KVM_SET_NR_MMU_PAGES, 64), 0);
	/* Removed from Linux 6.12 (stock answers -ENOTTY, as any unknown ioctl). */
	EXPECT_ERRNO(ioctl(vm, KVM_GET_NR_MMU_PAGES, 0), ENOTTY);
}

/* The regions VMX's real-mode emulation needs: VMMs set both before
 * anything else, whatever the vendor. */
static void test_tss_and_identity_map(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);
	uint64_t ident = 0xfeffc000;

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR), 1);
	EXPECT_EQ(ioctl(vm, KVM_SET_TSS_ADDR, 0xfeffd000ul), 0);
	EXPECT_EQ(ioctl(vm, KVM_SET_TSS_ADDR, 0xfffff000ul - 0x2000), 0); /* the highest */
	EXPECT_ERRNO(ioctl(vm, KVM_SET_TSS_ADDR, 0xfffff000ul - 0x1000), EINVAL);
	EXPECT_ERRNO(ioctl(vm, KVM_SET_TSS_ADDR, 0x100000000ul), EINVAL);
	EXPECT_EQ(ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &ident), 0);
	EXPECT_ERRNO(ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (void *)8), EFAULT);
	ASSERT_TRUE(create_vcpu(vm, 0) >= 0);
	EXPECT_ERRNO(ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &ident), EINVAL); /* too late */
	EXPECT_EQ(ioctl(vm, KVM_SET_TSS_ADDR, 0xfeffd000ul), 0);           /* any time */
	/* The old capabilities VMMs check first. */
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DESTROY_MEMORY_REGION_WORKS), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_JOIN_MEMORY_REGIONS_WORKS), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_MMU), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NOP_IO_DELAY), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_CLOCKSOURCE), 1);
}

static void test_unknown_ioctls(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);

	EXPECT_ERRNO(ioctl(vm, KVM_IO_(0xff), 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vm, KVM_GET_API_VERSION, 0), ENOTTY);
	EXPECT_ERRNO(ioctl(vm, KVM_GET_MP_STATE, 0), ENOTTY);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_create_vcpu),
		TEST(test_max_vcpus),
		TEST(test_enable_cap_max_vcpu_id),
		TEST(test_enable_cap_errors),
		TEST(test_check_extension_on_vm),
		TEST(test_nr_mmu_pages),
		TEST(test_tss_and_identity_map),
		TEST(test_unknown_ioctls),
		{},
	});
}
