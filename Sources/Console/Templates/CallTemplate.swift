extension ConsoleTemplates {
    static let call = """
        {{<layout}}{{$content}}
        <h1>Call <code>{{callID}}</code></h1>
        {{#truncated}}<p class="notice">Only the first 1000 events of this call are shown.</p>{{/truncated}}
        {{#report}}
        <section aria-labelledby="report-heading" class="report">
        <h2 id="report-heading">End-of-call report</h2>
        <dl class="facts">
        <dt>Summary</dt><dd id="report-summary">{{summary}}</dd>
        <dt>Outcome</dt><dd>{{outcome}}</dd>
        <dt>Total cost</dt><dd id="report-cost">{{cost}}</dd>
        <dt>Recording</dt><dd>{{#hasRecording}}<code id="report-recording">{{recording}}</code> (in Interactly's storage){{/hasRecording}}{{^hasRecording}}none{{/hasRecording}}</dd>
        </dl>
        </section>
        {{/report}}
        <section aria-labelledby="transcript-heading">
        <h2 id="transcript-heading">Transcript</h2>
        {{^hasTranscript}}<p>No conversation update yet.</p>{{/hasTranscript}}
        <div class="conversation" id="transcript">
        {{#transcript}}<p class="message {{roleClass}}"><span class="role">{{role}}{{#time}} · <time datetime="{{iso}}" title="{{iso}}">{{iso}}</time>{{/time}}</span>{{text}}</p>
        {{/transcript}}
        </div>
        </section>
        {{#hasTimers}}
        <section aria-labelledby="timers-heading">
        <h2 id="timers-heading">Pending timers</h2>
        <table><thead><tr><th scope="col">Timer</th><th scope="col">Due</th><th scope="col">Set by</th><th scope="col">Data</th></tr></thead><tbody>
        {{#timers}}<tr><td>{{name}}</td><td><time datetime="{{due.iso}}" title="{{due.iso}}">{{due.iso}}</time></td><td><a href="{{setBy}}">event {{setByID}}</a></td><td><code>{{data}}</code></td></tr>{{/timers}}
        </tbody></table>
        </section>
        {{/hasTimers}}
        <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <ol class="timeline">
        {{#entries}}
        <li><time datetime="{{event.time.iso}}" title="{{event.time.iso}}">{{event.time.iso}}</time> <a href="{{event.href}}">{{event.type}} #{{event.id}}</a> <span class="state state-{{event.state}}">{{event.state}}</span> {{detail}}
        {{#hasRuns}}<ul>{{#runs}}<li class="run-{{outcome}}">{{script}} attempt {{attempt}}: <span class="outcome">{{outcome}}</span> {{duration}}{{#hasError}} <span class="error">{{location}} {{error}}</span>{{/hasError}}{{#hasHostCalls}}<ul class="host-calls">{{#hostCalls}}<li><code>{{.}}</code></li>{{/hostCalls}}</ul>{{/hasHostCalls}}</li>{{/runs}}</ul>{{/hasRuns}}
        </li>
        {{/entries}}
        </ol>
        </section>
        {{/content}}{{/layout}}
        """
}
