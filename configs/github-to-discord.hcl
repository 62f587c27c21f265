# GitHub -> Discord, with scripts/github_to_discord.js: one embed per event,
# coloured by outcome, for pushes, pull requests, issues, releases and
# failed workflow and check runs.
#
# In the GitHub webhook settings: payload URL https://YOUR-HOST/hooks/github,
# content type application/json, the secret you put in GITHUB_WEBHOOK_SECRET.
# In Discord: channel settings > Integrations > Webhooks > New webhook, copy URL.
#
#   GITHUB_WEBHOOK_SECRET=... DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/... \
#     go run ./cmd/hookferry run -c configs/github-to-discord.hcl

pipeline "github-to-discord" {
  source "github" {
    path    = "/hooks/github"
    secrets = [env("GITHUB_WEBHOOK_SECRET")]
    events = [
      "push",
      "pull_request.opened", "pull_request.reopened", "pull_request.closed", "pull_request.review_requested",
      "issues.opened", "issues.closed", "issues.reopened",
      "release.published",
      "workflow_run.completed", "check_run.completed", # the script keeps only the failed ones
    ]
  }

  transform "javascript" {
    file = "../scripts/github_to_discord.js"
  }

  sink "discord" "dev" {
    webhook_url = env("DISCORD_WEBHOOK_URL")
  }
}
