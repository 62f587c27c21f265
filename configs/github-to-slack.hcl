# GitHub -> Slack (incoming webhook), with scripts/github_to_slack.js: Block
# Kit messages for pushes, pull requests, issues, releases and failed
# workflow and check runs.
#
# In the GitHub webhook settings: payload URL https://YOUR-HOST/hooks/github,
# content type application/json, the secret you put in GITHUB_WEBHOOK_SECRET,
# and the events: pushes, pull requests, issues, releases, workflow runs,
# check runs.
#
#   GITHUB_WEBHOOK_SECRET=... SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... \
#     go run ./cmd/hookferry run -c configs/github-to-slack.hcl

pipeline "github-to-slack" {
  source "github" {
    path    = "/hooks/github"
    secrets = [env("GITHUB_WEBHOOK_SECRET")] # add the new one here while rotating
    events = [
      "push",
      "pull_request.opened", "pull_request.reopened", "pull_request.closed", "pull_request.review_requested",
      "issues.opened", "issues.closed", "issues.reopened",
      "release.published",
      "workflow_run.completed", "check_run.completed", # the script keeps only the failed ones
    ]
  }

  transform "javascript" {
    file = "../scripts/github_to_slack.js"
  }

  sink "slack" "eng" {
    webhook_url = env("SLACK_WEBHOOK_URL")
  }
}
