-- Tests for status-update.lua: `hookline test scripts`.

test("a status change is logged, without an alert", function()
  run("status-update.lua", fixture("events/status-update-ongoing.json"))
  expect.log{ level = "info", message_contains = "CA7f3e9b21c04d4a6e8b5f1d2c3a4b5c6d status ongoing" }
  expect.no_alert()
end)

test("a forwarded call raises an info alert", function()
  run("status-update.lua", fixture("events/status-update-forwarded.json"))
  expect.log{ level = "info", message_contains = "status forwarded" }
  expect.alert{
    severity = "info",
    key = "forwarded:CA19d04c6e2b7a4f0391c8e5a7d6b2f4e1a0",
    text_contains = "Call is forwarded to",
    fields = { status = "forwarded", call_id = "CA19d04c6e2b7a4f0391c8e5a7d6b2f4e1a0" },
  }
end)

test("the same forward twice alerts once", function()
  run("status-update.lua", fixture("events/status-update-forwarded.json"))
  run("status-update.lua", fixture("events/status-update-forwarded.json"))
  expect.alerts(1)
end)

test("an unknown or missing status is a warning in the log", function()
  local e = fixture("events/status-update-ongoing.json")
  e.call.status = "on-hold"
  run("status-update.lua", e)
  expect.log{ level = "warn", message_contains = "unknown status: on-hold" }
  run("status-update.lua", { type = "status-update", call = { id = "CAbare", status = json.null } })
  expect.log{ level = "warn", message_contains = "CAbare has an unknown status" }
  expect.no_alert()
end)

test("failed is a known status", function()
  run("status-update.lua", { type = "status-update", call = { id = "CAfail", status = "failed" } })
  expect.log{ level = "info", message_contains = "CAfail status failed" }
end)
