# Offline tests of configs/stripe-to-github-dispatch.hcl:  hookferry test configs/
# A paid invoice, signed with the stand-in whsec_ secret the way Stripe does,
# becomes a repository_dispatch request to GitHub's REST API; the github
# sink's rendering checks the fields GitHub requires. The token is a stand-in
# and shows <redacted> in the golden file.
#
# Body: testdata/payloads/stripe/invoice_paid.json, built from
# testdata/corpus/stripe-openapi/fixtures3.json (see testdata/payloads/README.md).
config = "stripe-to-github-dispatch.hcl"

env = {
  STRIPE_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  GITHUB_TOKEN          = "ghp_000000000000000000000000000000000000"
}

case "a paid invoice dispatches invoice-paid to acme/billing" {
  request {
    body_file = "testdata/payloads/stripe/invoice_paid.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "actions" {
    messages = 1
    golden   = "testdata/stripe-to-github-dispatch/invoice_paid.json"
  }
  assert {
    condition     = sink.actions[0].url == "https://api.github.com/repos/acme/billing/dispatches" && sink.actions[0].method == "POST"
    error_message = "the request goes to the repository's dispatches endpoint"
  }
  assert {
    condition     = sink.actions[0].body.event_type == "invoice-paid" && sink.actions[0].body.client_payload.invoice == "in_1Pgc6tB7WZ01zgkWu9fdqL6I" && sink.actions[0].body.client_payload.amount == 1000
    error_message = "the dispatch carries the event type and the invoice's id and amount paid"
  }
}

case "a payment that is not an invoice is not in the events list" {
  request {
    body_file = "testdata/payloads/stripe/payment_succeeded.json"
    sign      = true
  }
  expect {
    status  = 200
    outcome = "filtered"
  }
}

case "an unsigned event is refused" {
  request {
    body_file = "testdata/payloads/stripe/invoice_paid.json"
  }
  expect {
    status = 401
  }
}
