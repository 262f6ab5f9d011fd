-- Tests for conversation-update.lua and end-of-call-report.lua (both use lib/transcript.lua):
-- `hookline test examples/transcripts/scripts`.
local CALL = "CA7f3e9b21c04d4a6e8b5f1d2c3a4b5c6d"
local MD = "transcripts/" .. CALL .. ".md"
local JSONL = "analytics/messages.jsonl"

local function message_lines(text)
  local _, n = (text or ""):gsub("\n%*%*", "")
  return n
end

local function exported()
  local out = {}
  for line in (read_file(JSONL) or ""):gmatch("[^\n]+") do out[#out + 1] = json.decode(line) end
  return out
end

test("an update gives a Markdown transcript and one JSON line per message", function()
  run("conversation-update.lua", fixture("../events/conversation-update-short.json"))
  expect.file(MD, { contains = "# Call " .. CALL })
  expect.file(MD, { contains = "- Assistant: Nora - Lakeside Scheduling" })
  expect.file(MD, { contains = "**User** (15:02:20): Hi, yes. I'd like to make an appointment.\n" })
  expect.eq(message_lines(read_file(MD)), 3, "message lines")
  expect.file(JSONL, { lines = 3 })
  local rows = exported()
  expect.eq(rows[1].message_id, "welcome-1")
  expect.eq(rows[2].role, "user")
  expect.eq(rows[2].stt_confidence, 0.7856754)
  expect.eq(rows[3].call_id, CALL)
  expect.eq(rows[3].llm_response_latency_ms, 2229)
  expect.eq(rows[3].timestamp, 1778770942876)
  expect.eq(rows[3].time, "2026-05-14T15:02:22.876Z")
end)

test("each message is exported once, however many updates carry it", function()
  run("conversation-update.lua", fixture("../events/conversation-update-short.json"))
  run("conversation-update.lua", fixture("../events/conversation-update-short.json"))
  run("conversation-update.lua", fixture("../events/conversation-update-long.json"))
  run("conversation-update.lua", fixture("../events/conversation-update-long.json"))
  expect.file(JSONL, { lines = 80 })
  local ids = {}
  for _, row in ipairs(exported()) do
    expect.truthy(not ids[row.message_id], "unique " .. row.message_id)
    ids[row.message_id] = true
  end
  expect.eq(message_lines(read_file(MD)), 80, "message lines")
end)

test("a late shorter update changes nothing", function()
  run("conversation-update.lua", fixture("../events/conversation-update-long.json"))
  local md = read_file(MD)
  run("conversation-update.lua", fixture("../events/conversation-update-short.json"))
  expect.file(MD, { equals = md })
  expect.file(JSONL, { lines = 80 })
end)

test("a message dropped from the history (barge-in) does not hide later ones", function()
  local e = fixture("../events/conversation-update-short.json")
  run("conversation-update.lua", e)
  table.remove(e.messages, 3)
  table.insert(e.messages,
    { messageId = "user-2", role = "user", text = "A follow-up, please.", timestamp = 1778770950000 })
  table.insert(e.messages,
    { messageId = "user-2-abc-1", role = "assistant", text = "Sure.", timestamp = 1778770951000 })
  run("conversation-update.lua", e)
  expect.file(JSONL, { lines = 5 })
  expect.eq(exported()[5].message_id, "user-2-abc-1")
end)

test("the end-of-call report exports the last messages and adds the summary", function()
  run("conversation-update.lua", fixture("../events/conversation-update-long.json"))
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.file(JSONL, { lines = 81 })
  expect.eq(exported()[81].message_id, "user-41")
  expect.file(MD, { contains = "**User** (15:10:21): Bye.\n" })
  expect.file(MD, { contains = "## Summary\n\nMarcus Delgado called to book a follow-up" })
  expect.file(MD, { contains = "Outcome: Appointment booked" })
  expect.store("transcript:" .. CALL, { messages = 81, final = true })
end)

test("conversation updates arriving after the report leave the final transcript alone", function()
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  local md = read_file(MD)
  run("conversation-update.lua", fixture("../events/conversation-update-long.json"))
  expect.file(MD, { equals = md })
  expect.file(JSONL, { lines = 81 })
end)

test("a report without messages keeps the conversation and adds the summary", function()
  run("conversation-update.lua", fixture("../events/conversation-update-long.json"))
  local e = fixture("../events/end-of-call-report.json")
  e.messages = json.array({})
  run("end-of-call-report.lua", e)
  expect.eq(message_lines(read_file(MD)), 80, "message lines")
  expect.file(MD, { contains = "## Summary" })
  run("end-of-call-report.lua", e)  -- again: the summary is not added twice
  local _, summaries = read_file(MD):gsub("## Summary", "")
  expect.eq(summaries, 1, "summaries")
end)

test("odd messages: no id, no metrics, null fields", function()
  run("conversation-update.lua", { type = "conversation-update", call = { id = "CAodd" }, assistant = json.null,
    messages = {
      json.null,
      { role = "user", text = "no id", timestamp = 1778770931410 },
      { messageId = "m1", role = json.null, text = json.null, timestamp = "2026-05-14T15:02:05Z" },
      { messageId = "m2", role = "assistant", text = "hello",
        metrics = { llm = json.null, tts = { generationTimeMs = "fast" } } },
    } })
  expect.file(JSONL, { lines = 2 })
  local rows = exported()
  expect.eq(rows[1].role, "unknown")
  expect.eq(rows[1].text, "")
  expect.eq(rows[1].timestamp, "2026-05-14T15:02:05Z")
  expect.eq(rows[2].tts_generation_ms, nil)
  expect.eq(rows[2].timestamp, json.null)
  expect.file("transcripts/CAodd.md", { contains = "**User** (15:02:11): no id" })
  expect.file("transcripts/CAodd.md", { contains = "**Assistant** (--:--:--): hello" })
end)
