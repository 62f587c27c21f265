// slack_events.js: forwards Slack mentions and slash commands as a small
// JSON document. Used by configs/slack-events.hcl.
function transform(event) {
  const b = event.body;
  if (event.type === "slash_command") {
    return { kind: "command", command: b.command, text: b.text, user: b.user_name, channel: b.channel_name };
  }
  if (b.event) {
    return { kind: "event", type: event.type, user: b.event.user, channel: b.event.channel, text: b.event.text };
  }
  return { kind: "interaction", type: event.type, user: b.user ? b.user.id : undefined };
}
