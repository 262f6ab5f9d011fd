extension ConsoleAssets {
    static let stylesheet = """
        :root { --ink: #1d232b; --muted: #5b6470; --line: #d9dde3; --bg: #f7f8fa; --accent: #1f5fbf;
                --ok: #1e7b34; --bad: #b3261e; --warn: #8a5a00; font-family: system-ui, sans-serif; color: var(--ink); }
        body { margin: 0; background: var(--bg); line-height: 1.45; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid #7aa7ee; outline-offset: 1px; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; }
        .top { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px;
               background: #fff; border-bottom: 1px solid var(--line); padding: 8px 16px; }
        .top nav { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; }
        .top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--ink); }
        .brand { font-weight: 700; margin-right: 8px; }
        main { padding: 16px; max-width: 1400px; }
        h1 { font-size: 1.4rem; margin: 0.2rem 0 1rem; }
        h2 { font-size: 1.1rem; margin-top: 1.6rem; }
        h3 { font-size: 1rem; margin: 0 0 0.3rem; }
        button { font: inherit; padding: 4px 12px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
        .logout button { background: #fff; color: var(--accent); }
        input, select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; }
        .filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: flex-end; margin-bottom: 12px; }
        .filters label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
        th { font-size: 0.85rem; color: var(--muted); }
        tr.fresh { animation: fresh 2s ease-out; }
        @keyframes fresh { from { background: #fff6c7; } to { background: #fff; } }
        .state, .outcome { font-size: 0.8rem; padding: 1px 6px; border-radius: 8px; background: #e8ebef; }
        .state-done, .run-ok .outcome { background: #dcefe0; color: var(--ok); }
        .state-failed, .run-dead .outcome { background: #f7dcda; color: var(--bad); }
        .run-failed .outcome { background: #fbecd0; color: var(--warn); }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; overflow-wrap: anywhere; }
        .run { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--line); padding: 8px 12px; margin: 8px 0; }
        .run-ok { border-left-color: var(--ok); }
        .run-dead { border-left-color: var(--bad); }
        .run-failed { border-left-color: var(--warn); }
        .run-facts { color: var(--muted); font-size: 0.9rem; margin: 0; }
        .error { color: var(--bad); }
        .source-line { background: #1d232b; color: #f1f3f5; padding: 6px 10px; overflow-x: auto; }
        .json-tree { background: #fff; border: 1px solid var(--line); padding: 8px 12px; font-family: ui-monospace, monospace; font-size: 0.9rem; overflow-x: auto; }
        .json-tree ul { list-style: none; margin: 0; padding-left: 1.2rem; }
        .json-key { color: #6f42c1; }
        .json-string { color: #1e7b34; overflow-wrap: anywhere; }
        .json-number { color: #b35900; }
        .json-bool, .json-null { color: #1f5fbf; }
        .lua-keyword { color: #6f42c1; font-weight: 600; }
        .lua-string { color: #1e7b34; }
        .lua-comment { color: #5b6470; font-style: italic; }
        .lua-number { color: #b35900; }
        .json-redacted { color: #fff; background: #5b6470; padding: 0 4px; border-radius: 3px; }
        .conversation { display: flex; flex-direction: column; gap: 6px; max-width: 760px; }
        .message { padding: 6px 10px; border-radius: 10px; max-width: 80%; background: #fff; border: 1px solid var(--line); }
        .message .role { display: block; font-size: 0.75rem; color: var(--muted); }
        .message-assistant, .message-bot { align-self: flex-start; }
        .message-user { align-self: flex-end; background: #e4eefc; }
        .message-system, .message-tool { align-self: center; font-size: 0.85rem; background: #f0f0f0; }
        .timeline { list-style: none; padding: 0; }
        .timeline > li { border-left: 3px solid var(--line); padding: 4px 0 8px 12px; }
        .notice { background: #e4eefc; padding: 6px 10px; }
        .problem { background: #f7dcda; color: var(--bad); padding: 6px 10px; }
        .pager { display: flex; gap: 16px; margin-top: 12px; }
        .login main { max-width: 420px; margin: 10vh auto; background: #fff; padding: 24px; border: 1px solid var(--line); }
        .login form { display: flex; flex-direction: column; gap: 8px; }
        .hint { color: var(--muted); font-size: 0.85rem; }
        .bars { display: flex; align-items: flex-end; gap: 1px; height: 80px; border-bottom: 1px solid var(--line); }
        .bars span { flex: 1; background: var(--accent); min-width: 1px; }
        .bars .h0 { height: 0%; }
        .bars .h1 { height: 5%; }
        .bars .h2 { height: 10%; }
        .bars .h3 { height: 15%; }
        .bars .h4 { height: 20%; }
        .bars .h5 { height: 25%; }
        .bars .h6 { height: 30%; }
        .bars .h7 { height: 35%; }
        .bars .h8 { height: 40%; }
        .bars .h9 { height: 45%; }
        .bars .h10 { height: 50%; }
        .bars .h11 { height: 55%; }
        .bars .h12 { height: 60%; }
        .bars .h13 { height: 65%; }
        .bars .h14 { height: 70%; }
        .bars .h15 { height: 75%; }
        .bars .h16 { height: 80%; }
        .bars .h17 { height: 85%; }
        .bars .h18 { height: 90%; }
        .bars .h19 { height: 95%; }
        .bars .h20 { height: 100%; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 10px; }
        .card { background: #fff; border: 1px solid var(--line); padding: 8px 12px; }
        .card strong { font-size: 1.4rem; display: block; }
        pre.source { background: #fff; border: 1px solid var(--line); padding: 0; overflow-x: auto; counter-reset: line; }
        pre.source code { display: block; }
        pre.source .line { display: block; padding: 0 10px; min-height: 1.2em; }
        pre.source .line::before { counter-increment: line; content: counter(line); display: inline-block; width: 3em; color: var(--muted); margin-right: 10px; text-align: right; }
        @media (max-width: 700px) {
          main { padding: 8px; }
          table.events thead { display: none; }
          table.events tr { display: block; border-bottom: 1px solid var(--line); padding: 4px 0; }
          table.events td { display: inline-block; border: 0; padding: 2px 6px; }
        }
        """
}
