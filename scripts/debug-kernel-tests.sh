#!/usr/bin/env bash
# Everything that could hurt the host, again on the debug test kernel (KASAN,
# lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, DEBUG_OBJECTS: build-debug-kernel.sh
# builds it once, in about 9 minutes, then it is cached), with our modules
# built against it, in the SVM test machine:
#   tests     the project's selftests, then kmemleak after unloading
#   fuzz      ioctl_fuzz and guest_fuzz (KVMPP_DEBUG_EPISODES: "300 120")
#   storms    module cycles and fault storms (KVMPP_DEBUG_STORMS: "100 20")
#   upstream  the upstream selftests against tests/upstream/expectations.txt
# A KASAN, lockdep, sleep-in-atomic, ODEBUG or kmemleak report, an oops or a
# WARN fails the step. Prints one TAP line per step; exit status 0 when all
# passed. Separate from test-all.sh: Documentation/fuzzing.rst says why.
#   debug-kernel-tests.sh [STEP...]     (default: all four)
set -uo pipefail
export KVMPP_TEST_KERNEL=debug
export KVMPP_BUILD=${KVMPP_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build/debug}
export KVMPP_MEM=2G
source "$(dirname "$0")/lib.sh"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(tests fuzz storms upstream)
read -r ioctl_episodes guest_episodes <<< "${KVMPP_DEBUG_EPISODES:-300 120}"
read -r cycles rounds <<< "${KVMPP_DEBUG_STORMS:-100 20}"

"$ROOT/scripts/install-deps.sh" || die "installing packages"
kernel=$(kernel_tree 6.12 kvmpp-debug) || die "building the debug kernel"
"$ROOT/scripts/build-modules.sh" 6.12 kvmpp-debug amd64 "$BUILD/tree-6.12" || die "building the modules"
"$ROOT/scripts/build-selftests.sh" || die "building the selftests"

n=0 failed=0
echo "TAP version 13"
echo "1..$(( ${#steps[@]} + $(printf '%s\n' "${steps[@]}" | grep -c '^fuzz$') ))"
report() { # NAME STATUS SECONDS [DETAIL]
  n=$((n + 1))
  if [ "$2" = 0 ]; then echo "ok $n $1 # $3 s${4:+ $4}"
  else echo "not ok $n $1 # $3 s${4:+ $4}"; failed=$((failed + 1)); fi
}
for step in "${steps[@]}"; do
  start=$(date +%s)
  case $step in
  tests)
    KVMPP_KERNEL_DIR=$kernel KVMPP_MODULES=$BUILD/tree-6.12 "$ROOT/scripts/run-vm.sh" tests > /dev/null
    rc=$?
    grep -a '^not ok' "$BUILD/vm-tests.log"
    report selftests $rc $(($(date +%s) - start)) "$(grep -a '^# [0-9]* passed' "$BUILD/vm-tests.log")" ;;
  fuzz)
    "$ROOT/scripts/fuzz-vm.sh" ioctl_fuzz "$ioctl_episodes" 1 > "$BUILD/fuzz-ioctl.out" 2>&1
    report "ioctl_fuzz ($ioctl_episodes episodes)" $? $(($(date +%s) - start))
    tail -3 "$BUILD/fuzz-ioctl.out" | sed 's/^/#   /'
    start=$(date +%s)
    "$ROOT/scripts/fuzz-vm.sh" guest_fuzz "$guest_episodes" 1 > "$BUILD/fuzz-guest.out" 2>&1
    report "guest_fuzz ($guest_episodes episodes)" $? $(($(date +%s) - start))
    tail -3 "$BUILD/fuzz-guest.out" | sed 's/^/#   /' ;;
  storms)
    "$ROOT/scripts/fault-storms.sh" "$cycles" "$rounds" > "$BUILD/storms.out" 2>&1
    report "fault storms ($cycles cycles, $rounds rounds)" $? $(($(date +%s) - start))
    tail -3 "$BUILD/storms.out" | sed 's/^/#   /' ;;
  upstream)
    rm -f "$BUILD"/upstream-ours-*.log # only this run's boots count below
    "$ROOT/scripts/upstream/check.sh" > "$BUILD/upstream-check.log" 2>&1
    rc=$?
    grep -E '^not ok' "$BUILD/upstream-check.log" | grep -v '# TODO'
    if grep -aqE '^# kmemleak: [0-9]+ suspected' "$BUILD"/upstream-ours-*.log ||
      ! grep -aq '^# kmemleak: none' "$BUILD"/upstream-ours-*.log; then
      grep -ahE '^# kmemleak' "$BUILD"/upstream-ours-*.log | head -20
      echo "# upstream: kmemleak found leaks, or did not run"; rc=1
    fi
    report "upstream selftests" $rc $(($(date +%s) - start)) "$(grep '^# upstream conformance' "$BUILD/upstream-check.log")" ;;
  *) die "no step $step (tests, fuzz, storms, upstream)" ;;
  esac
done
echo "# debug kernel: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
