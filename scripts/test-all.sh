#!/usr/bin/env bash
# Every test of the project, from a fresh Debian 12 machine:
#   1. installs what is missing (apt-get), fetches Debian's kernels into a cache;
#   2. unit tests of the user-space core (GoogleTest under CTest), and the
#      models fuzzed with libFuzzer for a bounded time (scripts/fuzz-models.sh);
#   3. warning-free module builds: Debian 6.12 (the one tested), Debian 6.1,
#      and the generic core for arm64;
#   4. the project's selftests in the emulated SVM machine on our modules;
#   5. Debian's unchanged QEMU booting Linux (and SeaBIOS) on our modules in
#      each machine and interrupt-controller mode (scripts/vm/qemu-boots.sh);
#   6. Debian's QEMU live-migrating a running guest on our modules, over a
#      unix socket and through a file (scripts/vm/qemu-migrate.sh);
#   7. the upstream KVM selftests (Debian's linux-source-6.12) on our modules,
#      against tests/upstream/expectations.txt (KVMPP_SKIP_UPSTREAM=1 skips).
# Prints one line per step and a closing "N passed, N failed"; exits non-zero
# on any failure.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
passed=0 failed=0 known=0
step() {
  local name=$1; shift
  log "== $name"
  if "$@"; then passed=$((passed + 1)); echo "ok - $name"
  else failed=$((failed + 1)); echo "not ok - $name"; fi
}
count_tap() { # add a TAP log's top-level results to the totals
  local p f t
  p=$(grep -aE '^ok [0-9]+ ' "$1" | wc -l); f=$(grep -aE '^not ok [0-9]+ ' "$1" | grep -vc '# TODO' || true)
  t=$(grep -aE '^not ok [0-9]+ .*# TODO' "$1" | wc -l)
  passed=$((passed + p)); failed=$((failed + f)); known=$((known + t))
}

"$ROOT/scripts/install-deps.sh" || die "installing dependencies failed"

unit_tests() {
  cmake -S "$ROOT/tests/unit" -B "$BUILD/unit" -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
    cmake --build "$BUILD/unit" -j"$(nproc)" >/dev/null &&
    ctest --test-dir "$BUILD/unit" --output-on-failure | tee "$BUILD/unit.log" | tail -3
}
unit_tests; rc=$?
units=$(grep -oE 'out of [0-9]+' "$BUILD/unit.log" 2>/dev/null | grep -oE '[0-9]+' || echo 0)
ufail=$(grep -oE '[0-9]+ tests failed' "$BUILD/unit.log" 2>/dev/null | grep -oE '^[0-9]+' || echo 0)
[ "$units" -gt 0 ] || { ufail=1; units=1; }
[ $rc -eq 0 ] || [ "$ufail" -gt 0 ] || ufail=1
passed=$((passed + units - ufail)); failed=$((failed + ufail))
echo "unit tests: $((units - ufail)) passed, $ufail failed"

step "C++ formatting (clang-format)" "$ROOT/scripts/check-format.sh"
# The models under libFuzzer (Documentation/fuzzing.rst): 20 s per target.
step "fuzzing the models (libFuzzer, ASan, UBSan)" "$ROOT/scripts/fuzz-models.sh"
step "build for Debian 6.1 (cloud-amd64)" "$ROOT/scripts/build-modules.sh" 6.1 cloud-amd64 amd64 "$BUILD/tree-6.1"
step "build the generic core for arm64 (Debian 6.12 cloud-arm64)" \
  "$ROOT/scripts/build-modules.sh" 6.12 cloud-arm64 arm64 "$BUILD/tree-arm64"
step "build for Debian 6.12 (cloud-amd64)" "$ROOT/scripts/build-modules.sh" 6.12 cloud-amd64 amd64 "$BUILD/tree-6.12"
step "build the selftests" "$ROOT/scripts/build-selftests.sh"

if [ -f "$BUILD/tree-6.12/kvm-amd.ko" ]; then
  KVMPP_KERNEL_DIR=$(kernel_tree 6.12 cloud-amd64) KVMPP_MODULES=$BUILD/tree-6.12 \
    "$ROOT/scripts/run-vm.sh" tests
  vm_rc=$?
  count_tap "$BUILD/vm-tests.log"
  if [ $vm_rc -ne 0 ] && ! grep -qa '^not ok' "$BUILD/vm-tests.log"; then
    echo "not ok - the test VM did not complete"; failed=$((failed + 1))
  fi
else
  echo "not ok - VM tests (no modules to test)"; failed=$((failed + 1))
fi

# A QEMU job in the test machine (scripts/vm/JOB.sh) on our modules, with
# the payload built below: its TAP lines, added to the totals.
run_qemu_job() { # JOB WHAT
  local rc
  KVMPP_KERNEL_DIR=$(kernel_tree 6.12 cloud-amd64) KVMPP_MODULES=$BUILD/tree-6.12 \
    KVMPP_PAYLOAD=$BUILD/qemu-payload KVMPP_MEM=2G "$ROOT/scripts/run-vm.sh" "$1" > /dev/null
  rc=$?
  grep -aE '^(not )?ok |^# ' "$BUILD/vm-$1.log" | grep -v '^# |'
  count_tap "$BUILD/vm-$1.log"
  if [ $rc -ne 0 ] && ! grep -qa '^not ok' "$BUILD/vm-$1.log"; then
    echo "not ok - the $2 job did not complete"; failed=$((failed + 1))
  fi
}

if [ -f "$BUILD/tree-6.12/kvm-amd.ko" ]; then
  log "== QEMU boots Linux on our modules"
  if "$ROOT/scripts/qemu-payload.sh" "$(kernel_tree 6.12 cloud-amd64)" "$BUILD/qemu-payload" >/dev/null; then
    run_qemu_job qemu-boots "QEMU boot"
  else
    echo "not ok - building the QEMU payload"; failed=$((failed + 1))
  fi
fi

# Live migration (dirty logging under a real VMM). Reuses the payload the
# QEMU boot step built; KVMPP_MIGRATE=0 skips it.
if [ "${KVMPP_MIGRATE:-1}" = 1 ] && [ -f "$BUILD/tree-6.12/kvm-amd.ko" ] && [ -d "$BUILD/qemu-payload" ]; then
  log "== QEMU live-migrates a guest on our modules"
  run_qemu_job qemu-migrate "QEMU migration"
fi

if [ "${KVMPP_SKIP_UPSTREAM:-0}" != 1 ]; then
  log "== upstream KVM selftests against tests/upstream/expectations.txt"
  "$ROOT/scripts/upstream/check.sh" | tee "$BUILD/upstream-check.log" | grep -E '^(not ok|#)'
  count_tap "$BUILD/upstream-check.log"
  grep -q '^# upstream conformance' "$BUILD/upstream-check.log" ||
    { echo "not ok - the upstream selftests did not run"; failed=$((failed + 1)); }
fi

summary="$passed passed, $failed failed"
[ "$known" -eq 0 ] || summary+=", $known known failures (TAP TODO, listed above)"
echo "$summary"
[ $failed -eq 0 ]
