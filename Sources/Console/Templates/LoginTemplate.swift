extension ConsoleTemplates {
    static let login = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Log in · Hookline</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        </head>
        <body class="login">
        <main id="main">
        <h1>Hookline console</h1>
        {{#problem}}<p class="problem" role="alert" id="login-problem">{{problem}}</p>{{/problem}}
        <form method="post" action="/console/login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="token">Console token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
        <p class="hint">The token is in <code>{{tokenFile}}</code> on the server (or what <code>--console-token</code> was given).</p>
        <button type="submit">Log in</button>
        </form>
        </main>
        </body>
        </html>
        """
}
