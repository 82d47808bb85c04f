-- post.lua -- wrk: POST /api/chats/{id}/messages, round-robin over the
-- "chat_id token" lines of $BENCH_TARGETS (direct chats of distinct user
-- pairs, so no single chat row is hot).  Each thread starts at a different
-- line.  The URL's path is ignored.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local targets = {}
local i = 0
local n = 0

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
end

function request()
   i = i + 1
   n = n + 1
   local t = targets[(i % #targets) + 1]
   local body = string.format('{"content":"bench message %d-%d: the quick brown fox jumps over the lazy dog"}', tid or 0, n)
   return wrk.format("POST", t.path, t.headers, body)
end
