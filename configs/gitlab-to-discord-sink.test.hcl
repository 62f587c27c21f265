# Offline tests of configs/gitlab-to-discord-sink.hcl:  hookferry test configs/
# Each case sends a GitLab payload with the stand-in X-Gitlab-Token
# (sign = true) and runs scripts/gitlab_to_discord.js. The discord sink checks Discord's limits before sending and, with
# wait = true, asks Discord to answer with the message (?wait=true).
#
# Bodies: xanzy/go-gitlab webhook examples (testdata/corpus, Apache-2.0) as
# they stand, or testdata/payloads/gitlab/*.json: the bodies of the ready
# script's fixtures of the same name (scripts/testdata/gitlab_to_slack/,
# whose comments say what was changed; configs/payloads_test.go keeps them
# equal). The config has no events list: every GitLab event reaches the
# script.
config = "gitlab-to-discord-sink.hcl"

env = {
  GITLAB_WEBHOOK_TOKEN = "test-gitlab-token-not-real"
  DISCORD_WEBHOOK_URL  = "https://discord.com/api/webhooks/100000000000000000/test-discord-token-not-real"
}

case "a push lists its commits in a blurple embed" {
  request {
    headers   = { "X-Gitlab-Event" = "Push Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/push.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "ops" {
    messages = 1
    golden   = "testdata/gitlab-to-discord-sink/push.json"
  }
  assert {
    condition     = sink.ops[0].body.embeds[0].color == 5793266
    error_message = "a push is blurple (0x5865f2)"
  }
  assert {
    condition     = strcontains(sink.ops[0].body.embeds[0].description, "b6568db1") && strcontains(sink.ops[0].body.embeds[0].description, "da156088") && strcontains(sink.ops[0].body.embeds[0].description, "…and 2 more")
    error_message = "the push lists its commits' short ids and says how many are left out"
  }
}

case "an opened merge request is green" {
  request {
    headers   = { "X-Gitlab-Event" = "Merge Request Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/merge_request.json"
    sign      = true
  }
  sink "ops" {
    messages = 1
    golden   = "testdata/gitlab-to-discord-sink/merge_request_opened.json"
  }
  assert {
    condition     = sink.ops[0].body.embeds[0].color == 5763719
    error_message = "an opened merge request is green (0x57f287)"
  }
}

case "a failed pipeline is red, links the pipeline and lists the failed job" {
  # pipeline.json with status "failed" and the test-image job failed.
  request {
    headers   = { "X-Gitlab-Event" = "Pipeline Hook" }
    body_file = "testdata/payloads/gitlab/pipeline_failed.json"
    sign      = true
  }
  sink "ops" {
    messages = 1
    golden   = "testdata/gitlab-to-discord-sink/pipeline_failed.json"
  }
  assert {
    condition     = sink.ops[0].body.embeds[0].color == 15548997 && strcontains(sink.ops[0].body.embeds[0].title, "failed")
    error_message = "a failed pipeline is red (0xed4245) and says failed"
  }
  assert {
    condition     = sink.ops[0].body.embeds[0].url == "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31"
    error_message = "the embed links the pipeline"
  }
  assert {
    condition     = strcontains(sink.ops[0].body.embeds[0].description, "[test\\-image](") && !strcontains(sink.ops[0].text, "build")
    error_message = "only the failed job is listed (escaped for Discord markdown)"
  }
}

case "a passed pipeline is dropped" {
  request {
    headers   = { "X-Gitlab-Event" = "Pipeline Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/pipeline.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "ops" {
    messages = 0
  }
}

case "a merge request update is dropped" {
  request {
    headers   = { "X-Gitlab-Event" = "Merge Request Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/service_merge_request.json"
    sign      = true
  }
  sink "ops" {
    messages = 0
  }
}

case "a request without the token is refused" {
  request {
    headers   = { "X-Gitlab-Event" = "Push Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/push.json"
  }
  expect {
    status = 401
  }
}
