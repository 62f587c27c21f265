# Shopify orders -> your service, with the topic passed on as a header.
#
# Shopify's numeric ids are 64-bit, beyond what a JavaScript number holds
# exactly: the transform runtime reads them as BigInt and writes untouched
# ones back byte for byte (820982911946154508 stays 820982911946154508).
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
