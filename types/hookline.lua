---@meta hookline

-- Type definitions of the Hookline scripting API, for lua-language-server (autocomplete, hover, checks).
-- This file is never run: it only describes what Hookline provides. See types/README.md.
--
-- Scripts: scripts/<type>.lua, scripts/<type>/*.lua, scripts/any.lua; modules in scripts/lib/.
-- Each run sees `event` and `ctx`, the host functions below, and Lua's base, string, table, math, utf8,
-- coroutine libraries and os.time/os.clock/os.date/os.difftime (no io, debug, package).
-- Tests (*_test.lua) additionally see the test API at the end of this file.

-------------------------------------------------------------------------------------------------------
-- JSON values
-------------------------------------------------------------------------------------------------------

---The JSON `null` sentinel (`json.null`). Any optional event field may hold it instead of being absent:
---test `v == nil or v == json.null`.
---@class JsonNull

---@alias JsonValue string|number|integer|boolean|JsonNull|table

-------------------------------------------------------------------------------------------------------
-- The event (the webhook's `message` object)
-------------------------------------------------------------------------------------------------------

---@alias InteractlyEventType
---| "status-update"       # once per change of call.status
---| "conversation-update" # once per message; carries the whole history so far
---| "end-of-call-report"  # once per call, after post-call analysis
---| "hang"                # the assistant has not answered for 5 s or more
---| "error"               # an LLM or STT provider call failed
---| string

---@alias InteractlyCallStatus
---| "initiated"
---| "queued"
---| "ongoing"
---| "finished"
---| "forwarded"
---| "failed"  # not documented as a value, but reported for calls rejected by concurrency limits
---| string

---An Interactly webhook event: the `message` object of `{"message": {...}}`.
---Only `type`, `timestamp` and `call.id` are guaranteed; treat everything else as optional.
---@class InteractlyEvent
---@field type InteractlyEventType
---@field timestamp integer When the event was produced, epoch milliseconds.
---@field call InteractlyCall
---@field assistant? InteractlyAssistant Complete in status-update, trimmed elsewhere, possibly `{}`. Never require its fields.
---@field messages? InteractlyMessage[] The complete history so far (absent from status-update; may be empty).
---@field phone? InteractlyPhone
---@field customer? InteractlyCustomer
---@field analysis? InteractlyAnalysis Populated in end-of-call-report only (`{}` elsewhere).
---@field error? InteractlyError Only in `error` events.
---@field status? string Legacy status-update field; read `call.status` instead.

---@class InteractlyCall
---@field id string Opaque call id (`CA<hex>`, `WC-<uuid>`, ...). Hookline guarantees `^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`, so it is safe in file names and keys.
---@field teamId? string
---@field assistantId? string
---@field callType? "web"|"phone"|string
---@field direction? "inbound"|"outbound"|""|string
---@field startAt? string ISO 8601, e.g. "2026-05-14T15:02:11.408Z".
---@field endAt? string|JsonNull ISO 8601; end-of-call-report only.
---@field userNumber? string E.164 or "web-<name>". Personal data.
---@field assistantNumber? string
---@field status InteractlyCallStatus
---@field phoneCallStatus? string Telephony state: "in-progress", "completed", "ringing", "busy", "no-answer", "failed", ""...
---@field phoneCallStatusReason? string Free text, e.g. "Call is in progress".
---@field callEndTriggerBy? "bot"|"user"|"system"|"assistant"|""|string
---@field assistantCallDuration? number Milliseconds; 0 until known.
---@field analysis? InteractlyCallAnalysis Usually empty strings: read `event.analysis` instead.
---@field recording? InteractlyRecording
---@field assistantOverrides? { dynamicVariables?: table<string, string>, variablesValidations?: table<string, string> }
---@field metadata? table<string, JsonValue> Caller-supplied metadata, echoed in every event.
---@field cost? InteractlyCost|JsonNull end-of-call-report only.
---@field metrics? InteractlyCallMetrics end-of-call-report only.
---@field monitor? { controlUrl: string } Sensitive call-control URL; rarely present.
---@field messages? InteractlyMessage[] Legacy location of the messages.

---@class InteractlyCallAnalysis
---@field summary? string
---@field successEvaluation? string
---@field guardrails? string e.g. "DISABLED"

---@class InteractlyRecording
---@field s3Bucket string Interactly's bucket; "" until the end-of-call report.
---@field path string An object key such as "<teamId>/<callId>.mp3" (data, not a local path).

---Costs, presumably USD.
---@class InteractlyCost
---@field analysis? { total: number }
---@field callDuration? number Seconds (float).
---@field ttsGenCharsTotal? integer
---@field inputTokensTotal? integer
---@field outputTokensTotal? integer
---@field interactlyCost? number
---@field phoneCost? number
---@field ttsVendorCost? number
---@field sttVendorCost? number
---@field llmVendorCost? number
---@field totalCost? number

---@class InteractlyCallMetrics
---@field callStats? InteractlyCallStats

---Call statistics (durations in ms unless noted; some values can be negative).
---@class InteractlyCallStats
---@field userAudio? { delayedChunksCount?: integer, latencyAvg?: number, latencyTotal?: integer, latencyIntervals?: table[], cumulativeDuration?: number, droppedChunksCount?: integer }
---@field turns? { user?: integer, bot?: integer, played?: integer, interrupted?: integer, skipped?: integer }
---@field turnsStats? { userTurns?: table[], botTurns?: table[], botResponseTime?: integer[], bargeInCount?: integer, bargeInTimeAvg?: number }
---@field ttsStats? table<string, JsonValue> responseTimeDistribution, totalRequests, latencyAvg, errors, retries...
---@field llmStats? table<string, JsonValue> responseCount, responseLatencyAvg, errors, hangups, inputTokens, outputTokens...
---@field sttStats? table<string, JsonValue> responseLatencyAvg, confidenceAvg, connectionRetries, errors...

---@class InteractlyMessage
---@field messageId string Unique within a call only: key on (call.id, messageId). "welcome-1", "user-<n>", "<user id>-<rand>-<ms>".
---@field role "user"|"assistant"|string
---@field text string Transcript or generated text. Untrusted: never put it in a path, a header or `load`.
---@field timestamp integer|string Epoch ms (ISO 8601 string in legacy events).
---@field metrics? InteractlyMessageMetrics
---@field skippedAssistantMessages? InteractlyMessage[] Assistant output never played because the user barged in.

---Per-message timings (ms; `timestampMs` are epoch ms; several may be negative).
---@class InteractlyMessageMetrics
---@field timeline? { totalElapsedTimeMs?: number, offsetFromPreviousTurnMs?: number }
---@field audio? { totalAudioReceivedMs?: number, delayedPacketsPerTurnCount?: integer, delayedPacketsCumulativeCount?: integer, lostPacketsCumulativeCount?: integer, audioDelayPerTurnMs?: number, audioDelayCumulativeMs?: number, offsetFromPreviousTurnMs?: number }
---@field stt? { timestampMs?: integer, startOffsetMs?: number, endOffsetMs?: number, durationMs?: number, vadMs?: number, relativeLatencyMs?: number, confidence?: number }
---@field interactlyEOU? { turnDetectionTimeMs?: number, queueLatencyMs?: number }
---@field llm? { timestampMs?: integer, queueLatencyMs?: number, responseLatencyMs?: number }
---@field tts? { audioDurationMs?: number, queueLatencyMs?: number, generationTimeMs?: number, isCachePlaying?: boolean }
---@field interactlyPlayer? { waitTimeMs?: number }

---The assistant configuration (full in status-update only). `assistantServer` holds credentials: never log it.
---@class InteractlyAssistant
---@field _id? string
---@field name? string
---@field welcomeMessage? string
---@field welcomeMessageMode? string
---@field welcomeMessageInterruptionsEnabled? boolean
---@field endCallMessage? string
---@field endCallToolDescription? string
---@field endCallPhrases? string[]
---@field bargeInEnabled? boolean
---@field callForwardData? table[]
---@field assistantKnowledgeBaseIds? string[]
---@field assistantToolIds? string[]
---@field assistantProvider? "openai"|"azure"|"gemini"|"deepseek"|"bedrock"|"anthropic"|"custom-llm"|string
---@field assistantModel? string
---@field assistantLLMUrl? string
---@field assistantSystemPrompt? string
---@field assistantTemperature? number
---@field assistantMaxTokens? integer
---@field assistantResponseSplitter? string
---@field assistantBackchannelingEnabled? boolean
---@field assistantAnalysis? table<string, JsonValue> summary, successEvaluation, structuredData (with its JSON schema), guardrails...
---@field assistantServer? { enabled?: boolean, url?: string, timeoutSeconds?: number, secret?: string, headers?: table<string, string>, messages?: string[] } SENSITIVE.
---@field config? table<string, JsonValue> Speech settings (stt, ttsData).

---@class InteractlyPhone
---@field provider? { name: string } "" for web calls.

---@class InteractlyCustomer
---@field number? string E.164 or "web-<name>". Personal data.

---Post-call analysis (end-of-call-report).
---@class InteractlyAnalysis
---@field summary? string
---@field successEvaluation? string "Excellent"|"Good"|"Fair"|"Poor" with the DescriptiveScale rubric; free text otherwise.
---@field structuredData? table<string, JsonValue> Shaped by the assistant's schema; any keys, any JSON types.
---@field outcome? string e.g. "Appointment booked".
---@field guardrails? string

---@class InteractlyError
---@field type "llm_error"|"stt_error"|string
---@field code string Provider-specific, e.g. "rate_limit_exceeded", "authentication_failed", "websocket_closed".
---@field message string
---@field provider string e.g. "openai", "deepgram".
---@field retryable boolean Whether the provider call could be retried (not about webhook delivery).
---@field details? table<string, JsonValue>

-------------------------------------------------------------------------------------------------------
-- The run context
-------------------------------------------------------------------------------------------------------

---@class HooklineContext
---@field event_id string Hookline's id of the stored event.
---@field endpoint string The endpoint that received it ("default" or a named endpoint).
---@field received_at integer When Hookline received it, epoch ms.
---@field attempt integer 1 on the first run; more when Hookline retries a failed run.
---@field script string This script's path in the scripts folder, e.g. "hang.lua" or "hang/slack.lua".
---@field type string The event type.
---@field call_id string The call id (same as event.call.id).
---@field warnings string[] What intake flagged about the event (unknown enum values, odd types...).
---@field set_by? string In a timer handler (scripts/timers/): the id of the event whose run set the timer.

---The event being handled (the webhook's `message` object).
---@type InteractlyEvent
event = nil

---Facts about this run.
---@type HooklineContext
ctx = nil

---@class FiredTimer
---@field name string
---@field data any What timer.set was given (nil when nothing).
---@field set_at integer When it was set, epoch ms.
---@field due_at integer When it came due, epoch ms.
---@field late_ms integer How long after its due time this run started (long after a restart).
---@field set_by integer The id of the event whose run set it.

---In a timer handler (scripts/timers/<name>.lua), `timer` is the timer that came due, with timer.set,
---timer.cancel and timer.get still reachable through it. Event scripts see only the functions.
---@type FiredTimer
timer = nil

-------------------------------------------------------------------------------------------------------
-- Host functions
-------------------------------------------------------------------------------------------------------

---@alias LogFields table<string, string|number|integer|boolean>

---Script logs, with the event id and script name attached.
log = {}

---@param message any
---@param fields? LogFields
function log.info(message, fields) end

---@param message any
---@param fields? LogFields
function log.warn(message, fields) end

---@param message any
---@param fields? LogFields
function log.error(message, fields) end

json = {}

---The JSON null sentinel.
---@type JsonNull
json.null = nil

---Encodes a value as compact JSON with sorted keys. An empty unmarked table encodes as `{}`.
---@param value any
---@return string
function json.encode(value) end

---Decodes JSON text (arrays become sequences marked as arrays, null becomes `json.null`).
---@param text string
---@return any
function json.decode(text) end

---Marks a table as an array so that it encodes as `[]` when empty.
---@generic T: table
---@param t? T
---@return T
function json.array(t) end

---Files under the output folder (`--out`, default ./data/out). Paths are relative; `..` and absolute paths
---are refused; folders are created as needed.
file = {}

---Replaces the file atomically.
---@param path string
---@param data string
function file.write(path, data) end

---Appends to the file; appends from concurrent runs never interleave.
---@param path string
---@param data string
function file.append(path, data) end

---@param path string
---@return string? data nil when the file does not exist
function file.read(path) end

---@class HttpOptions
---@field headers? table<string, string> Values with CR or LF are refused.
---@field timeout? number Seconds. Keep it under the run's limit (5 s by default).
---@field follow_redirects? boolean

---@class HttpRequestOptions: HttpOptions
---@field method? string "GET" by default, "POST" when a body is given.
---@field url string http or https.
---@field body? string Raw body.
---@field json? any Sent as JSON (with Content-Type: application/json). Give `body` or `json`, not both.

---@class HttpResponse
---@field status integer Non-2xx statuses are returned, not raised.
---@field headers table<string, string> Lower-case names.
---@field body string
---@field json? any The decoded body when the response is JSON.

---Outbound HTTP (hosts limited by --http-allow when set). A transport failure (timeout, refused, host not
---allowed) raises an error: wrap the call in `pcall` to handle it.
http = {}

---@param options HttpRequestOptions
---@return HttpResponse
function http.request(options) end

---@param url string
---@param options? HttpOptions
---@return HttpResponse
function http.get(url, options) end

---@param url string
---@param body string|table A string is sent as is; a table is sent as JSON.
---@param options? HttpOptions
---@return HttpResponse
function http.post(url, body, options) end

---@alias AlertSeverity "info"|"warning"|"critical"

---@class AlertOptions
---@field title string
---@field text? string
---@field severity? AlertSeverity
---@field key? string Alerts with the same key within --alert-window (10 min) are folded into the first.
---@field fields? table<string, string|number|boolean> Shown with the alert (values become text).

---Raises an alert: to the log and every configured channel (--alert-slack, --alert-webhook,
-----alert-pagerduty).
---@param options AlertOptions
---@return boolean delivered false when folded into an earlier alert with the same key
function alert(options) end

---@class StoreOptions
---@field ttl? number Seconds until the key expires.

---Durable key-value state, per endpoint. Values are JSON values. Keys are 1 to 512 bytes.
store = {}

---@param key string
---@return any value nil when absent or expired
function store.get(key) end

---@param key string
---@param value any Not nil (use store.delete).
---@param options? StoreOptions
function store.set(key, value, options) end

---Adds `by` (default 1) to a number, atomically. The ttl applies when the key is new or expired.
---@param key string
---@param by? number
---@param options? StoreOptions
---@return number value the new value (an integer when whole)
function store.incr(key, by, options) end

---@param key string
function store.delete(key) end

---@class PendingTimerInfo
---@field due_at integer Epoch ms.
---@field set_at integer Epoch ms.
---@field data any

---Timers of this event's call: when one comes due and nothing cancelled it, scripts/timers/<name>.lua runs
---for the call. Operations take effect when the run succeeds, in the order of the events that made them.
---In a timer handler, `timer` is also the fired timer (its fields beside these functions).
timer = timer or {}

---@param name string 1 to 64 letters, digits, '-' or '_'.
---@param seconds number More than 0, at most --timer-max-delay (7 days).
---@param data? any JSON-able, at most 16 KiB as JSON.
---@return integer due_at Epoch ms.
function timer.set(name, seconds, data) end

---@param name string
---@return boolean was_pending
function timer.cancel(name) end

---@param name string
---@return PendingTimerInfo?
function timer.get(name) end

---An environment variable, only if the operator allowed it with --allow-env NAME.
---@param name string
---@return string?
function env(name) end

time = {}

---@return integer ms now, epoch milliseconds
function time.now() end

---@param ms? integer epoch milliseconds (default: now)
---@return string iso e.g. "2026-05-14T15:02:03.123Z"
function time.iso(ms) end

crypto = {}

---@param data string
---@return string hex
function crypto.sha256(data) end

---@param key string
---@param data string
---@return string hex
function crypto.hmac_sha256(key, data) end

base64 = {}

---@param data string
---@return string
function base64.encode(data) end

---@param text string
---@return string data
function base64.decode(text) end

-------------------------------------------------------------------------------------------------------
-- Test API (only in *_test.lua files, run by `hookline test [DIR]`)
-------------------------------------------------------------------------------------------------------

---Declares a test. Each test starts with a clean mocked world (files, store, alerts, HTTP, logs).
---@param name string
---@param fn fun()
function test(name, fn) end

---Loads a JSON file relative to the test file's folder; returns its `message` object (or the whole value
---when there is no `message` key).
---@param path string
---@return InteractlyEvent|any
function fixture(path) end

---Runs a script (path relative to the scripts folder, e.g. "hang.lua" or "hang/slack.lua") on an event in
---this test's mocked world. Raises if the script fails (use `pcall(run, ...)` to expect a failure).
---@param script string
---@param event table
---@param ctx? table Overrides for the context (attempt, event_id...).
function run(script, event, ctx) end

---@class MockHttpOptions
---@field url string
---@field method? string
---@field status? integer
---@field body? string
---@field json? any
---@field headers? table<string, string>
---@field error? string Make matching requests fail as a transport error with this message.

mock = {}

---Scripts a response for matching requests (unmatched requests get 200 and an empty body).
---@param options MockHttpOptions
function mock.http(options) end

---@param variables table<string, string>
function mock.env(variables) end

---@param values table<string, any>
function mock.store(values) end

---Sets the clock seen by time.now() and time.iso().
---@param ms integer
function mock.time(ms) end

---@class ExpectAlert
---@field title? string
---@field title_contains? string
---@field text? string
---@field text_contains? string
---@field severity? AlertSeverity
---@field key? string
---@field key_contains? string
---@field fields? table<string, any>

---@class ExpectHttp
---@field method? string
---@field url? string
---@field json? table A subset the request's JSON body must contain.
---@field body_contains? string
---@field headers? table<string, string>

---@class ExpectFile
---@field equals? string
---@field contains? string
---@field lines? integer

---@class ExpectLog
---@field level? "info"|"warn"|"error"
---@field message_contains? string

---Expectations: each raises a readable "expected ... got ..." failure.
expect = {}

---Some delivered alert matches every given field.
---@param match ExpectAlert
function expect.alert(match) end

function expect.no_alert() end

---Exactly `n` alerts delivered (folded ones excluded).
---@param n integer
function expect.alerts(n) end

---@param match ExpectHttp
function expect.http(match) end

---@param match ExpectHttp
function expect.http_post(match) end

function expect.no_http() end

---@param path string
---@param options? ExpectFile
function expect.file(path, options) end

---@param path string
function expect.no_file(path) end

---@param match ExpectLog
function expect.log(match) end

---@param key string
---@param value any
function expect.store(key, value) end

---Deep equality for tables.
---@param actual any
---@param expected any
---@param label? string
function expect.eq(actual, expected, label) end

---@param value any
---@param label? string
function expect.truthy(value, label) end

---@class RecordedAlert
---@field title string
---@field text string
---@field severity AlertSeverity
---@field key? string
---@field fields table<string, string>

---@class RecordedHttpCall
---@field method string
---@field url string
---@field headers table<string, string>
---@field body? string
---@field json? any

---@class RecordedLog
---@field level "info"|"warn"|"error"
---@field message string
---@field fields table<string, string>

---@return RecordedAlert[]
function alerts() end

---@return RecordedHttpCall[]
function http_calls() end

---@param path string
---@return string?
function read_file(path) end

---@return RecordedLog[]
function logs() end

---@param key string
---@return any
function store_value(key) end
