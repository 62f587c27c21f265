# The demo pipeline: needs no secret and no other service.
#
#   go run ./cmd/hookferry run -c configs/demo.hcl
#   curl -i -X POST http://127.0.0.1:8080/hooks/demo \
#        -H 'Content-Type: application/json' -d '{"action":"opened","number":7}'
#
# Each accepted webhook is reshaped by scripts/demo.js and printed to stdout
# as one JSON line by the log sink.

server {
  listen = "127.0.0.1:8080"
}

# hookferry deliveries / replay talk to this. On loopback it needs no
# token; anywhere else, add token = env("HOOKFERRY_ADMIN_TOKEN").
admin {
  listen = "127.0.0.1:8089"
}

pipeline "demo" {
  source "http" {
    path = "/hooks/demo"
    # No token or hmac: anyone who can reach the port may post. Fine for a
    # demo on 127.0.0.1; a real source checks a token or signature.
    allow_unauthenticated = true
  }

  transform "javascript" {
    file = "../scripts/demo.js"
  }

  sink "log" "stdout" {}
}
