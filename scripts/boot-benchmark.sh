#!/usr/bin/env bash
# End-to-end cost of booting Linux under Debian's QEMU on our modules and on
# the stock ones, in the SVM test machine under -icount shift=0 -smp 1: the
# machine's clock then advances one nanosecond per emulated instruction (and
# jumps over idle time), so "seconds to init" are billions of instructions,
# repeatable to 0.01 s (the moment init shows in QEMU's output). Each side
# boots q35, 1 vCPU, kernel-irqchip=on twice (scripts/vm/qemu-boots.sh). A
# benchmark: it reports, it never fails on speed.
#   boot-benchmark.sh [M:N:IRQ[+M:N:IRQ...]]   (default q35:1:on+q35:1:on)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_qemu_job > /dev/null
KVMPP_KERNEL_DIR=$kernel_dir KVMPP_MODULES=$BUILD/tree-6.12 KVMPP_PAYLOAD=$BUILD/qemu-payload \
  KVMPP_MEM=2G KVMPP_JOB_ARGS="stock,only=${1:-q35:1:on+q35:1:on}" \
  KVMPP_QEMU_EXTRA="-icount shift=0,align=off,sleep=off" KVMPP_SMP=1 \
  KVMPP_ACCEL=tcg,thread=single KVMPP_VM_TIMEOUT=1500 \
  "$ROOT/scripts/run-vm.sh" qemu-boots > /dev/null || { tail -20 "$BUILD/vm-qemu-boots.log"; exit 1; }
echo "# seconds to init under icount (1 s = 10^9 instructions of the test machine)"
sed -n '/^# configuration/,/^# [0-9]* passed/p' "$BUILD/vm-qemu-boots.log" | grep -v passed
