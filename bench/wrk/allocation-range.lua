-- POST a 1,000-port range on a new address each request (bench scenario `allocation-range`):
-- the path is the node's allocations (wrk.path), the session cookie comes in wrk.headers. The
-- address is fd00:<run>:<thread>::<counter>, <run> from the clock, so neither the threads nor
-- the warm-up and the measured run (separate wrk processes, seconds apart) repeat one: every
-- request inserts 1,000 rows rather than finding them there.

local run, counter = 0, 0

function init(args)
  run = os.time() % 65536
end

function request()
  counter = counter + 1
  local ip = string.format("fd00:%x:%x::%x:%x", run, thread_id or 0, math.floor(counter / 65536), counter % 65536)
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, string.format('{"ip":"%s","port_ranges":["20000-20999"]}', ip))
end
