# bench.mk -- helper programs of `make bench` (tests/bench/, docs/bench.md).
# The fan-out reader: many WebSocket clients in one epoll loop, so the load
# generator is not what delays the last member of a fan-out.
BENCH_READER := $(BUILD)/bench/fanout-reader
all: $(BENCH_READER)

$(BENCH_READER): $(BUILD)/obj/tests/bench/fanout-reader.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
