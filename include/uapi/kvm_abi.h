/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/kvm ABI (API version 12, Linux 6.12 level), written from
 * Documentation/virt/kvm/api.rst. Shared by the module and by the project's
 * selftests so that neither depends on the build host's <linux/kvm.h>.
 * Plain C on purpose: it is compiled as C (selftests, glue) and as C++ (core).
 * Only what the project implements today is here; it grows with the features.
 */
#ifndef KVMPP_UAPI_KVM_ABI_H
#define KVMPP_UAPI_KVM_ABI_H

#include <glue/types.h>

/* ioctl number encoding (the generic layout used by x86 and arm64). */
#define KVM_IOC_NRSHIFT 0
#define KVM_IOC_TYPESHIFT 8
#define KVM_IOC_SIZESHIFT 16
#define KVM_IOC_DIRSHIFT 30
#define KVM_IOC_NONE 0U
#define KVM_IOC_WRITE 1U
#define KVM_IOC_READ 2U
#define KVM_IOC(dir, type, nr, size)                                           \
	(((unsigned int)(dir) << KVM_IOC_DIRSHIFT) |                           \
	 ((unsigned int)(type) << KVM_IOC_TYPESHIFT) |                         \
	 ((unsigned int)(nr) << KVM_IOC_NRSHIFT) |                             \
	 ((unsigned int)(size) << KVM_IOC_SIZESHIFT))
#define KVM_IO_(nr) KVM_IOC(KVM_IOC_NONE, KVMIO, nr, 0)
#define KVM_IOR_(nr, type) KVM_IOC(KVM_IOC_READ, KVMIO, nr, sizeof(type))
#define KVM_IOW_(nr, type) KVM_IOC(KVM_IOC_WRITE, KVMIO, nr, sizeof(type))
#define KVM_IOWR_(nr, type)                                                    \
	KVM_IOC(KVM_IOC_READ | KVM_IOC_WRITE, KVMIO, nr, sizeof(type))

#define KVM_API_VERSION 12
#define KVMIO 0xAE

/* Machine types for KVM_CREATE_VM. */
#define KVM_X86_DEFAULT_VM 0

/* The kvm_run page: KVM_RUN's input and output, mmap'ed from the vCPU fd. */
#define KVM_EXIT_UNKNOWN 0
#define KVM_EXIT_EXCEPTION 1
#define KVM_EXIT_IO 2
#define KVM_EXIT_HYPERCALL 3
#define KVM_EXIT_DEBUG 4
#define KVM_EXIT_HLT 5
#define KVM_EXIT_MMIO 6
#define KVM_EXIT_IRQ_WINDOW_OPEN 7
#define KVM_EXIT_SHUTDOWN 8
#define KVM_EXIT_FAIL_ENTRY 9
#define KVM_EXIT_INTR 10
#define KVM_EXIT_INTERNAL_ERROR 17
#define KVM_EXIT_SYSTEM_EVENT 24
#define KVM_EXIT_X86_RDMSR 29
#define KVM_EXIT_X86_WRMSR 30
#define KVM_EXIT_MEMORY_FAULT 39

#define KVM_EXIT_IO_IN 0
#define KVM_EXIT_IO_OUT 1

#define KVM_SYNC_REGS_SIZE_BYTES 2048

struct kvm_run {
	/* in */
	uint8_t request_interrupt_window;
	uint8_t immediate_exit;
	uint8_t padding1[6];
	/* out */
	uint32_t exit_reason;
	uint8_t ready_for_interrupt_injection;
	uint8_t if_flag;
	uint16_t flags;
	/* in (before KVM_RUN), out (after) */
	uint64_t cr8;
	uint64_t apic_base;
	union {
		struct {
			uint64_t hardware_exit_reason;
		} hw; /* KVM_EXIT_UNKNOWN */
		struct {
			uint64_t hardware_entry_failure_reason;
			uint32_t cpu;
		} fail_entry; /* KVM_EXIT_FAIL_ENTRY */
		struct {
			uint32_t exception;
			uint32_t error_code;
		} ex; /* KVM_EXIT_EXCEPTION */
		struct {
			uint8_t direction;
			uint8_t size; /* bytes */
			uint16_t port;
			uint32_t count;
			uint64_t data_offset; /* from the start of kvm_run */
		} io; /* KVM_EXIT_IO */
		struct {
			uint64_t phys_addr;
			uint8_t data[8];
			uint32_t len;
			uint8_t is_write;
		} mmio; /* KVM_EXIT_MMIO */
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[16];
		} internal; /* KVM_EXIT_INTERNAL_ERROR */
		struct {
			uint32_t type;
			uint32_t ndata;
			uint64_t data[16];
		} system_event; /* KVM_EXIT_SYSTEM_EVENT */
		char padding[256];
	};
	uint64_t kvm_valid_regs;
	uint64_t kvm_dirty_regs;
	union {
		char padding[KVM_SYNC_REGS_SIZE_BYTES];
	} s;
};

/* Guest memory (KVM_SET_USER_MEMORY_REGION, KVM_SET_USER_MEMORY_REGION2). */
#define KVM_MEM_LOG_DIRTY_PAGES (1U << 0)
#define KVM_MEM_READONLY (1U << 1)
#define KVM_MEM_GUEST_MEMFD (1U << 2)

struct kvm_userspace_memory_region {
	uint32_t slot; /* address space << 16 | slot id */
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size; /* bytes; 0 deletes the slot */
	uint64_t userspace_addr;
};

struct kvm_userspace_memory_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};

/* x86 register state (KVM_GET/SET_REGS, KVM_GET/SET_SREGS). */
struct kvm_regs {
	uint64_t rax, rbx, rcx, rdx;
	uint64_t rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11;
	uint64_t r12, r13, r14, r15;
	uint64_t rip, rflags;
};

struct kvm_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type;
	uint8_t present, dpl, db, s, l, g, avl;
	uint8_t unusable;
	uint8_t padding;
};

struct kvm_dtable {
	uint64_t base;
	uint16_t limit;
	uint16_t padding[3];
};

#define KVM_NR_INTERRUPTS 256
struct kvm_sregs {
	struct kvm_segment cs, ds, es, fs, gs, ss;
	struct kvm_segment tr, ldt;
	struct kvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t apic_base;
	uint64_t interrupt_bitmap[(KVM_NR_INTERRUPTS + 63) / 64];
};

/* Multiprocessing state (KVM_GET_MP_STATE / KVM_SET_MP_STATE). */
#define KVM_MP_STATE_RUNNABLE 0
#define KVM_MP_STATE_UNINITIALIZED 1
#define KVM_MP_STATE_INIT_RECEIVED 2
#define KVM_MP_STATE_HALTED 3
#define KVM_MP_STATE_SIPI_RECEIVED 4
#define KVM_MP_STATE_AP_RESET_HOLD 9

struct kvm_mp_state {
	uint32_t mp_state;
};

struct kvm_enable_cap {
	uint32_t cap;
	uint32_t flags;
	uint64_t args[4];
	uint8_t pad[64];
};

/* Capabilities (KVM_CHECK_EXTENSION). */
#define KVM_CAP_USER_MEMORY 3
#define KVM_CAP_NR_VCPUS 9
#define KVM_CAP_NR_MEMSLOTS 10
#define KVM_CAP_MP_STATE 14
#define KVM_CAP_MAX_VCPUS 66
#define KVM_CAP_READONLY_MEM 81
#define KVM_CAP_ENABLE_CAP_VM 98
#define KVM_CAP_MULTI_ADDRESS_SPACE 118
#define KVM_CAP_CHECK_EXTENSION_VM 105
#define KVM_CAP_MAX_VCPU_ID 128
#define KVM_CAP_USER_MEMORY2 231
#define KVM_CAP_VM_TYPES 235

/* ioctls on /dev/kvm */
#define KVM_GET_API_VERSION KVM_IO_(0x00)
#define KVM_CREATE_VM KVM_IO_(0x01)
#define KVM_CHECK_EXTENSION KVM_IO_(0x03)
#define KVM_GET_VCPU_MMAP_SIZE KVM_IO_(0x04)
/* ioctls on VM fds */
#define KVM_CREATE_VCPU KVM_IO_(0x41)
#define KVM_SET_USER_MEMORY_REGION KVM_IOW_(0x46, struct kvm_userspace_memory_region)
#define KVM_SET_USER_MEMORY_REGION2 KVM_IOW_(0x49, struct kvm_userspace_memory_region2)
#define KVM_ENABLE_CAP KVM_IOW_(0xa3, struct kvm_enable_cap)
/* ioctls on vCPU fds */
#define KVM_RUN KVM_IO_(0x80)
#define KVM_GET_REGS KVM_IOR_(0x81, struct kvm_regs)
#define KVM_SET_REGS KVM_IOW_(0x82, struct kvm_regs)
#define KVM_GET_SREGS KVM_IOR_(0x83, struct kvm_sregs)
#define KVM_SET_SREGS KVM_IOW_(0x84, struct kvm_sregs)
#define KVM_GET_MP_STATE KVM_IOR_(0x98, struct kvm_mp_state)
#define KVM_SET_MP_STATE KVM_IOW_(0x99, struct kvm_mp_state)

/* Layout checks: these offsets are the ABI. */
#define KVM_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#ifdef __cplusplus
#undef KVM_ABI_ASSERT
#define KVM_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#endif
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, exit_reason) == 8, "kvm_run");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, cr8) == 16, "kvm_run");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, hw) == 32, "kvm_run");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, kvm_valid_regs) == 288, "kvm_run");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, s) == 304, "kvm_run");
KVM_ABI_ASSERT(sizeof(struct kvm_run) == 2352, "kvm_run");
KVM_ABI_ASSERT(sizeof(struct kvm_enable_cap) == 104, "kvm_enable_cap");
KVM_ABI_ASSERT(sizeof(struct kvm_userspace_memory_region) == 32, "memory region");
KVM_ABI_ASSERT(sizeof(struct kvm_userspace_memory_region2) == 160, "memory region2");
KVM_ABI_ASSERT(sizeof(struct kvm_regs) == 144, "kvm_regs");
KVM_ABI_ASSERT(sizeof(struct kvm_segment) == 24, "kvm_segment");
KVM_ABI_ASSERT(sizeof(struct kvm_sregs) == 312, "kvm_sregs");
KVM_ABI_ASSERT(KVM_SET_USER_MEMORY_REGION == 0x4020ae46, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_USER_MEMORY_REGION2 == 0x40a0ae49, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_SREGS == 0x8138ae83, "ioctl encoding");
KVM_ABI_ASSERT(KVM_CREATE_VCPU == 0xae41, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_MP_STATE == 0x8004ae98, "ioctl encoding");
KVM_ABI_ASSERT(KVM_ENABLE_CAP == 0x4068aea3, "ioctl encoding");

#endif /* KVMPP_UAPI_KVM_ABI_H */
