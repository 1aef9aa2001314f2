# The guest's demo job on the VMX test machine (run-vm-vmx.sh): load kvm.ko and
# kvm-intel.ko (VMXON on every CPU), create a VM with a vCPU on our /dev/kvm,
# unload, and check the kernel log for oopses and warnings.
. /jobs/kernel-health.sh
fail() {
	echo "== FAILED: $*"
	dmesg | tail -60 | sed 's/^/# dmesg: /'
	exit 1
}
echo "== CPU:$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(grep -c ^processor /proc/cpuinfo) CPU(s)"
echo "== vmx flags:$(grep -m1 '^vmx flags' /proc/cpuinfo | cut -d: -f2-)"
echo "== loading kvm.ko and kvm-intel.ko"
insmod /modules/kvm.ko || fail "insmod kvm.ko"
insmod /modules/kvm-intel.ko || fail "insmod kvm-intel.ko"
echo "== /dev/kvm: $(ls -l /dev/kvm)"
echo "== kvm_intel parameters: ept=$(cat /sys/module/kvm_intel/parameters/ept) nested=$(cat /sys/module/kvm_intel/parameters/nested)"
/tests/kvm_demo || fail "kvm_demo exited with $?"
echo "== unloading"
rmmod kvm_intel || fail "rmmod kvm_intel"
rmmod kvm || fail "rmmod kvm"
kernel_healthy
rc=$?
echo "== kernel log lines mentioning kvm"
dmesg | grep -i kvm
exit $rc
