/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVM world switch. Assembly because it moves every general-purpose
 * register between the guest and the host (AMD APM vol. 2, "VMRUN
 * Instruction" and "VMSAVE and VMLOAD Instructions").
 *
 * void kvmpp_svm_vmrun(u64 guest_vmcb_pa, u64 *gprs, u64 host_save_pa)
 *
 * Called with interrupts disabled and GIF clear; returns the same way. @gprs is indexed by enum
 * x86_gpr; its RAX and RSP slots are unused (the VMCB holds those).
 * VMSAVE/VMLOAD swap FS/GS/TR/LDTR, KernelGsBase, STAR/LSTAR/CSTAR/SFMASK
 * and the SYSENTER MSRs: the host's are saved to @host_save_pa before the
 * guest's are loaded, and restored after the exit, before any C code runs.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#define GPR(n) ((n) * 8)
#define RCX 1
#define RDX 2
#define RBX 3
#define RBP 5
#define RSI 6
#define RDI 7

	.section .text, "ax"

SYM_FUNC_START(kvmpp_svm_vmrun)
	push %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rsi		/* 16(%rsp): gprs */
	push %rdx		/*  8(%rsp): host save area */
	push %rdi		/*  0(%rsp): guest VMCB */

	mov %rdx, %rax
	vmsave %rax
	mov %rdi, %rax
	vmload %rax

	/*
	 * The host IF that VMRUN saves lets physical interrupts exit the guest
	 * (V_INTR_MASKING). GIF is clear, so STI lets no interrupt in here. It
	 * is set this early, never just before VMRUN: the interrupt shadow of
	 * an STI right before VMRUN bleeds into the guest (upstream's
	 * svm_vcpu_enter_exit says AMD CPUs do; QEMU's SVM does it on every
	 * entry), and the guest then seems to sit in an STI shadow it never
	 * made: KVM_GET_VCPU_EVENTS reports it, and each entry loads it again.
	 */
	sti

	mov GPR(RCX)(%rsi), %rcx
	mov GPR(RDX)(%rsi), %rdx
	mov GPR(RBX)(%rsi), %rbx
	mov GPR(RBP)(%rsi), %rbp
	mov GPR(RDI)(%rsi), %rdi
	mov GPR(8)(%rsi), %r8
	mov GPR(9)(%rsi), %r9
	mov GPR(10)(%rsi), %r10
	mov GPR(11)(%rsi), %r11
	mov GPR(12)(%rsi), %r12
	mov GPR(13)(%rsi), %r13
	mov GPR(14)(%rsi), %r14
	mov GPR(15)(%rsi), %r15
	mov GPR(RSI)(%rsi), %rsi

	/* #VMEXIT clears GIF again; CLI restores IF=0. */
	mov (%rsp), %rax
	vmrun %rax
	cli
	/* #VMEXIT: the host's RAX and RSP are back, the rest are the guest's. */

	mov 16(%rsp), %rax
	mov %rcx, GPR(RCX)(%rax)
	mov %rdx, GPR(RDX)(%rax)
	mov %rbx, GPR(RBX)(%rax)
	mov %rbp, GPR(RBP)(%rax)
	mov %rsi, GPR(RSI)(%rax)
	mov %rdi, GPR(RDI)(%rax)
	mov %r8, GPR(8)(%rax)
	mov %r9, GPR(9)(%rax)
	mov %r10, GPR(10)(%rax)
	mov %r11, GPR(11)(%rax)
	mov %r12, GPR(12)(%rax)
	mov %r13, GPR(13)(%rax)
	mov %r14, GPR(14)(%rax)
	mov %r15, GPR(15)(%rax)

	mov (%rsp), %rax
	vmsave %rax
	mov 8(%rsp), %rax
	vmload %rax

	/* Do not let guest-controlled return predictions reach the host. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* Leave no guest value in a register the C caller might read. */
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d

	add $24, %rsp
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(kvmpp_svm_vmrun)
