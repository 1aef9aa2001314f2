# The live-migration job: Debian's unchanged QEMU migrates a running
# 2-vCPU Linux guest (q35, in-kernel irqchip) between two QEMU processes of
# this test machine, over a unix socket, then to a file and back from it.
# The guest (scripts/guest/init with kvmpp.mode=migrate) runs
# scripts/guest/migload.c on both vCPUs: each keeps a counter and an area it
# keeps rewriting, checks every round that the whole area holds what the
# counter implies, and prints "MIGLOAD cpu=C counter=N sum=S ok" (or BAD).
# A migration passes when QEMU reports it completed, the destination's
# counters continue from the source's last ones (no restart, no jump) for
# MIG_ROUNDS more verified rounds on each vCPU, no round says BAD, the last
# guest powers off when told to, prints no kernel warning that stock's
# guests do not, and this kernel stays clean. Each migration's downtime and
# total time, as QEMU reports them, are printed for ours against stock.
#   kvmpp.args (comma-separated):
#     stock            the same migrations on the stock modules first
#                      (reported as TAP lines too, and in the table)
#     stock-only       only on the stock modules
#     mb=N             MiB per vCPU the guest rewrites (16); pause=MS between
#                      its rounds (100); rounds=N verified rounds after each
#                      migration (5); timeout=S per wait (300)
#     debug            every guest and monitor log in full
. /jobs/kernel-health.sh
. /jobs/qemu-lib.sh
dmesg -n 1
MIG_MB=16 MIG_PAUSE=100 MIG_ROUNDS=5 MIG_TIMEOUT=300
sides=ours debug=
for a in $KVMPP_ARGS; do
	case $a in
	stock) sides="stock ours";;
	stock-only) sides=stock;;
	mb=*) MIG_MB=${a#mb=};;
	pause=*) MIG_PAUSE=${a#pause=};;
	rounds=*) MIG_ROUNDS=${a#rounds=};;
	timeout=*) MIG_TIMEOUT=${a#timeout=};;
	debug) debug=1;;
	esac
done

# mig_start NAME [QEMU ARGS...]: the guest in the background; its console
# in /tmp/m-NAME.log (input: echo ... > /tmp/m-NAME.con), its human monitor
# on the fifos /tmp/m-NAME.mon.in and .out (output collected in
# /tmp/m-NAME.monlog). Sets pid_NAME.
mig_start() {
	name=$1; shift
	rm -f "/tmp/m-$name".*
	mkfifo "/tmp/m-$name.mon.in" "/tmp/m-$name.mon.out" "/tmp/m-$name.con"
	cat "/tmp/m-$name.mon.out" > "/tmp/m-$name.monlog" &
	"$QEMU" -nodefaults -display none -no-reboot -serial stdio -monitor "pipe:/tmp/m-$name.mon" \
		-M q35 -accel "${MIG_ACCEL:-kvm,kernel-irqchip=on}" -cpu "${MIG_CPU:-host}" -smp 2 -m 256M \
		-kernel /guest/vmlinuz -initrd /guest/initrd.cpio.gz \
		-append "console=ttyS0 panic=-1 loglevel=4 kvmpp.mode=migrate kvmpp.migmb=$MIG_MB kvmpp.migpause=$MIG_PAUSE" \
		"$@" > "/tmp/m-$name.log" 2>&1 <> "/tmp/m-$name.con" &
	eval "pid_$(echo "$name" | tr -c 'a-z0-9\n' _)=$!"
	all_pids="$all_pids $!"
}
pid_of() { eval "echo \$pid_$(echo "$1" | tr -c 'a-z0-9\n' _)"; }
alive() { p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
elapsed() { secs "$1" "$(now)" | cut -d. -f1; }

# hmp NAME COMMAND: run a monitor command, print its output (without the
# echo and the prompt). Fails if QEMU is gone or does not answer in 30 s.
hmp() {
	alive "$1" || return 1
	before=$(grep -c '(qemu)' "/tmp/m-$1.monlog")
	off=$(stat -c %s "/tmp/m-$1.monlog")
	# (Opened read-write: a plain open for writing would block forever
	# if QEMU died meanwhile.)
	printf '%s\n' "$2" 1<> "/tmp/m-$1.mon.in"
	t0=$(now)
	while [ "$(grep -c '(qemu)' "/tmp/m-$1.monlog")" -le "$before" ]; do
		alive "$1" && [ "$(elapsed "$t0")" -lt 30 ] || return 1
		sleep 0.1
	done
	tail -c +$((off + 1)) "/tmp/m-$1.monlog" | tr -d '\r' | sed '1d; /^(qemu)/d'
}

# The guest's verified rounds: "CPU COUNTER" per complete ok line (a line
# cut by the switch-over is not complete), and the BAD lines.
rounds_ok() { tr -d '\r' < "/tmp/m-$1.log" | sed -n 's/^MIGLOAD cpu=\([0-9]*\) counter=\([0-9]*\) sum=[0-9a-f]\{16\} ok$/\1 \2/p'; }
bad_rounds() { tr -d '\r' < "/tmp/m-$1.log" | grep 'MIGLOAD.* BAD \|MIGLOAD.*exited\|MIGLOAD.*cannot\|MIGLOAD.*mmap'; }
last_counter() { rounds_ok "$1" | awk -v c="$2" '$1 == c {n = $2} END {print n + 0}'; }
first_counter() { rounds_ok "$1" | awk -v c="$2" '$1 == c {print $2; exit}'; }

# wait_rounds NAME N [AFTER0 AFTER1]: until both vCPUs printed N verified
# rounds (with counters above AFTERc). Sets WHY on failure.
wait_rounds() {
	t0=$(now)
	while :; do
		if [ -n "$(bad_rounds "$1")" ]; then WHY="$WHY guest-verification-failed"; return 1; fi
		n0=$(rounds_ok "$1" | awk -v a="${3:-0}" '$1 == 0 && $2 > a' | wc -l)
		n1=$(rounds_ok "$1" | awk -v a="${4:-0}" '$1 == 1 && $2 > a' | wc -l)
		[ "$n0" -ge "$2" ] && [ "$n1" -ge "$2" ] && return 0
		alive "$1" || { WHY="$WHY $1-qemu-exited"; return 1; }
		[ "$(elapsed "$t0")" -lt "$MIG_TIMEOUT" ] || { WHY="$WHY $1-timeout($n0,$n1-rounds)"; return 1; }
		sleep 0.5
	done
}

# migrate NAME URI: migrate the guest NAME to URI (-d), poll until QEMU says
# completed or failed. Sets MIG_DOWN, MIG_TOTAL (ms), MIG_INFO (the last
# "info migrate"), MIG_SYNCS (dirty-log passes); WHY on failure.
migrate() {
	MIG_DOWN=- MIG_TOTAL=- MIG_SYNCS=-
	hmp "$1" "migrate -d $2" > "/tmp/m-$1.migcmd" || { WHY="$WHY migrate-command-failed"; return 1; }
	t0=$(now)
	while :; do
		MIG_INFO=$(hmp "$1" "info migrate") || { WHY="$WHY $1-qemu-exited-while-migrating"; return 1; }
		status=$(echo "$MIG_INFO" | sed -n 's/^Migration status: *//p')
		case $status in
		completed) break;;
		failed|cancelled) WHY="$WHY migration-$status"; return 1;;
		esac
		[ "$(elapsed "$t0")" -lt "$MIG_TIMEOUT" ] || { WHY="$WHY migration-timeout($status)"; return 1; }
		sleep 0.5
	done
	MIG_DOWN=$(echo "$MIG_INFO" | sed -n 's/^downtime: *\([0-9]*\) ms/\1/p')
	MIG_TOTAL=$(echo "$MIG_INFO" | sed -n 's/^total time: *\([0-9]*\) ms/\1/p')
	MIG_SYNCS=$(echo "$MIG_INFO" | sed -n 's/^dirty sync count: *//p')
	return 0
}

# check_continues SRC DST: the destination's counters go on from the
# source's last verified ones: its first round on each vCPU is at most 3
# past (lines cut by the switch-over), and MIG_ROUNDS more rounds verify.
check_continues() {
	s0=$(last_counter "$1" 0) s1=$(last_counter "$1" 1)
	wait_rounds "$2" "$MIG_ROUNDS" "$s0" "$s1" || return 1
	d0=$(first_counter "$2" 0) d1=$(first_counter "$2" 1)
	e0=$(last_counter "$2" 0) e1=$(last_counter "$2" 1)
	CONT="cpu0 $s0->$d0..$e0, cpu1 $s1->$d1..$e1"
	if [ "$s0" -lt 1 ] || [ "$s1" -lt 1 ] || [ "$d0" -le "$s0" ] || [ "$d1" -le "$s1" ] ||
		[ "$d0" -gt $((s0 + 3)) ] || [ "$d1" -gt $((s1 + 3)) ]; then
		WHY="$WHY counters-do-not-continue($CONT)"
		return 1
	fi
}

# quit NAME: end that QEMU through its monitor (or kill it).
quit() {
	alive "$1" && { hmp "$1" quit > /dev/null; sleep 0.5; }
	alive "$1" && kill -9 "$(pid_of "$1")"
	p=$(pid_of "$1")
	[ -n "$p" ] || return 0
	wait "$p" 2>/dev/null
	rc=$?
	[ "$rc" = 127 ] || eval "rc_$(echo "$1" | tr -c 'a-z0-9\n' _)=$rc"
}
rc_of() { eval "echo \${rc_$(echo "$1" | tr -c 'a-z0-9\n' _):-?}"; }

all_pids=
trap 'for p in $all_pids; do kill -9 $p 2>/dev/null; done' EXIT
n=0 failed=0
exec 3>&1 # (each side's TAP lines go to a file first; a bail-out goes here)
tap() { # SIDE NAME DETAIL: one TAP line from $WHY and the logs of $LOGS
	n=$((n + 1))
	kernel_healthy > /tmp/health || WHY="$WHY host-kernel-unhealthy"
	if [ -z "$WHY" ]; then
		echo "ok $n qemu-migrate $1 $2 # $3"
	else
		echo "not ok $n qemu-migrate $1 $2 #$WHY"
		for l in $LOGS; do
			[ -f "/tmp/m-$l.log" ] || continue
			alive "$l" || quit "$l"
			echo "# --- $l: QEMU's messages (exit status $(rc_of "$l")), then its console's last lines"
			tr -d '\r' < "/tmp/m-$l.log" | grep -o 'qemu-system-x86_64: .*' | sed 's/^/# QEMU: /'
			tr -d '\r' < "/tmp/m-$l.log" | grep -v '^GUEST-KLOG' | tail -8 | sed 's/^/# | /'
			# A guest oops or panic: its head too (where it happened).
			if grep -aqE 'Oops|BUG:|WARNING:|Kernel panic|general protection' "/tmp/m-$l.log"; then
				echo "# --- $l: the guest's first oops, warning or panic"
				first_oops "/tmp/m-$l.log"
			fi
			echo "# --- $l: monitor (last lines)"
			# (The line editor redraws each typed command: keep the prompts only.)
			tr -d '\r' < "/tmp/m-$l.monlog" | sed 's/^(qemu) .*/(qemu) .../' | grep -v '^$' | tail -8 |
				sed 's/^/# | /'
		done
		cat /tmp/health
		failed=$((failed + 1))
	fi
	if [ -n "$debug" ]; then
		for l in $LOGS; do
			tr -d '\r' < "/tmp/m-$l.log" | sed "s/^/# $l: /"
			tr -d '\r' < "/tmp/m-$l.monlog" | sed "s/^/# $l mon: /"
		done
	fi
}

# Guest kernel messages the stock runs print, and those the emulated
# machine's timing causes (as in qemu-boots.sh).
# guest-klog-migrate.txt: what stock's guests add after a migration. Code:
# lines hold addresses that change with each boot's KASLR: not compared.
grep -hv '^#' /jobs/guest-klog-stock.txt /jobs/guest-klog-emulation.txt /jobs/guest-klog-migrate.txt |
	sed 's/^Code: .*/Code: .../' | sort -u > /tmp/klog-reference
klog_of() { # NAME: the guest's warnings, without addresses and numbers
	tr -d '\r' < "/tmp/m-$1.log" | grep '^GUEST-KLOG' | cut -d' ' -f3- | klog_normalise
}

# One side: a unix-socket migration, then a migration to a file and a
# guest restored from it. Leaves /tmp/r-SIDE-unix and /tmp/r-SIDE-file:
# "DOWNTIME TOTAL" in ms ("-" when it did not complete).
run_side() {
	side=$1 size=
	echo "-" > "/tmp/r-$side-unix"; echo "-" > "/tmp/r-$side-file"
	if [ "$side" = stock ]; then load_stock; else load_ours; fi || {
		echo "Bail out! the $side modules do not load" >&3; exit 1; }

	# 1. unix socket: the destination listens, the source migrates live.
	WHY= LOGS="$side-src $side-dst" CONT=
	mig_start "$side-src"
	if wait_rounds "$side-src" 2; then
		mig_start "$side-dst" -incoming "unix:/tmp/mig-$side.sock"
		t0=$(now)
		while [ ! -S "/tmp/mig-$side.sock" ] && alive "$side-dst" && [ "$(elapsed "$t0")" -lt 30 ]; do sleep 0.2; done
		[ -S "/tmp/mig-$side.sock" ] || WHY="$WHY destination-not-listening"
		[ -z "$WHY" ] && migrate "$side-src" "unix:/tmp/mig-$side.sock" &&
			echo "$MIG_DOWN $MIG_TOTAL" > "/tmp/r-$side-unix"
		[ -z "$WHY" ] && quit "$side-src" && check_continues "$side-src" "$side-dst"
	else
		WHY="$WHY source-guest-did-not-start"
	fi
	quit "$side-src"
	tap "$side" "unix socket" "downtime ${MIG_DOWN}ms, total ${MIG_TOTAL}ms, $MIG_SYNCS dirty syncs; $CONT"
	unix_why=$WHY

	# 2. to a file (exec: cat, QEMU 7.2 has no file: URI) from the guest
	#    that arrived (or a new one), then a new QEMU restored from it.
	WHY= CONT=
	if [ -n "$unix_why" ]; then
		quit "$side-dst"
		from=$side-fsrc
		LOGS="$from $side-file"
		mig_start "$from"
		wait_rounds "$from" 2 || WHY="$WHY source-guest-did-not-start"
	else
		from=$side-dst
		LOGS="$side-file"
	fi
	rm -f "/tmp/state-$side"
	[ -z "$WHY" ] && migrate "$from" "\"exec:cat > /tmp/state-$side\"" &&
		echo "$MIG_DOWN $MIG_TOTAL" > "/tmp/r-$side-file"
	quit "$from"
	if [ -z "$WHY" ]; then
		size=$(($(stat -c %s "/tmp/state-$side") / 1048576))
		mig_start "$side-file" -incoming "exec:cat /tmp/state-$side"
		check_continues "$from" "$side-file"
	fi
	rm -f "/tmp/state-$side"
	# The last guest stops its workload, lists its warnings and powers off.
	if alive "$side-file"; then
		echo stop 1<> "/tmp/m-$side-file.con"
		t0=$(now)
		while alive "$side-file" && [ "$(elapsed "$t0")" -lt 60 ]; do sleep 0.5; done
		grep -q '^GUEST-POWEROFF' "/tmp/m-$side-file.log" || WHY="$WHY no-poweroff"
		quit "$side-file"
		klog_of "$side-file" > "/tmp/m-$side.klog"
		if [ "$side" = stock ]; then
			grep -vxF -f /tmp/klog-reference "/tmp/m-$side.klog" | sed 's/^/# stock-klog (new): /'
			sort -u "/tmp/m-$side.klog" /tmp/klog-reference -o /tmp/klog-reference
		else
			extra=$(grep -vxF -f /tmp/klog-reference "/tmp/m-$side.klog")
			[ -n "$extra" ] && { WHY="$WHY guest-kernel-messages"
				echo "$extra" | sed 's/^/# guest kernel (not from stock): /'; }
		fi
	fi
	tap "$side" "file (exec:cat)" "downtime ${MIG_DOWN}ms, total ${MIG_TOTAL}ms, ${size:-?} MiB; $CONT"
	for q in src dst fsrc file; do alive "$side-$q" && quit "$side-$q"; done
	unload_kvm
	[ "$side" = stock ] && dmesg -c > /tmp/stock-dmesg # stock's kernel log is not ours to judge
}

echo "TAP version 13"
echo "1..$(($(echo $sides | wc -w) * 2))"
echo "# $($QEMU --version | head -1); guest: q35, 2 vCPUs, 256M, ${MIG_MB} MiB per vCPU rewritten, ${MIG_PAUSE} ms pause"
for side in $sides; do
	n0=$n failed0=$failed
	run_side "$side" > /tmp/side.tap
	# A guest that died of the emulator's stale-code int3, or reset before
	# printing anything (qemu-lib.sh): the first try's lines as comments,
	# and the side once more.
	if [ $failed -gt "$failed0" ]; then
		for l in /tmp/m-"$side"-*.log; do
			name=${l#/tmp/m-}; name=${name%.log}
			if stale_code_int3 "$l"; then
				why="died of the emulator's stale-code int3"
			elif [ "${name%src}" != "$name" ] && silent_reset "$l" "$(rc_of "$name")"; then
				# (Sources only: a destination that was told to quit
				# before a guest arrived is silent with status 0 too.)
				why="reset before printing anything (silent_reset)"
			else
				continue
			fi
			echo "# $side: guest $name $why (qemu-lib.sh); the first try said:"
			sed 's/^/# first try: /' /tmp/side.tap
			n=$n0 failed=$failed0
			run_side "$side" > /tmp/side.tap
			break
		done
	fi
	cat /tmp/side.tap
done
echo "# migration     downtime ms (ours/stock)   total ms (ours/stock)"
for kind in unix file; do
	od=- ot=- sd=- st=-
	[ -f "/tmp/r-ours-$kind" ] && read -r od ot < "/tmp/r-ours-$kind"
	[ -f "/tmp/r-stock-$kind" ] && read -r sd st < "/tmp/r-stock-$kind"
	printf '# %-12s %12s %12s %12s %12s\n' "$kind" "${od:--}" "${sd:--}" "${ot:--}" "${st:--}"
done
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
