// SPDX-License-Identifier: GPL-2.0
/*
 * The main job's program: talk to /dev/kvm the way a VMM starts (version,
 * capabilities, a VM, a vCPU, its kvm_run page) and show each answer.
 * It grows into running a guest as the project does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uapi/kvm_abi.h>

static int fail(const char *what)
{
	printf("demo: %s failed: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	int kvm, vm, vcpu;
	long size;
	struct kvm_run *run;
	struct kvm_mp_state mp;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	printf("demo: KVM_GET_API_VERSION = %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	printf("demo: KVM_CAP_NR_VCPUS = %d, KVM_CAP_MAX_VCPUS = %d, KVM_CAP_MAX_VCPU_ID = %d\n",
	       ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS),
	       ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
	       ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	printf("demo: KVM_CREATE_VM -> fd %d\n", vm);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	printf("demo: KVM_CREATE_VCPU(0) -> fd %d\n", vcpu);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	printf("demo: kvm_run mapped (%ld bytes), exit_reason = %u\n", size, run->exit_reason);
	if (ioctl(vcpu, KVM_GET_MP_STATE, &mp))
		return fail("KVM_GET_MP_STATE");
	printf("demo: KVM_GET_MP_STATE = %u (runnable)\n", mp.mp_state);
	munmap(run, size);
	close(vcpu);
	close(vm);
	close(kvm);
	printf("demo: VM destroyed\n");
	return 0;
}
