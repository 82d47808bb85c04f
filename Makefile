# Parley -- one Makefile for the whole tree.
#
#   make            build everything into build/ (bin/, tests/)
#   make run        install missing packages, build, init var/, start all
#   make stop       stop what `make run` started
#   make test       unit + integration + browser tests (ends "N passed, M failed")
#   make check-mem  the same suite on an ASan+UBSan build, plus valgrind runs
#   make bench      benchmarks with a baseline measured in the same run
#   make test-cluster  three hosts + forwarder in network namespaces (root)
#   make bench-cluster 50,000 idle browsers across namespace hosts (root; bench step 10)
#
# SANITIZER=address,undefined builds into build-san/ instead.  WERROR=0 turns
# warnings back into warnings.

CC      ?= cc
WERROR  ?= 1
SANITIZER ?=
OPT     ?= -O2

PKGS    := json-c libpq libzmq libsodium libwebsockets
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS_API := $(shell pkg-config --libs json-c libpq libzmq libsodium 2>/dev/null) -lfcgi -lstemmer
PKG_LIBS_WSD := $(shell pkg-config --libs json-c libzmq libsodium libwebsockets 2>/dev/null)
PKG_LIBS_SHARED := $(shell pkg-config --libs json-c libzmq libsodium 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Werror=format-security -Wno-format-nonliteral
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(CFLAGS) $(WARN) -Ishared $(PKG_CFLAGS) -MMD -MP
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif

ifneq ($(SANITIZER),)
BUILD   ?= build-san
SANFLAGS := -fsanitize=$(SANITIZER) -fno-sanitize-recover=all -fno-omit-frame-pointer
ALL_CFLAGS += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
else
BUILD   ?= build
endif

SHARED_SRC := $(wildcard shared/*.c)
API_SRC    := $(wildcard fcgi-api/*.c)
WSD_SRC    := $(wildcard ws-daemon/*.c)
TAP_SRC    := $(wildcard tools/tap/*.c)
FWD_SRC    := $(wildcard forwarder/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
SHARED_OBJ := $(call obj,$(SHARED_SRC))

API_BIN  := $(BUILD)/bin/parley-api.fcgi
WSD_BIN  := $(BUILD)/bin/parley-wsd
TAP_BIN  := $(BUILD)/bin/parley-tap
FWD_BIN  := $(BUILD)/bin/parley-forwarder
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

BINS := $(API_BIN) $(FWD_BIN)
ifneq ($(WSD_SRC),)
BINS += $(WSD_BIN)
endif
ifneq ($(wildcard $(TAP_SRC)),)
BINS += $(TAP_BIN)
endif

.PHONY: all run stop deps test check-mem bench clean node-deps test-cluster bench-cluster
all: $(BINS) $(UNIT_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(API_BIN): $(call obj,$(API_SRC)) $(SHARED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_API)

$(WSD_BIN): $(call obj,$(WSD_SRC)) $(SHARED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_WSD)

$(TAP_BIN): $(call obj,$(TAP_SRC)) $(SHARED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_SHARED)

$(FWD_BIN): $(call obj,$(FWD_SRC)) $(SHARED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_SHARED) -lpthread

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(SHARED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS_SHARED)

# test_highlight includes fcgi-api/highlight.c, which stems with libstemmer.
$(BUILD)/tests/test_highlight: PKG_LIBS_SHARED += -lstemmer

deps:
	@scripts/install-deps.sh

node-deps:
	@scripts/install-deps.sh --node

# make run: lighttpd reaches the ws-daemons over unix sockets in a 0750
# folder (no loopback port another local user could take while a daemon
# restarts); PARLEY_WS_UNIX=0 gives TCP ports as the tests use.
run: deps
	@$(MAKE) --no-print-directory all
	@PARLEY_WS_UNIX=$${PARLEY_WS_UNIX:-1} scripts/parley-stack.sh run

stop:
	@scripts/parley-stack.sh stop

test: all
	@PARLEY_BUILD=$(BUILD) tests/run.sh

check-mem:
	@$(MAKE) --no-print-directory SANITIZER=address,undefined OPT=-O1 all
	@PARLEY_BUILD=build-san PARLEY_SANITIZED=1 PARLEY_SKIP_FUZZ=1 tests/run.sh
	@tests/valgrind.sh build

bench: all
	@PARLEY_BUILD=$(BUILD) tests/bench/run.sh

# Several hosts in network namespaces (root): docs/scale.md.
test-cluster: all
	@PARLEY_BUILD=$(BUILD) tests/cluster/run.sh

# Bench step 10: 50,000 idle browsers through the fronts of namespace hosts (root).
bench-cluster: all
	@PARLEY_BUILD=$(BUILD) tests/cluster/bench.sh

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Optional parts, one file each (fuzzing, drills, install).
-include $(wildcard mk/*.mk)
