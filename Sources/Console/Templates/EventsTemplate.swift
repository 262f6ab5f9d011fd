extension ConsoleTemplates {
    static let events = """
        {{<layout}}{{$content}}
        <h1>Events</h1>
        <form method="get" action="/console/events" class="filters" aria-label="Filter events">
        <label>Type <input name="type" value="{{filter.type}}" placeholder="end-of-call-report"></label>
        <label>Endpoint <input name="endpoint" value="{{filter.endpoint}}" placeholder="default"></label>
        <label>Call id <input name="call" value="{{filter.call}}"></label>
        <label>State <select name="state">{{#stateOptions}}<option value="{{value}}" {{#selected}}selected{{/selected}}>{{label}}</option>{{/stateOptions}}</select></label>
        <label>Since (UTC) <input name="since" value="{{filter.since}}" placeholder="2026-12-07T12:00"></label>
        <label>Until (UTC) <input name="until" value="{{filter.until}}" placeholder="2026-12-07T13:00"></label>
        <label>Text in the payload <input name="text" value="{{filter.text}}" placeholder="LFC-P-018842"></label>
        <button type="submit">Filter</button>
        <a href="/console/events">Clear</a>
        </form>
        {{#isFirstPage}}
        <p class="live-control"><label><input type="checkbox" id="live-toggle" data-live-url="/console/events/live?{{liveQuery}}" data-after="{{newest}}"> Live: show new events as they arrive</label> <span id="live-status" aria-live="polite"></span></p>
        {{/isFirstPage}}
        <table class="events" id="events-table">
        <thead><tr><th scope="col">Id</th><th scope="col">Received</th><th scope="col">Type</th><th scope="col">Endpoint</th><th scope="col">Call</th><th scope="col">State</th><th scope="col">Warnings</th></tr></thead>
        <tbody id="events-body">
        {{#rows}}
        <tr data-id="{{id}}"><td><a href="{{href}}">{{id}}</a></td><td><time datetime="{{time.iso}}" title="{{time.iso}}">{{time.iso}}</time></td><td>{{type}}</td><td>{{endpoint}}</td><td><a href="{{callHref}}">{{callID}}</a></td><td><span class="state state-{{state}}">{{state}}</span></td><td>{{warnings}}</td></tr>
        {{/rows}}
        </tbody>
        </table>
        {{#empty}}<p class="empty">No events match.</p>{{/empty}}
        {{#searched}}<p class="hint" id="searched">{{searched}}</p>{{/searched}}
        <nav class="pager" aria-label="Pages">
        {{#first}}<a href="{{first}}">Newest</a>{{/first}}
        {{#next}}<a href="{{next}}" rel="next">Older</a>{{/next}}
        </nav>
        {{/content}}{{/layout}}
        """
}
