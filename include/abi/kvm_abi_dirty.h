/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty page tracking (api.rst: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CAP_DIRTY_LOG_RING and
 * KVM_RESET_DIRTY_RINGS). Included by kvm_abi.h.
 */
#ifndef KVMPP_UAPI_KVM_ABI_DIRTY_H
#define KVMPP_UAPI_KVM_ABI_DIRTY_H

#define KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 168
#define KVM_CAP_DIRTY_LOG_RING 192
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL 223
#define KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP 225

#define KVM_EXIT_DIRTY_RING_FULL 31

/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2's args[0]. */
#define KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE (1 << 0)
#define KVM_DIRTY_LOG_INITIALLY_SET (1 << 1)

/* One bit per page of the slot; bit 0 is its first page. */
struct kvm_dirty_log {
	uint32_t slot; /* address space << 16 | slot id */
	uint32_t padding1;
	union {
		uint64_t dirty_bitmap; /* user pointer */
		uint64_t padding2;
	};
};

struct kvm_clear_dirty_log {
	uint32_t slot;
	uint32_t num_pages;
	uint64_t first_page;
	union {
		uint64_t dirty_bitmap; /* user pointer; bit 0 is first_page */
		uint64_t padding2;
	};
};

/* The per-vCPU dirty ring: mmap'ed from the vCPU fd at this page offset. */
#define KVM_DIRTY_LOG_PAGE_OFFSET 64
#define KVM_DIRTY_GFN_F_DIRTY (1U << 0)
#define KVM_DIRTY_GFN_F_RESET (1U << 1)
#define KVM_DIRTY_GFN_F_MASK 0x3

struct kvm_dirty_gfn {
	uint32_t flags;
	uint32_t slot; /* address space << 16 | slot id */
	uint64_t offset; /* page within the slot */
};

#define KVM_GET_DIRTY_LOG KVM_IOW_(0x42, struct kvm_dirty_log)
#define KVM_CLEAR_DIRTY_LOG KVM_IOWR_(0xc0, struct kvm_clear_dirty_log)
#define KVM_RESET_DIRTY_RINGS KVM_IO_(0xc7)

KVM_ABI_ASSERT(sizeof(struct kvm_dirty_log) == 16, "kvm_dirty_log");
KVM_ABI_ASSERT(sizeof(struct kvm_clear_dirty_log) == 24, "kvm_clear_dirty_log");
KVM_ABI_ASSERT(sizeof(struct kvm_dirty_gfn) == 16, "kvm_dirty_gfn");
KVM_ABI_ASSERT(KVM_GET_DIRTY_LOG == 0x4010ae42, "ioctl encoding");
KVM_ABI_ASSERT(KVM_CLEAR_DIRTY_LOG == 0xc018aec0, "ioctl encoding");
KVM_ABI_ASSERT(KVM_RESET_DIRTY_RINGS == 0xaec7, "ioctl encoding");

#endif
