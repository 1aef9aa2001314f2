# The guest's test job: load our modules, run every selftest in /tests/TESTS
# with a per-test timeout, one TAP line per test, then a closing count.
. /jobs/kernel-health.sh
TIMEOUT=${KVMPP_TEST_TIMEOUT:-120}
cd /tests
tests=$(grep -v '^#' TESTS)
total=$(echo "$tests" | wc -l)
n=0 failed=0
# The debug test kernel adds one test: no leak that kmemleak can see.
leakcheck=0
[ -w "$KMEMLEAK" ] && leakcheck=1
echo "TAP version 13"
echo "1..$((total + 1 + leakcheck))"
dmesg -n 1
kmemleak_reset
for m in /modules/host/*.ko; do insmod "$m"; done
if ! { insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko; }; then
	echo "not ok 1 load_modules"
	dmesg | tail -20 | sed 's/^/# dmesg: /'
	echo "# 0 passed, $((total + 1)) failed"
	exit 1
fi
n=1
echo "ok 1 load_modules"
for t in $tests; do
	n=$((n + 1))
	start=$(cut -d' ' -f1 /proc/uptime)
	timeout -s KILL "$TIMEOUT" "./$t" > /tmp/out 2>&1
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	sed 's/^/# /' /tmp/out
	secs=$(awk "BEGIN{print $end - $start}")
	if [ $rc -eq 137 ]; then
		echo "# $t: timed out after ${TIMEOUT}s"
	fi
	if [ $rc -eq 0 ] && kernel_healthy; then
		echo "ok $n $t # ${secs}s"
	else
		echo "not ok $n $t # rc=$rc ${secs}s"
		failed=$((failed + 1))
	fi
done
if [ $leakcheck = 1 ]; then
	n=$((n + 1))
	# Unloading frees all that is ours: whatever is left unreferenced leaked.
	rmmod kvm_amd && rmmod kvm
	if kmemleak_clean && kernel_healthy; then echo "ok $n kmemleak"
	else echo "not ok $n kmemleak"; failed=$((failed + 1)); fi
fi
dmesg | grep -E "kvm" | tail -8 | sed "s/^/# dmesg: /"
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
