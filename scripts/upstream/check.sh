#!/usr/bin/env bash
# Conformance gate: run the upstream KVM selftests on our modules and compare
# with tests/upstream/expectations.txt (NAME EXPECTED per line; EXPECTED is
# PASS, SKIP, FAIL or TIMEOUT). A test expected to PASS that does not is run
# once more, and both results are reported. Fails when an expected PASS
# still fails, or when any test oopsed/WARNed the kernel or crashed the
# machine. Prints one TAP line per test and a summary.
set -uo pipefail
source "$(dirname "$0")/../lib.sh"
expect=$ROOT/tests/upstream/expectations.txt
"$ROOT/scripts/upstream/run.sh" ours > /dev/null || die "the upstream run did not complete"
cp "$BUILD/upstream-ours.tsv" "$BUILD/upstream-first.tsv"
known=$ROOT/tests/upstream/known-failures.txt
expected() { awk -v t="$1" '$1 == t {print $2}' "$expect"; }
# Why an expected PASS is known to fail in some environment (empty: it is not).
known_failure() { awk -v t="$1" '$1 == t {$1 = ""; sub(/^ +/, ""); print}' "$known"; }
status_of() { awk -F'\t' -v t="$1" '$1 == t {print $2}' "$2"; }

retry=()
while IFS=$'\t' read -r name status secs line; do
  if [ "$(expected "$name")" = PASS ] && [ "$status" != PASS ]; then retry+=("$name"); fi
done < "$BUILD/upstream-first.tsv"
if [ ${#retry[@]} -gt 0 ]; then
  log "re-running ${#retry[@]} expected-to-pass tests that did not pass: ${retry[*]}"
  # The re-run keeps each test's kernel log too (scripts/vm/upstream.sh).
  touch "$BUILD/upstream-stage/DMESG"
  "$ROOT/scripts/upstream/run.sh" ours "${retry[@]}" > /dev/null || true
  rm -f "$BUILD/upstream-stage/DMESG"
  cp "$BUILD/upstream-ours.tsv" "$BUILD/upstream-retry.tsv"
fi

n=0 bad=0 todo=0
while IFS=$'\t' read -r name status secs line; do
  n=$((n + 1))
  exp=$(expected "$name")
  final=$status
  note=""
  if printf '%s\n' "${retry[@]:-}" | grep -qx "$name"; then
    final=$(status_of "$name" "$BUILD/upstream-retry.tsv")
    note=" (first run: $status, re-run: $final)"
  fi
  ok=1
  case $final in *KERNEL*|CRASH) ok=0 ;; esac
  if [ "$exp" = PASS ] && [ "$final" != PASS ]; then ok=0; fi
  why=$(known_failure "$name")
  if [ $ok = 1 ]; then echo "ok $n upstream/$name # $final, expected ${exp:-unlisted}$note"
  else
    if [ -n "$why" ] && [ "$final" = FAIL ]; then
      # TAP's TODO: reported, not counted as a failure.
      echo "not ok $n upstream/$name # TODO known failure ($why); $final, expected ${exp:-unlisted}$note: $line"
      todo=$((todo + 1))
    else
      echo "not ok $n upstream/$name # $final, expected ${exp:-unlisted}$note: $line"
      bad=$((bad + 1))
    fi
    # What the test printed last (its latest run), so that a CI log shows it.
    awk -v t="$name" '$1 == "UPSTREAM-START" {on = ($2 == t)} on && /^# / {print}' \
      "$BUILD"/upstream-ours-*.log 2>/dev/null | tr -d '\r' | tail -60 | sed 's/^# /#   | /'
  fi
done < "$BUILD/upstream-first.tsv"
awk -F'\t' '{n[$2]++} END {for (s in n) printf "# upstream %s: %d\n", s, n[s]}' "$BUILD/upstream-first.tsv" | sort
echo "# upstream conformance: $((n - bad - todo)) as expected, $bad not, $todo known failures"
[ $bad -eq 0 ]
