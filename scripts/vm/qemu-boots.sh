# The QEMU boot job: Debian's unchanged QEMU boots Linux on our modules in
# every machine, vCPU count and interrupt-controller mode, and SeaBIOS boots
# the disk's boot sector. One TAP line per boot: it passes when the guest
# reached init, read and wrote its virtio disk (the file is read back here),
# powered off through ACPI, printed no kernel warning or error that stock
# KVM's guests do not print too (guest-klog-stock.txt), and this kernel
# stayed clean.
#   kvmpp.args (comma-separated):
#     stock            boot everything on the stock modules first: their times,
#                      and their guest warnings as the reference (printed as
#                      "# stock-klog:" lines, for guest-klog-stock.txt)
#     all              the full matrix (see configs below)
#     quick            only q35, 2 vCPUs, irqchip=on, and SeaBIOS on q35
#     only=M:N:IRQ[+M:N:IRQ...]  these Linux boots only (no SeaBIOS); a
#                      configuration may repeat
#     debug            the guest's whole kernel log, the firmware's log, and on
#                      a timeout the vCPU threads, QEMU's monitor and ftrace
#     strace           QEMU's ioctls (with debug: the last ones of each thread)
#     cpu=MODEL        -cpu MODEL ('+' for ','); timeout=S per boot
#     gdb              only the gdbstub boot (boot_gdb: hbreak, break, stepi)
#     nogdb            without the gdbstub boot
. /jobs/kernel-health.sh
. /jobs/qemu-lib.sh
dmesg -n 1
insmod /modules/host/loop.ko
# The test command's set: each machine and each irqchip mode with one vCPU,
# two and four vCPUs with the in-kernel irqchips. "all" is every machine x
# 1 and 4 vCPUs x every mode; kernel-irqchip=off with 4 vCPUs hangs in
# SeaBIOS (on stock KVM too), so it is not in the default set.
configs="q35:2:on pc:1:on pc:1:split q35:1:split pc:1:off q35:1:off q35:4:on pc:4:on q35:4:split pc:4:split"
machines="pc q35"
with_stock=
with_gdb=1
for a in $KVMPP_ARGS; do
	case $a in
	stock) with_stock=1;;
	all) configs="pc:1:on pc:4:on pc:1:split pc:4:split pc:1:off pc:4:off q35:1:on q35:4:on q35:1:split q35:4:split q35:1:off q35:4:off";;
	quick) configs="q35:2:on"; machines=q35;;
	only=*) configs=$(echo "${a#only=}" | tr + ' '); machines=; with_gdb=;;
	gdb) configs=; machines=; with_gdb=1;;
	nogdb) with_gdb=;;
	debug) BOOT_APPEND="console=ttyS0 panic=-1 loglevel=7 ignore_loglevel"
		BOOT_EXTRA="-chardev file,id=dbg,path=/tmp/firmware.log -device isa-debugcon,iobase=0x402,chardev=dbg -monitor pipe:/tmp/mon"
		mkfifo /tmp/mon.in /tmp/mon.out
		dmesg | grep -iE 'tsc|clocksource' | sed 's/^/# host: /';;
	cpu=*) BOOT_CPU=$(echo "${a#cpu=}" | tr + ,);;
	strace) BOOT_WRAP="/usr/bin/strace -f -o /tmp/strace.log -e trace=ioctl,exit_group";;
	timeout=*) BOOT_TIMEOUT=${a#timeout=};;
	grep=*) BOOT_GREP=$(echo "${a#grep=}" | tr + '|');;
	esac
done
total=0
for c in $configs $machines $with_gdb; do total=$((total + 1)); done
tag_of() { echo "$1" | tr ':' '-'; }

# Each boot leaves /tmp/r-SIDE-TAG: seconds to init, to exit, what failed.
boot_all() { # SIDE
	side=$1
	for c in $configs; do
		set -- $(echo "$c" | tr ':' ' ')
		boot_linux "$side-$(tag_of "$c")" "$1" "$2" "$3"
		# The two guest deaths that earn one more boot (qemu-lib.sh).
		log=/tmp/q-$side-$(tag_of "$c").log retry=
		if [ -z "$BOOT_WHY" ]; then :
		elif stale_code_int3 "$log"; then retry="died of the emulator's stale-code int3"
		elif silent_reset "$log" "$QEMU_RC"; then retry="reset before printing anything (silent_reset)"
		fi
		if [ -n "$retry" ]; then
			echo "# $side $1 smp$2 irqchip=$3: the guest $retry: booting it again"
			boot_linux "$side-$(tag_of "$c")" "$1" "$2" "$3"
		fi
		echo "$BOOT_INIT $BOOT_TOTAL $BOOT_WHY" > "/tmp/r-$side-$(tag_of "$c")"
		[ "$side" = ours ] && report "$1 smp$2 irqchip=$3" "$(tag_of "$c")"
	done
	for m in $machines; do
		boot_seabios "$side-seabios-$m" "$m"
		echo "$BOOT_INIT $BOOT_TOTAL $BOOT_WHY" > "/tmp/r-$side-seabios-$m"
		[ "$side" = ours ] && report "$m SeaBIOS boot sector" "seabios-$m"
	done
	if [ -n "$with_gdb" ]; then
		boot_gdb "$side-gdb"
		echo "$BOOT_INIT $BOOT_TOTAL $BOOT_WHY" > "/tmp/r-$side-gdb"
		[ "$side" = ours ] && report "q35 smp1 gdbstub" gdb
		sed "s/^/# gdb ($side): /" "/tmp/gdb-$side-gdb.log"
	fi
}

n=0 failed=0
report() { # NAME TAG
	n=$((n + 1))
	read -r init total why < "/tmp/r-ours-$2"
	sinit=- swhy=
	[ -f "/tmp/r-stock-$2" ] && read -r sinit stotal swhy < "/tmp/r-stock-$2"
	extra=
	if [ -f "/tmp/q-ours-$2.klog" ]; then
		extra=$(grep -vxF -f /tmp/klog-reference "/tmp/q-ours-$2.klog")
		[ -n "$extra" ] && why="$why guest-kernel-messages"
	fi
	kernel_healthy > /tmp/health || why="$why host-kernel-unhealthy"
	printf '%-24s %8s %8s\n' "$1" "$init" "$sinit" >> /tmp/table
	[ -n "$BOOT_EXTRA" ] && dmesg | grep DBG | tail -20 | sed 's/^/# host-dbg: /'
	[ -n "$BOOT_EXTRA" ] && grep -aiE "${BOOT_GREP:-tsc|clocksource}" "/tmp/q-ours-$2.log" | sed 's/^/# guest: /'
	[ -n "$BOOT_EXTRA" ] && [ -f "/tmp/q-stock-$2.log" ] &&
		grep -aiE "${BOOT_GREP:-tsc|clocksource}" "/tmp/q-stock-$2.log" | sed 's/^/# guest (stock): /'
	if [ -z "$why" ]; then
		echo "ok $n qemu $1 # init ${init}s"
	elif [ "${2%-off}" != "$2" ] && [ "${2#*-1-}" = "$2" ] && [ "$why" = " no-disk-read no-disk-write no-poweroff qemu-rc=137 no-file-on-host" ]; then
		# irqchip=off with several vCPUs: QEMU 7.2's own local APIC never
		# finishes SeaBIOS's AP bring-up, on stock KVM just the same.
		echo "ok $n qemu $1 # SKIP hangs in SeaBIOS's AP start-up on stock KVM too"
	else
		echo "not ok $n qemu $1 #$why"
		if grep -aqE 'Oops|BUG:|WARNING:|Kernel panic|general protection' "/tmp/q-ours-$2.log"; then
			echo "# the guest's first oops, warning or panic:"
			first_oops "/tmp/q-ours-$2.log"
			echo "# the guest's console, last lines:"
		fi
		grep -v '^GUEST-KLOG' "/tmp/q-ours-$2.log" | tail -25 | sed 's/^/# | /'
		[ -n "$extra" ] && echo "$extra" | sed 's/^/# guest kernel (not from stock): /'
		cat /tmp/health
		[ -f /tmp/firmware.log ] && tail -30 /tmp/firmware.log | sed 's/^/# firmware: /'
		[ -f /tmp/threads.log ] && grep -v 'futex\|syscall\|entry_SYSCALL' /tmp/threads.log | sed 's/^/# threads: /'
		[ -f /tmp/strace.log ] && for t in $(cut -d' ' -f1 /tmp/strace.log | sort -u); do
			grep "^$t " /tmp/strace.log | tail -6; done | sed 's/^/# strace: /'
		[ -f /tmp/ftrace.log ] && sed 's/^/# ftrace: /' /tmp/ftrace.log
		[ -f /tmp/monitor.log ] && grep -vE '^(ES|SS|DS|FS|GS|LDT|TR|GDT|IDT|FCW|FPR|XMM|YMM|ST)' /tmp/monitor.log | sed 's/^/# monitor: /'
		failed=$((failed + 1))
	fi
}

# The reference: what stock's guests print, and the few messages that
# measure the emulated machine's timing between two of QEMU's own devices
# (guest-klog-emulation.txt, each with its reason).
grep -hv '^#' /jobs/guest-klog-stock.txt /jobs/guest-klog-emulation.txt > /tmp/klog-reference
if [ -n "$with_stock" ]; then
	load_stock || { echo "Bail out! the stock modules do not load"; exit 1; }
	boot_all stock
	unload_kvm
	cat /tmp/q-stock-*.klog 2>/dev/null | sort -u > /tmp/stock-klog
	sed 's/^/# stock-klog: /' /tmp/stock-klog
	sort -u /tmp/stock-klog /tmp/klog-reference -o /tmp/klog-reference
	dmesg -c > /tmp/stock-dmesg # stock's run is not ours to judge
fi
echo "TAP version 13"
echo "1..$total"
printf '%-24s %8s %8s\n' "configuration" "ours" "stock" > /tmp/table
load_ours || { echo "Bail out! our modules do not load"; exit 1; }
boot_all ours
unload_kvm
echo "# seconds from QEMU's start to the guest's init (SeaBIOS: to the boot sector)"
sed 's/^/# /' /tmp/table
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
