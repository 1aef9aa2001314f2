# The guest's benchmark job: the same exit_bench program on our modules and
# on the stock Debian modules of the running kernel, one after the other.
. /jobs/kernel-health.sh
for m in /modules/host/*.ko; do insmod "$m"; done
echo; echo "== ours"
insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko || exit 1
/tests/exit_bench || exit 1
rmmod kvm_amd && rmmod kvm
echo; echo "== stock"
insmod /modules/stock/irqbypass.ko && insmod /modules/stock/kvm.ko &&
	insmod /modules/stock/kvm-amd.ko || exit 1
/tests/exit_bench || exit 1
rmmod kvm_amd && rmmod kvm && rmmod irqbypass
kernel_healthy
