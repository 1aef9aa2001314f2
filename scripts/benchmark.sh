#!/usr/bin/env bash
# Instructions per VM-exit round trip, ours against the stock Debian modules,
# in the SVM test machine under QEMU -icount shift=0 -smp 1 (guest time = one
# nanosecond per emulated instruction: exact and repeatable). A benchmark,
# not a test: it reports, it never fails on speed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-modules.sh" 6.12 cloud-amd64 amd64 "$BUILD/tree-6.12"
"$ROOT/scripts/build-selftests.sh"
KVMPP_KERNEL_DIR=$(kernel_tree 6.12 cloud-amd64) KVMPP_MODULES=$BUILD/tree-6.12 \
  KVMPP_QEMU_EXTRA="-icount shift=0,align=off,sleep=off" KVMPP_SMP=1 \
  KVMPP_ACCEL=tcg,thread=single \
  "$ROOT/scripts/run-vm.sh" bench > /dev/null || { tail -20 "$BUILD/vm-bench.log"; exit 1; }
awk '
  /== ours/ { side = "ours" } /== stock/ { side = "stock" }
  /^row / { v[side, $2] = $3; if (!(($2) in seen)) { seen[$2] = 1; order[n++] = $2 } }
  END {
    printf "| exit (instructions per round trip) | ours | stock | ours/stock |\n|---|---|---|---|\n"
    for (i = 0; i < n; i++) {
      k = order[i]
      printf "| %s | %s | %s | %.2f |\n", k, v["ours", k], v["stock", k], v["ours", k] / v["stock", k]
    }
  }' "$BUILD/vm-bench.log"
