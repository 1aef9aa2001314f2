#!/usr/bin/env bash
# Where the test machine's instructions go during exit_bench rows, on our
# modules and on the stock Debian ones: perf's cpu-clock sampling inside the
# SVM test machine under QEMU -icount shift=0 (one nanosecond per emulated
# instruction), so each sample stands for the same number of instructions.
# Prints perf's report per side, by symbol. A profiling aid, not a test.
#   perf-profile.sh ROW...    rows of tools/benchmark/exit_bench.c
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || die "usage: perf-profile.sh ROW..."
"$ROOT/scripts/install-deps.sh"
command -v perf > /dev/null || apt-get install -y -q linux-perf > /dev/null
"$ROOT/scripts/build-modules.sh" 6.12 cloud-amd64 amd64 "$BUILD/tree-6.12"
"$ROOT/scripts/build-selftests.sh"
# perf and the shared libraries it links, merged into the initramfs.
payload=$BUILD/perf-payload
rm -rf "$payload"
mkdir -p "$payload/usr/bin"
cp "$(command -v perf)" "$payload/usr/bin/perf"
for lib in $(ldd "$(command -v perf)" | grep -o '/[^ ]*'); do
  mkdir -p "$payload$(dirname "$lib")"
  cp -L "$lib" "$payload$lib"
done
rows=$(IFS=,; echo "$*")
KVMPP_KERNEL_DIR=$(kernel_tree 6.12 cloud-amd64) KVMPP_MODULES=$BUILD/tree-6.12 \
  KVMPP_QEMU_EXTRA="-icount shift=0,align=off,sleep=off" KVMPP_SMP=1 \
  KVMPP_ACCEL=tcg,thread=single KVMPP_JOB_ARGS=$rows KVMPP_PAYLOAD=$payload \
  "$ROOT/scripts/run-vm.sh" perf-profile > /dev/null || { tail -20 "$BUILD/vm-perf-profile.log"; exit 1; }
sed -n '/^== /,$p' "$BUILD/vm-perf-profile.log" | grep -av '^KVMPP-EXIT\|^\[ *[0-9]'
