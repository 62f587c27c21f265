# Offline tests of configs/forward.hcl:  hookferry test configs/
# Requests carry the stand-in bearer token (sign = true); scripts/split_items.js
# splits a batch into one message per item, and the sink's own transform tags
# each with the event id. Bodies are small inline documents: this example
# forwards any JSON.
config = "forward.hcl"

env = {
  INBOUND_TOKEN = "test-inbound-token-not-real"
  FORWARD_URL   = "https://downstream.example.test/hook"
}

case "a batch is split into one request per item" {
  request {
    headers = { "X-Event-Type" = "order.batch", "Idempotency-Key" = "batch-2024-07-26-0001" }
    body    = jsonencode({ items = [{ sku = "A-1", qty = 2 }, { sku = "B-7", qty = 1 }, { sku = "C-3", qty = 5 }] })
    sign    = true
  }
  expect {
    status = 202
  }
  sink "downstream" {
    messages = 3
    golden   = "testdata/forward/batch.json"
  }
  assert {
    condition     = event.type == "order.batch" && event.id == "batch-2024-07-26-0001"
    error_message = "the type comes from X-Event-Type and the id from Idempotency-Key"
  }
  assert {
    condition     = sink.downstream[2].body == { index = 2, of = 3, item = { sku = "C-3", qty = 5 } }
    error_message = "each item is wrapped with its place in the batch"
  }
  assert {
    condition     = sink.downstream[0].headers["x-hookferry-event"] == "batch-2024-07-26-0001" && sink.downstream[0].headers["x-forwarded-by"] == "hookferry"
    error_message = "each request carries the sink's static header and the event id the sink's transform set"
  }
}

case "a single document passes through unchanged" {
  request {
    headers = { "X-Event-Type" = "order.created" }
    body    = jsonencode({ order = "A-1042", total = "19.90", currency = "EUR" })
    sign    = true
  }
  sink "downstream" {
    messages = 1
  }
  assert {
    condition     = sink.downstream[0].body == { order = "A-1042", total = "19.90", currency = "EUR" }
    error_message = "a body without items is forwarded as it came"
  }
}

case "an empty batch sends nothing" {
  request {
    body = jsonencode({ items = [] })
    sign = true
  }
  expect {
    status = 202
  }
  sink "downstream" {
    messages = 0
  }
}

case "a request without the token is refused" {
  request {
    body = jsonencode({ items = [{ sku = "A-1" }] })
  }
  expect {
    status = 401
  }
}

case "a request with another token is refused" {
  request {
    headers = { "Authorization" = "Bearer not-the-token" }
    body    = jsonencode({ items = [{ sku = "A-1" }] })
  }
  expect {
    status = 401
  }
}
