-- Tests for error.lua: `hookline test scripts`.

test("a retryable LLM error is a warning with provider, code and message", function()
  run("error.lua", fixture("events/error-llm.json"))
  expect.alerts(1)
  expect.alert{
    title = "LLM error on call CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07: rate_limit_exceeded (openai)",
    severity = "warning",
    key = "error:CA5d2c7e90a1f34b6d8e0b9c4a3f2e1d07:rate_limit_exceeded",
    text_contains = "tokens-per-minute limit",
    fields = { provider = "openai", code = "rate_limit_exceeded", type = "llm_error", retryable = "true" },
  }
end)

test("a retryable STT error is a warning", function()
  run("error.lua", fixture("events/error-stt.json"))
  expect.alert{
    severity = "warning",
    title_contains = "STT error",
    fields = { provider = "deepgram", code = "websocket_closed" },
  }
end)

test("an STT error that cannot be retried is critical", function()
  run("error.lua", fixture("events/error-stt-not-retryable.json"))
  expect.alert{
    severity = "critical",
    key = "error:WC-82015760-c3bd-427d-a23b-ba9b07e4ab85:audio_quality_insufficient",
    fields = { retryable = "false" },
  }
end)

test("the same error twice on a call alerts once; another code alerts again", function()
  local e = fixture("events/error-llm.json")
  run("error.lua", e)
  run("error.lua", e)
  expect.alerts(1)
  e.error.code = "service_unavailable"
  run("error.lua", e)
  expect.alerts(2)
end)

test("unknown error types are warnings even when not retryable", function()
  local e = fixture("events/error-stt-not-retryable.json")
  e.error.type = "tts_error"
  run("error.lua", e)
  expect.alert{ severity = "warning", title_contains = "tts_error on call" }
end)

test("a missing or null error object still alerts", function()
  run("error.lua", { type = "error", call = { id = "CAnoerr" } })
  run("error.lua", { type = "error", call = { id = "CAnull" }, error = json.null, assistant = json.null })
  run("error.lua", { type = "error", call = { id = "CAhalf" },
    error = { type = "llm_error", code = json.null, retryable = "yes" } })
  expect.alerts(3)
  expect.alert{ key = "error:CAnoerr:unknown", severity = "warning", fields = { retryable = "unknown" } }
  expect.alert{ key = "error:CAnull:unknown" }
  expect.alert{ key = "error:CAhalf:unknown", severity = "critical" }
end)
