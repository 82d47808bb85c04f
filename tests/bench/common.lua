-- common.lua -- shared by post.lua and get.lua: thread numbering and a
-- done() that writes wrk's summary as JSON to $BENCH_RESULT.
local threads = 0
function setup(thread)
   thread:set("tid", threads)
   threads = threads + 1
end

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   local out = string.format(
      '{"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
      '"max_ms":%.3f,"mean_ms":%.3f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, latency.mean / 1000,
      e.connect, e.read, e.write, e.status, e.timeout)
   local path = os.getenv("BENCH_RESULT")
   if path then
      local f = assert(io.open(path, "w"))
      f:write(out)
      f:close()
   end
   io.write(out)
end
