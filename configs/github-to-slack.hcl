# GitHub -> Slack. In the GitHub webhook settings: payload URL
# https://YOUR-HOST/hooks/github, content type application/json, and the
# secret you put in GITHUB_WEBHOOK_SECRET.
#
#   GITHUB_WEBHOOK_SECRET=... SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... \
#     go run ./cmd/hookferry run -c configs/github-to-slack.hcl

pipeline "github-to-slack" {
  source "github" {
    path    = "/hooks/github"
    secrets = [env("GITHUB_WEBHOOK_SECRET")]   # add the new one here while rotating
    events  = ["push", "pull_request.*", "issues.*"]
  }

  transform "javascript" {
    file = "../scripts/github_to_slack.js"
  }

  sink "http" "slack" {
    url = env("SLACK_WEBHOOK_URL")
  }
}
