#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: install what is missing,
# fetch Debian's 6.12 kernel, build our modules against it, boot the
# emulated SVM machine, load the modules and create a VM on our /dev/kvm.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-modules.sh" 6.12 cloud-amd64 amd64 "$BUILD/tree-6.12"
"$ROOT/scripts/build-selftests.sh"
KVMPP_KERNEL_DIR=$(kernel_tree 6.12 cloud-amd64) KVMPP_MODULES=$BUILD/tree-6.12 \
  "$ROOT/scripts/run-vm.sh" demo
