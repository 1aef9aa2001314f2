/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boot sector of the test disk: SeaBIOS loads it at 0x7c00 in real mode.
 * It reads the disk's second sector through the BIOS (int 13h, AH=42h),
 * checks its magic, prints both messages on COM1 and ends QEMU through the
 * isa-debug-exit device at port 0xf4 (QEMU exit status 1 = success, 3 = the
 * read failed). The MBR's partition table points at the ext4 partition the
 * Linux guest mounts.
 */
	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp
	sti
	mov %dl, boot_drive		/* the BIOS passes it in DL */
	mov $msg_start, %si
	call puts
	mov $0x42, %ah			/* extended read of the boot drive */
	mov boot_drive, %dl
	mov $dap, %si
	int $0x13
	jc fail
	cmpl $0x504d564b, 0x7e00	/* "KVMP" */
	jne fail
	mov $0x7e04, %si
	call puts
	xor %al, %al
	out %al, $0xf4
	hlt
fail:
	mov $msg_fail, %si
	call puts
	mov $1, %al
	out %al, $0xf4
	hlt

puts:					/* print the NUL-terminated string at DS:SI */
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	ret

msg_start: .asciz "BOOTSECTOR: real mode, loaded by the BIOS\r\n"
msg_fail:  .asciz "BOOTSECTOR: reading sector 1 failed\r\n"
boot_drive: .byte 0
	.balign 4
dap:	.byte 16, 0			/* disk address packet */
	.word 1				/* one sector */
	.word 0x7e00, 0			/* to 0000:7e00 */
	.quad 1				/* LBA 1 */

	.org 446			/* partition 1: Linux, LBA 2048, 16 MiB */
	.byte 0x00, 0xfe, 0xff, 0xff, 0x83, 0xfe, 0xff, 0xff
	.long 2048, 32768
	.org 510
	.byte 0x55, 0xaa
