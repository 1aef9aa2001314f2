# The guest's benchmark job: exit_bench on our modules, on the stock Debian
# modules of the running kernel, then on ours again (a check that the order
# does not matter). KVMPP_ARGS: rows to run
# (default: all).
. /jobs/kernel-health.sh
for m in /modules/host/*.ko; do insmod "$m"; done
# The first signed module instantiates RSA, and the kernel's crypto
# self-test of it (cryptomgr_test, about half a second of this CPU) runs in
# the background: measured, it doubled the mean of whichever side ran
# first. Wait for it to end.
while for p in /proc/[0-9]*; do cat "$p/comm" 2>/dev/null; done | grep -q '^cryptomgr'; do sleep 0.2; done
ours() {
	echo; echo "== ours $1"
	insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko || exit 1
	# shellcheck disable=SC2086 # a list of rows
	/tests/exit_bench $KVMPP_ARGS || exit 1
	rmmod kvm_amd && rmmod kvm
}
ours 1
echo; echo "== stock"
insmod /modules/stock/irqbypass.ko && insmod /modules/stock/kvm.ko &&
	insmod /modules/stock/kvm-amd.ko || exit 1
# shellcheck disable=SC2086
/tests/exit_bench $KVMPP_ARGS || exit 1
rmmod kvm_amd && rmmod kvm && rmmod irqbypass
ours 2
kernel_healthy
