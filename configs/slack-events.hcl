# Slack Events API and slash commands -> your service. Point the app's
# Event Subscriptions and slash command Request URL at
# https://YOUR-HOST/hooks/slack; hookferry answers Slack's url_verification
# handshake itself.
#
#   SLACK_SIGNING_SECRET=... EVENTS_URL=https://internal.example/slack \
#     go run ./cmd/hookferry run -c configs/slack-events.hcl

pipeline "slack-events" {
  source "slack" {
    path    = "/hooks/slack"
    secrets = [env("SLACK_SIGNING_SECRET")]
    events  = ["app_mention", "message", "slash_command"]
  }

  transform "javascript" {
    file = "../scripts/slack_events.js"
  }

  sink "http" "service" {
    url = env("EVENTS_URL")
  }
}
