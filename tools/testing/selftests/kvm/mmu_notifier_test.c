// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's view of its RAM follows the VMM's mapping: after munmap,
 * MADV_DONTNEED, a MAP_FIXED replacement, mprotect or a copy-on-write break
 * after fork, the guest never sees a stale or freed page.
 *
 * The guest is a tiny monitor: it reads a command from port 0x11 (1: send
 * the word at 0x2000 to port 0x10; 2: store the word from port 0x12 at
 * 0x2000; 3: send the word at the address from port 0x13; else halt).
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "lib/vm.h"

GUEST_CODE(monitor, ".code16\n"
	   "1: in $0x11, %al\n cmp $1, %al\n je 2f\n cmp $2, %al\n je 3f\n"
	   " cmp $3, %al\n je 4f\n hlt\n"
	   "2: mov 0x2000, %eax\n out %eax, $0x10\n jmp 1b\n"
	   "3: in $0x12, %eax\n mov %eax, 0x2000\n jmp 1b\n"
	   "4: in $0x13, %ax\n mov %ax, %si\n mov (%si), %eax\n out %eax, $0x10\n jmp 1b\n");

#define PAGE 4096
#define WORD_OFF 0x2000

static void command(struct vcpu *v, uint8_t cmd)
{
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x11);
	vcpu_io_data(v)[0] = cmd;
}

static uint32_t guest_read(struct vcpu *v)
{
	command(v, 1);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	return *(uint32_t *)vcpu_io_data(v);
}

/* The store itself happens when the vCPU next runs. */
static void guest_write(struct vcpu *v, uint32_t value)
{
	command(v, 2);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x12);
	*(uint32_t *)vcpu_io_data(v) = value;
}

static uint32_t guest_read_at(struct vcpu *v, uint16_t addr)
{
	command(v, 3);
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x13);
	*(uint16_t *)vcpu_io_data(v) = addr;
	vcpu_run_expect(v, KVM_EXIT_IO);
	EXPECT_EQ(v->run->io.port, 0x10);
	return *(uint32_t *)vcpu_io_data(v);
}

static uint32_t *word(struct vm *vm)
{
	return (uint32_t *)(vm->mem + WORD_OFF);
}

static struct vcpu *start(struct vm **vmp)
{
	struct vm *vm = vm_with_ram(1 << 20);
	struct vcpu *v = vm_add_vcpu(vm, 0);

	vm_load(vm, 0x1000, monitor_start, monitor_end);
	vcpu_real_mode(v, 0x1000);
	*vmp = vm;
	return v;
}

static void test_host_and_guest_share(void)
{
	struct vm *vm;
	struct vcpu *v = start(&vm);

	*word(vm) = 0x11111111;
	EXPECT_EQ(guest_read(v), 0x11111111);
	guest_write(v, 0x22222222);
	EXPECT_EQ(guest_read(v), 0x22222222);
	EXPECT_EQ(*word(vm), 0x22222222);
	*word(vm) = 0x33333333;
	EXPECT_EQ(guest_read(v), 0x33333333);
}

static void test_madv_dontneed(void)
{
	struct vm *vm;
	struct vcpu *v = start(&vm);

	*word(vm) = 0xaaaaaaaa;
	EXPECT_EQ(guest_read(v), 0xaaaaaaaa);
	/* The page is dropped: the guest must see the fresh zero page. */
	ASSERT_TRUE(madvise(vm->mem + WORD_OFF, PAGE, MADV_DONTNEED) == 0);
	EXPECT_EQ(guest_read(v), 0);
	guest_write(v, 0xbbbbbbbb);
	EXPECT_EQ(guest_read(v), 0xbbbbbbbb); /* runs the store, then reads */
	EXPECT_EQ(*word(vm), 0xbbbbbbbb);
}

static void test_map_fixed_replacement(void)
{
	struct vm *vm;
	struct vcpu *v = start(&vm);
	void *p;

	*word(vm) = 0x12121212;
	EXPECT_EQ(guest_read(v), 0x12121212);
	p = mmap(vm->mem + WORD_OFF, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_TRUE(p == vm->mem + WORD_OFF);
	*word(vm) = 0x34343434;
	EXPECT_EQ(guest_read(v), 0x34343434);
	guest_write(v, 0x56565656);
	EXPECT_EQ(guest_read(v), 0x56565656);
	EXPECT_EQ(*word(vm), 0x56565656);
}

static void test_munmap_faults(void)
{
	struct vm *vm;
	struct vcpu *v = start(&vm);

	*word(vm) = 1;
	EXPECT_EQ(guest_read(v), 1);
	ASSERT_TRUE(munmap(vm->mem + WORD_OFF, PAGE) == 0);
	command(v, 1);
	/* Nothing backs the slot there any more: KVM_RUN fails. */
	EXPECT_EQ(vcpu_run(v), -EFAULT);
}

static void test_mprotect_read_only(void)
{
	struct vm *vm;
	struct vcpu *v = start(&vm);

	*word(vm) = 0x77777777;
	EXPECT_EQ(guest_read(v), 0x77777777);
	ASSERT_TRUE(mprotect(vm->mem + WORD_OFF, PAGE, PROT_READ) == 0);
	EXPECT_EQ(guest_read(v), 0x77777777);
	/* The guest may not write where the VMM cannot. */
	command(v, 2);
	vcpu_run_expect(v, KVM_EXIT_IO);
	*(uint32_t *)vcpu_io_data(v) = 0x88888888;
	EXPECT_EQ(vcpu_run(v), -EFAULT);
	EXPECT_EQ(*word(vm), 0x77777777);
	ASSERT_TRUE(mprotect(vm->mem + WORD_OFF, PAGE, PROT_READ | PROT_WRITE) == 0);
	EXPECT_EQ(vcpu_run(v), 0); /* the write completes now */
	EXPECT_EQ(*word(vm), 0x88888888);
}

static void test_fork_copy_on_write(void)
{
	struct vm *vm;
	struct vcpu *v = start(&vm);
	int pipefd[2], status;
	pid_t pid;
	uint32_t seen;

	*word(vm) = 0x10101010;
	EXPECT_EQ(guest_read(v), 0x10101010);
	ASSERT_TRUE(pipe(pipefd) == 0);
	pid = fork();
	if (pid == 0) {
		char c;

		/* Wait until the guest wrote, then report what we see. */
		read(pipefd[0], &c, 1);
		seen = *word(vm);
		write(pipefd[1], &seen, sizeof(seen));
		_exit(0);
	}
	/* The guest's write goes to the parent's copy only. */
	guest_write(v, 0x20202020);
	EXPECT_EQ(guest_read(v), 0x20202020);
	EXPECT_EQ(*word(vm), 0x20202020);
	write(pipefd[1], "x", 1);
	waitpid(pid, &status, 0);
	ASSERT_TRUE(read(pipefd[0], &seen, sizeof(seen)) == sizeof(seen));
	EXPECT_EQ(seen, 0x10101010);
	/* And the parent's own writes after the fork reach the guest. */
	*word(vm) = 0x30303030;
	EXPECT_EQ(guest_read(v), 0x30303030);
}

static void test_slot_delete_and_move(void)
{
	struct vm *vm;
	struct vcpu *v = start(&vm);
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = 1 << 20,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};
	uint8_t *other = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	*word(vm) = 0x5a5a5a5a;
	EXPECT_EQ(guest_read(v), 0x5a5a5a5a);
	/* Replace the slot's memory by another block with another value. */
	ASSERT_TRUE(other != MAP_FAILED);
	memcpy(other, vm->mem, 1 << 20);
	*(uint32_t *)(other + WORD_OFF) = 0x6b6b6b6b;
	r.memory_size = 0;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	r.memory_size = 1 << 20;
	r.userspace_addr = (uint64_t)(uintptr_t)other;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	EXPECT_EQ(guest_read(v), 0x6b6b6b6b);
}

/*
 * Guest RAM in a transparent huge page, mapped 2 MiB at a time: dropping
 * one 4 KiB page of it (which splits the huge page) must reach the guest,
 * and the rest must stay intact.
 */
static void test_huge_page_split(void)
{
	struct vm *vm = vm_with_ram(1 << 20); /* only for the VM; RAM replaced below */
	struct vcpu *v = vm_add_vcpu(vm, 0);
	size_t two_mb = 2 << 20;
	uint8_t *raw = mmap(NULL, 2 * two_mb, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ram = (uint8_t *)(((uintptr_t)raw + two_mb - 1) & ~(two_mb - 1));
	struct kvm_userspace_memory_region r = {
		.slot = 0, .memory_size = two_mb, .userspace_addr = (uint64_t)(uintptr_t)ram,
	};
	int i;

	ASSERT_TRUE(raw != MAP_FAILED);
	madvise(ram, two_mb, MADV_HUGEPAGE);
	for (i = 0; i < 512; i++)
		*(uint32_t *)(ram + i * 4096 + 0x100) = 0x1000 + i;
	r.memory_size = 0;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	r.memory_size = two_mb;
	ASSERT_TRUE(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) == 0);
	vm->mem = ram;
	vm_load(vm, 0x1000, monitor_start, monitor_end);
	vcpu_real_mode(v, 0x1000);

	EXPECT_EQ(guest_read_at(v, 0x3100), 0x1003);
	EXPECT_EQ(guest_read_at(v, 0x8100), 0x1008);
	ASSERT_TRUE(madvise(ram + 0x8000, 4096, MADV_DONTNEED) == 0);
	EXPECT_EQ(guest_read_at(v, 0x8100), 0);
	EXPECT_EQ(guest_read_at(v, 0x3100), 0x1003);
	EXPECT_EQ(guest_read_at(v, 0x9100), 0x1009);
	*(uint32_t *)(ram + 0x9100) = 0x4242;
	EXPECT_EQ(guest_read_at(v, 0x9100), 0x4242);
}

int main(void)
{
	return run_tests((struct test[]){
		TEST(test_host_and_guest_share),
		TEST(test_madv_dontneed),
		TEST(test_map_fixed_replacement),
		TEST(test_munmap_faults),
		TEST(test_mprotect_read_only),
		TEST(test_fork_copy_on_write),
		TEST(test_slot_delete_and_move),
		TEST(test_huge_page_split),
		{},
	});
}
