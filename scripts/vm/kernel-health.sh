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
	if [ $bad -ne 0 ] || [ -n "$msgs" ]; then
		echo "# kernel taint $taint (unexpected bits $bad)"
		dmesg | tail -60 | sed 's/^/# dmesg: /'
		return 1
	fi
	return 0
}
