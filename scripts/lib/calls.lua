-- Helpers for reading Interactly events safely: `local calls = require("calls")`.
-- Events follow a loose contract (events.md): assistant fields may be missing, `messages` may be empty
-- or absent, any optional field may be JSON null. Every helper here tolerates all of that.
-- Modules are read-only once loaded, so this file keeps no state: only functions.

local M = {}

--- `v` when it is a table (not json.null, which arrives instead of a missing value), else nil.
function M.table(v)
  if type(v) == "table" and v ~= json.null then return v end
  return nil
end

--- `v` when it is a non-empty string, else nil.
function M.text(v)
  if type(v) == "string" and v ~= "" then return v end
  return nil
end

--- `v` when it is a number, else nil.
function M.number(v)
  if math.type(v) then return v end
  return nil
end

--- The call id. Hookline guarantees it is a safe identifier, so it may go into file names and keys.
function M.call_id(event, ctx)
  local call = M.table(event.call)
  return (call and M.text(call.id)) or (ctx and M.text(ctx.call_id)) or "unknown"
end

--- The call object, or an empty table.
function M.call(event)
  return M.table(event.call) or {}
end

--- Assistant name and id, each nil when absent (the assistant object may be `{}`).
function M.assistant(event)
  local a = M.table(event.assistant) or {}
  local call = M.call(event)
  return M.text(a.name), M.text(a._id) or M.text(call.assistantId)
end

--- "Name (id)", "Name", "id" or "unknown assistant".
function M.assistant_label(event)
  local name, id = M.assistant(event)
  if name and id then return name .. " (" .. id .. ")" end
  return name or id or "unknown assistant"
end

--- The messages as a sequence (never nil). Legacy events carried them inside the call object.
function M.messages(event)
  return M.table(event.messages) or M.table(M.call(event).messages) or {}
end

--- The last message with role "user" and a non-empty text, or nil.
function M.last_user_message(event)
  local messages = M.messages(event)
  for i = #messages, 1, -1 do
    local m = M.table(messages[i])
    if m and m.role == "user" and M.text(m.text) then return m end
  end
  return nil
end

--- `s` cut to at most `n` characters (UTF-8 aware), with "..." when cut.
function M.truncate(s, n)
  if s == nil or s == json.null then return "" end
  s = tostring(s)
  if #s <= n then return s end
  local len = utf8.len(s)
  if len == nil then return s:sub(1, n) .. "..." end  -- not valid UTF-8: cut bytes
  if len <= n then return s end
  return s:sub(1, utf8.offset(s, n + 1) - 1) .. "..."
end

--- `s` on one line: line breaks and tabs become spaces (keeps one-line-per-record formats intact).
function M.one_line(s)
  return (tostring(s):gsub("[\r\n\t]+", " "))
end

--- "15:02:05" (UTC) for a message timestamp: epoch ms, or an ISO-8601 string (legacy events).
function M.clock(ts)
  if M.number(ts) then
    -- pcall: a wild number (NaN, 1e300) must not fail the run over a cosmetic time.
    local ok, hms = pcall(os.date, "!%H:%M:%S", math.floor(ts / 1000))
    if ok then return hms end
  end
  if type(ts) == "string" then
    local hms = ts:match("T(%d%d:%d%d:%d%d)")
    if hms then return hms end
  end
  return "--:--:--"
end

local ROLES = { user = "User", assistant = "Assistant" }

--- Transcript lines in Markdown, one paragraph per message that has text: "**User** (15:02:05): text".
function M.transcript_lines(messages)
  local lines = {}
  for _, m in ipairs(messages) do
    m = M.table(m)
    local text = m and M.text(m.text)
    if text and text:find("%S") then
      local role = ROLES[m.role] or (M.text(m.role) and M.one_line(m.role)) or "Unknown"
      -- a line ending in "\n", joined with "\n": a blank line between messages, so they render as paragraphs
      lines[#lines + 1] = string.format("**%s** (%s): %s\n", role, M.clock(m.timestamp), M.one_line(text))
    end
  end
  return lines
end

return M
