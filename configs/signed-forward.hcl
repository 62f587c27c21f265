# Forward any webhook to an internal service, signed the Standard Webhooks
# way so the service can verify and de-duplicate it, and refuse to send to
# private or loopback addresses (SSRF guard for URLs built from config).
#
#   INBOUND_TOKEN=... FORWARD_URL=https://service.example/hooks FORWARD_SIGNING_SECRET=whsec_... \
#     go run ./cmd/hookferry run -c configs/signed-forward.hcl

egress {
  deny_private = true
}

pipeline "signed-forward" {
  source "http" {
    path = "/hooks/in"
    token {
      secrets = [env("INBOUND_TOKEN")]
      prefix  = "Bearer "
    }
  }

  sink "http" "service" {
    url = env("FORWARD_URL")
    signing {
      secret = env("FORWARD_SIGNING_SECRET")
    }
  }
}
