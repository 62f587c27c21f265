# GitHub -> Slack through the Web API (chat.postMessage), for threads and
# bot identity; paced at Slack's one message per second by default.
#
#   GITHUB_WEBHOOK_SECRET=... SLACK_BOT_TOKEN=xoxb-... \
#     go run ./cmd/hookferry run -c configs/github-to-slack-api.hcl

pipeline "github-to-slack-api" {
  source "github" {
    path    = "/hooks/github"
    secrets = [env("GITHUB_WEBHOOK_SECRET")]
    events  = ["push", "pull_request.*", "issues.*", "release.published", "workflow_run.completed", "check_run.completed"]
  }

  transform "javascript" {
    file = "../scripts/github_to_slack.js"
  }

  sink "slack" "eng" {
    token   = env("SLACK_BOT_TOKEN")
    channel = "#eng"
    retry { max_attempts = 10 }
  }
}
