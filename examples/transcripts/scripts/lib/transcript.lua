-- Transcript export shared by conversation-update.lua and end-of-call-report.lua:
--   * transcripts/<call id>.md: the conversation as Markdown, rebuilt from the longest history seen;
--   * analytics/messages.jsonl: one JSON line per message, each message exported once per call.
-- Functions only (modules are read-only); all state lives in the store, per call, for a day.
local calls = require("calls")

local M = {}

local DAY = 24 * 3600

-- Per-message timings worth charting, flattened; absent ones stay nil (and are left out of the line).
local function latencies(m)
  local metrics = calls.table(m.metrics) or {}
  local function get(section, name)
    local s = calls.table(metrics[section])
    return s and calls.number(s[name]) or nil
  end
  return {
    llm_response_latency_ms = get("llm", "responseLatencyMs"),
    llm_queue_latency_ms = get("llm", "queueLatencyMs"),
    tts_generation_ms = get("tts", "generationTimeMs"),
    tts_audio_duration_ms = get("tts", "audioDurationMs"),
    player_wait_ms = get("interactlyPlayer", "waitTimeMs"),
    stt_duration_ms = get("stt", "durationMs"),
    stt_confidence = get("stt", "confidence"),
    eou_turn_detection_ms = get("interactlyEOU", "turnDetectionTimeMs"),
  }
end

--- Appends the messages not exported yet for this call to analytics/messages.jsonl; returns how many.
-- Dedup is by messageId: the ids already exported are kept in the store ("exported:<call id>"). A count
-- would not do: after a barge-in an assistant message can leave the history (it moves into
-- skippedAssistantMessages), which shifts every later position.
function M.export_messages(event, call_id)
  local key = "exported:" .. call_id
  local ids = calls.table(store.get(key)) or {}
  local done = {}
  for _, id in ipairs(ids) do done[id] = true end

  local lines = {}
  for _, m in ipairs(calls.messages(event)) do
    m = calls.table(m)
    local id = m and calls.text(m.messageId)
    if id and not done[id] then
      done[id] = true
      ids[#ids + 1] = id
      local ts = m.timestamp
      local record = latencies(m)
      record.call_id = call_id
      record.message_id = id
      record.role = calls.text(m.role) or "unknown"
      record.text = type(m.text) == "string" and m.text or ""
      record.timestamp = calls.number(ts) or (type(ts) == "string" and ts) or json.null
      record.time = math.type(ts) == "integer" and time.iso(ts) or nil
      lines[#lines + 1] = json.encode(record)
    end
  end
  if #lines > 0 then
    file.append("analytics/messages.jsonl", table.concat(lines, "\n") .. "\n")
    store.set(key, json.array(ids), { ttl = DAY })
  end
  return #lines
end

-- The conversation as Markdown: a title, a few facts, then one line per message (blank lines between,
-- so Markdown renders them as separate paragraphs).
local function conversation(event, call_id, messages)
  local lines = { "# Call " .. call_id, "" }
  local call = calls.call(event)
  local name = calls.assistant(event)
  if name then lines[#lines + 1] = "- Assistant: " .. calls.one_line(name) end
  if calls.text(call.startAt) then lines[#lines + 1] = "- Started: " .. calls.one_line(call.startAt) end
  if #lines > 2 then lines[#lines + 1] = "" end
  for _, line in ipairs(calls.transcript_lines(messages)) do lines[#lines + 1] = line end
  return table.concat(lines, "\n")
end

-- The closing section from the end-of-call report's analysis ("" when there is none).
local function summary(event)
  local analysis = calls.table(event.analysis) or {}
  local out = ""
  if calls.text(analysis.summary) then out = out .. "\n## Summary\n\n" .. calls.one_line(analysis.summary) .. "\n" end
  if calls.text(analysis.outcome) then out = out .. "\nOutcome: " .. calls.one_line(analysis.outcome) .. "\n" end
  return out
end

--- Rewrites transcripts/<call id>.md from this event unless a longer history was already written.
-- The end-of-call report is final: it adds the summary, and later conversation updates leave the file
-- alone. The store keeps { messages = count, final = bool } per call ("transcript:<call id>").
function M.write_markdown(event, call_id)
  local path = "transcripts/" .. call_id .. ".md"
  local messages = calls.messages(event)
  local final = event.type == "end-of-call-report"
  local key = "transcript:" .. call_id
  local seen = calls.table(store.get(key)) or {}
  if seen.final and not final then return false end

  local count, body = #messages, nil
  if calls.number(seen.messages) and count < seen.messages then
    if not final or seen.final then return false end  -- late or repeated: the file already has more
    -- A report with fewer messages (some carry none): keep the conversation written so far.
    count, body = seen.messages, file.read(path)
  end
  body = body or conversation(event, call_id, messages)
  if final then body = body .. summary(event) end

  file.write(path, body)
  store.set(key, { messages = count, final = final }, { ttl = DAY })
  return true
end

--- Both exports for one event.
function M.update(event, call_id)
  M.write_markdown(event, call_id)
  return M.export_messages(event, call_id)
end

return M
