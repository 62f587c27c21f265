// alertmanager_to_discord.js: Prometheus Alertmanager webhook notifications
// (payload version 4) -> a Discord webhook message. Used by
// configs/alertmanager-to-discord.hcl.
//
// One notification is one group of alerts: a red embed for the firing
// alerts and a green one for the resolved, each titled the way Alertmanager
// titles its own messages ([FIRING:2] group labels), with one field per
// alert (summary; description, extra labels, start time and links to the
// source, runbook and a new silence). Long groups are cut ("…and N more",
// counting the alerts Alertmanager itself truncated).
//
// Label and annotation values are escaped for Discord markdown, mentions
// are disabled, and everything is cut to Discord's limits.

const MAX_FIELDS = 6; // per embed; two embeds of six stay well inside 6000 characters

function transform(event) {
  const b = event.body || {};
  const alerts = b.alerts || [];
  const firing = alerts.filter(a => a.status === "firing");
  const resolved = alerts.filter(a => a.status !== "firing");
  const ca = b.commonAnnotations || {};
  const cl = b.commonLabels || {};
  const base = httpURL(b.externalURL) || undefined;
  const summary = [ca.summary ? `**${md(ca.summary, 200)}**` : "", ca.description ? md(ca.description, 300) : ""].filter(Boolean).join("\n");
  const labels = Object.keys(cl).sort().filter(k => !(k in (b.groupLabels || {}))).slice(0, 8).map(k => `${k}=${cl[k]}`).join(" ");
  const embeds = [];
  const groups = [["firing", firing, COLOR.red], ["resolved", resolved, COLOR.green]];
  let truncated = b.truncatedAlerts || 0;
  for (const [status, list, color] of groups) {
    if (!list.length) continue;
    const fields = list.slice(0, MAX_FIELDS).map(a => alertField(a, cl, base));
    let left = list.length - fields.length;
    if (status === "firing") { left += truncated; truncated = 0; }
    if (left > 0) fields.push({ name: "…", value: `and ${left} more ${status} alert${left === 1 ? "" : "s"}` });
    embeds.push({
      title: md(title(b, status, list.length), 250),
      url: base,
      description: embeds.length === 0 ? summary : "",
      color: color,
      fields: fields,
      footer: { text: plain([labels, b.receiver ? "receiver " + b.receiver : ""].filter(Boolean).join(" · "), 300) || "Alertmanager" },
      timestamp: isoTime(status === "firing" ? list[0].startsAt : list[0].endsAt),
    });
  }
  if (!embeds.length) {
    embeds.push({ title: md(title(b, b.status === "firing" ? "firing" : "resolved", 0), 250), url: base, description: summary, color: COLOR.grey });
  }
  return discordMessage(embeds);
}

function alertField(a, common, base) {
  const an = a.annotations || {};
  const l = a.labels || {};
  const firing = a.status === "firing";
  const name = (firing ? "🔴 " : "🟢 ") + md(an.summary || an.description || l.alertname || "alert", 100);
  const parts = [];
  if (an.summary && an.description) parts.push(md(an.description, 250));
  const extra = extraLabels(a, common).slice(0, 6).map(x => "`" + code(x, 60) + "`").join(" ");
  if (extra) parts.push(extra);
  const when = firing ? unix(a.startsAt) : unix(a.endsAt);
  const links = [
    when != null ? `${firing ? "since" : "resolved"} <t:${Math.floor(when)}:R>` : "",
    httpURL(a.generatorURL) ? `[source](${url(a.generatorURL)})` : "",
    httpURL(an.runbook_url) ? `[runbook](${url(an.runbook_url)})` : "",
    firing && httpURL(silenceURL(base, a)) ? `[silence](${url(silenceURL(base, a))})` : "",
  ].filter(Boolean);
  if (links.length) parts.push(links.join(" · "));
  return { name: name, value: parts.join("\n") || "-" };
}

// isoTime is an RFC 3339 time Discord accepts, or undefined.
function isoTime(s) {
  const t = unix(s);
  return t == null ? undefined : new Date(t * 1000).toISOString();
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

// ---- Discord helpers (the same in every *_to_discord.js script) ----

const DISCORD = { content: 2000, embeds: 10, title: 256, description: 4096, fields: 25, name: 256, value: 1024, footer: 2048, author: 256, total: 6000 };
const COLOR = { green: 0x57f287, red: 0xed4245, yellow: 0xfee75c, blurple: 0x5865f2, grey: 0x95a5a6, purple: 0x8957e5 };

// md escapes user text for Discord markdown and keeps it within n
// characters, cut with an ellipsis, never between a backslash and the
// character it escapes.
function md(s, n) {
  s = s == null ? "" : String(s);
  return cutMd(s.slice(0, n + 1).replace(/[\\*_~`|<>#\-\[\]]/g, "\\$&"), n);
}

function cutMd(s, n) {
  if (s.length <= n) return s;
  let c = s.slice(0, n - 1).replace(/[\uD800-\uDBFF]$/, "");
  const tail = c.match(/\\*$/)[0].length;
  if (tail % 2 === 1) c = c.slice(0, -1);
  return c + "…";
}

// code is text inside `backticks`: only backticks need removing.
function code(s, n) {
  return cutMd(String(s == null ? "" : s).slice(0, n + 1).replace(/`/g, "'"), n);
}

function plain(s, n) {
  s = s == null ? "" : String(s);
  return s.length <= n ? s : s.slice(0, n - 1).replace(/[\uD800-\uDBFF]$/, "") + "…";
}

// url is safe inside a masked link [label](url).
function url(u) {
  return String(u || "").replace(/[()<> ]/g, encodeURIComponent);
}

function firstLine(s) {
  return String(s == null ? "" : s).split("\n")[0];
}

// list joins lines within n characters; total is how many items there are
// in all, so "…and N more" counts what was left out.
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

// discordMessage enforces Discord's limits on the finished embeds (the
// last guard; builders already cut their parts) and disables mentions.
function discordMessage(embeds, content) {
  let budget = DISCORD.total;
  const out = [];
  for (const e of embeds.filter(Boolean).slice(0, DISCORD.embeds)) {
    const x = { color: e.color };
    if (e.title) x.title = cutMd(e.title, DISCORD.title);
    if (e.url) x.url = e.url;
    if (e.timestamp) x.timestamp = e.timestamp;
    if (e.author && e.author.name) {
      x.author = { name: plain(e.author.name, DISCORD.author) };
      if (e.author.url) x.author.url = e.author.url;
      if (e.author.icon_url) x.author.icon_url = e.author.icon_url;
    }
    if (e.footer && e.footer.text) x.footer = { text: plain(e.footer.text, DISCORD.footer) };
    let used = (x.title || "").length + (x.author ? x.author.name.length : 0) + (x.footer ? x.footer.text.length : 0);
    if (used > budget) break;
    const fields = [];
    for (const f of (e.fields || []).slice(0, DISCORD.fields)) {
      if (!f || !f.name || !f.value) continue;
      const name = cutMd(String(f.name), DISCORD.name), value = cutMd(String(f.value), DISCORD.value);
      if (used + name.length + value.length > budget - 100) break;
      fields.push({ name: name, value: value, inline: !!f.inline });
      used += name.length + value.length;
    }
    if (fields.length) x.fields = fields;
    if (e.description && budget - used > 10) {
      const d = cutMd(e.description, Math.min(DISCORD.description, budget - used));
      if (d.length > 1) x.description = d;
      used += d.length;
    }
    budget -= used;
    out.push(x);
  }
  const msg = { embeds: out, allowed_mentions: { parse: [] } };
  if (content) msg.content = cutMd(content, DISCORD.content);
  return msg;
}
