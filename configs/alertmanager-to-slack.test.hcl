# Offline tests of configs/alertmanager-to-slack.hcl:  hookferry test configs/
# Each case sends an Alertmanager notification with the stand-in bearer
# token (sign = true sets "Authorization: Bearer ..."), lets the http source
# check it and take the type from the body's status, runs
# scripts/alertmanager_to_slack.js and renders the Slack incoming-webhook request.
#
# Bodies: testdata/payloads/alertmanager/*.json, the bodies of the ready
# script's fixtures of the same name in scripts/testdata/alertmanager_to_slack/:
# written after the webhook payload Alertmanager documents for webhook_config
# (version "4"), values made up.
#
# The config has no events list and the script drops nothing on purpose
# (every notification is news), so there is no filtered or dropped case.
config = "alertmanager-to-slack.hcl"

env = {
  ALERTMANAGER_TOKEN = "test-alertmanager-token-not-real"
  SLACK_WEBHOOK_URL  = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
}

case "a firing group lists every alert" {
  request {
    headers   = { "User-Agent" = "Alertmanager/0.27.0" }
    body_file = "testdata/payloads/alertmanager/firing_grouped.json"
    sign      = true
  }
  expect {
    status = 202
  }
  sink "oncall" {
    messages = 1
    golden   = "testdata/alertmanager-to-slack/firing_grouped.json"
  }
  assert {
    condition     = event.type == "firing"
    error_message = "the event type is the notification's status"
  }
  assert {
    condition     = sink.oncall[0].body.blocks[0].text.text == ":rotating_light: [FIRING:3] HighRequestLatency" && strcontains(sink.oncall[0].body.text, "[FIRING:3] HighRequestLatency")
    error_message = "the header and the fallback carry Alertmanager's usual title with the firing count"
  }
  assert {
    condition     = strcontains(sink.oncall[0].body.blocks[1].text.text, "api-1:8080") && strcontains(sink.oncall[0].body.blocks[2].text.text, "api-2:8080") && strcontains(sink.oncall[0].body.blocks[3].text.text, "api-3:8080")
    error_message = "each alert of the group is listed"
  }
  assert {
    condition     = strcontains(sink.oncall[0].body.blocks[3].text.text, "p99 latency is &lt;unknown&gt; on a new pod")
    error_message = "markup in an annotation is escaped for mrkdwn"
  }
}

case "a resolved group" {
  request {
    body_file = "testdata/payloads/alertmanager/resolved.json"
    sign      = true
  }
  sink "oncall" {
    messages = 1
    golden   = "testdata/alertmanager-to-slack/resolved.json"
  }
  assert {
    condition     = startswith(sink.oncall[0].body.blocks[0].text.text, ":white_check_mark: [RESOLVED] HighRequestLatency") && !strcontains(sink.oncall[0].text, "silence")
    error_message = "a resolved group says resolved and offers no silence"
  }
}

case "a group Alertmanager truncated says how many alerts are left out" {
  request {
    body_file = "testdata/payloads/alertmanager/mixed_truncated.json"
    sign      = true
  }
  sink "oncall" {
    messages = 1
  }
  assert {
    condition     = strcontains(sink.oncall[0].text, "…and 4 more alerts") && strcontains(sink.oncall[0].text, "2 firing, 1 resolved")
    error_message = "the alerts Alertmanager truncated are counted"
  }
}

case "a notification without the token is refused" {
  request {
    body_file = "testdata/payloads/alertmanager/firing_grouped.json"
  }
  expect {
    status = 401
  }
}

case "a notification with another token is refused" {
  request {
    headers   = { "Authorization" = "Bearer not-the-token" }
    body_file = "testdata/payloads/alertmanager/firing_grouped.json"
  }
  expect {
    status = 401
  }
}
