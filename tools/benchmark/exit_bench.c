// SPDX-License-Identifier: GPL-2.0
/*
 * Round-trip cost of VM exits, for the benchmark job (scripts/benchmark.sh).
 * Run in the test machine under QEMU -icount shift=0, where guest time
 * advances one nanosecond per emulated instruction: the CLOCK_MONOTONIC
 * difference over N round trips, divided by N, is instructions per round
 * trip, the same from run to run.
 *
 * Prints "row <name> <instructions>" for:
 *   port_io    OUT from a real-mode guest, to user space and back
 *   mmio       a write to unbacked guest-physical memory, to user space and back
 *   cpuid      CPUID handled in the kernel (guest loop, no user-space exit)
 *   npt_fault_4k   the first touch of a 4 KiB page (guest loop, minus the
 *                  same loop over pages already mapped), no huge pages
 *   npt_fault_thp  the same over memory the VMM backs with huge pages
 * Each is the least of several batches.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <abi/kvm_abi.h>

#define CODE(name, text)                                                       \
	extern const uint8_t name##_start[], name##_end[];                     \
	asm(".pushsection .rodata\n" #name "_start:\n" text "\n.code64\n" #name \
	    "_end:\n.popsection\n")

CODE(pio, ".code16\n 1: out %al, $0x10\n jmp 1b\n");
CODE(mmio, ".code16\n mov $0x9000, %bx\n mov %bx, %ds\n 1: movb %al, 0x0\n jmp 1b\n");
CODE(cpuid, ".code16\n 1: xor %eax, %eax\n cpuid\n dec %esi\n jnz 1b\n out %al, $0x10\n hlt\n");
/* 32-bit flat: touch ECX pages from EDI, then report. */
CODE(touch, ".code32\n 1: movb $1, (%edi)\n add $4096, %edi\n loop 1b\n out %al, $0x10\n hlt\n");

static int kvm, vmfd, vcpufd;
static struct kvm_run *run;
static uint8_t *mem;
static size_t mem_size;

static void die(const char *what)
{
	fprintf(stderr, "exit_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void vm_setup(size_t size)
{
	struct kvm_userspace_memory_region r = { 0 };

	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vmfd < 0)
		die("KVM_CREATE_VM");
	mem_size = size;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	r.memory_size = size;
	r.userspace_addr = (uint64_t)(uintptr_t)mem;
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");
	vcpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (vcpufd < 0)
		die("KVM_CREATE_VCPU");
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpufd, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
}

static void vm_teardown(void)
{
	close(vcpufd);
	close(vmfd);
	munmap(mem, mem_size);
}

static void start(const uint8_t *code, const uint8_t *end, int flat32, uint64_t rsi, uint64_t rcx,
		  uint64_t rdi)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2, .rsi = rsi, .rcx = rcx, .rdi = rdi };

	memcpy(mem + 0x1000, code, end - code);
	if (ioctl(vcpufd, KVM_GET_SREGS, &s))
		die("KVM_GET_SREGS");
	s.cs.base = 0;
	s.cs.selector = 0;
	if (flat32) {
		struct kvm_segment seg = { .limit = 0xffffffff, .type = 3, .present = 1, .s = 1,
					   .db = 1, .g = 1 };
		s.ds = s.es = s.ss = seg;
		seg.type = 0xb;
		s.cs = seg;
		s.cr0 |= 1;
	}
	if (ioctl(vcpufd, KVM_SET_SREGS, &s) || ioctl(vcpufd, KVM_SET_REGS, &r))
		die("KVM_SET_REGS");
}

static void run_expect(uint32_t reason)
{
	if (ioctl(vcpufd, KVM_RUN, 0))
		die("KVM_RUN");
	if (run->exit_reason != reason) {
		fprintf(stderr, "exit_bench: exit %u, expected %u\n", run->exit_reason, reason);
		exit(1);
	}
}

/*
 * The least over several batches: other work on the machine (timer ticks,
 * kernel threads) only ever adds instructions to a batch.
 */
#define BATCHES 25

static double per_exit(uint32_t reason, int n)
{
	double best = 1e18;
	int b, i;

	for (i = 0; i < 100; i++) /* warm up: fault in the code page, caches */
		run_expect(reason);
	for (b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < n; i++)
			run_expect(reason);
		if ((double)(now_ns() - t0) / n < best)
			best = (double)(now_ns() - t0) / n;
	}
	return best;
}

/* Touch @pages fresh 4 KiB pages (huge pages allowed or not), less the same loop over mapped pages. */
static double per_fault(int pages, int huge)
{
	double best = 1e18;
	int b;

	for (b = 0; b < BATCHES; b++) {
		uint64_t t0, t1, t2, t3;

		vm_setup(4 << 20);
		madvise(mem, mem_size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		memset(mem, 0, mem_size); /* populate the VMM's side first */
		start(touch_start, touch_end, 1, 0, pages, 0x100000);
		t0 = now_ns();
		run_expect(KVM_EXIT_IO);
		t1 = now_ns();
		start(touch_start, touch_end, 1, 0, pages, 0x100000);
		t2 = now_ns();
		run_expect(KVM_EXIT_IO);
		t3 = now_ns();
		vm_teardown();
		if (((double)(t1 - t0) - (double)(t3 - t2)) / pages < best)
			best = ((double)(t1 - t0) - (double)(t3 - t2)) / pages;
	}
	return best;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	const int pages = 512;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");

	vm_setup(1 << 20);
	start(pio_start, pio_end, 0, 0, 0, 0);
	printf("row port_io %.0f\n", per_exit(KVM_EXIT_IO, n));
	vm_teardown();

	vm_setup(1 << 19); /* DS = 0x9000 points past RAM */
	start(mmio_start, mmio_end, 0, 0, 0, 0);
	printf("row mmio %.0f\n", per_exit(KVM_EXIT_MMIO, n));
	vm_teardown();

	vm_setup(1 << 20);
	start(cpuid_start, cpuid_end, 0, 100, 0, 0);
	run_expect(KVM_EXIT_IO); /* warm up */
	{
		double best = 1e18;
		int b;

		for (b = 0; b < BATCHES; b++) {
			uint64_t t0;

			start(cpuid_start, cpuid_end, 0, n, 0, 0);
			t0 = now_ns();
			run_expect(KVM_EXIT_IO);
			if ((double)(now_ns() - t0) / n < best)
				best = (double)(now_ns() - t0) / n;
		}
		printf("row cpuid %.0f\n", best);
	}
	vm_teardown();

	/* Pages above 1 MiB, touched twice: the second pass is the loop alone. */
	printf("row npt_fault_4k %.0f\n", per_fault(pages, 0));
	printf("row npt_fault_thp %.0f\n", per_fault(pages, 1));
	return 0;
}
