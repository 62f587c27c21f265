# Offline tests of configs/github-to-slack.hcl:  hookferry test configs/
# Each case signs a GitHub payload with the stand-in secret the way GitHub
# does (X-Hub-Signature-256), lets the github source verify it, runs
# scripts/github_to_slack.js and renders the Slack incoming-webhook request.
#
# Bodies: octokit/webhooks examples (testdata/corpus, MIT) as they stand, or
# testdata/payloads/github/*.json where a state the corpus lacks was needed
# (a failed run, a merged pull request): each is the body of the ready
# script's fixture of the same name in scripts/testdata/github_to_slack/,
# whose comment says what was changed (configs/payloads_test.go keeps them
# equal).
config = "github-to-slack.hcl"

env = {
  GITHUB_WEBHOOK_SECRET = "test-github-secret-not-real"
  SLACK_WEBHOOK_URL     = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
}

case "a push lists its commits" {
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
    golden   = "testdata/github-to-slack/push.json"
  }
  assert {
    condition     = sink.eng[0].body.text == "Codertocat pushed 3 commits to Codertocat/Hello-World:master"
    error_message = "the fallback text says who pushed how many commits where"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.blocks[1].text.text, "`6113728`") && strcontains(sink.eng[0].body.blocks[1].text.text, "`a10867b`") && strcontains(sink.eng[0].body.blocks[1].text.text, "`f95f852`")
    error_message = "the commit list shows each commit's short id"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.blocks[1].text.text, "Add &lt;CONTRIBUTING&gt; &amp; code of conduct")
    error_message = "commit messages are escaped for mrkdwn"
  }
}

case "an opened pull request shows its body" {
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/pull_request/opened.payload.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack/pull_request_opened.json"
  }
}

case "a merged pull request says merged" {
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "testdata/payloads/github/pull_request_merged.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack/pull_request_merged.json"
  }
  assert {
    condition     = startswith(sink.eng[0].body.text, "Codertocat merged pull request #2") && !strcontains(sink.eng[0].text, "without merging")
    error_message = "a merged pull request is reported as merged, not closed"
  }
}

case "a review request names the reviewer" {
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/pull_request/review_requested.payload.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack/pull_request_review_requested.json"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.blocks[0].text.text, "requested a review from *octocat*")
    error_message = "the reviewer is named"
  }
}

case "markup in a pull request is escaped" {
  # opened.payload.json with a title and body full of Slack markup.
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "testdata/payloads/github/pull_request_opened_markup.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack/pull_request_opened_markup.json"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.blocks[1].text.text, "> &lt;!channel&gt; see &lt;https://evil.example|here&gt;") && !strcontains(sink.eng[0].body.blocks[1].text.text, "<!channel>")
    error_message = "a mention or link from the payload's body reaches Slack escaped, never live"
  }
  assert {
    condition     = !strcontains(sink.eng[0].body.text, "<script>") && !strcontains(sink.eng[0].body.blocks[0].text.text, "<script>")
    error_message = "the title is escaped in the fallback and the blocks"
  }
}

case "an opened issue" {
  request {
    headers   = { "X-GitHub-Event" = "issues" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/issues/opened.payload.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack/issues_opened.json"
  }
}

case "a published release" {
  # published.payload.json with release notes (the corpus has none).
  request {
    headers   = { "X-GitHub-Event" = "release" }
    body_file = "testdata/payloads/github/release_published.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack/release_published.json"
  }
  assert {
    condition     = sink.eng[0].body.blocks[0].type == "header"
    error_message = "a release opens with a header block"
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
    golden   = "testdata/github-to-slack/workflow_run_failed.json"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.text, "failed") && strcontains(sink.eng[0].body.text, "https://github.com/octo-org/octo-repo/actions/runs/289782451")
    error_message = "the fallback says the run failed and links it"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.blocks[0].text.text, "<https://github.com/octo-org/octo-repo/actions/runs/289782451|run #163>")
    error_message = "the message links the run by its number"
  }
}

case "a failed check run" {
  request {
    headers   = { "X-GitHub-Event" = "check_run" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/check_run/completed.1.payload.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/github-to-slack/check_run_failed.json"
  }
}

case "a successful workflow run is dropped" {
  request {
    headers   = { "X-GitHub-Event" = "workflow_run" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/workflow_run/completed.payload.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "eng" {
    messages = 0
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

case "a star is not in the events list" {
  request {
    headers   = { "X-GitHub-Event" = "star" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/star/created.payload.json"
    sign      = true
  }
  expect {
    status  = 200
    outcome = "filtered"
  }
}

case "an unsigned request is refused" {
  request {
    headers   = { "X-GitHub-Event" = "push" }
    body_file = "testdata/payloads/github/push.json"
  }
  expect {
    status = 401
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
