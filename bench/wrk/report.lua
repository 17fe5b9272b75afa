-- Shared by every bench wrk script (bench/wrk.ts prepends it): counts response statuses per
-- thread and prints one JSON line, prefixed "BENCH_JSON ", when the run ends. A script that
-- appends to this file may define on_response(status, headers, body) to see each response.
-- (Defining response() makes wrk parse every body; at these sizes that costs it little.)

local threads = {}

-- Each thread gets thread_id (1, 2, …) for names that must not collide across threads.
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if on_response then on_response(status, headers, body) end
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  local e = summary.errors
  -- wrk's latencies are in microseconds; the report uses milliseconds.
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"statuses":{%s},"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, summary.duration, table.concat(parts, ","), e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
