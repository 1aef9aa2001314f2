# The guest's demo job: load our modules and create a VM with a vCPU on our
# /dev/kvm, showing each step.
. /jobs/kernel-health.sh
set -e
echo "== loading kvm.ko and kvm-amd.ko"
insmod /modules/kvm.ko
insmod /modules/kvm-amd.ko
dmesg | grep -E 'kvm' | tail -5 || true
echo "== /dev/kvm: $(ls -l /dev/kvm)"
echo "== kvm_amd parameters: npt=$(cat /sys/module/kvm_amd/parameters/npt) nested=$(cat /sys/module/kvm_amd/parameters/nested)"
/tests/kvm_demo
kernel_healthy
echo "== unloading"
rmmod kvm_amd
rmmod kvm
kernel_healthy
