-- A wrk script: the harness's three payloads as the traffic of many calls at once, every event unique (so a
-- journal that deduplicates stores each one). Request i belongs to call slot i % CALLS; each slot's call lives for
-- ten events in the harness's cycle (C H C C H C E C H C: one end-of-call report per call), then the slot takes a
-- new call id. The call id, a hang's timestamp and a conversation update's last message id are rewritten in
-- place, keeping each body's length.
--
--   PAYLOAD_DIR=$BENCH/payloads CALLS=1000 wrk -t1 -c32 -d15s --latency -s Benchmarks/unique-calls.lua URL
--
-- RESULT_FILE: if set, done() writes a one-line JSON result there (requests, rps, percentiles, non-2xx).
local dir = os.getenv("PAYLOAD_DIR") or "payloads"
local calls = tonumber(os.getenv("CALLS") or "1000")
local secret = os.getenv("SECRET") or "s3cret"
local harness_call = "c7f3a9e2-5b1d-4e8a-9c2f-1a6b3d8e4f70"
local cycle = { "conversation-update", "hang", "conversation-update", "conversation-update", "hang",
                "conversation-update", "end-of-call-report", "conversation-update", "hang", "conversation-update" }

local function slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open payload " .. path)
  local s = f:read("*a"); f:close(); return s
end

-- a payload cut around the strings each request rewrites: pieces, and after each piece but the last the kind
-- of value that goes there ("call", or "unique")
local function template(body, unique)
  local pieces, kinds = {}, {}
  local marks = {}
  local from = 1
  while true do
    local s, e = body:find(harness_call, from, true)
    if not s then break end
    marks[#marks + 1] = { s, e, "call" }
    from = e + 1
  end
  if unique then
    local s, e = body:find(unique, 1, true)
    assert(s, "the payload lacks " .. unique)
    marks[#marks + 1] = { s, e, "unique" }
  end
  table.sort(marks, function(a, b) return a[1] < b[1] end)
  local at = 1
  for _, mark in ipairs(marks) do
    pieces[#pieces + 1] = body:sub(at, mark[1] - 1)
    kinds[#kinds + 1] = { kind = mark[3], width = mark[2] - mark[1] + 1, text = body:sub(mark[1], mark[2]) }
    at = mark[2] + 1
  end
  pieces[#pieces + 1] = body:sub(at)
  return { pieces = pieces, kinds = kinds }
end

local templates = {}
local headers = { ["Content-Type"] = "application/json", ["x-interactly-secret"] = secret }
local path = "/"
local i = 0
math.randomseed(os.time())
local prefix = string.format("%08x", math.random(0, 0x7fffffff))  -- runs against one journal never collide

function init(args)
  path = wrk.path
  templates["hang"] = template(slurp(dir .. "/hang.json"), "1764390061234")
  templates["conversation-update"] = template(slurp(dir .. "/conversation-update.json"), "msg_0039_c56d3fcf")
  templates["end-of-call-report"] = template(slurp(dir .. "/end-of-call-report.json"), nil)
end

function request()
  local slot = i % calls
  local round = math.floor(i / calls)
  local call = string.format("%s-0000-4000-8000-%012x", prefix, math.floor(round / #cycle) * calls + slot)
  local t = templates[cycle[round % #cycle + 1]]
  local parts = {}
  for n, piece in ipairs(t.pieces) do
    parts[#parts + 1] = piece
    local mark = t.kinds[n]
    if mark then
      if mark.kind == "call" then
        parts[#parts + 1] = call
      elseif mark.width == 13 then  -- a hang's timestamp: a later millisecond for each request
        parts[#parts + 1] = string.format("%013d", 1764390061234 + i)
      else                          -- the last message id: same length, the request's number
        parts[#parts + 1] = mark.text:sub(1, mark.width - 8) .. string.format("%08x", i % 0x100000000)
      end
    end
  end
  i = i + 1
  return wrk.format("POST", path, headers, table.concat(parts))
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local line = string.format(
    '{"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,' ..
    '"errors":%d}',
    summary.requests, secs, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout)
  io.write(line .. "\n")
  local out = os.getenv("RESULT_FILE")
  if out then
    local f = io.open(out, "w"); f:write(line .. "\n"); f:close()
  end
end
