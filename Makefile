# SPDX-License-Identifier: GPL-2.0
# Out-of-tree build of kvm.ko, kvm-amd.ko and kvm-intel.ko.
#
#   make                     build against the running kernel
#   make KDIR=/path/to/build build against another kernel's build tree
#   make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KDIR=...   arm64 core
#   make clean
#
# Any compiler, objtool or modpost warning fails the build.

SHELL := /bin/bash
KDIR ?= /lib/modules/$(shell uname -r)/build
# pahole cannot read C++ DWARF: keep BTF for the C objects only.
PAHOLE_EXCLUDE := MODULE_PAHOLE_FLAGS="--lang_exclude=rust,c++,c++03,c++11,c++14"
BUILD_LOG := .build.log

all: modules

modules:
	@set -o pipefail; $(MAKE) -C $(KDIR) M=$(CURDIR) $(PAHOLE_EXCLUDE) modules 2>&1 | tee $(BUILD_LOG)
	@if grep -iE 'warning|error' $(BUILD_LOG) | grep -v '^make' ; then \
		echo "build: the lines above are warnings; the build is required to be warning-free" >&2; \
		exit 1; fi

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(BUILD_LOG)

.PHONY: all modules clean
