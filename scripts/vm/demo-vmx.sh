# The guest's demo job on the VMX test machine (run-vm-vmx.sh): load kvm.ko and
# kvm-intel.ko (VMXON on every CPU), create a VM with a vCPU on our /dev/kvm,
# unload, and check the kernel log for oopses and warnings.
#
# Bochs's CPU models (corei7_haswell_4770, tigerlake) report a 4-core package
# in CPUID leaf 4 but one logical CPU in leaf 1, so the 6.12 kernel WARNs at
# boot in parse_legacy (arch/x86/kernel/cpu/topology_common.c:57) and sets the
# W taint before our modules load. kernel_healthy sees that taint; the job
# then accepts the kernel only if nothing was added after the boot baseline.
. /jobs/kernel-health.sh
PATTERN='Oops|WARNING:|BUG:|soft lockup|hard LOCKUP|general protection|Call Trace|allocations leaked'
fail() {
	echo "== FAILED: $*"
	dmesg | tail -60 | sed 's/^/# dmesg: /'
	exit 1
}
taint() { echo "== kernel taint $*: $(cat /proc/sys/kernel/tainted)"; }
echo "== CPU:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(grep -c ^processor /proc/cpuinfo) CPU(s)"
echo "== vmx flags:$(grep -m1 '^vmx flags' /proc/cpuinfo | cut -d: -f2-)"
boot_taint=$(cat /proc/sys/kernel/tainted)
boot_msgs=$(dmesg | grep -cE "$PATTERN")
taint "before loading"
if [ "$boot_msgs" -ne 0 ]; then
	echo "== already in the kernel log at boot (before our modules):"
	dmesg | grep -E 'WARNING:|Oops|BUG:' | sed 's/^/# boot: /'
fi
echo "== loading kvm.ko and kvm-intel.ko"
insmod /modules/kvm.ko || fail "insmod kvm.ko"
insmod /modules/kvm-intel.ko || fail "insmod kvm-intel.ko"
taint "after loading"
echo "== /dev/kvm: $(ls -l /dev/kvm)"
echo "== kvm_intel parameters: ept=$(cat /sys/module/kvm_intel/parameters/ept) nested=$(cat /sys/module/kvm_intel/parameters/nested)"
/tests/kvm_demo --no-guest || fail "kvm_demo exited with $?"
taint "after kvm_demo"
echo "== unloading"
rmmod kvm_intel || fail "rmmod kvm_intel"
rmmod kvm || fail "rmmod kvm"
taint "after unloading"
rc=0
if ! kernel_healthy > /tmp/health; then
	new_bits=$(($(cat /proc/sys/kernel/tainted) & ~(boot_taint | ALLOWED_TAINT)))
	msgs=$(dmesg | grep -cE "$PATTERN")
	if [ $new_bits -eq 0 ] && [ "$msgs" -eq "$boot_msgs" ]; then
		echo "== kernel healthy: no new taint and no new warning since boot (boot taint $boot_taint)"
	else
		rc=1
		echo "== kernel NOT healthy: new taint bits $new_bits, warning lines $boot_msgs at boot, $msgs now"
		cat /tmp/health
		dmesg | grep -A45 -E 'cut here|Oops|BUG:' | sed 's/^/# warn: /'
	fi
else
	echo "== kernel healthy"
fi
echo "== kernel log lines mentioning kvm"
dmesg | grep -i kvm
exit $rc
