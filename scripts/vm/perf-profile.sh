# The guest's profiling job (scripts/perf-profile.sh): exit_bench rows under
# perf's cpu-clock sampling, every 100,000 instructions (icount), on our
# modules, then on the stock ones. KVMPP_ARGS: rows.
. /jobs/kernel-health.sh
for m in /modules/host/*.ko; do insmod "$m"; done
while for p in /proc/[0-9]*; do cat "$p/comm" 2>/dev/null; done | grep -q '^cryptomgr'; do sleep 0.2; done
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid
profile() {
	# shellcheck disable=SC2086 # a list of rows
	/usr/bin/perf record -q -e cpu-clock -c 100000 -a -o /tmp/perf.data /tests/exit_bench $KVMPP_ARGS
	/usr/bin/perf report -i /tmp/perf.data --stdio --sort sym --percent-limit 0.4 2>/dev/null |
		grep -v '^#' | grep .
}
echo "== ours"
insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko || exit 1
profile
rmmod kvm_amd && rmmod kvm
echo "== stock"
insmod /modules/stock/irqbypass.ko && insmod /modules/stock/kvm.ko &&
	insmod /modules/stock/kvm-amd.ko || exit 1
profile
rmmod kvm_amd && rmmod kvm && rmmod irqbypass
kernel_healthy
