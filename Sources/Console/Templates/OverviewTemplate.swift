extension ConsoleTemplates {
    static let overview = """
        {{<layout}}{{$content}}
        <h1>Overview</h1>
        {{#hasProblems}}<div class="problem" role="alert"><p>The scripts' last edit does not compile (the previous version keeps running):</p><ul>{{#problems}}<li><code>{{text}}</code></li>{{/problems}}</ul></div>{{/hasProblems}}
        {{^hasProblems}}<p class="notice">Scripts: {{scriptCount}} loaded, the last edit compiled.</p>{{/hasProblems}}
        <p class="hint">This node's scripts' version: <code id="scripts-version">{{scriptsVersion}}</code></p>
        <div class="cards">
        <div class="card"><span>Accepted</span><strong>{{accepted}}</strong><span class="hint">since start</span></div>
        <div class="card"><span>Duplicates</span><strong>{{duplicates}}</strong><span class="hint">since start</span></div>
        <div class="card"><span>Backlog</span><strong id="backlog">{{backlog}}</strong><span class="hint">events pending</span></div>
        <div class="card"><span>Runs ok / failed / dead</span><strong>{{runsOK}} / {{runsFailed}} / {{runsDead}}</strong><span class="hint">last hour</span></div>
        </div>
        <h2>Refusals by reason</h2>
        <ul>{{#refusals}}<li>{{label}}: {{count}}</li>{{/refusals}}{{^refusals}}<li>None since start.</li>{{/refusals}}</ul>
        <h2>Events per minute, last hour</h2>
        {{#charts}}
        <h3>{{type}} ({{total}})</h3>
        <div class="bars" role="img" aria-label="{{type}} events per minute over the last hour">{{#bars}}<span class="h{{level}}" title="{{label}}"></span>{{/bars}}</div>
        {{/charts}}
        {{^charts}}<p>No events in the last hour.</p>{{/charts}}
        <h2>Events per half hour, last day</h2>
        {{#dayCharts}}
        <h3>{{type}} ({{total}})</h3>
        <div class="bars" role="img" aria-label="{{type}} events per half hour over the last day">{{#bars}}<span class="h{{level}}" title="{{label}}"></span>{{/bars}}</div>
        {{/dayCharts}}
        {{^dayCharts}}<p>No events in the last day.</p>{{/dayCharts}}
        <h2>Run durations by script, last hour</h2>
        {{#sampledRuns}}<p class="hint">Over the latest 20,000 runs.</p>{{/sampledRuns}}
        <table><thead><tr><th scope="col">Script</th><th scope="col">Runs</th><th scope="col">ok</th><th scope="col">failed</th><th scope="col">dead</th><th scope="col">p50</th><th scope="col">p99</th></tr></thead><tbody>
        {{#timings}}<tr><td>{{script}}</td><td>{{runs}}</td><td>{{ok}}</td><td>{{failed}}</td><td>{{dead}}</td><td>{{p50}}</td><td>{{p99}}</td></tr>{{/timings}}
        </tbody></table>
        {{#hasNodes}}
        <h2>Nodes</h2>
        <table><thead><tr><th scope="col">Node</th><th scope="col">Scripts</th><th scope="col">Started</th><th scope="col">Last heartbeat</th><th scope="col">Lease</th></tr></thead><tbody>
        {{#nodes}}<tr><td>{{name}}{{#thisNode}} (this node){{/thisNode}}</td><td><code>{{scripts}}</code></td><td><time datetime="{{started.iso}}" title="{{started.iso}}">{{started.iso}}</time></td><td><time datetime="{{heartbeat.iso}}" title="{{heartbeat.iso}}">{{heartbeat.iso}}</time></td><td>{{#alive}}held{{/alive}}{{^alive}}ended: its calls go to the others{{/alive}}</td></tr>{{/nodes}}
        </tbody></table>
        <p class="hint">Nodes that run the same scripts show the same version; a node that differs has not picked up an edit (or runs other folders).</p>
        {{/hasNodes}}
        <h2>Alert deliveries by channel and outcome</h2>
        <ul>{{#alerts}}<li>{{label}}: {{count}}</li>{{/alerts}}{{^alerts}}<li>None since start.</li>{{/alerts}}</ul>
        {{/content}}{{/layout}}
        """
}
