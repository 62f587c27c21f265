// gitlab_to_discord.js: GitLab webhooks -> a Discord webhook message (one
// embed, coloured by outcome). Used by configs/gitlab-to-discord.hcl and
// configs/gitlab-to-discord-sink.hcl.
//
// event.type is object_kind plus "." and object_attributes.action when
// there is one ("push", "merge_request.merge", "pipeline"). Messages for:
// pushes (with the commit list), tag pushes, merge requests opened /
// reopened / closed / merged / approved, and failed pipelines (with their
// failed jobs). Other pipeline states and merge request updates are
// dropped; any other event gets one generic embed.
//
// User text is escaped for Discord markdown, mentions are disabled
// (allowed_mentions), and every field is cut to Discord's limits with an
// ellipsis.

const ZERO = "0000000000000000000000000000000000000000";

function transform(event) {
  const b = event.body || {};
  const p = b.project || {};
  const project = p.path_with_namespace || (b.repository && b.repository.name) || "GitLab";
  const web = p.web_url || undefined;
  const u = b.user || { username: b.user_username, name: b.user_name, avatar_url: b.user_avatar };
  const who = u.username || u.name || "someone";
  const author = { name: who, icon_url: /^https?:\/\//.test(u.avatar_url || "") ? u.avatar_url : undefined };
  const footer = { text: project };
  const attrs = b.object_attributes || {};
  const kind = String(event.type || "").split(".")[0];

  if (kind === "push" || kind === "tag_push") {
    const name = String(b.ref || "").replace(/^refs\/(heads|tags)\//, "");
    const what = kind === "tag_push" ? "tag" : "branch";
    if (b.after === ZERO) {
      return discordMessage([{ title: `${md(who, 100)} deleted ${what} ${md(name, 120)}`, url: web, color: COLOR.red, author: author, footer: footer }]);
    }
    const commits = b.commits || [];
    const total = Math.max(b.total_commits_count || 0, commits.length);
    if (kind === "tag_push" || total === 0) {
      return discordMessage([{
        title: `${md(who, 100)} pushed ${what} ${md(name, 120)}`,
        url: web ? `${web}/-/tree/${encodeURIComponent(name)}` : undefined,
        color: COLOR.blurple, author: author, footer: footer,
      }]);
    }
    const lines = commits.slice(0, 20).map(c =>
      `[\`${String(c.id).slice(0, 8)}\`](${url(c.url)}) ${md(c.title || firstLine(c.message), 200)}${c.author && c.author.name ? " — " + md(c.author.name, 100) : ""}`);
    return discordMessage([{
      title: `${total} new commit${total === 1 ? "" : "s"} pushed to ${md(name, 120)}`,
      url: web && b.before && b.before !== ZERO ? `${web}/-/compare/${b.before}...${b.after}` : web,
      description: list(lines, total, DISCORD.description),
      color: COLOR.blurple,
      author: author,
      footer: { text: project + (b.before === ZERO ? " · new branch" : "") },
    }]);
  }

  if (kind === "merge_request") {
    const verbs = { open: "opened", reopen: "reopened", close: "closed", merge: "merged", approved: "approved" };
    const verb = verbs[attrs.action];
    if (!verb) return null; // update, approval, unapproval: too chatty for a channel
    const colors = { open: COLOR.green, reopen: COLOR.green, close: COLOR.red, merge: COLOR.purple, approved: COLOR.green };
    const fields = [];
    if (attrs.target_branch) fields.push({ name: "Branches", value: `\`${code(attrs.target_branch, 200)}\` ← \`${code(attrs.source_branch, 200)}\``, inline: true });
    const labels = (b.labels || []).slice(0, 10).map(l => md(l.title, 50)).join(", ");
    if (labels) fields.push({ name: "Labels", value: labels, inline: true });
    const reviewers = (b.reviewers || []).slice(0, 10).map(r => md(r.username || r.name, 100)).join(", ");
    if (reviewers) fields.push({ name: "Reviewers", value: reviewers, inline: true });
    return discordMessage([{
      title: `Merge request ${verb}: !${attrs.iid == null ? "?" : attrs.iid} ${md(attrs.title || "", 200)}`,
      url: attrs.url || web,
      description: attrs.action === "open" ? md(attrs.description, 1500) : "",
      color: colors[attrs.action],
      author: author,
      fields: fields,
      footer: footer,
      timestamp: iso(attrs.updated_at),
    }]);
  }

  if (kind === "pipeline") {
    if (attrs.status !== "failed") return null; // pipelines are news when they fail
    const purl = attrs.url || (web && attrs.id != null ? `${web}/-/pipelines/${attrs.id}` : web);
    const failed = (b.builds || []).filter(j => j.status === "failed");
    const jobs = failed.slice(0, 20).map(j => {
      const name = md(j.name, 200);
      return `• ${web && j.id != null ? `[${name}](${url(web + "/-/jobs/" + j.id)})` : name} (${md(j.stage, 100)})${j.failure_reason ? " " + md(j.failure_reason, 100) : ""}${j.allow_failure ? " — allowed to fail" : ""}`;
    });
    const commit = b.commit || {};
    const fields = [{ name: "Ref", value: `\`${code(attrs.ref, 200)}\``, inline: true }];
    if (commit.id) fields.push({ name: "Commit", value: `[\`${String(commit.id).slice(0, 8)}\`](${url(commit.url)}) ${md(firstLine(commit.title || commit.message), 300)}` });
    return discordMessage([{
      title: `Pipeline #${attrs.id} failed`,
      url: purl,
      description: jobs.length ? "**Failed jobs**\n" + list(jobs, failed.length, 3000) : "",
      color: COLOR.red,
      author: author,
      fields: fields,
      footer: footer,
      timestamp: iso(attrs.finished_at),
    }]);
  }

  const what = String(event.type || "event").replace(/[._]/g, " ");
  const title = attrs.title || attrs.name || "";
  return discordMessage([{
    title: `${md(what, 100)}${title ? ": " + md(firstLine(title), 150) : ""}`,
    url: attrs.url || web,
    description: md(attrs.description || attrs.note, 1000),
    color: COLOR.grey,
    author: author,
    footer: footer,
  }]);
}

// iso turns GitLab's "2016-08-12 15:23:28 UTC" (or an ISO time) into ISO 8601.
function iso(s) {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.\d+)?(?: UTC|Z)$/.exec(String(s || ""));
  return m ? `${m[1]}T${m[2]}Z` : undefined;
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
