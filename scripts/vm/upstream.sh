# The guest's upstream-selftests job: load our modules or the stock ones
# (/upstream/MODE), then run each line of /upstream/RUN ("name timeout args")
# and print one machine-readable line per test for the host:
#   UPSTREAM-START name
#   UPSTREAM-RESULT name STATUS seconds first-failure-line
# STATUS: PASS, SKIP, FAIL, TIMEOUT; "+KERNEL" when the kernel oopsed,
# WARNed or got tainted during the test.
. /jobs/kernel-health.sh
cd /upstream
mode=$(cat MODE)
dmesg -n 1
for m in /modules/host/*.ko; do insmod "$m"; done
if [ "$mode" = stock ]; then
	insmod /modules/stock/irqbypass.ko && insmod /modules/stock/kvm.ko &&
		insmod /modules/stock/kvm-amd.ko || exit 1
else
	insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko || exit 1
fi
# What the tests expect of the machine: huge pages to reserve, a tmpfs.
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
taint=$(cat /proc/sys/kernel/tainted)
kmemleak_reset
while read -r name timeout args; do
	[ -n "$name" ] || continue
	echo "UPSTREAM-START $name"
	echo "# ./$name $args (limit ${timeout} s)"
	start=$(cut -d' ' -f1 /proc/uptime)
	# The profile's ARGS: split on white space, never globbed.
	set -f
	case $name in
	*.sh) (cd "$(dirname "$name")" && timeout -s KILL "$timeout" sh "./$(basename "$name")" $args) > /tmp/out 2>&1 ;;
	*) timeout -s KILL "$timeout" "./$name" $args > /tmp/out 2>&1 ;;
	esac
	rc=$?
	set +f
	end=$(cut -d' ' -f1 /proc/uptime)
	# Debugging aid: with a DMESG file staged, keep each test's kernel log.
	[ -f DMESG ] && dmesg | tail -40 | sed 's/^/# dmesg: /' >> /tmp/out
	# Leftovers (children of the test) would slow the next tests down.
	base=$(basename "$name" | cut -c1-15)
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$base" ] && kill -9 "${d#/proc/}" 2>/dev/null
	done
	elapsed=$(awk "BEGIN{print int($end - $start)}")
	case $rc in
	0) status=PASS ;;
	4) status=SKIP ;;
	137) if [ "$elapsed" -ge $((timeout - 1)) ]; then status=TIMEOUT
	     else status=FAIL; echo "# killed by SIGKILL before its time limit (out of memory?)" >> /tmp/out; fi ;;
	*) status=FAIL ;;
	esac
	now=$(cat /proc/sys/kernel/tainted)
	if [ "$now" != "$taint" ] || dmesg | grep -qE 'Oops|WARNING:|BUG:|soft lockup'; then
		status="$status+KERNEL"
		dmesg | grep -E -A12 'Oops|WARNING:|BUG:|soft lockup' | head -40 | sed 's/^/# dmesg: /'
		dmesg -c > /dev/null
		taint=$now
	fi
	line=$(grep -m1 -A1 'Test Assertion Failure' /tmp/out | tail -1)
	[ -n "$line" ] || line=$(grep -m1 -iE 'skip|fail|error' /tmp/out)
	[ -n "$line" ] || line=$(tail -1 /tmp/out)
	line=$(echo "$line" | tr -s ' \t' ' ' | cut -c1-160)
	tail -40 /tmp/out | sed 's/^/# /'
	echo "UPSTREAM-RESULT $name $status $(awk "BEGIN{printf \"%.1f\", $end - $start}") $line"
done < RUN
# The debug test kernel: what leaked over the whole run, modules unloaded.
if [ -w "$KMEMLEAK" ]; then
	if [ "$mode" = stock ]; then rmmod kvm_amd kvm irqbypass; else rmmod kvm_amd kvm; fi
	kmemleak_clean && kernel_healthy && echo "# kmemleak: none"
fi
echo "UPSTREAM-DONE"
