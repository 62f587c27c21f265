# Shopify orders -> your service, with the topic passed on as a header.
#
# The transform re-encodes the body as JavaScript sees it: Shopify's numeric
# ids are 64-bit and come out rounded (820982911946154508 becomes
# 820982911946154500). Have the service read the string ids
# (admin_graphql_api_id, "gid://shopify/Order/820982911946154508"), or drop
# the transform to forward the body byte for byte (without the header).
#
#   SHOPIFY_CLIENT_SECRET=... ORDERS_URL=https://internal.example/orders \
#     go run ./cmd/hookferry run -c configs/shopify-orders.hcl

pipeline "shopify-orders" {
  source "shopify" {
    path    = "/hooks/shopify"
    secrets = [env("SHOPIFY_CLIENT_SECRET")]
    events  = ["orders/*"]
  }

  transform "javascript" {
    code = <<-JS
      function transform(event) {
        return message(event.body, { headers: { "X-Shopify-Topic": event.type } });
      }
    JS
  }

  sink "http" "orders" {
    url = env("ORDERS_URL")
  }
}
