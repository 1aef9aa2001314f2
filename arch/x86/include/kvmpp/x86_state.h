/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architectural state of an x86 vCPU and the vendor-neutral description
 * of a VM exit: what the x86 layer (kvm.ko) and a vendor backend (kvm-amd.ko,
 * kvm-intel.ko) exchange on every run. C-compatible on purpose (it crosses
 * the module boundary through backend_ops.h).
 *
 * The x86 layer owns this state; the backend loads it into the hardware
 * (VMCB/VMCS) before entering the guest and stores it back after the exit.
 */
#ifndef KVMPP_X86_STATE_H
#define KVMPP_X86_STATE_H

#include <glue/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum x86_gpr {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
	X86_NR_GPRS
};

/* A segment register, in kvm_segment's terms (unpacked attributes). */
struct x86_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, present, dpl, db, s, l, g, avl, unusable;
};

struct x86_dtable {
	uint64_t base;
	uint16_t limit;
};

/* An event (exception, interrupt, NMI) being injected into the guest. */
enum x86_event_type { X86_EVENT_INTR = 0, X86_EVENT_NMI = 2, X86_EVENT_EXCEPTION = 3, X86_EVENT_SOFT_INT = 4 };
struct x86_event {
	uint8_t valid;
	uint8_t vector;
	uint8_t type;      /* enum x86_event_type */
	uint8_t has_error;
	uint32_t error_code;
};

enum x86_seg { X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_LDTR, X86_TR, X86_NR_SEGS };

struct x86_state {
	uint64_t gpr[X86_NR_GPRS];
	uint64_t rip, rflags;
	struct x86_segment seg[X86_NR_SEGS];
	struct x86_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	/* The guest's own debug registers, all virtual: the hardware runs the
	 * guest with DR7 = 0x400, or with the debugger's registers
	 * (struct x86_debug), never with these. */
	uint64_t dr[4];
	uint64_t dr6;
	uint64_t dr7;
	uint64_t xcr0;
	uint32_t pkru;    /* the guest's protection-key rights (0 at reset) */
	/* MSRs the hardware switches itself (VMLOAD/VMSAVE on SVM). */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t pat;
	uint64_t tsc_offset;
	/* The guest is in an interrupt shadow (after MOV SS / STI). */
	uint8_t interrupt_shadow;
	/* Delivered on the next entry; an exit during delivery puts it back. */
	struct x86_event event;
	/* event is an INTn/INT3/INTO whose instruction RIP still points at:
	 * step over it before injecting (no NRIP save to do it for us). */
	uint8_t event_at_insn;
};

/* Why the guest stopped, decoded by the backend. */
enum x86_exit_kind {
	X86_EXIT_NONE,        /* handled by the backend: enter again */
	X86_EXIT_INTR,        /* a host interrupt or NMI: enter again */
	X86_EXIT_IO,          /* IN/OUT/INS/OUTS */
	X86_EXIT_HLT,
	X86_EXIT_CPUID,
	X86_EXIT_RDMSR,
	X86_EXIT_WRMSR,
	X86_EXIT_XSETBV,
	X86_EXIT_TDP_FAULT,   /* nested page fault */
	X86_EXIT_SHUTDOWN,    /* triple fault */
	X86_EXIT_FAIL_ENTRY,  /* the hardware refused the guest state */
	X86_EXIT_UD,          /* an instruction the guest may not use: inject #UD */
	X86_EXIT_GP,          /* an instruction that faults without its feature: #GP(0) */
	X86_EXIT_RDTSCP,
	X86_EXIT_EXCEPTION,   /* an intercepted guest exception (info[0]: vector) */
	X86_EXIT_MACHINE_CHECK, /* a host #MC arrived while the guest ran */
	X86_EXIT_CACHE_FLUSH, /* INVD or WBINVD (info[0]: second opcode byte) */
	X86_EXIT_DR_ACCESS,   /* MOV to/from a debug register (info[0]: 1 = write) */
	X86_EXIT_IRQ_WINDOW,  /* the guest can take an interrupt now */
	X86_EXIT_UNKNOWN,     /* nothing the layer handles */
	X86_EXIT_HYPERCALL,   /* the vendor's hypercall instruction (VMMCALL, VMCALL) */
	X86_EXIT_UD_FAULT,    /* the guest raised #UD (intercepted): emulate or reflect */
	X86_EXIT_IRET,        /* an IRET is about to run (X86_RUN_IRET_WINDOW) */
	/* X86_DEBUG_INTERCEPT_DB: a #DB (info[0]: DR6 as the hardware left it) */
	X86_EXIT_DEBUG,
	/* X86_DEBUG_INTERCEPT_BP: a #BP (RIP on its INT3) */
	X86_EXIT_BREAKPOINT,
	/* X86_DEBUG_INTERCEPT_BP: an INTn, INT3 or INTO about to run (RIP on
	 * it); some CPUs (QEMU's TCG) report INT3 this way, not as a #BP */
	X86_EXIT_SOFT_INT,
};

/* X86_EXIT_IO details (SVM IOIO EXITINFO1 carries all of them). */
struct x86_io_exit {
	uint16_t port;
	uint8_t size;      /* 1, 2 or 4 */
	uint8_t in;        /* 1: IN/INS */
	uint8_t string;    /* INS/OUTS */
	uint8_t rep;
	uint8_t addr_size; /* 2, 4 or 8 (string forms) */
	uint8_t seg;       /* enum x86_seg of the source (OUTS) */
};

struct x86_exit {
	enum x86_exit_kind kind;
	uint64_t hw_reason; /* the vendor's exit code */
	/* RIP of the next instruction when the hardware reports it, else 0. */
	uint64_t next_rip;
	union {
		struct x86_io_exit io;
		struct {
			uint64_t gpa;
			uint64_t error_code; /* P, W, U, RSVD, I/D bits as a #PF error code */
		} tdp;
		uint64_t info[2];
	};
};

/* Backend flags for one run. */
enum x86_run_flags {
	X86_RUN_FLUSH_TLB = 1, /* the TDP tables changed: flush this vCPU's TLB */
	/* An interrupt waits: exit (X86_EXIT_IRQ_WINDOW) as soon as the guest
	 * can take one (RFLAGS.IF set, no interrupt shadow). */
	X86_RUN_IRQ_WINDOW = 2,
	/* NMIs are blocked by an NMI in service: exit (X86_EXIT_IRET) before the
	 * guest's next IRET, which ends the blocking. */
	X86_RUN_IRET_WINDOW = 4,
};

/* Instructions the guest executes without an exit (KVM_CAP_X86_DISABLE_EXITS). */
enum x86_passthrough {
	X86_PASSTHROUGH_HLT = 1,
};

/* Guest debugging for one run (KVM_SET_GUEST_DEBUG). */
enum x86_debug_flags {
	X86_DEBUG_INTERCEPT_DB = 1, /* #DB exits: X86_EXIT_DEBUG */
	X86_DEBUG_INTERCEPT_BP = 2, /* #BP, INTn, INT3, INTO exit */
	/* The guest runs with dr[0..3] in DR0-DR3 and dr7 in DR7 (the
	 * debugger's breakpoints). */
	X86_DEBUG_LOAD_DRS = 4,
};
struct x86_debug {
	unsigned int flags; /* enum x86_debug_flags */
	uint64_t dr[4];
	uint64_t dr7;
};

/* Everything a backend's vcpu_run needs (see backend_ops.h). */
struct x86_run {
	struct x86_state *state;
	uint64_t host_xcr0;    /* restored after the exit */
	bool host_pku;         /* the host uses PKRU: the backend switches it */
	uint64_t tdp_root;     /* physical address of the NPT/EPT root */
	unsigned int flags;    /* enum x86_run_flags */
	unsigned int passthrough; /* enum x86_passthrough */
	unsigned int cpu;      /* the CPU this entry runs on (interrupts are off) */
	/* With X86_DEBUG_INTERCEPT_DB the guest runs with a clean DR6 (its own
	 * state->dr6 is kept), so that X86_EXIT_DEBUG reports this run's bits. */
	struct x86_debug debug;
	struct x86_exit exit;  /* out */
};

#ifdef __cplusplus
}
#endif

#endif /* KVMPP_X86_STATE_H */
