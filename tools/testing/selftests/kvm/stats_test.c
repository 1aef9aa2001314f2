// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD: the file's layout as api.rst describes it, the counters
 * moving with what a guest does, fd lifetimes and bad reads.
 */
#include <sys/mman.h>

#include "lib/vm.h"

struct stats {
	struct kvm_stats_header h;
	char id[64];
	int n;
	char names[64][48];
	uint32_t flags[64];
	uint32_t offset[64];
};

static void read_stats(int fd, struct stats *s)
{
	char buf[64 + 48];
	int i;

	memset(s, 0, sizeof(*s));
	ASSERT_TRUE(pread(fd, &s->h, sizeof(s->h), 0) == sizeof(s->h));
	ASSERT_TRUE(s->h.name_size == 48 && s->h.num_desc <= 64);
	ASSERT_TRUE(pread(fd, s->id, s->h.name_size, s->h.id_offset) == s->h.name_size);
	s->n = s->h.num_desc;
	for (i = 0; i < s->n; i++) {
		struct kvm_stats_desc d;
		off_t at = s->h.desc_offset + i * (sizeof(d) + s->h.name_size);

		ASSERT_TRUE(pread(fd, buf, sizeof(d) + s->h.name_size, at) ==
			    (ssize_t)(sizeof(d) + s->h.name_size));
		memcpy(&d, buf, sizeof(d));
		memcpy(s->names[i], buf + sizeof(d), 48);
		s->flags[i] = d.flags;
		s->offset[i] = d.offset;
		EXPECT_EQ(d.size, 1);
		EXPECT_EQ(d.bucket_size, 0);
		EXPECT_EQ(d.exponent, 0);
		EXPECT_TRUE(strlen(s->names[i]) < 48);
	}
}

static uint64_t stat(int fd, const char *name)
{
	struct stats s;
	uint64_t v;
	int i;

	read_stats(fd, &s);
	for (i = 0; i < s.n; i++) {
		if (strcmp(s.names[i], name))
			continue;
		ASSERT_TRUE(pread(fd, &v, 8, s.h.data_offset + s.offset[i]) == 8);
		return v;
	}
	test_fail(__FILE__, __LINE__, "no statistic %s", name);
	exit(1);
}

static void expect_link(int fd, const char *want)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_TRUE(n > 0);
	link[n] = 0;
	if (strcmp(link, want))
		test_fail(__FILE__, __LINE__, "fd is %s, expected %s", link, want);
}

static void test_cap(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm);

	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD), 1);
	EXPECT_EQ(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD), 1);
	/* Not a /dev/kvm ioctl. */
	EXPECT_ERRNO(ioctl(kvm, KVM_GET_STATS_FD, 0), EINVAL);
}

static void test_vm_layout(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), fd = ioctl(vm, KVM_GET_STATS_FD, 0);
	char id[32];
	struct stats s;
	off_t size;

	ASSERT_TRUE(fd >= 0);
	expect_link(fd, "anon_inode:kvm-vm-stats");
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	read_stats(fd, &s);
	EXPECT_EQ(s.h.flags, 0);
	EXPECT_EQ(s.h.id_offset % 8, 0);
	EXPECT_EQ(s.h.desc_offset % 8, 0);
	EXPECT_EQ(s.h.data_offset % 8, 0);
	EXPECT_TRUE(s.h.desc_offset >= s.h.id_offset + s.h.name_size);
	EXPECT_TRUE(s.h.data_offset >= s.h.desc_offset + s.n * (16 + s.h.name_size));
	snprintf(id, sizeof(id), "kvm-%d", getpid());
	EXPECT_TRUE(strcmp(s.id, id) == 0);
	EXPECT_EQ(s.n, 3);
	EXPECT_TRUE(strcmp(s.names[0], "remote_tlb_flush") == 0);
	EXPECT_TRUE(strcmp(s.names[1], "pages_4k") == 0);
	EXPECT_TRUE(strcmp(s.names[2], "pages_2m") == 0);
	EXPECT_EQ(s.flags[0] & KVM_STATS_TYPE_MASK, KVM_STATS_TYPE_CUMULATIVE);
	EXPECT_EQ(s.flags[1] & KVM_STATS_TYPE_MASK, KVM_STATS_TYPE_INSTANT);
	/* read() and lseek() work too. */
	size = s.h.data_offset + 8 * s.n;
	EXPECT_EQ(lseek(fd, s.h.id_offset, SEEK_SET), s.h.id_offset);
	memset(id, 0, sizeof(id));
	EXPECT_EQ(read(fd, id, 8), 8);
	EXPECT_TRUE(strncmp(id, "kvm-", 4) == 0);
	EXPECT_EQ(lseek(fd, size - 4, SEEK_SET), size - 4);
	EXPECT_EQ(read(fd, id, 8), 4); /* short at the end */
	EXPECT_EQ(read(fd, id, 8), 0);
}

static void test_vcpu_layout(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 5);
	int fd = ioctl(vcpu, KVM_GET_STATS_FD, 0);
	const char *names[] = { "exits", "io_exits", "mmio_exits", "halt_exits", "irq_exits",
				"signal_exits", "pf_taken", "pf_fixed", "pf_emulate",
				"insn_emulation", "insn_emulation_fail", "tlb_flush",
				"irq_window_exits", "irq_injections", "halt_wakeup",
				"nmi_injections", "halt_attempted_poll", "halt_successful_poll",
				"halt_poll_success_ns", "halt_poll_fail_ns", "halt_wait_ns" };
	struct stats s;
	char id[48];
	int i;

	ASSERT_TRUE(fd >= 0);
	expect_link(fd, "anon_inode:kvm-vcpu-stats:5");
	read_stats(fd, &s);
	snprintf(id, sizeof(id), "kvm-%d/vcpu-5", getpid());
	EXPECT_TRUE(strcmp(s.id, id) == 0);
	EXPECT_EQ(s.n, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < s.n; i++) {
		if (strcmp(s.names[i], names[i]))
			test_fail(__FILE__, __LINE__, "stat %d is %s, expected %s", i, s.names[i],
				  names[i]);
		EXPECT_EQ(s.flags[i], KVM_STATS_TYPE_CUMULATIVE);
		EXPECT_EQ(stat(fd, names[i]), 0);
	}
}

static void test_bad_reads(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), fd = ioctl(vm, KVM_GET_STATS_FD, 0);
	char buf[16];
	void *volatile bad = (void *)8; /* hidden from the compiler's checks */

	ASSERT_TRUE(fd >= 0);
	EXPECT_ERRNO(pread(fd, bad, 16, 0), EFAULT);
	EXPECT_ERRNO(pread(fd, buf, 16, -1), EINVAL);
	EXPECT_EQ(pread(fd, buf, 16, 1 << 20), 0);
	EXPECT_ERRNO(write(fd, buf, 1), EBADF); /* read-only */
	EXPECT_ERRNO(ioctl(fd, KVM_GET_STATS_FD, 0), ENOTTY);
	EXPECT_ERRNO(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0, ENODEV);
}

GUEST_CODE(busy, ".code16\n"
	   " out %al, $0x10\n"	       /* port I/O to user space */
	   " movw $0x1234, 0x10\n"     /* MMIO write (DS outside RAM) */
	   " hlt\n");

static void set_ds_base(struct vcpu *v, uint16_t selector)
{
	struct kvm_sregs s;

	ASSERT_TRUE(ioctl(v->fd, KVM_GET_SREGS, &s) == 0);
	s.ds.selector = selector;
	s.ds.base = (uint64_t)selector << 4;
	ASSERT_TRUE(ioctl(v->fd, KVM_SET_SREGS, &s) == 0);
}

static void test_counters_follow_the_guest(void)
{
	struct vm *vm = vm_with_ram(0x80000);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	int vcpu_stats = ioctl(v->fd, KVM_GET_STATS_FD, 0);
	int vm_stats = ioctl(vm->fd, KVM_GET_STATS_FD, 0);
	struct kvm_userspace_memory_region r = { 0 };

	ASSERT_TRUE(vcpu_stats >= 0 && vm_stats >= 0);
	EXPECT_EQ(stat(vm_stats, "pages_4k") + stat(vm_stats, "pages_2m"), 0);
	vm_load(vm, 0x1000, busy_start, busy_end);
	vcpu_real_mode(v, 0x1000);
	set_ds_base(v, 0x9000);

	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(stat(vcpu_stats, "io_exits"), 1);
	EXPECT_TRUE(stat(vcpu_stats, "pf_taken") >= 1); /* the code page */
	EXPECT_TRUE(stat(vcpu_stats, "pf_fixed") >= 1);
	EXPECT_TRUE(stat(vm_stats, "pages_4k") + stat(vm_stats, "pages_2m") >= 1);
	vcpu_run_expect(v, KVM_EXIT_MMIO);
	EXPECT_EQ(stat(vcpu_stats, "mmio_exits"), 1);
	EXPECT_EQ(stat(vcpu_stats, "pf_emulate"), 1);
	EXPECT_EQ(stat(vcpu_stats, "insn_emulation"), 1);
	vcpu_run_expect(v, KVM_EXIT_HLT);
	EXPECT_EQ(stat(vcpu_stats, "halt_exits"), 1);
	EXPECT_TRUE(stat(vcpu_stats, "exits") >= 4);
	EXPECT_EQ(stat(vcpu_stats, "insn_emulation_fail"), 0);
	EXPECT_EQ(stat(vcpu_stats, "signal_exits"), 0);

	/* Deleting the slot unmaps it, flushing every vCPU's TLB. */
	EXPECT_EQ(stat(vm_stats, "remote_tlb_flush"), 0);
	r.userspace_addr = (uint64_t)(uintptr_t)vm->mem;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	EXPECT_EQ(stat(vm_stats, "remote_tlb_flush"), 1);
	EXPECT_EQ(stat(vm_stats, "pages_4k") + stat(vm_stats, "pages_2m"), 0);
	v->run->immediate_exit = 1;
	EXPECT_ERRNO(ioctl(v->fd, KVM_RUN, 0), EINTR);
	EXPECT_EQ(stat(vcpu_stats, "tlb_flush"), 0); /* the request waits for an entry */
}

static void test_files_keep_the_vm(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), vcpu = create_vcpu(vm, 0);
	int a = ioctl(vm, KVM_GET_STATS_FD, 0), b = ioctl(vm, KVM_GET_STATS_FD, 0);
	int c = ioctl(vcpu, KVM_GET_STATS_FD, 0), d = dup(c);
	struct stats s;

	ASSERT_TRUE(a >= 0 && b >= 0 && c >= 0 && d >= 0);
	EXPECT_TRUE(a != b);
	close(vcpu);
	close(vm);
	read_stats(a, &s);
	EXPECT_EQ(s.n, 3);
	close(a);
	read_stats(b, &s);
	close(b);
	close(c);
	read_stats(d, &s);
	EXPECT_EQ(s.n, 21); /* the vCPU statistics (test_vcpu_layout) */
	close(d);
	EXPECT_EQ(fcntl(d, F_GETFD), -1);
}

static void test_other_process_reads(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), fd = ioctl(vm, KVM_GET_STATS_FD, 0);
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct stats s;

		/* The VM is not the child's: no new stats fd, but reading works. */
		EXPECT_ERRNO(ioctl(vm, KVM_GET_STATS_FD, 0), EIO);
		read_stats(fd, &s);
		EXPECT_EQ(s.n, 3);
		_exit(test_failures ? 1 : 0);
	}
	ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_many_files(void)
{
	int kvm = open_kvm(), vm = create_vm(kvm), i;
	int fds[200];

	for (i = 0; i < 200; i++) {
		fds[i] = ioctl(vm, KVM_GET_STATS_FD, 0);
		ASSERT_TRUE(fds[i] >= 0);
	}
	close(vm);
	for (i = 0; i < 200; i++)
		close(fds[i]);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_cap),
		TEST(test_vm_layout),
		TEST(test_vcpu_layout),
		TEST(test_bad_reads),
		TEST(test_counters_follow_the_guest),
		TEST(test_files_keep_the_vm),
		TEST(test_other_process_reads),
		TEST(test_many_files),
		{},
	});
}
