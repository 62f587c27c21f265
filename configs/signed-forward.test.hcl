# Offline tests of configs/signed-forward.hcl:  hookferry test configs/
# Requests carry the stand-in bearer token (sign = true); the body is
# forwarded as it came, signed the Standard Webhooks way with the stand-in
# whsec_ key (webhook-signature and webhook-timestamp change on every
# attempt: the golden file shows <varies>).
#
# Body: a GitLab push (testdata/corpus/go-gitlab-webhooks/push.json,
# xanzy/go-gitlab, Apache-2.0): this example forwards any webhook.
config = "signed-forward.hcl"

env = {
  INBOUND_TOKEN          = "test-inbound-token-not-real"
  FORWARD_URL            = "https://service.example.test/hooks"
  FORWARD_SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
}

case "a webhook is forwarded signed, its body untouched" {
  request {
    body_file = "../testdata/corpus/go-gitlab-webhooks/push.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "service" {
    messages = 1
    golden   = "testdata/signed-forward/push.json"
  }
  assert {
    condition     = can(regex("^msg_.+_0$", sink.service[0].headers["webhook-id"]))
    error_message = "webhook-id names the delivery and the message's place in it (the same on every retry), so the service can de-duplicate"
  }
  assert {
    condition     = startswith(sink.service[0].headers["webhook-signature"], "v1,")
    error_message = "the request is signed with a v1 (HMAC-SHA256) signature"
  }
  assert {
    condition     = sink.service[0].body.checkout_sha == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7" && length(sink.service[0].body.commits) == 2
    error_message = "the body is the webhook as it came"
  }
}

case "a request without the token is refused" {
  request {
    body_file = "../testdata/corpus/go-gitlab-webhooks/push.json"
  }
  expect {
    status = 401
  }
}
