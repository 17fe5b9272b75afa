-- Mixed authenticated reads and writes of one user, for bench/soak.ts and bench/pg-restart.ts.
-- The API key comes in wrk.headers (-H Authorization); every key permission is granted.
-- Writes: command snippets are created with unique names and each is deleted by the next request
-- of the same thread that finds it queued (so the table stays small and creates ≈ deletes), and
-- PATCH /api/client/account changes the one user's first name: concurrent writes to one row.

local reads = {
  { weight = 30, path = "/api/client/account" },
  { weight = 15, path = "/api/client/account/activity" },
  { weight = 15, path = "/api/client/account/command-snippets" },
  { weight = 10, path = "/api/admin/users" },
}
local create_weight, patch_weight = 15, 10

local total = create_weight + patch_weight
for _, r in ipairs(reads) do total = total + r.weight end

local counter = 0
local to_delete = {}

local function headers(json)
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  if json then h["Content-Type"] = "application/json" end
  return h
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function request()
  local pending = table.remove(to_delete)
  if pending then
    return wrk.format("DELETE", "/api/client/account/command-snippets/" .. pending, headers(false))
  end
  local pick = math.random(total)
  for _, r in ipairs(reads) do
    if pick <= r.weight then return wrk.format("GET", r.path, headers(false)) end
    pick = pick - r.weight
  end
  counter = counter + 1
  if pick <= create_weight then
    local body = string.format('{"name":"mix-%d-%d","eggs":[],"command":"say %d"}', thread_id or 0, counter, counter)
    return wrk.format("POST", "/api/client/account/command-snippets", headers(true), body)
  end
  local body = string.format('{"name_first":"Bench %d"}', math.random(1000))
  return wrk.format("PATCH", "/api/client/account", headers(true), body)
end

function on_response(status, _, body)
  if status == 200 and body and body:sub(1, 20) == '{"command_snippet":{' then
    local uuid = body:match('"uuid":"([0-9a-f%-]+)"')
    if uuid then table.insert(to_delete, uuid) end
  end
end
