// SPDX-License-Identifier: GPL-2.0
/*
 * The paravirtual interface: KVM CPUID features, kvmclock (the guest's
 * pvclock structure against KVM_GET_CLOCK), the wall clock, enforcement of
 * the KVM features (KVM_CAP_ENFORCE_PV_FEATURE_CPUID), hypercalls and VMCALL
 * patching (KVM_X86_QUIRK_FIX_HYPERCALL_INSN), HLT without exits
 * (KVM_CAP_X86_DISABLE_EXITS) and the vCPU TSC offset attribute. Real-mode
 * guests report by port I/O; every ioctl's errors are checked.
 */
#include <sys/mman.h>
#include <time.h>
#include <x86intrin.h>

#include "lib/vm.h"

#define PORT_OUT 0x10
#define PORT_EXCEPTION 0xe0
#define STUBS 0x3000 /* one exception stub per vector, 8 bytes apart */
#define DATA 0x4000  /* pvclock structures and hypercall output */
#define CODE 0x1000

#define NS 1000000000ull

/* WRMSR of ECX with EDX:EAX, then RDTSC reported as two OUTs. */
GUEST_CODE(g_wrmsr_rdtsc, ".code16\n wrmsr\n rdtsc\n out %eax, $0x10\n mov %edx, %eax\n"
	   " out %eax, $0x10\n hlt\n");
GUEST_CODE(g_rdmsr, ".code16\n rdmsr\n out %eax, $0x10\n hlt\n");
GUEST_CODE(g_rdtsc, ".code16\n rdtsc\n out %eax, $0x10\n mov %edx, %eax\n out %eax, $0x10\n hlt\n");
GUEST_CODE(g_vmmcall, ".code16\n vmmcall\n out %eax, $0x10\n hlt\n");
GUEST_CODE(g_vmcall, ".code16\n vmcall\n out %eax, $0x10\n hlt\n");
GUEST_CODE(g_hlt_out, ".code16\n hlt\n mov $0x5a, %al\n out %al, $0x10\n hlt\n");

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

/* A VM in real mode whose exceptions report their vector on PORT_EXCEPTION. */
static struct vcpu *guest(struct vm **vmp, const void *start, const void *end)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	for (int vec = 0; vec < 32; vec++) {
		uint8_t stub[] = { 0xb0, (uint8_t)vec, 0xe6, PORT_EXCEPTION, 0xf4 };
		uint16_t ivt[2] = { (uint16_t)(STUBS + vec * 8), 0 };

		memcpy(vm->mem + STUBS + vec * 8, stub, sizeof(stub));
		memcpy(vm->mem + vec * 4, ivt, sizeof(ivt));
	}
	vm_load(vm, CODE, start, end);
	vcpu_real_mode(v, CODE);
	*vmp = vm;
	return v;
}

/* RAX (the hypercall number), RBX, RCX and RDX: its arguments. */
static void set_hypercall_regs(struct vcpu *v, uint64_t rax, uint64_t rbx, uint64_t rcx, uint64_t rdx)
{
	struct kvm_regs r = vcpu_regs(v);

	r.rax = rax;
	r.rbx = rbx;
	r.rcx = rcx;
	r.rdx = rdx;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_REGS, &r) == 0);
}

static uint32_t next_out(struct vcpu *v)
{
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, PORT_OUT);
	return *(uint32_t *)vcpu_io_data(v);
}

static int next_exception(struct vcpu *v)
{
	vcpu_run_expect(v, KVM_EXIT_IO);
	if (v->run->io.port != PORT_EXCEPTION)
		return -1;
	return vcpu_io_data(v)[0];
}

static int enable_cap(int fd, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg0 } };

	return ioctl(fd, KVM_ENABLE_CAP, &c);
}

static struct kvm_clock_data get_clock(struct vm *vm)
{
	struct kvm_clock_data d;

	memset(&d, 0xa5, sizeof(d));
	ASSERT_TRUE(ioctl(vm->fd, KVM_GET_CLOCK, &d) == 0);
	return d;
}

/* Whether the host's clocksource is the TSC (kvmclock is then stable). */
static int host_clock_is_tsc(void)
{
	char name[32] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	if (!f)
		return 0;
	if (!fgets(name, sizeof(name), f))
		name[0] = 0;
	fclose(f);
	return strcmp(name, "tsc\n") == 0;
}

/* What a guest computes from its pvclock structure (msr.rst). */
static uint64_t pvclock_read(const struct pvclock_vcpu_time_info *t, uint64_t tsc)
{
	uint64_t delta = tsc - t->tsc_timestamp;

	if (t->tsc_shift >= 0)
		delta <<= t->tsc_shift;
	else
		delta >>= -t->tsc_shift;
	return t->system_time + (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
}

static void test_caps(void)
{
	int kvm = open_kvm();
	int vm = create_vm(kvm);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK),
		  KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ENABLE_CAP), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_ATTRIBUTES), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ENFORCE_PV_FEATURE_CPUID), 1);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2),
		  KVM_X86_QUIRK_FIX_HYPERCALL_INSN);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_DISABLE_EXITS),
		  KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE);
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS), 0);
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2),
		  KVM_X86_QUIRK_FIX_HYPERCALL_INSN);
	/* Only honoured quirks may be disabled; only valid exits. */
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_LINT0_REENABLED), EINVAL);
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_DISABLE_QUIRKS, KVM_X86_QUIRK_FIX_HYPERCALL_INSN), EINVAL);
	EXPECT_ERRNO(enable_cap(vm, KVM_CAP_X86_DISABLE_EXITS, 1 << 4), EINVAL);
	EXPECT_EQ(enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, 0), 0);
}

static void test_supported_features(void)
{
	struct kvm_cpuid2 *c = supported_cpuid(open_kvm());
	struct kvm_cpuid_entry2 *sig = find(c, KVM_CPUID_SIGNATURE), *f = find(c, KVM_CPUID_FEATURES);
	uint32_t want = 1u << KVM_FEATURE_CLOCKSOURCE | 1u << KVM_FEATURE_NOP_IO_DELAY |
			1u << KVM_FEATURE_CLOCKSOURCE2 | 1u << KVM_FEATURE_PV_SCHED_YIELD |
			1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;

	ASSERT_TRUE(sig && f);
	EXPECT_EQ(sig->eax, KVM_CPUID_FEATURES);
	/* Nothing that is not implemented: async PF, steal time, PV EOI,
	 * PV_UNHALT, PV TLB flush, PV IPIs, poll control. */
	EXPECT_EQ(f->eax, want);
	EXPECT_EQ(f->ebx | f->ecx | f->edx, 0);
}

static void test_clock_ioctls(void)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct kvm_clock_data a = get_clock(vm), b, d = { 0 };
	struct timespec ts;
	uint32_t flags = host_clock_is_tsc() ?
		KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC : 0;

	/* The clock starts at 0 when the VM is created. */
	EXPECT_TRUE(a.clock < 10 * NS);
	EXPECT_EQ(a.flags, flags);
	EXPECT_EQ(a.pad0, 0);
	b = get_clock(vm);
	EXPECT_TRUE(b.clock >= a.clock);
	if (flags) {
		clock_gettime(CLOCK_REALTIME, &ts);
		EXPECT_TRUE(b.realtime <= ts.tv_sec * NS + ts.tv_nsec);
		EXPECT_TRUE(b.host_tsc >= a.host_tsc && b.host_tsc <= __rdtsc());
	}

	d.clock = 100 * NS;
	EXPECT_EQ(ioctl(vm->fd, KVM_SET_CLOCK, &d), 0);
	a = get_clock(vm);
	EXPECT_TRUE(a.clock >= 100 * NS && a.clock < 110 * NS);
	/* With REALTIME the time since the source's reading is added. */
	clock_gettime(CLOCK_REALTIME, &ts);
	d.flags = KVM_CLOCK_REALTIME;
	d.realtime = ts.tv_sec * NS + ts.tv_nsec - 50 * NS;
	EXPECT_EQ(ioctl(vm->fd, KVM_SET_CLOCK, &d), 0);
	a = get_clock(vm);
	EXPECT_TRUE(a.clock >= 150 * NS && a.clock < 160 * NS);
	/* A realtime in the future does not step it back. */
	d.realtime += 100 * NS;
	EXPECT_EQ(ioctl(vm->fd, KVM_SET_CLOCK, &d), 0);
	a = get_clock(vm);
	EXPECT_TRUE(a.clock >= 100 * NS && a.clock < 110 * NS);
	/* KVM_GET_CLOCK's result goes back in; unknown flags do not. */
	EXPECT_EQ(ioctl(vm->fd, KVM_SET_CLOCK, &a), 0);
	d.flags = 1;
	EXPECT_ERRNO(ioctl(vm->fd, KVM_SET_CLOCK, &d), EINVAL);
	d.flags = 1 << 4;
	EXPECT_ERRNO(ioctl(vm->fd, KVM_SET_CLOCK, &d), EINVAL);
	EXPECT_ERRNO(ioctl(vm->fd, KVM_SET_CLOCK, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(vm->fd, KVM_GET_CLOCK, NULL), EFAULT);
}

/* The guest enables kvmclock and reads its TSC: the clock it computes lies
 * between KVM_GET_CLOCK before and after. */
static void check_kvmclock(uint32_t msr, uint64_t set_to)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_wrmsr_rdtsc_start, g_wrmsr_rdtsc_end);
	struct kvm_clock_data start, end, d = { .clock = set_to };
	struct pvclock_vcpu_time_info t;
	uint64_t tsc, clock;

	EXPECT_EQ(ioctl(vm->fd, KVM_SET_CLOCK, &d), 0);
	set_hypercall_regs(v, DATA | KVM_MSR_ENABLED, 0, msr, 0);
	start = get_clock(vm);
	tsc = next_out(v);
	tsc |= (uint64_t)next_out(v) << 32;
	end = get_clock(vm);
	memcpy(&t, vm->mem + DATA, sizeof(t));
	EXPECT_EQ(t.version & 1, 0);
	EXPECT_TRUE(t.version != 0);
	EXPECT_TRUE(t.tsc_to_system_mul != 0);
	EXPECT_EQ(t.flags, host_clock_is_tsc() ? PVCLOCK_TSC_STABLE_BIT : 0);
	clock = pvclock_read(&t, tsc);
	if (host_clock_is_tsc()) {
		EXPECT_TRUE(start.clock <= clock && clock <= end.clock);
	} else {
		/* Without a stable TSC only the neighbourhood is promised. */
		EXPECT_TRUE(clock + NS > start.clock && clock < end.clock + NS);
	}
	EXPECT_TRUE(clock >= set_to);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	/* The VMM reads the MSR back. */
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { { .nmsrs = 1 }, { .index = msr } };
	EXPECT_EQ(ioctl(v->fd, KVM_GET_MSRS, &m), 1);
	EXPECT_EQ(m.e.data, DATA | KVM_MSR_ENABLED);
}

static void test_kvmclock(void)
{
	check_kvmclock(MSR_KVM_SYSTEM_TIME_NEW, 0);
	check_kvmclock(MSR_KVM_SYSTEM_TIME_NEW, 180 * NS);
	check_kvmclock(MSR_KVM_SYSTEM_TIME, 5 * NS);
}

/* KVM_SET_CLOCK while the structure is in use: rewritten before the guest
 * runs again. */
static void test_kvmclock_follows_set_clock(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_wrmsr_rdtsc_start, g_wrmsr_rdtsc_end);
	struct kvm_clock_data d = { .clock = 1000 * NS };
	struct pvclock_vcpu_time_info t;
	uint64_t tsc;

	set_hypercall_regs(v, DATA | KVM_MSR_ENABLED, 0, MSR_KVM_SYSTEM_TIME_NEW, 0);
	next_out(v);
	next_out(v);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(ioctl(vm->fd, KVM_SET_CLOCK, &d), 0);
	/* Run RDTSC again (skip the WRMSR). */
	vcpu_real_mode(v, CODE + 2);
	tsc = next_out(v);
	tsc |= (uint64_t)next_out(v) << 32;
	memcpy(&t, vm->mem + DATA, sizeof(t));
	EXPECT_TRUE(pvclock_read(&t, tsc) >= 1000 * NS);
	EXPECT_TRUE(pvclock_read(&t, tsc) <= get_clock(vm).clock + (host_clock_is_tsc() ? 0 : NS));
}

static void test_wall_clock(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_wrmsr_rdtsc_start, g_wrmsr_rdtsc_end);
	struct pvclock_wall_clock w;
	struct kvm_clock_data c;
	struct timespec ts;
	int64_t boot;

	set_hypercall_regs(v, DATA, 0, MSR_KVM_WALL_CLOCK_NEW, 0);
	next_out(v);
	clock_gettime(CLOCK_REALTIME, &ts);
	c = get_clock(vm);
	memcpy(&w, vm->mem + DATA, sizeof(w));
	EXPECT_EQ(w.version, 2);
	/* The real time at which kvmclock read 0. */
	boot = (int64_t)(ts.tv_sec * NS + ts.tv_nsec - c.clock);
	EXPECT_TRUE(llabs((int64_t)(w.sec * NS + w.nsec) - boot) < 2 * (int64_t)NS);
	EXPECT_TRUE(w.nsec < NS);
}

static void test_enforcement(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_rdmsr_start, g_rdmsr_end);
	struct kvm_cpuid2 *c = supported_cpuid(vm->kvm);
	struct kvm_cpuid_entry2 *f = find(c, KVM_CPUID_FEATURES);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 } };

	/* Not enforced: the guest may use kvmclock whatever CPUID says. */
	f->eax = 0;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, c) == 0);
	set_hypercall_regs(v, 0, 0, MSR_KVM_SYSTEM_TIME_NEW, 0);
	EXPECT_EQ(next_out(v), 0);

	/* Enforced: #GP, for the VMM too. */
	v = guest(&vm, g_rdmsr_start, g_rdmsr_end);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, c) == 0);
	EXPECT_EQ(ioctl(v->fd, KVM_ENABLE_CAP, &cap), 0);
	set_hypercall_regs(v, 0, 0, MSR_KVM_SYSTEM_TIME_NEW, 0);
	EXPECT_EQ(next_exception(v), 13);
	EXPECT_EQ(set_msr(v, MSR_KVM_SYSTEM_TIME_NEW, 0), 0);
	/* Unimplemented KVM MSRs fault either way. */
	v = guest(&vm, g_rdmsr_start, g_rdmsr_end);
	set_hypercall_regs(v, 0, 0, MSR_KVM_STEAL_TIME, 0);
	EXPECT_EQ(next_exception(v), 13);
	/* And hypercalls of features not enumerated are -KVM_ENOSYS. */
	v = guest(&vm, g_vmmcall_start, g_vmmcall_end);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, c) == 0);
	EXPECT_EQ(ioctl(v->fd, KVM_ENABLE_CAP, &cap), 0);
	set_hypercall_regs(v, KVM_HC_SCHED_YIELD, 0, 0, 0);
	EXPECT_EQ(next_out(v), (uint32_t)-KVM_ENOSYS);

	/* The vCPU KVM_ENABLE_CAP's errors. */
	cap.flags = 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_ENABLE_CAP, &cap), EINVAL);
	cap.flags = 0;
	cap.cap = KVM_CAP_ADJUST_CLOCK;
	EXPECT_ERRNO(ioctl(v->fd, KVM_ENABLE_CAP, &cap), EINVAL);
	EXPECT_ERRNO(ioctl(v->fd, KVM_ENABLE_CAP, NULL), EFAULT);
}

static uint32_t hypercall(uint64_t nr, uint64_t a0, uint64_t a1, struct vm **vmp)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_vmmcall_start, g_vmmcall_end);
	uint32_t r;

	set_hypercall_regs(v, nr, a0, a1, 0);
	r = next_out(v);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	if (vmp)
		*vmp = vm;
	return r;
}

static void test_hypercalls(void)
{
	struct vm *vm;
	struct kvm_clock_pairing p;
	struct timespec ts;

	EXPECT_EQ(hypercall(4242, 0, 0, NULL), (uint32_t)-KVM_ENOSYS);
	EXPECT_EQ(hypercall(KVM_HC_KICK_CPU, 0, 0, NULL), (uint32_t)-KVM_ENOSYS);
	EXPECT_EQ(hypercall(KVM_HC_SEND_IPI, 0, 0, NULL), (uint32_t)-KVM_ENOSYS);
	EXPECT_EQ(hypercall(KVM_HC_MAP_GPA_RANGE, 0, 0, NULL), (uint32_t)-KVM_ENOSYS);
	EXPECT_EQ(hypercall(KVM_HC_VAPIC_POLL_IRQ, 0, 0, NULL), 0);
	EXPECT_EQ(hypercall(KVM_HC_SCHED_YIELD, 0, 0, NULL), 0);	/* to itself */
	EXPECT_EQ(hypercall(KVM_HC_SCHED_YIELD, 7, 0, NULL), 0);	/* to nobody */
	EXPECT_EQ(hypercall(KVM_HC_CLOCK_PAIRING, DATA, 1, NULL), (uint32_t)-KVM_EOPNOTSUPP);
	if (!host_clock_is_tsc()) {
		EXPECT_EQ(hypercall(KVM_HC_CLOCK_PAIRING, DATA, 0, NULL), (uint32_t)-KVM_EOPNOTSUPP);
		return;
	}
	EXPECT_EQ(hypercall(KVM_HC_CLOCK_PAIRING, 0x200000, 0, NULL), (uint32_t)-KVM_EFAULT);
	EXPECT_EQ(hypercall(KVM_HC_CLOCK_PAIRING, DATA, 0, &vm), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	memcpy(&p, vm->mem + DATA, sizeof(p));
	EXPECT_TRUE(p.sec <= ts.tv_sec && p.sec + 5 > ts.tv_sec);
	EXPECT_TRUE(p.nsec >= 0 && p.nsec < (int64_t)NS);
	EXPECT_EQ(p.flags, 0);
}

/* VMCALL (Intel's) in an AMD guest: patched into VMMCALL and executed. */
static void test_vmcall_patching(void)
{
	static const uint8_t vmcall[] = { 0x0f, 0x01, 0xc1 }, vmmcall[] = { 0x0f, 0x01, 0xd9 };
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_vmcall_start, g_vmcall_end);

	set_hypercall_regs(v, KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0);
	EXPECT_EQ(next_out(v), 0);
	EXPECT_TRUE(memcmp(vm->mem + CODE, vmmcall, 3) == 0);

	/* With the quirk disabled the guest gets its #UD; the code stays. */
	v = guest(&vm, g_vmcall_start, g_vmcall_end);
	EXPECT_EQ(enable_cap(vm->fd, KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_FIX_HYPERCALL_INSN), 0);
	set_hypercall_regs(v, KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0);
	EXPECT_EQ(next_exception(v), 6);
	EXPECT_TRUE(memcmp(vm->mem + CODE, vmcall, 3) == 0);
	/* Other #UDs still reach the guest. */
	v = guest(&vm, g_vmcall_start, g_vmcall_end);
	memcpy(vm->mem + CODE, "\x0f\x0b", 2);	/* UD2 */
	EXPECT_EQ(next_exception(v), 6);
}

static int tsc_attr(struct vcpu *v, unsigned long cmd, uint32_t group, uint64_t attr, void *addr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)addr };

	return ioctl(v->fd, cmd, &a);
}

static void test_tsc_offset_attr(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_rdtsc_start, g_rdtsc_end);
	uint64_t offset = 0, before, after, tsc;

	EXPECT_EQ(tsc_attr(v, KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, NULL), 0);
	EXPECT_ERRNO(tsc_attr(v, KVM_HAS_DEVICE_ATTR, 1, KVM_VCPU_TSC_OFFSET, NULL), ENXIO);
	EXPECT_ERRNO(tsc_attr(v, KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, 1, NULL), ENXIO);
	EXPECT_ERRNO(tsc_attr(v, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, 1, &offset), ENXIO);
	EXPECT_ERRNO(tsc_attr(v, KVM_SET_DEVICE_ATTR, 5, KVM_VCPU_TSC_OFFSET, &offset), ENXIO);
	EXPECT_ERRNO(tsc_attr(v, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, NULL),
		     EFAULT);
	EXPECT_ERRNO(tsc_attr(v, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, NULL),
		     EFAULT);
	EXPECT_ERRNO(ioctl(v->fd, KVM_HAS_DEVICE_ATTR, NULL), EFAULT);
	/* A new vCPU's TSC starts near 0: its offset is minus the host's TSC. */
	EXPECT_EQ(tsc_attr(v, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset), 0);
	EXPECT_TRUE(__rdtsc() + offset < (1ull << 40));

	offset = 1ull << 50;
	EXPECT_EQ(tsc_attr(v, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset), 0);
	offset = 0;
	EXPECT_EQ(tsc_attr(v, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset), 0);
	EXPECT_EQ(offset, 1ull << 50);
	before = __rdtsc() + offset;
	tsc = next_out(v);
	tsc |= (uint64_t)next_out(v) << 32;
	after = __rdtsc() + offset;
	EXPECT_TRUE(before <= tsc && tsc <= after);
}

static void test_hlt_in_guest(void)
{
	struct vm *vm;
	struct vcpu *v = guest(&vm, g_hlt_out_start, g_hlt_out_end);
	struct kvm_cpuid2 *c = supported_cpuid(vm->kvm), *out = alloc_cpuid(KVM_MAX_CPUID_ENTRIES);
	uint32_t unhalt = 1u << KVM_FEATURE_PV_UNHALT;

	/* By default HLT exits to user space (no in-kernel APIC to wait on). */
	vcpu_run_expect(v, KVM_EXIT_HLT);

	/* Disabled: PV_UNHALT cannot work (a vCPU halted in place cannot be
	 * kicked), so KVM_SET_CPUID2 drops it; it stays before that. */
	v = guest(&vm, g_hlt_out_start, g_hlt_out_end);
	find(c, KVM_CPUID_FEATURES)->eax |= unhalt;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, c) == 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_CPUID2, out) == 0);
	EXPECT_TRUE(find(out, KVM_CPUID_FEATURES)->eax & unhalt);
	EXPECT_EQ(enable_cap(vm->fd, KVM_CAP_X86_DISABLE_EXITS, KVM_X86_DISABLE_EXITS_HLT), 0);
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_CPUID2, c) == 0);
	out->nent = KVM_MAX_CPUID_ENTRIES;
	ASSERT_TRUE(ioctl(v->fd, KVM_GET_CPUID2, out) == 0);
	EXPECT_EQ(find(out, KVM_CPUID_FEATURES)->eax & unhalt, 0);
	/* The guest halts in place until an interrupt wakes it. */
	EXPECT_EQ(next_out(v) & 0xff, 0x5a);
	/* Every valid set of exits is accepted. */
	EXPECT_EQ(enable_cap(vm->fd, KVM_CAP_X86_DISABLE_EXITS, KVM_X86_DISABLE_VALID_EXITS), 0);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_caps),
		TEST(test_supported_features),
		TEST(test_clock_ioctls),
		TEST(test_kvmclock),
		TEST(test_kvmclock_follows_set_clock),
		TEST(test_wall_clock),
		TEST(test_enforcement),
		TEST(test_hypercalls),
		TEST(test_vmcall_patching),
		TEST(test_tsc_offset_attr),
		TEST(test_hlt_in_guest),
		{},
	});
}
