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
#define KVM_EXIT_TPR_ACCESS 12
#define KVM_EXIT_INTERNAL_ERROR 17
#define KVM_EXIT_IOAPIC_EOI 26
#define KVM_EXIT_SYSTEM_EVENT 24
#define KVM_EXIT_X86_RDMSR 29
#define KVM_EXIT_X86_WRMSR 30
#define KVM_EXIT_MEMORY_FAULT 39

#define KVM_EXIT_IO_IN 0
#define KVM_EXIT_IO_OUT 1

/* KVM_EXIT_INTERNAL_ERROR suberrors and the emulation-failure flags. */
#define KVM_INTERNAL_ERROR_EMULATION 1
#define KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES (1ULL << 0)

/* kvm_run.msr.reason, and KVM_CAP_X86_USER_SPACE_MSR's mask. */
#define KVM_MSR_EXIT_REASON_INVAL (1 << 0)
#define KVM_MSR_EXIT_REASON_UNKNOWN (1 << 1)
#define KVM_MSR_EXIT_REASON_FILTER (1 << 2)
#define KVM_MSR_EXIT_REASON_VALID_MASK                                         \
	(KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_UNKNOWN |             \
	 KVM_MSR_EXIT_REASON_FILTER)

#define KVM_SYNC_REGS_SIZE_BYTES 2048

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

/* x86 FPU and extended state (KVM_GET/SET_FPU, _XSAVE, _XSAVE2, _XCRS). */
struct kvm_fpu {
	uint8_t fpr[8][16];
	uint16_t fcw;
	uint16_t fsw;
	uint8_t ftwx; /* abridged tag word, as in FXSAVE */
	uint8_t pad1;
	uint16_t last_opcode;
	uint64_t last_ip;
	uint64_t last_dp;
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	uint32_t pad2;
};

struct kvm_xsave {
	uint32_t region[1024]; /* the XSAVE layout of the host (CPUID 0xD offsets) */
};

#define KVM_MAX_XCRS 16
struct kvm_xcr {
	uint32_t xcr;
	uint32_t reserved;
	uint64_t value;
};

struct kvm_xcrs {
	uint32_t nr_xcrs;
	uint32_t flags;
	struct kvm_xcr xcrs[KVM_MAX_XCRS];
	uint64_t padding[16];
};

/* KVM_GET/SET_SREGS2: sregs plus the PAE page-directory pointers. */
#define KVM_SREGS2_FLAGS_PDPTRS_VALID 1
struct kvm_sregs2 {
	struct kvm_segment cs, ds, es, fs, gs, ss;
	struct kvm_segment tr, ldt;
	struct kvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t apic_base;
	uint64_t flags;
	uint64_t pdptrs[4];
};

/* KVM_TRANSLATE */
struct kvm_translation {
	uint64_t linear_address;
	uint64_t physical_address;
	uint8_t valid;
	uint8_t writeable;
	uint8_t usermode;
	uint8_t pad[5];
};

/* Pending and injected events (KVM_GET/SET_VCPU_EVENTS). */
#define KVM_VCPUEVENT_VALID_NMI_PENDING 0x00000001
#define KVM_VCPUEVENT_VALID_SIPI_VECTOR 0x00000002
#define KVM_VCPUEVENT_VALID_SHADOW 0x00000004
#define KVM_VCPUEVENT_VALID_SMM 0x00000008
#define KVM_VCPUEVENT_VALID_PAYLOAD 0x00000010
#define KVM_VCPUEVENT_VALID_TRIPLE_FAULT 0x00000020
/* A VM capability: KVM_GET/SET_VCPU_EVENTS carry a pending triple fault. */
#define KVM_CAP_X86_TRIPLE_FAULT_EVENT 218
#define KVM_X86_SHADOW_INT_MOV_SS 0x01
#define KVM_X86_SHADOW_INT_STI 0x02

struct kvm_vcpu_events {
	struct {
		uint8_t injected;
		uint8_t nr;
		uint8_t has_error_code;
		uint8_t pending;
		uint32_t error_code;
	} exception;
	struct {
		uint8_t injected;
		uint8_t nr;
		uint8_t soft;
		uint8_t shadow;
	} interrupt;
	struct {
		uint8_t injected;
		uint8_t pending;
		uint8_t masked;
		uint8_t pad;
	} nmi;
	uint32_t sipi_vector;
	uint32_t flags;
	struct {
		uint8_t smm;
		uint8_t pending;
		uint8_t smm_inside_nmi;
		uint8_t latched_init;
	} smi;
	struct {
		uint8_t pending;
	} triple_fault;
	uint8_t reserved[26];
	uint8_t exception_has_payload;
	uint64_t exception_payload;
};

/* Registers exchanged through kvm_run (KVM_CAP_SYNC_REGS). */
#define KVM_SYNC_X86_REGS (1U << 0)
#define KVM_SYNC_X86_SREGS (1U << 1)
#define KVM_SYNC_X86_EVENTS (1U << 2)
struct kvm_sync_regs {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
};

/* KVM_EXIT_DEBUG: the debug event (x86). */
struct kvm_debug_exit_arch {
	uint32_t exception; /* 1: #DB, 3: #BP */
	uint32_t pad;
	uint64_t pc;        /* linear address (CS.base + RIP) */
	uint64_t dr6;
	uint64_t dr7;
};

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
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t flags;
			uint8_t insn_size;
			uint8_t insn_bytes[15];
		} emulation_failure; /* KVM_EXIT_INTERNAL_ERROR, ..._EMULATION */
		struct {
			uint8_t error; /* user -> kernel */
			uint8_t pad[7];
			uint32_t reason; /* kernel -> user */
			uint32_t index;  /* kernel -> user */
			uint64_t data;   /* kernel <-> user */
		} msr; /* KVM_EXIT_X86_RDMSR, KVM_EXIT_X86_WRMSR */
		struct {
			uint64_t rip;
			uint32_t is_write;
			uint32_t pad;
		} tpr_access; /* KVM_EXIT_TPR_ACCESS */
		struct {
			uint8_t vector;
		} eoi; /* KVM_EXIT_IOAPIC_EOI */
		struct {
			struct kvm_debug_exit_arch arch;
		} debug; /* KVM_EXIT_DEBUG */
		char padding[256];
	};
	uint64_t kvm_valid_regs;
	uint64_t kvm_dirty_regs;
	union {
		struct kvm_sync_regs regs;
		char padding[KVM_SYNC_REGS_SIZE_BYTES];
	} s;
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

/* x86 CPUID (KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID, KVM_SET/GET_CPUID2). */
#define KVM_MAX_CPUID_ENTRIES 256
struct kvm_cpuid_entry {
	uint32_t function;
	uint32_t eax;
	uint32_t ebx;
	uint32_t ecx;
	uint32_t edx;
	uint32_t padding;
};

struct kvm_cpuid {
	uint32_t nent;
	uint32_t padding;
	struct kvm_cpuid_entry entries[];
};

#define KVM_CPUID_FLAG_SIGNIFCANT_INDEX (1U << 0)
#define KVM_CPUID_FLAG_STATEFUL_FUNC (1U << 1)   /* deprecated */
#define KVM_CPUID_FLAG_STATE_READ_NEXT (1U << 2) /* deprecated */
struct kvm_cpuid_entry2 {
	uint32_t function;
	uint32_t index;
	uint32_t flags;
	uint32_t eax;
	uint32_t ebx;
	uint32_t ecx;
	uint32_t edx;
	uint32_t padding[3];
};

struct kvm_cpuid2 {
	uint32_t nent;
	uint32_t padding;
	struct kvm_cpuid_entry2 entries[];
};

/* x86 MSRs (KVM_GET/SET_MSRS, KVM_GET_MSR_INDEX_LIST, ..._FEATURE_INDEX_LIST). */
struct kvm_msr_entry {
	uint32_t index;
	uint32_t reserved;
	uint64_t data;
};

struct kvm_msrs {
	uint32_t nmsrs; /* number of msrs in entries */
	uint32_t pad;
	struct kvm_msr_entry entries[];
};

struct kvm_msr_list {
	uint32_t nmsrs; /* number of msrs in entries */
	uint32_t indices[];
};

/* Binary statistics (KVM_GET_STATS_FD): the layout of the stats file. */
#define KVM_STATS_TYPE_SHIFT 0
#define KVM_STATS_TYPE_MASK (0xF << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_CUMULATIVE (0x0 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_INSTANT (0x1 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_PEAK (0x2 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_LINEAR_HIST (0x3 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_LOG_HIST (0x4 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_MAX KVM_STATS_TYPE_LOG_HIST
#define KVM_STATS_UNIT_SHIFT 4
#define KVM_STATS_UNIT_MASK (0xF << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_UNIT_NONE (0x0 << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_UNIT_BYTES (0x1 << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_UNIT_SECONDS (0x2 << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_UNIT_CYCLES (0x3 << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_UNIT_BOOLEAN (0x4 << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_UNIT_MAX KVM_STATS_UNIT_BOOLEAN
#define KVM_STATS_BASE_SHIFT 8
#define KVM_STATS_BASE_MASK (0xF << KVM_STATS_BASE_SHIFT)
#define KVM_STATS_BASE_POW10 (0x0 << KVM_STATS_BASE_SHIFT)
#define KVM_STATS_BASE_POW2 (0x1 << KVM_STATS_BASE_SHIFT)
#define KVM_STATS_BASE_MAX KVM_STATS_BASE_POW2

struct kvm_stats_header {
	uint32_t flags;
	uint32_t name_size;
	uint32_t num_desc;
	uint32_t id_offset;
	uint32_t desc_offset;
	uint32_t data_offset;
};

/* Followed by a name of the header's name_size bytes. */
struct kvm_stats_desc {
	uint32_t flags;
	int16_t exponent;
	uint16_t size;
	uint32_t offset;
	uint32_t bucket_size;
	char name[];
};

/* Coalesced MMIO and port I/O (KVM_(UN)REGISTER_COALESCED_MMIO). */
struct kvm_coalesced_mmio_zone {
	uint64_t addr;
	uint32_t size;
	union {
		uint32_t pad;
		uint32_t pio;
	};
};

struct kvm_coalesced_mmio {
	uint64_t phys_addr;
	uint32_t len;
	union {
		uint32_t pad;
		uint32_t pio;
	};
	uint8_t data[8];
};

/* The ring page, mmap'ed from a vCPU fd at KVM_COALESCED_MMIO_PAGE_OFFSET. */
#if defined(__x86_64__)
#define KVM_COALESCED_MMIO_PAGE_OFFSET 2
#endif
struct kvm_coalesced_mmio_ring {
	uint32_t first, last;
	struct kvm_coalesced_mmio coalesced_mmio[];
};

/* KVM_PRE_FAULT_MEMORY */
struct kvm_pre_fault_memory {
	uint64_t gpa;  /* in/out */
	uint64_t size; /* in/out */
	uint64_t flags;
	uint64_t padding[5];
};

/* KVM_X86_SET_MSR_FILTER. */
#define KVM_MSR_FILTER_READ (1 << 0)
#define KVM_MSR_FILTER_WRITE (1 << 1)
#define KVM_MSR_FILTER_RANGE_VALID_MASK (KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE)
#define KVM_MSR_FILTER_MAX_BITMAP_SIZE 0x600 /* bytes */
struct kvm_msr_filter_range {
	uint32_t flags;
	uint32_t nmsrs; /* number of msrs in bitmap */
	uint32_t base;  /* MSR index the bitmap starts at */
	uint8_t *bitmap; /* a 1 bit allows the operations in flags, 0 denies */
};

#define KVM_MSR_FILTER_MAX_RANGES 16
#define KVM_MSR_FILTER_DEFAULT_ALLOW (0 << 0)
#define KVM_MSR_FILTER_DEFAULT_DENY (1 << 0)
#define KVM_MSR_FILTER_VALID_MASK (KVM_MSR_FILTER_DEFAULT_DENY)
struct kvm_msr_filter {
	uint32_t flags;
	struct kvm_msr_filter_range ranges[KVM_MSR_FILTER_MAX_RANGES];
};

/* Capabilities (KVM_CHECK_EXTENSION). */
#define KVM_CAP_USER_MEMORY 3
#define KVM_CAP_NR_VCPUS 9
#define KVM_CAP_NR_MEMSLOTS 10
#define KVM_CAP_EXT_CPUID 7
#define KVM_CAP_MP_STATE 14
#define KVM_CAP_MAX_VCPUS 66
#define KVM_CAP_TSC_CONTROL 60
#define KVM_CAP_GET_TSC_KHZ 61
#define KVM_CAP_READONLY_MEM 81
#define KVM_CAP_VCPU_EVENTS 41
#define KVM_CAP_XSAVE 55
#define KVM_CAP_XCRS 56
#define KVM_CAP_ENABLE_CAP_VM 98
#define KVM_CAP_MULTI_ADDRESS_SPACE 118
#define KVM_CAP_CHECK_EXTENSION_VM 105
#define KVM_CAP_MAX_VCPU_ID 128
#define KVM_CAP_GET_MSR_FEATURES 153
#define KVM_CAP_MSR_PLATFORM_INFO 159
#define KVM_CAP_X86_USER_SPACE_MSR 188
#define KVM_CAP_X86_MSR_FILTER 189
#define KVM_CAP_EXIT_ON_EMULATION_FAILURE 204
#define KVM_CAP_SYNC_REGS 74
#define KVM_CAP_IMMEDIATE_EXIT 136
#define KVM_CAP_HALT_POLL 182
#define KVM_CAP_SREGS2 200
#define KVM_CAP_XSAVE2 208
#define KVM_CAP_VM_TSC_CONTROL 214
#define KVM_CAP_USER_MEMORY2 231
#define KVM_CAP_VM_TYPES 235
#define KVM_CAP_COALESCED_MMIO 15
#define KVM_CAP_COALESCED_PIO 162
#define KVM_CAP_BINARY_STATS_FD 203
#define KVM_CAP_PRE_FAULT_MEMORY 236

/* ioctls on /dev/kvm */
#define KVM_GET_API_VERSION KVM_IO_(0x00)
#define KVM_CREATE_VM KVM_IO_(0x01)
#define KVM_GET_MSR_INDEX_LIST KVM_IOWR_(0x02, struct kvm_msr_list)
#define KVM_CHECK_EXTENSION KVM_IO_(0x03)
#define KVM_GET_VCPU_MMAP_SIZE KVM_IO_(0x04)

/* KVM_SET_SIGNAL_MASK: the signals blocked during KVM_RUN (vCPU). */
struct kvm_signal_mask {
	uint32_t len;
	uint8_t sigset[];
};
#define KVM_SET_SIGNAL_MASK KVM_IOW_(0x8b, struct kvm_signal_mask)

/* KVM_SET_BOOT_CPU_ID: which vCPU id is the BSP (VM, before vCPUs). */
#define KVM_CAP_SET_BOOT_CPU_ID 34
#define KVM_SET_BOOT_CPU_ID KVM_IO_(0x78)
#define KVM_GET_SUPPORTED_CPUID KVM_IOWR_(0x05, struct kvm_cpuid2)
#define KVM_GET_EMULATED_CPUID KVM_IOWR_(0x09, struct kvm_cpuid2)
#define KVM_GET_MSR_FEATURE_INDEX_LIST KVM_IOWR_(0x0a, struct kvm_msr_list)
/* KVM_GET_MSRS is also a /dev/kvm ioctl (feature MSRs). */
/* ioctls on VM fds */
#define KVM_CREATE_VCPU KVM_IO_(0x41)
#define KVM_SET_NR_MMU_PAGES KVM_IO_(0x44)
#define KVM_GET_NR_MMU_PAGES KVM_IO_(0x45)
#define KVM_SET_USER_MEMORY_REGION KVM_IOW_(0x46, struct kvm_userspace_memory_region)
#define KVM_SET_USER_MEMORY_REGION2 KVM_IOW_(0x49, struct kvm_userspace_memory_region2)
#define KVM_ENABLE_CAP KVM_IOW_(0xa3, struct kvm_enable_cap)
#define KVM_REGISTER_COALESCED_MMIO KVM_IOW_(0x67, struct kvm_coalesced_mmio_zone)
#define KVM_UNREGISTER_COALESCED_MMIO KVM_IOW_(0x68, struct kvm_coalesced_mmio_zone)
/* KVM_GET_STATS_FD is a VM and a vCPU ioctl. */
#define KVM_GET_STATS_FD KVM_IO_(0xce)
#define KVM_X86_SET_MSR_FILTER KVM_IOW_(0xc6, struct kvm_msr_filter)
/* KVM_SET_TSC_KHZ and KVM_GET_TSC_KHZ are also VM ioctls. */
/* ioctls on vCPU fds */
#define KVM_RUN KVM_IO_(0x80)
#define KVM_GET_REGS KVM_IOR_(0x81, struct kvm_regs)
#define KVM_SET_REGS KVM_IOW_(0x82, struct kvm_regs)
#define KVM_GET_SREGS KVM_IOR_(0x83, struct kvm_sregs)
#define KVM_SET_SREGS KVM_IOW_(0x84, struct kvm_sregs)
#define KVM_TRANSLATE KVM_IOWR_(0x85, struct kvm_translation)
#define KVM_GET_FPU KVM_IOR_(0x8c, struct kvm_fpu)
#define KVM_SET_FPU KVM_IOW_(0x8d, struct kvm_fpu)
#define KVM_GET_XSAVE KVM_IOR_(0xa4, struct kvm_xsave)
#define KVM_SET_XSAVE KVM_IOW_(0xa5, struct kvm_xsave)
#define KVM_GET_XCRS KVM_IOR_(0xa6, struct kvm_xcrs)
#define KVM_SET_XCRS KVM_IOW_(0xa7, struct kvm_xcrs)
#define KVM_GET_SREGS2 KVM_IOR_(0xcc, struct kvm_sregs2)
#define KVM_SET_SREGS2 KVM_IOW_(0xcd, struct kvm_sregs2)
#define KVM_GET_XSAVE2 KVM_IOR_(0xcf, struct kvm_xsave)
#define KVM_GET_MSRS KVM_IOWR_(0x88, struct kvm_msrs)
#define KVM_SET_MSRS KVM_IOW_(0x89, struct kvm_msrs)
#define KVM_SET_CPUID KVM_IOW_(0x8a, struct kvm_cpuid)
#define KVM_SET_CPUID2 KVM_IOW_(0x90, struct kvm_cpuid2)
#define KVM_GET_CPUID2 KVM_IOWR_(0x91, struct kvm_cpuid2)
#define KVM_SET_TSC_KHZ KVM_IO_(0xa2)
#define KVM_GET_TSC_KHZ KVM_IO_(0xa3)
#define KVM_GET_VCPU_EVENTS KVM_IOR_(0x9f, struct kvm_vcpu_events)
#define KVM_SET_VCPU_EVENTS KVM_IOW_(0xa0, struct kvm_vcpu_events)
#define KVM_GET_MP_STATE KVM_IOR_(0x98, struct kvm_mp_state)
#define KVM_SET_MP_STATE KVM_IOW_(0x99, struct kvm_mp_state)
#define KVM_PRE_FAULT_MEMORY KVM_IOWR_(0xd5, struct kvm_pre_fault_memory)

/* The MCG_CAP bits KVM can emulate (KVM_CAP_MCE), on /dev/kvm. */
#define KVM_X86_GET_MCE_CAP_SUPPORTED KVM_IOR_(0x9d, uint64_t)

/* KVM_GET/SET_DEBUGREGS (KVM_CAP_DEBUGREGS). */
#define KVM_CAP_DEBUGREGS 50
struct kvm_debugregs {
	uint64_t db[4];
	uint64_t dr6;
	uint64_t dr7;
	uint64_t flags;
	uint64_t reserved[9];
};
#define KVM_GET_DEBUGREGS KVM_IOR_(0xa1, struct kvm_debugregs)
#define KVM_SET_DEBUGREGS KVM_IOW_(0xa2, struct kvm_debugregs)

/* KVM_SET_GUEST_DEBUG (KVM_CAP_SET_GUEST_DEBUG; KVM_CAP_SET_GUEST_DEBUG2
 * answers the control bits supported). */
#define KVM_CAP_SET_GUEST_DEBUG 23
#define KVM_CAP_SET_GUEST_DEBUG2 195
#define KVM_GUESTDBG_ENABLE 0x00000001
#define KVM_GUESTDBG_SINGLESTEP 0x00000002
#define KVM_GUESTDBG_USE_SW_BP 0x00010000
#define KVM_GUESTDBG_USE_HW_BP 0x00020000
#define KVM_GUESTDBG_INJECT_DB 0x00040000
#define KVM_GUESTDBG_INJECT_BP 0x00080000
#define KVM_GUESTDBG_BLOCKIRQ 0x00100000
struct kvm_guest_debug_arch {
	uint64_t debugreg[8];
};
struct kvm_guest_debug {
	uint32_t control;
	uint32_t pad;
	struct kvm_guest_debug_arch arch;
};
#define KVM_SET_GUEST_DEBUG KVM_IOW_(0x9b, struct kvm_guest_debug)

/* KVM_ENABLE_CAP on a VM: KVM_GET/SET_VCPU_EVENTS tell a pending exception
 * from an injected one, and carry its payload (KVM_VCPUEVENT_VALID_PAYLOAD). */
#define KVM_CAP_EXCEPTION_PAYLOAD 164

/* ---- VM set-up (x86) ---- */
/* Guest-physical addresses of the regions VMX's real-mode emulation needs
 * (three pages for the TSS, one for an identity-mapped page table). */
#define KVM_CAP_SET_TSS_ADDR 4
#define KVM_CAP_SET_IDENTITY_MAP_ADDR 37
#define KVM_SET_TSS_ADDR KVM_IO_(0x47)
#define KVM_SET_IDENTITY_MAP_ADDR KVM_IOW_(0x48, uint64_t)
/* Old capabilities that describe behaviour every VMM relies on. */
#define KVM_CAP_CLOCKSOURCE 8
#define KVM_CAP_NOP_IO_DELAY 12
#define KVM_CAP_SYNC_MMU 16
#define KVM_CAP_DESTROY_MEMORY_REGION_WORKS 21
#define KVM_CAP_JOIN_MEMORY_REGIONS_WORKS 30

/* ---- the in-kernel interrupt controllers (x86) ---- */
/* The local APIC in the kernel, the PIC and I/O APIC in user space. */
#define KVM_CAP_SPLIT_IRQCHIP 121
#define KVM_CAP_TSC_DEADLINE_TIMER 72
/* KVM_INTERRUPT: an external interrupt from a PIC in user space. */
struct kvm_interrupt {
	uint32_t irq;
};
#define KVM_INTERRUPT KVM_IOW_(0x86, struct kvm_interrupt)
/* KVM_NMI: inject an NMI (KVM_CAP_USER_NMI). */
#define KVM_CAP_USER_NMI 22
#define KVM_NMI KVM_IO_(0x9a)
#define KVM_CAP_IRQCHIP 0
#define KVM_CAP_IRQ_INJECT_STATUS 26
#define KVM_CAP_X2APIC_API 129
#define KVM_X2APIC_API_USE_32BIT_IDS (1ULL << 0)
#define KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK (1ULL << 1)
#define KVM_APIC_REG_SIZE 0x400
/* KVM_GET/SET_LAPIC: the xAPIC register page, registers at their MMIO offsets. */
struct kvm_lapic_state {
	char regs[KVM_APIC_REG_SIZE];
};

#define KVM_IOAPIC_NUM_PINS 24
/* One 8259A as KVM_GET/SET_IRQCHIP carries it. */
struct kvm_pic_state {
	uint8_t last_irr; /* edge detection */
	uint8_t irr; /* interrupt request register */
	uint8_t imr; /* interrupt mask register */
	uint8_t isr; /* interrupt service register */
	uint8_t priority_add; /* highest irq priority */
	uint8_t irq_base;
	uint8_t read_reg_select;
	uint8_t poll;
	uint8_t special_mask;
	uint8_t init_state;
	uint8_t auto_eoi;
	uint8_t rotate_on_auto_eoi;
	uint8_t special_fully_nested_mode;
	uint8_t init4; /* true if 4 byte init */
	uint8_t elcr; /* PIIX edge/trigger selection */
	uint8_t elcr_mask;
};

struct kvm_ioapic_state {
	uint64_t base_address;
	uint32_t ioregsel;
	uint32_t id;
	uint32_t irr;
	uint32_t pad;
	union {
		uint64_t bits;
		struct {
			uint8_t vector;
			uint8_t delivery_mode : 3;
			uint8_t dest_mode : 1;
			uint8_t delivery_status : 1;
			uint8_t polarity : 1;
			uint8_t remote_irr : 1;
			uint8_t trig_mode : 1;
			uint8_t mask : 1;
			uint8_t reserve : 7;
			uint8_t reserved[4];
			uint8_t dest_id;
		} fields;
	} redirtbl[KVM_IOAPIC_NUM_PINS];
};

#define KVM_IRQCHIP_PIC_MASTER 0
#define KVM_IRQCHIP_PIC_SLAVE 1
#define KVM_IRQCHIP_IOAPIC 2
#define KVM_NR_IRQCHIPS 3

struct kvm_irqchip {
	uint32_t chip_id;
	uint32_t pad;
	union {
		char dummy[512]; /* reserving space */
		struct kvm_pic_state pic;
		struct kvm_ioapic_state ioapic;
	} chip;
};

/* KVM_IRQ_LINE(_STATUS): drive a GSI; _STATUS returns the delivery status. */
struct kvm_irq_level {
	union {
		uint32_t irq;
		int32_t status;
	};
	uint32_t level;
};
#define KVM_CREATE_IRQCHIP KVM_IO_(0x60)
#define KVM_IRQ_LINE KVM_IOW_(0x61, struct kvm_irq_level)
#define KVM_GET_IRQCHIP KVM_IOWR_(0x62, struct kvm_irqchip)
#define KVM_SET_IRQCHIP KVM_IOR_(0x63, struct kvm_irqchip)
#define KVM_IRQ_LINE_STATUS KVM_IOWR_(0x67, struct kvm_irq_level)
#define KVM_GET_LAPIC KVM_IOR_(0x8e, struct kvm_lapic_state)
#define KVM_SET_LAPIC KVM_IOW_(0x8f, struct kvm_lapic_state)

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
KVM_ABI_ASSERT(sizeof(struct kvm_sregs2) == 320, "kvm_sregs2");
KVM_ABI_ASSERT(sizeof(struct kvm_fpu) == 416, "kvm_fpu");
KVM_ABI_ASSERT(sizeof(struct kvm_xcrs) == 392, "kvm_xcrs");
KVM_ABI_ASSERT(sizeof(struct kvm_translation) == 24, "kvm_translation");
KVM_ABI_ASSERT(sizeof(struct kvm_sync_regs) == 520, "kvm_sync_regs");
KVM_ABI_ASSERT(sizeof(struct kvm_vcpu_events) == 64, "kvm_vcpu_events");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_vcpu_events, exception_payload) == 56, "events");
KVM_ABI_ASSERT(KVM_GET_VCPU_EVENTS == 0x8040ae9f, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_USER_MEMORY_REGION == 0x4020ae46, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_USER_MEMORY_REGION2 == 0x40a0ae49, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_SREGS == 0x8138ae83, "ioctl encoding");
KVM_ABI_ASSERT(KVM_CREATE_VCPU == 0xae41, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_MP_STATE == 0x8004ae98, "ioctl encoding");
KVM_ABI_ASSERT(KVM_ENABLE_CAP == 0x4068aea3, "ioctl encoding");
KVM_ABI_ASSERT(sizeof(struct kvm_cpuid_entry) == 24, "kvm_cpuid_entry");
KVM_ABI_ASSERT(sizeof(struct kvm_cpuid) == 8, "kvm_cpuid");
KVM_ABI_ASSERT(sizeof(struct kvm_cpuid_entry2) == 40, "kvm_cpuid_entry2");
KVM_ABI_ASSERT(sizeof(struct kvm_cpuid2) == 8, "kvm_cpuid2");
KVM_ABI_ASSERT(sizeof(struct kvm_msr_entry) == 16, "kvm_msr_entry");
KVM_ABI_ASSERT(sizeof(struct kvm_msrs) == 8, "kvm_msrs");
KVM_ABI_ASSERT(sizeof(struct kvm_msr_list) == 4, "kvm_msr_list");
KVM_ABI_ASSERT(KVM_GET_MSR_INDEX_LIST == 0xc004ae02, "ioctl encoding");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, msr.reason) == 40, "kvm_run.msr");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, msr.data) == 48, "kvm_run.msr");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, emulation_failure.insn_size) == 48,
	       "kvm_run.emulation_failure");
KVM_ABI_ASSERT(sizeof(struct kvm_msr_filter_range) == 24, "kvm_msr_filter_range");
KVM_ABI_ASSERT(sizeof(struct kvm_msr_filter) == 392, "kvm_msr_filter");
KVM_ABI_ASSERT(KVM_X86_SET_MSR_FILTER == 0x4188aec6, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_SUPPORTED_CPUID == 0xc008ae05, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_MSR_FEATURE_INDEX_LIST == 0xc004ae0a, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_MSRS == 0xc008ae88, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_MSRS == 0x4008ae89, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_CPUID == 0x4008ae8a, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_CPUID2 == 0x4008ae90, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_CPUID2 == 0xc008ae91, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_TSC_KHZ == 0xaea2, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_TSC_KHZ == 0xaea3, "ioctl encoding");
KVM_ABI_ASSERT(sizeof(struct kvm_stats_header) == 24, "kvm_stats_header");
KVM_ABI_ASSERT(sizeof(struct kvm_stats_desc) == 16, "kvm_stats_desc");
KVM_ABI_ASSERT(sizeof(struct kvm_coalesced_mmio_zone) == 16, "kvm_coalesced_mmio_zone");
KVM_ABI_ASSERT(sizeof(struct kvm_coalesced_mmio) == 24, "kvm_coalesced_mmio");
KVM_ABI_ASSERT(sizeof(struct kvm_coalesced_mmio_ring) == 8, "kvm_coalesced_mmio_ring");
KVM_ABI_ASSERT(sizeof(struct kvm_pre_fault_memory) == 64, "kvm_pre_fault_memory");
KVM_ABI_ASSERT(KVM_REGISTER_COALESCED_MMIO == 0x4010ae67, "ioctl encoding");
KVM_ABI_ASSERT(KVM_UNREGISTER_COALESCED_MMIO == 0x4010ae68, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_STATS_FD == 0xaece, "ioctl encoding");
KVM_ABI_ASSERT(KVM_PRE_FAULT_MEMORY == 0xc040aed5, "ioctl encoding");
KVM_ABI_ASSERT(sizeof(struct kvm_lapic_state) == 1024, "kvm_lapic_state");
KVM_ABI_ASSERT(sizeof(struct kvm_pic_state) == 16, "kvm_pic_state");
KVM_ABI_ASSERT(sizeof(struct kvm_ioapic_state) == 216, "kvm_ioapic_state");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_ioapic_state, redirtbl) == 24, "redirtbl");
KVM_ABI_ASSERT(sizeof(struct kvm_irqchip) == 520, "kvm_irqchip");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_irqchip, chip) == 8, "kvm_irqchip.chip");
KVM_ABI_ASSERT(sizeof(struct kvm_irq_level) == 8, "kvm_irq_level");
KVM_ABI_ASSERT(sizeof(struct kvm_debugregs) == 128, "kvm_debugregs");
KVM_ABI_ASSERT(sizeof(struct kvm_guest_debug) == 72, "kvm_guest_debug");
KVM_ABI_ASSERT(KVM_SET_GUEST_DEBUG == 0x4048ae9b, "ioctl encoding");
KVM_ABI_ASSERT(sizeof(struct kvm_debug_exit_arch) == 32, "kvm_debug_exit_arch");
KVM_ABI_ASSERT(__builtin_offsetof(struct kvm_run, debug.arch.dr7) == 56, "kvm_run debug");
KVM_ABI_ASSERT(KVM_X86_GET_MCE_CAP_SUPPORTED == 0x8008ae9d, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_DEBUGREGS == 0x8080aea1, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_DEBUGREGS == 0x4080aea2, "ioctl encoding");
KVM_ABI_ASSERT(KVM_CREATE_IRQCHIP == 0xae60, "ioctl encoding");
KVM_ABI_ASSERT(KVM_IRQ_LINE == 0x4008ae61, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_IRQCHIP == 0xc208ae62, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_IRQCHIP == 0x8208ae63, "ioctl encoding");
KVM_ABI_ASSERT(KVM_IRQ_LINE_STATUS == 0xc008ae67, "ioctl encoding");
KVM_ABI_ASSERT(KVM_GET_LAPIC == 0x8400ae8e, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_LAPIC == 0x4400ae8f, "ioctl encoding");
KVM_ABI_ASSERT(KVM_INTERRUPT == 0x4004ae86, "ioctl encoding");
KVM_ABI_ASSERT(KVM_NMI == 0xae9a, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_TSS_ADDR == 0xae47, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_SIGNAL_MASK == 0x4004ae8b, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_BOOT_CPU_ID == 0xae78, "ioctl encoding");
KVM_ABI_ASSERT(KVM_SET_IDENTITY_MAP_ADDR == 0x4008ae48, "ioctl encoding");

#include "kvm_abi_x86_pv.h"
#include "kvm_abi_eventfd.h"
#include "kvm_abi_irq_routing.h"
#include "kvm_abi_pit.h"
#include "kvm_abi_mce.h"
#include "kvm_abi_vapic.h"
#include "kvm_abi_dirty.h"

#endif /* KVMPP_UAPI_KVM_ABI_H */
