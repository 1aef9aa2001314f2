# SPDX-License-Identifier: GPL-2.0
# Shared by the scripts: locations and small helpers. Source, don't run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${KVMPP_CACHE:-$HOME/.cache/kvmpp}
BUILD=${KVMPP_BUILD:-$ROOT/build}
export KVMPP_CACHE=$CACHE

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

# The extracted tree of a Debian kernel: kernel_tree SERIES FLAVOUR [ARCH]
kernel_tree() { "$ROOT/scripts/fetch-kernel.sh" "$@"; }
# Its build folder (KDIR), image and modules.
kdir_of() { echo "$1"/usr/src/linux-headers-*-"$2"; }
