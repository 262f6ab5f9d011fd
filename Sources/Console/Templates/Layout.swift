extension ConsoleTemplates {
    /// The frame of every signed-in page: navigation, logout, and the page's `content` block. Pages extend it
    /// with `{{<layout}}{{$content}}...{{/content}}{{/layout}}`.
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Hookline</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        <script src="/console/assets/console.js" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
        <nav aria-label="Console">
        <span class="brand">Hookline</span>
        <a href="/console/overview" {{#nav.overview}}aria-current="page"{{/nav.overview}}>Overview</a>
        <a href="/console/events" {{#nav.events}}aria-current="page"{{/nav.events}}>Events</a>
        <a href="/console/failures" {{#nav.failures}}aria-current="page"{{/nav.failures}}>Failures</a>
        <a href="/console/scripts" {{#nav.scripts}}aria-current="page"{{/nav.scripts}}>Scripts</a>
        </nav>
        <form method="post" action="/console/logout" class="logout">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit">Log out</button>
        </form>
        </header>
        <main id="main">
        {{$content}}{{/content}}
        </main>
        </body>
        </html>
        """
}
