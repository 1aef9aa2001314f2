#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Module-level behaviour of kvm.ko / kvm-amd.ko / kvm-intel.ko, in TAP form:
# parameters, refusing to unload while a VM exists, refusing to load without
# the hardware, and CYCLES (default 50) load/unload cycles with VMs created
# in between.
# Leaks are caught by kvm.ko's exit check (a WARN that the runner catches).
# Expects the modules loaded on entry (it leaves them loaded on exit) and
# the module files in $MODDIR (default /modules).
MODDIR=${MODDIR:-/modules}
CYCLES=${CYCLES:-50}
HERE=$(dirname "$0")
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
load() { insmod "$MODDIR/kvm.ko" && insmod "$MODDIR/kvm-amd.ko" "$@"; }
unload() { rmmod kvm_amd && rmmod kvm; }

echo "TAP version 13"
echo "1..8"

params() {
	[ "$(cat /sys/module/kvm_amd/parameters/npt)" = Y ] &&
		[ "$(cat /sys/module/kvm_amd/parameters/nested)" = 0 ] &&
		[ -c /dev/kvm ] && grep -q '^232 kvm$' /proc/misc
}
check parameters params

busy() {
	"$HERE/vm_hold" 2 hold > /tmp/hold.out &
	pid=$!
	i=0
	while ! grep -q holding /tmp/hold.out 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	rmmod kvm_amd 2>/dev/null && { echo "# kvm_amd unloaded while a VM exists"; return 1; }
	rmmod kvm 2>/dev/null && { echo "# kvm unloaded while kvm_amd is loaded"; return 1; }
	kill "$pid"; wait "$pid" 2>/dev/null
	unload && load
}
check unload_refused_while_vm_exists busy

intel_refuses() {
	dmesg -c > /dev/null
	insmod "$MODDIR/kvm-intel.ko" 2>/dev/null && { rmmod kvm_intel; return 1; }
	dmesg | grep -q 'kvm_intel: VMX not supported by CPU'
}
check kvm_intel_refuses_without_vmx intel_refuses

npt_off_refused() {
	unload || return 1
	insmod "$MODDIR/kvm.ko" || return 1
	dmesg -c > /dev/null
	if insmod "$MODDIR/kvm-amd.ko" npt=0 2>/dev/null; then rmmod kvm_amd; rmmod kvm; return 1; fi
	dmesg | grep -q 'kvm_amd: npt=0 requested' || return 1
	[ ! -e /dev/kvm ] || return 1
	insmod "$MODDIR/kvm-amd.ko"
}
check npt_off_refused npt_off_refused

nested_forced_off() {
	unload && load nested=1 || return 1
	[ "$(cat /sys/module/kvm_amd/parameters/nested)" = 0 ]
}
check nested_forced_off nested_forced_off

no_vendor_no_dev() {
	rmmod kvm_amd || return 1
	[ ! -e /dev/kvm ] && ! grep -q '^232 kvm$' /proc/misc || return 1
	insmod "$MODDIR/kvm-amd.ko"
}
check no_dev_kvm_without_vendor_module no_vendor_no_dev

cycles() {
	i=0
	while [ $i -lt "$CYCLES" ]; do
		unload || { echo "# cycle $i: unload failed"; return 1; }
		load || { echo "# cycle $i: load failed"; return 1; }
		"$HERE/vm_hold" 4 || { echo "# cycle $i: creating VMs failed"; return 1; }
		i=$((i + 1))
	done
}
check "load_unload_${CYCLES}_cycles" cycles

no_leak() {
	unload || return 1
	load || return 1
	! dmesg | grep -q 'allocations leaked'
}
check no_leaks_at_unload no_leak

echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
