// SPDX-License-Identifier: GPL-2.0
/*
 * What VM exits and VM ioctls cost, for the benchmark job
 * (scripts/benchmark.sh). Run in the test machine under QEMU -icount shift=0,
 * where guest time advances one nanosecond per emulated instruction, so a
 * CLOCK_MONOTONIC difference is an instruction count (and, while the machine
 * idles, the time it idled: a halted vCPU waits for real).
 *
 * Every row runs for at least MIN_RUN_NS of that time, so it spans many of the
 * test machine's timer ticks (HZ=250) and whatever deferred work the module
 * leaves behind, and prints
 *   row <name> <mean> <least> <nivcsw_per_10k>
 * mean: all measured time over all units of the run; least: the cheapest
 * batch (other work only ever adds to a batch); nivcsw_per_10k: the
 * nonvoluntary context switches of the run (RUSAGE_THREAD, RUSAGE_SELF for
 * the rows with several threads) per 10,000 units. A row its module cannot run
 * prints "row <name> n/a <reason>" instead. Rows and units (batch):
 *   port_io        OUT from a real-mode guest, to user space and back (1000)
 *   mmio           a write to unbacked guest memory, to user space and back (1000)
 *   cpuid          CPUID handled in the kernel, guest loop (1000)
 *   cpuid_long     the same in 64-bit mode under 4-level paging (4 KiB
 *                  pages): skipping CPUID walks the guest's tables
 *   npt_fault_4k   the first touch of a 4 KiB page, less the same loop over
 *                  mapped pages, no huge pages (one VM's TOUCH_PAGES pages)
 *   npt_fault_thp  the same per 4 KiB page touched, over memory the VMM
 *                  backs with transparent huge pages
 *   hlt_ipi        vCPU0 sends an IPI to vCPU1, halted; vCPU1 wakes, its
 *                  handler acknowledges (EOI), and it IPIs vCPU0 back, which
 *                  halted meanwhile: per round trip, two threads (1000)
 *   hlt_timer      arm the APIC timer (one-shot, TIMER_COUNT at divide 1,
 *                  which is included), HLT until it fires, per wakeup (1000)
 *   irqfd          an eventfd write from user space, routed as an MSI
 *                  (KVM_SET_GSI_ROUTING + KVM_IRQFD) to the halting guest,
 *                  whose handler runs, and its OUT back: per round trip (1000)
 *   ioeventfd      a guest port write that signals a KVM_IOEVENTFD eventfd,
 *                  no user exit (1000); the eventfd's count is checked
 *   vm_lifecycle   KVM_CREATE_VM, one memory slot, one vCPU, KVM_RUN to its
 *                  first OUT (at the reset vector), close all (one cycle)
 *   memslot_add_N  KVM_SET_USER_MEMORY_REGION adding one slot to a VM (no
 *                  vCPU) that has N; each added slot is deleted again,
 *                  untimed, before the next (10 adds)
 *   dirty_log_1g   KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG of a 1 GiB slot
 *                  with manual protection, after the guest dirtied
 *                  DIRTY_PAGES of it (the guest's run is untimed) (one pair)
 * Each row runs in a child process, so one that fails or hangs (ROW_TIMEOUT_S)
 * costs only its own line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <abi/kvm_abi.h>

#define MIN_RUN_NS 100000000ull /* 100 ms of the emulator's clock */
#define MIN_BATCHES 5
#define ROW_TIMEOUT_S 10
#define TOUCH_FROM (2u << 20)
#define TOUCH_SIZE (16u << 20)
#define TOUCH_PAGES ((TOUCH_SIZE - TOUCH_FROM) / 4096)
#define TIMER_COUNT 1000
#define DIRTY_PAGES 512

#define CODE(name, text)                                                       \
	extern const uint8_t name##_start[], name##_end[];                     \
	asm(".pushsection .rodata\n" #name "_start:\n" text "\n.code64\n" #name \
	    "_end:\n.popsection\n")

CODE(pio, ".code16\n 1: out %al, $0x10\n jmp 1b\n");
CODE(mmio, ".code16\n mov $0x9000, %bx\n mov %bx, %ds\n 1: movb %al, 0x0\n jmp 1b\n");
/* ESI times CPUID, then report; again from the start. */
CODE(cpuid, ".code16\n 1: mov %edi, %esi\n 2: xor %eax, %eax\n cpuid\n dec %esi\n jnz 2b\n"
	    " out %al, $0x10\n jmp 1b\n");
/* The same loop in 64-bit code, under 4-level paging with 4 KiB pages. */
CODE(cpuid64, ".code64\n 1: mov %edi, %esi\n 2: xor %eax, %eax\n cpuid\n dec %esi\n jnz 2b\n"
	      " out %al, $0x10\n jmp 1b\n");
/* EDI port writes to port DX (an ioeventfd), then report; again. */
CODE(ioev, ".code16\n 1: mov %edi, %esi\n 2: out %al, (%dx)\n dec %esi\n jnz 2b\n"
	   " out %al, $0x10\n jmp 1b\n");
/* At the reset vector (CS base 0xffff0000, IP 0xfff0): report at once. */
CODE(reset, ".code16\n out %al, $0x10\n hlt\n");

/*
 * 32-bit flat protected mode without paging (GDT_GPA, IDT_GPA), the xAPIC
 * at its default base. Shared words: FLAG0/FLAG1 set by the handlers of
 * vectors 0x40/0x41, STOP set by user space to end hlt_ipi, READY set by
 * hlt_ipi's vCPU1 once its APIC is on. Entry points
 * are labels in this one blob, loaded at CODE_GPA.
 */
#define CODE_GPA 0x1000
#define GDT_GPA 0x600
#define IDT_GPA 0x800
#define FLAG0 0x500
#define FLAG1 0x504
#define STOP 0x508
#define READY 0x50c
#define APIC "0xfee00"
/* Wait with interrupts enabled only in STI's shadow before HLT, so a wakeup is never lost. */
#define WAIT(flag, n)                                                          \
	" cli\n" #n ": cmpl $0, " #flag "\n jne " #n "f\n sti\n hlt\n cli\n jmp " #n "b\n" #n ":\n"
#define SVR_ON " movl $0x1ff, " APIC "0f0\n"
#define IPI(apic_id, vector)                                                   \
	" movl $" #apic_id " << 24, " APIC "310\n movl $0x4000 | " #vector ", " APIC "300\n"
extern const uint8_t g_ipi0[], g_ipi1[], g_timer[], g_irqfd[], g_touch[], g_dirty[], g_h40[],
	g_h41[], g_hff[];
CODE(flat,
     ".code32\n"
     "g_h40: movl $1, 0x500\n movl $0, " APIC "0b0\n iret\n"
     "g_h41: movl $1, 0x504\n movl $0, " APIC "0b0\n iret\n"
     "g_hff: iret\n"
     /* hlt_ipi, vCPU0: ESI round trips, report, until STOP; then wake vCPU1 to stop. */
     "g_ipi0:" SVR_ON
     "1: mov %esi, %ecx\n"
     "2: movl $0, 0x500\n" IPI(1, 0x41) WAIT(0x500, 3) " loop 2b\n"
     " out %al, $0x10\n cmpl $0, 0x508\n je 1b\n" IPI(1, 0x41) " out %al, $0x11\n hlt\n"
     /* hlt_ipi, vCPU1: wait for vCPU0's IPI, answer it, until STOP. */
     "g_ipi1:" SVR_ON " movl $1, 0x50c\n"
     "1:" WAIT(0x504, 2) " movl $0, 0x504\n cmpl $0, 0x508\n jne 3f\n" IPI(0, 0x40) " jmp 1b\n"
     "3: out %al, $0x11\n hlt\n"
     /* hlt_timer: ESI wakeups by a one-shot timer of EDX, then report; again. */
     "g_timer:" SVR_ON " movl $0xb, " APIC "3e0\n movl $0x40, " APIC "320\n"
     "1: mov %esi, %ecx\n"
     "2: movl $0, 0x500\n movl %edx, " APIC "380\n" WAIT(0x500, 3) " loop 2b\n"
     " out %al, $0x10\n jmp 1b\n"
     /* irqfd: report once the APIC is on, then each interrupt. */
     "g_irqfd:" SVR_ON " out %al, $0x10\n1:" WAIT(0x500, 2) " movl $0, 0x500\n out %al, $0x10\n jmp 1b\n"
     /* ECX pages from EDI: touch each, then report. */
     "g_touch: movb $1, (%edi)\n add $4096, %edi\n loop g_touch\n out %al, $0x10\n hlt\n"
     /* dirty_log: ESI pages EDX apart from EBX, then report; again. */
     "g_dirty: mov %ebx, %edi\n mov %esi, %ecx\n"
     "1: movb $1, (%edi)\n add %edx, %edi\n loop 1b\n out %al, $0x10\n jmp g_dirty\n");

static const char *row_name;
static uint64_t clock_cost; /* of one now_ns(), subtracted from single-call timings */

/* End this row's child with "row <name> n/a <why>". */
static void __attribute__((noreturn, format(printf, 1, 2))) na(const char *fmt, ...)
{
	va_list ap;

	printf("row %s n/a ", row_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void __attribute__((noreturn)) die(const char *what)
{
	na("%s: %s", what, strerror(errno));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static long nivcsw(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return ru.ru_nivcsw;
}

/* The machine's idle and I/O-wait time so far, in USER_HZ ticks (/proc/stat). */
static uint64_t idle_ticks(void)
{
	unsigned long long user, nice, sys, idle = 0, iowait = 0;
	FILE *f = fopen("/proc/stat", "r");

	if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait) != 5)
		idle = iowait = 0;
	if (f)
		fclose(f);
	return idle + iowait;
}

/* One row's figures, batch by batch. */
struct meas {
	int who; /* RUSAGE_THREAD or RUSAGE_SELF */
	uint64_t t_start, ns, units, idle_start;
	long csw_start;
	double least;
	unsigned int batches;
};

static void meas_begin(struct meas *m, int who)
{
	*m = (struct meas){ .who = who, .least = 1e18 };
	m->csw_start = nivcsw(who);
	m->idle_start = idle_ticks();
	m->t_start = now_ns();
}

static void meas_batch(struct meas *m, int64_t ns, uint64_t units)
{
	if (ns < 0)
		ns = 0;
	m->ns += ns;
	m->units += units;
	m->batches++;
	if ((double)ns / units < m->least)
		m->least = (double)ns / units;
}

static int meas_more(const struct meas *m)
{
	return m->batches < MIN_BATCHES || now_ns() - m->t_start < MIN_RUN_NS;
}

static void meas_print(const struct meas *m)
{
	long csw = nivcsw(m->who) - m->csw_start;
	double idle = (idle_ticks() - m->idle_start) * 1e9 / sysconf(_SC_CLK_TCK);
	uint64_t run = now_ns() - m->t_start;

	printf("row %s %.0f %.0f %.1f\n", row_name, (double)m->ns / m->units, m->least,
	       csw * 10000.0 / m->units);
	/*
	 * The emulator's clock runs on while the machine idles, so the figures
	 * include waits (a halted vCPU, a grace period); say how much.
	 */
	if (idle > run / 100)
		printf("note %s: the machine idled %.0f%% of the row's run (setup included)\n",
		       row_name, idle * 100 / run);
}

static int kvm;

static int cap(long c)
{
	return ioctl(kvm, KVM_CHECK_EXTENSION, c);
}

static void need_cap(long c, const char *name)
{
	if (cap(c) <= 0)
		na("no %s", name);
}

struct vm {
	int fd;
	uint8_t *mem;
	size_t mem_size;
	int own_mem; /* munmap mem at teardown */
};

struct vcpu {
	int fd;
	struct kvm_run *run;
};

static void set_slot(int vmfd, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = { .slot = slot, .flags = flags, .guest_phys_addr = gpa,
						 .memory_size = size,
						 .userspace_addr = (uint64_t)(uintptr_t)hva };

	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");
}

static void *map_anon(size_t size, int flags)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* A VM whose RAM at guest-physical 0 is @mem (NULL: fresh anonymous memory). */
static struct vm vm_create(size_t size, uint8_t *mem, int irqchip)
{
	struct vm vm = { .mem_size = size, .mem = mem };

	vm.fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm.fd < 0)
		die("KVM_CREATE_VM");
	if (irqchip && ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP");
	if (!mem) {
		vm.mem = map_anon(size, 0);
		vm.own_mem = 1;
	}
	set_slot(vm.fd, 0, 0, 0, size, vm.mem);
	return vm;
}

static struct vcpu vcpu_create(struct vm *vm, int id)
{
	struct vcpu v;
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	v.fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v.fd < 0)
		die("KVM_CREATE_VCPU");
	v.run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd, 0);
	if (v.run == MAP_FAILED)
		die("mmap kvm_run");
	return v;
}

static void vm_destroy(struct vm *vm, struct vcpu *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		munmap(v[i].run, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
		close(v[i].fd);
	}
	close(vm->fd);
	if (vm->own_mem)
		munmap(vm->mem, vm->mem_size);
}

/* Real mode at 0:0x1000 running @code. */
static void start_real(struct vm *vm, struct vcpu *v, const uint8_t *code, const uint8_t *end,
		       struct kvm_regs r)
{
	struct kvm_sregs s;

	memcpy(vm->mem + CODE_GPA, code, end - code);
	if (ioctl(v->fd, KVM_GET_SREGS, &s))
		die("KVM_GET_SREGS");
	s.cs.base = 0;
	s.cs.selector = 0;
	r.rip = CODE_GPA;
	r.rflags = 2;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) || ioctl(v->fd, KVM_SET_REGS, &r))
		die("KVM_SET_SREGS/REGS");
}

/* The host's supported CPUID as the vCPU's (64-bit mode needs CPUID's LM). */
static void set_supported_cpuid(struct vcpu *v)
{
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[256];
	} c = { .h = { .nent = 256 } };

	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &c) || ioctl(v->fd, KVM_SET_CPUID2, &c))
		die("KVM_GET_SUPPORTED_CPUID/KVM_SET_CPUID2");
}

/*
 * 64-bit mode at the start of @code (loaded at CODE_GPA), with the first
 * MiB identity-mapped by 4 KiB pages through four levels of tables at
 * PAGING_GPA, as a Linux guest's kernel runs: an exit that skips an
 * instruction walks all four to fetch it.
 */
#define PAGING_GPA 0x10000
static void start_long(struct vm *vm, struct vcpu *v, const uint8_t *code, const uint8_t *end,
		       struct kvm_regs r)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + PAGING_GPA), *pdpt = pml4 + 512, *pd = pdpt + 512,
		 *pt = pd + 512;
	struct kvm_segment seg = { .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1,
				   .s = 1, .db = 1, .g = 1 };
	struct kvm_sregs s;
	unsigned int i;

	memcpy(vm->mem + CODE_GPA, code, end - code);
	pml4[0] = (PAGING_GPA + 0x1000) | 3;
	pdpt[0] = (PAGING_GPA + 0x2000) | 3;
	pd[0] = (PAGING_GPA + 0x3000) | 3;
	for (i = 0; i < 256; i++)
		pt[i] = (uint64_t)i * 4096 | 3;
	set_supported_cpuid(v);
	if (ioctl(v->fd, KVM_GET_SREGS, &s))
		die("KVM_GET_SREGS");
	s.ds = s.es = s.fs = s.gs = s.ss = seg;
	seg.type = 0xb;
	seg.selector = 0x08;
	seg.db = 0;
	seg.l = 1;
	s.cs = seg;
	s.cr3 = PAGING_GPA;
	s.cr4 = 0x20;			/* PAE */
	s.efer = 0x500;			/* LME, LMA */
	s.cr0 = 0x80000011;		/* PG, ET, PE */
	r.rip = CODE_GPA;
	r.rflags = 2;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) || ioctl(v->fd, KVM_SET_REGS, &r))
		die("KVM_SET_SREGS/REGS");
}

static void put_gate(struct vm *vm, int vector, const uint8_t *handler)
{
	uint32_t off = CODE_GPA + (handler - flat_start);
	uint64_t gate = (off & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
			((uint64_t)(off >> 16) << 48);

	memcpy(vm->mem + IDT_GPA + vector * 8, &gate, 8);
}

/* 32-bit flat protected mode at @entry of the flat blob, interrupts off, stack at @esp. */
static void start_flat(struct vm *vm, struct vcpu *v, const uint8_t *entry, struct kvm_regs r,
		       uint32_t esp)
{
	static const uint64_t gdt[3] = { 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull };
	struct kvm_segment seg = { .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1,
				   .s = 1, .db = 1, .g = 1 };
	struct kvm_sregs s;

	memcpy(vm->mem + CODE_GPA, flat_start, flat_end - flat_start);
	memcpy(vm->mem + GDT_GPA, gdt, sizeof(gdt));
	put_gate(vm, 0x40, g_h40);
	put_gate(vm, 0x41, g_h41);
	put_gate(vm, 0xff, g_hff);
	if (ioctl(v->fd, KVM_GET_SREGS, &s))
		die("KVM_GET_SREGS");
	s.ds = s.es = s.fs = s.gs = s.ss = seg;
	seg.type = 0xb;
	seg.selector = 0x08;
	s.cs = seg;
	s.gdt.base = GDT_GPA;
	s.gdt.limit = sizeof(gdt) - 1;
	s.idt.base = IDT_GPA;
	s.idt.limit = 256 * 8 - 1;
	s.cr0 |= 1;
	r.rip = CODE_GPA + (entry - flat_start);
	r.rflags = 2;
	r.rsp = esp;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) || ioctl(v->fd, KVM_SET_REGS, &r))
		die("KVM_SET_SREGS/REGS");
}

static void run_expect(struct vcpu *v, uint32_t reason, uint16_t port)
{
	if (ioctl(v->fd, KVM_RUN, 0))
		die("KVM_RUN");
	if (v->run->exit_reason != reason ||
	    (reason == KVM_EXIT_IO && port && v->run->io.port != port))
		na("exit %u (port %#x), expected %u", v->run->exit_reason,
		   reason == KVM_EXIT_IO ? v->run->io.port : 0, reason);
}

/* KVM_RUN @per times per batch, each ending in a user-space exit. */
static void bench_user_exits(struct vcpu *v, uint32_t reason, int per)
{
	struct meas m;
	int i;

	for (i = 0; i < per; i++) /* warm up: the code page, caches */
		run_expect(v, reason, 0);
	meas_begin(&m, RUSAGE_THREAD);
	do {
		uint64_t t0 = now_ns();

		for (i = 0; i < per; i++)
			run_expect(v, reason, 0);
		meas_batch(&m, now_ns() - t0, per);
	} while (meas_more(&m));
	meas_print(&m);
}

/* The guest does @per units per KVM_RUN, reporting with an OUT to port 0x10. */
static void bench_guest_loop(struct vcpu *v, int per)
{
	struct meas m;

	run_expect(v, KVM_EXIT_IO, 0x10); /* warm up */
	meas_begin(&m, RUSAGE_THREAD);
	do {
		uint64_t t0 = now_ns();

		run_expect(v, KVM_EXIT_IO, 0x10);
		meas_batch(&m, now_ns() - t0, per);
	} while (meas_more(&m));
	meas_print(&m);
}

static void row_port_io(void)
{
	struct vm vm = vm_create(1 << 20, NULL, 0);
	struct vcpu v = vcpu_create(&vm, 0);

	start_real(&vm, &v, pio_start, pio_end, (struct kvm_regs){ 0 });
	bench_user_exits(&v, KVM_EXIT_IO, 1000);
}

static void row_mmio(void)
{
	struct vm vm = vm_create(1 << 19, NULL, 0); /* DS = 0x9000 points past RAM */
	struct vcpu v = vcpu_create(&vm, 0);

	start_real(&vm, &v, mmio_start, mmio_end, (struct kvm_regs){ 0 });
	bench_user_exits(&v, KVM_EXIT_MMIO, 1000);
}

static void row_cpuid(void)
{
	struct vm vm = vm_create(1 << 20, NULL, 0);
	struct vcpu v = vcpu_create(&vm, 0);

	start_real(&vm, &v, cpuid_start, cpuid_end, (struct kvm_regs){ .rdi = 1000 });
	bench_guest_loop(&v, 1000);
}

static void row_cpuid_long(void)
{
	struct vm vm = vm_create(1 << 20, NULL, 0);
	struct vcpu v = vcpu_create(&vm, 0);

	start_long(&vm, &v, cpuid64_start, cpuid64_end, (struct kvm_regs){ .rdi = 1000 });
	bench_guest_loop(&v, 1000);
}

static void row_ioeventfd(void)
{
	struct vm vm;
	struct vcpu v;
	struct kvm_ioeventfd io = { .addr = 0x5000, .len = 1, .flags = KVM_IOEVENTFD_FLAG_PIO };
	uint64_t count = 0, runs;
	struct meas m;

	need_cap(KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD");
	vm = vm_create(1 << 20, NULL, 0);
	v = vcpu_create(&vm, 0);
	io.fd = eventfd(0, EFD_NONBLOCK);
	if (io.fd < 0)
		die("eventfd");
	if (ioctl(vm.fd, KVM_IOEVENTFD, &io))
		die("KVM_IOEVENTFD");
	start_real(&vm, &v, ioev_start, ioev_end, (struct kvm_regs){ .rdi = 1000, .rdx = 0x5000 });
	run_expect(&v, KVM_EXIT_IO, 0x10); /* warm up */
	runs = 1;
	meas_begin(&m, RUSAGE_THREAD);
	do {
		uint64_t t0 = now_ns();

		run_expect(&v, KVM_EXIT_IO, 0x10);
		meas_batch(&m, now_ns() - t0, 1000);
		runs++;
	} while (meas_more(&m));
	meas_print(&m);
	if (read(io.fd, &count, 8) != 8 || count != runs * 1000)
		printf("note ioeventfd: the eventfd counted %llu writes of %llu\n",
		       (unsigned long long)count, (unsigned long long)runs * 1000);
}

/* One VM over @mem touching TOUCH_PAGES fresh pages: instructions per page, net of the loop. */
static int64_t touch_once(uint8_t *mem)
{
	struct vm vm = vm_create(TOUCH_SIZE, mem, 0);
	struct vcpu v = vcpu_create(&vm, 0);
	struct kvm_regs r = { .rcx = TOUCH_PAGES, .rdi = TOUCH_FROM };
	uint64_t t0, t1, t2, t3;

	start_flat(&vm, &v, g_touch, r, 0);
	t0 = now_ns();
	run_expect(&v, KVM_EXIT_IO, 0x10);
	t1 = now_ns();
	start_flat(&vm, &v, g_touch, r, 0); /* the same pages again: the loop alone */
	t2 = now_ns();
	run_expect(&v, KVM_EXIT_IO, 0x10);
	t3 = now_ns();
	vm_destroy(&vm, &v, 1);
	return (int64_t)(t1 - t0) - (int64_t)(t3 - t2);
}

static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/*
 * Every VM of the row maps the same memory, populated once by the VMM (2 MiB
 * aligned, so huge pages can back it), so a guest's touch costs the NPT
 * fault alone, not the host's page allocation.
 */
static void row_npt_fault(int huge)
{
	uint8_t *raw = map_anon(TOUCH_SIZE + (2u << 20), 0);
	uint8_t *mem = (uint8_t *)(((uintptr_t)raw + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
	struct meas m;

	if (madvise(mem, TOUCH_SIZE, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise");
	memset(mem, 0, TOUCH_SIZE);
	if (huge && anon_huge_kb() < (long)(TOUCH_SIZE >> 10) / 2)
		printf("note %s: only %ld KiB of %u KiB in huge pages\n", row_name, anon_huge_kb(),
		       TOUCH_SIZE >> 10);
	touch_once(mem); /* warm up */
	meas_begin(&m, RUSAGE_THREAD);
	do
		meas_batch(&m, touch_once(mem), TOUCH_PAGES);
	while (meas_more(&m));
	meas_print(&m);
}

static void row_npt_fault_4k(void)
{
	row_npt_fault(0);
}

static void row_npt_fault_thp(void)
{
	row_npt_fault(1);
}

static struct vm irq_vm(void)
{
	need_cap(KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP");
	return vm_create(1 << 20, NULL, 1);
}

static void *ipi_vcpu1(void *arg)
{
	struct vcpu *v = arg;

	run_expect(v, KVM_EXIT_IO, 0x11);
	return NULL;
}

static void row_hlt_ipi(void)
{
	struct vm vm = irq_vm();
	struct vcpu v[2] = { vcpu_create(&vm, 0), vcpu_create(&vm, 1) };
	struct kvm_mp_state runnable = { KVM_MP_STATE_RUNNABLE };
	volatile uint32_t *stop = (volatile uint32_t *)(vm.mem + STOP);
	const int per = 1000;
	pthread_t t;
	struct meas m;

	start_flat(&vm, &v[0], g_ipi0, (struct kvm_regs){ .rsi = per }, 0x8000);
	start_flat(&vm, &v[1], g_ipi1, (struct kvm_regs){ 0 }, 0x9000);
	/* An application processor waits for INIT/SIPI; start it at once. */
	if (ioctl(v[1].fd, KVM_SET_MP_STATE, &runnable))
		die("KVM_SET_MP_STATE");
	if (pthread_create(&t, NULL, ipi_vcpu1, &v[1]))
		na("pthread_create");
	while (!*(volatile uint32_t *)(vm.mem + READY))
		usleep(100);
	run_expect(&v[0], KVM_EXIT_IO, 0x10); /* warm up */
	meas_begin(&m, RUSAGE_SELF);
	do {
		uint64_t t0 = now_ns();

		run_expect(&v[0], KVM_EXIT_IO, 0x10);
		meas_batch(&m, now_ns() - t0, per);
	} while (meas_more(&m));
	meas_print(&m);
	*stop = 1;
	run_expect(&v[0], KVM_EXIT_IO, 0x11);
	pthread_join(t, NULL);
}

static void row_hlt_timer(void)
{
	struct vm vm = irq_vm();
	struct vcpu v = vcpu_create(&vm, 0);

	start_flat(&vm, &v, g_timer, (struct kvm_regs){ .rsi = 1000, .rdx = TIMER_COUNT }, 0x8000);
	bench_guest_loop(&v, 1000);
}

static void row_irqfd(void)
{
	struct {
		struct kvm_irq_routing h;
		struct kvm_irq_routing_entry e[1];
	} routes = { .h = { .nr = 1 },
		     .e = { { .gsi = 24, .type = KVM_IRQ_ROUTING_MSI,
			      .u.msi = { .address_lo = 0xfee00000, .data = 0x40 } } } };
	struct kvm_irqfd irqfd = { .gsi = 24 };
	const uint64_t one = 1;
	struct vm vm;
	struct vcpu v;
	struct meas m;
	int i;

	need_cap(KVM_CAP_IRQFD, "KVM_CAP_IRQFD");
	need_cap(KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING");
	vm = irq_vm();
	v = vcpu_create(&vm, 0);
	if (ioctl(vm.fd, KVM_SET_GSI_ROUTING, &routes))
		die("KVM_SET_GSI_ROUTING");
	irqfd.fd = eventfd(0, 0);
	if ((int)irqfd.fd < 0)
		die("eventfd");
	if (ioctl(vm.fd, KVM_IRQFD, &irqfd))
		die("KVM_IRQFD");
	start_flat(&vm, &v, g_irqfd, (struct kvm_regs){ 0 }, 0x8000);
	/* An interrupt sent before the guest turned its APIC on would be lost. */
	run_expect(&v, KVM_EXIT_IO, 0x10);
	for (i = 0; i < 1000; i++) { /* warm up */
		if (write(irqfd.fd, &one, 8) != 8)
			die("write eventfd");
		run_expect(&v, KVM_EXIT_IO, 0x10);
	}
	meas_begin(&m, RUSAGE_THREAD);
	do {
		uint64_t t0 = now_ns();

		for (i = 0; i < 1000; i++) {
			if (write(irqfd.fd, &one, 8) != 8)
				die("write eventfd");
			run_expect(&v, KVM_EXIT_IO, 0x10);
		}
		meas_batch(&m, now_ns() - t0, 1000);
	} while (meas_more(&m));
	meas_print(&m);
}

static void row_vm_lifecycle(void)
{
	uint8_t *mem = map_anon(64 << 10, 0);
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct meas m;
	int i;

	/* The reset vector, 0xfffffff0, is the slot's last 16 bytes. */
	memcpy(mem + 0xfff0, reset_start, reset_end - reset_start);
	meas_begin(&m, RUSAGE_THREAD);
	for (i = -1;; i++) {
		uint64_t t0 = now_ns();
		struct vm vm = { .fd = ioctl(kvm, KVM_CREATE_VM, 0), .mem = mem };
		struct vcpu v;

		if (vm.fd < 0)
			die("KVM_CREATE_VM");
		set_slot(vm.fd, 0, 0, 0xffff0000, 64 << 10, mem);
		v = vcpu_create(&vm, 0);
		run_expect(&v, KVM_EXIT_IO, 0x10);
		munmap(v.run, size);
		close(v.fd);
		close(vm.fd);
		if (i < 0) { /* warm up */
			meas_begin(&m, RUSAGE_THREAD);
			continue;
		}
		meas_batch(&m, now_ns() - t0, 1);
		if (!meas_more(&m))
			break;
	}
	meas_print(&m);
}

/* Add slot @n to a VM that has slots 0..n-1, time it, delete it; @per times per batch. */
static void row_memslot_add(unsigned int n)
{
	const unsigned int per = 10;
	int max = cap(KVM_CAP_NR_MEMSLOTS);
	uint8_t *mem;
	struct vm vm;
	struct meas m;
	unsigned int i;

	if (max < (int)n + 1)
		na("KVM_CAP_NR_MEMSLOTS is %d", max);
	/* One page per slot, 64 KiB apart in guest-physical memory. */
	mem = map_anon((size_t)(n + 1) << 12, MAP_NORESERVE);
	vm.fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm.fd < 0)
		die("KVM_CREATE_VM");
	for (i = 0; i < n; i++)
		set_slot(vm.fd, i, 0, (uint64_t)i << 16, 4096, mem + ((size_t)i << 12));
	set_slot(vm.fd, n, 0, (uint64_t)n << 16, 4096, mem + ((size_t)n << 12)); /* warm up */
	set_slot(vm.fd, n, 0, (uint64_t)n << 16, 0, mem + ((size_t)n << 12));
	meas_begin(&m, RUSAGE_THREAD);
	do {
		int64_t ns = 0;

		for (i = 0; i < per; i++) {
			uint64_t t0 = now_ns();

			set_slot(vm.fd, n, 0, (uint64_t)n << 16, 4096, mem + ((size_t)n << 12));
			ns += now_ns() - t0 - clock_cost;
			set_slot(vm.fd, n, 0, (uint64_t)n << 16, 0, mem + ((size_t)n << 12));
		}
		meas_batch(&m, ns, per);
	} while (meas_more(&m));
	meas_print(&m);
}

static void row_memslot_add_1(void)
{
	row_memslot_add(1);
}

static void row_memslot_add_100(void)
{
	row_memslot_add(100);
}

static void row_memslot_add_1000(void)
{
	row_memslot_add(1000);
}

static void row_dirty_log_1g(void)
{
	const uint64_t gpa = 1ull << 30, size = 1ull << 30, pages = size >> 12;
	struct kvm_enable_cap manual = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					 .args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE } };
	uint64_t *bitmap = calloc(pages / 64, 8);
	struct kvm_dirty_log get = { .slot = 1, .dirty_bitmap = (uintptr_t)bitmap };
	struct kvm_clear_dirty_log clear = { .slot = 1, .num_pages = pages,
					     .dirty_bitmap = (uintptr_t)bitmap };
	struct kvm_regs r = { .rbx = gpa, .rsi = DIRTY_PAGES, .rdx = size / DIRTY_PAGES };
	uint8_t *big;
	struct vm vm;
	struct vcpu v;
	struct meas m;
	int i, first = 1;

	need_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
	vm = vm_create(1 << 20, NULL, 0);
	if (ioctl(vm.fd, KVM_ENABLE_CAP, &manual))
		die("KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2)");
	/* Only the pages the guest touches are ever backed; no huge pages. */
	big = map_anon(size, MAP_NORESERVE);
	if (madvise(big, size, MADV_NOHUGEPAGE))
		die("madvise");
	set_slot(vm.fd, 1, KVM_MEM_LOG_DIRTY_PAGES, gpa, size, big);
	v = vcpu_create(&vm, 0);
	start_flat(&vm, &v, g_dirty, r, 0);
	for (;;) {
		uint64_t t0, dirty = 0;

		run_expect(&v, KVM_EXIT_IO, 0x10); /* untimed: the guest dirties its pages */
		t0 = now_ns();
		if (ioctl(vm.fd, KVM_GET_DIRTY_LOG, &get))
			die("KVM_GET_DIRTY_LOG");
		if (ioctl(vm.fd, KVM_CLEAR_DIRTY_LOG, &clear))
			die("KVM_CLEAR_DIRTY_LOG");
		if (first) { /* warm up */
			meas_begin(&m, RUSAGE_THREAD);
			first = 0;
			continue;
		}
		meas_batch(&m, now_ns() - t0 - clock_cost, 1);
		for (i = 0; i < (int)(pages / 64); i++)
			dirty += __builtin_popcountll(bitmap[i]);
		if (dirty != DIRTY_PAGES) {
			printf("note dirty_log_1g: %llu pages dirty, the guest wrote %u\n",
			       (unsigned long long)dirty, DIRTY_PAGES);
			break;
		}
		if (!meas_more(&m))
			break;
	}
	meas_print(&m);
}

static const struct {
	const char *name;
	void (*fn)(void);
} rows[] = {
	{ "port_io", row_port_io },
	{ "mmio", row_mmio },
	{ "cpuid", row_cpuid },
	{ "cpuid_long", row_cpuid_long },
	{ "npt_fault_4k", row_npt_fault_4k },
	{ "npt_fault_thp", row_npt_fault_thp },
	{ "hlt_ipi", row_hlt_ipi },
	{ "hlt_timer", row_hlt_timer },
	{ "irqfd", row_irqfd },
	{ "ioeventfd", row_ioeventfd },
	{ "vm_lifecycle", row_vm_lifecycle },
	{ "memslot_add_1", row_memslot_add_1 },
	{ "memslot_add_100", row_memslot_add_100 },
	{ "memslot_add_1000", row_memslot_add_1000 },
	{ "dirty_log_1g", row_dirty_log_1g },
};

/* The least cost of one now_ns(), for timings of single calls. */
static void calibrate_clock(void)
{
	uint64_t best = ~0ull;
	int i;

	for (i = 0; i < 1000; i++) {
		uint64_t t0 = now_ns(), t1 = now_ns();

		if (t1 - t0 < best)
			best = t1 - t0;
	}
	clock_cost = best;
}

/* Usage: exit_bench [ROW...]; no arguments: every row. */
int main(int argc, char **argv)
{
	unsigned int i;
	int j;

	setvbuf(stdout, NULL, _IOLBF, 0);
	calibrate_clock();
	printf("clock_cost %llu\n", (unsigned long long)clock_cost);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int status, wanted = argc < 2;
		pid_t pid;

		for (j = 1; j < argc; j++)
			wanted |= !strcmp(argv[j], rows[i].name);
		if (!wanted)
			continue;
		row_name = rows[i].name;
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			printf("row %s n/a fork: %s\n", row_name, strerror(errno));
			continue;
		}
		if (pid == 0) {
			kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
			if (kvm < 0)
				die("open /dev/kvm");
			alarm(ROW_TIMEOUT_S);
			rows[i].fn();
			exit(0);
		}
		if (waitpid(pid, &status, 0) != pid)
			printf("row %s n/a waitpid: %s\n", row_name, strerror(errno));
		else if (WIFSIGNALED(status))
			printf("row %s n/a killed by signal %d%s\n", row_name, WTERMSIG(status),
			       WTERMSIG(status) == SIGALRM ? " (timed out)" : "");
	}
	return 0;
}
