# Offline tests of configs/shopify-to-slack.hcl:  hookferry test configs/
# Each case signs an order with the stand-in client secret the way Shopify
# does (X-Shopify-Hmac-Sha256, base64 HMAC-SHA256 of the body), lets the
# shopify source verify it, runs scripts/shopify_to_slack.js and renders the
# Slack incoming-webhook request.
#
# Bodies: testdata/payloads/shopify/*.json, the bodies of the ready script's
# fixtures of the same name in scripts/testdata/shopify_to_slack/: written
# after the orders/create example in Shopify's webhook reference, ids (above
# 2^53) and prices kept. Headers as Shopify sends them.
#
# The script drops nothing on purpose (any topic gets at least one line), so
# there is no dropped case here.
config = "shopify-to-slack.hcl"

env = {
  SHOPIFY_CLIENT_SECRET = "test-shopify-client-secret-not-real"
  SLACK_WEBHOOK_URL     = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
}

case "a new order gives total, customer, items and a link to the order" {
  request {
    headers = {
      "X-Shopify-Topic"       = "orders/create"
      "X-Shopify-Shop-Domain" = "jsmith.myshopify.com"
      "X-Shopify-API-Version" = "2025-01"
      "X-Shopify-Webhook-Id"  = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
      "X-Shopify-Event-Id"    = "98880550-7158-44d4-b7cd-2c97c8a091b5"
    }
    body_file = "testdata/payloads/shopify/order_created.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "sales" {
    messages = 1
    golden   = "testdata/shopify-to-slack/order_created.json"
  }
  assert {
    condition     = event.id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043" && event.type == "orders/create"
    error_message = "the event id is X-Shopify-Webhook-Id and the type X-Shopify-Topic"
  }
  assert {
    condition     = sink.sales[0].body.text == "New order #9999: 403.00 USD from John Smith" && sink.sales[0].body.blocks[0].text.text == ":shopping_trolley: New order #9999 — 403.00 USD"
    error_message = "the fallback and the header give the order name and its total as Shopify gave it"
  }
  assert {
    condition     = strcontains(sink.sales[0].text, "https://admin.shopify.com/store/jsmith/orders/820982911946154508")
    error_message = "the admin link keeps the 64-bit order id exact (not 820982911946154500)"
  }
}

case "a cancelled order is not in the events list" {
  request {
    headers = {
      "X-Shopify-Topic"       = "orders/cancelled"
      "X-Shopify-Shop-Domain" = "jsmith.myshopify.com"
    }
    body_file = "testdata/payloads/shopify/order_cancelled.json"
    sign      = true
  }
  expect {
    status  = 200
    outcome = "filtered"
  }
}

case "an unsigned order is refused" {
  request {
    headers   = { "X-Shopify-Topic" = "orders/create" }
    body_file = "testdata/payloads/shopify/order_created.json"
  }
  expect {
    status = 401
  }
}

case "an order signed with another secret is refused" {
  request {
    headers = {
      "X-Shopify-Topic"       = "orders/create"
      "X-Shopify-Hmac-Sha256" = "kA6p2ZyV8mT1uXw0bN3cQ4dR5eS6fT7gU8hV9iW0jX4="
    }
    body_file = "testdata/payloads/shopify/order_created.json"
  }
  expect {
    status = 401
  }
}
