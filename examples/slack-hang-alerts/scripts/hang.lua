-- Hang alerts for Slack, escalating to a critical (paging) alert when one assistant keeps hanging.
--   * every hang: a "warning" alert, one per call (key "hang:<call id>"); Slack gets it with --alert-slack;
--   * the Nth hang of the same assistant within M minutes: a "critical" alert keyed per assistant
--     ("escalate:<assistant id>"), meant for PagerDuty (--alert-pagerduty ROUTING_KEY).
-- N = 3 and M = 10 by default; override with the environment variables HANG_ESCALATE_COUNT and
-- HANG_ESCALATE_MINUTES (allow them with --allow-env HANG_ESCALATE_COUNT,HANG_ESCALATE_MINUTES).
local calls = require("calls")

-- A positive whole number from the environment, or the default when unset or not a number.
local function setting(name, default)
  local n = tonumber(env(name) or "")
  if n and n >= 1 and n < 1e6 then return math.floor(n) end
  return default
end

local limit = setting("HANG_ESCALATE_COUNT", 3)
local minutes = setting("HANG_ESCALATE_MINUTES", 10)

local call_id = calls.call_id(event, ctx)
local name, assistant_id = calls.assistant(event)
assistant_id = assistant_id or "unknown"
local label = calls.assistant_label(event)
local last = calls.last_user_message(event)
local question = last and calls.truncate(calls.one_line(last.text), 300) or "(no user message yet)"

-- Count each hang once, even if the same event is delivered or run twice (events.md: a hang is
-- identified by call id + timestamp). The counter's window starts at the first hang (store.incr's ttl
-- applies when the key is new), so it is a fixed window of M minutes, not a sliding one.
local seen_key = "hang-seen:" .. call_id .. ":" .. tostring(calls.number(event.timestamp) or ctx.event_id)
local count
if store.get(seen_key) then
  count = calls.number(store.get("hangs:" .. assistant_id)) or 1
else
  store.set(seen_key, true, { ttl = minutes * 60 })
  count = store.incr("hangs:" .. assistant_id, 1, { ttl = minutes * 60 })
end

if count >= limit then
  -- Later hangs in the window fold into this alert (Hookline reports how many were folded).
  alert{
    title = string.format("%s hung %d times in %d minutes", label, count, minutes),
    text = "Latest: call " .. call_id .. ": " .. question,
    severity = "critical",
    key = "escalate:" .. assistant_id,
    fields = { assistant = name, assistant_id = assistant_id, call_id = call_id,
               hangs = tostring(count), window_minutes = tostring(minutes) },
  }
else
  alert{
    title = "Assistant hang on call " .. call_id,
    text = label .. " did not answer: " .. question,
    severity = "warning",
    key = "hang:" .. call_id,
    fields = { assistant = name, assistant_id = assistant_id, call_id = call_id,
               hangs = tostring(count), window_minutes = tostring(minutes), last_user_message = question },
  }
end
