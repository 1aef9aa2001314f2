// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guests, deterministic from a seed. Each episode, in its own
 * process under a watchdog, builds a VM (sometimes with the in-kernel
 * irqchip and PIT) whose vCPUs run semi-random code in real, 32-bit
 * protected or 64-bit long mode:
 *   - privileged instructions, MSR reads and writes of interesting MSRs,
 *     CR and DR moves, segment and descriptor-table loads, CPUID, HLT,
 *     software interrupts, SVM instructions, XSETBV, string I/O;
 *   - port I/O to the in-kernel devices (PIC, PIT, speaker port) and to
 *     nothing, MMIO to the local APIC, the I/O APIC and unbacked addresses;
 *   - random bytes between them;
 * with state made invalid now and then through KVM_SET_SREGS, KVM_SET_REGS
 * and KVM_SET_VCPU_EVENTS, and interrupt and NMI storms: a thread signals
 * irqfds routed as MSIs and raises IRQ lines while the main thread injects
 * NMIs. Exceptions land in handlers that report their vector with an OUT;
 * a shutdown or an emulation failure puts the vCPU back in its mode at a
 * random place. Every KVM_RUN must return (a timer ends it); the host's
 * health is judged by the runner after the test.
 *   guest_fuzz [episodes [seed [first]]]   (default: 60 episodes, seed 1)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "lib/fuzz.h"
#include "lib/vm.h"

#define WATCHDOG_S 30
#define RUNS_PER_EPISODE 300
#define RAM_SIZE (4u << 20)
#define CODE_GPA 0x20000u
#define CODE_SIZE 0x10000u
#define STUBS_GPA 0x3000u
#define GDT_GPA 0x500u
#define IDT_GPA 0x1000u
#define TABLES_GPA 0x10000u
#define TSS_GPA 0x4000u
#define REPORT_PORT 0xf0
#define RUN_SLICE_US 3000

#define CR0_PE 1ull
#define CR0_ET (1ull << 4)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

enum mode { REAL, PROT32, LONG64, NMODES };

static int verbose; /* FUZZ_VERBOSE=2: every KVM_RUN */

struct counts {
	unsigned long runs, exits, reasons[64], resets, nmis, irqs;
};
static struct counts *counts;

/* ---- guest code: gadgets from a palette, random bytes between ---- */

static uint8_t *code;
static size_t at;

static void emit(const uint8_t *b, size_t n)
{
	if (at + n > CODE_SIZE - 8)
		return;
	memcpy(code + at, b, n);
	at += n;
}

static void emit1(uint8_t a)
{
	emit(&a, 1);
}

static void emit_imm32(uint8_t op, uint32_t imm)
{
	uint8_t b[5] = { op };

	memcpy(b + 1, &imm, 4);
	emit(b, 5);
}

static uint32_t interesting_msr(void)
{
	static const uint32_t msrs[] = {
		0x10,	    0x1b,	0x3a,	    0x48,	0x8b,	    0xfe,
		0x174,	    0x175,	0x176,	    0x179,	0x17a,	    0x1a0,
		0x1d9,	    0x200,	0x277,	    0x2ff,	0x400,	    0x6e0,
		0x802,	    0x808,	0x80b,	    0x830,	0x838,	    0x83f,
		0xc0000080, 0xc0000081, 0xc0000082, 0xc0000084, 0xc0000100, 0xc0000101,
		0xc0000102, 0xc0000103, 0xc0010015, 0xc0010117, 0x4b564d00, 0x4b564d01,
		0x4b564d02, 0x4b564d03, 0x4b564d04, 0x40000000, 0x12,	    0xffffffff,
	};

	return chance(90) ? msrs[below(sizeof(msrs) / sizeof(msrs[0]))] : (uint32_t)rnd();
}

static uint32_t interesting_value(void)
{
	static const uint32_t v[] = { 0, 1, 0x11, 0x80000000, 0x80000011, 0xffffffff, 0x20,
				      0x30, 0x400, 0x800, 0x1000, 0xfee00900, 0xfee00800 };

	return chance(70) ? v[below(sizeof(v) / sizeof(v[0]))] : (uint32_t)rnd();
}

static void gadget(void)
{
	static const uint8_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43,
					 0x61, 0x70, 0x71, 0x80, 0x92, 0xf0, 0x10, 0xff };
	static const uint32_t mmio[] = { 0xfee00000, 0xfee000b0, 0xfee00300, 0xfee00310,
					 0xfee00320, 0xfee00380, 0xfee00080, 0xfee000f0,
					 0xfec00000, 0xfec00010, 0xd0000000, 0xffff0000 };

	switch (below(24)) {
	case 0: emit_imm32(0xb8, interesting_value()); break;	 /* mov $v, %eax */
	case 1: emit_imm32(0xb9, interesting_msr()); break;	 /* mov $msr, %ecx */
	case 2: emit_imm32(0xba, interesting_value()); break;	 /* mov $v, %edx */
	case 3: emit(chance(50) ? (uint8_t[]){ 0x0f, 0x32 } : (uint8_t[]){ 0x0f, 0x30 }, 2); break;
	case 4: { /* out %al/%ax, $port, or in */
		uint8_t b[2] = { (uint8_t)(0xe4 + below(4)), ports[below(sizeof(ports))] };

		emit(b, 2);
		break;
	}
	case 5: { /* mov $addr, %ebx; mov %eax, (%ebx) or back */
		emit_imm32(0xbb, mmio[below(sizeof(mmio) / sizeof(mmio[0]))] + 4 * (uint32_t)below(4));
		emit(chance(60) ? (uint8_t[]){ 0x89, 0x03 } : (uint8_t[]){ 0x8b, 0x03 }, 2);
		break;
	}
	case 6: { /* mov %eax, %crN / mov %crN, %eax */
		static const uint8_t crs[] = { 0xc0, 0xd0, 0xd8, 0xe0 };
		uint8_t b[3] = { 0x0f, (uint8_t)(chance(50) ? 0x22 : 0x20), crs[below(4)] };

		emit(b, 3);
		break;
	}
	case 7: { /* mov %eax, %drN / back */
		uint8_t b[3] = { 0x0f, (uint8_t)(chance(50) ? 0x23 : 0x21), (uint8_t)(0xc0 | below(8) << 3) };

		emit(b, 3);
		break;
	}
	case 8: emit((uint8_t[]){ 0x0f, 0xa2 }, 2); break; /* cpuid */
	case 9: emit1(0xf4); break;			   /* hlt */
	case 10: { /* int $n, int3, into */
		uint8_t b[2] = { 0xcd, (uint8_t)below(256) };

		if (chance(70))
			emit(b, 2);
		else
			emit1(chance(50) ? 0xcc : 0xce);
		break;
	}
	case 11: emit1(chance(50) ? 0xfb : 0xfa); break; /* sti / cli */
	case 12: { /* an SVM, VMX or system instruction */
		static const uint8_t ops[][3] = {
			{ 0x0f, 0x01, 0xd8 }, { 0x0f, 0x01, 0xd9 }, { 0x0f, 0x01, 0xda },
			{ 0x0f, 0x01, 0xdb }, { 0x0f, 0x01, 0xdc }, { 0x0f, 0x01, 0xdd },
			{ 0x0f, 0x01, 0xde }, { 0x0f, 0x01, 0xdf }, { 0x0f, 0x01, 0xc1 },
			{ 0x0f, 0x01, 0xd1 }, { 0x0f, 0x01, 0xd0 }, { 0x0f, 0x01, 0xc8 },
			{ 0x0f, 0x01, 0xc9 }, { 0x0f, 0x01, 0xf9 }, { 0x0f, 0x01, 0xf8 },
			{ 0x0f, 0x31, 0x90 }, { 0x0f, 0x33, 0x90 }, { 0x0f, 0x09, 0x90 },
			{ 0x0f, 0x08, 0x90 }, { 0x0f, 0x0b, 0x90 }, { 0x0f, 0x05, 0x90 },
			{ 0x0f, 0x34, 0x90 }, { 0x0f, 0x07, 0x90 }, { 0x0f, 0x35, 0x90 },
		};

		emit(ops[below(sizeof(ops) / 3)], 3);
		break;
	}
	case 13: { /* lgdt/lidt/lldt/ltr/invlpg/sgdt through (%ebx), after pointing it */
		static const uint8_t modrm[] = { 0x13, 0x1b, 0x3b, 0x03, 0x0b };

		emit_imm32(0xbb, chance(70) ? (uint32_t)below(RAM_SIZE) : interesting_value());
		if (chance(70)) {
			uint8_t b[3] = { 0x0f, 0x01, modrm[below(sizeof(modrm))] };

			emit(b, 3);
		} else if (chance(50)) {
			static const uint8_t lldt[3] = { 0x0f, 0x00, 0xd0 }; /* lldt %ax */

			emit(lldt, 3);
		} else {
			/*
			 * or $8, %al; ltr %ax: never a null selector. The test
			 * machine's emulator (QEMU 7.2's TCG) loads an invalid
			 * TR from one (hardware raises #GP), and aborts ("qemu:
			 * fatal: invalid tss") at the next stack switch through
			 * it, as from virtual-8086 mode.
			 */
			static const uint8_t ltr[5] = { 0x0c, 0x08, 0x0f, 0x00, 0xd8 };

			emit(ltr, 5);
		}
		break;
	}
	case 14: { /* a segment register from %ax */
		uint8_t b[2] = { 0x8e, (uint8_t)(0xc0 | below(6) << 3) };

		emit(b, 2);
		break;
	}
	case 15: { /* string I/O and moves, maybe repeated */
		static const uint8_t ops[] = { 0x6c, 0x6d, 0x6e, 0x6f, 0xa4, 0xa5, 0xaa, 0xab };

		emit_imm32(0xb9, (uint32_t)below(64));
		if (chance(50))
			emit1(0xf3);
		emit1(ops[below(sizeof(ops))]);
		break;
	}
	case 16: emit((uint8_t[]){ 0x9c, 0x58, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x50, 0x9d }, 9);
		break; /* pushf; pop; or $TF; push; popf: single steps */
	case 17: emit1(0xcf); break; /* iret */
	case 18: { /* a far jump or call to a random selector */
		uint8_t b[7] = { 0xea };
		uint32_t off = CODE_GPA + (uint32_t)below(CODE_SIZE);
		uint16_t sel = (uint16_t)(chance(60) ? 8 * below(4) : rnd());

		memcpy(b + 1, &off, 4);
		memcpy(b + 5, &sel, 2);
		emit(b, 7);
		break;
	}
	case 19: { /* out %al, (%dx) with DX a device port */
		emit((uint8_t[]){ 0x66, 0xba }, 2);
		uint16_t port = chance(50) ? ports[below(sizeof(ports))] : (uint16_t)rnd();

		emit((uint8_t *)&port, 2);
		emit1(chance(50) ? 0xee : 0xec);
		break;
	}
	case 20: { /* a short jump */
		uint8_t b[2] = { 0xeb, (uint8_t)below(64) };

		emit(b, 2);
		break;
	}
	default: { /* random bytes */
		size_t n = 1 + below(6);

		for (size_t i = 0; i < n; i++)
			emit1((uint8_t)rnd());
		break;
	}
	}
}

static void build_code(uint8_t *mem)
{
	code = mem + CODE_GPA;
	at = 0;
	while (at < CODE_SIZE - 16)
		gadget();
	/* Back to the start. */
	code[at] = 0xe9;
	uint32_t back = (uint32_t)-(int32_t)(at + 5);

	memcpy(code + at + 1, &back, 4);
}

/* ---- the modes, set with KVM_SET_SREGS ---- */

/* Exception and interrupt handlers: report the vector, then halt. */
static void build_handlers(uint8_t *mem, enum mode m)
{
	uint64_t *gdt = (uint64_t *)(mem + GDT_GPA);

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull; /* 0x08: 32-bit code */
	gdt[2] = 0x00cf93000000ffffull; /* 0x10: data */
	gdt[3] = 0x00af9b000000ffffull; /* 0x18: 64-bit code */
	for (unsigned int v = 0; v < 256; v++) {
		uint32_t stub = STUBS_GPA + v * 8;
		uint8_t s[] = { 0xb0, (uint8_t)v, 0xe6, REPORT_PORT, 0xf4, 0xeb, 0xfd };

		memcpy(mem + stub, s, sizeof(s));
		if (m == REAL) {
			uint16_t ivt[2] = { (uint16_t)stub, 0 };

			memcpy(mem + v * 4, ivt, 4);
		} else if (m == PROT32) {
			uint64_t g = (stub & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
				     ((uint64_t)(stub >> 16) << 48);

			memcpy(mem + IDT_GPA + v * 8, &g, 8);
		} else {
			uint64_t g[2] = { (stub & 0xffff) | (0x18ull << 16) | (0x8eull << 40) |
						  ((uint64_t)(stub >> 16) << 48),
					  0 };

			memcpy(mem + IDT_GPA + v * 16, g, 16);
		}
	}
}

static void build_tables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + TABLES_GPA), *pdpt = pml4 + 512, *pd = pdpt + 512;

	memset(pml4, 0, 3 * 4096);
	pml4[0] = (TABLES_GPA + 0x1000) | 3;
	pdpt[0] = (TABLES_GPA + 0x2000) | 3;
	pdpt[3] = (TABLES_GPA + 0x2000) | 3; /* 3-4 GiB too: the APICs */
	for (int i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	/* 0xfec00000 and 0xfee00000 through pdpt[3]: pd[502] and pd[503]. */
	pd[502] = 0xfec00000ull | 0x83;
	pd[503] = 0xfee00000ull | 0x83;
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, int db, int l)
{
	struct kvm_segment s = { .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
				 .present = 1, .s = 1, .g = 1, .db = (uint8_t)db, .l = (uint8_t)l };
	return s;
}

static void set_mode(int vcpu, uint8_t *mem, enum mode m)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rflags = 2, .rsp = 0x9000 };

	if (ioctl(vcpu, KVM_GET_SREGS, &s))
		return;
	r.rip = CODE_GPA + below(CODE_SIZE);
	if (m == REAL) {
		s.cs.selector = (uint16_t)(CODE_GPA >> 4);
		s.cs.base = CODE_GPA;
		r.rip -= CODE_GPA;
		s.cr0 = CR0_ET;
		s.cr4 = s.efer = 0;
		s.idt.base = 0;
		s.idt.limit = 0x3ff;
	} else {
		s.cs = m == LONG64 ? seg(0x18, 0xb, 0, 1) : seg(0x08, 0xb, 1, 0);
		s.ds = s.es = s.ss = s.fs = s.gs = seg(0x10, 0x3, 1, 0);
		s.gdt.base = GDT_GPA;
		s.gdt.limit = 4 * 8 - 1;
		s.idt.base = IDT_GPA;
		s.idt.limit = m == LONG64 ? 256 * 16 - 1 : 256 * 8 - 1;
		s.cr0 = CR0_PE | CR0_ET;
		s.cr4 = s.efer = 0;
		if (m == LONG64) {
			build_tables(mem);
			s.cr3 = TABLES_GPA;
			s.cr0 |= CR0_PG;
			s.cr4 = CR4_PAE;
			s.efer = EFER_LME | EFER_LMA;
		}
	}
	/*
	 * A TSS for stack switches from CPL 3 (virtual-8086 mode, or code a
	 * random GDT makes CPL 3). The test machine's emulator (QEMU 7.2's TCG)
	 * aborts ("qemu: fatal: invalid tss type") on such a switch unless TR
	 * holds an available 32-bit TSS type, which is what its own LTR leaves
	 * there; it checks no type in 64-bit mode.
	 */
	s.tr = seg(0x20, m == LONG64 ? 0xb : 0x9, 0, 0);
	s.tr.s = 0;
	s.tr.g = 0;
	s.tr.base = TSS_GPA;
	s.tr.limit = 0x67;
	/* Now and then, state no guest could reach: the kernel must cope. */
	if (chance(10)) {
		struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.ss, &s.es, &s.ldt };
		struct kvm_segment *x = segs[below(5)];

		switch (below(6)) {
		case 0: x->type = (uint8_t)below(16); break;
		case 1: x->present = 0; break;
		case 2: x->limit = (uint32_t)rnd(); break;
		case 3: s.cr0 ^= 1ull << below(32); break;
		case 4: s.cr4 ^= 1ull << below(24); break;
		default: s.efer ^= 1ull << below(16); break;
		}
	}
	/*
	 * The test machine's emulator (QEMU 7.2's TCG) wedges the host CPU on
	 * any #VMEXIT from a guest with EFER.LME set while CR0.PG and CR4.PAE
	 * are clear: it restores the host's CR0 while the guest's CR4 is still
	 * loaded, refuses to enable paging without PAE, and leaves the host
	 * running with paging off. Stock KVM wedges the same way; hardware
	 * does not. So no guest is given that state, nor EFER.LME with paging
	 * off at all: one random CR4 write of its code would complete it.
	 */
	if ((s.efer & EFER_LME) && !(s.cr0 & CR0_PG))
		s.efer &= ~(EFER_LME | EFER_LMA);
	ioctl(vcpu, KVM_SET_SREGS, &s);
	if (chance(10))
		r.rflags = rnd() & 0x3f7fd7 & ~0x20000ull; /* not VM: see TR above */
	r.rax = rnd();
	r.rbx = below(RAM_SIZE);
	r.rsi = below(RAM_SIZE);
	r.rdi = below(RAM_SIZE);
	ioctl(vcpu, KVM_SET_REGS, &r);
	if (chance(10)) {
		struct kvm_vcpu_events e;

		if (ioctl(vcpu, KVM_GET_VCPU_EVENTS, &e) == 0) {
			e.exception.injected = (uint8_t)chance(50);
			e.exception.nr = (uint8_t)below(32);
			e.exception.has_error_code = (uint8_t)chance(50);
			e.nmi.pending = (uint8_t)chance(50);
			e.interrupt.injected = (uint8_t)chance(30);
			e.interrupt.nr = (uint8_t)rnd();
			e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
			ioctl(vcpu, KVM_SET_VCPU_EVENTS, &e);
		}
	}
}

/* ---- interrupt storms ---- */

struct storm {
	int vm;
	int efd[4];
	volatile int on;
};

static void *storm_thread(void *arg)
{
	struct storm *st = arg;
	uint64_t one = 1;
	sigset_t alarm;

	/* The timer that ends KVM_RUN is the main thread's. */
	sigemptyset(&alarm);
	sigaddset(&alarm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alarm, NULL);
	while (st->on) {
		switch (below(4)) {
		case 0:
		case 1:
			if (write(st->efd[below(4)], &one, 8) < 0)
				errno = 0;
			break;
		case 2: {
			struct kvm_irq_level l = { .irq = (uint32_t)below(24), .level = (uint32_t)below(2) };

			ioctl(st->vm, KVM_IRQ_LINE, &l);
			break;
		}
		default: {
			struct kvm_msi msi = { .address_lo = 0xfee00000 | (uint32_t)below(2) << 12,
					       .data = (uint32_t)below(256) | (uint32_t)below(8) << 8 };

			ioctl(st->vm, KVM_SIGNAL_MSI, &msi);
			break;
		}
		}
		counts->irqs++;
		usleep((useconds_t)below(300));
	}
	return NULL;
}

/* Four irqfds routed as MSIs to random vectors (and delivery modes). */
static void wire_storm(struct storm *st)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[4];
	} table = { 0 };

	table.r.nr = 4;
	for (int i = 0; i < 4; i++) {
		struct kvm_irqfd irqfd = { .gsi = 32 + (uint32_t)i };

		table.e[i].gsi = 32 + (uint32_t)i;
		table.e[i].type = KVM_IRQ_ROUTING_MSI;
		table.e[i].u.msi.address_lo = 0xfee00000 | (uint32_t)below(2) << 12;
		table.e[i].u.msi.data = (uint32_t)below(256) | (uint32_t)below(8) << 8;
		st->efd[i] = eventfd(0, EFD_NONBLOCK);
		irqfd.fd = (uint32_t)st->efd[i];
		ioctl(st->vm, KVM_IRQFD, &irqfd);
	}
	ioctl(st->vm, KVM_SET_GSI_ROUTING, &table);
}

/* ---- episodes ---- */

static void run_episode(void)
{
	enum mode m = (enum mode)below(NMODES);
	struct vm *vm = vm_with_ram(RAM_SIZE);
	struct vcpu *v[2];
	int nvcpus = 1 + (int)chance(30);
	int irqchip = chance(70);
	struct storm st = { .vm = vm->fd, .on = 0 };
	pthread_t storm;
	int i;

	for (i = 0; i < (int)RAM_SIZE; i += 8) {
		uint64_t r = rnd();

		memcpy(vm->mem + i, &r, 8);
	}
	build_code(vm->mem);
	build_handlers(vm->mem, m);
	if (irqchip) {
		ASSERT_TRUE(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) == 0);
		if (chance(50)) {
			struct kvm_pit_config pit = { 0 };

			ioctl(vm->fd, KVM_CREATE_PIT2, &pit);
		}
	}
	for (i = 0; i < nvcpus; i++) {
		v[i] = vm_add_vcpu(vm, i);
		set_mode(v[i]->fd, vm->mem, m);
	}
	if (irqchip && chance(70)) {
		wire_storm(&st);
		st.on = 1;
		ASSERT_TRUE(pthread_create(&storm, NULL, storm_thread, &st) == 0);
	}
	if (verbose)
		printf("#  mode %d, %d vCPUs, irqchip %d, storm %d\n", m, nvcpus, irqchip, st.on);
	for (i = 0; i < RUNS_PER_EPISODE; i++) {
		struct vcpu *c = v[below(nvcpus)];
		struct itimerval t = { .it_value = { .tv_usec = 1 + below(RUN_SLICE_US) },
				       .it_interval = { .tv_usec = RUN_SLICE_US } };
		struct itimerval off = { 0 };
		int r;

		if (irqchip && chance(5)) {
			ioctl(c->fd, KVM_NMI, 0);
			counts->nmis++;
		}
		setitimer(ITIMER_REAL, &t, NULL);
		counts->runs++;
		if (verbose) {
			struct kvm_regs regs;
			struct kvm_sregs sregs;

			ioctl(c->fd, KVM_GET_REGS, &regs);
			ioctl(c->fd, KVM_GET_SREGS, &sregs);
			printf("#  run %d vcpu %d: rip %#llx rflags %#llx cs %#x/%#llx cr0 %#llx efer %#llx\n", i,
			       c == v[0] ? 0 : 1, (unsigned long long)regs.rip,
			       (unsigned long long)regs.rflags, sregs.cs.selector,
			       (unsigned long long)sregs.cs.base, (unsigned long long)sregs.cr0,
			       (unsigned long long)sregs.efer);
			fflush(stdout);
		}
		r = ioctl(c->fd, KVM_RUN, 0);
		setitimer(ITIMER_REAL, &off, NULL);
		if (verbose) {
			printf("#   -> %d exit %u\n", r, c->run->exit_reason);
			fflush(stdout);
		}
		if (r)
			continue;
		counts->exits++;
		counts->reasons[c->run->exit_reason & 63]++;
		switch (c->run->exit_reason) {
		case KVM_EXIT_IO:
			if (c->run->io.direction == KVM_EXIT_IO_IN)
				memset((uint8_t *)c->run + c->run->io.data_offset, (int)rnd(),
				       (size_t)c->run->io.size * c->run->io.count);
			if (c->run->io.port != REPORT_PORT)
				break;
			/* An exception or interrupt handler ran: go on elsewhere. */
			/* fallthrough */
		case KVM_EXIT_SHUTDOWN:
		case KVM_EXIT_INTERNAL_ERROR:
		case KVM_EXIT_FAIL_ENTRY:
		case KVM_EXIT_HLT:
			set_mode(c->fd, vm->mem, chance(80) ? m : (enum mode)below(NMODES));
			counts->resets++;
			break;
		case KVM_EXIT_MMIO:
			if (!c->run->mmio.is_write)
				memset(c->run->mmio.data, (int)rnd(), sizeof(c->run->mmio.data));
			break;
		default: break;
		}
	}
	if (st.on) {
		st.on = 0;
		pthread_join(storm, NULL);
	}
	/* Closing is left to process exit: in any order the kernel picks. */
}

static void one_episode(unsigned long n)
{
	(void)n;
	verbose = getenv("FUZZ_VERBOSE") && atoi(getenv("FUZZ_VERBOSE")) >= 2;
	run_episode();
}

static void summary(void)
{
	printf("# %d runs per episode: %lu KVM_RUN, %lu exits to user space, %lu resets, %lu "
	       "NMIs, %lu interrupts raised\n",
	       RUNS_PER_EPISODE, counts->runs, counts->exits, counts->resets, counts->nmis,
	       counts->irqs);
	fuzz_print_reasons(counts->reasons);
}

int main(int argc, char **argv)
{
	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_TRUE(counts != MAP_FAILED);
	return fuzz_main("guest_fuzz", argc, argv, 60, WATCHDOG_S, one_episode, summary);
}
