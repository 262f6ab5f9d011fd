extension ConsoleTemplates {
    static let scripts = """
        {{<layout}}{{$content}}
        <h1>Scripts</h1>
        <p class="hint">Runs and failure rates over the last day ({{runsCounted}} runs counted).</p>
        {{#folders}}
        <section aria-label="Scripts in {{folder}}">
        <h2><code>{{folder}}</code></h2>
        {{#hasProblems}}<div class="problem" role="alert"><p>The last edit does not compile (the previous version keeps running):</p><ul>{{#problems}}<li><code>{{text}}</code></li>{{/problems}}</ul></div>{{/hasProblems}}
        <table><thead><tr><th scope="col">Event type</th><th scope="col">Scripts that run</th></tr></thead><tbody>
        {{#types}}<tr><td>{{type}}</td><td>{{paths}}</td></tr>{{/types}}
        </tbody></table>
        {{#scripts}}
        <article class="run">
        <h3 id="script-{{path}}">{{path}}</h3>
        <p class="run-facts">for {{type}} · version {{version}} · {{runs}} runs, {{failed}} failed ({{failureRate}})</p>
        <details><summary>Source</summary><pre class="source"><code>{{#lines}}<span class="line">{{#tokens}}<span class="lua-{{kind}}">{{text}}</span>{{/tokens}}</span>{{/lines}}</code></pre></details>
        {{#hasRecent}}<details><summary>Recent runs</summary><ul>{{#recent}}<li>attempt {{attempt}} <span class="outcome">{{outcome}}</span> {{duration}} <time datetime="{{started.iso}}" title="{{started.iso}}">{{started.iso}}</time>{{#hasError}} <span class="error">{{location}} {{error}}</span>{{/hasError}}</li>{{/recent}}</ul></details>{{/hasRecent}}
        </article>
        {{/scripts}}
        </section>
        {{/folders}}
        {{/content}}{{/layout}}
        """
}
