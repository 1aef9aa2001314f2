#!/usr/bin/env bash
# A longer run of a VM fuzzer than the selftests give it, in the SVM test
# machine on our modules: tools/testing/selftests/kvm/ioctl_fuzz.c (the
# /dev/kvm ABI) or guest_fuzz.c (hostile guests). Then the kernel's health
# and kvm.ko's leak count at unload; the first oops or WARN ends the run.
#   fuzz-vm.sh FUZZER [EPISODES [SEED [FIRST]]]   (default: 2000 episodes, seed 1)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
fuzzer=${1:?usage: fuzz-vm.sh ioctl_fuzz|guest_fuzz [EPISODES [SEED [FIRST]]]}
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-modules.sh" 6.12 "$(test_flavour)" amd64 "$BUILD/tree-6.12"
"$ROOT/scripts/build-selftests.sh"
args="$fuzzer,${2:-2000},${3:-1}${4:+,$4}"
rc=0
KVMPP_KERNEL_DIR=$(kernel_tree 6.12 "$(test_flavour)") KVMPP_MODULES=$BUILD/tree-6.12 \
  KVMPP_JOB_ARGS=$args KVMPP_VM_TIMEOUT=${KVMPP_VM_TIMEOUT:-7200} \
  "$ROOT/scripts/run-vm.sh" fuzz > /dev/null || rc=$?
grep -a '^# \|^ok\|^not ok\|Oops\|WARNING:\|BUG:\|RIP: 0010' "$BUILD/vm-fuzz.log" |
  grep -v '^# dmesg' | tail -30
exit $rc
