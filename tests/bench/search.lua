-- search.lua -- wrk: GET /api/search for each path in $BENCH_SEARCH_PATHS in
-- turn (one per line, query already URL-encoded), with the token in
-- $BENCH_TOKEN_FILE as the bearer.  Each thread starts at its own offset so
-- that the connections do not all ask the same query at once.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local reqs = {}
local n = 0
function init(args)
   local f = assert(io.open(os.getenv("BENCH_TOKEN_FILE")))
   local token = f:read("*l")
   f:close()
   local headers = { ["Authorization"] = "Bearer " .. token }
   for path in io.lines(os.getenv("BENCH_SEARCH_PATHS")) do
      reqs[#reqs + 1] = wrk.format("GET", path, headers)
   end
   n = (tid or 0) * 5
end

function request()
   n = n + 1
   return reqs[(n % #reqs) + 1]
end
