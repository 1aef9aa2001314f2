#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install what is missing,
# fetch Debian's 6.12 kernel, build our modules against it, boot the
# emulated SVM machine, load the modules, and boot Linux under Debian's
# unchanged QEMU on our /dev/kvm (q35, 2 vCPUs, in-kernel irqchip, a virtio
# disk), then on the stock modules; both times to init are printed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_qemu_job
KVMPP_KERNEL_DIR=$kernel_dir KVMPP_MODULES=$BUILD/tree-6.12 KVMPP_PAYLOAD=$BUILD/qemu-payload \
  KVMPP_MEM=2G "$ROOT/scripts/run-vm.sh" qemu-demo
