# Sourced by the QEMU jobs: boot a guest under Debian's unchanged QEMU on
# whichever KVM modules are loaded, and judge the run.
#   boot_linux TAG MACHINE SMP IRQCHIP   -> /tmp/q-TAG.log, /tmp/q-TAG.klog
#   boot_seabios TAG MACHINE             -> /tmp/q-TAG.log
# Both set BOOT_INIT (seconds from QEMU's start to the guest's init, or
# "-"), BOOT_TOTAL (seconds to QEMU's exit) and BOOT_WHY (empty on success).
QEMU=/usr/bin/qemu-system-x86_64
BOOT_TIMEOUT=${BOOT_TIMEOUT:-240}
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }

# run_qemu LOG MARKER ARGS...: run QEMU in the background, note when MARKER
# first appears in its output, kill it after BOOT_TIMEOUT; sets QEMU_RC.
run_qemu() {
	log=$1 marker=$2; shift 2
	start=$(now)
	# shellcheck disable=SC2086 # BOOT_EXTRA is a list of options
	$BOOT_WRAP "$QEMU" -nodefaults -display none -no-reboot -serial stdio $BOOT_EXTRA "$@" > "$log" 2>&1 < /dev/null &
	pid=$!
	BOOT_INIT=-
	while kill -0 $pid 2>/dev/null; do
		t=$(now)
		if [ "$BOOT_INIT" = - ] && grep -q "$marker" "$log"; then BOOT_INIT=$(secs "$start" "$t"); fi
		if [ "$(secs "$start" "$t" | cut -d. -f1)" -ge "$BOOT_TIMEOUT" ]; then
			if [ -p /tmp/mon.in ]; then # debug: where the vCPUs are
				cat /tmp/mon.out > /tmp/monitor.log &
				printf 'info cpus\ninfo registers -a\n' > /tmp/mon.in
				sleep 3
				for task in /proc/$pid/task/*; do
					echo "== thread ${task##*/} state $(cut -d' ' -f3 "$task/stat") utime/stime $(cut -d' ' -f14,15 "$task/stat")"
					cat "$task/stack"
				done > /tmp/threads.log 2>&1
				sleep 1
				for task in /proc/$pid/task/*; do
					echo "== thread ${task##*/} a second later: utime/stime $(cut -d' ' -f14,15 "$task/stat")"
				done >> /tmp/threads.log 2>&1
				tr=/sys/kernel/tracing
				mount -t tracefs tracefs $tr 2>/dev/null
				echo ':mod:kvm' > $tr/set_ftrace_filter; echo ':mod:kvm_amd' >> $tr/set_ftrace_filter
				echo function > $tr/current_tracer; sleep 0.3; echo nop > $tr/current_tracer
				head -200 $tr/trace > /tmp/ftrace.log
			fi
			[ -n "$BOOT_WRAP" ] && kill -9 $(cat /proc/$pid/task/*/children) 2>/dev/null
			kill -9 $pid; echo "TIMEOUT after ${BOOT_TIMEOUT}s" >> "$log"
		fi
		sleep 0.2
	done
	wait $pid
	QEMU_RC=$?
	BOOT_TOTAL=$(secs "$start" "$(now)")
	if [ "$BOOT_INIT" = - ] && grep -q "$marker" "$log"; then BOOT_INIT=$BOOT_TOTAL; fi
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
	# Compared with stock without addresses and numbers that vary.
	sed 's/[0-9a-f]\{8,\}/X/g; s/[0-9][0-9]* \?ms/N ms/g' "/tmp/q-$tag.klograw" | sort -u > "/tmp/q-$tag.klog"
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

load_ours() {
	insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko
}
load_stock() {
	insmod /modules/stock/irqbypass.ko && insmod /modules/stock/kvm.ko && insmod /modules/stock/kvm-amd.ko
}
unload_kvm() {
	rmmod kvm_amd && rmmod kvm && { rmmod irqbypass 2>/dev/null; true; }
}
