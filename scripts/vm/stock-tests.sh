# The project's selftests on the stock Debian modules of the running kernel:
# a developer's check that a test expects what real KVM does (errnos,
# exits). Runs /tests/STOCK_TESTS if present, else every test in TESTS.
# Not part of the CI run (some tests check this project's own module).
TIMEOUT=${KVMPP_TEST_TIMEOUT:-120}
cd /tests
list=TESTS
[ -f STOCK_TESTS ] && list=STOCK_TESTS
tests=$(grep -v '^#' $list)
dmesg -n 1
insmod /modules/stock/irqbypass.ko && insmod /modules/stock/kvm.ko &&
	insmod /modules/stock/kvm-amd.ko || exit 1
n=0 failed=0
echo "TAP version 13"
for t in $tests; do
	n=$((n + 1))
	timeout -s KILL "$TIMEOUT" "./$t" > /tmp/out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/out
	if [ $rc -eq 0 ]; then echo "ok $n $t # stock"; else echo "not ok $n $t # stock rc=$rc"; failed=$((failed + 1)); fi
done
echo "# $((n - failed)) passed, $failed failed (stock modules)"
[ $failed -eq 0 ]
