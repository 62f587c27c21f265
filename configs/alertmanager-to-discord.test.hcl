# Offline tests of configs/alertmanager-to-discord.hcl:  hookferry test configs/
# Each case sends an Alertmanager notification with the stand-in bearer
# token (sign = true sets "Authorization: Bearer ..."), lets the http source
# check it and take the type from the body's status, runs
# scripts/alertmanager_to_discord.js and renders the Discord webhook request (the discord sink checks Discord's
# limits).
#
# Bodies: testdata/payloads/alertmanager/*.json, the bodies of the ready
# script's fixtures of the same name in scripts/testdata/alertmanager_to_slack/:
# written after the webhook payload Alertmanager documents for webhook_config
# (version "4"), values made up.
#
# The config has no events list and the script drops nothing on purpose
# (every notification is news), so there is no filtered or dropped case.
config = "alertmanager-to-discord.hcl"

env = {
  ALERTMANAGER_TOKEN  = "test-alertmanager-token-not-real"
  DISCORD_WEBHOOK_URL = "https://discord.com/api/webhooks/100000000000000000/test-discord-token-not-real"
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
    golden   = "testdata/alertmanager-to-discord/firing_grouped.json"
  }
  assert {
    condition     = event.type == "firing"
    error_message = "the event type is the notification's status"
  }
  assert {
    condition     = sink.oncall[0].body.embeds[0].color == 15548997 && sink.oncall[0].body.embeds[0].title == "\\[FIRING:3\\] HighRequestLatency"
    error_message = "a firing group is red (0xed4245) with Alertmanager's usual title, its brackets escaped"
  }
  assert {
    condition     = length(sink.oncall[0].body.embeds[0].fields) == 3 && endswith(sink.oncall[0].body.embeds[0].fields[2].name, "High request latency on api\\-3:8080")
    error_message = "each alert of the group has its field, names escaped"
  }
  assert {
    condition     = strcontains(sink.oncall[0].body.embeds[0].fields[0].value, "since <t:1795693226:R>")
    error_message = "start times are Discord timestamps, shown in the reader's time zone"
  }
}

case "a resolved group" {
  request {
    body_file = "testdata/payloads/alertmanager/resolved.json"
    sign      = true
  }
  sink "oncall" {
    messages = 1
    golden   = "testdata/alertmanager-to-discord/resolved.json"
  }
  assert {
    condition     = sink.oncall[0].body.embeds[0].color == 5763719 && sink.oncall[0].body.embeds[0].title == "\\[RESOLVED\\] HighRequestLatency" && !strcontains(sink.oncall[0].text, "silence")
    error_message = "a resolved group is green (0x57f287), says resolved and offers no silence"
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
    condition     = strcontains(sink.oncall[0].text, "and 4 more firing alerts")
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
