-- Tests for hang.lua: `hookline test examples/slack-hang-alerts/scripts`.
local ASSISTANT = "6652f1d9b3c4d5e6f7a80921"

-- The hang fixture on another call, a few seconds later.
local function hang_on(call_id, offset)
  local e = fixture("../events/hang.json")
  e.call.id = call_id
  e.timestamp = e.timestamp + (offset or 0)
  return e
end

test("a first hang is a warning for that call", function()
  run("hang.lua", fixture("../events/hang.json"))
  expect.alerts(1)
  expect.alert{
    severity = "warning",
    key = "hang:CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07",
    text_contains = "Do I need to fast or anything for the X-ray?",
    fields = { assistant = "Nora - Lakeside Scheduling", hangs = "1" },
  }
  expect.store("hangs:" .. ASSISTANT, 1)
end)

test("the third hang of an assistant escalates to critical", function()
  run("hang.lua", hang_on("CA1", 0))
  run("hang.lua", hang_on("CA2", 1000))
  run("hang.lua", hang_on("CA3", 2000))
  expect.alerts(3)
  expect.alert{ severity = "warning", key = "hang:CA1" }
  expect.alert{ severity = "warning", key = "hang:CA2" }
  expect.alert{ severity = "critical", key = "escalate:" .. ASSISTANT, fields = { hangs = "3", call_id = "CA3" } }
  -- A fourth hang folds into the escalation instead of paging again.
  run("hang.lua", hang_on("CA4", 3000))
  expect.alerts(3)
end)

test("a count already in the store escalates on the next hang", function()
  mock.store{ ["hangs:" .. ASSISTANT] = 2 }
  run("hang.lua", fixture("../events/hang.json"))
  expect.alert{ severity = "critical", key = "escalate:" .. ASSISTANT, title_contains = "hung 3 times in 10 minutes" }
end)

test("the same hang delivered twice is counted once", function()
  local e = fixture("../events/hang.json")
  run("hang.lua", e)
  run("hang.lua", e)
  expect.store("hangs:" .. ASSISTANT, 1)
  expect.alerts(1)
end)

test("hangs of different assistants are counted apart", function()
  run("hang.lua", hang_on("CA1", 0))
  run("hang.lua", hang_on("CA2", 1000))
  run("hang.lua", fixture("../events/hang-web.json"))
  expect.store("hangs:697769ef5e6d94d5ad83e01e", 1)
  expect.alerts(3)
  for _, a in ipairs(alerts()) do expect.eq(a.severity, "warning", "severity of " .. a.key) end
end)

test("HANG_ESCALATE_COUNT and HANG_ESCALATE_MINUTES override the defaults", function()
  mock.env{ HANG_ESCALATE_COUNT = "2", HANG_ESCALATE_MINUTES = "30" }
  run("hang.lua", hang_on("CA1", 0))
  expect.alert{ severity = "warning", fields = { window_minutes = "30" } }
  run("hang.lua", hang_on("CA2", 1000))
  expect.alert{ severity = "critical", title_contains = "hung 2 times in 30 minutes" }
end)

test("unusable settings fall back to the defaults", function()
  mock.env{ HANG_ESCALATE_COUNT = "lots", HANG_ESCALATE_MINUTES = "-5" }
  mock.store{ ["hangs:" .. ASSISTANT] = 1 }
  run("hang.lua", fixture("../events/hang.json"))
  expect.alert{ severity = "warning", fields = { hangs = "2", window_minutes = "10" } }
end)

test("a hang without assistant or messages is counted under 'unknown'", function()
  run("hang.lua", { type = "hang", call = { id = "CAbare" }, assistant = json.null })
  expect.alert{ severity = "warning", key = "hang:CAbare", text_contains = "(no user message yet)" }
  expect.store("hangs:unknown", 1)
end)
