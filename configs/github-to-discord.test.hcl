# Offline tests of configs/github-to-discord.hcl:  hookferry test configs/
# Each case signs a GitHub payload with the stand-in secret the way GitHub
# does (X-Hub-Signature-256), lets the github source verify it, runs
# scripts/github_to_discord.js and renders the Discord webhook request, so
# Discord's limits (embed sizes, 6,000 characters) are checked by the sink.
#
# Bodies: octokit/webhooks examples (testdata/corpus, MIT) as they stand, or
# testdata/payloads/github/*.json where a state the corpus lacks was needed:
# each is the body of the ready script's fixture of the same name in
# scripts/testdata/github_to_slack/, whose comment says what was changed
# (configs/payloads_test.go keeps them equal).
config = "github-to-discord.hcl"

env = {
  GITHUB_WEBHOOK_SECRET = "test-github-secret-not-real"
  DISCORD_WEBHOOK_URL   = "https://discord.com/api/webhooks/100000000000000000/test-discord-token-not-real"
}

case "a push lists its commits in a blurple embed" {
  # with-new-branch.payload.json with three commits (one with markup).
  request {
    headers   = { "X-GitHub-Event" = "push", "X-GitHub-Delivery" = "72d3162e-cc78-11e3-81ab-4c9367dc0958" }
    body_file = "testdata/payloads/github/push.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/push.json"
  }
  assert {
    condition     = sink.dev[0].body.embeds[0].color == 5793266
    error_message = "a push is blurple (0x5865f2)"
  }
  assert {
    condition     = strcontains(sink.dev[0].body.embeds[0].description, "6113728") && strcontains(sink.dev[0].body.embeds[0].description, "a10867b") && strcontains(sink.dev[0].body.embeds[0].description, "f95f852")
    error_message = "the commit list shows each commit's short id"
  }
  assert {
    condition     = length(sink.dev[0].body.allowed_mentions.parse) == 0
    error_message = "mentions are disabled"
  }
}

case "an opened pull request is green" {
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/pull_request/opened.payload.json"
    sign      = true
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/pull_request_opened.json"
  }
  assert {
    condition     = sink.dev[0].body.embeds[0].color == 5763719
    error_message = "an opened pull request is green (0x57f287)"
  }
}

case "a merged pull request is purple" {
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "testdata/payloads/github/pull_request_merged.json"
    sign      = true
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/pull_request_merged.json"
  }
  assert {
    condition     = sink.dev[0].body.embeds[0].color == 9000933 && !strcontains(sink.dev[0].text, "without merging")
    error_message = "a merged pull request is purple (0x8957e5) and not called closed"
  }
}

case "a review request is yellow and names the reviewer" {
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/pull_request/review_requested.payload.json"
    sign      = true
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/pull_request_review_requested.json"
  }
  assert {
    condition     = sink.dev[0].body.embeds[0].color == 16705372 && strcontains(sink.dev[0].text, "requested a review from **octocat**")
    error_message = "a review request is yellow (0xfee75c) and names the reviewer"
  }
}

case "markdown in a pull request is escaped" {
  # opened.payload.json with a title and body full of markup.
  request {
    headers   = { "X-GitHub-Event" = "pull_request" }
    body_file = "testdata/payloads/github/pull_request_opened_markup.json"
    sign      = true
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/pull_request_opened_markup.json"
  }
  assert {
    condition     = strcontains(sink.dev[0].body.embeds[0].title, "Fix \\<script\\> & \\*bold\\* claims @everyone")
    error_message = "the title's markdown is escaped"
  }
}

case "an opened issue" {
  request {
    headers   = { "X-GitHub-Event" = "issues" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/issues/opened.payload.json"
    sign      = true
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/issues_opened.json"
  }
}

case "a published release" {
  # published.payload.json with release notes (the corpus has none).
  request {
    headers   = { "X-GitHub-Event" = "release" }
    body_file = "testdata/payloads/github/release_published.json"
    sign      = true
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/release_published.json"
  }
}

case "a failed workflow run is red and links the run" {
  # workflow_run/completed.payload.json with conclusion "failure".
  request {
    headers   = { "X-GitHub-Event" = "workflow_run" }
    body_file = "testdata/payloads/github/workflow_run_failed.json"
    sign      = true
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/workflow_run_failed.json"
  }
  assert {
    condition     = sink.dev[0].body.embeds[0].color == 15548997 && strcontains(sink.dev[0].body.embeds[0].title, "failed")
    error_message = "a failed run is red (0xed4245) and says failed"
  }
  assert {
    condition     = sink.dev[0].body.embeds[0].url == "https://github.com/octo-org/octo-repo/actions/runs/289782451"
    error_message = "the embed links the run"
  }
}

case "a failed check run" {
  request {
    headers   = { "X-GitHub-Event" = "check_run" }
    body_file = "../testdata/corpus/octokit-webhooks/api.github.com/check_run/completed.1.payload.json"
    sign      = true
  }
  sink "dev" {
    messages = 1
    golden   = "testdata/github-to-discord/check_run_failed.json"
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
  sink "dev" {
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
