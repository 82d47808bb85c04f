-- get.lua -- wrk: GET of the URL's path with the token in $BENCH_TOKEN_FILE
-- (the heavy user, a member of 200 chats) as the bearer.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local req
function init(args)
   local f = assert(io.open(os.getenv("BENCH_TOKEN_FILE")))
   local token = f:read("*l")
   f:close()
   req = wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. token })
end

function request()
   return req
end
