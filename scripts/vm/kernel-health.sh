# Sourced by the guest jobs. kernel_healthy prints what is wrong with the
# kernel (oops, WARN, BUG, lockup, a taint other than out-of-tree/unsigned)
# and returns non-zero; it reads the taint mask, which dmesg -c cannot hide.
ALLOWED_TAINT=$((4096 | 8192)) # O: out-of-tree module, E: unsigned module
# The first oops, WARN, lockup, RCU stall or task hung for @1 s (default 30)
# ends the machine, its report in the log (the fuzz and storm jobs).
panic_on_any_report() {
	for k in panic_on_oops panic_on_warn softlockup_panic hung_task_panic panic_on_rcu_stall; do
		echo 1 > /proc/sys/kernel/$k
	done
	echo "${1:-30}" > /proc/sys/kernel/hung_task_timeout_secs
}

kernel_healthy() {
	taint=$(cat /proc/sys/kernel/tainted)
	bad=$((taint & ~ALLOWED_TAINT))
	msgs=$(dmesg | grep -E 'Oops|WARNING:|BUG:|soft lockup|hard LOCKUP|general protection|Call Trace|allocations leaked' | head -20)
	# Lockdep (the debug test kernel) turns itself off after its first
	# report, or when it runs out of room: either way it checks no more.
	if grep -q 'debug_locks: *0' /proc/lockdep_stats 2>/dev/null; then
		msgs="$msgs lockdep is off (debug_locks 0)"
	fi
	if [ $bad -ne 0 ] || [ -n "$msgs" ]; then
		echo "# kernel taint $taint (unexpected bits $bad)"
		dmesg | tail -60 | sed 's/^/# dmesg: /'
		return 1
	fi
	return 0
}

# kmemleak (the debug test kernel; a no-op elsewhere). kmemleak_reset at the
# start of a job forgets what boot left; kmemleak_clean at its end scans
# (twice: an object is reported once two scans found it unreferenced and
# unchanged) and prints every suspected leak, returning non-zero if any.
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_reset() {
	[ -w $KMEMLEAK ] || return 0
	echo scan > $KMEMLEAK
	echo clear > $KMEMLEAK
}
kmemleak_clean() {
	[ -w $KMEMLEAK ] || return 0
	sleep 6 # kmemleak ignores objects younger than 5 s
	echo scan > $KMEMLEAK
	echo scan > $KMEMLEAK
	leaks=$(cat $KMEMLEAK)
	[ -z "$leaks" ] && return 0
	echo "# kmemleak: $(echo "$leaks" | grep -c 'unreferenced object') suspected leaks"
	echo "$leaks" | head -80 | sed 's/^/# kmemleak: /'
	return 1
}
