# The guest's demo job on the VMX test machine (run-vm-vmx.sh): load kvm.ko and
# kvm-intel.ko (VMXON on every CPU), create a VM with a vCPU on our /dev/kvm,
# unload, and check the kernel log for oopses and warnings.
. /jobs/kernel-health.sh
fail() {
	echo "== FAILED: $*"
	dmesg | tail -60 | sed 's/^/# dmesg: /'
	exit 1
}
taint() { echo "== kernel taint $*: $(cat /proc/sys/kernel/tainted)"; }
echo "== CPU:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(grep -c ^processor /proc/cpuinfo) CPU(s)"
echo "== vmx flags:$(grep -m1 '^vmx flags' /proc/cpuinfo | cut -d: -f2-)"
taint "before loading"
echo "== loading kvm.ko and kvm-intel.ko"
insmod /modules/kvm.ko || fail "insmod kvm.ko"
insmod /modules/kvm-intel.ko || fail "insmod kvm-intel.ko"
taint "after loading"
echo "== /dev/kvm: $(ls -l /dev/kvm)"
echo "== kvm_intel parameters: ept=$(cat /sys/module/kvm_intel/parameters/ept) nested=$(cat /sys/module/kvm_intel/parameters/nested)"
/tests/kvm_demo || fail "kvm_demo exited with $?"
taint "after kvm_demo"
echo "== unloading"
rmmod kvm_intel || fail "rmmod kvm_intel"
rmmod kvm || fail "rmmod kvm"
taint "after unloading"
kernel_healthy
rc=$?
if [ $rc -ne 0 ]; then
	echo "== warnings in the kernel log"
	dmesg | grep -A45 -E 'cut here|Oops|BUG:' | sed 's/^/# warn: /'
fi
echo "== kernel log lines mentioning kvm"
dmesg | grep -i kvm
exit $rc
