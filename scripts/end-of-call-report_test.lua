-- Tests for end-of-call-report.lua: `hookline test scripts`.
local CALL = "CA7f3e9b21c04d4a6e8b5f1d2c3a4b5c6d"

-- The JSON lines of calls.jsonl, decoded.
local function records()
  local out = {}
  for line in (read_file("calls.jsonl") or ""):gmatch("[^\n]+") do out[#out + 1] = json.decode(line) end
  return out
end

test("appends one JSON line with duration, cost and analysis", function()
  run("end-of-call-report.lua", fixture("events/end-of-call-report.json"))
  expect.file("calls.jsonl", { lines = 1 })
  local r = records()[1]
  expect.eq(r.call_id, CALL)
  expect.eq(r.duration_ms, 491119)
  expect.eq(r.duration_s, 491.119)
  expect.eq(r.cost, 0.572604238)
  expect.eq(r.success_evaluation, "Excellent")
  expect.eq(r.outcome, "Appointment booked")
  expect.eq(r.ended_at, "2026-05-14T15:10:22.527Z")
  expect.eq(r.ended_by, "user")
  expect.eq(r.message_count, 81)
  expect.eq(r.assistant, "Nora - Lakeside Scheduling")
  expect.eq(r.structured_data.confirmationNumber, "LFC77302")
  expect.eq(r.structured_data.appointmentBooked, true)
  expect.truthy(r.summary:find("Marcus Delgado", 1, true), "summary")
end)

test("a repeated report for the same call is written once", function()
  run("end-of-call-report.lua", fixture("events/end-of-call-report.json"))
  run("end-of-call-report.lua", fixture("events/end-of-call-report.json"))
  expect.file("calls.jsonl", { lines = 1 })
  expect.store("call-logged:" .. CALL, true)
end)

test("two calls give two lines", function()
  run("end-of-call-report.lua", fixture("events/end-of-call-report.json"))
  run("end-of-call-report.lua", fixture("events/end-of-call-report-web.json"))
  expect.file("calls.jsonl", { lines = 2 })
  expect.eq(records()[2].structured_data["serial_number"], 0)
end)

test("a bare report still gives a line, with nulls for what is unknown", function()
  run("end-of-call-report.lua", { type = "end-of-call-report", timestamp = 1778771432400,
    call = { id = "CAbare", cost = json.null }, messages = {}, analysis = {} })
  local r = records()[1]
  expect.eq(r.call_id, "CAbare")
  expect.eq(r.message_count, 0)
  expect.eq(r.ended_at, "2026-05-14T15:10:32.400Z")
  expect.eq(r.cost, json.null)
  expect.eq(r.summary, json.null)
  expect.eq(r.structured_data, json.null)
end)
