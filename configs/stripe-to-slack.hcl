# Stripe -> Slack, with scripts/stripe_to_slack.js: payments succeeded and
# failed, disputes opened, subscriptions created and cancelled.
#
# In the Stripe dashboard: Developers > Webhooks, endpoint
# https://YOUR-HOST/hooks/stripe, the events listed below; its signing
# secret goes in STRIPE_WEBHOOK_SECRET.
#
#   STRIPE_WEBHOOK_SECRET=whsec_... SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... \
#     go run ./cmd/hookferry run -c configs/stripe-to-slack.hcl

pipeline "stripe-to-slack" {
  source "stripe" {
    path      = "/hooks/stripe"
    secrets   = [env("STRIPE_WEBHOOK_SECRET")]
    tolerance = "300s"
    events = [
      "payment_intent.succeeded", "payment_intent.payment_failed",
      "charge.dispute.created",
      "customer.subscription.created", "customer.subscription.deleted",
    ]
  }

  transform "javascript" {
    file = "../scripts/stripe_to_slack.js"
  }

  sink "slack" "billing" {
    webhook_url = env("SLACK_WEBHOOK_URL")
  }
}
