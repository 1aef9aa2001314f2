# Sourced by the guest jobs. kernel_healthy prints what is wrong with the
# kernel (oops, WARN, BUG, lockup, a taint other than out-of-tree/unsigned)
# and returns non-zero; it reads the taint mask, which dmesg -c cannot hide.
ALLOWED_TAINT=$((4096 | 8192)) # O: out-of-tree module, E: unsigned module
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
