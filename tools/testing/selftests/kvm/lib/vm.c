// SPDX-License-Identifier: GPL-2.0
#include "vm.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>

static const char *exit_name(uint32_t r)
{
	static const char *names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_X86_RDMSR] = "X86_RDMSR", [KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	};
	return r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : "?";
}

struct vm *vm_with_ram(size_t mem_size)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct kvm_userspace_memory_region r = { 0 };

	ASSERT_TRUE(vm);
	vm->kvm = open_kvm();
	vm->fd = create_vm(vm->kvm);
	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(vm->mem != MAP_FAILED);
	r.memory_size = mem_size;
	r.userspace_addr = (uint64_t)(uintptr_t)vm->mem;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	return vm;
}

struct vcpu *vm_add_vcpu(struct vm *vm, int id)
{
	struct vcpu *v = calloc(1, sizeof(*v));

	ASSERT_TRUE(v);
	v->fd = create_vcpu(vm->fd, id);
	v->run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	ASSERT_TRUE(v->run != MAP_FAILED);
	return v;
}

void vm_load(struct vm *vm, uint64_t gpa, const void *start, const void *end)
{
	size_t n = (const uint8_t *)end - (const uint8_t *)start;

	ASSERT_TRUE(gpa + n <= vm->mem_size);
	memcpy(vm->mem + gpa, start, n);
}

void vcpu_real_mode(struct vcpu *vcpu, uint16_t ip)
{
	struct kvm_sregs s;
	struct kvm_regs r = { 0 };

	ASSERT_TRUE(ioctl(vcpu->fd, KVM_GET_SREGS, &s) == 0);
	s.cs.selector = 0;
	s.cs.base = 0;
	ASSERT_TRUE(ioctl(vcpu->fd, KVM_SET_SREGS, &s) == 0);
	r.rip = ip;
	r.rflags = 2;
	r.rsp = 0x7000;
	ASSERT_TRUE(ioctl(vcpu->fd, KVM_SET_REGS, &r) == 0);
}

void vm_report_exceptions(struct vm *vm, uint16_t stubs, uint8_t port)
{
	for (int vec = 0; vec < 32; vec++) {
		uint8_t stub[] = { 0xb0, (uint8_t)vec, 0xe6, port, 0xf4 }; /* mov al; out; hlt */
		uint16_t ivt[2] = { (uint16_t)(stubs + vec * 8), 0 };

		memcpy(vm->mem + stubs + vec * 8, stub, sizeof(stub));
		memcpy(vm->mem + vec * 4, ivt, sizeof(ivt));
	}
}

int vcpu_run(struct vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, 0) ? -errno : 0;
}

static void ignore_signal(int sig)
{
	(void)sig;
}

int vcpu_run_until_signal(struct vcpu *vcpu, long usec)
{
	struct itimerval t = { .it_value = { .tv_sec = usec / 1000000, .tv_usec = usec % 1000000 } };
	struct itimerval off = { 0 };
	int r;

	signal(SIGALRM, ignore_signal);
	if (setitimer(ITIMER_REAL, &t, NULL)) {
		test_fail(__FILE__, __LINE__, "setitimer: %s", strerror(errno));
		exit(1);
	}
	r = vcpu_run(vcpu);
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	return r;
}

void vcpu_run_expect(struct vcpu *vcpu, uint32_t reason)
{
	int r = vcpu_run(vcpu);

	if (r) {
		test_fail(__FILE__, __LINE__, "KVM_RUN failed: %s", strerror(-r));
		exit(1);
	}
	if (vcpu->run->exit_reason != reason) {
		struct kvm_regs regs = vcpu_regs(vcpu);

		test_fail(__FILE__, __LINE__, "exit %s (%u), expected %s; rip 0x%llx",
			  exit_name(vcpu->run->exit_reason), vcpu->run->exit_reason,
			  exit_name(reason), (unsigned long long)regs.rip);
		if (vcpu->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			printf("#   suberror %u ndata %u data0 0x%llx\n",
			       vcpu->run->internal.suberror, vcpu->run->internal.ndata,
			       (unsigned long long)vcpu->run->internal.data[0]);
		exit(1);
	}
}

struct kvm_regs vcpu_regs(struct vcpu *vcpu)
{
	struct kvm_regs r;

	ASSERT_TRUE(ioctl(vcpu->fd, KVM_GET_REGS, &r) == 0);
	return r;
}

uint8_t *vcpu_io_data(struct vcpu *vcpu)
{
	return (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
}

void set_gprs(struct vcpu *v, uint64_t rax, uint64_t rcx, uint64_t rdx)
{
	struct kvm_regs r = vcpu_regs(v);

	r.rax = rax;
	r.rcx = rcx;
	r.rdx = rdx;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
}

struct kvm_cpuid2 *alloc_cpuid(unsigned int n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	ASSERT_TRUE(c);
	c->nent = n;
	return c;
}

struct kvm_cpuid2 *supported_cpuid(int kvm)
{
	struct kvm_cpuid2 *c = alloc_cpuid(KVM_MAX_CPUID_ENTRIES);

	ASSERT_TRUE(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0);
	return c;
}

uint64_t get_msr(struct vcpu *v, uint32_t index)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { { .nmsrs = 1 }, { .index = index } };

	EXPECT_EQ(ioctl(v->fd, KVM_GET_MSRS, &m), 1);
	return m.e.data;
}

int set_msr(struct vcpu *v, uint32_t index, uint64_t data)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = {
		{ .nmsrs = 1 }, { .index = index, .data = data } };

	return ioctl(v->fd, KVM_SET_MSRS, &m);
}

struct vm *vm_with_irqchip(void)
{
	struct vm *vm = vm_with_ram(1 << 20);

	ASSERT_TRUE(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) == 0);
	return vm;
}

void set_apic_reg(struct vcpu *vcpu, unsigned int reg, uint32_t val)
{
	struct kvm_lapic_state s;

	ASSERT_TRUE(ioctl(vcpu->fd, KVM_GET_LAPIC, &s) == 0);
	memcpy(&s.regs[reg], &val, 4);
	ASSERT_TRUE(ioctl(vcpu->fd, KVM_SET_LAPIC, &s) == 0);
}

uint32_t apic_reg(struct vcpu *vcpu, unsigned int reg)
{
	struct kvm_lapic_state s;
	uint32_t val;

	ASSERT_TRUE(ioctl(vcpu->fd, KVM_GET_LAPIC, &s) == 0);
	memcpy(&val, &s.regs[reg], 4);
	return val;
}

int apic_irr(struct vcpu *vcpu, uint8_t vector)
{
	return (apic_reg(vcpu, APIC_IRR + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

uint64_t stats_value(int fd, const char *name)
{
	struct kvm_stats_header h;
	char buf[16 + 48];
	uint32_t i;
	uint64_t v;

	ASSERT_TRUE(pread(fd, &h, sizeof(h), 0) == sizeof(h));
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)buf;

		ASSERT_TRUE(pread(fd, buf, sizeof(buf), h.desc_offset + i * sizeof(buf)) ==
			    sizeof(buf));
		if (strcmp(buf + 16, name))
			continue;
		ASSERT_TRUE(pread(fd, &v, 8, h.data_offset + d->offset) == 8);
		return v;
	}
	test_fail(__FILE__, __LINE__, "no statistic %s", name);
	exit(1);
}
