# GitLab -> Discord with the discord sink: Discord's limits are checked
# before sending, and its rate-limit answers are honoured.
#
#   GITLAB_WEBHOOK_TOKEN=... DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/... \
#     go run ./cmd/hookferry run -c configs/gitlab-to-discord-sink.hcl

pipeline "gitlab-to-discord-sink" {
  source "gitlab" {
    path    = "/hooks/gitlab"
    secrets = [env("GITLAB_WEBHOOK_TOKEN")]
  }

  transform "javascript" {
    file = "../scripts/gitlab_to_discord.js"
  }

  sink "discord" "ops" {
    webhook_url = env("DISCORD_WEBHOOK_URL")
    wait        = true
  }
}
