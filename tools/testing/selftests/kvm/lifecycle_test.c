// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU lifetimes: fds closed in any order, mappings outliving fds,
 * process exit with everything open, use from another process after fork.
 * Leaks show up when kvm.ko is unloaded (module_cycle_test.sh).
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include "lib/test.h"

static void test_close_vm_first(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);
	struct kvm_mp_state st;

	close(vm);
	/* The vCPU fd keeps the VM alive. */
	EXPECT_EQ(ioctl(vcpu, KVM_GET_MP_STATE, &st), 0);
	close(vcpu);
}

static void test_close_vcpu_first(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);

	close(vcpu);
	EXPECT_TRUE(create_vcpu(vm, 1) >= 0);
	close(vm);
}

static void test_mapping_outlives_fds(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);
	long size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);

	ASSERT_TRUE(run != MAP_FAILED);
	close(vcpu);
	close(vm);
	close(kvm);
	run->immediate_exit = 1;
	EXPECT_EQ(run->immediate_exit, 1);
	munmap(run, size);
}

static void test_exit_with_everything_open(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int kvm = open_kvm(), i, j;

		for (i = 0; i < 16; i++) {
			int vm = create_vm(kvm);

			for (j = 0; j < 4; j++)
				create_vcpu(vm, j);
		}
		_exit(0); /* the kernel closes everything */
	}
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_killed_with_everything_open(void)
{
	int pipefd[2], status;
	pid_t pid;
	char c;

	ASSERT_TRUE(pipe(pipefd) == 0);
	pid = fork();
	if (pid == 0) {
		int kvm = open_kvm(), vm = create_vm(kvm);

		create_vcpu(vm, 0);
		write(pipefd[1], "x", 1);
		pause();
		_exit(0);
	}
	ASSERT_TRUE(read(pipefd[0], &c, 1) == 1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFSIGNALED(status));
}

static void test_other_process_gets_eio(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct kvm_mp_state st;

		EXPECT_ERRNO(ioctl(vm, KVM_CREATE_VCPU, 1), EIO);
		EXPECT_ERRNO(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS), EIO);
		EXPECT_ERRNO(ioctl(vcpu, KVM_GET_MP_STATE, &st), EIO);
		/* /dev/kvm itself is not tied to a process. */
		EXPECT_TRUE(ioctl(kvm, KVM_CREATE_VM, 0) >= 0);
		_exit(test_failures ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent still owns them. */
	EXPECT_TRUE(create_vcpu(vm, 1) >= 0);
}

static void test_many_vms(void)
{
	int kvm = open_kvm(), i;
	struct rlimit rl = { 4096, 4096 };

	ASSERT_TRUE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	for (i = 0; i < 200; i++) {
		int vm = create_vm(kvm);

		create_vcpu(vm, 0);
		create_vcpu(vm, 1);
		if (i % 2)
			close(vm);
	}
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_close_vm_first),
		TEST(test_close_vcpu_first),
		TEST(test_mapping_outlives_fds),
		TEST(test_exit_with_everything_open),
		TEST(test_killed_with_everything_open),
		TEST(test_other_process_gets_eio),
		TEST(test_many_vms),
		{},
	});
}
