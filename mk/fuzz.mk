# mk/fuzz.mk -- libFuzzer targets for every parser that sees outside bytes.
#
#   make fuzz [FUZZ_SECONDS=60]   fuzz each target for FUZZ_SECONDS; prints
#                                 execs/s, cov, ft and findings per target;
#                                 fails if any target crashed
#   make fuzz-regress             replay tests/fuzz/corpus/<t>/ and
#                                 tests/fuzz/regressions/<t>/ once (no fuzzing);
#                                 ends "fuzz: N passed, M failed"
#   make fuzz-build               just build them into build-fuzz/
#
# Built with clang (FUZZ_CC) and -fsanitize=fuzzer,address,undefined, the
# project's own warning flags and -Werror, into build-fuzz/ so that the main
# build's compiler and objects are untouched.  See tests/fuzz/README.md.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Werror \
                -Ishared -Ifcgi-api -Iws-daemon $(PKG_CFLAGS) $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link -MMD -MP
FUZZ_LIBS    := $(shell pkg-config --libs json-c libpq libzmq libsodium 2>/dev/null) -lstemmer

# target:max_len -- the body-ish ones may be a whole 64 KiB request body.
FUZZ_TARGETS := fuzz_router:8192 fuzz_json_body:70000 fuzz_jwt:4096 \
                fuzz_form_login:70000 fuzz_event:70000 fuzz_ws_frame:4097 \
                fuzz_search_query:256 fuzz_emoji:255 fuzz_mention:16384 \
                fuzz_highlight:8192
FUZZ_NAMES   := $(foreach t,$(FUZZ_TARGETS),$(firstword $(subst :, ,$(t))))
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))

# Sources each target links besides its own file and shared/.
FUZZ_API_BASE := fcgi-api/db.c fcgi-api/http.c fcgi-api/render.c fcgi-api/reply.c \
                 fcgi-api/throttle.c fcgi-api/sessions.c fcgi-api/notify.c \
                 fcgi-api/pubslot.c
FUZZ_SRC_fuzz_router     := fcgi-api/http.c
FUZZ_SRC_fuzz_json_body  := tests/fuzz/api_auth.c tests/fuzz/api_chats.c \
                            tests/fuzz/api_messages.c fcgi-api/events.c \
                            fcgi-api/shape.c fcgi-api/chatview.c \
                            fcgi-api/attach.c fcgi-api/uploads.c \
                            fcgi-api/upstore.c fcgi-api/mention.c fcgi-api/access.c $(FUZZ_API_BASE)
FUZZ_SRC_fuzz_form_login := tests/fuzz/api_auth.c $(FUZZ_API_BASE)
FUZZ_SRC_fuzz_jwt        :=
FUZZ_SRC_fuzz_event      :=
FUZZ_SRC_fuzz_ws_frame   := ws-daemon/client_frame.c
FUZZ_SRC_fuzz_search_query := fcgi-api/search_query.c
FUZZ_SRC_fuzz_emoji      := fcgi-api/emoji.c
FUZZ_SRC_fuzz_mention    := fcgi-api/mention.c
FUZZ_SRC_fuzz_highlight  := fcgi-api/highlight.c

fuzz_obj = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))

.PHONY: fuzz fuzz-build fuzz-regress fuzz-clean

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (fuzz)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

define FUZZ_LINK_RULE
$(FUZZ_DIR)/$(1): $(call fuzz_obj,tests/fuzz/$(1).c $(FUZZ_SRC_$(1)) $(SHARED_SRC))
	@echo "  LD  $$@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ $(FUZZ_LIBS)
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call FUZZ_LINK_RULE,$(t))))

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@tests/fuzz/run.sh fuzz $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-regress: fuzz-build
	@tests/fuzz/run.sh regress $(FUZZ_DIR) 0 $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_DIR)

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
