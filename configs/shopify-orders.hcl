# Shopify orders -> your service, with the topic passed on as a header.
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
