# Offline tests of configs/github-to-slack-api.hcl:  hookferry test configs/
# The same script as github-to-slack (scripts/github_to_slack.js), sent
# through Slack's Web API: the slack sink adds the channel and the bot token
# (redacted in golden files) and posts to chat.postMessage.
#
# Bodies: octokit/webhooks examples (testdata/corpus, MIT), or
# testdata/payloads/github/*.json (see github-to-slack.test.hcl).
config = "github-to-slack-api.hcl"

env = {
  GITHUB_WEBHOOK_SECRET = "test-github-secret-not-real"
  SLACK_BOT_TOKEN       = "xoxb-000000000000-0000000000000-testtokennotreal"
}

case "a push is posted to the channel with chat.postMessage" {
  # with-new-branch.payload.json with three commits (one with markup).
  request {
    headers   = { "X-GitHub-Event" = "push", "X-GitHub-Delivery" = "72d3162e-cc78-11e3-81ab-4c9367dc0958" }
    body_file = "testdata/payloads/github/push.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack-api/push.json"
  }
  assert {
    condition     = sink.eng[0].url == "https://slack.com/api/chat.postMessage" && sink.eng[0].body.channel == "#eng"
    error_message = "the message goes to chat.postMessage for #eng"
  }
  assert {
    condition     = sink.eng[0].headers.authorization == "Bearer xoxb-000000000000-0000000000000-testtokennotreal"
    error_message = "the bot token is sent as a bearer token"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.blocks[1].text.text, "`6113728`") && strcontains(sink.eng[0].body.blocks[1].text.text, "`f95f852`")
    error_message = "the commit list shows the commits' short ids"
  }
}

case "a failed workflow run says failed and links the run" {
  # workflow_run/completed.payload.json with conclusion "failure".
  request {
    headers   = { "X-GitHub-Event" = "workflow_run" }
    body_file = "testdata/payloads/github/workflow_run_failed.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack-api/workflow_run_failed.json"
  }
  assert {
    condition     = startswith(sink.eng[0].body.text, "Workflow CI failed") && strcontains(sink.eng[0].body.blocks[0].text.text, "|run #163>")
    error_message = "the message says the workflow failed and links the run"
  }
}

case "a pull request update outside the script's list gets one generic line" {
  # This config's events take every pull_request action; the script has a
  # message for a few and one line for the others.
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/pull_request/synchronize.payload.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
  }
  assert {
    condition     = sink.eng[0].body.text == "Codertocat: pull request synchronize in Codertocat/Hello-World"
    error_message = "an action without its own message gets the generic line"
  }
}

case "a successful check run is dropped" {
  request {
    headers   = { "X-GitHub-Event" = "check_run" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/check_run/completed.payload.json"
    sign      = true
  }
  sink "eng" {
    messages = 0
  }
}

case "a ping is not in the events list" {
  request {
    headers   = { "X-GitHub-Event" = "ping" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/ping/payload.json"
    sign      = true
  }
  expect {
    status  = 200
    outcome = "filtered"
  }
}

case "a request signed with another secret is refused" {
  request {
    headers = {
      "X-GitHub-Event"      = "push"
      "X-Hub-Signature-256" = "sha256=0b1e5a3c6f4d2e8a9b7c1d0e3f5a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a"
    }
    body_file = "testdata/payloads/github/push.json"
  }
  expect {
    status = 401
  }
}
