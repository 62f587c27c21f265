# Forward webhooks to an HTTP endpoint, with a shared token on the way in
# and headers set by a transform on the way out.
#
#   INBOUND_TOKEN=... FORWARD_URL=https://example.test/hook \
#     go run ./cmd/hookferry run -c configs/forward.hcl

server {
  listen        = "127.0.0.1:8081"
  max_body_size = "1MiB"
}

pipeline "forward" {
  source "http" {
    path        = "/hooks/forward"
    type_header = "X-Event-Type"

    token {
      header  = "Authorization"
      prefix  = "Bearer "
      secrets = [env("INBOUND_TOKEN")]
    }
  }

  # Split a batch ({"items": [...]}) into one message per item.
  transform "javascript" {
    file = "../scripts/split_items.js"
  }

  sink "http" "downstream" {
    url     = env("FORWARD_URL", "http://127.0.0.1:9000/hook")
    timeout = "5s"
    headers = {
      "X-Forwarded-By" = "hookferry"
    }

    # Transforms inside a sink run after the pipeline's, for this sink only.
    transform "javascript" {
      code = <<-JS
        function transform(event) {
          return message(event.body, { headers: { "X-Hookferry-Event": event.id } });
        }
      JS
    }

    retry {
      max_attempts = 5
      initial      = "500ms"
      max          = "30s"
    }
  }
}
