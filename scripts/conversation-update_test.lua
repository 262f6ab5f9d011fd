-- Tests for conversation-update.lua: `hookline test scripts`.
local CALL = "CA7f3e9b21c04d4a6e8b5f1d2c3a4b5c6d"
local PATH = "transcripts/" .. CALL .. ".md"

-- Number of message lines in a transcript.
local function message_lines(text)
  local _, n = text:gsub("\n%*%*", "")
  return n
end

test("writes a Markdown transcript with a title and one line per message", function()
  run("conversation-update.lua", fixture("events/conversation-update-short.json"))
  expect.file(PATH, { contains = "# Call " .. CALL })
  expect.file(PATH, { contains = "**Assistant** (15:02:11): Thanks for calling Lakeside Family Clinic, this is Nora." })
  expect.file(PATH, { contains = "**User** (15:02:20): Hi, yes. I'd like to make an appointment.\n" })
  expect.eq(message_lines(read_file(PATH)), 3, "message lines")
  expect.store("transcript:" .. CALL, 3)
end)

test("a longer update replaces the transcript", function()
  run("conversation-update.lua", fixture("events/conversation-update-short.json"))
  run("conversation-update.lua", fixture("events/conversation-update-long.json"))
  expect.eq(message_lines(read_file(PATH)), 80, "message lines")
  expect.store("transcript:" .. CALL, 80)
end)

test("a shorter update arriving late does not shrink the transcript", function()
  run("conversation-update.lua", fixture("events/conversation-update-long.json"))
  local long = read_file(PATH)
  run("conversation-update.lua", fixture("events/conversation-update-short.json"))
  expect.file(PATH, { equals = long })
  expect.store("transcript:" .. CALL, 80)
end)

test("the same update twice gives the same file", function()
  run("conversation-update.lua", fixture("events/conversation-update-long.json"))
  local first = read_file(PATH)
  run("conversation-update.lua", fixture("events/conversation-update-long.json"))
  expect.file(PATH, { equals = first })
end)

test("a count kept from earlier (store) is respected", function()
  mock.store{ ["transcript:" .. CALL] = 10 }
  run("conversation-update.lua", fixture("events/conversation-update-short.json"))
  expect.no_file(PATH)
end)

test("odd messages are skipped or shown safely, never crash", function()
  run("conversation-update.lua", { type = "conversation-update", call = { id = "CAodd" }, assistant = json.null,
    messages = {
      json.null,
      { role = "user", text = "" },
      { role = "user", text = "   " },
      { role = "assistant", text = json.null },
      { role = "user", text = "two\nlines", timestamp = "2026-05-14T15:02:05.000Z" },
      { role = "system", text = "no timestamp" },
      { text = "no role", timestamp = 1778770931410 },
    } })
  local text = read_file("transcripts/CAodd.md")
  expect.eq(message_lines(text), 3, "message lines")
  expect.file("transcripts/CAodd.md", { contains = "**User** (15:02:05): two lines\n" })
  expect.file("transcripts/CAodd.md", { contains = "**system** (--:--:--): no timestamp" })
  expect.file("transcripts/CAodd.md", { contains = "**Unknown** (15:02:11): no role" })
end)

test("an update without messages writes just the title", function()
  run("conversation-update.lua", { type = "conversation-update", call = { id = "CAempty" } })
  expect.file("transcripts/CAempty.md", { equals = "# Call CAempty\n" })
end)
