# Offline tests of configs/shopify-orders.hcl:  hookferry test configs/
# Signed orders (X-Shopify-Hmac-Sha256 with the stand-in client secret) are
# forwarded to your service as they came, with the topic as a header.
#
# Bodies: testdata/payloads/shopify/*.json, the bodies of the ready script's
# fixtures of the same name in scripts/testdata/shopify_to_slack/ (written
# after the orders/create example in Shopify's webhook reference).
config = "shopify-orders.hcl"

env = {
  SHOPIFY_CLIENT_SECRET = "test-shopify-client-secret-not-real"
  ORDERS_URL            = "https://orders.example.test/hooks/shopify"
}

case "a new order is forwarded with its topic" {
  request {
    headers = {
      "X-Shopify-Topic"       = "orders/create"
      "X-Shopify-Shop-Domain" = "jsmith.myshopify.com"
      "X-Shopify-Webhook-Id"  = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    }
    body_file = "testdata/payloads/shopify/order_created.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "orders" {
    messages = 1
    golden   = "testdata/shopify-orders/order_created.json"
  }
  assert {
    condition     = sink.orders[0].headers["x-shopify-topic"] == "orders/create"
    error_message = "the topic travels as X-Shopify-Topic"
  }
  # Numeric ids above 2^53 go out byte for byte, like the string ids.
  assert {
    condition     = strcontains(sink.orders[0].text, "\"id\":820982911946154508") && !strcontains(sink.orders[0].text, "820982911946154500")
    error_message = "the 64-bit order id reaches the service exact"
  }
  assert {
    condition     = sink.orders[0].body.admin_graphql_api_id == "gid://shopify/Order/820982911946154508" && sink.orders[0].body.customer.admin_graphql_api_id == "gid://shopify/Customer/115310627314723954"
    error_message = "the string ids reach the service exact"
  }
}

case "a cancelled order matches orders/*" {
  request {
    headers = {
      "X-Shopify-Topic"       = "orders/cancelled"
      "X-Shopify-Shop-Domain" = "jsmith.myshopify.com"
    }
    body_file = "testdata/payloads/shopify/order_cancelled.json"
    sign      = true
  }
  sink "orders" {
    messages = 1
  }
  assert {
    condition     = sink.orders[0].headers["x-shopify-topic"] == "orders/cancelled"
    error_message = "the topic travels as X-Shopify-Topic"
  }
}

case "a product update is not in the events list" {
  request {
    headers = { "X-Shopify-Topic" = "products/update" }
    body    = jsonencode({ id = 632910392, title = "IPod Nano - 8GB", admin_graphql_api_id = "gid://shopify/Product/632910392" })
    sign    = true
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
