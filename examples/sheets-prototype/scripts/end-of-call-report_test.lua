-- Tests for end-of-call-report.lua: `hookline test examples/sheets-prototype/scripts`.
local URL = "https://script.google.com/macros/s/TEST/exec"

test("posts one flat row with the structured data", function()
  mock.env{ SHEETS_WEBHOOK_URL = URL }
  mock.http{ url = URL, method = "POST", status = 200, json = { ok = true } }
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.http_post{
    url = URL,
    json = {
      call_id = "CA7f3e9b21c04d4a6e8b5f1d2c3a4b5c6d",
      ended_at = "2026-05-14T15:10:22.527Z",
      success_evaluation = "Excellent",
      outcome = "Appointment booked",
      patientName = "Marcus Delgado",
      confirmationNumber = "LFC77302",
      appointmentBooked = "true",
      nurseCallbackRequested = "true",
    },
  }
  expect.log{ level = "info", message_contains = "row added" }
end)

test("numbers stay numbers, empty strings stay empty", function()
  mock.env{ SHEETS_WEBHOOK_URL = URL }
  run("end-of-call-report.lua", fixture("../events/end-of-call-report-web.json"))
  expect.http_post{
    url = URL,
    json = { serial_number = 0, Name = "", ["phone number"] = "", outcome = "No appointment booked" },
  }
end)

test("every value is flat: nested tables become JSON text, null becomes empty", function()
  mock.env{ SHEETS_WEBHOOK_URL = URL }
  local e = fixture("../events/end-of-call-report.json")
  e.analysis.structuredData.medications = { "ibuprofen", "lisinopril" }
  e.analysis.structuredData.address = { city = "Portland", zip = "97205" }
  e.analysis.structuredData.notes = json.null
  e.analysis.structuredData.summary = "from the schema"
  run("end-of-call-report.lua", e)
  local row = http_calls()[1].json
  expect.eq(json.decode(row.medications), { "ibuprofen", "lisinopril" }, "medications")
  expect.eq(json.decode(row.address), { city = "Portland", zip = "97205" }, "address")
  expect.eq(row.notes, "", "notes")
  expect.eq(row["data.summary"], "from the schema", "structured summary")
  expect.truthy(row.summary:find("Marcus Delgado", 1, true), "the call's summary keeps its column")
  for name, value in pairs(row) do
    expect.truthy(type(value) == "string" or type(value) == "number", name .. " is flat")
  end
end)

test("without SHEETS_WEBHOOK_URL nothing is sent", function()
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.no_http()
  expect.log{ level = "warn", message_contains = "SHEETS_WEBHOOK_URL is not set" }
end)

test("a 5xx raises so that Hookline retries", function()
  mock.env{ SHEETS_WEBHOOK_URL = URL }
  mock.http{ url = URL, status = 502 }
  local ok = pcall(run, "end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.eq(ok, false)
end)

test("a transport failure raises so that Hookline retries", function()
  mock.env{ SHEETS_WEBHOOK_URL = URL }
  mock.http{ url = URL, error = "timed out" }
  local ok = pcall(run, "end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.eq(ok, false)
end)

test("a 4xx is logged, not retried", function()
  mock.env{ SHEETS_WEBHOOK_URL = URL }
  mock.http{ url = URL, status = 403, body = "Forbidden" }
  run("end-of-call-report.lua", fixture("../events/end-of-call-report.json"))
  expect.log{ level = "error", message_contains = "refused the row with 403" }
end)

test("a report without analysis still gives a row with the call id", function()
  mock.env{ SHEETS_WEBHOOK_URL = URL }
  run("end-of-call-report.lua", { type = "end-of-call-report", call = { id = "CAbare" }, analysis = json.null })
  expect.http_post{ url = URL, json = { call_id = "CAbare", summary = "", outcome = "" } }
end)
