# The guest's fuzzing job (scripts/fuzz-vm.sh): one of the VM fuzzers on our
# modules, then the kernel's health and kvm.ko's leak count at unload.
# KVMPP_ARGS: the fuzzer (ioctl_fuzz or guest_fuzz), then its arguments
# (episodes, seed, first episode).
. /jobs/kernel-health.sh
dmesg -n 7 # everything on the console: a wedged CPU's NMI backtrace too
# The first oops, WARN, lockup or task hung for 30 s ends the machine, its
# report in the log.
for k in panic_on_oops panic_on_warn softlockup_panic hung_task_panic panic_on_rcu_stall; do
	echo 1 > /proc/sys/kernel/$k
done
echo 30 > /proc/sys/kernel/hung_task_timeout_secs
for m in /modules/host/*.ko; do insmod "$m"; done
insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko || exit 1
set -- $KVMPP_ARGS
fuzzer=$1
shift
case $fuzzer in ioctl_fuzz | guest_fuzz) ;; *) echo "# no fuzzer $fuzzer"; exit 1 ;; esac
FUZZ_VERBOSE=1
export FUZZ_VERBOSE
"/tests/$fuzzer" "$@"
rc=$?
rmmod kvm_amd && rmmod kvm || rc=1
kernel_healthy || rc=1
echo "# fuzzer status $rc"
exit $rc
