// hookferry console: live numbers, live tail, playground, selection.
// Plain JavaScript; the pages work without it except for the live parts.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  function $(sel) { return document.querySelector(sel); }
  function live(text) { var l = $("#live"); if (l) l.textContent = text; }

  // Overview: numbers update in place; cells keep their width.
  var table = $("#overview");
  if (table && window.EventSource) {
    var es = new EventSource("/ui/overview/stream");
    es.onopen = function () { live("live"); };
    es.onerror = function () { live("reconnecting…"); };
    es.addEventListener("stats", function (e) {
      JSON.parse(e.data).forEach(function (row) {
        var tr = table.querySelector('tr[data-k="' + CSS.escape(row.key) + '"]');
        if (!tr) return;
        tr.querySelectorAll("[data-f]").forEach(function (cell) {
          var v = row[cell.getAttribute("data-f")];
          if (v !== undefined && cell.textContent !== v) {
            cell.textContent = v;
            if (cell.classList.contains("pill")) cell.className = "pill " + v;
          }
        });
      });
      live("live · " + new Date().toLocaleTimeString());
    });
  }

  // Live tail.
  var tail = $("#tail");
  if (tail && window.EventSource) {
    var src = new EventSource("/ui/tail/stream?pipeline=" + encodeURIComponent(tail.getAttribute("data-pipeline")));
    src.onopen = function () { live("live"); };
    src.onerror = function () { live("reconnecting…"); };
    src.addEventListener("dropped", function (e) { live(e.data + " events skipped (too fast)"); });
    src.addEventListener("webhook", function (e) {
      var ev = JSON.parse(e.data);
      var li = document.createElement("li");
      var t = document.createElement("time");
      t.textContent = (ev.received_at || "").replace("T", " ").slice(0, 19);
      var id = document.createElement("span");
      id.className = "id";
      id.textContent = ev.id + (ev.type ? "  ·  " + ev.type : "") + "  ·  " + ev.size + " B";
      var p = document.createElement("div");
      p.className = "p";
      p.textContent = ev.preview;
      li.append(t, id, p);
      tail.prepend(li);
      while (tail.children.length > 200) tail.lastChild.remove();
    });
  }

  // Select all on the deliveries page.
  var all = $("#all");
  if (all) all.addEventListener("change", function () {
    document.querySelectorAll('#selection input[name="id"]').forEach(function (c) { c.checked = all.checked; });
  });

  // Playground.
  var play = $("#play");
  if (play) play.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = play.elements, target = f.target.value.split("/");
    var req = { pipeline: target[0], sink: target[1] };
    if (f.script.value.trim()) req.script = f.script.value;
    var status = $("#status");
    if (f.delivery.value.trim()) {
      req.delivery_id = f.delivery.value.trim();
    } else {
      try { req.event = JSON.parse(f.event.value); } catch (err) { status.textContent = "The event is not JSON: " + err.message; return; }
    }
    status.textContent = "running…";
    fetch("/ui/playground/run", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(req)
    }).then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
      .then(function (a) {
        var res = a[1];
        if (a[0] !== 200) { status.textContent = "error: " + res.error; return; }
        status.textContent = res.error ? "script error: " + res.error : "ran in " + res.duration_ms + " ms · " + res.messages.length + " message(s)";
        $("#messages").textContent = JSON.stringify(res.messages, null, 2);
        $("#requests").textContent = res.requests ? JSON.stringify(res.requests, null, 2) : "(this sink renders no HTTP request)";
        $("#console").textContent = (res.console || []).join("\n") || "(no console lines)";
      })
      .catch(function (err) { status.textContent = "failed: " + err; });
  });
})();
