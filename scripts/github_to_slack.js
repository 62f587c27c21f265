// github_to_slack.js: GitHub webhooks -> a Slack message (Block Kit blocks
// with a plain-text fallback), for an incoming webhook or chat.postMessage.
// Used by configs/github-to-slack.hcl and configs/github-to-slack-api.hcl.
//
// event.type is X-GitHub-Event plus "." and the action ("push",
// "pull_request.closed"). Messages for: push (with the commit list), pull
// requests opened / merged / closed / reopened / review requested, issues
// opened / closed / reopened, releases published, failed workflow runs and
// failed check runs. Successful runs and pings are dropped; any other event
// gets one generic line (narrow them with the source's `events` list).
//
// User text is escaped for Slack's mrkdwn (&, <, >) and everything is cut
// to Slack's limits (50 blocks, 3000 characters a section, 150 a header)
// with an ellipsis, so a huge PR body never makes Slack refuse the message.

const FAILED = ["failure", "timed_out", "startup_failure"];

function transform(event) {
  const b = event.body || {};
  const repo = b.repository ? b.repository.full_name : (b.organization ? b.organization.login : "GitHub");
  const repoURL = b.repository ? b.repository.html_url : "";
  const who = b.sender ? b.sender.login : "someone";
  const where = context([link(repoURL, esc(repo, 200)), `by ${esc(who, 100)}`]);

  switch (event.type) {
    case "ping":
      return null; // GitHub's hello when a webhook is created: nothing to say

    case "push":
      return push(b, repo, repoURL, who);

    case "pull_request.opened":
    case "pull_request.reopened":
    case "pull_request.ready_for_review":
    case "pull_request.closed":
    case "pull_request.review_requested": {
      const pr = b.pull_request || {};
      const ref = link(pr.html_url, `#${pr.number} ${esc(pr.title, 500)}`);
      let verb = b.action.replace(/_/g, " "), icon = ":arrow_heading_up:";
      if (b.action === "closed") {
        verb = pr.merged ? "merged" : "closed without merging";
        icon = pr.merged ? ":twisted_rightwards_arrows:" : ":no_entry_sign:";
      }
      let line = `${icon} *${esc(who, 100)}* ${verb} pull request ${ref}`;
      let fallback = `${who} ${verb} pull request #${pr.number} ${pr.title} in ${repo}`;
      if (b.action === "review_requested") {
        const reviewer = b.requested_reviewer ? b.requested_reviewer.login : (b.requested_team ? b.requested_team.name : "someone");
        line = `:eyes: *${esc(who, 100)}* requested a review from *${esc(reviewer, 100)}* on ${ref}`;
        fallback = `${who} requested a review from ${reviewer} on #${pr.number} ${pr.title} in ${repo}`;
      }
      const branches = pr.base && pr.head ? `\`${esc(pr.base.ref, 200)}\` ← \`${esc(pr.head.ref, 200)}\`` : "";
      const size = typeof pr.changed_files === "number" ? `${pr.changed_files} file(s), +${pr.additions} −${pr.deletions}` : "";
      const showBody = b.action === "opened" || b.action === "ready_for_review";
      return slackMessage(fallback, [
        section(line),
        showBody && pr.body ? section(quote(pr.body, 1500)) : null,
        context([link(repoURL, esc(repo, 200)), branches, size, pr.draft ? "draft" : ""]),
      ]);
    }

    case "issues.opened":
    case "issues.closed":
    case "issues.reopened": {
      const is = b.issue || {};
      const icon = { opened: ":large_green_circle:", closed: ":white_check_mark:", reopened: ":arrows_counterclockwise:" }[b.action];
      const labels = (is.labels || []).slice(0, 10).map(l => "`" + esc(l.name, 50) + "`").join(" ");
      return slackMessage(`${who} ${b.action} issue #${is.number} ${is.title} in ${repo}`, [
        section(`${icon} *${esc(who, 100)}* ${b.action} issue ${link(is.html_url, `#${is.number} ${esc(is.title, 500)}`)}`),
        b.action === "opened" && is.body ? section(quote(is.body, 1500)) : null,
        context([link(repoURL, esc(repo, 200)), labels]),
      ]);
    }

    case "release.published": {
      const r = b.release || {};
      const name = r.name || r.tag_name;
      return slackMessage(`${repo} ${name} released`, [
        header(`${repo} ${name}`),
        section(`:rocket: *${esc(who, 100)}* published ${r.prerelease ? "pre-release" : "release"} ${link(r.html_url, esc(name, 300))} (tag \`${esc(r.tag_name, 200)}\`)`),
        r.body ? section(quote(r.body, 2000)) : null,
        where,
      ]);
    }

    case "workflow_run.completed": {
      const run = b.workflow_run || {};
      if (FAILED.indexOf(run.conclusion) < 0) return null;
      const name = run.name || (b.workflow && b.workflow.name) || run.display_title || "workflow";
      const commit = run.head_commit ? firstLine(run.head_commit.message) : "";
      return slackMessage(`Workflow ${name} failed (${run.conclusion}) on ${run.head_branch} in ${repo}: ${run.html_url}`, [
        section(`:x: Workflow *${esc(name, 300)}* ${run.conclusion === "failure" ? "failed" : "failed: " + esc(run.conclusion, 50)} on \`${esc(run.head_branch, 200)}\` — ${link(run.html_url, `run #${run.run_number}`)}`),
        context([
          link(repoURL, esc(repo, 200)),
          run.head_sha ? link(`${repoURL}/commit/${run.head_sha}`, String(run.head_sha).slice(0, 7)) + (commit ? " " + esc(commit, 300) : "") : "",
          run.actor ? `by ${esc(run.actor.login, 100)}` : "",
          run.event ? `on ${esc(run.event, 50)}` : "",
        ]),
      ]);
    }

    case "check_run.completed": {
      const cr = b.check_run || {};
      if (FAILED.indexOf(cr.conclusion) < 0) return null;
      const out = cr.output || {};
      const branch = cr.check_suite ? cr.check_suite.head_branch : "";
      return slackMessage(`Check ${cr.name} failed (${cr.conclusion}) in ${repo}: ${cr.html_url}`, [
        section(`:x: Check *${link(cr.html_url, esc(cr.name, 300))}* ${cr.conclusion === "failure" ? "failed" : "failed: " + esc(cr.conclusion, 50)}${branch ? ` on \`${esc(branch, 200)}\`` : ""}`),
        out.title || out.summary ? section([out.title ? `*${esc(out.title, 300)}*` : "", out.summary ? quote(out.summary, 1500) : ""].filter(Boolean).join("\n")) : null,
        context([
          link(repoURL, esc(repo, 200)),
          cr.head_sha ? link(`${repoURL}/commit/${cr.head_sha}`, String(cr.head_sha).slice(0, 7)) : "",
          cr.app ? `app ${esc(cr.app.name, 100)}` : "",
          cr.details_url && cr.details_url !== cr.html_url ? link(cr.details_url, "details") : "",
        ]),
      ]);
    }

    case "workflow_run.requested":
    case "workflow_run.in_progress":
    case "check_run.created":
    case "check_run.rerequested":
    case "check_run.requested_action":
      return null; // runs are news when they fail
  }

  // Everything else: one generic line.
  const parts = String(event.type || "event").split(".");
  const what = parts[0].replace(/_/g, " ") + (parts[1] ? " " + parts[1].replace(/_/g, " ") : "");
  return slackMessage(`${who}: ${what} in ${repo}`, [section(`*${esc(who, 100)}*: ${esc(what, 200)} in ${link(repoURL, esc(repo, 200))}`)]);
}

function push(b, repo, repoURL, who) {
  const ref = String(b.ref || "");
  const name = ref.replace(/^refs\/(heads|tags)\//, "");
  const kind = ref.indexOf("refs/tags/") === 0 ? "tag" : "branch";
  const pusher = (b.pusher && b.pusher.name) || who;
  const at = link(repoURL ? `${repoURL}/tree/${encodeURIComponent(name)}` : "", `${esc(repo, 200)}:${esc(name, 200)}`);
  if (b.deleted) {
    return slackMessage(`${pusher} deleted ${kind} ${name} in ${repo}`, [
      section(`:wastebasket: *${esc(pusher, 100)}* deleted ${kind} \`${esc(name, 200)}\` in ${link(repoURL, esc(repo, 200))}`),
    ]);
  }
  const commits = b.commits || [];
  if (commits.length === 0) {
    return slackMessage(`${pusher} pushed ${kind} ${name} in ${repo}`, [
      section(`:label: *${esc(pusher, 100)}* pushed ${kind} ${at}`),
    ]);
  }
  const verb = b.forced ? "force-pushed" : "pushed";
  const n = commits.length;
  const lines = commits.slice(0, 20).map(c => {
    const author = c.author ? (c.author.username || c.author.name) : "";
    return `${link(c.url, "`" + String(c.id).slice(0, 7) + "`")} ${esc(firstLine(c.message), 300)}${author ? " — " + esc(author, 100) : ""}`;
  });
  return slackMessage(`${pusher} ${verb} ${n} commit${n === 1 ? "" : "s"} to ${repo}:${name}`, [
    section(`:arrow_up: *${esc(pusher, 100)}* ${verb} ${link(b.compare, `${n} commit${n === 1 ? "" : "s"}`)} to ${at}${b.created ? " (new " + kind + ")" : ""}`),
    section(list(lines, n, SLACK.section)),
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
