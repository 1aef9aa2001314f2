#!/usr/bin/env bash
# Run the upstream KVM selftests in the SVM test machine against our modules
# ("ours") or the stock Debian modules of the same kernel ("stock").
#   run.sh ours|stock [TEST...]
# Each test gets the timeout and arguments of tests/upstream/profile.txt. A
# test that crashes or hangs the machine is recorded as CRASH and the machine
# is booted again for the rest. Results: $BUILD/upstream-<side>.tsv
# (name, status, seconds, first failure line), logs in $BUILD/upstream-<side>-N.log.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
side=$1; shift
stage=$BUILD/upstream-stage
[ -f "$stage/TESTS" ] || "$ROOT/scripts/upstream/build.sh"
profile=$ROOT/tests/upstream/profile.txt
default_timeout=$(awk '$1 == "default" {print $2}' "$profile")
if [ $# -gt 0 ]; then printf '%s\n' "$@" > "$BUILD/upstream-todo"
else cp "$stage/TESTS" "$BUILD/upstream-todo"; fi
results=$BUILD/upstream-$side.tsv
: > "$results"
kernel=$(kernel_tree 6.12 "$(test_flavour)")
boot=0
while [ -s "$BUILD/upstream-todo" ]; do
  boot=$((boot + 1))
  # The job's inputs: which modules, and each test with its profile.
  echo "$side" > "$stage/MODE"
  while read -r t; do
    line=$(awk -v t="$(basename "$t")" -v d="$default_timeout" \
      '$1 == t {if (NF < 2) $2 = d; $1 = ""; print; exit}' "$profile")
    echo "$t ${line:-$default_timeout}"
  done < "$BUILD/upstream-todo" > "$stage/RUN"
  log "upstream selftests ($side), boot $boot: $(wc -l < "$BUILD/upstream-todo") tests"
  total=$(awk '{s += $2} END {print s + 300}' "$stage/RUN")
  set +e
  KVMPP_KERNEL_DIR=$kernel KVMPP_MODULES=${KVMPP_MODULES:-$BUILD/tree-6.12} KVMPP_MEM=2G \
    KVMPP_EXTRA_DIR=$stage KVMPP_VM_TIMEOUT=$total "$ROOT/scripts/run-vm.sh" upstream > /dev/null
  set -e
  cp "$BUILD/vm-upstream.log" "$BUILD/upstream-$side-$boot.log"
  grep -a '^UPSTREAM-RESULT ' "$BUILD/vm-upstream.log" |
    awk '{n = $2; s = $3; t = $4; $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); printf "%s\t%s\t%s\t%s\n", n, s, t, $0}' \
    >> "$results"
  started=$(grep -a '^UPSTREAM-START ' "$BUILD/vm-upstream.log" | tail -1 | cut -d' ' -f2)
  done_tests=$(cut -f1 "$results")
  if ! grep -aq '^UPSTREAM-DONE' "$BUILD/vm-upstream.log"; then
    if [ -z "$started" ] || echo "$done_tests" | grep -qx "$started"; then
      log "the machine stopped outside any test: see $BUILD/upstream-$side-$boot.log"
      exit 1
    fi
    printf '%s\tCRASH\t-\tthe test machine crashed or hung (log: upstream-%s-%s.log)\n' \
      "$started" "$side" "$boot" >> "$results"
  fi
  grep -vxF -f <(cut -f1 "$results") "$BUILD/upstream-todo" > "$BUILD/upstream-todo.next" || true
  mv "$BUILD/upstream-todo.next" "$BUILD/upstream-todo"
done
log "results: $results"
awk -F'\t' '{n[$2]++} END {for (s in n) printf "%s %d\n", s, n[s]}' "$results" | sort
