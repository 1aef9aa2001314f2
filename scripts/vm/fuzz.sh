# The guest's fuzzing job (scripts/fuzz-vm.sh): one of the VM fuzzers on our
# modules, then the kernel's health and kvm.ko's leak count at unload.
# KVMPP_ARGS: the fuzzer (ioctl_fuzz or guest_fuzz), then its arguments
# (episodes, seed, first episode).
. /jobs/kernel-health.sh
dmesg -n 7 # everything on the console: a wedged CPU's NMI backtrace too
panic_on_any_report 30
kmemleak_reset
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
kmemleak_clean || rc=1
echo "# fuzzer status $rc"
exit $rc
