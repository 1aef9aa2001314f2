# Sourced by the QEMU jobs: boot a guest under Debian's unchanged QEMU on
# whichever KVM modules are loaded, and judge the run.
#   boot_linux TAG MACHINE SMP IRQCHIP   -> /tmp/q-TAG.log, /tmp/q-TAG.klog
#   boot_seabios TAG MACHINE             -> /tmp/q-TAG.log
# Both set BOOT_INIT (seconds from QEMU's start to the guest's init, or
# "-"), BOOT_TOTAL (seconds to QEMU's exit) and BOOT_WHY (empty on success).
QEMU=/usr/bin/qemu-system-x86_64
BOOT_TIMEOUT=${BOOT_TIMEOUT:-240}
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk "BEGIN{printf \"%.2f\", $2 - $1}"; }

# klog_normalise: guest kernel messages (stdin), without the addresses and
# numbers that vary from boot to boot, one of each, for comparison with the
# reference lists (guest-klog-*.txt).
klog_normalise() {
	sed 's/[0-9a-f]\{8,\}/X/g; s/[0-9][0-9]* \?ms/N ms/g; s/Lost [0-9][0-9]* RTC/Lost N RTC/; s/^Code: .*/Code: .../' | sort -u
}

# stale_code_int3 LOG: whether the guest in LOG died of the test machine's
# emulator rather than of KVM: an "Oops: int3" whose Code: line shows no
# int3 (cc) in memory at the byte the vCPU executed as one (the byte before
# "<", at RIP - 1). Linux patches live code (static keys) by writing an int3
# over the first byte, then the rest, then the first byte back, with an IPI
# to every CPU in between (text_poke_bp); multi-threaded TCG now and then
# runs a stale translation of that code on another vCPU after the last
# step. Memory, read back for the Code: line, holds the new byte: no
# mapping of KVM's can show one CPU old code and new data at the same
# address. The test machine's own kernel dies the same way on the stock
# modules (data/upstream-selftests-stock.md); the jobs boot such a guest again.
stale_code_int3() {
	tr -d '\r' < "$1" | grep -a -A12 'Oops: int3' | grep -a -m1 'Code: ' | grep -qv 'cc <'
}

# silent_reset LOG RC: whether the guest reset before it printed anything:
# QEMU (-no-reboot) exited 0 and LOG, its serial console and messages, is
# empty. A triple fault or a reset in the kernel's first steps, before its
# console starts; seen once each on ours (a pc/split boot) and on the stock
# modules (a migration source) on 2026-12-05, out of about 60 guests each,
# and not explained yet (Documentation/testing.rst). The jobs boot such a
# guest again, once.
silent_reset() {
	[ "$2" = 0 ] && ! grep -qa '[^[:space:]]' "$1"
}

# first_oops LOG: the guest's first oops, warning or panic and the 60 lines
# after it (where it happened), as "# | " comment lines; nothing if none.
first_oops() {
	tr -d '\r' < "$1" | grep -av '^GUEST-KLOG' |
		sed -n '/Oops\|BUG:\|WARNING:\|Kernel panic\|general protection/,$p' | head -60 | sed 's/^/# | /'
}

# run_qemu LOG MARKER ARGS...: run QEMU in the background, note when MARKER
# first appears in its output and when it exits, kill it after BOOT_TIMEOUT;
# sets QEMU_RC. Its output goes through awk, which notes both times as they
# happen (to /proc/uptime's 0.01 s), so they do not depend on the polling.
run_qemu() {
	log=$1 marker=$2; shift 2
	rm -f /tmp/threads.log /tmp/monitor.log /tmp/ftrace.log /tmp/qemu.out /tmp/marker.time /tmp/exit.time
	mkfifo /tmp/qemu.out
	awk -v m="$marker" '{ print; fflush() }
		!seen && index($0, m) { seen = 1; system("cut -d\" \" -f1 /proc/uptime > /tmp/marker.time") }
		END { system("cut -d\" \" -f1 /proc/uptime > /tmp/exit.time") }' < /tmp/qemu.out > "$log" &
	reader=$!
	start=$(now)
	# shellcheck disable=SC2086 # BOOT_EXTRA is a list of options
	$BOOT_WRAP "$QEMU" -nodefaults -display none -no-reboot -serial stdio $BOOT_EXTRA "$@" > /tmp/qemu.out 2>&1 < /dev/null &
	pid=$!
	BOOT_INIT=- timed_out=0
	while kill -0 $pid 2>/dev/null; do
		t=$(now)
		if [ "$(secs "$start" "$t" | cut -d. -f1)" -ge "$BOOT_TIMEOUT" ]; then
			# Where QEMU's threads are, twice a second apart: in the
			# report of any boot that timed out.
			for task in /proc/$pid/task/*; do
				echo "== thread ${task##*/} $(cat "$task/comm") state $(cut -d' ' -f3 "$task/stat") utime/stime $(cut -d' ' -f14,15 "$task/stat")"
				cat "$task/stack"
			done > /tmp/threads.log 2>&1
			sleep 1
			for task in /proc/$pid/task/*; do
				echo "== thread ${task##*/} a second later: utime/stime $(cut -d' ' -f14,15 "$task/stat")"
			done >> /tmp/threads.log 2>&1
			if [ -p /tmp/mon.in ]; then # debug: where the vCPUs are
				cat /tmp/mon.out > /tmp/monitor.log &
				printf 'info cpus\ninfo registers -a\n' > /tmp/mon.in
				sleep 3
				tr=/sys/kernel/tracing
				mount -t tracefs tracefs $tr 2>/dev/null
				echo ':mod:kvm' > $tr/set_ftrace_filter; echo ':mod:kvm_amd' >> $tr/set_ftrace_filter
				echo function > $tr/current_tracer; sleep 0.3; echo nop > $tr/current_tracer
				head -200 $tr/trace > /tmp/ftrace.log
			fi
			[ -n "$BOOT_WRAP" ] && kill -9 $(cat /proc/$pid/task/*/children) 2>/dev/null
			kill -9 $pid; timed_out=1
		fi
		sleep 0.2
	done
	wait $pid
	QEMU_RC=$?
	wait $reader
	[ $timed_out = 1 ] && echo "TIMEOUT after ${BOOT_TIMEOUT}s" >> "$log"
	BOOT_TOTAL=$(secs "$start" "$(cat /tmp/exit.time 2>/dev/null || now)")
	if [ -s /tmp/marker.time ]; then BOOT_INIT=$(secs "$start" "$(cat /tmp/marker.time)"); fi
}

boot_linux() {
	tag=$1 machine=$2 smp=$3 irqchip=$4
	cp /guest/disk.img /tmp/disk.img
	# QEMU 7.2 offers the interrupt-based async page fault MSR even when the
	# local APIC is its own, and stock KVM then refuses it: leave it out.
	cpu=host
	[ "$irqchip" = off ] && cpu=host,-kvm-asyncpf-int
	run_qemu "/tmp/q-$tag.log" GUEST-INIT -M "$machine" -accel "kvm,kernel-irqchip=$irqchip" \
		-cpu "${BOOT_CPU:-$cpu}" -smp "$smp" -m 256M \
		-kernel /guest/vmlinuz -initrd /guest/initrd.cpio.gz \
		-append "${BOOT_APPEND:-console=ttyS0 panic=-1 loglevel=4}" \
		-drive file=/tmp/disk.img,if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0
	# (The serial console ends lines with CR LF.)
	tr -d '\r' < "/tmp/q-$tag.log" | grep '^GUEST-KLOG' | cut -d' ' -f3- > "/tmp/q-$tag.klograw"
	klog_normalise < "/tmp/q-$tag.klograw" > "/tmp/q-$tag.klog"
	BOOT_WHY=
	grep -q '^GUEST-READ written by the host' "/tmp/q-$tag.log" || BOOT_WHY="$BOOT_WHY no-disk-read"
	grep -q '^GUEST-WROTE' "/tmp/q-$tag.log" || BOOT_WHY="$BOOT_WHY no-disk-write"
	grep -q '^GUEST-POWEROFF' "/tmp/q-$tag.log" || BOOT_WHY="$BOOT_WHY no-poweroff"
	[ "$QEMU_RC" -eq 0 ] || BOOT_WHY="$BOOT_WHY qemu-rc=$QEMU_RC"
	# The file the guest wrote, read back here through a loop device.
	mkdir -p /tmp/disk
	if losetup -o 1048576 /dev/loop0 /tmp/disk.img && mount -t ext4 -o ro /dev/loop0 /tmp/disk; then
		grep -q "wrote this with $smp CPUs" /tmp/disk/guest.txt 2>/dev/null || BOOT_WHY="$BOOT_WHY no-file-on-host"
		umount /tmp/disk
	else
		BOOT_WHY="$BOOT_WHY cannot-mount-on-host"
	fi
	losetup -d /dev/loop0 2>/dev/null
	return 0
}

boot_seabios() {
	tag=$1 machine=$2
	cp /guest/disk.img /tmp/disk.img
	run_qemu "/tmp/q-$tag.log" 'BOOTSECTOR: real mode' -M "$machine" -accel kvm -cpu host -m 64M \
		-device isa-debug-exit,iobase=0xf4,iosize=1 \
		-drive file=/tmp/disk.img,if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0,bootindex=0
	BOOT_WHY=
	grep -q 'BOOTSECTOR: sector 1 read through int 13h' "/tmp/q-$tag.log" || BOOT_WHY="$BOOT_WHY no-int13-read"
	[ "$QEMU_RC" -eq 1 ] || BOOT_WHY="$BOOT_WHY qemu-rc=$QEMU_RC"
	return 0
}

# boot_gdb TAG: a Linux boot (q35, 1 vCPU, in-kernel irqchip) under the
# gdbstub: QEMU waits for gdb (-s -S), which stops the guest on a hardware
# breakpoint (hbreak) at the kernel's 32-bit entry point, steps three
# instructions (stepi), stops on a software breakpoint (break) at the 64-bit
# entry point, and detaches; the boot must then go on as any other. Debian's
# System.map is a stub, so the addresses are the boot protocol's: the
# bzImage header's code32_start (startup_32, run with paging off) and
# startup_64 0x200 bytes further ("64-bit Boot Protocol"), which
# startup_32 jumps to in place. Sets what boot_linux sets.
boot_gdb() {
	tag=$1
	entry32=$(od -An -tx4 -j 532 -N4 /guest/vmlinuz | tr -d ' ')
	entry32=${entry32:-00100000}
	entry64=$(printf '%x' $((0x$entry32 + 0x200)))
	entry32=$(printf '%x' $((0x$entry32)))
	cat > /tmp/gdb.cmd <<-EOF
	set pagination off
	set confirm off
	set architecture i386:x86-64
	target remote 127.0.0.1:1234
	hbreak *0x$entry32
	continue
	printf "GDB-HBREAK %lx\\n", \$pc
	delete
	stepi
	printf "GDB-STEP %lx\\n", \$pc
	stepi
	printf "GDB-STEP %lx\\n", \$pc
	stepi
	printf "GDB-STEP %lx\\n", \$pc
	break *0x$entry64
	continue
	printf "GDB-BREAK %lx\\n", \$pc
	delete
	detach
	EOF
	# gdb attaches through the loopback once QEMU listens on port 1234 (0x04D2).
	ifconfig lo 127.0.0.1 up 2>/dev/null || ip link set lo up
	(
		for _ in $(seq 100); do
			grep -q ':04D2 [0-9A-F]*:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null && break
			sleep 0.3
		done
		timeout "$BOOT_TIMEOUT" /usr/bin/gdb -nx -batch -x /tmp/gdb.cmd > "/tmp/gdb-$tag.log" 2>&1
	) &
	gdb_pid=$!
	saved_extra=$BOOT_EXTRA
	BOOT_EXTRA="$BOOT_EXTRA -s -S"
	boot_linux "$tag" q35 1 on
	BOOT_EXTRA=$saved_extra
	wait $gdb_pid
	grep -q "^GDB-HBREAK $entry32\$" "/tmp/gdb-$tag.log" || BOOT_WHY="$BOOT_WHY gdb-hbreak"
	grep -q "^GDB-BREAK $entry64\$" "/tmp/gdb-$tag.log" || BOOT_WHY="$BOOT_WHY gdb-break"
	# Three steps, each to a new instruction past the entry point.
	steps=$(grep '^GDB-STEP ' "/tmp/gdb-$tag.log" | cut -d' ' -f2 | grep -vx "$entry32" | sort -u | wc -l)
	[ "$steps" = 3 ] || BOOT_WHY="$BOOT_WHY gdb-stepi"
	return 0
}

load_ours() {
	insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko
}
load_stock() {
	insmod /modules/stock/irqbypass.ko && insmod /modules/stock/kvm.ko && insmod /modules/stock/kvm-amd.ko
}
unload_kvm() {
	rmmod kvm_amd && rmmod kvm && { rmmod irqbypass 2>/dev/null; true; }
}
