# The guest's fault-storm job (scripts/fault-storms.sh): many more rounds
# than the selftests give them of module load/unload cycles with VMs in
# between, and of fault_storm_test (SIGKILL mid-run with eventfds busy,
# memory pressure under a running guest, a vCPU's CPU going offline).
# KVMPP_ARGS: cycles, storm rounds. Then the kernel's health.
. /jobs/kernel-health.sh
set -- $KVMPP_ARGS
dmesg -n 1
panic_on_any_report 60
kmemleak_reset
for m in /modules/host/*.ko; do insmod "$m"; done
insmod /modules/kvm.ko && insmod /modules/kvm-amd.ko || exit 1
rc=0
cd /tests || exit 1
start=$(cut -d' ' -f1 /proc/uptime)
CYCLES=${1:-1000} ./module_cycle_test.sh || rc=1
mid=$(cut -d' ' -f1 /proc/uptime)
STORM_ROUNDS=${2:-100} ./fault_storm_test || rc=1
end=$(cut -d' ' -f1 /proc/uptime)
echo "# module cycles took $(awk "BEGIN{print $mid - $start}") s, storms $(awk "BEGIN{print $end - $mid}") s"
rmmod kvm_amd && rmmod kvm || rc=1
kernel_healthy || rc=1
kmemleak_clean || rc=1
echo "# storms status $rc"
exit $rc
