# The guest's ioctl-fuzzing job (scripts/fuzz-ioctl.sh): the ioctl fuzzer
# on our modules, then the kernel's health and kvm.ko's leak count at
# unload. KVMPP_ARGS: episodes, seed, first episode.
. /jobs/kernel-health.sh
dmesg -n 1
# The first oops or WARN ends the machine, its report in the log.
echo 1 > /proc/sys/kernel/panic_on_oops
echo 1 > /proc/sys/kernel/panic_on_warn
for m in /modules/host/*.ko; do insmod "$m"; done
insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko || exit 1
# shellcheck disable=SC2086 # the fuzzer's arguments
/tests/ioctl_fuzz $KVMPP_ARGS
rc=$?
rmmod kvm_amd && rmmod kvm || rc=1
kernel_healthy || rc=1
echo "# fuzzer status $rc"
exit $rc
