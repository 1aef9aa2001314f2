#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kvm-amd.ko turns SVM on (EFER.SVME, VM_HSAVE_PA) on every online CPU, on CPUs
# that come online later, and off on unload. Reads the MSRs through msr.ko.
# Expects our modules loaded on entry (leaves them loaded) and files in $MODDIR.
MODDIR=${MODDIR:-/modules}
HERE=$(dirname "$0")
EFER=0xc0000080 HSAVE=0xc0010117 SVME=4096
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
online_cpus() { for c in /sys/devices/system/cpu/cpu[0-9]*; do
	[ "$(cat "$c/online" 2>/dev/null || echo 1)" = 1 ] && echo "${c##*cpu}"; done; }
svm_on() { # CPU: SVME set and a page-aligned host save area
	efer=$("$HERE/msr_read" "$1" $EFER) && hsave=$("$HERE/msr_read" "$1" $HSAVE) || return 1
	[ $((efer & SVME)) -ne 0 ] && [ $((hsave)) -ne 0 ] && [ $((hsave & 4095)) -eq 0 ]
}
svm_off() {
	efer=$("$HERE/msr_read" "$1" $EFER) || return 1
	[ $((efer & SVME)) -eq 0 ]
}
all() { for c in $(online_cpus); do "$1" "$c" || { echo "# CPU $c: not $1"; return 1; }; done; }
set_cpu1() { echo "$1" > /sys/devices/system/cpu/cpu1/online; }

echo "TAP version 13"
echo "1..5"
if [ ! -e /dev/cpu/0/msr ]; then
	for i in 1 2 3 4 5; do echo "ok $i # SKIP no msr.ko"; done
	exit 0
fi
[ -e /sys/devices/system/cpu/cpu1/online ] || { echo "# needs 2 CPUs"; exit 1; }

check svm_on_every_cpu all svm_on
offline_then_vm() { set_cpu1 0 && "$HERE/vm_hold" 2 && all svm_on; }
check cpu_offline_keeps_others offline_then_vm
online_enables() { set_cpu1 1 && svm_on 1 && "$HERE/vm_hold" 2; }
check cpu_online_enables_svm online_enables
unload_disables() { rmmod kvm_amd && all svm_off && rmmod kvm; }
check unload_disables_svm unload_disables
hotplug_unloaded() {
	set_cpu1 0 && set_cpu1 1 && all svm_off &&
		insmod "$MODDIR/kvm.ko" && insmod "$MODDIR/kvm-amd.ko" && all svm_on
}
check hotplug_while_unloaded_then_load hotplug_unloaded
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
