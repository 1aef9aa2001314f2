#!/usr/bin/env bash
# What VM exits and VM ioctls cost, ours against the stock Debian modules, in
# the SVM test machine under QEMU -icount shift=0 -smp 1 (guest time = one
# nanosecond per emulated instruction). The job runs ours, stock, ours again;
# the table compares the second run of ours with stock and shows the first
# where its mean differs by more than 10%. A benchmark, not a test: it
# reports, it never fails on speed.
#   benchmark.sh [ROW...]     rows of tools/benchmark/exit_bench.c (all)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-modules.sh" 6.12 cloud-amd64 amd64 "$BUILD/tree-6.12"
"$ROOT/scripts/build-selftests.sh"
rows=$(IFS=,; echo "$*")
KVMPP_KERNEL_DIR=$(kernel_tree 6.12 cloud-amd64) KVMPP_MODULES=$BUILD/tree-6.12 \
  KVMPP_QEMU_EXTRA="-icount shift=0,align=off,sleep=off" KVMPP_SMP=1 \
  KVMPP_ACCEL=tcg,thread=single KVMPP_JOB_ARGS=$rows \
  "$ROOT/scripts/run-vm.sh" bench > /dev/null || { tail -20 "$BUILD/vm-bench.log"; exit 1; }
awk '
  /^== ours 1/ { side = "ours1" } /^== stock/ { side = "stock" } /^== ours 2/ { side = "ours2" }
  /^note / { notes = notes "- " side ": " substr($0, 6) "\n" }
  /^row / {
    k = $2
    if (!(k in seen)) { seen[k] = 1; order[n++] = k }
    if ($3 == "n/a") { r = $0; sub(/^row [^ ]+ n\/a /, "", r); na[side, k] = "n/a: " r; next }
    mean[side, k] = $3; least[side, k] = $4; csw[side, k] = $5
  }
  # A mean cell carries the reason a row could not run; the others say n/a.
  function cell(s, k, v, why) { return (s, k) in na ? (why ? na[s, k] : "n/a") : ((s, k) in mean ? v : "-") }
  END {
    print "| row | ours mean | ours least | stock mean | stock least | mean ours/stock | nivcsw/10k ours | nivcsw/10k stock |"
    print "|---|---|---|---|---|---|---|---|"
    for (i = 0; i < n; i++) {
      k = order[i]
      om = cell("ours2", k, mean["ours2", k], 1)
      if (("ours1", k) in mean && ("ours2", k) in mean && mean["ours2", k] > 0 &&
          (mean["ours1", k] / mean["ours2", k] > 1.1 || mean["ours1", k] / mean["ours2", k] < 1 / 1.1))
        om = om " (1st run " mean["ours1", k] ")"
      else if (("ours1", k) in na && !(("ours2", k) in na))
        om = om " (1st run " na["ours1", k] ")"
      ratio = "-"
      if (("ours2", k) in mean && ("stock", k) in mean && mean["stock", k] > 0)
        ratio = sprintf("%.2f", mean["ours2", k] / mean["stock", k])
      printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", k, om,
             cell("ours2", k, least["ours2", k]), cell("stock", k, mean["stock", k], 1),
             cell("stock", k, least["stock", k]), ratio,
             cell("ours2", k, csw["ours2", k]), cell("stock", k, csw["stock", k])
    }
    if (notes != "") printf "\nNotes (ours1/ours2: the first/second run of ours):\n%s", notes
  }' "$BUILD/vm-bench.log"
