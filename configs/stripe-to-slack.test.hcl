# Offline tests of configs/stripe-to-slack.hcl:  hookferry test configs/
# Each case signs a Stripe event with the stand-in whsec_ secret the way
# Stripe does (Stripe-Signature: t=...,v1=...), lets the stripe source verify
# it within its 300s tolerance, runs scripts/stripe_to_slack.js and renders
# the Slack incoming-webhook request.
#
# Bodies: testdata/payloads/stripe/*.json, the bodies of the ready script's
# fixtures of the same name in scripts/testdata/stripe_to_slack/: Stripe
# event envelopes built from testdata/corpus/stripe-openapi/fixtures3.json
# (stripe/openapi, MIT); each fixture's comment says what was set.
#
# The script drops nothing on purpose (every Stripe event gets at least a
# generic line), so there is no dropped case here.
config = "stripe-to-slack.hcl"

env = {
  STRIPE_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  SLACK_WEBHOOK_URL     = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
}

case "a payment succeeded" {
  request {
    body_file = "testdata/payloads/stripe/payment_succeeded.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "billing" {
    messages = 1
    golden   = "testdata/stripe-to-slack/payment_succeeded.json"
  }
  assert {
    condition     = event.id == "evt_3PgcA1B7WZ01zgkW0bq5lJ1s" && event.type == "payment_intent.succeeded"
    error_message = "the event id and type come from the Stripe event"
  }
  assert {
    condition     = sink.billing[0].body.text == "Payment of 10.99 USD succeeded (test mode)"
    error_message = "the fallback gives the amount in dollars, not cents, and says test mode"
  }
}

case "a failed payment gives the decline reason" {
  request {
    body_file = "testdata/payloads/stripe/payment_failed.json"
    sign      = true
  }
  sink "billing" {
    messages = 1
    golden   = "testdata/stripe-to-slack/payment_failed.json"
  }
  assert {
    condition     = strcontains(sink.billing[0].body.text, "failed") && strcontains(sink.billing[0].text, "card_declined / insufficient_funds")
    error_message = "a failed payment says failed and gives the decline codes"
  }
  assert {
    condition     = strcontains(sink.billing[0].text, "https://dashboard.stripe.com/test/payments/pi_1PgafyB7WZ01zgkWSjxsAJo3")
    error_message = "the payment links to the test-mode dashboard"
  }
}

case "a dispute opened" {
  request {
    body_file = "testdata/payloads/stripe/dispute_created.json"
    sign      = true
  }
  sink "billing" {
    messages = 1
    golden   = "testdata/stripe-to-slack/dispute_created.json"
  }
  assert {
    condition     = sink.billing[0].body.blocks[1].fields[2].text == "*Evidence due*\n<!date^1723679999^{date_short_pretty}|2024-08-14>"
    error_message = "the evidence deadline is a Slack date in the reader's time zone, with a fallback"
  }
}

case "a subscription created" {
  request {
    body_file = "testdata/payloads/stripe/subscription_created.json"
    sign      = true
  }
  sink "billing" {
    messages = 1
    golden   = "testdata/stripe-to-slack/subscription_created.json"
  }
}

case "a subscription cancelled gives the customer's reason, escaped" {
  request {
    body_file = "testdata/payloads/stripe/subscription_cancelled.json"
    sign      = true
  }
  sink "billing" {
    messages = 1
    golden   = "testdata/stripe-to-slack/subscription_cancelled.json"
  }
  assert {
    condition     = sink.billing[0].body.blocks[1].fields[5].text == "*Comment*\nToo expensive for &lt;our&gt; team &amp; budget"
    error_message = "the cancellation comment is escaped for mrkdwn"
  }
}

case "a paid invoice is not in the events list" {
  request {
    body_file = "testdata/payloads/stripe/invoice_paid.json"
    sign      = true
  }
  expect {
    status  = 200
    outcome = "filtered"
  }
}

case "an unsigned event is refused" {
  request {
    body_file = "testdata/payloads/stripe/payment_succeeded.json"
  }
  expect {
    status = 401
  }
}

case "a foreign, stale Stripe-Signature is refused" {
  request {
    headers = {
      "Stripe-Signature" = "t=1721954054,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
    }
    body_file = "testdata/payloads/stripe/payment_succeeded.json"
  }
  expect {
    status = 401
  }
}
