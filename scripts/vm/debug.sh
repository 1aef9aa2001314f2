# A debugging job: load the modules, run the tests named in /tests/DEBUG
# (default: all) with a short timeout, and show the kernel log and the stacks
# of anything left behind.
for m in /modules/host/*.ko; do insmod "$m"; done
insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko
cd /tests
for t in $(cat DEBUG 2>/dev/null || grep -v '^#' TESTS); do
	echo "== $t"
	timeout -s KILL "${KVMPP_TEST_TIMEOUT:-15}" "./$t" &
	pid=$!
	sleep "${KVMPP_DEBUG_WAIT:-5}"
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$t" ] || continue
		echo "-- ${d#/proc/}: $(cut -d' ' -f3 "$d/stat")"
		cat "$d/stack"
	done
	echo "-- kernel log so far"; dmesg | tail -20
	wait $pid
	echo "rc=$?"
done
echo "-- kernel log"
dmesg | tail -80
