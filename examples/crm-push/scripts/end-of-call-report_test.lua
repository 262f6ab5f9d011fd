-- Tests for end-of-call-report.lua: `hookline test examples/crm-push/scripts`.
local CALL = "CA7f3e9b21c04d4a6e8b5f1d2c3a4b5c6d"
local URL = "https://crm.example.com/api/calls"

test("a finished call is posted with the bearer token", function()
  mock.env{ CRM_API_KEY = "k-123" }
  mock.http{ url = URL, method = "POST", status = 201, json = { id = "crm-1" } }
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.http_post{
    url = URL,
    json = {
      call_id = CALL,
      external_ref = "LFC-P-018842",
      outcome = "Appointment booked",
      success_evaluation = "Excellent",
      duration_seconds = 491.119,
      data = { confirmationNumber = "LFC77302", appointmentBooked = true },
    },
  }
  expect.http{ headers = { Authorization = "Bearer k-123", ["Idempotency-Key"] = CALL } }
  expect.log{ level = "info", message_contains = "call pushed" }
end)

test("CRM_URL overrides the endpoint", function()
  mock.env{ CRM_API_KEY = "k", CRM_URL = "https://crm.internal.test/v2/calls" }
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.http_post{ url = "https://crm.internal.test/v2/calls" }
end)

test("409 (already there) counts as success", function()
  mock.env{ CRM_API_KEY = "k" }
  mock.http{ url = URL, status = 409, json = { error = "duplicate" } }
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.log{ level = "info", message_contains = "already has this call" }
end)

test("422 is logged and not retried", function()
  mock.env{ CRM_API_KEY = "k" }
  mock.http{ url = URL, status = 422, json = { error = "customer_number is invalid" } }
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))  -- does not raise
  expect.log{ level = "error", message_contains = "refused the call with 422" }
end)

test("503 raises so that Hookline retries", function()
  mock.env{ CRM_API_KEY = "k" }
  mock.http{ url = URL, status = 503, body = "maintenance" }
  local ok, err = pcall(run, "end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.eq(ok, false)
  expect.truthy(tostring(err):find("answered 503", 1, true), "error names the status")
end)

test("429 raises so that Hookline retries", function()
  mock.env{ CRM_API_KEY = "k" }
  mock.http{ url = URL, status = 429 }
  local ok = pcall(run, "end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.eq(ok, false)
end)

test("a transport failure raises so that Hookline retries", function()
  mock.env{ CRM_API_KEY = "k" }
  mock.http{ url = URL, error = "connection refused" }
  local ok, err = pcall(run, "end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.eq(ok, false)
  expect.truthy(tostring(err):find("connection refused", 1, true), "error keeps the cause")
end)

test("without CRM_API_KEY nothing is sent", function()
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.no_http()
  expect.log{ level = "error", message_contains = "CRM_API_KEY is not set" }
end)

test("a bare report is still posted", function()
  mock.env{ CRM_API_KEY = "k" }
  mock.http{ url = URL, status = 200 }
  run("end-of-call-report.lua", { type = "end-of-call-report", analysis = json.null, customer = json.null,
    call = { id = "CAbare", cost = json.null, assistantCallDuration = 41683 } })
  expect.http_post{ url = URL, json = { call_id = "CAbare", duration_seconds = 41.683 } }
end)
