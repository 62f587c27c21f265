# Offline tests of configs/slack-events.hcl:  hookferry test configs/
# Each case signs a request with the stand-in signing secret the way Slack
# does (X-Slack-Signature v0= over the timestamp and body,
# X-Slack-Request-Timestamp), lets the slack source verify it and answer the
# url_verification handshake itself, runs scripts/slack_events.js and
# renders the request to your service.
#
# Bodies: the app_mention and url_verification examples of Slack's Events
# API documentation (docs.slack.dev/reference/events/app_mention, the
# url_verification event) and the slash command example of its slash
# command documentation (a form body), inline below; channel_created from
# testdata/corpus/slack-java-sdk-samples (slackapi/java-slack-sdk, MIT).
#
# The script drops nothing on purpose, so there is no dropped case here.
config = "slack-events.hcl"

env = {
  SLACK_SIGNING_SECRET = "test-slack-signing-secret-not-real"
  EVENTS_URL           = "https://internal.example.test/slack"
}

case "a mention is forwarded as a small event document" {
  request {
    body = jsonencode({
      token        = "ZZZZZZWSxiZZZ2yIvs3peJ"
      team_id      = "T061EG9R6"
      api_app_id   = "A0MDYCDME"
      type         = "event_callback"
      event_id     = "Ev0LAN670R"
      event_time   = 1515449522
      authed_users = ["U0LAN0Z89"]
      event = {
        type     = "app_mention"
        user     = "U061F7AUR"
        text     = "<@U0LAN0Z89> is it everything a river should be?"
        ts       = "1515449522.000016"
        channel  = "C0LAN2Q65"
        event_ts = "1515449522000016"
      }
    })
    sign = true
  }
  expect {
    status = 202
  }
  sink "service" {
    messages = 1
    golden   = "testdata/slack-events/app_mention.json"
  }
  assert {
    condition     = event.id == "Ev0LAN670R" && event.type == "app_mention"
    error_message = "the id is Slack's event_id and the type the inner event's type"
  }
  assert {
    condition     = !strcontains(sink.service[0].text, "ZZZZZZWSxiZZZ2yIvs3peJ")
    error_message = "the legacy verification token in the body is not forwarded"
  }
}

case "a slash command form is forwarded as a command document" {
  request {
    headers = { "Content-Type" = "application/x-www-form-urlencoded" }
    body    = "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&enterprise_id=E0001&enterprise_name=Globular%20Construct%20Inc&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Fweather&text=94070&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456"
    sign    = true
  }
  sink "service" {
    messages = 1
    golden   = "testdata/slack-events/slash_command.json"
  }
  assert {
    condition     = sink.service[0].body == { kind = "command", command = "/weather", text = "94070", user = "Steve", channel = "test" }
    error_message = "the form fields become the command document"
  }
}

case "the url_verification handshake is answered by the source" {
  request {
    body = jsonencode({ token = "Jhj5dZrVaK7ZwHHjRyZWjbDl", challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type = "url_verification" })
    sign = true
  }
  expect {
    status  = 200
    outcome = "reply"
  }
}

case "a channel_created event is not in the events list" {
  request {
    body_file = "../testdata/corpus/slack-java-sdk-samples/events/ChannelCreatedPayload.json"
    sign      = true
  }
  expect {
    status  = 200
    outcome = "filtered"
  }
}

case "an unsigned request is refused" {
  request {
    body = jsonencode({ type = "event_callback", event = { type = "app_mention", text = "hi" } })
  }
  expect {
    status = 401
  }
}

case "a request signed with another secret is refused" {
  request {
    headers = {
      "X-Slack-Request-Timestamp" = "1531420618"
      "X-Slack-Signature"         = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    }
    body = jsonencode({ type = "event_callback", event = { type = "app_mention", text = "hi" } })
  }
  expect {
    status = 401
  }
}
