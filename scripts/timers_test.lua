-- Tests of the rules about what does not arrive: hang.lua, status-update.lua and end-of-call-report.lua set
-- and cancel timers; the handlers in timers/ alert when one comes due. `hookline test scripts`.
local HANG_CALL = "CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07"

local function assistant_reply(call_id)
  return { type = "conversation-update", call = { id = call_id },
    messages = { { role = "user", text = "Hello?" }, { role = "assistant", text = "Sorry, I am here." } } }
end

test("a hang nobody recovers raises a critical alert 30 s later, once", function()
  mock.time(1778771286068)
  run("hang.lua", fixture("events/hang.json"))
  expect.timer{ name = "hang-unresolved", due_in = 30, call_id = HANG_CALL }
  advance(29)
  expect.alerts(1)  -- the hang alert only
  advance(2)
  expect.alerts(2)
  expect.alert{ title = "Assistant still silent on call " .. HANG_CALL, severity = "critical",
    text_contains = "Do I need to fast or anything for the X-ray?" }
  expect.no_timer("hang-unresolved")
  advance(58)
  expect.alerts(2)
  advance(2)  -- a minute after the second alert, the last reminder
  expect.alert{ title = "Assistant still silent on call " .. HANG_CALL, text_contains = "90 s after a hang" }
  advance(3600)
  expect.alerts(3)
end)

test("an assistant message after the hang cancels the second alert", function()
  mock.time(1778771286068)
  run("hang.lua", fixture("events/hang.json"))
  advance(10)
  run("conversation-update.lua", assistant_reply(HANG_CALL))
  expect.no_timer("hang-unresolved")
  advance(600)
  expect.alerts(1)
end)

test("a user message alone does not cancel it", function()
  mock.time(1778771286068)
  run("hang.lua", fixture("events/hang.json"))
  local update = assistant_reply(HANG_CALL)
  table.remove(update.messages)
  run("conversation-update.lua", update)
  expect.timer{ name = "hang-unresolved" }
end)

test("a second hang moves the timer to 30 s after it", function()
  mock.time(1778771286068)
  run("hang.lua", fixture("events/hang.json"))
  advance(20)
  run("hang.lua", fixture("events/hang.json"))
  expect.timer{ name = "hang-unresolved", due_in = 30 }
  advance(15)
  expect.alerts(1)
  advance(16)
  expect.alert{ severity = "critical", title_contains = "still silent" }
end)

test("an ended call whose report never comes raises a warning after 10 minutes", function()
  mock.time(1778771286068)
  local ended = fixture("events/status-update-ongoing.json")
  ended.call.status = "finished"
  run("status-update.lua", ended)
  expect.timer{ name = "report-missing", due_in = 600 }
  advance(599)
  expect.no_alert()
  advance(2)
  expect.alert{ severity = "warning", key = "report-missing:" .. ended.call.id, text_contains = "never arrived" }
end)

test("the report arriving cancels the warning", function()
  mock.time(1778771286068)
  local ended = fixture("events/status-update-ongoing.json")
  ended.call.status = "finished"
  run("status-update.lua", ended)
  local report = fixture("events/end-of-call-report.json")
  report.call.id = ended.call.id
  run("end-of-call-report.lua", report)
  expect.no_timer("report-missing")
  advance(3600)
  expect.no_alert()
end)

test("a report that arrives before the finished status leaves nothing to wait for", function()
  mock.time(1778771286068)
  local report = fixture("events/end-of-call-report.json")
  run("end-of-call-report.lua", report)
  local ended = fixture("events/status-update-ongoing.json")
  ended.call.id = report.call.id
  ended.call.status = "finished"
  run("status-update.lua", ended)
  expect.no_timer("report-missing")
end)

test("a call ongoing for an hour raises an info alert; one that finishes does not", function()
  mock.time(1778771286068)
  local ongoing = fixture("events/status-update-ongoing.json")
  run("status-update.lua", ongoing)
  expect.timer{ name = "long-call", due_in = 3600 }
  advance(3601)
  expect.alert{ severity = "info", key = "long-call:" .. ongoing.call.id, title_contains = "ongoing for 60 minutes" }

  local other = fixture("events/status-update-ongoing.json")
  other.call.id = "CAshort"
  run("status-update.lua", other)
  other.call.status = "finished"
  run("status-update.lua", other)
  expect.no_timer("long-call")
end)

test("the handler sets the last reminder itself, which an assistant message cancels too", function()
  mock.time(1778771286068)
  run("hang.lua", fixture("events/hang.json"))
  advance(31)
  expect.alerts(2)
  expect.timer{ name = "hang-still-silent", due_in = 59 }  -- set at its due time, 30 s after the hang
  run("conversation-update.lua", assistant_reply(HANG_CALL))
  expect.no_timer("hang-still-silent")
  advance(600)
  expect.alerts(2)
end)
