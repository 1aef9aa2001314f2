# SPDX-License-Identifier: GPL-2.0
# Compiling C++ into a kernel module with Kbuild.
#
# The C++ flags are derived from the kernel's own C flags (so mitigations,
# code model, CET and stack-protector settings always match the kernel being
# built against), minus the C-only flags, plus what freestanding C++ needs.
# Measured facts behind each choice: ../shared/notes/cxx-in-kbuild.md and
# Documentation/build.rst.

KVMPP_CXX := $(subst gcc,g++,$(CC))

# Flags g++ rejects or ignores with a warning.
kvmpp-c-only-flags := -std=gnu11 -std=gnu89 -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-pointer-sign -Wno-override-init -Wdeclaration-after-statement \
	-Wenum-conversion -Wimplicit-int -Werror=implicit-function-declaration \
	-Werror=implicit-int -Werror=strict-prototypes -Werror=incompatible-pointer-types \
	-Werror=designated-init -Wno-main
# ftrace: C++ functions are not traceable (as with CFLAGS_REMOVE_x.o =
# $(CC_FLAGS_FTRACE)); recorded mcount sites in COMDAT code break the link.
kvmpp-c-only-flags += $(CC_FLAGS_FTRACE) -DCC_USING_FENTRY -DCC_USING_NOP_MCOUNT

kvmpp-cxx-extra := -std=gnu++20 -ffreestanding -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics -fno-use-cxa-atexit -fcheck-new \
	-fno-asynchronous-unwind-tables -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-Wno-missing-field-initializers -Werror

# arm64: gcc would call libgcc's out-of-line atomics (__aarch64_ldadd4_acq_rel
# ...), which the kernel does not provide; inline them (LSE or LL/SC).
ifeq ($(SRCARCH),arm64)
kvmpp-cxx-extra += -mno-outline-atomics
endif

kvmpp-cxx-includes := -I$(src)/include -I$(src)/arch/$(SRCARCH)/include -I$(src)

# KASAN (the debug test kernel): instrument the C++ as Kbuild does the C,
# but without the checks of globals, whose registration gcc emits as a
# global constructor.
ifeq ($(CONFIG_KASAN_GENERIC),y)
kvmpp-cxx-extra += $(CFLAGS_KASAN) --param asan-globals=0
endif

kvmpp_cxxflags = $(filter-out $(kvmpp-c-only-flags),$(KBUILD_CPPFLAGS) $(KBUILD_CFLAGS) \
	$(KBUILD_CFLAGS_MODULE)) $(kvmpp-cxx-extra) $(kvmpp-cxx-includes)

# After compiling: drop __patchable_function_entries (x86 does not read it,
# and its entries for discarded COMDAT copies break the link), and refuse
# global constructors (the kernel never runs them).
quiet_cmd_cxx_o_cpp = CXX [M]  $@
      cmd_cxx_o_cpp = $(KVMPP_CXX) -Wp,-MMD,$(depfile) $(kvmpp_cxxflags) -c -o $@ $< && \
	$(OBJCOPY) --remove-section=__patchable_function_entries $@ && \
	if $(OBJDUMP) -h $@ | grep -qE '\.init_array|\.ctors'; then \
		echo "error: $@ has a global constructor (not run in the kernel)" >&2; \
		rm -f $@; exit 1; fi

$(obj)/%.o: $(src)/%.cpp FORCE
	$(call if_changed_dep,cxx_o_cpp)
