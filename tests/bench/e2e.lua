-- e2e.lua -- wrk: step 2's senders.  POST /api/chats/{id}/messages,
-- round-robin over the "chat_id token" lines of $BENCH_TARGETS, paced at
-- $BENCH_E2E_RATE posts/s over all threads (each thread keeps its own
-- schedule of slots; delay() waits for the next one, so the rate holds
-- until the connections are all busy).  Each message carries the send time
-- on CLOCK_MONOTONIC, in microseconds, a tag and a key unique to the message:
--   "content":"e2e <tag> <usec> <thread>.<n>"
-- so the receiver (e2e.js) computes POST -> frame latency from the frame
-- alone and counts duplicates by the key (two threads may send in the same
-- microsecond, so the time alone is not unique).  done() writes the counts and wrk's HTTP latency as JSON to
-- $BENCH_RESULT.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } pl_timespec;
int clock_gettime(int clk, pl_timespec *ts);
]]
local ts = ffi.new("pl_timespec")
local function now_us()
   ffi.C.clock_gettime(1, ts)   -- CLOCK_MONOTONIC, as node's process.hrtime
   return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads = {}
local nthreads = tonumber(os.getenv("BENCH_E2E_THREADS") or "2")
function setup(thread)
   thread:set("tid", #threads)
   threads[#threads + 1] = thread
end

local targets = {}
local i = 0
local tag = os.getenv("BENCH_E2E_TAG") or "x"
local interval_us, due
ok, bad = 0, 0

function init(args)
   for line in io.lines(os.getenv("BENCH_TARGETS")) do
      local chat, token = line:match("^(%d+) (%S+)$")
      if chat then
         targets[#targets + 1] = {
            path = "/api/chats/" .. chat .. "/messages",
            headers = { ["Authorization"] = "Bearer " .. token,
                        ["Content-Type"] = "application/json" },
         }
      end
   end
   i = (tid or 0) * 7
   interval_us = 1000000 * nthreads / tonumber(os.getenv("BENCH_E2E_RATE") or "1000")
   due = now_us()
end

function delay()
   due = due + interval_us
   local wait = (due - now_us()) / 1000
   if wait < 0 then
      -- Behind schedule (all connections busy): do not burst to catch up.
      due = now_us()
      return 0
   end
   return wait
end

function request()
   i = i + 1
   local t = targets[(i % #targets) + 1]
   return wrk.format("POST", t.path, t.headers,
      string.format('{"content":"e2e %s %d %d.%d"}', tag, now_us(), tid or 0, i))
end

function response(status, headers, body)
   if status == 201 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
   local nok, nbad = 0, 0
   for _, t in ipairs(threads) do
      nok = nok + t:get("ok")
      nbad = nbad + t:get("bad")
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   local out = string.format(
      '{"requests":%d,"created":%d,"refused":%d,"duration_s":%.3f,"rps":%.1f,' ..
      '"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, nok, nbad, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.connect, e.read, e.write, e.status, e.timeout)
   local path = os.getenv("BENCH_RESULT")
   if path then
      local f = assert(io.open(path, "w"))
      f:write(out)
      f:close()
   end
end
