extension ConsoleTemplates {
    static let failures = """
        {{<layout}}{{$content}}
        <h1>Failures</h1>
        {{#replayed}}<p class="notice" role="status" id="replayed">{{replayed}}</p>{{/replayed}}
        {{#empty}}<p>No dead runs: every failed event has been replayed or pruned.</p>{{/empty}}
        {{#scripts}}
        <section class="failure-script" aria-label="Failures of {{script}}">
        <h2>{{script}} <span class="state state-failed">{{total}} events</span></h2>
        <table>
        <thead><tr><th scope="col">Error</th><th scope="col">Events</th><th scope="col">Latest</th><th scope="col">Example</th></tr></thead>
        <tbody>
        {{#groups}}<tr><td><code>{{error}}</code></td><td>{{count}}</td><td><time datetime="{{latest.iso}}" title="{{latest.iso}}">{{latest.iso}}</time></td><td><a href="{{sample}}">event {{sampleID}}</a></td></tr>{{/groups}}
        </tbody>
        </table>
        <form method="post" action="/console/failures/replay" class="filters" data-confirm="Replay every failed event of {{script}} since that time?">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="script" value="{{script}}">
        <label>Since (UTC) <input name="since" value="{{since}}"></label>
        <button type="submit" class="replay-script" data-script="{{script}}">Replay every failed run of {{script}} since then</button>
        </form>
        </section>
        {{/scripts}}
        {{/content}}{{/layout}}
        """
}
