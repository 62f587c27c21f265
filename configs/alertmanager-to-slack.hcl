# Prometheus Alertmanager -> Slack, with scripts/alertmanager_to_slack.js: one
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
#   ALERTMANAGER_TOKEN=... SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... \
#     go run ./cmd/hookferry run -c configs/alertmanager-to-slack.hcl

pipeline "alertmanager-to-slack" {
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
    file = "../scripts/alertmanager_to_slack.js"
  }

  sink "slack" "oncall" {
    webhook_url = env("SLACK_WEBHOOK_URL")
  }
}
