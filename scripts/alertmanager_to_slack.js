// alertmanager_to_slack.js: Prometheus Alertmanager webhook notifications
// (payload version 4) -> a Slack message (Block Kit blocks with a
// plain-text fallback). Used by configs/alertmanager-to-slack.hcl.
//
// One notification is one group of alerts. The message has Alertmanager's
// usual title ([FIRING:2] group labels), the group's common summary, then
// each alert, firing first, with its summary, description, the labels it
// does not share with the group, when it started (or ended), and links to
// its source, runbook and a new silence. Long groups are cut ("…and N more
// alerts", counting the alerts Alertmanager itself truncated).
//
// Label and annotation values are escaped for Slack's mrkdwn and everything
// is cut to Slack's limits.

const MAX_ALERTS = 20;

function transform(event) {
  const b = event.body || {};
  const alerts = b.alerts || [];
  const firing = alerts.filter(a => a.status === "firing");
  const resolved = alerts.filter(a => a.status !== "firing");
  const status = b.status === "firing" ? "firing" : "resolved";
  const head = title(b, status, firing.length);
  const ca = b.commonAnnotations || {};
  const cl = b.commonLabels || {};
  const blocks = [header((status === "firing" ? ":rotating_light: " : ":white_check_mark: ") + head)];
  if (ca.summary || ca.description) {
    blocks.push(section([ca.summary ? `*${esc(ca.summary, 500)}*` : "", ca.description ? esc(ca.description, 1500) : ""].filter(Boolean).join("\n")));
  }
  const shown = firing.concat(resolved).slice(0, MAX_ALERTS);
  for (const a of shown) blocks.push(alertSection(a, cl, b.externalURL));
  const left = alerts.length - shown.length + (b.truncatedAlerts || 0);
  const labels = Object.keys(cl).sort().filter(k => !(k in (b.groupLabels || {}))).slice(0, 8).map(k => `\`${esc(k, 50)}=${esc(cl[k], 100)}\``).join(" ");
  blocks.push(context([
    left > 0 ? `…and ${left} more alert${left === 1 ? "" : "s"}` : "",
    `${firing.length} firing, ${resolved.length} resolved`,
    labels,
    b.receiver ? `receiver ${esc(b.receiver, 100)}` : "",
    httpURL(b.externalURL) ? link(b.externalURL, "Alertmanager") : "",
  ]));
  return slackMessage(`${head}${ca.summary ? ": " + ca.summary : ""}`, blocks);
}

function alertSection(a, common, base) {
  const an = a.annotations || {};
  const l = a.labels || {};
  const firing = a.status === "firing";
  const summary = an.summary || an.description || l.alertname || "alert";
  const lines = [`${firing ? ":red_circle:" : ":large_green_circle:"} *${esc(summary, 300)}*`];
  if (an.summary && an.description) lines.push(esc(an.description, 800));
  const extra = extraLabels(a, common).slice(0, 10).map(x => "`" + esc(x, 150) + "`").join(" ");
  if (extra) lines.push(extra);
  const when = firing ? unix(a.startsAt) : unix(a.endsAt);
  const links = [
    when != null ? `${firing ? "since" : "resolved"} <!date^${Math.floor(when)}^{date_short_pretty} {time}|${firing ? a.startsAt : a.endsAt}>` : "",
    httpURL(a.generatorURL) ? link(a.generatorURL, "source") : "",
    httpURL(an.runbook_url) ? link(an.runbook_url, "runbook") : "",
    firing && httpURL(silenceURL(base, a)) ? link(silenceURL(base, a), "silence") : "",
  ].filter(Boolean);
  if (links.length) lines.push(links.join(" · "));
  return section(lines.join("\n"));
}

// title is Alertmanager's own default title: [FIRING:2] group label values.
function title(body, status, n) {
  const gl = body.groupLabels || {};
  const values = Object.keys(gl).sort().map(k => gl[k]).join(" ");
  return `[${status.toUpperCase()}${status === "firing" ? ":" + n : ""}] ${values || body.receiver || "alerts"}`;
}

// extraLabels are an alert's labels that the whole group does not share.
function extraLabels(alert, common) {
  const l = alert.labels || {};
  return Object.keys(l).sort().filter(k => !(k in common)).map(k => `${k}=${l[k]}`);
}

// silenceURL opens Alertmanager's new-silence form for this alert.
function silenceURL(base, alert) {
  const l = alert.labels || {};
  if (!base || !Object.keys(l).length) return "";
  const m = Object.keys(l).sort().map(k => `${k}="${String(l[k]).replace(/["\\]/g, "\\$&")}"`).join(",");
  return `${String(base).replace(/\/$/, "")}/#/silences/new?filter=${encodeURIComponent("{" + m + "}")}`;
}

// unix reads an RFC 3339 time with any fraction ("...26.739266876+02:00");
// null for Alertmanager's zero time or anything unreadable.
function unix(s) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|([+-])(\d\d):(\d\d))$/.exec(String(s || ""));
  if (!m || m[1] === "0001") return null;
  let t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
  if (m[7] !== "Z") t -= (m[8] === "+" ? 1 : -1) * (+m[9] * 3600 + +m[10] * 60);
  return t;
}

// httpURL is u when it is an http(s) URL short enough to link (a silence
// link over long labels is left out rather than cut).
function httpURL(u) {
  u = String(u || "");
  return /^https?:\/\//.test(u) && u.length <= 500 ? u : "";
}

// ---- Slack helpers (the same in every *_to_slack.js script) ----

const SLACK = { blocks: 50, section: 3000, header: 150, context: 10, text: 3000 };

// esc escapes user text for mrkdwn (&, <, > as Slack asks) and keeps it
// within n characters, cut with an ellipsis, never inside an escape.
function esc(s, n) {
  s = s == null ? "" : String(s);
  const full = s.slice(0, n + 1).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  if (full.length <= n) return full;
  return full.slice(0, n - 1).replace(/[\uD800-\uDBFF]$/, "").replace(/&[a-z]*$/, "") + "…";
}

// plain cuts text for plain_text fields (not parsed, so not escaped).
function plain(s, n) {
  s = s == null ? "" : String(s);
  return s.length <= n ? s : s.slice(0, n - 1).replace(/[\uD800-\uDBFF]$/, "") + "…";
}

// link is <url|label>; label must already be escaped.
function link(url, label) {
  if (!url) return label;
  return "<" + String(url).replace(/&/g, "&amp;").replace(/[<>| ]/g, encodeURIComponent) + "|" + label + ">";
}

function firstLine(s) {
  return String(s == null ? "" : s).split("\n")[0];
}

// quote shows user text (a PR body, release notes) as a block quote.
function quote(s, n) {
  return esc(String(s).replace(/\r\n/g, "\n").trim(), n).split("\n").map(l => "> " + l).join("\n");
}

// list joins mrkdwn lines within n characters; total is how many items
// there are in all, so "…and N more" counts what was left out.
function list(lines, total, n) {
  const out = [];
  let len = 0;
  for (const l of lines) {
    if (len + l.length + 1 > n - 40) break;
    out.push(l);
    len += l.length + 1;
  }
  if (total > out.length) out.push(`…and ${total - out.length} more`);
  return out.join("\n");
}

// fit is the last guard for composed mrkdwn: cut at n without leaving half
// a <link|label> or half an escape.
function fit(t, n) {
  if (t.length <= n) return t;
  let c = t.slice(0, n - 1).replace(/[\uD800-\uDBFF]$/, "");
  if (c.lastIndexOf("<") > c.lastIndexOf(">")) c = c.slice(0, c.lastIndexOf("<"));
  return c.replace(/&[a-z]*$/, "") + "…";
}

function section(text) {
  return text ? { type: "section", text: { type: "mrkdwn", text: fit(text, SLACK.section) } } : null;
}

function header(text) {
  return { type: "header", text: { type: "plain_text", text: plain(text, SLACK.header) || "-", emoji: true } };
}

function context(parts) {
  const elements = parts.filter(Boolean).slice(0, SLACK.context).map(t => ({ type: "mrkdwn", text: fit(t, SLACK.section) }));
  return elements.length ? { type: "context", elements: elements } : null;
}

// slackMessage is the message: the fallback text (raw, escaped here; shown
// in notifications) and at most 50 blocks.
function slackMessage(text, blocks) {
  blocks = blocks.filter(Boolean);
  if (blocks.length > SLACK.blocks) {
    const left = blocks.length - (SLACK.blocks - 1);
    blocks = blocks.slice(0, SLACK.blocks - 1).concat([context([`…and ${left} more`])]);
  }
  return { text: esc(text, SLACK.text) || "-", blocks: blocks };
}
