// github_to_discord.js: GitHub webhooks -> a Discord webhook message (one
// embed, coloured by outcome). Used by configs/github-to-discord.hcl.
//
// event.type is X-GitHub-Event plus "." and the action ("push",
// "pull_request.closed"). Messages for: push (with the commit list), pull
// requests opened / merged / closed / reopened / review requested, issues
// opened / closed / reopened, releases published, failed workflow runs and
// failed check runs. Successful runs and pings are dropped; any other event
// gets one generic embed (narrow them with the source's `events` list).
//
// User text is escaped for Discord markdown, mentions are disabled
// (allowed_mentions), and every field is cut to Discord's limits (title
// 256, description 4096, field 1024, 6000 in all) with an ellipsis.

const FAILED = ["failure", "timed_out", "startup_failure"];

function transform(event) {
  const b = event.body || {};
  const repo = b.repository ? b.repository.full_name : (b.organization ? b.organization.login : "GitHub");
  const repoURL = b.repository ? b.repository.html_url : undefined;
  const who = b.sender ? b.sender.login : "someone";
  const author = b.sender ? { name: b.sender.login, url: b.sender.html_url, icon_url: b.sender.avatar_url } : undefined;
  const footer = { text: repo };

  switch (event.type) {
    case "ping":
      return null;

    case "push":
      return push(b, repo, repoURL, who, author);

    case "pull_request.opened":
    case "pull_request.reopened":
    case "pull_request.ready_for_review":
    case "pull_request.closed":
    case "pull_request.review_requested": {
      const pr = b.pull_request || {};
      let verb = b.action.replace(/_/g, " "), color = COLOR.green;
      if (b.action === "closed") {
        verb = pr.merged ? "merged" : "closed without merging";
        color = pr.merged ? COLOR.purple : COLOR.red;
      }
      if (pr.draft && b.action === "opened") color = COLOR.grey;
      let description = b.action === "opened" || b.action === "ready_for_review" ? md(pr.body, 1500) : "";
      if (b.action === "review_requested") {
        const reviewer = b.requested_reviewer ? b.requested_reviewer.login : (b.requested_team ? b.requested_team.name : "someone");
        verb = "requested review";
        color = COLOR.yellow;
        description = `**${md(who, 100)}** requested a review from **${md(reviewer, 100)}**`;
      }
      const fields = [];
      if (pr.base && pr.head) fields.push({ name: "Branches", value: `\`${code(pr.base.ref, 200)}\` ← \`${code(pr.head.ref, 200)}\``, inline: true });
      if (typeof pr.changed_files === "number") fields.push({ name: "Changes", value: `${pr.changed_files} file(s), +${pr.additions} −${pr.deletions}`, inline: true });
      return discordMessage([{
        title: `Pull request ${verb}: #${pr.number} ${md(pr.title, 200)}`,
        url: pr.html_url,
        description: description,
        color: color,
        author: author,
        fields: fields,
        footer: footer,
        timestamp: pr.updated_at || undefined,
      }]);
    }

    case "issues.opened":
    case "issues.closed":
    case "issues.reopened": {
      const is = b.issue || {};
      const labels = (is.labels || []).slice(0, 10).map(l => md(l.name, 50)).join(", ");
      return discordMessage([{
        title: `Issue ${b.action}: #${is.number} ${md(is.title, 200)}`,
        url: is.html_url,
        description: b.action === "opened" ? md(is.body, 1500) : "",
        color: b.action === "closed" ? COLOR.purple : COLOR.green,
        author: author,
        fields: labels ? [{ name: "Labels", value: labels, inline: true }] : [],
        footer: footer,
        timestamp: is.updated_at || undefined,
      }]);
    }

    case "release.published": {
      const r = b.release || {};
      const name = r.name || r.tag_name;
      return discordMessage([{
        title: `${r.prerelease ? "Pre-release" : "Release"} published: ${md(repo, 100)} ${md(name, 100)}`,
        url: r.html_url,
        description: md(r.body, 3000),
        color: COLOR.blurple,
        author: author,
        fields: [{ name: "Tag", value: `\`${code(r.tag_name, 200)}\``, inline: true }],
        footer: footer,
        timestamp: r.published_at || undefined,
      }]);
    }

    case "workflow_run.completed": {
      const run = b.workflow_run || {};
      if (FAILED.indexOf(run.conclusion) < 0) return null;
      const name = run.name || (b.workflow && b.workflow.name) || run.display_title || "workflow";
      const fields = [
        { name: "Branch", value: `\`${code(run.head_branch, 200)}\``, inline: true },
        { name: "Run", value: `[#${run.run_number}](${url(run.html_url)})`, inline: true },
      ];
      if (run.head_commit) fields.push({ name: "Commit", value: `[\`${String(run.head_sha).slice(0, 7)}\`](${url(repoURL + "/commit/" + run.head_sha)}) ${md(firstLine(run.head_commit.message), 300)}` });
      return discordMessage([{
        title: `Workflow ${md(name, 200)} failed` + (run.conclusion === "failure" ? "" : ` (${run.conclusion})`),
        url: run.html_url,
        description: run.display_title && run.display_title !== name ? md(run.display_title, 500) : "",
        color: COLOR.red,
        author: run.actor ? { name: run.actor.login, url: run.actor.html_url, icon_url: run.actor.avatar_url } : author,
        fields: fields,
        footer: footer,
        timestamp: run.updated_at || undefined,
      }]);
    }

    case "check_run.completed": {
      const cr = b.check_run || {};
      if (FAILED.indexOf(cr.conclusion) < 0) return null;
      const out = cr.output || {};
      const fields = [];
      if (cr.check_suite && cr.check_suite.head_branch) fields.push({ name: "Branch", value: `\`${code(cr.check_suite.head_branch, 200)}\``, inline: true });
      if (cr.head_sha && repoURL) fields.push({ name: "Commit", value: `[\`${String(cr.head_sha).slice(0, 7)}\`](${url(repoURL + "/commit/" + cr.head_sha)})`, inline: true });
      if (cr.details_url && cr.details_url !== cr.html_url) fields.push({ name: "Details", value: url(cr.details_url), inline: true });
      return discordMessage([{
        title: `Check ${md(cr.name, 200)} failed` + (cr.conclusion === "failure" ? "" : ` (${cr.conclusion})`),
        url: cr.html_url,
        description: [out.title ? `**${md(out.title, 300)}**` : "", md(out.summary, 2000)].filter(Boolean).join("\n"),
        color: COLOR.red,
        author: author,
        fields: fields,
        footer: footer,
        timestamp: cr.completed_at || undefined,
      }]);
    }

    case "workflow_run.requested":
    case "workflow_run.in_progress":
    case "check_run.created":
    case "check_run.rerequested":
    case "check_run.requested_action":
      return null; // runs are news when they fail
  }

  const parts = String(event.type || "event").split(".");
  const what = parts[0].replace(/_/g, " ") + (parts[1] ? " " + parts[1].replace(/_/g, " ") : "");
  return discordMessage([{ title: `${md(what, 100)} in ${md(repo, 140)}`, url: repoURL, color: COLOR.grey, author: author }]);
}

function push(b, repo, repoURL, who, author) {
  const ref = String(b.ref || "");
  const name = ref.replace(/^refs\/(heads|tags)\//, "");
  const kind = ref.indexOf("refs/tags/") === 0 ? "tag" : "branch";
  const pusher = (b.pusher && b.pusher.name) || who;
  if (b.deleted) {
    return discordMessage([{ title: `${md(pusher, 100)} deleted ${kind} ${md(name, 120)}`, url: repoURL, color: COLOR.red, author: author, footer: { text: repo } }]);
  }
  const commits = b.commits || [];
  const n = commits.length;
  const title = n === 0
    ? `${md(pusher, 100)} pushed ${kind} ${md(name, 120)}`
    : `${n} new commit${n === 1 ? "" : "s"} ${b.forced ? "force-pushed" : "pushed"} to ${md(name, 120)}`;
  const lines = commits.slice(0, 20).map(c => {
    const a = c.author ? (c.author.username || c.author.name) : "";
    return `[\`${String(c.id).slice(0, 7)}\`](${url(c.url)}) ${md(firstLine(c.message), 200)}${a ? " — " + md(a, 100) : ""}`;
  });
  return discordMessage([{
    title: title,
    url: b.compare,
    description: list(lines, n, DISCORD.description),
    color: b.forced ? COLOR.yellow : COLOR.blurple,
    author: author,
    footer: { text: repo + (b.created ? ` · new ${kind}` : "") },
    timestamp: b.head_commit ? b.head_commit.timestamp || undefined : undefined,
  }]);
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
