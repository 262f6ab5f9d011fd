extension ConsoleTemplates {
    static let event = """
        {{<layout}}{{$content}}
        <h1>Event {{event.id}} <span class="state state-{{event.state}}" id="event-state">{{event.state}}</span></h1>
        {{#replayed}}<p class="notice" role="status">Queued again: the scripts run it within a few seconds (reload to see the new runs).</p>{{/replayed}}
        <dl class="facts">
        <dt>Type</dt><dd>{{event.type}}</dd>
        <dt>Received</dt><dd><time datetime="{{event.time.iso}}" title="{{event.time.iso}}">{{event.time.iso}}</time></dd>
        <dt>Endpoint</dt><dd>{{event.endpoint}}</dd>
        <dt>Call</dt><dd><a href="{{event.callHref}}" id="call-link">{{event.callID}}</a></dd>
        <dt>Request id</dt><dd>{{requestID}}</dd>
        <dt>Deduplication key</dt><dd>{{dedupKey}}</dd>
        </dl>
        <form method="post" action="{{replayAction}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit" id="replay">Replay</button>
        </form>
        <section aria-labelledby="warnings-heading">
        <h2 id="warnings-heading">Warnings</h2>
        {{#hasWarnings}}<ul class="warnings">{{#warnings}}<li>{{.}}</li>{{/warnings}}</ul>{{/hasWarnings}}
        {{^hasWarnings}}<p>None.</p>{{/hasWarnings}}
        </section>
        <section aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs</h2>
        {{^hasRuns}}<p>No run yet.</p>{{/hasRuns}}
        {{#runs}}
        <article class="run run-{{outcome}}">
        <h3>{{script}} <span class="outcome">{{outcome}}</span></h3>
        <p class="run-facts">attempt {{attempt}} · replay {{generation}} · version {{scriptVersion}} · started <time datetime="{{started.iso}}" title="{{started.iso}}">{{started.iso}}</time> · {{duration}}</p>
        {{#hasError}}<p class="error"><span class="error-kind">{{errorKind}}</span> {{#location}}<code class="location">{{location}}</code>{{/location}} {{error}}</p>
        {{#hasSourceLine}}<pre class="source-line"><code>{{sourceLine}}</code></pre>{{/hasSourceLine}}{{/hasError}}
        {{#hasHostCalls}}<details><summary>Host calls</summary><ul class="host-calls">{{#hostCalls}}<li><code>{{.}}</code></li>{{/hostCalls}}</ul></details>{{/hasHostCalls}}
        </article>
        {{/runs}}
        </section>
        <section aria-labelledby="payload-heading">
        <h2 id="payload-heading">Payload</h2>
        <div class="json-tree" id="payload">{{#tree}}{{> json}}{{/tree}}{{^tree}}<pre>{{rawBody}}</pre>{{/tree}}</div>
        </section>
        {{/content}}{{/layout}}
        """
}
