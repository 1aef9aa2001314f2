// SPDX-License-Identifier: GPL-2.0
/*
 * The main job's program: a minimal VMM on /dev/kvm. It shows each step
 * (version, capabilities, a VM, a vCPU, its kvm_run page), then runs a tiny
 * real-mode guest that prints a line on a "serial port" (port I/O exits),
 * reads guest memory through MMIO, and halts.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <abi/kvm_abi.h>

/* The guest: print the string at 0x1100 on port 0x3f8, store a word to
 * MMIO at 1 MiB - 64 KiB (no RAM there), then halt. */
extern const uint8_t guest_start[], guest_end[];
asm(".pushsection .rodata\n guest_start:\n .code16\n"
    " mov $0x1100, %si\n mov $0x3f8, %dx\n"
    "1: lodsb\n test %al, %al\n jz 2f\n out %al, %dx\n jmp 1b\n"
    "2: mov $0xf000, %ax\n mov %ax, %ds\n movw $0x1234, 0x0\n hlt\n"
    " .code64\n guest_end:\n .popsection\n");

static int fail(const char *what)
{
	printf("demo: %s failed: %s\n", what, strerror(errno));
	return 1;
}

static int run_guest(int vm, int vcpu, struct kvm_run *run)
{
	size_t mem_size = 0x10000;
	uint8_t *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	struct kvm_userspace_memory_region region = {
		.memory_size = mem_size, .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_sregs sregs;
	char line[128];
	unsigned n = 0;

	if (mem == MAP_FAILED || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("guest memory");
	memcpy(mem + 0x1000, guest_start, guest_end - guest_start);
	strcpy((char *)mem + 0x1100, "hello from a guest on kvmpp");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS");
	printf("demo: running a real-mode guest (64 KiB of RAM at 0)\n");
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0))
			return fail("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (n < sizeof(line) - 1)
				line[n++] = *((char *)run + run->io.data_offset);
			break;
		case KVM_EXIT_MMIO:
			line[n] = 0;
			printf("demo: guest serial output: \"%s\"\n", line);
			printf("demo: KVM_EXIT_MMIO %s at 0x%llx, %u bytes: 0x%04x\n",
			       run->mmio.is_write ? "write" : "read",
			       (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			       *(uint16_t *)run->mmio.data);
			break;
		case KVM_EXIT_HLT:
			printf("demo: KVM_EXIT_HLT: the guest halted\n");
			return 0;
		default:
			printf("demo: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	/* --no-guest: only the /dev/kvm lifecycle (kvm-intel has no run loop yet). */
	int run_a_guest = !(argc > 1 && strcmp(argv[1], "--no-guest") == 0);
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
	if (run_a_guest && run_guest(vm, vcpu, run))
		return 1;
	munmap(run, size);
	close(vcpu);
	close(vm);
	close(kvm);
	printf("demo: VM destroyed\n");
	return 0;
}
