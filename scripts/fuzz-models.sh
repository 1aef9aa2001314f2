#!/usr/bin/env bash
# Fuzz the pure models in user space (tests/fuzz): the instruction emulator,
# the LAPIC, I/O APIC, PIC and PIT, GSI routing, the MSR filter and CPUID,
# with libFuzzer under AddressSanitizer and UBSan.
#   fuzz-models.sh [SECONDS]    each target for SECONDS (default 20)
# Builds build/fuzz with clang, runs every target with a fixed seed from its
# seed corpus (tests/fuzz/corpus/TARGET, never written) plus what earlier runs
# found (build/fuzz/corpus/TARGET), KVMPP_FUZZ_JOBS targets at a time (default:
# the number of CPUs), and prints one TAP line per target. A crash, sanitizer
# report, leak, hang or out-of-memory is written to
# build/fuzz/artifacts/TARGET-*, its log to build/fuzz/logs/TARGET.log, and
# makes the script fail. KVMPP_FUZZ_TARGETS="fuzz_pic fuzz_pit" runs some only;
# KVMPP_FUZZ_STRICT=1 also fails on the reported bugs the targets step over
# (tests/fuzz/crashes/). Reproduce a crash: build/fuzz/TARGET FILE.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

seconds=${1:-20}
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || die "usage: $0 [SECONDS]"
jobs=${KVMPP_FUZZ_JOBS:-$(nproc)}
out=$BUILD/fuzz
all_targets="fuzz_emulate fuzz_lapic fuzz_ioapic fuzz_pic fuzz_pit fuzz_routing fuzz_msr_filter
  fuzz_cpuid"
targets=${KVMPP_FUZZ_TARGETS:-$all_targets}

# clang with libFuzzer and the sanitizer runtimes, and cmake (install-deps.sh).
"$ROOT/scripts/install-deps.sh" >&2 || die "installing dependencies failed"

log "building $out"
cmake -S "$ROOT/tests/fuzz" -B "$out" -DCMAKE_CXX_COMPILER=clang++ >"$out.configure.log" 2>&1 ||
  { cat "$out.configure.log" >&2; die "configuring the fuzz targets failed"; }
cmake --build "$out" -j"$(nproc)" --target $targets >"$out.build.log" 2>&1 ||
  { tail -40 "$out.build.log" >&2; die "building the fuzz targets failed"; }

mkdir -p "$out/logs" "$out/artifacts"
# One target: its TAP line in $out/logs/TARGET.tap.
run_target() {
  local t=$1 log=$out/logs/$1.log work=$out/corpus/$1 seeds=$ROOT/tests/fuzz/corpus/$1
  mkdir -p "$work"
  rm -f "$out/artifacts/$t"-*
  local start end rc runs
  start=$(date +%s.%N)
  # -len_control=0: scripts may be long from the start. -timeout: one input
  # taking more than 10 s is a hang. -rss_limit_mb: the process's memory.
  "$out/$t" "$work" "$seeds" -seed=1 -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=2048 -len_control=0 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$t-" >"$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  local took
  took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
  if [ $rc -eq 0 ] && ! ls "$out/artifacts/$t"-* >/dev/null 2>&1; then
    echo "ok - $t: ${runs:-?} runs in $took s" >"$out/logs/$t.tap"
  else
    local what
    what=$(grep -m1 -oE 'ERROR: [A-Za-z]+Sanitizer: [a-z-]+|ERROR: libFuzzer: [a-z-]+|fuzz check failed at [^:]+:[0-9]+|runtime error: .*' "$log" | head -1)
    {
      echo "not ok - $t: ${what:-exit status $rc} after ${runs:-?} runs in $took s"
      for a in "$out/artifacts/$t"-*; do [ -e "$a" ] && echo "#   reproducer: $a"; done
      echo "#   log: $log"
    } >"$out/logs/$t.tap"
  fi
}

log "fuzzing for ${seconds} s per target, $jobs at a time"
running=0
for t in $targets; do
  run_target "$t" &
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

failed=0
for t in $targets; do
  cat "$out/logs/$t.tap"
  grep -q '^ok' "$out/logs/$t.tap" || failed=$((failed + 1))
done
n=$(echo $targets | wc -w)
echo "fuzz: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
