# Offline tests of configs/standard-webhooks.hcl:  hookferry test configs/
# Each case signs the body with the stand-in whsec_ key the way the Standard
# Webhooks specification says (webhook-id, webhook-timestamp,
# webhook-signature "v1,<base64 HMAC-SHA256>"), lets the standardwebhooks
# source verify it, and renders what the log sink prints.
#
# Body: the example payload of the Standard Webhooks specification
# (github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md),
# inline below, with the message id of its examples.
config = "standard-webhooks.hcl"

env = {
  STANDARD_WEBHOOKS_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
}

case "a signed message is verified and logged" {
  request {
    headers = { "webhook-id" = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W" }
    body    = jsonencode({ type = "contact.created", timestamp = "2022-11-03T20:26:10.344522Z", data = { id = "1f81eb52-5198-4599-803e-771906343485", type = "contact" } })
    sign    = true
  }
  expect {
    status = 202
  }
  sink "stdout" {
    messages = 1
    golden   = "testdata/standard-webhooks/contact_created.json"
  }
  assert {
    condition     = event.id == "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W" && event.type == "contact.created"
    error_message = "the id is webhook-id and the type the body's type"
  }
}

case "an unsigned message is refused" {
  request {
    headers = { "webhook-id" = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W" }
    body    = jsonencode({ type = "contact.created", data = { id = "1f81eb52-5198-4599-803e-771906343485" } })
  }
  expect {
    status = 401
  }
}

case "a message signed with another key is refused" {
  request {
    headers = {
      "webhook-id"        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
      "webhook-timestamp" = "1614265330"
      "webhook-signature" = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    }
    body = jsonencode({ test = 2432232314 })
  }
  expect {
    status = 401
  }
}
