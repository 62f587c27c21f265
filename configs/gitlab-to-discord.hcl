# GitLab -> Discord. In GitLab: Settings > Webhooks, URL
# https://YOUR-HOST/hooks/gitlab, secret token from GITLAB_WEBHOOK_TOKEN.
#
#   GITLAB_WEBHOOK_TOKEN=... DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/... \
#     go run ./cmd/hookferry run -c configs/gitlab-to-discord.hcl

pipeline "gitlab-to-discord" {
  source "gitlab" {
    path    = "/hooks/gitlab"
    secrets = [env("GITLAB_WEBHOOK_TOKEN")]
  }

  transform "javascript" {
    file = "../scripts/gitlab_to_discord.js"
  }

  sink "http" "discord" {
    url = env("DISCORD_WEBHOOK_URL")
  }
}
