# Shopify -> Slack, with scripts/shopify_to_slack.js: a message per new
# order (total, customer, items, shipping, a link to the order in the admin).
#
# In Shopify: Settings > Notifications > Webhooks (or your app's webhook
# subscriptions), topic orders/create, format JSON, URL
# https://YOUR-HOST/hooks/shopify; the signing secret (the app's client
# secret) goes in SHOPIFY_CLIENT_SECRET.
#
#   SHOPIFY_CLIENT_SECRET=... SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... \
#     go run ./cmd/hookferry run -c configs/shopify-to-slack.hcl

pipeline "shopify-to-slack" {
  source "shopify" {
    path    = "/hooks/shopify"
    secrets = [env("SHOPIFY_CLIENT_SECRET")]
    events  = ["orders/create"] # the script also formats orders/paid, orders/cancelled, orders/fulfilled
  }

  transform "javascript" {
    file = "../scripts/shopify_to_slack.js"
  }

  sink "slack" "sales" {
    webhook_url = env("SLACK_WEBHOOK_URL")
  }
}
