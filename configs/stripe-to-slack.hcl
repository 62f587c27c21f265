# Stripe -> Slack: payments and invoices into a channel.
#
#   STRIPE_WEBHOOK_SECRET=whsec_... SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... \
#     go run ./cmd/hookferry run -c configs/stripe-to-slack.hcl

pipeline "stripe-to-slack" {
  source "stripe" {
    path      = "/hooks/stripe"
    secrets   = [env("STRIPE_WEBHOOK_SECRET")]
    tolerance = "300s"
    events    = ["invoice.*", "payment_intent.succeeded", "charge.refunded"]
  }

  transform "javascript" {
    file = "../scripts/stripe_to_slack.js"
  }

  sink "http" "slack" {
    url = env("SLACK_WEBHOOK_URL")
  }
}
