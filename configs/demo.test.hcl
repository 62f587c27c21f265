# Offline tests of configs/demo.hcl:  hookferry test configs/
# Each case sends its request through the source, scripts/demo.js and the
# log sink's rendering; nothing is sent anywhere.
config = "demo.hcl"

case "a pull request event is summarised" {
  request {
    body = jsonencode({ action = "opened", number = 7 })
  }
  expect {
    status = 202
  }
  sink "stdout" {
    messages = 1
    golden   = "testdata/demo/opened.json"
  }
  assert {
    condition     = sink.stdout[0].body.summary == "webhook with 2 field(s)"
    error_message = "the summary counts the body's fields"
  }
}

case "a GitHub push says who pushed where" {
  request {
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/push/payload.json"
  }
  sink "stdout" {
    messages = 1
    assert {
      condition     = startswith(sink.stdout[0].body.summary, "Codertocat pushed 0 commit(s) to Codertocat/Hello-World")
      error_message = "the push summary names the pusher and the repository"
    }
  }
}

case "drop = true drops the event" {
  request {
    body = jsonencode({ drop = true })
  }
  sink "stdout" {
    messages = 0
  }
}

case "a GET is refused" {
  request {
    method = "GET"
  }
  expect {
    status = 405
  }
}
