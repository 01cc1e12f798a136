-- wrk script: every request posts a different volunteer form, as a browser does
-- (urlencoded, same origin), so every one is a new submission stored on disk.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or "0"
  origin = args[2]
end

request = function()
  counter = counter + 1
  local body = "name=Bench+Volunteer+" .. run .. "-" .. thread_id .. "-" .. counter
    .. "&email=bench" .. thread_id .. "." .. counter .. "%40example.com"
    .. "&help=admin&help=technology&background=student&hours=6"
    .. "&message=I+would+like+to+help+with+documents+on+weekday+evenings."
    .. "&consent=yes"
  return wrk.format("POST", "/api/forms/volunteer", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
  }, body)
end
