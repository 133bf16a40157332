# tests/fuzz/fuzz.mk - the libFuzzer binaries, built with clang by `make fuzz` (see local.am).
# In: srcdir, FUZZ_CC, FUZZ_ENGINES (-DENABLE_*), FUZZ_DATADIR, FUZZ_LIBEXECDIR, FUZZ_BINDIR,
# FUZZ_DEP_CFLAGS, FUZZ_LIBS, FUZZ_TARGETS and the source
# lists FUZZ_SRC_COMMON, FUZZ_SRC_VMM, FUZZ_SRC_CT, FUZZ_SRC_CONSOLE (project sources, .c only).
# Kept out of automake's sight: it needs GNU make pattern rules and a second compiler.

FZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FZ_CPPFLAGS = -include config.h -I$(srcdir)/src -I. -I$(srcdir)/tests/fuzz $(FUZZ_ENGINES) \
	-DVD_DATADIR='"$(FUZZ_DATADIR)"' -DVD_LIBEXECDIR='"$(FUZZ_LIBEXECDIR)"' -DVD_BINDIR='"$(FUZZ_BINDIR)"'
FZ_CFLAGS = -g -O1 -std=gnu11 $(FZ_SAN) -fsanitize=fuzzer-no-link $(FZ_CPPFLAGS) $(FUZZ_DEP_CFLAGS)
FZ_LDFLAGS = $(FZ_SAN) -fsanitize=fuzzer
O = tests/fuzz/obj
B = tests/fuzz/bin

all: $(patsubst %,$(B)/fuzz-%,$(FUZZ_TARGETS))

objs = $(patsubst %.c,$(O)/%.o,$(1))

$(O)/%.o: $(srcdir)/%.c
	@mkdir -p $(@D)
	@echo "  FUZZCC   $@"
	@$(FUZZ_CC) $(FZ_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/lib%.a:
	@rm -f $@
	@ar rcs $@ $^

$(O)/libcommon.a: $(call objs,$(FUZZ_SRC_COMMON) tests/fuzz/fuzz-lib.c)
$(O)/libvmm.a: $(call objs,$(FUZZ_SRC_VMM))
$(O)/libct.a: $(call objs,$(FUZZ_SRC_CT))
$(O)/libconsole.a: $(call objs,$(FUZZ_SRC_CONSOLE))

# Which project pieces each target links, besides its own source.
VIRTIO = $(O)/tests/fuzz/fuzz-virtio.o $(O)/libvmm.a
deps_virtq = $(VIRTIO)
deps_virtio-blk = $(VIRTIO)
deps_virtio-net = $(VIRTIO)
deps_virtio-rng = $(VIRTIO)
deps_virtio-balloon = $(VIRTIO)
deps_virtio-mmio = $(VIRTIO)
deps_vmm-ports = $(O)/libvmm.a
deps_vmm-ctl = $(O)/libvmm.a
deps_vm-def = $(O)/libvmm.a
deps_ctl-line =
deps_ct-super = $(O)/libct.a
deps_ct-def = $(O)/libct.a
deps_config = $(O)/libconsole.a
deps_lv-stats = $(O)/libconsole.a

.SECONDEXPANSION:
$(B)/fuzz-%: $(O)/tests/fuzz/fuzz-%.o $$(deps_$$*) $(O)/libcommon.a
	@mkdir -p $(@D)
	@echo "  FUZZLD   $@"
	@$(FUZZ_CC) $(FZ_LDFLAGS) -o $@ $^ -Wl,--as-needed $(FUZZ_LIBS)

.PHONY: all
# Header and included-source dependencies (targets include the .c files they reach into).
-include $(shell find $(O) -name '*.d' 2>/dev/null)
.SECONDARY:
