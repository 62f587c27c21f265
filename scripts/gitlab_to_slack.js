// gitlab_to_slack.js: GitLab webhooks -> a Slack message (Block Kit blocks
// with a plain-text fallback). Used by configs/gitlab-to-slack.hcl.
//
// event.type is object_kind plus "." and object_attributes.action when
// there is one ("push", "merge_request.merge", "pipeline"). Messages for:
// pushes (with the commit list), tag pushes, merge requests opened /
// reopened / closed / merged / approved, and failed pipelines (with their
// failed jobs). Other pipeline states and merge request updates are
// dropped; any other event gets one generic line.
//
// User text is escaped for Slack's mrkdwn (&, <, >) and everything is cut
// to Slack's limits with an ellipsis.

const ZERO = "0000000000000000000000000000000000000000";

function transform(event) {
  const b = event.body || {};
  const p = b.project || {};
  const project = p.path_with_namespace || (b.repository && b.repository.name) || "GitLab";
  const web = p.web_url || "";
  const who = b.user ? (b.user.username || b.user.name) : (b.user_username || b.user_name || "someone");
  const attrs = b.object_attributes || {};
  const kind = String(event.type || "").split(".")[0];

  if (kind === "push" || kind === "tag_push") {
    const ref = String(b.ref || "");
    const name = ref.replace(/^refs\/(heads|tags)\//, "");
    const what = kind === "tag_push" ? "tag" : "branch";
    const at = link(web ? `${web}/-/tree/${encodeURIComponent(name)}` : "", `${esc(project, 200)}:${esc(name, 200)}`);
    if (b.after === ZERO) {
      return slackMessage(`${who} deleted ${what} ${name} in ${project}`, [
        section(`:wastebasket: *${esc(who, 100)}* deleted ${what} \`${esc(name, 200)}\` in ${link(web, esc(project, 200))}`),
      ]);
    }
    const commits = b.commits || [];
    const total = Math.max(b.total_commits_count || 0, commits.length);
    if (kind === "tag_push" || total === 0) {
      return slackMessage(`${who} pushed ${what} ${name} in ${project}`, [section(`:label: *${esc(who, 100)}* pushed ${what} ${at}`)]);
    }
    const compare = web && b.before && b.before !== ZERO ? `${web}/-/compare/${b.before}...${b.after}` : "";
    const lines = commits.slice(0, 20).map(c =>
      `${link(c.url, "`" + String(c.id).slice(0, 8) + "`")} ${esc(c.title || firstLine(c.message), 300)}${c.author && c.author.name ? " — " + esc(c.author.name, 100) : ""}`);
    const n = `${total} commit${total === 1 ? "" : "s"}`;
    return slackMessage(`${who} pushed ${n} to ${project}:${name}`, [
      section(`:arrow_up: *${esc(who, 100)}* pushed ${link(compare, n)} to ${at}${b.before === ZERO ? " (new branch)" : ""}`),
      section(list(lines, total, SLACK.section)),
    ]);
  }

  if (kind === "merge_request") {
    const verbs = { open: "opened", reopen: "reopened", close: "closed", merge: "merged", approved: "approved" };
    const verb = verbs[attrs.action];
    if (!verb) return null; // update, approval, unapproval: too chatty for a channel
    const icon = { open: ":large_green_circle:", reopen: ":arrows_counterclockwise:", close: ":no_entry_sign:", merge: ":twisted_rightwards_arrows:", approved: ":white_check_mark:" }[attrs.action];
    const ref = link(attrs.url, `!${attrs.iid == null ? "?" : attrs.iid} ${esc(attrs.title || "merge request", 500)}`);
    const labels = (b.labels || []).slice(0, 10).map(l => "`" + esc(l.title, 50) + "`").join(" ");
    const reviewers = (b.reviewers || []).slice(0, 10).map(r => esc(r.username || r.name, 100)).join(", ");
    return slackMessage(`${who} ${verb} merge request !${attrs.iid} ${attrs.title || ""} in ${project}`, [
      section(`${icon} *${esc(who, 100)}* ${verb} merge request ${ref}`),
      attrs.action === "open" && attrs.description ? section(quote(attrs.description, 1500)) : null,
      context([
        link(web, esc(project, 200)),
        attrs.target_branch ? `\`${esc(attrs.target_branch, 200)}\` ← \`${esc(attrs.source_branch, 200)}\`` : "",
        labels,
        reviewers ? "reviewers: " + reviewers : "",
      ]),
    ]);
  }

  if (kind === "pipeline") {
    if (attrs.status !== "failed") return null; // pipelines are news when they fail
    const url = attrs.url || (web && attrs.id != null ? `${web}/-/pipelines/${attrs.id}` : "");
    const failed = (b.builds || []).filter(j => j.status === "failed");
    const jobs = failed.slice(0, 20).map(j =>
      `• ${link(web && j.id != null ? `${web}/-/jobs/${j.id}` : "", esc(j.name, 200))} (${esc(j.stage, 100)})${j.failure_reason ? " " + esc(j.failure_reason, 100) : ""}${j.allow_failure ? " — allowed to fail" : ""}`);
    const commit = b.commit || {};
    return slackMessage(`Pipeline #${attrs.id} failed on ${attrs.ref} in ${project}: ${url}`, [
      section(`:x: ${link(url, `Pipeline #${attrs.id}`)} *failed* on \`${esc(attrs.ref, 200)}\` in ${link(web, esc(project, 200))}`),
      jobs.length ? section("*Failed jobs*\n" + list(jobs, failed.length, SLACK.section - 20)) : null,
      context([
        commit.id ? link(commit.url, String(commit.id).slice(0, 8)) + " " + esc(firstLine(commit.title || commit.message), 300) : "",
        `by ${esc(who, 100)}`,
        attrs.source ? `source ${esc(attrs.source, 100)}` : "",
        typeof attrs.duration === "number" ? `${attrs.duration}s` : "",
      ]),
    ]);
  }

  // Everything else: one generic line, linked to the object when it has a URL.
  const what = String(event.type || "event").replace(/[._]/g, " ");
  const title = attrs.title || attrs.name || attrs.note || "";
  return slackMessage(`${who}: ${what} in ${project}${title ? ": " + firstLine(title) : ""}`, [
    section(`*${esc(who, 100)}*: ${esc(what, 200)} in ${link(web, esc(project, 200))}${title ? ": " + link(attrs.url, esc(firstLine(title), 500)) : ""}`),
  ]);
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
