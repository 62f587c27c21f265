# Offline tests of configs/gitlab-to-slack.hcl:  hookferry test configs/
# Each case sends a GitLab payload with the stand-in X-Gitlab-Token
# (sign = true), runs scripts/gitlab_to_slack.js and renders the Slack
# incoming-webhook request.
#
# Bodies: xanzy/go-gitlab webhook examples (testdata/corpus, Apache-2.0) as
# they stand, or testdata/payloads/gitlab/*.json where a state the corpus
# lacks was needed (a failed pipeline, a merged merge request): each is the
# body of the ready script's fixture of the same name in
# scripts/testdata/gitlab_to_slack/, whose comment says what was changed
# (configs/payloads_test.go keeps them equal).
config = "gitlab-to-slack.hcl"

env = {
  GITLAB_WEBHOOK_TOKEN = "test-gitlab-token-not-real"
  SLACK_WEBHOOK_URL    = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
}

case "a push lists its commits" {
  request {
    headers   = { "X-Gitlab-Event" = "Push Hook", "X-Gitlab-Event-UUID" = "9cfd1b3c-4b1c-4f4e-9b1a-6c1e2f3a4b5c" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/push.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/gitlab-to-slack/push.json"
  }
  assert {
    condition     = event.id == "9cfd1b3c-4b1c-4f4e-9b1a-6c1e2f3a4b5c" && event.type == "push"
    error_message = "the event id comes from X-Gitlab-Event-UUID and the type from object_kind"
  }
  assert {
    condition     = strcontains(sink.eng[0].text, "b6568db1") && strcontains(sink.eng[0].text, "da156088") && strcontains(sink.eng[0].text, "…and 2 more")
    error_message = "the push lists its commits' short ids and says how many are left out"
  }
}

case "a tag push" {
  request {
    headers   = { "X-Gitlab-Event" = "Tag Push Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/tag_push.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/gitlab-to-slack/tag_push.json"
  }
}

case "an opened merge request" {
  request {
    headers   = { "X-Gitlab-Event" = "Merge Request Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/merge_request.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/gitlab-to-slack/merge_request_opened.json"
  }
}

case "a merged merge request" {
  # merge_request.json with action "merge" and state "merged".
  request {
    headers   = { "X-Gitlab-Event" = "Merge Request Hook" }
    body_file = "testdata/payloads/gitlab/merge_request_merged.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/gitlab-to-slack/merge_request_merged.json"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.text, "merged merge request !1")
    error_message = "a merged merge request says merged"
  }
}

case "a failed pipeline says failed and lists the failed job" {
  # pipeline.json with status "failed" and the test-image job failed.
  request {
    headers   = { "X-Gitlab-Event" = "Pipeline Hook" }
    body_file = "testdata/payloads/gitlab/pipeline_failed.json"
    sign      = true
  }
  sink "eng" {
    messages = 1
    golden   = "testdata/gitlab-to-slack/pipeline_failed.json"
  }
  assert {
    condition     = strcontains(sink.eng[0].body.text, "failed") && strcontains(sink.eng[0].text, "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31")
    error_message = "the message says the pipeline failed and links it"
  }
  assert {
    condition     = strcontains(sink.eng[0].text, "test-image") && !strcontains(sink.eng[0].text, "test-build")
    error_message = "only the failed job is listed"
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
  sink "eng" {
    messages = 0
  }
}

case "a merge request update is dropped" {
  request {
    headers   = { "X-Gitlab-Event" = "Merge Request Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/service_merge_request.json"
    sign      = true
  }
  sink "eng" {
    messages = 0
  }
}

case "an issue is not in the events list" {
  request {
    headers   = { "X-Gitlab-Event" = "Issue Hook" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/issue.json"
    sign      = true
  }
  expect {
    status  = 200
    outcome = "filtered"
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

case "a request with another token is refused" {
  request {
    headers   = { "X-Gitlab-Event" = "Push Hook", "X-Gitlab-Token" = "not-the-token" }
    body_file = "../testdata/corpus/go-gitlab-webhooks/push.json"
  }
  expect {
    status = 401
  }
}
