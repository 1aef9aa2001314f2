// SPDX-License-Identifier: GPL-2.0
/*
 * Fault storms around running guests: a VMM killed with SIGKILL while every
 * vCPU is in KVM_RUN and irqfds and ioeventfds are busy; memory pressure on
 * guest RAM while the guest writes it (MADV_PAGEOUT, MADV_COLD, KSM merging,
 * huge pages split and compacted, caches dropped); the CPU a vCPU runs on
 * taken offline and back. Each must leave the kernel log clean and free
 * everything (the runner checks both). STORM_ROUNDS scales the rounds.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>

#include "lib/vm.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif

#define RAM (8u << 20)

/* Writes every page of 1..8 MiB in turn, forever; an OUT now and then. */
GUEST_CODE(writer, ".code32\n"
	   "1: mov $0x100000, %ebx\n"
	   "2: incl (%ebx)\n add $4096, %ebx\n cmp $0x800000, %ebx\n jb 2b\n"
	   " out %al, $0x10\n jmp 1b\n");
/* Spins with interrupts on; the handler of vector 0x30 (at 0x1100) OUTs to
 * an ioeventfd's port. */
GUEST_CODE(spin_irq, ".code16\n sti\n 1: pause\n jmp 1b\n");
GUEST_CODE(irq_handler, ".code16\n out %al, $0x10\n iret\n");

static int rounds(int dflt)
{
	const char *s = getenv("STORM_ROUNDS");

	return s ? atoi(s) : dflt;
}

static void write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, value, strlen(value)) < 0)
			errno = 0;
		close(fd);
	}
}

/* 32-bit flat protected mode without paging at @rip. */
static void flat32(struct vcpu *v, uint64_t rip)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = rip, .rflags = 2 };
	struct kvm_segment code = { .limit = 0xffffffff, .selector = 8, .type = 0xb,
				    .present = 1, .s = 1, .g = 1, .db = 1 };
	struct kvm_segment data = code;

	data.selector = 0x10;
	data.type = 3;
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.cs = code;
	s.ds = s.es = s.ss = s.fs = s.gs = data;
	s.cr0 = 0x11;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
}

struct runner {
	struct vcpu *v;
	volatile int *stop;
	unsigned long exits;
	int cpu;   /* pin to this CPU, or -1 */
	int error; /* the errno that ended the runs, or 0 */
};

static void *run_until_stopped(void *arg)
{
	struct runner *r = arg;

	if (r->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	while (!*r->stop) {
		if (ioctl(r->v->fd, KVM_RUN, 0) == 0) {
			r->exits++;
		} else if (errno != EINTR && errno != EFAULT) {
			r->error = errno;
			break;
		}
		/* EFAULT: the guest wrote a page the VMM made read-only for a
		 * moment (the memory storm's mprotect), as upstream reports it;
		 * a VMM runs again once the page is writable. */
	}
	return NULL;
}

static void noop(int sig)
{
	(void)sig;
}

/*
 * A VMM with four vCPUs in KVM_RUN, an irqfd thread injecting MSIs that the
 * guests answer through an ioeventfd, killed with SIGKILL mid-flight.
 */
static void test_kill_mid_run_with_eventfds(void)
{
	int n = rounds(10);

	for (int round = 0; round < n; round++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			struct vm *vm = vm_with_ram(1 << 20);
			struct runner r[4];
			pthread_t t[4];
			volatile int stop = 0;
			int efd = eventfd(0, EFD_NONBLOCK), io = eventfd(0, EFD_NONBLOCK);
			struct kvm_ioeventfd ioe = { .addr = 0x10, .len = 1, .fd = io,
						     .flags = KVM_IOEVENTFD_FLAG_PIO };
			struct {
				struct kvm_irq_routing r;
				struct kvm_irq_routing_entry e[1];
			} table = { .r = { .nr = 1 } };
			struct kvm_irqfd irqfd = { .fd = (uint32_t)efd, .gsi = 40 };
			uint64_t one = 1;

			ASSERT_TRUE(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) == 0);
			table.e[0].gsi = 40;
			table.e[0].type = KVM_IRQ_ROUTING_MSI;
			table.e[0].u.msi.address_lo = 0xfee00000;
			table.e[0].u.msi.data = 0x30;
			ASSERT_TRUE(ioctl(vm->fd, KVM_SET_GSI_ROUTING, &table) == 0);
			ASSERT_TRUE(ioctl(vm->fd, KVM_IRQFD, &irqfd) == 0);
			ASSERT_TRUE(ioctl(vm->fd, KVM_IOEVENTFD, &ioe) == 0);
			uint16_t ivt[2] = { 0x1100, 0 };

			vm_load(vm, 0x1000, spin_irq_start, spin_irq_end);
			vm_load(vm, 0x1100, irq_handler_start, irq_handler_end);
			memcpy(vm->mem + 0x30 * 4, ivt, sizeof(ivt));
			for (int i = 0; i < 4; i++) {
				r[i] = (struct runner){ .v = vm_add_vcpu(vm, i), .stop = &stop, .cpu = -1 };
				vcpu_real_mode(r[i].v, 0x1000);
				set_apic_reg(r[i].v, APIC_SVR, 0x1ff);
				pthread_create(&t[i], NULL, run_until_stopped, &r[i]);
			}
			for (;;) {
				if (write(efd, &one, 8) < 0)
					errno = 0;
				usleep(50);
			}
		}
		ASSERT_TRUE(pid > 0);
		usleep(20000 + 20000 * (round % 5));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
}

/* The guest writes all of its RAM while the host reclaims, merges and compacts it. */
static void test_memory_pressure_while_running(void)
{
	struct vm *vm = vm_with_ram(RAM);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	volatile int stop = 0;
	struct runner r = { .v = v, .stop = &stop, .cpu = -1 };
	struct sigaction sa = { .sa_handler = noop };
	pthread_t t;
	int n = rounds(10);

	sigaction(SIGUSR1, &sa, NULL);
	vm_load(vm, 0x1000, writer_start, writer_end);
	flat32(v, 0x1000);
	madvise(vm->mem, RAM, MADV_HUGEPAGE);
	madvise(vm->mem, RAM, MADV_MERGEABLE);
	write_file("/sys/kernel/mm/ksm/pages_to_scan", "10000");
	write_file("/sys/kernel/mm/ksm/sleep_millisecs", "1");
	write_file("/sys/kernel/mm/ksm/run", "1");
	ASSERT_TRUE(pthread_create(&t, NULL, run_until_stopped, &r) == 0);
	for (int round = 0; round < n; round++) {
		uint8_t *upper = vm->mem + (1 << 20);
		size_t size = RAM - (1 << 20);

		madvise(upper, size, MADV_COLD);
		madvise(upper, size, MADV_PAGEOUT);
		/* Split huge pages: a hole, then a different protection in one. */
		madvise(upper + (2 << 20) + 4096 * (round % 16), 4096, MADV_DONTNEED);
		mprotect(upper + (4 << 20), 4096, PROT_READ);
		mprotect(upper + (4 << 20), 4096, PROT_READ | PROT_WRITE);
		memset(upper + (round % 6) * (1 << 20), 0, 1 << 20); /* pages KSM can merge */
		write_file("/proc/sys/vm/compact_memory", "1");
		write_file("/proc/sys/vm/drop_caches", "3");
		pthread_kill(t, SIGUSR1);
		usleep(10000);
	}
	write_file("/sys/kernel/mm/ksm/run", "2"); /* unmerge everything */
	stop = 1;
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(r.error, 0);
	EXPECT_TRUE(r.exits > 0);
	/* The guest's writes are in the VMM's memory (the last rounds zeroed
	 * a megabyte or so of it, not all). */
	int written = 0;

	for (size_t off = 1 << 20; off < RAM; off += 4096)
		written += vm->mem[off] != 0;
	EXPECT_TRUE(written > 0);
}

/* The CPU a vCPU runs on goes offline and comes back, again and again. */
static void test_cpu_offline_under_a_vcpu(void)
{
	struct vm *vm;
	struct vcpu *v;
	volatile int stop = 0;
	struct runner r;
	struct sigaction sa = { .sa_handler = noop };
	pthread_t t;
	int n = rounds(10), cycled = 0;

	if (access("/sys/devices/system/cpu/cpu1/online", W_OK) != 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		test_skip("CPU 1 cannot go offline here");
	sigaction(SIGUSR1, &sa, NULL);
	vm = vm_with_ram(RAM);
	v = vm_add_vcpu(vm, 0);
	vm_load(vm, 0x1000, writer_start, writer_end);
	flat32(v, 0x1000);
	r = (struct runner){ .v = v, .stop = &stop, .cpu = 1 };
	ASSERT_TRUE(pthread_create(&t, NULL, run_until_stopped, &r) == 0);
	for (int round = 0; round < n; round++) {
		usleep(20000);
		write_file("/sys/devices/system/cpu/cpu1/online", "0");
		usleep(20000);
		write_file("/sys/devices/system/cpu/cpu1/online", "1");
		cycled++;
		/* Back on CPU 1 next time, if it let itself be moved away. */
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(1, &set);
		pthread_setaffinity_np(t, sizeof(set), &set);
	}
	stop = 1;
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	write_file("/sys/devices/system/cpu/cpu1/online", "1");
	EXPECT_EQ(cycled, n);
	EXPECT_TRUE(r.exits > 0);
	/* A new VM still runs on both CPUs. */
	struct vm *again = vm_with_ram(RAM);
	struct vcpu *w = vm_add_vcpu(again, 0);

	vm_load(again, 0x1000, writer_start, writer_end);
	flat32(w, 0x1000);
	vcpu_run_expect(w, KVM_EXIT_IO);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_kill_mid_run_with_eventfds),
		TEST(test_memory_pressure_while_running),
		TEST(test_cpu_offline_under_a_vcpu),
		{},
	});
}
