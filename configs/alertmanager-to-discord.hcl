# Prometheus Alertmanager -> Discord, with scripts/alertmanager_to_discord.js: one
# message per alert group, firing and resolved.
#
# In alertmanager.yml, a receiver with a webhook that sends the token:
#
#   receivers:
#     - name: team-chat
#       webhook_configs:
#         - url: https://YOUR-HOST/hooks/alertmanager
#           send_resolved: true
#           max_alerts: 20
#           http_config:
#             authorization: { credentials_file: /etc/alertmanager/hookferry-token }
#
#   ALERTMANAGER_TOKEN=... DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/... \
#     go run ./cmd/hookferry run -c configs/alertmanager-to-discord.hcl

pipeline "alertmanager-to-discord" {
  source "http" {
    path      = "/hooks/alertmanager"
    type_path = "status" # event.type is "firing" or "resolved"

    token {
      header  = "Authorization"
      prefix  = "Bearer "
      secrets = [env("ALERTMANAGER_TOKEN")]
    }
  }

  transform "javascript" {
    file = "../scripts/alertmanager_to_discord.js"
  }

  sink "discord" "oncall" {
    webhook_url = env("DISCORD_WEBHOOK_URL")
  }
}
