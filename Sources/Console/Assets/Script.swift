extension ConsoleAssets {
    /// The console's script: local times, and the events page's live toggle. It builds rows from text nodes
    /// only (never from markup), so a payload's text cannot become markup.
    static let script = """
        "use strict";
        (function () {
          function localTimes(root) {
            root.querySelectorAll("time[datetime]").forEach(function (element) {
              var date = new Date(element.getAttribute("datetime"));
              if (!isNaN(date)) { element.textContent = date.toLocaleString(); element.title = element.getAttribute("datetime") + " (UTC)"; }
            });
          }
          function cell(row, text, href) {
            var td = document.createElement("td");
            if (href) { var a = document.createElement("a"); a.href = href; a.textContent = text; td.appendChild(a); }
            else { td.textContent = text; }
            row.appendChild(td);
            return td;
          }
          function addRow(body, event) {
            if (body.querySelector('tr[data-id="' + event.id + '"]')) { return; }
            var row = document.createElement("tr");
            row.dataset.id = String(event.id);
            row.className = "fresh";
            cell(row, String(event.id), event.href);
            var when = cell(row, "");
            var time = document.createElement("time");
            time.setAttribute("datetime", event.time);
            time.textContent = event.time;
            when.appendChild(time);
            cell(row, event.type);
            cell(row, event.endpoint);
            cell(row, event.callID, event.callHref);
            var state = cell(row, "");
            var badge = document.createElement("span");
            badge.className = "state state-" + event.state.replace(/[^a-z]/g, "");
            badge.textContent = event.state;
            state.appendChild(badge);
            cell(row, String(event.warnings));
            body.insertBefore(row, body.firstChild);
            localTimes(row);
            while (body.rows.length > 200) { body.deleteRow(body.rows.length - 1); }
          }
          function live(toggle) {
            var body = document.getElementById("events-body");
            var status = document.getElementById("live-status");
            var source = null;
            var after = toggle.dataset.after;
            function start() {
              source = new EventSource(toggle.dataset.liveUrl + (toggle.dataset.liveUrl.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(after));
              source.addEventListener("open", function () { status.textContent = "live"; });
              source.addEventListener("error", function () { status.textContent = "reconnecting…"; });
              source.addEventListener("event", function (message) {
                var event = JSON.parse(message.data);
                after = String(event.id);
                addRow(body, event);
              });
            }
            function stop() { if (source) { source.close(); source = null; } status.textContent = ""; }
            toggle.addEventListener("change", function () {
              var url = new URL(window.location.href);
              if (toggle.checked) { url.searchParams.set("live", "1"); start(); } else { url.searchParams.delete("live"); stop(); }
              window.history.replaceState(null, "", url);
            });
            if (new URL(window.location.href).searchParams.get("live") === "1") { toggle.checked = true; start(); }
          }
          document.addEventListener("DOMContentLoaded", function () {
            localTimes(document);
            var toggle = document.getElementById("live-toggle");
            if (toggle) { live(toggle); }
            document.querySelectorAll("form[data-confirm]").forEach(function (form) {
              form.addEventListener("submit", function (event) { if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); } });
            });
          });
        })();
        """
}
