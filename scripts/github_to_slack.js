// github_to_slack.js: a Slack incoming-webhook message for any GitHub
// event. Used by configs/github-to-slack.hcl; run against every GitHub
// payload in the shared corpus by the tests.
//
// event.type is X-GitHub-Event plus the action: "push", "pull_request.opened".
function transform(event) {
  const b = event.body;
  const repo = b.repository ? b.repository.full_name : (b.organization ? b.organization.login : "GitHub");
  const who = b.sender ? b.sender.login : "someone";

  switch (event.type) {
    case "ping":
      return null; // GitHub's hello when a webhook is created: nothing to say

    case "push": {
      const branch = String(b.ref || "").replace(/^refs\/(heads|tags)\//, "");
      const commits = b.commits || [];
      const lines = commits.slice(0, 5).map(c => `• <${c.url}|${c.id.slice(0, 7)}> ${c.message.split("\n")[0]}`);
      if (commits.length > 5) lines.push(`…and ${commits.length - 5} more`);
      return {
        text: `${who} pushed ${commits.length} commit(s) to ${repo}@${branch}`,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: `*${who}* pushed to <${b.compare}|${repo}@${branch}>` } },
          ...(lines.length ? [{ type: "section", text: { type: "mrkdwn", text: lines.join("\n") } }] : []),
        ],
      };
    }

    case "pull_request.opened":
    case "pull_request.closed":
    case "pull_request.reopened": {
      const pr = b.pull_request;
      const verb = event.type === "pull_request.closed" && pr.merged ? "merged" : b.action;
      return { text: `${who} ${verb} PR <${pr.html_url}|#${pr.number} ${pr.title}> in ${repo}` };
    }

    case "issues.opened":
    case "issues.closed":
      return { text: `${who} ${b.action} issue <${b.issue.html_url}|#${b.issue.number} ${b.issue.title}> in ${repo}` };
  }

  // Everything else: one generic line.
  const [kind, action] = event.type.split(".");
  return { text: `${who}: ${kind.replace(/_/g, " ")}${action ? " " + action.replace(/_/g, " ") : ""} in ${repo}` };
}
