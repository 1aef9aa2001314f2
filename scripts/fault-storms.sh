#!/usr/bin/env bash
# Fault storms at full size, in the SVM test machine on our modules: module
# load/unload cycles with VMs created in between, and fault_storm_test's
# rounds (SIGKILL of a VMM mid-KVM_RUN with irqfds and ioeventfds busy;
# reclaim, KSM, huge-page splits and compaction under a running guest; the
# CPU of a running vCPU going offline and back). The selftests run a few of
# each. The first oops, WARN, lockup or hung task ends the machine.
#   fault-storms.sh [CYCLES [ROUNDS]]    (default: 1000 cycles, 100 rounds)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-modules.sh" 6.12 "$(test_flavour)" amd64 "$BUILD/tree-6.12"
"$ROOT/scripts/build-selftests.sh"
rc=0
KVMPP_KERNEL_DIR=$(kernel_tree 6.12 "$(test_flavour)") KVMPP_MODULES=$BUILD/tree-6.12 \
  KVMPP_JOB_ARGS="${1:-1000},${2:-100}" KVMPP_VM_TIMEOUT=${KVMPP_VM_TIMEOUT:-7200} \
  "$ROOT/scripts/run-vm.sh" storms > /dev/null || rc=$?
grep -a '^# \|^ok\|^not ok\|Oops\|WARNING:\|BUG:\|RIP: 0010\|blocked for' "$BUILD/vm-storms.log" |
  grep -v '^# dmesg' | tail -30
exit $rc
