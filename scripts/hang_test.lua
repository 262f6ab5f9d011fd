-- Tests for hang.lua: `hookline test scripts`.
local HANG_CALL = "CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07"

test("a hang raises one critical alert with the call, the assistant and the unanswered question", function()
  run("hang.lua", fixture("events/hang.json"))
  expect.alerts(1)
  expect.alert{
    title = "Assistant hang on call " .. HANG_CALL,
    severity = "critical",
    key = "hang:" .. HANG_CALL,
    text_contains = "Do I need to fast or anything for the X-ray?",
    fields = {
      call_id = HANG_CALL,
      assistant = "Nora - Lakeside Scheduling",
      assistant_id = "6652f1d9b3c4d5e6f7a80921",
      last_user_message = "Do I need to fast or anything for the X-ray?",
    },
  }
end)

test("a second hang on the same call folds into the first alert", function()
  local e = fixture("events/hang.json")
  run("hang.lua", e)
  e.timestamp = e.timestamp + 20000
  run("hang.lua", e)
  expect.alerts(1)
end)

test("hangs on different calls alert separately", function()
  run("hang.lua", fixture("events/hang.json"))
  run("hang.lua", fixture("events/hang-web.json"))
  expect.alerts(2)
  expect.alert{ key = "hang:WC-82015760-c3bd-427d-a23b-ba9b07e4ab85", fields = { assistant = "Mary Dental - main" } }
end)

test("a long user message is cut to 300 characters", function()
  local e = fixture("events/hang.json")
  e.messages[#e.messages].text = string.rep("é", 1000)
  run("hang.lua", e)
  local question = alerts()[1].fields.last_user_message
  expect.eq(utf8.len(question), 303, "characters (300 + '...')")
  expect.truthy(question:sub(-3) == "...", "ends with ...")
end)

test("the last user message is found even when the assistant spoke after it", function()
  local e = fixture("events/hang-web.json")
  table.insert(e.messages, { messageId = "x-1", role = "assistant", text = "One moment.", timestamp = e.timestamp })
  run("hang.lua", e)
  expect.alert{ text_contains = "complex orthopedic procedure" }
end)

test("an event without assistant or messages still alerts", function()
  run("hang.lua", { type = "hang", timestamp = 1778771286068, call = { id = "CAbare" } })
  run("hang.lua", { type = "hang", call = { id = "CAnulls", assistantId = "a1" },
    assistant = json.null, messages = json.null })
  run("hang.lua", { type = "hang", call = { id = "CAodd" }, assistant = {},
    messages = { json.null, { role = "user", text = 42 }, {} } })
  expect.alerts(3)
  expect.alert{ key = "hang:CAbare", text_contains = "(no user message yet)" }
  expect.alert{ key = "hang:CAnulls", fields = { assistant_id = "a1" } }
  expect.alert{ key = "hang:CAodd", text_contains = "unknown assistant" }
end)
