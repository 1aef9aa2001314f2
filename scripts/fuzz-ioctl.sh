#!/usr/bin/env bash
# A longer run of the ioctl fuzzer (tools/testing/selftests/kvm/ioctl_fuzz.c)
# than the selftests give it, in the SVM test machine on our modules, then
# the kernel's health and kvm.ko's leak count at unload.
#   fuzz-ioctl.sh [EPISODES [SEED [FIRST]]]    (default: 2000 episodes, seed 1)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-modules.sh" 6.12 cloud-amd64 amd64 "$BUILD/tree-6.12"
"$ROOT/scripts/build-selftests.sh"
args=$(IFS=,; echo "${1:-2000},${2:-1}${3:+,$3}")
rc=0
KVMPP_KERNEL_DIR=$(kernel_tree 6.12 cloud-amd64) KVMPP_MODULES=$BUILD/tree-6.12 \
  KVMPP_JOB_ARGS=$args KVMPP_VM_TIMEOUT=${KVMPP_VM_TIMEOUT:-7200} \
  "$ROOT/scripts/run-vm.sh" ioctl-fuzz > /dev/null || rc=$?
grep -a '^# \|^ok\|^not ok\|Oops\|WARNING:\|BUG:\|RIP: 0010' "$BUILD/vm-ioctl-fuzz.log" |
  grep -v '^# dmesg' | tail -30
exit $rc
